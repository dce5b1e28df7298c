package server

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"fastcache/cache"
	"fastcache/config"
)

// clusterRedis starts a redis-server with cluster-enabled yes that serves
// every slot itself (the cluster fastcache's cluster mode is), and waits
// until its cluster is up.
func clusterRedis(t *testing.T) string {
	t.Helper()
	addr := diffRedisServer(t, "--cluster-enabled", "yes")
	dc := diffDial(t, addr)
	if r, err := dc.do([]string{"CLUSTER", "ADDSLOTSRANGE", "0", "16383"}); err != nil || r != "+OK\r\n" {
		t.Fatalf("CLUSTER ADDSLOTSRANGE on redis-server: %q %v", r, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, _ := dc.do([]string{"CLUSTER", "INFO"})
		if strings.Contains(r, "cluster_state:ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server's cluster is not up: %q", r)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// (a master refuses writes for a moment after its cluster is up)
	for r, _ := dc.do([]string{"SET", "probe", "1"}); r != "+OK\r\n"; r, _ = dc.do([]string{"SET", "probe", "1"}) {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server's cluster takes no writes: %q", r)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return addr
}

// clusterNorm rewrites a reply with what legitimately differs between two
// nodes replaced: node IDs (40 hex digits), the node's IP (Redis's single
// node does not know its own: "", fastcache gives the address the client
// reached) and ports.
func clusterNorm(ports ...string) func(string) string {
	id := regexp.MustCompile(`[0-9a-f]{40}`)
	return func(reply string) string {
		v, rest, err := parseResp(reply)
		if err != nil || rest != "" {
			return reply
		}
		var b strings.Builder
		var walk func(v respVal)
		walk = func(v respVal) {
			switch {
			case v.elems != nil || v.kind == '*' || v.kind == '%' || v.kind == '~':
				fmt.Fprintf(&b, "%c%d[", v.kind, len(v.elems))
				for _, e := range v.elems {
					walk(e)
					b.WriteByte(' ')
				}
				b.WriteByte(']')
			case v.kind == ':':
				s := strconv.FormatInt(v.n, 10)
				for _, p := range ports {
					if s == p {
						s = "<port>"
					}
				}
				fmt.Fprintf(&b, ":%s", s)
			default:
				s := id.ReplaceAllString(v.str, "<id>")
				s = regexp.MustCompile(`(^| )(127\.0\.0\.1)?:\d+@\d+`).ReplaceAllString(s, "$1<addr>")
				if s == "127.0.0.1" {
					s = ""
				}
				for _, p := range ports {
					if s == p {
						s = "<port>"
					}
				}
				fmt.Fprintf(&b, "%c%q", v.kind, s)
			}
		}
		walk(v)
		return b.String()
	}
}

// TestClusterDiff: fastcache with cluster-enabled yes against a redis-server
// cluster of one node serving every slot, byte for byte (node IDs, the IP
// and ports normalized): CLUSTER's subcommands and their errors, the
// CROSSSLOT rule for commands, transactions, WATCH and shard channels, the
// commands refused in cluster mode, and the slot rules of scripts and
// functions.
func TestClusterDiff(t *testing.T) {
	raddr := clusterRedis(t)
	fc := startServer(t, "cluster-enabled", "yes", "dir", t.TempDir())
	_, rport, _ := strings.Cut(raddr, ":")
	_, fport, _ := strings.Cut(fc.addr, ":")
	norm := clusterNorm(rport, fport)
	c := func(args ...string) diffStep { return diffStep{args: args} }
	n := func(args ...string) diffStep { return diffStep{args: args, norm: norm} }
	sorted := func(args ...string) diffStep { return c(args...).with(diffSorted) }
	var slots []diffStep
	for _, k := range []string{"", "a", "foo", "{foo}bar", "{}", "{}a", "a{}", "{a", "a}", "}a{b}", "{{a}}", "{a}{b}", "x{a}y", "{a}x",
		"user:1000", "\xff\x00\x01", strings.Repeat("k", 300)} {
		slots = append(slots, c("CLUSTER", "KEYSLOT", k))
	}
	crossSlotScript := "#!lua\nredis.call('set', 'foo', 'bar')\nredis.call('set', 'bar', 'foo')\nreturn 'OK'"
	scripts := []diffScript{
		{"cluster subcommands", append(slots,
			n("CLUSTER", "INFO"), n("CLUSTER", "NODES"), n("CLUSTER", "SLOTS"), n("CLUSTER", "SHARDS"),
			n("CLUSTER", "MYID"), c("CLUSTER", "LINKS"),
			c("CLUSTER", "INFO", "x"), c("CLUSTER", "KEYSLOT"), c("CLUSTER", "NOSUCH"), c("CLUSTER"),
			c("MSET", "{t}a", "1", "{t}b", "2", "{t}c", "3"), c("SET", "other", "1"),
			c("CLUSTER", "COUNTKEYSINSLOT", "15807"), sorted("CLUSTER", "GETKEYSINSLOT", "15807", "10"),
			c("CLUSTER", "GETKEYSINSLOT", "15807", "0"), c("CLUSTER", "COUNTKEYSINSLOT", "0"),
			c("CLUSTER", "COUNTKEYSINSLOT", "16384"), c("CLUSTER", "COUNTKEYSINSLOT", "-1"), c("CLUSTER", "COUNTKEYSINSLOT", "x"),
			c("CLUSTER", "GETKEYSINSLOT", "1", "-1"), c("CLUSTER", "GETKEYSINSLOT", "16384", "1"), c("CLUSTER", "GETKEYSINSLOT", "1", "x"),
			c("CLUSTER", "COUNT-FAILURE-REPORTS", "nosuchnode"), c("CLUSTER", "REPLICAS", "nosuchnode"), c("CLUSTER", "SLAVES", "nosuchnode"),
			c("CLUSTER", "FORGET", "nosuchnode"), c("CLUSTER", "REPLICATE", "nosuchnode"),
			c("CLUSTER", "FAILOVER"), c("CLUSTER", "FAILOVER", "FORCE"), c("CLUSTER", "FAILOVER", "TAKEOVER"), c("CLUSTER", "FAILOVER", "x"),
			c("CLUSTER", "FAILOVER", "FORCE", "x"),
			c("CLUSTER", "ADDSLOTS", "5"), c("CLUSTER", "ADDSLOTS", "5", "x"), c("CLUSTER", "ADDSLOTS", "16384"), c("CLUSTER", "ADDSLOTS", "-1"),
			c("CLUSTER", "ADDSLOTSRANGE", "5", "7"), c("CLUSTER", "ADDSLOTSRANGE", "7", "5"), c("CLUSTER", "ADDSLOTSRANGE", "1", "2", "3"),
			c("CLUSTER", "ADDSLOTSRANGE", "1"), c("CLUSTER", "ADDSLOTSRANGE", "1", "99999"),
			c("CLUSTER", "DELSLOTS", "x"), c("CLUSTER", "DELSLOTSRANGE", "9", "8"),
			c("CLUSTER", "SETSLOT", "5", "STABLE"), c("CLUSTER", "SETSLOT", "99999", "STABLE"), c("CLUSTER", "SETSLOT", "5", "FOO"),
			c("CLUSTER", "SETSLOT", "5", "STABLE", "x"),
			c("CLUSTER", "MEET", "127.0.0.1", "x"), c("CLUSTER", "MEET", "127.0.0.1", "1", "x"),
			c("CLUSTER", "RESET", "x"), c("CLUSTER", "RESET"), c("CLUSTER", "FLUSHSLOTS"),
			c("CLUSTER", "SET-CONFIG-EPOCH", "x"), c("CLUSTER", "SET-CONFIG-EPOCH", "-1"),
			c("READONLY"), c("READWRITE"), c("ASKING"), c("READONLY", "x"),
		)},
		{"one database", []diffStep{
			c("SET", "{a}1", "v"),
			c("SELECT", "1"), c("SELECT", "0"), c("SELECT", "-1"), c("SELECT", "16"), c("SELECT", "x"),
			c("MOVE", "{a}1", "1"), c("MOVE", "{a}1", "x"), c("SWAPDB", "0", "1"), c("SWAPDB", "0", "x"),
			c("COPY", "{a}1", "{a}2", "DB", "1"), c("COPY", "{a}1", "{a}2", "DB", "0"), c("COPY", "{a}1", "{a}3", "DB", "99"),
			c("COPY", "{a}1", "{a}4", "DB", "x"), c("COPY", "a", "b", "DB", "1"), c("COPY", "{a}1", "{a}2"),
			c("REPLICAOF", "127.0.0.1", "1"), c("REPLICAOF", "NO", "ONE"), c("SLAVEOF", "NO", "ONE"),
			c("FAILOVER"), c("FAILOVER", "ABORT"),
			c("INFO", "cluster"), c("DBSIZE"),
		}},
		{"crossslot", []diffStep{
			c("MSET", "a", "1", "b", "2"), c("MSET", "a", "1", "a", "2"), c("MSET", "{t}a", "1", "{t}b", "2"),
			c("MGET", "a", "b"), c("MGET", "{t}a", "{t}b", "{t}c"), c("DEL", "a", "b"), c("EXISTS", "{t}a", "{t}b"),
			c("RENAME", "{t}a", "b"), c("RENAME", "{t}a", "{t}z"), c("SUNIONSTORE", "d", "s1", "s2"),
			c("ZUNIONSTORE", "{z}d", "2", "{z}1", "{z}2"), c("ZUNIONSTORE", "{z}d", "2", "{z}1", "z2"),
			c("LMPOP", "2", "l1", "l2", "LEFT"), c("BLMPOP", "0.01", "2", "{l}1", "{l}2", "LEFT"),
			c("XREAD", "STREAMS", "x1", "x2", "0", "0"), c("SORT", "{s}l", "STORE", "other"),
			c("SORT", "{s}l", "BY", "nosort", "STORE", "{s}d"),
			c("RPUSH", "{s}l", "3", "1", "2"), c("SORT", "{s}l", "BY", "w_*"), c("SORT", "{s}l", "BY", "{s}w_*"),
			c("SORT", "{s}l", "GET", "#"), c("SORT_RO", "{s}l", "GET", "{s}o_*"), c("SORT", "{s}l", "BY", "nosort", "DESC"),
			c("SORT", "{s}l", "LIMIT", "0", "1"),
			c("MSET", "a"), c("MGET"), c("GET", "a"),
			c("WATCH", "a", "b"), c("WATCH", "{w}a", "{w}b"), c("UNWATCH"),
			c("SSUBSCRIBE", "a", "b"), c("SPUBLISH", "a", "m"), c("SUNSUBSCRIBE", "a", "b"),
			c("PUBLISH", "a", "m"),
			// transactions: every key of every command in one slot
			c("MULTI"), c("SET", "a", "1"), c("SET", "b", "2"), c("EXEC"), c("EXEC"),
			c("MULTI"), c("SET", "{m}a", "1"), c("GET", "{m}b"), c("INCR", "{m}c"), c("PING"), c("EXEC"),
			c("MULTI"), c("MSET", "a", "1", "b", "2"), c("SET", "{m}a", "2"), c("EXEC"),
			c("MULTI"), c("EXEC"),
			c("WATCH", "{m}a"), c("MULTI"), c("SET", "{m}a", "3"), c("SET", "elsewhere", "3"), c("EXEC"), c("GET", "{m}a"),
			c("MULTI"), c("SET", "a", "1"), c("DISCARD"),
		}},
		{"scripts and functions", []diffStep{
			// without a shebang scripts may cross slots (Redis 7.0 keeps
			// the old scripts working)
			c("EVAL", "redis.call('set', 'foo', 'bar'); return redis.call('set', 'bar', 'foo')", "0"),
			c("EVAL", "return redis.call('get', KEYS[1])", "2", "a", "b"),
			c("EVAL", "return redis.call('mget', 'a', 'b')", "0"),
			c("EVAL", "return redis.call('mget', '{x}a', '{x}b')", "0"),
			c("EVAL", crossSlotScript, "0"),
			c("EVAL", "#!lua\nredis.call('set', 'foo', 'bar')\nreturn 'OK'", "1", "bar"),
			c("EVAL", "#!lua\nredis.call('set', 'foo', 'bar')\nreturn 'OK'", "1", "foo"),
			c("EVAL", "#!lua\nreturn redis.call('mget', 'a', 'b')", "0"),
			c("EVAL", "#!lua flags=allow-cross-slot-keys\nredis.call('set', 'foo', 'bar'); return redis.call('set', 'bar', 'foo')", "0"),
			c("EVAL", "#!lua flags=no-cluster\nreturn 1", "0"),
			c("EVAL", "#!lua\nreturn redis.pcall('set', 'foo', 'x') and redis.pcall('get', 'bar')", "0"),
			c("EVAL", "return redis.call('select', 1)", "0"),
			c("FUNCTION", "LOAD", "REPLACE", "#!lua name=crossslot\nlocal function f(keys, args)\nredis.call('set', 'foo', 'bar')\nredis.call('set', 'bar', 'foo')\nreturn 'OK'\nend\nredis.register_function('test_cross_slot', f)"),
			c("FCALL", "test_cross_slot", "0"),
			c("FUNCTION", "LOAD", "REPLACE", "#!lua name=crossslot\nlocal function f(keys, args)\nredis.call('set', 'foo', 'bar')\nredis.call('set', 'bar', 'foo')\nreturn 'OK'\nend\nredis.register_function{function_name='test_cross_slot', callback=f, flags={'allow-cross-slot-keys'}}"),
			c("FCALL", "test_cross_slot", "0"),
			c("FUNCTION", "LOAD", "REPLACE", "#!lua name=nc\nredis.register_function{function_name='f1', callback=function() return 'hello' end, flags={'no-cluster'}}"),
			c("FCALL", "f1", "0"),
			c("FCALL", "f1", "2", "a", "b"),
			c("MULTI"), c("EVAL", crossSlotScript, "0"), c("EVAL", "#!lua\nreturn redis.call('get', 'foo')", "0"), c("EXEC"),
			c("MULTI"), c("SET", "{q}a", "1"), c("EVAL", "#!lua\nreturn redis.call('get', 'foo')", "0"), c("EXEC"),
			c("FUNCTION", "FLUSH"),
		}},
		{"epochs", []diffStep{
			c("CLUSTER", "BUMPEPOCH"), c("CLUSTER", "BUMPEPOCH"), c("CLUSTER", "SET-CONFIG-EPOCH", "7"),
			n("CLUSTER", "INFO"), n("CLUSTER", "NODES"),
		}},
	}
	runDiffScriptsAt(t, raddr, fc, scripts)

	// RESP3: the maps of CLUSTER SLOTS and SHARDS, the verbatim strings
	t.Run("resp3", func(t *testing.T) {
		var got [2]string
		for i, addr := range []string{raddr, fc.addr} {
			dc := diffDial(t, addr)
			dc.do([]string{"HELLO", "3"})
			for _, q := range [][]string{{"CLUSTER", "SLOTS"}, {"CLUSTER", "SHARDS"}, {"CLUSTER", "INFO"}, {"CLUSTER", "NODES"}} {
				r, err := dc.do(q)
				if err != nil {
					t.Fatal(err)
				}
				got[i] += norm(r) + "\n"
			}
		}
		if got[0] != got[1] {
			t.Errorf("RESP3:\nredis:     %s\nfastcache: %s", got[0], got[1])
		}
	})
}

// TestClusterDiffRandom: thousands of random commands over a few keys (some
// sharing a hash tag), single, multi-key, in transactions and in scripts,
// on both servers: every reply the same, -CROSSSLOT included.
func TestClusterDiffRandom(t *testing.T) {
	raddr := clusterRedis(t)
	fc := startServer(t, "cluster-enabled", "yes", "dir", t.TempDir())
	rng := rand.New(rand.NewPCG(5, uint64(time.Now().UnixNano())))
	key := func() string {
		return []string{"a", "b", "{t}a", "{t}b", "{t}c", "x{t}", "{u}a", "{u}"}[rng.IntN(8)]
	}
	op := func() []string {
		switch rng.IntN(12) {
		case 0:
			return []string{"MSET", key(), "1", key(), "2"}
		case 1:
			return []string{"MGET", key(), key(), key()}
		case 2:
			return []string{"DEL", key(), key()}
		case 3:
			return []string{"RENAME", key(), key()}
		case 4:
			return []string{"SUNIONSTORE", "s" + key(), "s" + key()}
		case 5:
			return []string{"SADD", "s" + key(), strconv.Itoa(rng.IntN(5))}
		case 6:
			return []string{"INCR", key()}
		case 7:
			return []string{"LMOVE", "l" + key(), "l" + key(), "LEFT", "RIGHT"}
		case 8:
			return []string{"RPUSH", "l" + key(), "e"}
		case 9:
			return []string{"EVAL", "#!lua\nredis.call('incr', ARGV[1]) return redis.call('incr', ARGV[2])", "1", key(), key(), key()}
		case 10:
			return []string{"EXISTS", key(), key()}
		}
		return []string{"COPY", key(), key(), "REPLACE"}
	}
	var steps []diffStep
	for range 3000 {
		if rng.IntN(15) == 0 {
			steps = append(steps, diffStep{args: []string{"MULTI"}})
			for range 1 + rng.IntN(3) {
				steps = append(steps, diffStep{args: op()})
			}
			steps = append(steps, diffStep{args: []string{"EXEC"}})
			continue
		}
		steps = append(steps, diffStep{args: op()})
	}
	runDiffScriptsAt(t, raddr, fc, []diffScript{{"random", steps}})
}

// TestClusterClient: go-redis's cluster client on fastcache's cluster mode:
// it finds the one node through CLUSTER SLOTS, splits pipelines by slot,
// runs transactions of one slot, and sees -CROSSSLOT as Redis Cluster's.
func TestClusterClient(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, "cluster-enabled", "yes", "dir", dir)
	for _, proto := range []int{2, 3} {
		cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{ts.addr}, Protocol: proto, MaxRedirects: 0})
		defer cc.Close()
		for i := range 50 {
			if err := cc.Set(ctx(), fmt.Sprint("k", i), i, 0).Err(); err != nil {
				t.Fatalf("SET through the cluster client: %v", err)
			}
		}
		pipe := cc.Pipeline()
		var gets []*redis.StringCmd
		for i := range 50 {
			gets = append(gets, pipe.Get(ctx(), fmt.Sprint("k", i)))
		}
		if _, err := pipe.Exec(ctx()); err != nil {
			t.Fatalf("a pipeline over many slots: %v", err)
		}
		for i, g := range gets {
			if g.Val() != strconv.Itoa(i) {
				t.Fatalf("GET k%d: %q", i, g.Val())
			}
		}
		// a transaction of one slot
		_, err := cc.TxPipelined(ctx(), func(p redis.Pipeliner) error {
			p.Incr(ctx(), "{user:1}visits")
			p.HSet(ctx(), "{user:1}profile", "name", "ann")
			p.Expire(ctx(), "{user:1}visits", time.Hour)
			return nil
		})
		if err != nil {
			t.Fatalf("a transaction of one slot: %v", err)
		}
		if err := cc.MGet(ctx(), "a", "b").Err(); err == nil || !strings.HasPrefix(err.Error(), "CROSSSLOT") {
			t.Fatalf("MGET across slots: %v, want CROSSSLOT", err)
		}
		if v, err := cc.MGet(ctx(), "{t}a", "{t}b").Result(); err != nil || len(v) != 2 {
			t.Fatalf("MGET of one slot: %v %v", v, err)
		}
		// a script on the cluster client goes to the node of its keys
		if v, err := cc.Eval(ctx(), "return redis.call('incr', KEYS[1])", []string{"{user:1}visits"}).Int(); err != nil || v < 2 {
			t.Fatalf("EVAL through the cluster client: %v %v", v, err)
		}
		shards, err := cc.ClusterShards(ctx()).Result()
		if err != nil || len(shards) != 1 || len(shards[0].Nodes) != 1 || shards[0].Slots[0].End != 16383 {
			t.Fatalf("CLUSTER SHARDS: %+v %v", shards, err)
		}
		nodes := 0
		cc.ForEachShard(ctx(), func(context.Context, *redis.Client) error { nodes++; return nil })
		if nodes != 1 {
			t.Fatalf("the cluster client sees %d nodes, want 1", nodes)
		}
	}
	// INFO and HELLO say cluster
	c := ts.client(t, 3)
	if m := c.Do(ctx(), "HELLO", "3").Val().(map[any]any); m["mode"] != "cluster" {
		t.Fatalf("HELLO mode: %v", m["mode"])
	}
	if s := c.Info(ctx(), "server").Val(); !strings.Contains(s, "redis_mode:cluster") {
		t.Fatal("INFO server: no redis_mode:cluster")
	}
	// The commands that would change the topology say why they are refused.
	for _, q := range [][]any{{"CLUSTER", "MEET", "127.0.0.1", "7000"}, {"CLUSTER", "DELSLOTS", "1"}, {"CLUSTER", "DELSLOTSRANGE", "1", "2"},
		{"CLUSTER", "SETSLOT", "1", "MIGRATING", c.Do(ctx(), "CLUSTER", "MYID").Val()}} {
		if err := c.Do(ctx(), q...).Err(); err == nil || !strings.Contains(err.Error(), "one node serving every slot") {
			t.Errorf("%v: %v", q, err)
		}
	}
	c.FlushAll(ctx())
	for _, q := range [][]any{{"CLUSTER", "RESET"}, {"CLUSTER", "FLUSHSLOTS"}} {
		if err := c.Do(ctx(), q...).Err(); err == nil || !strings.Contains(err.Error(), "one node serving every slot") {
			t.Errorf("%v on an empty node: %v", q, err)
		}
	}
}

// TestClusterNodeFile: the node's ID is made once and kept in
// cluster-config-file; a file that is not one, and replicaof in cluster
// mode, stop the start.
func TestClusterNodeFile(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, "cluster-enabled", "yes", "dir", dir)
	id := ts.client(t, 2).Do(ctx(), "CLUSTER", "MYID").Val().(string)
	if len(id) != 40 {
		t.Fatalf("MYID %q", id)
	}
	if v := ts.client(t, 2).Do(ctx(), "CLUSTER", "BUMPEPOCH").Val(); v != "BUMPED 1" {
		t.Fatalf("BUMPEPOCH: %v", v)
	}
	b, err := os.ReadFile(filepath.Join(dir, "nodes.conf"))
	if err != nil || !strings.HasPrefix(string(b), id+" ") || !strings.Contains(string(b), "myself,master - 0 0 1 connected 0-16383") ||
		!strings.Contains(string(b), "vars currentEpoch 1 ") {
		t.Fatalf("nodes.conf: %q %v", b, err)
	}
	ts.srv.Close()

	ts2 := startServer(t, "cluster-enabled", "yes", "dir", dir)
	c2 := ts2.client(t, 2)
	if got := c2.Do(ctx(), "CLUSTER", "MYID").Val(); got != id {
		t.Fatalf("after a restart MYID %v, want %s", got, id)
	}
	if info := c2.Do(ctx(), "CLUSTER", "INFO").Val().(string); !strings.Contains(info, "cluster_my_epoch:1\r\n") {
		t.Fatalf("the epoch was not kept: %s", info)
	}

	// cluster-config-file elsewhere, absolute
	other := filepath.Join(t.TempDir(), "my-nodes.conf")
	ts3 := startServer(t, "cluster-enabled", "yes", "dir", t.TempDir(), "cluster-config-file", other)
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("cluster-config-file %s: %v", other, err)
	}
	_ = ts3

	for _, tc := range []struct {
		name, content string
		extra         []string
		want          string
	}{
		{"garbage", "hello\n", nil, "no line for this node"},
		{"bad id", "zz 127.0.0.1:1@2 myself,master - 0 0 0 connected 0-16383\n", nil, "bad node ID"},
		{"replicaof", "", []string{"--replicaof", "127.0.0.1 1"}, "replicaof directive not allowed in cluster mode"},
	} {
		d := t.TempDir()
		if tc.content != "" {
			os.WriteFile(filepath.Join(d, "nodes.conf"), []byte(tc.content), 0o644)
		}
		err := loadClusterConfigOnly(t, append([]string{"--cluster-enabled", "yes", "--dir", d}, tc.extra...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// loadClusterConfigOnly is the start-up's cluster step alone, for the
// configurations that must stop it.
func loadClusterConfigOnly(t *testing.T, args []string) error {
	t.Helper()
	cfg, err := config.Load(args)
	if err != nil {
		return err
	}
	c := cache.New(cache.Options{Shards: 1})
	defer c.Close()
	return New(Options{Config: cfg, Cache: c, Log: zerolog.New(io.Discard)}).LoadClusterConfig()
}

// BenchmarkKeyHashSlot: the hash slot of a 16-byte key (what cluster mode
// adds for each key after the first of a multi-key command).
func BenchmarkKeyHashSlot(b *testing.B) {
	key := []byte("user:1234567:abc")
	for b.Loop() {
		keyHashSlot(key)
	}
}
