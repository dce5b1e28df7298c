package server

import "testing"

// Keyspace events of the set, sorted set and geo commands (classes s and
// z, with new and del), compared with redis-server's by runKeyspaceDiff
// (TestKeyspaceEventsRedisDiff), and the CLIENT TRACKING invalidations
// their writes send (TestTrackingSetsRedisDiff).

func setEventScript() []ksStep {
	c := func(args ...string) ksStep { return ksStep{args: args} }
	random := func(args ...string) ksStep { return ksStep{args: args, anyReply: true} }
	return []ksStep{
		c("SADD", "s", "a", "b"), c("SADD", "s", "a"), c("SADD", "s", "a", "c"), c("SREM", "s", "zz"),
		c("SREM", "nokey", "a"), c("SREM", "s", "a", "zz"), c("SREM", "s", "b", "c"), c("EXISTS", "s"),
		c("SET", "str", "v"), c("SADD", "str", "a"), c("SREM", "str", "a"),
		c("SMEMBERS", "nokey"), c("SISMEMBER", "nokey", "a"), c("SCARD", "nokey"), c("SRANDMEMBER", "nokey"),
		// SPOP: one member, the last, none, several (random), all
		c("SADD", "s", "1"), c("SPOP", "s"), c("SPOP", "s"), c("SPOP", "nokey", "2"), c("SADD", "s", "1", "2", "3"),
		c("SPOP", "s", "0"), random("SPOP", "s"), random("SPOP", "s", "1"), c("SADD", "s", "4"), random("SPOP", "s", "5"),
		c("SADD", "s", "1", "2"), c("SPOP", "s", "2"), c("SPOP", "str"),
		// SMOVE: srem on the source (del when emptied), then new and sadd on the destination
		c("SADD", "a", "x", "y", "z"), c("SMOVE", "a", "b", "x"), c("SMOVE", "a", "b", "x"), c("SMOVE", "a", "b", "y"),
		c("SADD", "b", "z"), c("SMOVE", "a", "b", "z"), c("EXISTS", "a"), c("SMOVE", "b", "b", "x"),
		c("SMOVE", "b", "b", "nope"), c("SMOVE", "nokey", "b", "x"), c("SMOVE", "b", "str", "x"),
		c("SMOVE", "str", "b", "x"), c("SADD", "one", "m"), c("SMOVE", "one", "fresh", "m"),
		// the STORE forms: new and the event, the event over an existing
		// key (of any type), del when the result is empty and the key existed
		c("SADD", "p", "1", "2", "3"), c("SADD", "q", "2", "3", "4"),
		c("SINTERSTORE", "d", "p", "q"), c("SINTERSTORE", "d", "p", "q"), c("SINTERSTORE", "d", "p", "nokey"),
		c("SINTERSTORE", "d", "p", "nokey"), c("SINTERSTORE", "d", "nokey"), c("SUNIONSTORE", "d", "p", "q"),
		c("SUNIONSTORE", "d", "nokey", "nokey2"), c("SUNIONSTORE", "d", "nokey"), c("SDIFFSTORE", "d", "p", "q"),
		c("SDIFFSTORE", "d", "p", "p"), c("SDIFFSTORE", "d", "p", "p"), c("SDIFFSTORE", "d", "nokey", "p"),
		c("SDIFFSTORE", "p", "p", "q"), c("SUNIONSTORE", "q", "q"), c("SINTERSTORE", "q", "q"),
		c("SUNIONSTORE", "str", "p"), c("SET", "str", "v"), c("SINTERSTORE", "str", "nokey"),
		c("SINTERSTORE", "d", "p", "str"), c("SUNIONSTORE", "d", "str"),
		c("SINTER", "p", "q"), c("SINTERCARD", "2", "p", "q"), c("SUNION", "p", "q"), c("SDIFF", "p", "q"),
		c("DEL", "p", "q", "d", "b", "fresh"),
		// a script's writes, in order; another database
		c("EVAL", "redis.call('SADD', KEYS[1], 'a'); redis.call('SREM', KEYS[1], 'a'); "+
			"redis.call('ZADD', KEYS[2], 1, 'a'); return redis.call('ZPOPMAX', KEYS[2])", "2", "es", "ez"),
		c("SELECT", "1"), c("SADD", "s9", "x"), c("SMOVE", "s9", "s10", "x"), c("ZADD", "z9", "1", "a"),
		c("ZUNIONSTORE", "z10", "1", "z9"), c("ZPOPMIN", "z10"), c("SELECT", "0"),
	}
}

func zsetEventScript() []ksStep {
	c := func(args ...string) ksStep { return ksStep{args: args} }
	return []ksStep{
		// ZADD: zadd when a member is added or a score changes, zincr with INCR
		c("ZADD", "z", "1", "a", "2", "b"), c("ZADD", "z", "1", "a"), c("ZADD", "z", "3", "a"),
		c("ZADD", "z", "NX", "5", "a"), c("ZADD", "z", "XX", "5", "nope"), c("ZADD", "nz", "XX", "1", "a"),
		c("ZADD", "z", "GT", "1", "a"), c("ZADD", "z", "LT", "1", "a"), c("ZADD", "z", "GT", "CH", "1", "a", "9", "c"),
		c("ZADD", "z", "INCR", "1", "a"), c("ZADD", "z", "INCR", "0", "a"), c("ZADD", "z", "NX", "INCR", "1", "a"),
		c("ZADD", "z", "XX", "INCR", "1", "nope"), c("ZADD", "nz", "XX", "INCR", "1", "a"), c("ZADD", "nz", "INCR", "1", "m"),
		c("ZADD", "z", "1", "a", "x"), c("ZADD", "z", "nan", "a"), c("ZADD", "z", "NX", "XX", "1", "a"),
		c("ZINCRBY", "z", "2", "b"), c("ZINCRBY", "z", "0", "b"), c("ZINCRBY", "nz2", "1", "m"),
		c("ZADD", "z", "INCR", "+inf", "inf"), c("ZADD", "z", "INCR", "-inf", "inf"), c("ZINCRBY", "z", "-inf", "inf"),
		c("SET", "str", "v"), c("ZADD", "str", "1", "a"), c("ZINCRBY", "str", "1", "a"),
		// ZREM and the range removals: del after the last member
		c("ZREM", "z", "nope"), c("ZREM", "nokey", "a"), c("ZREM", "z", "a", "nope"), c("ZREM", "nz", "m"),
		c("ZREMRANGEBYRANK", "z", "10", "20"), c("ZREMRANGEBYRANK", "z", "0", "0"), c("ZREMRANGEBYRANK", "nokey", "0", "-1"),
		c("ZREMRANGEBYSCORE", "z", "100", "200"), c("ZREMRANGEBYSCORE", "z", "-inf", "+inf"), c("EXISTS", "z"),
		c("ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d"), c("ZREMRANGEBYLEX", "z", "[x", "[z"),
		c("ZREMRANGEBYLEX", "z", "[a", "[b"), c("ZREMRANGEBYLEX", "z", "-", "+"), c("ZREMRANGEBYLEX", "nokey", "-", "+"),
		c("ZREMRANGEBYSCORE", "str", "0", "1"), c("ZREMRANGEBYRANK", "nz2", "0", "-1"),
		// pops: zpopmin/zpopmax, del after the last member
		c("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), c("ZPOPMIN", "z"), c("ZPOPMAX", "z"), c("ZPOPMIN", "z", "0"),
		c("ZPOPMIN", "z", "5"), c("ZPOPMIN", "nokey"), c("ZPOPMAX", "nokey", "3"),
		c("ZADD", "z", "1", "a", "2", "b", "3", "c"), c("ZPOPMAX", "z", "1"), c("ZPOPMAX", "z", "2"),
		c("ZADD", "z", "1", "a", "2", "b", "3", "c"), c("ZMPOP", "2", "nokey", "z", "MIN"),
		c("ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "5"), c("ZMPOP", "1", "nokey", "MIN"), c("ZMPOP", "1", "str", "MIN"),
		c("ZADD", "z", "1", "a"), c("BZPOPMIN", "z", "0"), c("ZADD", "z", "1", "a", "2", "b"), c("BZPOPMAX", "z", "0"),
		c("BZPOPMAX", "z", "0"), c("ZADD", "z", "1", "a", "2", "b"), c("BZMPOP", "0", "1", "z", "MIN", "COUNT", "10"),
		c("BZPOPMIN", "nokey", "0.01"), c("BZMPOP", "0.01", "1", "nokey", "MAX"),
		// the STORE forms
		c("ZADD", "a", "1", "x", "2", "y"), c("ZADD", "b", "3", "y", "4", "z"),
		c("ZUNIONSTORE", "d", "2", "a", "b"), c("ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "2", "3"),
		c("ZINTERSTORE", "d", "2", "a", "nokey"), c("ZINTERSTORE", "d", "2", "a", "nokey"),
		c("ZINTERSTORE", "d", "2", "a", "b", "AGGREGATE", "MAX"), c("ZDIFFSTORE", "d", "2", "a", "b"),
		c("ZDIFFSTORE", "d", "2", "a", "a"), c("ZDIFFSTORE", "d", "1", "nokey"), c("ZUNIONSTORE", "d", "1", "nokey"),
		c("SADD", "s", "y"), c("ZINTERSTORE", "d", "2", "a", "s"), c("ZUNIONSTORE", "a", "1", "a"),
		c("ZUNIONSTORE", "str", "1", "a"), c("SET", "str", "v"), c("ZUNIONSTORE", "str", "1", "nokey"),
		c("ZINTERSTORE", "d", "1", "a", "WEIGHTS", "x"), c("ZUNIONSTORE", "d", "2", "a", "str"),
		c("ZRANGESTORE", "d2", "a", "0", "-1"), c("ZRANGESTORE", "d2", "a", "0", "-1"), c("ZRANGESTORE", "d2", "a", "5", "10"),
		c("ZRANGESTORE", "d2", "a", "5", "10"), c("ZRANGESTORE", "d3", "nokey", "0", "-1"),
		c("ZRANGESTORE", "d2", "a", "(1", "+inf", "BYSCORE"), c("ZRANGESTORE", "d2", "a", "[x", "+", "BYLEX", "REV"),
		c("ZRANGESTORE", "str", "a", "0", "-1"), c("ZRANGESTORE", "str", "a", "10", "20"), c("ZRANGESTORE", "d2", "str", "0", "-1"),
		c("ZUNION", "2", "a", "b"), c("ZINTERCARD", "2", "a", "b"), c("ZRANGE", "a", "0", "-1"), c("ZSCORE", "a", "x"),
		c("DEL", "a", "b", "d", "d2", "s", "nz2"),
	}
}

func geoEventScript() []ksStep {
	c := func(args ...string) ksStep { return ksStep{args: args} }
	return []ksStep{
		// GEOADD is a ZADD: its event is zadd
		c("GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
		c("GEOADD", "g", "13.361389", "38.115556", "Palermo"), c("GEOADD", "g", "NX", "1", "1", "Palermo"),
		c("GEOADD", "g", "XX", "1", "1", "Palermo"), c("GEOADD", "g", "XX", "1", "1", "nope"),
		c("GEOADD", "g", "CH", "1", "1", "Palermo"), c("GEOADD", "g2", "XX", "1", "1", "a"),
		c("GEOADD", "g", "13.361389", "38.115556", "Palermo"), c("GEOADD", "g", "200", "1", "bad"),
		c("GEOSEARCHSTORE", "gs", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"),
		c("GEOSEARCHSTORE", "gs", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "STOREDIST"),
		c("GEOSEARCHSTORE", "gs", "g", "FROMLONLAT", "100", "0", "BYRADIUS", "1", "km"),
		c("GEOSEARCHSTORE", "gs", "g", "FROMLONLAT", "100", "0", "BYRADIUS", "1", "km"),
		c("GEOSEARCHSTORE", "gs", "g", "FROMMEMBER", "Catania", "BYBOX", "400", "400", "km", "COUNT", "1"),
		c("GEOSEARCHSTORE", "gs", "nokey", "FROMLONLAT", "100", "0", "BYRADIUS", "1", "km"),
		c("GEOSEARCHSTORE", "gs", "nokey", "FROMLONLAT", "100", "0", "BYRADIUS", "1", "km"),
		c("GEOSEARCHSTORE", "gs", "g", "FROMMEMBER", "nomember", "BYRADIUS", "1", "km"),
		c("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "gr"), c("GEORADIUS", "g", "15", "37", "200", "km", "STOREDIST", "gr"),
		c("GEORADIUS", "g", "100", "0", "1", "km", "STORE", "gr"), c("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "gr"),
		c("GEORADIUS", "nokey", "100", "0", "1", "km", "STORE", "gr"), c("GEORADIUS", "nokey", "100", "0", "1", "km", "STORE", "gr"),
		c("GEORADIUSBYMEMBER", "g", "Catania", "200", "km", "STORE", "grm"),
		c("GEORADIUSBYMEMBER", "g", "Catania", "200", "km", "STOREDIST", "grm"),
		c("GEORADIUSBYMEMBER", "g", "nomember", "200", "km", "STORE", "grm"),
		c("GEORADIUS", "g", "15", "37", "200", "km", "WITHDIST", "STORE", "grm"),
		c("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"), c("GEORADIUS_RO", "g", "15", "37", "200", "km"),
		c("GEOPOS", "g", "Palermo"), c("GEODIST", "g", "Palermo", "Catania"), c("GEOHASH", "g", "Palermo"),
		c("ZREM", "g", "Palermo", "Catania"), c("DEL", "gs", "grm"),
		// SORT ... STORE of sets and sorted sets: sortstore
		c("SADD", "s", "3", "1", "2"), c("ZADD", "z", "1", "a"), c("SORT", "s", "STORE", "st"), c("SORT", "s", "STORE", "st"),
		c("SORT", "nokey", "STORE", "st"), c("SORT", "nokey", "STORE", "st"), c("SORT", "z", "ALPHA", "STORE", "st"),
		c("SORT", "z", "STORE", "st"), c("DEL", "s", "z", "st"),
	}
}

// zsetBlockingEventScript: a blocked BZPOPMIN, BZPOPMAX or BZMPOP served by
// another client's write: the write's events, then the pop's (zpopmin or
// zpopmax, and del when it took the last member).
func zsetBlockingEventScript() []ksStep {
	c := func(args ...string) ksStep { return ksStep{args: args} }
	block := func(args ...string) ksStep { return ksStep{args: args, block: true} }
	serves := func(args ...string) ksStep { return ksStep{args: args, served: true} }
	return []ksStep{
		block("BZPOPMIN", "bz", "0"), serves("ZADD", "bz", "1", "a"), c("EXISTS", "bz"),
		block("BZPOPMAX", "nokey", "bz", "0"), serves("ZADD", "bz", "1", "a", "2", "b"), c("DEL", "bz"),
		block("BZMPOP", "0", "2", "bz2", "bz", "MIN", "COUNT", "5"), serves("ZINCRBY", "bz", "1", "x"),
		block("BZMPOP", "0", "1", "bz", "MAX"), c("ZUNIONSTORE", "bz", "1", "nokey2"),
		c("ZADD", "src", "1", "m", "2", "n"), serves("ZUNIONSTORE", "bz", "1", "src"), c("DEL", "bz"),
		block("BZPOPMIN", "bz", "0"), serves("GEOADD", "bz", "1", "1", "place"),
		// a script's writes (as an EXEC's) serve the waiter once it is over
		block("BZPOPMIN", "bz", "0"),
		serves("EVAL", "redis.call('ZADD', KEYS[1], 1, 'a'); redis.call('ZADD', KEYS[1], 2, 'b')", "1", "bz"),
		block("BZPOPMAX", "bz3", "0"), c("SADD", "bz3", "a"), c("DEL", "bz3"), serves("ZRANGESTORE", "bz3", "src", "0", "0"),
		c("DEL", "src", "bz"),
	}
}

// readMissScript: the set, sorted set and geo reads record keymiss for a
// missing key (class m), the writes and the blocking pops do not; an
// argument error found before the lookup records nothing.
func readMissScript() []ksStep {
	c := func(args ...string) ksStep { return ksStep{args: args} }
	return []ksStep{
		c("SMEMBERS", "nokey"), c("SISMEMBER", "nokey", "a"), c("SMISMEMBER", "nokey", "a", "b"), c("SCARD", "nokey"),
		c("SRANDMEMBER", "nokey"), c("SRANDMEMBER", "nokey", "3"), c("SRANDMEMBER", "nokey", "x"),
		c("SINTER", "nokey", "nokey2"), c("SINTERCARD", "2", "nokey", "nokey2"), c("SINTERCARD", "2", "nokey", "nokey2", "LIMIT", "-1"),
		c("SUNION", "nokey", "nokey2"), c("SDIFF", "nokey", "nokey2"), c("SSCAN", "nokey", "0"), c("SSCAN", "nokey", "x"),
		c("ZRANGE", "nokey", "0", "-1"), c("ZRANGE", "nokey", "0", "-1", "BYLEX"), c("ZRANGEBYSCORE", "nokey", "0", "1"),
		c("ZREVRANGEBYLEX", "nokey", "+", "-"), c("ZSCORE", "nokey", "a"), c("ZMSCORE", "nokey", "a"), c("ZCARD", "nokey"),
		c("ZRANK", "nokey", "a"), c("ZREVRANK", "nokey", "a"), c("ZCOUNT", "nokey", "0", "1"), c("ZCOUNT", "nokey", "x", "1"),
		c("ZLEXCOUNT", "nokey", "-", "+"), c("ZRANDMEMBER", "nokey"), c("ZRANDMEMBER", "nokey", "2", "WITHSCORES"),
		c("ZUNION", "1", "nokey"), c("ZINTER", "2", "nokey", "nokey2"), c("ZINTERCARD", "1", "nokey"), c("ZDIFF", "1", "nokey"),
		c("ZUNION", "1", "nokey", "WEIGHTS", "x"), c("ZSCAN", "nokey", "0"),
		c("GEOPOS", "nokey", "a"), c("GEODIST", "nokey", "a", "b"), c("GEODIST", "nokey", "a", "b", "parsec"),
		c("GEOHASH", "nokey", "a"), c("GEOSEARCH", "nokey", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"),
		c("GEORADIUS_RO", "nokey", "1", "1", "1", "km"), c("GEORADIUSBYMEMBER_RO", "nokey", "a", "1", "km"),
		c("SINTERSTORE", "d", "nokey"), c("ZUNIONSTORE", "d", "1", "nokey"), c("ZRANGESTORE", "d", "nokey", "0", "-1"),
		c("GEOSEARCHSTORE", "d", "nokey", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"),
		c("GEORADIUS", "nokey", "1", "1", "1", "km", "STORE", "d"),
		c("SMOVE", "nokey", "d", "a"), c("SPOP", "nokey"), c("SREM", "nokey", "a"), c("ZREM", "nokey", "a"),
		c("ZPOPMIN", "nokey"), c("ZMPOP", "1", "nokey", "MIN"), c("BZPOPMIN", "nokey", "0.01"),
		c("ZREMRANGEBYRANK", "nokey", "0", "-1"), c("ZADD", "nokey", "XX", "1", "a"),
		c("SADD", "s", "1"), c("ZADD", "z", "1", "a"), c("SINTER", "s", "nokey"), c("SUNIONSTORE", "d", "s", "nokey"),
		c("SDIFFSTORE", "d2", "nokey", "s"), c("ZUNION", "2", "nokey", "z"), c("ZINTERSTORE", "d3", "2", "z", "nokey"),
		c("ZUNIONSTORE", "d3", "2", "s", "z"), c("SMEMBERS", "z"), c("ZSCORE", "s", "a"),
		c("DEL", "s", "z", "d", "d2", "d3"),
	}
}

// TestTrackingSetsRedisDiff: writes of sets and sorted sets invalidate the
// keys a client tracks, and a write that changes nothing sends nothing,
// against redis-server.
func TestTrackingSetsRedisDiff(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	c := func(on int, args ...string) psStep { return psStep{on: on, args: args} }
	read := func(on, n int) psStep { return psStep{on: on, n: n} }
	steps := []psStep{
		c(1, "FLUSHALL"),
		c(0, "HELLO", "3").norm1(diffHello),
		c(0, "CLIENT", "TRACKING", "ON"),
		c(1, "SADD", "s", "1", "2"), c(1, "ZADD", "z", "1", "a", "2", "b"),
		c(0, "SMEMBERS", "s"), c(0, "ZRANGE", "z", "0", "-1", "WITHSCORES"),
		c(1, "SADD", "s", "1"), c(1, "ZADD", "z", "1", "a"), c(1, "SREM", "s", "zz"), c(1, "ZREM", "z", "zz"),
		c(0, "PING"), // the no-op writes sent nothing
		c(1, "SADD", "s", "3"), read(0, 1),
		c(1, "ZINCRBY", "z", "1", "a"), read(0, 1),
		c(0, "SCARD", "s"), c(0, "ZSCORE", "z", "a"),
		c(1, "SPOP", "s", "0"), c(1, "ZPOPMIN", "z", "0"), c(0, "PING"),
		c(1, "SREM", "s", "1"), read(0, 1),
		c(1, "ZPOPMIN", "z"), read(0, 1),
		c(0, "SISMEMBER", "s", "2"), c(0, "ZCARD", "z"), c(0, "SMEMBERS", "d"), c(0, "ZSCORE", "zd", "a"),
		c(1, "SMOVE", "s", "d", "2"), read(0, 2),
		c(1, "ZUNIONSTORE", "zd", "1", "z"), read(0, 1),
		c(0, "SMEMBERS", "s"), c(0, "SCARD", "d"), c(0, "ZCARD", "zd"),
		c(1, "SINTERSTORE", "d", "nokey"), read(0, 1),
		c(1, "ZRANGESTORE", "zd", "nokey", "0", "-1"), read(0, 1),
		c(0, "ZRANGE", "g", "0", "-1"), c(1, "GEOADD", "g", "1", "1", "p"), read(0, 1),
		c(0, "ZCARD", "g"), c(1, "ZREMRANGEBYSCORE", "g", "-inf", "+inf"), read(0, 1),
		c(0, "SMEMBERS", "s"), cnOwn(0, "SADD", "s", "9"), // own write: the reply, then the invalidation
		c(0, "PING"),
	}
	runPubSubDiff(t, fc.addr, redisAddr, 2, steps)
}

// cnOwn is a client's own write of a key it tracks: its reply and the
// invalidation that follows it.
func cnOwn(on int, args ...string) psStep { return psStep{on: on, args: args, n: 2} }

// readMissScriptHLS: the hash, list and stream reads record keymiss for a
// missing key, the writes do not.
func readMissScriptHLS() []ksStep {
	c := func(args ...string) ksStep { return ksStep{args: args} }
	return []ksStep{
		c("HGET", "nokey", "f"), c("HMGET", "nokey", "f", "g"), c("HGETALL", "nokey"), c("HKEYS", "nokey"),
		c("HVALS", "nokey"), c("HLEN", "nokey"), c("HSTRLEN", "nokey", "f"), c("HEXISTS", "nokey", "f"),
		c("HRANDFIELD", "nokey"), c("HRANDFIELD", "nokey", "2"), c("HRANDFIELD", "nokey", "-2", "WITHVALUES"),
		c("HSCAN", "nokey", "0"),
		c("LLEN", "nokey"), c("LINDEX", "nokey", "0"), c("LRANGE", "nokey", "0", "-1"), c("LPOS", "nokey", "a"),
		c("XRANGE", "nokey", "-", "+"), c("XREVRANGE", "nokey", "+", "-"), c("XLEN", "nokey"),
		c("XPENDING", "nokey", "g"), c("XINFO", "STREAM", "nokey"), c("XINFO", "GROUPS", "nokey"),
		c("HDEL", "nokey", "f"), c("HINCRBY", "nokey2", "f", "1"), c("LPOP", "nokey"), c("RPOP", "nokey", "0"),
		c("LREM", "nokey", "0", "a"), c("XDEL", "nokey", "1-1"), c("XTRIM", "nokey", "MAXLEN", "0"),
		c("HSET", "h", "f", "v"), c("RPUSH", "l", "a"), c("XADD", "x", "1-1", "f", "v"),
		c("HGET", "h", "nofield"), c("LINDEX", "l", "5"), c("XRANGE", "x", "5", "+"),
		c("DEL", "h", "l", "x", "nokey2"),
	}
}
