package server

import "testing"

// TestRedisDiffSweepFinds: the differences the long randomized sweep
// (FASTCACHE_SWEEP_LONG=1) found, kept as fixed steps against redis-server.
func TestRedisDiffSweepFinds(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	runDiffScripts(t, []diffScript{{"sweep-finds", []diffStep{
		// SWAPDB parses both indexes before checking either's range
		c("SWAPDB", "-4", "x"), c("SWAPDB", "99", "x"), c("SWAPDB", "99", "1"), c("SWAPDB", "0", "99"),
		c("SWAPDB", "4294967296", "0"), c("SWAPDB", "0", "-4294967296"), c("SWAPDB", "-1", "-1.5"),
		// ZINCRBY is ZADD INCR: a ZADD flag where the increment goes is a flag
		c("ZINCRBY", "k1", "LT", "-8193"), c("ZINCRBY", "k1", "incr", "1"), c("ZINCRBY", "k1", "Nx", "m"),
		c("ZINCRBY", "k1", "1", "lt"), c("ZSCORE", "k1", "lt"),
		// ZINTERCARD takes LIMIT only
		c("ZINTERCARD", "1", "ID", "WEIGHTS", "abc"), c("ZINTERCARD", "1", "k1", "WEIGHTS", "1"),
		c("ZINTERCARD", "1", "k1", "AGGREGATE", "MAX"), c("ZINTERCARD", "1", "k1", "WITHSCORES"),
		c("ZINTERCARD", "1", "k1", "LIMIT", "0"),
	}}})
}
