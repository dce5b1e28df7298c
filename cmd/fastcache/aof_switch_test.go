package main

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// CONFIG SET appendonly on a live server (aof.go): the WAL started with a
// base snapshot, stopped, started again, with kill -9 and restarts.

// seedTypes writes one key of each type and returns a function that reads
// them back as one string (to compare before a kill and after the restart).
func seedTypes(t *testing.T, rdb *redis.Client, tag string) func(rdb *redis.Client) string {
	t.Helper()
	k := func(s string) string { return tag + ":" + s }
	cmds := [][]any{
		{"SET", k("str"), "v", "PX", "600000"},
		{"HSET", k("hash"), "a", "1", "b", "2"},
		{"RPUSH", k("list"), "x", "y", "z"},
		{"SADD", k("set"), "m1", "m2"},
		{"ZADD", k("zset"), "1.5", "a", "2", "b"},
		{"XADD", k("stream"), "1-1", "f", "v"},
		{"XADD", k("stream"), "2-1", "f", "w"},
		{"XGROUP", "CREATE", k("stream"), "g", "0"},
		{"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", k("stream"), ">"},
		{"PFADD", k("hll"), "a", "b", "c"},
		{"SETBIT", k("bits"), "77", "1"},
	}
	for _, c := range cmds {
		if err := rdb.Do(ctx(), c...).Err(); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
	}
	return func(rdb *redis.Client) string {
		var b strings.Builder
		for _, c := range [][]any{
			{"GET", k("str")}, {"HGETALL", k("hash")}, {"LRANGE", k("list"), "0", "-1"},
			{"SMEMBERS", k("set")}, {"ZRANGE", k("zset"), "0", "-1", "WITHSCORES"},
			{"XRANGE", k("stream"), "-", "+"}, {"XPENDING", k("stream"), "g"}, {"PFCOUNT", k("hll")},
			{"GETBIT", k("bits"), "77"}, {"STRLEN", k("bits")},
		} {
			v, err := rdb.Do(ctx(), c...).Result()
			fmt.Fprintf(&b, "%v=%v %v\n", c, v, err)
		}
		if pttl := rdb.PTTL(ctx(), k("str")).Val(); pttl <= 0 || pttl > 600*time.Second {
			fmt.Fprintf(&b, "bad PTTL %v\n", pttl)
		}
		return b.String()
	}
}

// TestAppendOnlyStartedLive: a server started with appendonly no gets
// CONFIG SET appendonly yes (appendfsync always) while writers run; it is
// killed with SIGKILL soon after. Every write acknowledged, before or after
// the switch, is there after the restart, and so is every key written
// before the switch, of every type.
func TestAppendOnlyStartedLive(t *testing.T) {
	rounds := 3
	if testing.Short() {
		rounds = 1
	}
	for round := 0; round < rounds; round++ {
		dir := t.TempDir()
		p := startReady(t, dir, "--appendonly", "no", "--appendfsync", "always")
		rdb := p.client()
		read := seedTypes(t, rdb, "seed")
		for i := 0; i < 3000; i++ {
			rdb.Set(ctx(), fmt.Sprintf("bulk:%d", i), strings.Repeat("v", 100), 0)
		}
		want := read(rdb)
		m := newModel()
		stop := make(chan struct{})
		wg := m.drive(rdb, 8, stop)
		time.Sleep(time.Duration(20+rand.IntN(80)) * time.Millisecond)
		admin := p.client()
		if err := admin.ConfigSet(ctx(), "appendonly", "yes").Err(); err != nil {
			t.Fatalf("CONFIG SET appendonly yes: %v", err)
		}
		if v := infoField(t, admin, "persistence", "aof_enabled"); v != "1" {
			t.Fatalf("aof_enabled:%s after CONFIG SET appendonly yes", v)
		}
		time.Sleep(time.Duration(rand.IntN(100)) * time.Millisecond)
		p.kill()
		close(stop)
		wg.Wait()
		if len(m.acked) == 0 {
			t.Fatal("no write was acknowledged")
		}

		p2 := startReady(t, dir, "--appendonly", "yes")
		rdb2 := p2.client()
		m.verify(t, rdb2, time.Time{})
		if got := read(rdb2); got != want {
			t.Fatalf("after the restart:\n%s\nwant:\n%s", got, want)
		}
		if n := rdb2.DBSize(ctx()).Val(); n < 3000 {
			t.Fatalf("DBSIZE %d after the restart", n)
		}
		if m, _ := filepath.Glob(filepath.Join(dir, "*"+supersededSuffix+"*")); len(m) > 0 {
			t.Fatalf("left behind: %v", m)
		}
		p2.stop()
	}
}

// TestAppendOnlyToggleLive: appendonly yes, then no (writes and deletes
// that are not logged), then yes again: the second start's base snapshot
// holds the unlogged changes, and the first log's records (of keys deleted
// while it was off) do not come back after a kill -9 and a restart.
func TestAppendOnlyToggleLive(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendonly", "yes", "--appendfsync", "always")
	rdb := p.client()
	for i := 0; i < 50; i++ {
		rdb.Set(ctx(), fmt.Sprintf("a:%d", i), "first", 0)
	}
	rdb.HSet(ctx(), "h", "f", "first")
	rdb.BgSave(ctx()) // a snapshot in the first log as well
	if err := rdb.ConfigSet(ctx(), "appendonly", "no").Err(); err != nil {
		t.Fatal(err)
	}
	if v := infoField(t, rdb, "persistence", "aof_enabled"); v != "0" {
		t.Fatalf("aof_enabled:%s after CONFIG SET appendonly no", v)
	}
	if got := rdb.ConfigGet(ctx(), "appendonly").Val()["appendonly"]; got != "no" {
		t.Fatalf("CONFIG GET appendonly: %q", got)
	}
	for i := 0; i < 25; i++ {
		rdb.Del(ctx(), fmt.Sprintf("a:%d", i))
	}
	rdb.HSet(ctx(), "h", "f", "unlogged")
	rdb.Set(ctx(), "b", "unlogged", 0)
	// SAVE without the log: a snapshot the log's base supersedes
	if err := rdb.Save(ctx()).Err(); err != nil {
		t.Fatalf("SAVE with appendonly no: %v", err)
	}
	if err := rdb.ConfigSet(ctx(), "appendonly", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	rdb.Set(ctx(), "c", "logged", 0)
	rdb.HSet(ctx(), "h", "g", "logged")
	p.kill()

	p2 := startReady(t, dir, "--appendonly", "yes")
	rdb2 := p2.client()
	if n := rdb2.DBSize(ctx()).Val(); n != 25+3 {
		t.Fatalf("DBSIZE %d, want 28: %v", n, rdb2.Keys(ctx(), "*").Val())
	}
	for i := 0; i < 50; i++ {
		got, err := rdb2.Get(ctx(), fmt.Sprintf("a:%d", i)).Result()
		if (i < 25) != (err == redis.Nil) || (i >= 25 && got != "first") {
			t.Fatalf("a:%d = %q %v", i, got, err)
		}
	}
	if h := rdb2.HGetAll(ctx(), "h").Val(); h["f"] != "unlogged" || h["g"] != "logged" {
		t.Fatalf("h = %v", h)
	}
	if rdb2.Get(ctx(), "b").Val() != "unlogged" || rdb2.Get(ctx(), "c").Val() != "logged" {
		t.Fatalf("b, c = %v", rdb2.MGet(ctx(), "b", "c").Val())
	}
	// inside MULTI the switch is allowed, as in Redis: it takes effect
	// when EXEC runs (after the transaction's writes, which EXEC applies
	// with every shard held), and each command gets its own reply
	for _, c := range []struct{ on, want string }{{"no", "0"}, {"yes", "1"}} {
		pipe := rdb2.TxPipeline()
		pipe.Set(ctx(), "d:"+c.on, "1", 0)
		pipe.ConfigSet(ctx(), "appendonly", c.on)
		pipe.ConfigSet(ctx(), "appendonly", "maybe")
		pipe.Set(ctx(), "e:"+c.on, "1", 0)
		cmds, _ := pipe.Exec(ctx())
		if len(cmds) != 4 || cmds[0].Err() != nil || cmds[1].Err() != nil || cmds[3].Err() != nil ||
			cmds[2].Err() == nil || !strings.Contains(cmds[2].Err().Error(), "argument must be 'yes' or 'no'") {
			t.Fatalf("MULTI CONFIG SET appendonly %s: %v", c.on, cmds)
		}
		if v := infoField(t, rdb2, "persistence", "aof_enabled"); v != c.want {
			t.Fatalf("aof_enabled:%s after EXEC of CONFIG SET appendonly %s", v, c.on)
		}
	}
	// f is acknowledged once durable: none lost to the kill -9
	if err := rdb2.ConfigSet(ctx(), "appendfsync", "always").Err(); err != nil {
		t.Fatal(err)
	}
	rdb2.Set(ctx(), "f", "logged", 0)
	p2.kill()
	p3 := startReady(t, dir, "--appendonly", "yes")
	rdb3 := p3.client()
	for _, k := range []string{"d:no", "e:no", "d:yes", "e:yes", "f", "c"} {
		if n := rdb3.Exists(ctx(), k).Val(); n != 1 {
			t.Fatalf("%s lost after the switches inside MULTI and a kill -9: %v", k, rdb3.Keys(ctx(), "*").Val())
		}
	}
	p3.stop()
	if out := p2.out.String() + p3.out.String(); contains(out, "panic") {
		t.Fatalf("server panicked:\n%s", out)
	}
}

// TestRDBChangesDiff: rdb_changes_since_last_save grows by one per command
// that changes something and not at all for one that changes nothing, as
// Redis's dirty counter for these commands (SETBIT and BITFIELD SET of the
// same value, a DEL or EXPIRE of a missing key, SADD of a member already
// there), with appendonly yes and no.
func TestRDBChangesDiff(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skipf("redis-server not found: %v", err)
	}
	rport := freePort(t)
	rs := exec.Command(bin, "--port", strconv.Itoa(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := rs.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Process.Kill(); rs.Wait() })
	steps := [][]any{
		{"SETBIT", "foo", "0", "0"}, {"BITFIELD", "foo2", "SET", "i5", "0", "0"},
		{"SETBIT", "foo", "0", "0"}, {"BITFIELD", "foo2", "SET", "i5", "0", "0"},
		{"SETBIT", "foo", "0", "1"}, {"SETBIT", "foo", "0", "1"}, {"BITFIELD", "foo2", "SET", "i5", "0", "1"},
		{"BITFIELD", "foo2", "SET", "i5", "0", "1"}, {"BITFIELD", "foo3", "INCRBY", "i5", "0", "1"},
		{"SETBIT", "foo", "90", "0"}, {"BITFIELD", "foo2", "SET", "i5", "90", "0"},
		{"SET", "k", "v"}, {"SET", "k", "w", "NX"}, {"INCR", "n"}, {"APPEND", "k", "x"},
		{"DEL", "missing"}, {"EXPIRE", "missing", "10"}, {"PERSIST", "k"}, {"EXPIRE", "k", "100"},
		{"SADD", "s", "a"}, {"SADD", "s", "a"}, {"SREM", "s", "zz"}, {"HSET", "h", "f", "v"}, {"HDEL", "h", "zz"},
		{"LPUSH", "l", "a"}, {"LPOP", "nolist"}, {"ZADD", "z", "1", "a"}, {"ZADD", "z", "1", "a"},
		{"XADD", "x", "1-1", "f", "v"}, {"XDEL", "x", "9-9"}, {"DEL", "k"},
	}
	run := func(addr string) []string {
		rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer rdb.Close()
		deadline := time.Now().Add(10 * time.Second)
		for rdb.Ping(ctx()).Err() != nil && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		rdb.FlushAll(ctx())
		var out []string
		prev, _ := strconv.Atoi(infoField(t, rdb, "persistence", "rdb_changes_since_last_save"))
		for _, s := range steps {
			rdb.Do(ctx(), s...)
			n, _ := strconv.Atoi(infoField(t, rdb, "persistence", "rdb_changes_since_last_save"))
			out = append(out, fmt.Sprintf("%v: +%d", s, n-prev))
			prev = n
		}
		return out
	}
	want := run(fmt.Sprintf("127.0.0.1:%d", rport))
	for _, aof := range []string{"no", "yes"} {
		p := startReady(t, t.TempDir(), "--appendonly", aof)
		got := run(p.addr())
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("appendonly %s: %s, redis-server %s", aof, got[i], want[i])
			}
		}
	}
}

// TestDebugLoadAOFAfterLiveSwitch: DEBUG LOADAOF rebuilds the dataset from
// a log started by CONFIG SET appendonly yes (its base snapshot and the
// records after it), and is refused again once the log is stopped.
func TestDebugLoadAOFAfterLiveSwitch(t *testing.T) {
	p := startReady(t, t.TempDir(), "--appendonly", "no", "--enable-debug-command", "yes")
	rdb := p.client()
	read := seedTypes(t, rdb, "before")
	if err := rdb.Do(ctx(), "DEBUG", "LOADAOF").Err(); err == nil {
		t.Fatal("DEBUG LOADAOF with appendonly no succeeded")
	}
	if err := rdb.ConfigSet(ctx(), "appendonly", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	readAfter := seedTypes(t, rdb, "after")
	rdb.Incr(ctx(), "n")
	want := read(rdb) + readAfter(rdb)
	dbsize := rdb.DBSize(ctx()).Val()
	if err := rdb.Do(ctx(), "DEBUG", "LOADAOF").Err(); err != nil {
		t.Fatalf("DEBUG LOADAOF: %v", err)
	}
	if got := read(rdb) + readAfter(rdb); got != want {
		t.Fatalf("after DEBUG LOADAOF:\n%s\nwant:\n%s", got, want)
	}
	if n := rdb.DBSize(ctx()).Val(); n != dbsize {
		t.Fatalf("DBSIZE %d after DEBUG LOADAOF, want %d", n, dbsize)
	}
	if err := rdb.ConfigSet(ctx(), "appendonly", "no").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Do(ctx(), "DEBUG", "LOADAOF").Err(); err == nil {
		t.Fatal("DEBUG LOADAOF after appendonly no succeeded")
	}
}
