package server

import (
	"math"

	"fastcache/cache"
)

// Helpers shared by the collection commands (hashes, sets, sorted sets,
// lists, streams).

// scanArgs are the arguments of HSCAN, SSCAN and ZSCAN after the key.
type scanArgs struct {
	cursor uint64
	match  []byte // nil: everything
	count  int
}

// parseScanArgs parses "cursor [MATCH pattern] [COUNT count]" starting at
// args[i], replying with Redis's error when they are wrong.
func parseScanArgs(c *Client, args [][]byte, i int) (scanArgs, bool) {
	var a scanArgs
	cur, ok := parseScanCursor(args[i])
	if !ok {
		c.reply.Error(errBadCursor)
		return a, false
	}
	a.cursor, a.count = cur, 10
	for i++; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.reply.Error(errSyntax)
			return a, false
		}
		switch {
		case eqFold(args[i], "match"):
			a.match = args[i+1]
			if len(a.match) == 1 && a.match[0] == '*' {
				a.match = nil
			}
		case eqFold(args[i], "count"):
			n, ok := cache.ParseInt(args[i+1])
			if !ok {
				c.reply.Error(errNotInt)
				return a, false
			}
			if n < 1 {
				c.reply.Error(errSyntax)
				return a, false
			}
			a.count = int(min(n, math.MaxInt32))
		default:
			c.reply.Error(errSyntax)
			return a, false
		}
	}
	return a, true
}

// replyErr writes err (if any) and reports whether there was one.
func (c *Client) replyErr(err error) bool {
	if err != nil {
		c.reply.Err(err)
		return true
	}
	return false
}
