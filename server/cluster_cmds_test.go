package server

import "testing"

// TestRedisDiffServerMisc: LOLWUT (its arguments; the version line, as a
// verbatim string in RESP3) and the cluster connection commands of a
// server without cluster support, as redis-server answers them.
func TestRedisDiffServerMisc(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	steps := []diffStep{
		c("LOLWUT"), c("LOLWUT", "foo", "bar"), c("LOLWUT", "VERSION"), c("LOLWUT", "version", "7"),
		c("LOLWUT", "VERSION", "x"), c("LOLWUT", "VERSION", "1"), c("LOLWUT", "VERSION", "56"), c("LOLWUT", "VERSION", "-1"),
		c("LOLWUT", "VERSION", "9223372036854775808"), c("LOLWUT", "VERSION", "5", "x"), c("LOLWUT", "VERSION", "5", "1", "2", "y"),
		c("LOLWUT", "VERSION", "6", "10", "z"), c("LOLWUT", "VERSION", "4294967303", "1", "x"),
		c("READONLY"), c("READWRITE"), c("ASKING"), c("READONLY", "x"), c("ASKING", "x"),
		c("MULTI"), c("READONLY"), c("LOLWUT"), c("EXEC"),
		c("HELLO", "3").with(diffHello), c("LOLWUT"), c("LOLWUT", "VERSION", "8"),
	}
	runDiffScripts(t, []diffScript{{"lolwut and cluster commands", steps}})
}
