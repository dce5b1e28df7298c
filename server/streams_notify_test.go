package server

import "testing"

// TestStreamEventsRedisDiff: the stream commands' keyspace events (class
// t: xadd, xtrim, xdel, xsetid, xgroup-*), with new and del around them,
// in the order redis-server sends them.
func TestStreamEventsRedisDiff(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	c := func(args ...string) ksStep { return ksStep{args: args} }
	steps := []ksStep{
		c("XADD", "s", "1-1", "a", "1"), c("XADD", "s", "1-2", "a", "2"), c("XADD", "s", "1-3", "a", "3"),
		c("XADD", "s", "MAXLEN", "2", "1-4", "a", "4"), c("XADD", "s", "MAXLEN", "5", "1-5", "a", "5"),
		c("XADD", "s", "0-1", "a", "x"), c("XADD", "nos", "NOMKSTREAM", "*", "a", "1"),
		c("XTRIM", "s", "MAXLEN", "10"), c("XTRIM", "s", "MAXLEN", "1"), c("XDEL", "s", "9-9"), c("XDEL", "s", "1-5"),
		c("XSETID", "s", "5-0"), c("XSETID", "s", "1-0"),
		c("XGROUP", "CREATE", "s", "g", "0"), c("XGROUP", "CREATE", "s", "g", "0"),
		c("XGROUP", "CREATE", "s2", "g", "$", "MKSTREAM"),
		c("XGROUP", "SETID", "s", "g", "0"), c("XGROUP", "CREATECONSUMER", "s", "g", "c1"),
		c("XGROUP", "CREATECONSUMER", "s", "g", "c1"),
		c("XADD", "s", "6-1", "a", "6"), c("XADD", "s", "6-2", "a", "7"),
		c("XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "STREAMS", "s", ">"),
		c("XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", ">"),
		c("XREADGROUP", "GROUP", "g", "c9", "STREAMS", "s", ">"),
		c("XCLAIM", "s", "g", "c3", "0", "6-1", "JUSTID"),
		c("XAUTOCLAIM", "s", "g", "c4", "0", "0", "JUSTID"),
		c("XACK", "s", "g", "6-1"),
		c("XGROUP", "DELCONSUMER", "s", "g", "c2"), c("XGROUP", "DELCONSUMER", "s", "g", "nobody"),
		c("XGROUP", "DESTROY", "s", "g"), c("XGROUP", "DESTROY", "s", "g"),
		c("XTRIM", "s", "MAXLEN", "0"), c("EXISTS", "s"), c("DEL", "s", "s2"),
	}
	runKeyspaceDiff(t, fc.addr, redisAddr, "KEA", steps)
}
