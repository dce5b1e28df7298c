package server

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Keyspace notifications, differential: both servers get the same
// notify-keyspace-events and the same commands; a subscriber on each
// receives the events, and after every command the two message streams
// (and the replies) must be equal. A marker published after each command
// ends its batch of events (both servers deliver in order).

type ksStep struct {
	args  []string
	sleep time.Duration // before the command: let a TTL run out
	join  bool          // compare this step's events together with the next one's
	// block sends args on a second connection and waits until the server
	// counts it blocked (no reply read); served reads that connection's
	// reply after the step's command (the command served it).
	block, served bool
	anyReply      bool // the reply is random (SPOP): only the events are compared
}

func runKeyspaceDiff(t *testing.T, fcAddr, redisAddr, flags string, steps []ksStep) {
	t.Helper()
	addrs := [2]string{redisAddr, fcAddr}
	var sub, cmd [2]*diffConn
	for s, a := range addrs {
		sub[s], cmd[s] = diffDial(t, a), diffDial(t, a)
		for _, args := range [][]string{{"FLUSHALL"}, {"CONFIG", "SET", "notify-keyspace-events", flags}} {
			if r, err := cmd[s].do(args); err != nil || r != "+OK\r\n" {
				t.Fatalf("%q: %q %v", args, r, err)
			}
		}
		sub[s].conn.Write(diffEncode([]string{"PSUBSCRIBE", "__key*__:*"}))
		sub[s].conn.Write(diffEncode([]string{"SUBSCRIBE", "marker"}))
		for i := 0; i < 2; i++ {
			if _, err := diffReadReply(sub[s].br); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(func() {
		for s := range addrs {
			cmd[s].do([]string{"CONFIG", "SET", "notify-keyspace-events", ""})
		}
	})
	var got, replies [2]string
	var bg [2]*diffConn
	var blocked [2]int
	for i, st := range steps {
		if st.sleep > 0 {
			time.Sleep(st.sleep)
		}
		for s := range addrs {
			if st.block {
				if bg[s] == nil {
					bg[s] = diffDial(t, addrs[s])
				}
				if _, err := bg[s].conn.Write(diffEncode(st.args)); err != nil {
					t.Fatal(err)
				}
				blocked[s]++
				waitBlockedDiff(t, cmd[s], blocked[s])
			} else {
				r, err := cmd[s].do(st.args)
				if err != nil {
					t.Fatalf("step %d %q: %v", i, st.args, err)
				}
				if !st.anyReply {
					replies[s] += "reply " + r
				}
			}
			if st.served {
				bg[s].conn.SetDeadline(time.Now().Add(5 * time.Second))
				r, err := diffReadReply(bg[s].br)
				if err != nil {
					t.Fatalf("step %d %q: the blocked client's reply: %v", i, st.args, err)
				}
				blocked[s]--
				replies[s] += " served " + r
			}
			var b strings.Builder
			b.WriteString(got[s])
			marker := fmt.Sprint("m", i)
			if _, err := cmd[s].do([]string{"PUBLISH", "marker", marker}); err != nil {
				t.Fatal(err)
			}
			for {
				sub[s].conn.SetDeadline(time.Now().Add(5 * time.Second))
				m, err := diffReadReply(sub[s].br)
				if err != nil {
					t.Fatalf("step %d %q: %s: reading events: %v (got %q)", i, st.args, [2]string{"redis", "fastcache"}[s], err, b.String())
				}
				v, _, _ := parseResp(m)
				if len(v.elems) == 3 && v.elems[1].str == "marker" {
					if v.elems[2].str != marker {
						t.Fatalf("step %d: marker %q, want %q", i, v.elems[2].str, marker)
					}
					break
				}
				if len(v.elems) == 4 {
					b.WriteString(" | " + v.elems[2].str + " " + v.elems[3].str)
				} else {
					b.WriteString(" | ? " + m)
				}
			}
			got[s] = b.String()
		}
		if st.join {
			continue
		}
		if got[0] != got[1] || replies[0] != replies[1] {
			t.Errorf("step %d %q:\n  redis:     %q%q\n  fastcache: %q%q", i, st.args, replies[0], got[0], replies[1], got[1])
		}
		got, replies = [2]string{}, [2]string{}
	}
}

// keyspaceScript exercises every string and key command's events.
func keyspaceScript() []ksStep {
	c := func(args ...string) ksStep { return ksStep{args: args} }
	after := func(d time.Duration, args ...string) ksStep { return ksStep{args: args, sleep: d} }
	return []ksStep{
		c("SET", "k", "v"),
		c("SET", "k", "v2"),
		c("SET", "k", "v3", "XX"),
		c("SET", "k", "v4", "NX"),
		c("SET", "n", "v", "NX"),
		c("SET", "k", "v5", "GET"),
		c("SET", "nokey", "v", "XX", "GET"),
		c("SET", "e", "v", "EX", "100"),
		c("SET", "e", "v", "PX", "100000", "KEEPTTL"),
		c("SET", "e", "v", "KEEPTTL"),
		// Redis stores the key and expires it on the next lookup (or by the
		// active cycle); fastcache deletes it at once: the same events.
		{args: []string{"SET", "p", "v", "PXAT", "1"}, join: true},
		c("GET", "p"),
		c("SETNX", "k", "x"),
		c("SETNX", "sn", "x"),
		c("SETEX", "se", "100", "x"),
		c("PSETEX", "pse", "100000", "x"),
		c("GETSET", "k", "g"),
		c("GETSET", "gs", "g"),
		c("MSET", "m1", "a", "m2", "b", "k", "c"),
		c("MSETNX", "m1", "a", "m3", "b"),
		c("MSETNX", "m4", "a", "m5", "b"),
		c("GET", "k"),
		c("GET", "missing"),
		c("MGET", "k", "missing", "m1", "missing2"),
		c("GETDEL", "k"),
		c("GETDEL", "k"),
		c("SET", "k", "v"),
		c("GETEX", "k"),
		c("GETEX", "k", "EX", "100"),
		c("GETEX", "k", "PERSIST"),
		c("GETEX", "k", "PERSIST"),
		c("GETEX", "k", "PXAT", "1"),
		c("GETEX", "missing", "EX", "10"),
		c("INCR", "i"),
		c("INCR", "i"),
		c("INCRBY", "i", "5"),
		c("DECR", "i"),
		c("DECRBY", "i", "2"),
		c("INCR", "m1"),
		c("INCRBYFLOAT", "f", "1.5"),
		c("INCRBYFLOAT", "f", "1"),
		c("INCRBYFLOAT", "m1", "1"),
		c("APPEND", "a", "x"),
		c("APPEND", "a", "yz"),
		c("STRLEN", "a"),
		c("STRLEN", "missing"),
		c("GETRANGE", "a", "0", "1"),
		c("GETRANGE", "missing", "0", "1"),
		c("SETRANGE", "sr", "2", "ab"),
		c("SETRANGE", "sr", "0", "x"),
		c("SETRANGE", "sr", "0", ""),
		c("SETRANGE", "sr2", "0", ""),
		c("SETBIT", "b", "3", "1"),
		c("SETBIT", "b", "3", "1"),
		c("SETBIT", "b", "100", "0"),
		c("GETBIT", "b", "3"),
		c("GETBIT", "missing", "3"),
		c("BITCOUNT", "b"),
		c("BITCOUNT", "missing"),
		c("BITPOS", "b", "1"),
		c("BITPOS", "missing", "1"),
		c("BITOP", "OR", "bo", "b", "missing"),
		c("BITOP", "AND", "bo", "missing", "missing2"),
		c("BITOP", "AND", "bo2", "missing"),
		c("EXISTS", "k", "missing", "k"),
		c("TOUCH", "k", "missing"),
		c("TYPE", "k"),
		c("TYPE", "missing"),
		c("TTL", "k"),
		c("PTTL", "missing"),
		c("EXPIRETIME", "missing"),
		c("PEXPIRETIME", "k"),
		c("OBJECT", "ENCODING", "missing"),
		c("EXPIRE", "k", "100"),
		c("EXPIRE", "k", "100", "NX"),
		c("PEXPIRE", "k", "100000", "XX"),
		c("EXPIREAT", "k", "99999999999"),
		c("PEXPIREAT", "k", "99999999999999", "GT"),
		c("EXPIRE", "missing", "100"),
		c("PERSIST", "k"),
		c("PERSIST", "k"),
		c("EXPIRE", "k", "-1"),
		c("SET", "k", "v"),
		c("RENAME", "k", "r"),
		c("RENAME", "r", "r"),
		c("RENAME", "missing", "x"),
		c("RENAME", "r", "m1"),
		c("RENAMENX", "m1", "m2"),
		c("RENAMENX", "m1", "fresh"),
		c("COPY", "fresh", "cp"),
		c("COPY", "fresh", "cp"),
		c("COPY", "fresh", "cp", "REPLACE"),
		c("COPY", "missing", "cp2"),
		c("DEL", "cp", "missing", "fresh"),
		c("UNLINK", "m2", "m3"),
		c("DEL", "missing"),
		c("SET", "t", "v", "PX", "30"),
		after(60*time.Millisecond, "GET", "t"), // expired lazily, or by the active cycle meanwhile
		c("SET", "t", "v", "PX", "30"),
		after(60*time.Millisecond, "SET", "t", "new"),
		c("SET", "t", "v", "PX", "30"),
		after(60*time.Millisecond, "INCR", "t"),
		c("MSET", "t", "1", "t2", "2"),
		c("PEXPIRE", "t", "30"),
		after(60*time.Millisecond, "DEL", "t", "t2"),
		c("PEXPIRE", "t2", "30"),
		after(60*time.Millisecond, "EXISTS", "t2"),
		c("WATCH", "missing", "k"),
		c("UNWATCH"),
		c("FLUSHALL"),
		c("SET", "k", "v"),
		c("FLUSHDB"),
		c("SWAPDB", "0", "0"),
	}
}

// collectionScript: the generic events of collections, which Keyspace.Change
// records for every type ("new" when created, "del" when emptied); the
// type's own events (hset, ...) are its commands'.
func collectionScript() []ksStep {
	c := func(args ...string) ksStep { return ksStep{args: args} }
	return []ksStep{
		c("HSET", "h", "f", "v"),
		c("HSET", "h", "g", "v"),
		c("HDEL", "h", "f"),
		c("HDEL", "h", "g"),
		c("HDEL", "h", "g"),
		c("HINCRBYFLOAT", "h2", "f", "inf"),
		c("HINCRBY", "h3", "f", "1"),
		c("RENAME", "h3", "h4"),
		c("DEL", "h4"),
		c("HGET", "missing", "f"),
	}
}

func TestKeyspaceEventsRedisDiff(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	for _, flags := range []string{"KEA", "KEAnm", "Kg$", "Exm", "En", "K$"} {
		t.Run(flags, func(t *testing.T) {
			runKeyspaceDiff(t, fc.addr, redisAddr, flags, keyspaceScript())
		})
	}
	t.Run("collections", func(t *testing.T) {
		runKeyspaceDiff(t, fc.addr, redisAddr, "KEgn", collectionScript())
	})
	t.Run("hashes", func(t *testing.T) {
		runKeyspaceDiff(t, fc.addr, redisAddr, "KEA", hashEventScript())
	})
	t.Run("lists", func(t *testing.T) {
		runKeyspaceDiff(t, fc.addr, redisAddr, "KEA", listEventScript())
	})
	// notify_sets_diff_test.go
	for _, sc := range []struct {
		name  string
		steps []ksStep
		flags string
	}{
		{"sets", setEventScript(), "KEAnm"}, {"zsets", zsetEventScript(), "KEAnm"}, {"geo", geoEventScript(), "KEAn"},
		{"zset-blocking", zsetBlockingEventScript(), "KEAn"}, {"set-zset-keymiss", readMissScript(), "KEAnm"}, {"hash-list-stream-keymiss", readMissScriptHLS(), "KEAnm"},
	} {
		t.Run(sc.name, func(t *testing.T) {
			runKeyspaceDiff(t, fc.addr, redisAddr, sc.flags, sc.steps)
		})
	}
}

// listEventScript: the list commands' own events (class l), with the
// generic new and del around them.
func listEventScript() []ksStep {
	c := func(args ...string) ksStep { return ksStep{args: args} }
	return []ksStep{
		c("RPUSH", "l", "a", "b", "c", "d"), c("LPUSH", "l", "z"), c("LPUSHX", "nokey", "x"), c("RPUSHX", "l", "e"),
		c("LPOP", "l"), c("RPOP", "l", "2"), c("LPOP", "l", "0"), c("LSET", "l", "0", "A"), c("LSET", "l", "9", "x"),
		c("LINSERT", "l", "BEFORE", "A", "p"), c("LINSERT", "l", "AFTER", "zz", "p"), c("LREM", "l", "0", "zz"),
		c("LREM", "l", "1", "p"), c("LTRIM", "l", "0", "-1"), c("LTRIM", "l", "1", "-1"),
		c("RPUSH", "m", "1", "2"), c("LMOVE", "m", "l", "LEFT", "RIGHT"), c("LMOVE", "l", "l", "LEFT", "RIGHT"),
		c("RPOPLPUSH", "m", "n"), c("LMPOP", "2", "nokey", "n", "LEFT"), c("BLPOP", "l", "0"),
		c("BRPOP", "l", "0"), c("RPUSH", "o", "3", "1", "2"), c("SORT", "o", "STORE", "s"), c("SORT", "o", "STORE", "s"),
		c("SORT", "nokey", "STORE", "s"), c("LTRIM", "o", "5", "10"), c("LRANGE", "o", "0", "-1"),
	}
}

// hashEventScript: the hash commands' own events (class h).
func hashEventScript() []ksStep {
	c := func(args ...string) ksStep { return ksStep{args: args} }
	return []ksStep{
		c("HSET", "h", "f", "v", "g", "w"), c("HMSET", "h", "a", "1"), c("HSETNX", "h", "a", "2"),
		c("HSETNX", "h", "b", "2"), c("HINCRBY", "h", "n", "3"), c("HINCRBYFLOAT", "h", "x", "1.5"),
		c("HINCRBY", "h", "f", "1"), c("HDEL", "h", "zz"), c("HDEL", "h", "f", "g"),
		c("HDEL", "h", "a", "b", "n", "x"), c("HGET", "h", "f"), c("HSET", "h2", "f", "v"), c("DEL", "h2"),
	}
}
