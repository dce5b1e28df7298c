package server

import "testing"

// min-replicas-to-write on a primary without replicas: writes, EXEC of
// writes, scripts that may write and a script's write command get
// -NOREPLICAS; reads, no-writes scripts and a script's reads run.
func TestRedisDiffMinReplicasToWrite(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	steps := []diffStep{
		c("SET", "x", "v"),
		c("CONFIG", "SET", "min-replicas-to-write", "1"),
		c("SET", "x", "w"), c("INCR", "n"), c("GET", "x"), c("DEL", "x"),
		c("EVAL", "#!lua flags=no-writes\nreturn redis.call('get','x')", "1", "x"),
		c("EVAL", "return redis.call('get','x')", "1", "x"),
		c("EVAL", "#!lua\nreturn redis.call('get','x')", "1", "x"),
		c("EVAL", "return redis.call('set','x', 1)", "1", "x"),
		c("EVAL", "return redis.pcall('set','x', 1)", "1", "x"),
		c("MULTI"), c("SET", "x", "1"), c("GET", "x"), c("EXEC"),
		c("MULTI"), c("GET", "x"), c("EXEC"),
		// max-lag 0 turns the check off
		c("CONFIG", "SET", "min-replicas-max-lag", "0"),
		c("SET", "x", "lag0"),
		c("CONFIG", "SET", "min-replicas-max-lag", "10"),
		c("SET", "x", "lag10"),
		c("CONFIG", "SET", "min-slaves-to-write", "0"),
		c("SET", "x", "off"), c("GET", "x"),
	}
	runDiffScripts(t, []diffScript{{"min-replicas-to-write", steps}})
}
