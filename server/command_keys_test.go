package server

import (
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Movable keys (command_keys.go): COMMAND GETKEYS and the keys a tracking
// client reads, against redis-server.

func TestRedisDiffMovableKeys(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: append([]string{"COMMAND", "GETKEYS"}, args...)} }
	steps := []diffStep{
		c("ZUNIONSTORE", "d", "2", "a", "b"), c("ZUNIONSTORE", "d", "5", "a", "b"), c("ZINTERSTORE", "d", "1", "a", "WEIGHTS", "2"),
		c("ZDIFFSTORE", "d", "0", "a"), c("ZUNION", "0", "a"), c("ZUNION", "2", "a", "b", "WITHSCORES"), c("ZINTER", "1", "a"),
		c("ZDIFF", "x", "a"), c("ZINTERCARD", "2", "a", "b", "LIMIT", "1"), c("SINTERCARD", "3", "a", "b", "c"),
		c("LMPOP", "2", "a", "b", "LEFT"), c("LMPOP", "3", "a", "b", "LEFT"), c("ZMPOP", "1", "a", "MIN", "COUNT", "2"),
		c("BLMPOP", "0", "2", "a", "b", "LEFT"), c("BZMPOP", "0", "1", "a", "MIN"), c("BZMPOP", "0", "-1", "a", "MIN"),
		c("EVAL", "return 1", "0"), c("EVAL", "return 1", "2", "a", "b", "c"), c("EVAL", "return 1", "3", "a"),
		c("EVALSHA", "abc", "1", "k"), c("EVAL_RO", "s", "1", "k"), c("EVALSHA_RO", "s", "0"),
		c("FCALL", "f", "1", "a", "b"), c("FCALL_RO", "f", "0"),
		c("XREAD", "STREAMS", "a", "b", "0", "0"), c("XREAD", "STREAMS", "a", "b", "0"),
		c("XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "streams", "streams", "0", "0"),
		c("XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", ">"), c("XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "a", "b", ">", ">"),
		c("SORT", "k"), c("SORT", "k", "STORE", "d"), c("SORT", "k", "STORE", "d", "STORE", "e"),
		c("SORT", "k", "BY", "w_*", "LIMIT", "0", "1", "GET", "#", "STORE", "d"), c("SORT_RO", "k", "BY", "x"),
		c("GEORADIUS", "k", "1", "2", "3", "m"), c("GEORADIUS", "k", "1", "2", "3", "m", "STORE", "a"),
		c("GEORADIUS", "k", "1", "2", "3", "m", "STORE", "a", "STOREDIST", "b"),
		c("GEORADIUSBYMEMBER", "k", "m", "3", "km", "STOREDIST", "d"),
		c("ZADD", "k", "1", "m"), c("MSET", "a", "1", "b", "2"), c("PING", "x"),
	}
	runDiffScripts(t, []diffScript{{"getkeys-movable", steps}})
}

// A tracking client that reads keys through a movable-key command (ZUNION,
// SINTERCARD, XREAD, SORT_RO, EVAL_RO) is told when any of them changes,
// as Redis tells it.
func TestTrackingMovableKeysRedisDiff(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	c := func(on int, args ...string) psStep { return psStep{on: on, args: args} }
	read := func(on, n int) psStep { return psStep{on: on, n: n} }
	steps := []psStep{
		c(1, "FLUSHALL"),
		c(0, "HELLO", "3").norm1(diffHello),
		c(0, "CLIENT", "TRACKING", "ON"),
		c(1, "ZADD", "za", "1", "a"), c(1, "ZADD", "zb", "2", "b"),
		c(0, "ZUNION", "2", "za", "zb"),
		c(1, "ZADD", "zb", "3", "c"),
		read(0, 1),
		c(0, "ZINTER", "2", "za", "zb"), c(0, "ZDIFF", "1", "za"),
		c(1, "ZREM", "za", "a"),
		read(0, 1),
		c(1, "SADD", "s1", "x"), c(1, "SADD", "s2", "x"),
		c(0, "SINTERCARD", "2", "s1", "s2"),
		c(1, "SADD", "s2", "y"),
		read(0, 1),
		c(1, "XADD", "st", "1-1", "f", "v"),
		c(0, "XREAD", "STREAMS", "st", "0"),
		c(1, "XADD", "st", "2-1", "f", "v"),
		read(0, 1),
		c(1, "RPUSH", "l", "3", "1", "2"),
		c(0, "SORT_RO", "l"),
		c(1, "RPUSH", "l", "0"),
		read(0, 1),
		c(1, "SET", "ev", "1"),
		c(0, "EVAL_RO", "return redis.call('GET', KEYS[1])", "1", "ev"),
		c(1, "SET", "ev", "2"),
		read(0, 1),
		c(0, "PING"),
	}
	runPubSubDiff(t, fc.addr, redisAddr, 2, steps)
}

// TestRedisDiffCommandInfo: for every command and subcommand both servers
// have, COMMAND INFO's name, arity, flags (in Redis's order), key positions,
// ACL categories, tips and key specifications are redis-server's. Client
// libraries and proxies read them (which commands write, which block,
// where the keys are).
func TestRedisDiffCommandInfo(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr, Protocol: 2})
	defer rdb.Close()
	fdb := fc.client(t, 2)
	// The shard channels are keys in Redis's key specs (flagged not_key);
	// here they are channels only.
	known := map[string]bool{"spublish": true, "ssubscribe": true, "sunsubscribe": true}
	table := func(c *redis.Client) map[string]string {
		t.Helper()
		all, err := c.Do(ctx(), "COMMAND").Slice()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		var add func(e []any)
		add = func(e []any) {
			out[e[0].(string)] = fmt.Sprint(e[:9])
			if len(e) >= 10 {
				for _, s := range e[9].([]any) {
					add(s.([]any))
				}
			}
		}
		for _, e := range all {
			add(e.([]any))
		}
		return out
	}
	want, got := table(rdb), table(fdb)
	compared := 0
	for name, g := range got {
		w, ok := want[name]
		if !ok || known[name] {
			continue
		}
		compared++
		if g != w {
			t.Errorf("COMMAND INFO %s:\n fastcache %s\n redis     %s", name, g, w)
		}
	}
	if compared < 250 {
		t.Fatalf("only %d commands compared", compared)
	}
}

// TestRedisDiffGetKeysAndFlags: COMMAND GETKEYSANDFLAGS names the keys of
// calls of every key-finding style with redis-server's flags for each, and
// COMMAND INFO's RESP3 form (sets, maps) is redis-server's byte for byte.
func TestRedisDiffGetKeysAndFlags(t *testing.T) {
	c := func(args ...string) diffStep {
		return diffStep{args: append([]string{"COMMAND", "GETKEYSANDFLAGS"}, args...)}
	}
	steps := []diffStep{
		c("get", "k"), c("set", "k", "v"), c("set", "k", "v", "get"), c("set", "k", "v", "GET", "ex", "10"),
		c("mset", "a", "1", "b", "2"), c("mget", "a", "b", "c"), c("del", "a", "b"), c("watch", "a"),
		c("lmove", "a", "b", "left", "right"), c("rpoplpush", "a", "b"), c("blmove", "a", "b", "left", "right", "0"),
		c("smove", "a", "b", "m"), c("rename", "a", "b"), c("renamenx", "a", "b"), c("copy", "a", "b"),
		c("zunionstore", "d", "2", "a", "b"), c("zinterstore", "d", "2", "a", "b", "weights", "1", "2"),
		c("zdiffstore", "d", "2", "a", "b"), c("zunion", "2", "a", "b"), c("zinter", "2", "a", "b"),
		c("zrangestore", "d", "s", "0", "-1"), c("sunionstore", "d", "a", "b"), c("sinterstore", "d", "a"),
		c("sdiffstore", "d", "a", "b"), c("sintercard", "2", "a", "b"), c("zintercard", "2", "a", "b"),
		c("lmpop", "2", "a", "b", "left"), c("blmpop", "0", "2", "a", "b", "left"), c("zmpop", "2", "a", "b", "min"),
		c("bzmpop", "0", "2", "a", "b", "min"), c("blpop", "a", "b", "0"), c("bzpopmin", "a", "b", "0"),
		c("eval", "return 1", "2", "a", "b", "x"), c("evalsha", "abc", "1", "a"), c("fcall", "f", "2", "a", "b"),
		c("fcall_ro", "f", "1", "a"), c("eval_ro", "return 1", "1", "a"),
		c("xread", "count", "2", "streams", "a", "b", "0", "0"), c("xread", "streams", "a", "0"),
		c("xreadgroup", "group", "g", "c", "streams", "a", "b", ">", ">"), c("xadd", "s", "*", "f", "v"),
		c("georadius", "k", "0", "0", "1", "m", "store", "d"), c("georadius", "k", "0", "0", "1", "m", "storedist", "e"),
		c("georadiusbymember", "k", "m", "1", "km", "store", "d"), c("geosearchstore", "d", "s", "frommember", "m", "byradius", "1", "m"),
		c("sort", "a"), c("sort", "a", "by", "x", "store", "d"), c("sort", "a", "STORE", "d", "get", "#"), c("sort_ro", "a", "by", "x"),
		c("bitfield", "a", "get", "u8", "0"), c("bitfield", "a", "get", "u8", "0", "incrby", "u8", "0", "1"),
		c("bitfield", "a", "set", "u8", "0", "1"), c("bitfield_ro", "a", "get", "u8", "0"), c("bitop", "and", "d", "a", "b"),
		c("migrate", "h", "1", "k", "0", "5"), c("migrate", "h", "1", "", "0", "5", "keys", "a", "b"),
		c("migrate", "h", "1", "", "0", "5", "copy", "replace", "keys", "a"),
		c("object", "encoding", "k"), c("memory", "usage", "k"), c("xinfo", "stream", "s"), c("xgroup", "create", "s", "g", "$"),
		c("lcs", "a", "b"), c("pfmerge", "d", "a", "b"), c("pfcount", "a", "b"), c("getex", "k", "ex", "1"), c("getdel", "k"),
		c("restore", "k", "0", "x"), c("dump", "k"), c("touch", "a", "b"), c("unlink", "a", "b"), c("exists", "a", "a"),
		c("hset", "h", "f", "v"), c("incr", "k"), c("append", "k", "v"), c("setrange", "k", "0", "v"), c("expire", "k", "1"),
		c("object", "freq", "k"), c("lpos", "l", "x"), c("linsert", "l", "before", "a", "b"), c("spop", "s"),
		c("nosuch", "k"), c("ping"), c("get"), c("eval", "return 1", "0"),
		// SET's GET is looked for among the options only; BITFIELD is
		// read-only while every operation is a complete GET or OVERFLOW
		c("set", "k", "get"), c("set", "get", "k"), c("set", "k", "get", "get"), c("set", "k", "v", "ex", "get"),
		c("bitfield", "a"), c("bitfield", "a", "overflow", "sat", "get", "u8", "0"), c("bitfield", "a", "get", "u8"),
		c("bitfield", "a", "get", "u8", "0", "nosuch"), c("bitfield", "a", "overflow"), c("bitfield", "a", "get", "set", "incrby"),
	}
	info := func(args ...string) diffStep { return diffStep{args: append([]string{"COMMAND", "INFO"}, args...)} }
	resp3 := []diffStep{
		{args: []string{"HELLO", "3"}, norm: diffHello},
		info("get", "set", "sort", "eval", "xread", "migrate", "randomkey", "zunionstore", "object|encoding", "xgroup|create"),
	}
	runDiffScripts(t, []diffScript{{"getkeysandflags", steps}, {"command-info-resp3", resp3}})
}
