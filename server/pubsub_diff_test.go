package server

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// Differential tests of pub/sub: the same steps go to redis-server and to
// fastcache over several connections each (subscribers and publishers), and
// every reply and every message a subscriber receives must be equal byte for
// byte.

// psStep sends args on connection on (none: only reads) and reads n
// replies or messages from it (n 0 means 1 when args are given, -1 none).
type psStep struct {
	on    int
	args  []string // "$ID<n>" stands for the id of connection n on each server
	n     int
	norm  func([]string) []string
	sleep time.Duration // before the step: let a TTL run out
	ids   bool          // the replies name client ids: replaced by "$ID<n>"
	until string        // repeat args until this reply (not compared): wait for a state
}

// psSorted puts the confirmations of an UNSUBSCRIBE without arguments in
// the order of their names, keeping the counts where they were (each
// server answers in the order of its own hash table, and the counts go
// down one by one in both).
func psSorted(r []string) []string {
	type conf struct{ head, name, count string }
	var cs []conf
	for _, x := range r {
		v, rest, err := parseResp(x)
		if err != nil || rest != "" || len(v.elems) != 3 {
			return r
		}
		cs = append(cs, conf{x[:1] + v.elems[0].str, v.elems[1].str, v.elems[2].str})
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.name
	}
	sort.Strings(names)
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.head + " " + names[i] + " " + c.count
	}
	return out
}

func runPubSubDiff(t *testing.T, fcAddr, redisAddr string, conns int, steps []psStep) {
	t.Helper()
	addrs := [2]string{redisAddr, fcAddr}
	cs := make([][]*diffConn, 2)
	ids := make([][]string, 2)
	for s := range addrs {
		for i := 0; i < conns; i++ {
			dc := diffDial(t, addrs[s])
			cs[s] = append(cs[s], dc)
			r, err := dc.do([]string{"CLIENT", "ID"})
			if err != nil {
				t.Fatal(err)
			}
			ids[s] = append(ids[s], strings.TrimSpace(r[1:]))
		}
	}
	for i, st := range steps {
		n := st.n
		if n == 0 && st.args != nil {
			n = 1
		}
		n = max(n, 0) // -1: nothing to read (CLIENT REPLY OFF)
		if st.sleep > 0 {
			time.Sleep(st.sleep)
		}
		var got [2][]string
		for s := range addrs {
			dc := cs[s][st.on]
			if st.args != nil {
				args := append([]string(nil), st.args...)
				for j, a := range args {
					for k, id := range ids[s] {
						if a == fmt.Sprint("$ID", k) {
							args[j] = id
						}
					}
				}
				if st.until != "" {
					deadline := time.Now().Add(5 * time.Second)
					for {
						r, err := dc.do(args)
						if err == nil && r == st.until {
							break
						}
						if time.Now().After(deadline) {
							t.Fatalf("step %d %q: still %q %v", i, st.args, r, err)
						}
						time.Sleep(5 * time.Millisecond)
					}
					continue
				}
				if _, err := dc.conn.Write(diffEncode(args)); err != nil {
					t.Fatalf("step %d %q: write: %v", i, st.args, err)
				}
			}
			for j := 0; j < n; j++ {
				dc.conn.SetDeadline(time.Now().Add(5 * time.Second))
				r, err := diffReadReply(dc.br)
				if err != nil {
					t.Fatalf("step %d %q on %d: %s: reply %d: %v (read %q)", i, st.args, st.on, [2]string{"redis", "fastcache"}[s], j, err, r)
				}
				for k, id := range ids[s] {
					if st.ids {
						r = strings.ReplaceAll(r, ":"+id+"\r\n", fmt.Sprint(":$ID", k, "\r\n"))
					}
				}
				got[s] = append(got[s], r)
			}
			if st.norm != nil {
				got[s] = st.norm(got[s])
			}
		}
		if strings.Join(got[0], "") != strings.Join(got[1], "") {
			t.Errorf("step %d %q on %d:\n  redis:     %q\n  fastcache: %q", i, st.args, st.on, got[0], got[1])
		}
	}
}

func TestPubSubRedisDiff(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	c := func(on int, args ...string) psStep { return psStep{on: on, args: args} }
	cn := func(on, n int, args ...string) psStep { return psStep{on: on, args: args, n: n} }
	read := func(on, n int) psStep { return psStep{on: on, n: n} }
	scripts := []struct {
		name  string
		conns int
		steps []psStep
	}{
		// CLIENT REPLY OFF drops replies, not the confirmations of
		// (un)subscribing nor the messages (a subscriber waits for them):
		// Redis's "PubSub messages with CLIENT REPLY OFF"
		{"client reply off", 2, []psStep{
			cn(0, -1, "CLIENT", "REPLY", "OFF"),
			c(0, "SUBSCRIBE", "channel"),
			c(0, "PSUBSCRIBE", "ch*"),
			c(1, "PUBLISH", "channel", "hello"),
			read(0, 2),
			cn(0, -1, "PING"),
			c(0, "UNSUBSCRIBE"),
			c(0, "PUNSUBSCRIBE", "ch*"),
			cn(0, -1, "CLIENT", "REPLY", "SKIP"),
			cn(0, -1, "SET", "k", "v"),
			c(0, "CLIENT", "REPLY", "ON"),
			c(0, "HELLO", "3").norm1(func(string) string { return "" }),
			cn(0, -1, "CLIENT", "REPLY", "OFF"),
			c(0, "SUBSCRIBE", "channel"),
			c(1, "PUBLISH", "channel", "hello"),
			read(0, 1),
			c(0, "UNSUBSCRIBE", "channel"),
			cn(0, -1, "GET", "k"),
			c(0, "CLIENT", "REPLY", "ON"),
		}},
		// CONFIG SET maxmemory under the memory in use evicts at once
		// (pubsub.tcl "Keyspace notifications: evicted events"), also
		// from EXEC.
		{"evicted on config set maxmemory", 2, []psStep{
			c(0, "CONFIG", "SET", "notify-keyspace-events", "Ee"),
			c(0, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru"),
			c(0, "FLUSHALL"),
			c(1, "PSUBSCRIBE", "*"),
			c(0, "SET", "foo", "bar"),
			c(0, "CONFIG", "SET", "maxmemory", "1"),
			read(1, 1),
			c(0, "CONFIG", "SET", "maxmemory", "0"),
			c(0, "SET", "foo", "bar"),
			c(0, "MULTI"),
			c(0, "CONFIG", "SET", "maxmemory", "1"),
			c(0, "EXEC"),
			read(1, 1),
			c(0, "CONFIG", "SET", "maxmemory", "0"),
			c(0, "CONFIG", "SET", "maxmemory-policy", "noeviction"),
			c(0, "CONFIG", "SET", "notify-keyspace-events", ""),
		}},
		{"resp2 channels", 3, []psStep{
			c(0, "PUBSUB", "NUMSUB"),
			c(0, "PUBSUB", "NUMPAT"),
			c(0, "PUBSUB", "CHANNELS"),
			c(0, "PUBLISH", "news", "nobody"),
			cn(0, 2, "SUBSCRIBE", "news", "sport"),
			cn(0, 2, "SUBSCRIBE", "news", "weather"), // already subscribed: same confirmation, count unchanged
			cn(1, 1, "SUBSCRIBE", "news"),
			c(2, "PUBLISH", "news", "hello"),
			read(0, 1),
			read(1, 1),
			c(2, "PUBLISH", "sport", ""),
			read(0, 1),
			c(2, "PUBLISH", "nosuch", "x"),
			c(2, "PUBSUB", "NUMSUB", "news", "sport", "nosuch", "news"),
			c(2, "PUBSUB", "CHANNELS", "s*"),
			c(2, "PUBSUB", "CHANNELS", "[nw]*").norm1(diffSorted),
			c(2, "PUBSUB", "NUMPAT"),
			c(0, "PING"),
			c(0, "PING", "hi"),
			c(0, "GET", "x"),
			c(0, "CLIENT", "LIST"),
			c(0, "CLIENT", "NOSUCH"),
			c(0, "CLIENT", "KILL"),
			c(0, "CLIENT", "ID", "x"),
			c(0, "HELLO", "2"),
			c(0, "MULTI"),
			c(0, "CONFIG", "GET", "port"),
			cn(0, 2, "UNSUBSCRIBE", "sport", "nosuch"),
			c(2, "PUBLISH", "sport", "gone"),
			c(2, "PUBLISH", "news", "still"),
			read(0, 1),
			read(1, 1),
			psStep{on: 0, args: []string{"UNSUBSCRIBE"}, n: 2, norm: psSorted},
			c(0, "UNSUBSCRIBE"),
			c(0, "PING"),
			c(0, "SET", "k", "v"),
			c(1, "UNSUBSCRIBE", "news"),
			c(1, "GET", "k"),
			c(2, "PUBSUB", "CHANNELS"),
			c(2, "PUBSUB", "NUMSUB", "news"),
		}},
		{"resp2 patterns", 3, []psStep{
			cn(0, 3, "PSUBSCRIBE", "n*", "[ab]?", "x\\*"),
			cn(0, 1, "SUBSCRIBE", "news"),
			c(2, "PUBSUB", "NUMPAT"),
			c(2, "PUBLISH", "news", "twice"),
			read(0, 2),
			c(2, "PUBLISH", "a1", "one"),
			read(0, 1),
			c(2, "PUBLISH", "x*", "star"),
			c(2, "PUBLISH", "xy", "nostar"),
			read(0, 1),
			cn(1, 1, "PSUBSCRIBE", "n*"),
			c(2, "PUBSUB", "NUMPAT"),
			c(2, "PUBLISH", "nx", "both"),
			read(0, 1),
			read(1, 1),
			cn(0, 2, "PUNSUBSCRIBE", "n*", "zz"),
			c(2, "PUBLISH", "nx", "one left"),
			read(1, 1),
			c(2, "PUBSUB", "NUMPAT"),
			c(0, "PING"),
			psStep{on: 0, args: []string{"PUNSUBSCRIBE"}, n: 2, norm: psSorted},
			c(0, "PUNSUBSCRIBE"),
			c(0, "GET", "x"), // still subscribed to news
			c(0, "UNSUBSCRIBE"),
			c(0, "GET", "x"),
			c(1, "RESET"),
			c(1, "GET", "x"),
			c(2, "PUBSUB", "NUMPAT"),
		}},
		{"resp2 shard channels", 3, []psStep{
			cn(0, 2, "SSUBSCRIBE", "s1", "s2"),
			cn(0, 1, "SUBSCRIBE", "c1"),
			cn(0, 1, "SSUBSCRIBE", "s3"),
			c(1, "SPUBLISH", "s1", "m1"),
			read(0, 1),
			c(1, "PUBLISH", "s1", "not a shard message"),
			c(1, "SPUBLISH", "c1", "not a channel message"),
			c(1, "PUBSUB", "SHARDCHANNELS").norm1(diffSorted),
			c(1, "PUBSUB", "SHARDCHANNELS", "*2"),
			c(1, "PUBSUB", "SHARDNUMSUB", "s1", "s9"),
			c(1, "PUBSUB", "SHARDNUMSUB"),
			c(1, "PUBSUB", "CHANNELS"),
			cn(0, 2, "SUNSUBSCRIBE", "s1", "s9"),
			c(0, "GET", "x"),
			psStep{on: 0, args: []string{"SUNSUBSCRIBE"}, n: 2, norm: psSorted},
			c(0, "SUNSUBSCRIBE"),
			c(0, "GET", "x"),
			c(0, "UNSUBSCRIBE"),
			c(0, "GET", "x"),
			c(1, "MULTI"),
			c(1, "SSUBSCRIBE", "s1"),
			c(1, "EXEC"),
			c(1, "MULTI"),
			c(1, "SUBSCRIBE", "c2"),
			c(1, "EXEC"),
			c(1, "GET", "x"),
			c(1, "UNSUBSCRIBE"),
		}},
		{"resp3", 3, []psStep{
			c(0, "HELLO", "3").norm1(diffHello),
			cn(0, 2, "SUBSCRIBE", "a", "b"),
			cn(0, 1, "PSUBSCRIBE", "a*"),
			cn(0, 1, "SSUBSCRIBE", "s"),
			c(0, "SET", "k", "v"),
			c(0, "GET", "k"),
			c(0, "PING"),
			c(2, "PUBLISH", "a", "x"),
			read(0, 2),
			c(2, "SPUBLISH", "s", "y"),
			read(0, 1),
			c(0, "PUBLISH", "b", "self"),
			read(0, 1),
			cn(0, 1, "UNSUBSCRIBE", "a"),
			c(0, "UNSUBSCRIBE", "zz"),
			cn(0, 1, "PUNSUBSCRIBE"),
			cn(0, 1, "SUNSUBSCRIBE"),
			cn(0, 1, "UNSUBSCRIBE"),
			c(0, "UNSUBSCRIBE"),
			c(0, "GET", "k"),
		}},
		{"errors", 2, []psStep{
			c(0, "SUBSCRIBE"),
			c(0, "PSUBSCRIBE"),
			c(0, "SSUBSCRIBE"),
			c(0, "PUBLISH", "a"),
			c(0, "PUBLISH", "a", "b", "c"),
			c(0, "SPUBLISH", "a"),
			c(0, "PUBSUB"),
			c(0, "PUBSUB", "NOSUCH"),
			c(0, "PUBSUB", "NUMPAT", "x"),
			c(0, "PUBSUB", "CHANNELS", "a", "b"),
			c(0, "PUBSUB", "SHARDCHANNELS", "a", "b"),
			c(0, "PUBSUB", "HELP"),
			c(0, "PUBSUB", "HELP", "x"),
			c(0, "COMMAND", "INFO", "subscribe", "publish", "pubsub|numsub", "pubsub|help", "punsubscribe"),
			c(0, "COMMAND", "COUNT").norm1(func(string) string { return "" }),
			c(0, "CONFIG", "GET", "client-output-buffer-limit"),
			c(0, "CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 2k 5"),
			c(0, "CONFIG", "GET", "client-output-buffer-limit"),
			c(0, "CONFIG", "SET", "client-output-buffer-limit", "replica 1 2 3 normal 5 6 7"),
			c(0, "CONFIG", "GET", "client-output-buffer-limit"),
			c(0, "CONFIG", "SET", "client-output-buffer-limit", "bogus 1 2 3"),
			c(0, "CONFIG", "SET", "client-output-buffer-limit", "pubsub 1 2"),
			c(0, "CONFIG", "SET", "client-output-buffer-limit", "pubsub x 2 3"),
			c(0, "CONFIG", "SET", "client-output-buffer-limit", "pubsub 1 2 -3"),
			c(0, "CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60"),
			c(0, "CONFIG", "GET", "client-output-buffer-limit"),
			c(0, "CONFIG", "GET", "tracking-table-max-keys"),
			c(0, "CONFIG", "GET", "notify-keyspace-events"),
		}},
	}
	for _, sc := range scripts {
		t.Run(sc.name, func(t *testing.T) {
			runPubSubDiff(t, fc.addr, redisAddr, sc.conns, sc.steps)
		})
	}
}

// norm1 applies f to every reply of the step.
func (s psStep) norm1(f func(string) string) psStep {
	s.norm = func(r []string) []string {
		out := make([]string, len(r))
		for i, x := range r {
			out[i] = f(x)
		}
		return out
	}
	return s
}

// TestTrackingRedisDiff: CLIENT TRACKING's replies and every invalidation a
// client receives, byte for byte against redis-server.
func TestTrackingRedisDiff(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	c := func(on int, args ...string) psStep { return psStep{on: on, args: args} }
	cn := func(on, n int, args ...string) psStep { return psStep{on: on, args: args, n: n} }
	read := func(on, n int) psStep { return psStep{on: on, n: n} }
	after := func(d time.Duration, on int, args ...string) psStep { return psStep{on: on, args: args, sleep: d} }
	scripts := []struct {
		name  string
		conns int
		steps []psStep
	}{
		// A script that runs a read-only command makes its caller track
		// the keys it declared (not those it read); EVAL_RO and FCALL_RO
		// are no reads by themselves (tracking.tcl "Tracking only occurs
		// for scripts when a command calls a read-only command").
		{"scripts track their declared keys", 2, []psStep{
			c(1, "FLUSHALL"),
			c(0, "HELLO", "3").norm1(diffHello),
			c(0, "CLIENT", "TRACKING", "ON"),
			c(0, "EVAL", "redis.call('set', 'key3{t}', 'bar')", "2", "key1{t}", "key2{t}"),
			c(1, "MSET", "key2{t}", "1", "key1{t}", "1"),
			c(0, "EVAL", "redis.call('get', 'key3{t}')", "2", "key1{t}", "key2{t}"),
			c(1, "MSET", "key2{t}", "2", "key1{t}", "2", "key3{t}", "x"),
			read(0, 2),
			c(0, "EVAL_RO", "redis.call('ping')", "2", "key1{t}", "key2{t}"),
			c(1, "MSET", "key2{t}", "2", "key1{t}", "2"),
			c(0, "EVAL_RO", "return redis.call('get', 'key8{t}')", "1", "key9{t}"),
			c(1, "MSET", "key8{t}", "2", "key9{t}", "2"),
			read(0, 1),
			c(0, "FUNCTION", "LOAD", "REPLACE", "#!lua name=tl\nredis.register_function('tg', function(k, a) return redis.call('get', 'key5{t}') end)"),
			c(0, "FCALL", "tg", "1", "key6{t}"),
			c(1, "MSET", "key5{t}", "2", "key6{t}", "2"),
			read(0, 1),
			c(0, "PING"),
			c(0, "CLIENT", "TRACKING", "OFF"),
		}},
		{"resp3 default", 3, []psStep{
			c(2, "FLUSHALL"),
			c(0, "HELLO", "3").norm1(diffHello),
			c(0, "CLIENT", "TRACKINGINFO"),
			c(0, "CLIENT", "GETREDIR"),
			c(0, "CLIENT", "TRACKING", "ON"),
			c(0, "CLIENT", "TRACKINGINFO"),
			c(0, "CLIENT", "GETREDIR"),
			c(0, "GET", "k"),
			c(1, "SET", "k", "v"),
			read(0, 1),
			c(1, "SET", "k", "v2"), // forgotten until read again
			c(0, "PING"),
			c(0, "GET", "k"),
			cn(0, 2, "SET", "k", "mine"), // own change: the reply, then the invalidation
			c(0, "MGET", "a", "b", "c"),
			c(1, "MSET", "a", "1", "b", "2", "z", "3"),
			read(0, 2),
			c(0, "STRLEN", "c"),
			c(0, "EXISTS", "k"),
			c(1, "APPEND", "c", "x"),
			read(0, 1),
			c(1, "DEL", "k", "c"),
			read(0, 1),
			c(0, "GET", "e"),
			c(1, "SET", "e", "v", "PX", "300"), // invalidates, and is read again below
			read(0, 1),
			c(0, "GET", "e"),                           // (the TTL leaves room for a slow machine to get here first)
			after(400*time.Millisecond, 1, "GET", "e"), // expired (lazily or actively): invalidated
			read(0, 1),
			c(0, "GET", "r1"),
			c(1, "SET", "r1", "x"),
			read(0, 1),
			c(0, "GET", "r1"),
			c(1, "RENAME", "r1", "r2"),
			read(0, 1),
			c(0, "GET", "n"),
			c(1, "INCR", "n"),
			read(0, 1),
			c(0, "GET", "n"),
			c(1, "EXPIRE", "n", "100"),
			read(0, 1),
			c(0, "TTL", "n"),
			c(1, "PERSIST", "n"),
			read(0, 1),
			c(0, "GET", "n"),
			c(1, "MULTI"),
			c(1, "INCR", "n"),
			c(1, "SET", "k", "t"),
			c(1, "EXEC"),
			read(0, 1),
			c(0, "GET", "n"),
			c(0, "MULTI"),
			c(0, "INCR", "n"),
			c(0, "GET", "n"),
			cn(0, 2, "EXEC"),
			c(0, "GET", "n"),
			c(1, "FLUSHALL"),
			read(0, 1),
			c(1, "SET", "n", "1"),
			c(0, "PING"),
			cn(0, 2, "FLUSHDB"), // own flush: the reply, then the null invalidation
			c(0, "CLIENT", "TRACKING", "OFF"),
			c(0, "GET", "k"),
			c(1, "SET", "k", "v"),
			c(0, "PING"),
			c(0, "CLIENT", "TRACKINGINFO"),
		}},
		{"noloop optin optout", 2, []psStep{
			c(1, "FLUSHALL"),
			c(0, "HELLO", "3").norm1(diffHello),
			c(0, "CLIENT", "TRACKING", "ON", "NOLOOP"),
			c(0, "CLIENT", "TRACKINGINFO"),
			c(0, "GET", "k"),
			c(0, "SET", "k", "mine"),
			c(0, "GET", "k"),
			c(1, "SET", "k", "theirs"),
			read(0, 1),
			c(0, "CLIENT", "TRACKING", "OFF"),
			c(0, "CLIENT", "TRACKING", "ON", "OPTIN"),
			c(0, "CLIENT", "CACHING", "no"),
			c(0, "GET", "a"),
			c(0, "CLIENT", "CACHING", "yes"),
			c(0, "CLIENT", "TRACKINGINFO"),
			c(0, "GET", "b"),
			c(0, "CLIENT", "TRACKINGINFO"),
			c(0, "GET", "c"),
			c(1, "MSET", "a", "1", "b", "2", "c", "3"),
			read(0, 1),
			c(0, "CLIENT", "TRACKING", "ON", "OPTOUT"),
			c(0, "CLIENT", "TRACKING", "OFF"),
			c(0, "CLIENT", "TRACKING", "ON", "OPTOUT"),
			c(0, "CLIENT", "CACHING", "yes"),
			c(0, "CLIENT", "CACHING", "no"),
			c(0, "GET", "a"),
			c(0, "GET", "b"),
			c(1, "MSET", "a", "1", "b", "2"),
			read(0, 1),
			c(0, "CLIENT", "CACHING", "maybe"),
			c(0, "CLIENT", "CACHING"),
		}},
		{"bcast", 3, []psStep{
			c(2, "FLUSHALL"),
			c(0, "HELLO", "3").norm1(diffHello),
			c(0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "session:"),
			c(0, "CLIENT", "TRACKINGINFO"),
			c(0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "use"),
			c(0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "x", "PREFIX", "xy"),
			c(0, "CLIENT", "TRACKING", "ON", "PREFIX", "a"),
			c(0, "CLIENT", "TRACKING", "ON"),
			c(0, "CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"),
			c(0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "cart:"),
			c(0, "CLIENT", "TRACKINGINFO"),
			c(1, "SET", "user:1", "a"),
			read(0, 1),
			c(1, "SET", "other", "a"),
			c(1, "MSET", "user:3", "a", "user:2", "b", "cart:9", "c", "x", "y"),
			read(0, 2),
			c(0, "SET", "session:1", "mine"),
			read(0, 1),
			c(1, "DEL", "user:1", "user:2"),
			read(0, 1),
			c(1, "HELLO", "3").norm1(diffHello),
			c(1, "CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP"),
			c(1, "SET", "loop", "x"),
			c(2, "SET", "loop", "y"),
			read(1, 1),
			c(1, "PING"),
			c(0, "CLIENT", "TRACKING", "OFF"),
			c(2, "SET", "user:1", "z"),
			read(1, 1),
			c(0, "PING"),
			c(2, "FLUSHALL"),
			read(1, 1),
		}},
		{"resp2 redirect", 3, []psStep{
			c(2, "FLUSHALL"),
			c(0, "CLIENT", "TRACKING", "ON"),
			c(0, "GET", "k"),
			c(2, "SET", "k", "v"), // RESP2 without a redirect: nowhere to send it
			c(0, "GET", "k"),
			c(0, "CLIENT", "TRACKING", "ON", "REDIRECT", "99999"),
			c(0, "CLIENT", "TRACKING", "ON", "REDIRECT", "x"),
			c(0, "CLIENT", "TRACKING", "ON", "REDIRECT", "$ID1", "REDIRECT", "$ID1"),
			c(1, "SUBSCRIBE", "__redis__:invalidate"),
			c(0, "CLIENT", "TRACKING", "OFF"),
			c(0, "CLIENT", "TRACKING", "ON", "REDIRECT", "$ID1"),
			psStep{on: 0, args: []string{"CLIENT", "GETREDIR"}, ids: true},
			psStep{on: 0, args: []string{"CLIENT", "TRACKINGINFO"}, ids: true},
			c(0, "GET", "k"),
			c(2, "SET", "k", "w"),
			read(1, 1),
			c(0, "GET", "k"),
			c(0, "SET", "k", "mine"),
			read(1, 1),
			c(2, "FLUSHALL"),
			read(1, 1),
			c(0, "CLIENT", "TRACKING", "OFF"),
			c(0, "CLIENT", "TRACKING", "ON", "BCAST", "REDIRECT", "$ID1"),
			c(2, "MSET", "p", "1", "q", "2"),
			read(1, 1),
		}},
	}
	for _, sc := range scripts {
		t.Run(sc.name, func(t *testing.T) {
			runPubSubDiff(t, fc.addr, redisAddr, sc.conns, sc.steps)
		})
	}
}

// TestTrackingBrokenRedirectRedisDiff: the redirect client goes away.
func TestTrackingBrokenRedirectRedisDiff(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	c := func(on int, args ...string) psStep { return psStep{on: on, args: args} }
	runPubSubDiff(t, fc.addr, redisAddr, 4, []psStep{
		c(3, "FLUSHALL"),
		c(0, "HELLO", "3").norm1(diffHello),
		c(0, "CLIENT", "TRACKING", "ON", "REDIRECT", "$ID1"),
		c(0, "GET", "k"),
		c(1, "QUIT"),
		psStep{on: 3, args: []string{"CLIENT", "LIST", "ID", "$ID1"}, until: "$0\r\n\r\n"},
		c(3, "SET", "k", "v"),
		psStep{on: 0, n: 1, ids: true}, // tracking-redir-broken
		psStep{on: 0, args: []string{"CLIENT", "TRACKINGINFO"}, ids: true},
		c(2, "CLIENT", "TRACKING", "ON", "REDIRECT", "$ID1"),
	})
}

// TestTrackingLazyExpiryRedisDiff: a key that expires while a client's
// command runs is the server's change, so NOLOOP does not hide its
// invalidation; and time stands still in EXEC: a key set there with PX 1 is
// still read after a DEBUG SLEEP (tracking.tcl "Tracking gets notification
// of lazy expired keys").
func TestTrackingLazyExpiryRedisDiff(t *testing.T) {
	redisAddr := diffRedisServer(t, "--enable-debug-command", "yes")
	fc := startServer(t, "enable-debug-command", "yes")
	c := func(on int, args ...string) psStep { return psStep{on: on, args: args} }
	read := func(on, n int) psStep { return psStep{on: on, n: n} }
	after := func(d time.Duration, on int, args ...string) psStep { return psStep{on: on, args: args, sleep: d} }
	runPubSubDiff(t, fc.addr, redisAddr, 2, []psStep{
		c(0, "FLUSHALL"),
		c(1, "SUBSCRIBE", "__redis__:invalidate"),
		c(0, "CLIENT", "TRACKING", "ON", "BCAST", "REDIRECT", "$ID1", "NOLOOP"),
		c(0, "SET", "q", "v", "PX", "1"),
		after(20*time.Millisecond, 0, "MULTI"),
		c(0, "GET", "q"),
		c(0, "EXEC"),
		read(1, 1),
		c(0, "SET", "q2", "v", "PX", "1"),
		after(20*time.Millisecond, 0, "EVAL", "return redis.call('get', KEYS[1])", "1", "q2"),
		read(1, 1),
		c(0, "MULTI"),
		c(0, "SET", "mykey{t}", "myval", "PX", "1"),
		c(0, "SET", "mykeyotherkey{t}", "myval"),
		c(0, "DEBUG", "SLEEP", "0.05"),
		c(0, "GET", "mykey{t}"),
		c(0, "EXEC"),
		after(20*time.Millisecond, 0, "GET", "mykey{t}"),
		read(1, 1),
		c(0, "CLIENT", "TRACKING", "OFF"),
		// Without BCAST: a key changed in EXEC before it is read there is
		// not invalidated, one read then changed is, after EXEC's reply;
		// a lazy expiry in the client's own MGET comes after its reply
		// (tracking.tcl "not interleaved with multiple keys response")
		c(0, "HELLO", "3").norm1(diffHello),
		c(0, "CLIENT", "TRACKING", "ON"),
		c(0, "DEBUG", "SET-ACTIVE-EXPIRE", "0"),
		c(0, "MULTI"),
		c(0, "MSET", "x{t}", "1", "y{t}", "2"),
		c(0, "PEXPIRE", "y{t}", "20"),
		c(0, "GET", "y{t}"),
		c(0, "EXEC"),
		psStep{on: 0, args: []string{"MGET", "x{t}", "y{t}"}, n: 2, sleep: 40 * time.Millisecond},
		c(0, "MSET", "a{t}", "1", "b{t}", "2"),
		c(0, "GET", "a{t}"),
		c(0, "MULTI"),
		c(0, "INCR", "a{t}"),
		c(0, "GET", "b{t}"),
		psStep{on: 0, args: []string{"EXEC"}, n: 2},
		c(0, "GET", "a{t}"),
		psStep{on: 0, args: []string{"EVAL", "redis.call('incr', KEYS[1]) return redis.call('get', KEYS[1])", "1", "a{t}"}, n: 2},
		// NOLOOP without BCAST: the client's own lazy expiry is hidden
		c(0, "CLIENT", "TRACKING", "ON", "NOLOOP"),
		c(0, "SET", "z", "v", "PX", "20"),
		c(0, "GET", "z"),
		after(40*time.Millisecond, 0, "GET", "z"),
		c(0, "PING"),
		c(0, "DEBUG", "SET-ACTIVE-EXPIRE", "1"),
		c(0, "CLIENT", "TRACKING", "OFF"),
	})
}
