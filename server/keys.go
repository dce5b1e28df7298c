package server

import (
	"math"
	"strconv"
	"strings"

	"fastcache/cache"
	"fastcache/shard"
)

// Generic key commands: DEL, EXISTS, TYPE, RENAME, COPY, KEYS, SCAN,
// expiry, FLUSHDB/FLUSHALL.

func init() {
	const w, r, oom, fast = flagWrite, flagReadOnly, flagDenyOOM, flagFast
	gen := func(name string, arity int, f flags, first, last, step int, since, summary string, h func(*Client, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: f, FirstKey: first, LastKey: last, Step: step,
			Group: "generic", Since: since, Summary: summary, Handler: h}
	}
	register(
		gen("del", -2, w, 1, -1, 1, "1.0.0", "Deletes one or more keys.", cmdDel),
		gen("unlink", -2, w|fast, 1, -1, 1, "4.0.0", "Asynchronously deletes one or more keys.", cmdDel),
		gen("exists", -2, r|fast, 1, -1, 1, "1.0.0", "Determines whether one or more keys exist.", cmdExists),
		gen("type", 2, r|fast, 1, 1, 1, "1.0.0", "Determines the type of value stored at a key.", cmdType),
		gen("rename", 3, w, 1, 2, 1, "1.0.0", "Renames a key and overwrites the destination.", cmdRename),
		gen("renamenx", 3, w|fast, 1, 2, 1, "1.0.0", "Renames a key only when the target key name doesn't exist.", cmdRenameNX),
		gen("copy", -3, w|oom, 1, 2, 1, "6.2.0", "Copies the value of a key to a new key.", cmdCopy),
		gen("touch", -2, r|fast, 1, -1, 1, "3.2.1", "Returns the number of existing keys out of those specified after updating the time they were last accessed.", cmdTouch),
		gen("keys", 2, r, 0, 0, 0, "1.0.0", "Returns all key names that match a pattern.", cmdKeys),
		gen("scan", -2, r, 0, 0, 0, "2.8.0", "Iterates over the key names in the database.", cmdScan),
		gen("randomkey", 1, r, 0, 0, 0, "1.0.0", "Returns a random key name from the database.", cmdRandomKey),
		gen("expire", -3, w|fast, 1, 1, 1, "1.0.0", "Sets the expiration time of a key in seconds.", cmdExpire),
		gen("pexpire", -3, w|fast, 1, 1, 1, "2.6.0", "Sets the expiration time of a key in milliseconds.", cmdPExpire),
		gen("expireat", -3, w|fast, 1, 1, 1, "1.2.0", "Sets the expiration time of a key to a Unix timestamp.", cmdExpireAt),
		gen("pexpireat", -3, w|fast, 1, 1, 1, "2.6.0", "Sets the expiration time of a key to a Unix milliseconds timestamp.", cmdPExpireAt),
		gen("ttl", 2, r|fast, 1, 1, 1, "1.0.0", "Returns the expiration time in seconds of a key.", cmdTTL),
		gen("pttl", 2, r|fast, 1, 1, 1, "2.6.0", "Returns the expiration time in milliseconds of a key.", cmdPTTL),
		gen("expiretime", 2, r|fast, 1, 1, 1, "7.0.0", "Returns the expiration time of a key as a Unix timestamp.", cmdExpireTime),
		gen("pexpiretime", 2, r|fast, 1, 1, 1, "7.0.0", "Returns the expiration time of a key as a Unix milliseconds timestamp.", cmdPExpireTime),
		gen("persist", 2, w|fast, 1, 1, 1, "2.2.0", "Removes the expiration time of a key.", cmdPersist),
		&Command{Name: "flushdb", Arity: -1, Flags: w, Group: "server", Since: "1.0.0",
			Summary: "Remove all keys from the current database.", Handler: cmdFlush},
		&Command{Name: "flushall", Arity: -1, Flags: w, Group: "server", Since: "1.0.0",
			Summary: "Removes all keys from all databases.", Handler: cmdFlush},
		&Command{Name: "move", Arity: 3, Flags: w | fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "1.0.0",
			Summary: "Moves a key to another database.", Complexity: "O(1)", Args: "key:key db:integer", Handler: cmdMove},
		&Command{Name: "swapdb", Arity: 3, Flags: w | fast, Group: "server", Since: "4.0.0",
			Summary: "Swaps two Redis databases.", Complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
			Args: "index1:integer index2:integer", Handler: cmdSwapDB},
	)
}

// parseDBIndex parses a database number as Redis's getIntFromObjectOrReply
// (a C int), then checks it against databases.
func parseDBIndex(c *Client, arg []byte, notInt, outOfRange string) (int, bool) {
	n, ok := cache.ParseInt(arg)
	if !ok {
		c.reply.Error(notInt)
		return 0, false
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		c.reply.Error(outOfRange)
		return 0, false
	}
	if n < 0 || n >= int64(c.srv.cache.Databases()) {
		c.reply.Error(errDBIndex)
		return 0, false
	}
	return int(n), true
}

func cmdMove(c *Client, args [][]byte) {
	if c.srv.cluster != nil {
		c.reply.Error("ERR MOVE is not allowed in cluster mode")
		return
	}
	db, ok := parseDBIndex(c, args[2], errNotInt, "ERR value is out of range, value must between -2147483648 and 2147483647")
	if !ok {
		return
	}
	if db == c.db {
		c.reply.Err(cache.ErrSameObject)
		return
	}
	c.reply.Int(b2i(c.ks.Move(args[1], db)))
}

func cmdSwapDB(c *Client, args [][]byte) {
	if c.srv.cluster != nil {
		c.reply.Error("ERR SWAPDB is not allowed in cluster mode")
		return
	}
	// Both indexes are parsed before either is checked against the number
	// of databases, as Redis does.
	var ids [2]int64
	for i, msg := range []string{"ERR invalid first DB index", "ERR invalid second DB index"} {
		n, ok := cache.ParseInt(args[1+i])
		if !ok || n < math.MinInt32 || n > math.MaxInt32 {
			c.reply.Error(msg)
			return
		}
		ids[i] = n
	}
	dbs := int64(c.srv.cache.Databases())
	if ids[0] < 0 || ids[0] >= dbs || ids[1] < 0 || ids[1] >= dbs {
		c.reply.Error(errDBIndex)
		return
	}
	if ids[0] != ids[1] {
		c.ks.SwapDB(int(ids[0]), int(ids[1]))
	}
	c.reply.OK()
}

func cmdDel(c *Client, args [][]byte) { c.reply.Int(int64(c.ks.Del(args[1:]))) }

func cmdExists(c *Client, args [][]byte) { c.reply.Int(int64(c.ks.Exists(args[1:]))) }

func cmdTouch(c *Client, args [][]byte) { c.reply.Int(int64(c.ks.Touch(args[1:]))) }

func cmdType(c *Client, args [][]byte) { c.reply.Simple(c.ks.Type(args[1])) }

func cmdRename(c *Client, args [][]byte) {
	if _, err := c.ks.Rename(args[1], args[2], false); err != nil {
		c.reply.Err(err)
		return
	}
	c.reply.OK()
}

func cmdRenameNX(c *Client, args [][]byte) {
	ok, err := c.ks.Rename(args[1], args[2], true)
	if err != nil {
		c.reply.Err(err)
		return
	}
	c.reply.Int(b2i(ok))
}

func cmdCopy(c *Client, args [][]byte) {
	replace, db := false, -1
	for i := 3; i < len(args); i++ {
		switch {
		case eqFold(args[i], "replace"):
			replace = true
		case eqFold(args[i], "db") && i+1 < len(args):
			n, ok := cache.ParseInt(args[i+1])
			if !ok {
				c.reply.Error(errNotInt)
				return
			}
			if n < math.MinInt32 || n > math.MaxInt32 {
				c.reply.Error(errIntRange)
				return
			}
			if n < 0 || n >= int64(c.srv.cache.Databases()) {
				c.reply.Error(errDBIndex)
				return
			}
			db = int(n)
			i++
		default:
			c.reply.Error(errSyntax)
			return
		}
	}
	if c.srv.cluster != nil && db > 0 {
		c.reply.Error("ERR Copying to another database is not allowed in cluster mode")
		return
	}
	ok, err := c.ks.Copy(args[1], args[2], db, replace)
	if err != nil {
		c.reply.Err(err)
		return
	}
	c.reply.Int(b2i(ok))
}

func cmdKeys(c *Client, args [][]byte) {
	keys := c.ks.Keys(args[1])
	c.reply.Array(len(keys))
	for _, k := range keys {
		c.reply.Bulk(k)
	}
}

func cmdScan(c *Client, args [][]byte) {
	cursor, ok := parseScanCursor(args[1])
	if !ok {
		c.reply.Error(errBadCursor)
		return
	}
	var match []byte
	count := 10
	typ := ""
	for i := 2; i < len(args); i++ {
		if i+1 >= len(args) {
			c.reply.Error(errSyntax)
			return
		}
		switch a := args[i]; {
		case eqFold(a, "match"):
			match = args[i+1]
			if len(match) == 1 && match[0] == '*' {
				match = nil
			}
		case eqFold(a, "count"):
			n, ok := cache.ParseInt(args[i+1])
			if !ok {
				c.reply.Error(errNotInt)
				return
			}
			if n < 1 {
				c.reply.Error(errSyntax)
				return
			}
			if n > math.MaxInt32 {
				n = math.MaxInt32
			}
			count = int(n)
		case eqFold(a, "type"):
			typ = strings.ToLower(string(args[i+1]))
		default:
			c.reply.Error(errSyntax)
			return
		}
		i++
	}
	next, keys := c.ks.Scan(cursor, match, count, typ)
	c.reply.Array(2)
	c.buf = strconv.AppendUint(c.buf[:0], next, 10)
	c.reply.Bulk(c.buf)
	c.reply.Array(len(keys))
	for _, k := range keys {
		c.reply.Bulk(k)
	}
}

// parseScanCursor parses SCAN's cursor as Redis 7.0 does (strtoul in base
// 10, refused if the argument starts with white space, if anything follows
// the number, or on ERANGE): an optional '+' or '-' (which negates modulo
// 2^64, so -1 is 2^64-1), then decimal digits; a magnitude above 2^64-1 is
// refused. The C string ends at the first NUL byte, so anything after one
// is ignored, and an argument with no digits at all there ("" or "\x00...")
// is cursor 0: strtoul then leaves its end pointer at the start, which is
// the terminating NUL.
func parseScanCursor(b []byte) (uint64, bool) {
	for i, ch := range b {
		if ch == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) == 0 {
		return 0, true
	}
	switch b[0] {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return 0, false
	}
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false // a sign without digits: strtoul consumed nothing
	}
	var v uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false // ERANGE
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

func cmdRandomKey(c *Client, args [][]byte) {
	k, ok := c.ks.RandomKey()
	if !ok {
		c.reply.Null()
		return
	}
	c.reply.Bulk(k)
}

func cmdExpire(c *Client, args [][]byte)    { expireGeneric(c, args, "expire", 1000, true) }
func cmdPExpire(c *Client, args [][]byte)   { expireGeneric(c, args, "pexpire", 1, true) }
func cmdExpireAt(c *Client, args [][]byte)  { expireGeneric(c, args, "expireat", 1000, false) }
func cmdPExpireAt(c *Client, args [][]byte) { expireGeneric(c, args, "pexpireat", 1, false) }

// expireGeneric is Redis's expireGenericCommand: options first, then the
// time (which may be zero or negative: the key is deleted), with Redis's
// overflow checks and texts.
func expireGeneric(c *Client, args [][]byte, name string, unit int64, relative bool) {
	var cond cache.ExpireCond
	for _, a := range args[3:] {
		switch {
		case eqFold(a, "nx"):
			cond |= cache.ExpireNX
		case eqFold(a, "xx"):
			cond |= cache.ExpireXX
		case eqFold(a, "gt"):
			cond |= cache.ExpireGT
		case eqFold(a, "lt"):
			cond |= cache.ExpireLT
		default:
			c.reply.Error("ERR Unsupported option " + sanitizeAll(a))
			return
		}
	}
	if cond&cache.ExpireNX != 0 && cond&(cache.ExpireXX|cache.ExpireGT|cache.ExpireLT) != 0 {
		c.reply.Error("ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if cond&cache.ExpireGT != 0 && cond&cache.ExpireLT != 0 {
		c.reply.Error("ERR GT and LT options at the same time are not compatible")
		return
	}
	v, ok := cache.ParseInt(args[2])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	if unit > 1 && (v > math.MaxInt64/unit || v < math.MinInt64/unit) {
		c.reply.Error(errInvalidExpire(name))
		return
	}
	v *= unit
	now := nowMillis()
	if relative {
		if v > math.MaxInt64-now {
			c.reply.Error(errInvalidExpire(name))
			return
		}
		v += now
	}
	if v <= now {
		// in the past by the wall clock (Redis's checkAlreadyExpired),
		// also in a script, whose keyspace clock stands still: the key
		// is deleted
		v = 1
	}
	c.reply.Int(b2i(c.ks.Expire(args[1], v, cond)))
}

func cmdTTL(c *Client, args [][]byte) {
	ms := c.ks.PTTL(args[1])
	if ms < 0 {
		c.reply.Int(ms)
		return
	}
	c.reply.Int((ms + 500) / 1000)
}

func cmdPTTL(c *Client, args [][]byte) { c.reply.Int(c.ks.PTTL(args[1])) }

func cmdExpireTime(c *Client, args [][]byte) {
	at := c.ks.ExpireTime(args[1])
	if at < 0 {
		c.reply.Int(at)
		return
	}
	c.reply.Int((at + 500) / 1000)
}

func cmdPExpireTime(c *Client, args [][]byte) { c.reply.Int(c.ks.ExpireTime(args[1])) }

func cmdPersist(c *Client, args [][]byte) { c.reply.Int(b2i(c.ks.Persist(args[1]))) }

// cmdFlush is FLUSHDB and FLUSHALL [ASYNC|SYNC].
func cmdFlush(c *Client, args [][]byte) {
	if len(args) > 2 || (len(args) == 2 && !eqFold(args[1], "async") && !eqFold(args[1], "sync")) {
		c.reply.Error(errSyntax)
		return
	}
	all := eqFold(args[0], "flushall")
	c.ks.Flush(all)
	c.srv.trackingFlush(c) // null invalidation to tracking clients
	if fa, ok := c.srv.snapshots().(interface{ FlushedAll() }); ok && all && !c.ks.InTx() {
		fa.FlushedAll() // appendonly no with save points: the empty dataset is saved, as Redis's
	}
	c.reply.OK()
}

// nowMillis is the expiry clock (unix ms), the one the shards use.
func nowMillis() int64 { return shard.Now() }
