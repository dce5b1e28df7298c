package server

import (
	"strconv"

	"fastcache/cache"
)

// LOLWUT [VERSION version] [arguments]: Redis's version line. Redis 7.0
// draws computer art for versions 5 (Georg Nees' Schotter) and 6
// (skyscrapers), from random numbers; fastcache checks their arguments
// as Redis does but answers every version with the line alone.

func init() {
	register(&Command{Name: "lolwut", Arity: -1, Flags: flagReadOnly | flagFast, Group: "server", Since: "5.0.0",
		Summary: "Display some computer art and the Redis version", Args: "[VERSION version:integer]", Handler: cmdLolwut})
}

func cmdLolwut(c *Client, args [][]byte) {
	version := uint32(7)
	if len(args) >= 3 && equalFold(args[1], "version") {
		v, ok := cache.ParseInt(args[2])
		if !ok {
			c.reply.Error(errNotInt)
			return
		}
		version = uint32(v) // Redis prints it with %u
		args = args[2:]     // the version's own arguments follow
	}
	// Redis picks the artwork by the version string's first characters:
	// "5.0.0" and "6.0.0" (and 4.9, 5.9), anything else is the line alone.
	s := strconv.FormatUint(uint64(version), 10) + ".0.0"
	nargs := 0
	switch {
	case s[0] == '5' && s[1] == '.' || s[0] == '4' && s[1] == '.' && s[2] == '9':
		nargs = 3 // columns, squares per row, squares per column
	case s[0] == '6' && s[1] == '.' || s[0] == '5' && s[1] == '.' && s[2] == '9':
		nargs = 2 // columns, rows
	}
	for i := 1; i <= nargs && i < len(args); i++ {
		if _, ok := cache.ParseInt(args[i]); !ok {
			c.reply.Error(errNotInt)
			return
		}
	}
	c.reply.Verbatim("txt", "Redis ver. "+Version+"\n")
}
