package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// restoreAll builds a value of every type and encoding, dumps each and
// restores it under "r:" names (some with a TTL, some replacing), so the
// restored keys exist only through RESTORE's records.
func restoreAll(t *testing.T, rdb *redis.Client) {
	t.Helper()
	big := func(cmd, key string, n int, f func(i int) []any) []any {
		args := []any{cmd, key}
		for i := 0; i < n; i++ {
			args = append(args, f(i)...)
		}
		return args
	}
	cmds := [][]any{
		{"set", "src:s", "hello"},
		{"set", "src:n", "12345"},
		{"set", "src:long", strings.Repeat("abc", 100)},
		{"hset", "src:h", "a", "1", "b", "2"},
		big("hset", "src:hbig", 300, func(i int) []any { return []any{fmt.Sprint("f", i), i} }),
		{"rpush", "src:l", "a", "b", "c"},
		big("rpush", "src:lbig", 2000, func(i int) []any { return []any{fmt.Sprint("e", i)} }),
		{"sadd", "src:si", "1", "2", "3"},
		big("sadd", "src:sbig", 700, func(i int) []any { return []any{fmt.Sprint("m", i)} }),
		{"zadd", "src:z", "1", "a", "2.5", "b"},
		big("zadd", "src:zbig", 300, func(i int) []any { return []any{i, fmt.Sprint("m", i)} }),
	}
	for _, c := range cmds {
		if err := rdb.Do(ctx(), c...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		src := c[1].(string)
		dst := "r:" + src[4:]
		p, err := rdb.Dump(ctx(), src).Result()
		if err != nil {
			t.Fatal(err)
		}
		ttl := time.Duration(0)
		if i%2 == 0 {
			ttl = time.Hour
		}
		rdb.Set(ctx(), dst, "to be replaced", 0)
		if err := rdb.RestoreReplace(ctx(), dst, ttl, p).Err(); err != nil {
			t.Fatalf("restore %s: %v", dst, err)
		}
	}
	// a restore with a past ABSTTL deletes what it replaces
	rdb.Set(ctx(), "r:gone", "x", 0)
	if err := rdb.Do(ctx(), "restore", "r:gone", 1, rdb.Dump(ctx(), "src:s").Val(), "replace", "absttl").Err(); err != nil {
		t.Fatal(err)
	}
}

// RESTOREd keys of every type, with their TTLs, survive kill -9 under
// appendfsync always.
func TestRestoreSurvivesCrash(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendfsync", "always")
	rdb := p.client()
	restoreAll(t, rdb)
	want := collectionState(t, rdb)
	p.kill()
	p2 := startReady(t, dir)
	diffCollections(t, "after kill -9", want, collectionState(t, p2.client()))
	if n := p2.client().Exists(ctx(), "r:gone").Val(); n != 0 {
		t.Fatal("r:gone came back")
	}
}

// A replica sees the RESTOREd keys.
func TestRestoreReplicated(t *testing.T) {
	primary := startReady(t, t.TempDir())
	prdb := primary.client()
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	restoreAll(t, prdb)
	replicaHasAll(t, prdb)
	diffCollections(t, "replica", collectionState(t, prdb), collectionState(t, rrdb))
}

// restoreStreams builds streams with deletions, a trim, groups, consumers
// and pending entries, dumps them and restores them under "r:" names
// (one with a TTL, one replacing a string), then deletes the sources.
func restoreStreams(t *testing.T, rdb *redis.Client) []string {
	t.Helper()
	var cmds [][]any
	for i := 1; i <= 300; i++ {
		cmds = append(cmds, []any{"xadd", "src:x", fmt.Sprintf("%d-%d", 1000+i/5, i), "f", i, "g", strings.Repeat("v", i%50)})
	}
	cmds = append(cmds,
		[]any{"xdel", "src:x", "1000-1", "1010-50", "1020-100"},
		[]any{"xtrim", "src:x", "maxlen", "280"},
		[]any{"xgroup", "create", "src:x", "g1", "0"},
		[]any{"xgroup", "create", "src:x", "g2", "$"},
		[]any{"xreadgroup", "group", "g1", "alice", "count", "10", "streams", "src:x", ">"},
		[]any{"xreadgroup", "group", "g1", "bob", "count", "5", "streams", "src:x", ">"},
		[]any{"xack", "src:x", "g1", "1004-21"},
		[]any{"xclaim", "src:x", "g1", "bob", "0", "1005-25", "retrycount", "3"},
		[]any{"xgroup", "createconsumer", "src:x", "g2", "carol"},
		[]any{"xadd", "src:empty", "1-0", "f", "v"},
		[]any{"xdel", "src:empty", "1-0"},
		[]any{"xgroup", "create", "src:empty", "g", "$"},
	)
	for _, c := range cmds {
		if err := rdb.Do(ctx(), c...).Err(); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
	}
	var keys []string
	for i, src := range []string{"src:x", "src:empty"} {
		dst := "r:" + src[4:]
		p, err := rdb.Dump(ctx(), src).Result()
		if err != nil {
			t.Fatal(err)
		}
		ttl := time.Duration(0)
		if i == 0 {
			ttl = time.Hour
		}
		rdb.Set(ctx(), dst, "to be replaced", 0)
		if err := rdb.RestoreReplace(ctx(), dst, ttl, p).Err(); err != nil {
			t.Fatalf("restore %s: %v", dst, err)
		}
		rdb.Del(ctx(), src)
		keys = append(keys, dst)
	}
	return keys
}

// streamState is what the stream commands show of keys: entries, XINFO
// STREAM FULL (its delivery and seen times are kept exactly), groups,
// pending summaries and TTLs.
func streamState(t *testing.T, rdb *redis.Client, keys []string) string {
	t.Helper()
	var b strings.Builder
	for _, k := range keys {
		for _, args := range [][]any{
			{"type", k}, {"xrange", k, "-", "+"}, {"xinfo", "stream", k, "full"}, {"xinfo", "groups", k},
		} {
			v, err := rdb.Do(ctx(), args...).Result()
			fmt.Fprintf(&b, "%v: %v %v\n", args, v, err)
		}
		for _, g := range rdb.XInfoGroups(ctx(), k).Val() {
			v, err := rdb.Do(ctx(), "xpending", k, g.Name).Result()
			fmt.Fprintf(&b, "xpending %s %s: %v %v\n", k, g.Name, v, err)
		}
		fmt.Fprintf(&b, "ttl %s: %v\n", k, rdb.TTL(ctx(), k).Val() > 0)
	}
	return b.String()
}

// RESTOREd streams with their groups survive kill -9 under appendfsync
// always, and a replica sees them.
func TestRestoreStreamSurvivesCrashAndReplicates(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendfsync", "always")
	prdb := p.client()
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", p.port))
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	keys := restoreStreams(t, prdb)
	want := streamState(t, prdb, keys)
	if !strings.Contains(want, "alice") || !strings.Contains(want, "carol") {
		t.Fatalf("setup: %s", want)
	}
	replicaHasAll(t, prdb)
	if got := streamState(t, rrdb, keys); got != want {
		t.Errorf("replica:\n got  %s\n want %s", got, want)
	}
	p.kill()
	p2 := startReady(t, dir)
	if got := streamState(t, p2.client(), keys); got != want {
		t.Errorf("after kill -9:\n got  %s\n want %s", got, want)
	}
}
