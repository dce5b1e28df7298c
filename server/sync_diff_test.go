package server

import (
	"strings"
	"testing"
)

// TestRedisDiffReplconf: REPLCONF's options and errors, and the SYNCs
// refused before any transfer (inside MULTI, a filtered file without the
// EOF capability), as redis-server answers them. The transfers themselves
// are tested on the real binary with redis-cli --rdb (cmd/fastcache).
func TestRedisDiffReplconf(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	on1 := func(args ...string) diffStep { return diffStep{on: 1, args: args} }
	steps := []diffStep{
		c("REPLCONF"),
		c("REPLCONF", "foo"),
		c("REPLCONF", "foo", "bar"),
		c("REPLCONF", "capa", "eof", "capa", "psync2"),
		c("REPLCONF", "CAPA", "whatever"),
		c("REPLCONF", "listening-port", "6380"),
		c("REPLCONF", "listening-port", "abc"),
		c("REPLCONF", "listening-port", "99999999999999999999"),
		c("REPLCONF", "listening-port", "-1"),
		c("REPLCONF", "ip-address", "10.0.0.1"),
		c("REPLCONF", "ip-address", strings.Repeat("a", 255)),
		c("REPLCONF", "ip-address", strings.Repeat("a", 256)),
		c("REPLCONF", "rdb-only", "1"),
		c("REPLCONF", "rdb-only", "0"),
		c("REPLCONF", "rdb-only", "2"),
		c("REPLCONF", "rdb-only", "-1"),
		c("REPLCONF", "rdb-only", "abc"),
		c("REPLCONF", "rdb-only", "9223372036854775808"),
		c("REPLCONF", "rdb-filter-only", "foo"),
		c("REPLCONF", "rdb-filter-only", "functions foo"),
		c("REPLCONF", "RDB-FILTER-ONLY", "FUNCTIONS"),
		c("REPLCONF", "rdb-filter-only", ""),
		c("REPLCONF", "rdb-only", "1", "bogus", "x"), // an error after a valid option
		c("REPLCONF", "listening-port", "1", "rdb-only"),
		// a filtered file needs the EOF capability: the second
		// connection has not announced it
		on1("REPLCONF", "rdb-filter-only", "functions"),
		on1("SYNC"),
		on1("SYNC", "extra"),
		on1("MULTI"),
		on1("SYNC"),
		on1("REPLCONF", "rdb-only", "1"),
		on1("EXEC"),
	}
	runDiffScripts(t, []diffScript{{"replconf", steps}})
}
