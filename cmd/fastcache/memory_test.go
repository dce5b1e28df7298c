package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Memory limits against the real binary: eviction under --maxmemory, the
// OOM error, CONFIG SET of the policy, and that evicted and expired keys do
// not come back after kill -9 and a restart (their deletes are in the WAL).

const memOOM = "OOM command not allowed when used memory > 'maxmemory'."

// memVal is above the arena's big-record threshold, so each key is accounted
// at about its size and 1 MB holds a few dozen keys on 4 shards.
var memVal = strings.Repeat("v", 9000)

func memInfoInt(t *testing.T, rdb *redis.Client, section, field string) int64 {
	t.Helper()
	s, err := rdb.Info(ctx(), section).Result()
	if err != nil {
		t.Fatalf("INFO %s: %v", section, err)
	}
	for _, line := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				t.Fatalf("INFO %s: %q", field, line)
			}
			return n
		}
	}
	t.Fatalf("INFO %s has no %s:\n%s", section, field, s)
	return 0
}

// memPresent lists which of the n keys exist, with one MGET: every command
// makes room first under maxmemory (as Redis's), so a key-by-key scan could
// see a key that a later command of the scan evicts; one command sees the
// keyspace as it is after its own eviction.
func memPresent(t *testing.T, rdb *redis.Client, prefix string, n int) map[string]bool {
	t.Helper()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	vals, err := rdb.MGet(ctx(), keys...).Result()
	if err != nil {
		t.Fatalf("MGET %s*: %v", prefix, err)
	}
	out := map[string]bool{}
	for i, v := range vals {
		if v != nil {
			out[keys[i]] = true
		}
	}
	return out
}

func TestMemoryEvictedAndExpiredStayGoneAfterKill(t *testing.T) {
	dir := t.TempDir()
	// (tenacity 100: each command evicts all it must; with a time limit a
	// loaded machine leaves the rest to the background, which may evict a
	// key after the test has noted the keys present)
	flags := []string{"--shards", "4", "--maxmemory", "1mb", "--maxmemory-policy", "allkeys-lru",
		"--appendfsync", "always", "--maxmemory-eviction-tenacity", "100"}
	p := startReady(t, dir, flags...)
	rdb := p.client()

	const nTTL, nKeys = 20, 300
	for i := 0; i < nKeys; i++ {
		if err := rdb.Set(ctx(), fmt.Sprint("k:", i), memVal, 0).Err(); err != nil {
			t.Fatalf("SET k:%d under allkeys-lru: %v", i, err)
		}
	}
	// Small keys with a 1 s TTL, written last (the most recently used).
	ttlSetAt := time.Now()
	for i := 0; i < nTTL; i++ {
		if err := rdb.Set(ctx(), fmt.Sprint("ttl:", i), "x", time.Second).Err(); err != nil {
			t.Fatalf("SET ttl:%d EX 1: %v", i, err)
		}
	}
	if n := len(memPresent(t, rdb, "ttl:", nTTL)); n < nTTL/2 {
		t.Fatalf("only %d/%d of the newest (TTL) keys present before they expire", n, nTTL)
	}
	evicted := memInfoInt(t, rdb, "stats", "evicted_keys")
	if evicted == 0 {
		t.Fatal("INFO stats evicted_keys = 0 after writing well over maxmemory")
	}
	used, max := memInfoInt(t, rdb, "memory", "used_memory"), memInfoInt(t, rdb, "memory", "maxmemory")
	if max != 1<<20 {
		t.Fatalf("INFO maxmemory = %d", max)
	}
	if used > max+2*int64(len(memVal)) {
		t.Fatalf("used_memory %d above maxmemory %d by more than a key", used, max)
	}
	present := memPresent(t, rdb, "k:", nKeys)
	if len(present) == 0 || len(present) >= nKeys {
		t.Fatalf("%d of %d keys present", len(present), nKeys)
	}
	t.Logf("evicted_keys %d, %d/%d keys present, used_memory %d", evicted, len(present), nKeys, used)

	// The 1 s keys expire (wait up to 5 s for them to read as gone).
	time.Sleep(time.Until(ttlSetAt.Add(1100 * time.Millisecond)))
	deadline := time.Now().Add(5 * time.Second)
	for len(memPresent(t, rdb, "ttl:", nTTL)) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if left := memPresent(t, rdb, "ttl:", nTTL); len(left) > 0 {
		t.Fatalf("%d keys with a 1 s TTL still readable after %v", len(left), time.Since(ttlSetAt))
	}
	// A last acknowledged write: with appendfsync always every record logged
	// before it (evictions included) is on disk when it returns.
	if err := rdb.Set(ctx(), "marker", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	present = memPresent(t, rdb, "k:", nKeys)
	dbsize := rdb.DBSize(ctx()).Val()

	p.kill()
	p2 := startReady(t, dir, flags...)
	rdb2 := p2.client()
	after := memPresent(t, rdb2, "k:", nKeys)
	for k := range after {
		if !present[k] {
			t.Errorf("evicted key %s is back after kill -9 and restart", k)
		}
	}
	for k := range present {
		if !after[k] {
			t.Errorf("key %s present before kill -9 is gone after restart", k)
		}
	}
	if left := memPresent(t, rdb2, "ttl:", nTTL); len(left) > 0 {
		t.Errorf("expired keys back after restart: %v", left)
	}
	if v, err := rdb2.Get(ctx(), "marker").Result(); err != nil || v != "1" {
		t.Errorf("GET marker after restart: %q %v", v, err)
	}
	if n := rdb2.DBSize(ctx()).Val(); n != dbsize || n != int64(len(present))+1 {
		t.Errorf("DBSIZE after restart %d, before kill %d (%d keys + marker)", n, dbsize, len(present))
	}
	// The limit still applies after the restart.
	for i := 0; i < 50; i++ {
		if err := rdb2.Set(ctx(), fmt.Sprint("k2:", i), memVal, 0).Err(); err != nil {
			t.Fatalf("SET after restart: %v", err)
		}
	}
	if memInfoInt(t, rdb2, "stats", "evicted_keys") == 0 {
		t.Error("no eviction after restart with the same --maxmemory")
	}
}

func TestMemoryNoevictionAndConfigSet(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--shards", "4", "--maxmemory", "1mb", "--appendfsync", "everysec")
	rdb := p.client()
	if pol := rdb.ConfigGet(ctx(), "maxmemory-policy").Val()["maxmemory-policy"]; pol != "noeviction" {
		t.Fatalf("default maxmemory-policy %q", pol)
	}
	var oomAt = -1
	for i := 0; i < 500; i++ {
		err := rdb.Set(ctx(), fmt.Sprint("k:", i), memVal, 0).Err()
		if err != nil {
			if err.Error() != memOOM {
				t.Fatalf("SET k:%d: %q, want %q", i, err.Error(), memOOM)
			}
			oomAt = i
			break
		}
	}
	if oomAt <= 0 {
		t.Fatalf("noeviction with maxmemory 1mb never refused a write (oomAt %d)", oomAt)
	}
	// Other growing commands are refused too; reads and DEL work.
	if err := rdb.Append(ctx(), "k:0", "more").Err(); err == nil || err.Error() != memOOM {
		t.Fatalf("APPEND under OOM: %v", err)
	}
	if v, err := rdb.Get(ctx(), "k:0").Result(); err != nil || len(v) != len(memVal) {
		t.Fatalf("GET under OOM: len %d, %v", len(v), err)
	}
	if n, err := rdb.Del(ctx(), "k:0", "k:1").Result(); err != nil || n != 2 {
		t.Fatalf("DEL under OOM: %d %v", n, err)
	}
	if memInfoInt(t, rdb, "stats", "evicted_keys") != 0 {
		t.Fatal("noeviction evicted keys")
	}
	// DEL made room for a write (or two).
	if err := rdb.Set(ctx(), "after-del", memVal, 0).Err(); err != nil {
		t.Fatalf("SET after DEL: %v", err)
	}

	// CONFIG SET maxmemory-policy: writes now evict instead of failing.
	if err := rdb.ConfigSet(ctx(), "maxmemory-policy", "allkeys-lru").Err(); err != nil {
		t.Fatal(err)
	}
	if pol := rdb.ConfigGet(ctx(), "maxmemory-policy").Val()["maxmemory-policy"]; pol != "allkeys-lru" {
		t.Fatalf("CONFIG GET maxmemory-policy = %q", pol)
	}
	for i := 0; i < 50; i++ {
		if err := rdb.Set(ctx(), fmt.Sprint("n:", i), memVal, 0).Err(); err != nil {
			t.Fatalf("SET n:%d after CONFIG SET allkeys-lru: %v", i, err)
		}
	}
	if memInfoInt(t, rdb, "stats", "evicted_keys") == 0 {
		t.Fatal("no eviction after CONFIG SET maxmemory-policy allkeys-lru")
	}
	if pol, _ := rdb.Info(ctx(), "memory").Result(); !strings.Contains(pol, "maxmemory_policy:allkeys-lru") {
		t.Fatal("INFO memory does not show the new policy")
	}

	// CONFIG SET maxmemory lower: the next write evicts down to it.
	keys := rdb.DBSize(ctx()).Val()
	if err := rdb.ConfigSet(ctx(), "maxmemory", "600kb").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx(), "small", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if used := memInfoInt(t, rdb, "memory", "used_memory"); used > 600<<10+int64(len(memVal)) {
		t.Fatalf("used_memory %d after CONFIG SET maxmemory 600kb", used)
	}
	if n := rdb.DBSize(ctx()).Val(); n >= keys {
		t.Fatalf("DBSIZE %d, was %d before lowering maxmemory", n, keys)
	}

	// CONFIG SET maxmemory 0: no limit, no more evictions.
	if err := rdb.ConfigSet(ctx(), "maxmemory", "0").Err(); err != nil {
		t.Fatal(err)
	}
	ev := memInfoInt(t, rdb, "stats", "evicted_keys")
	for i := 0; i < 100; i++ {
		if err := rdb.Set(ctx(), fmt.Sprint("u:", i), memVal, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if got := memInfoInt(t, rdb, "stats", "evicted_keys"); got != ev {
		t.Fatalf("evicted_keys %d -> %d with maxmemory 0", ev, got)
	}
	if n := len(memPresent(t, rdb, "u:", 100)); n != 100 {
		t.Fatalf("%d/100 keys present without a limit", n)
	}

	// Back to a limit with volatile-lru and only persistent keys: OOM.
	if err := rdb.ConfigSet(ctx(), "maxmemory-policy", "volatile-lru").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.ConfigSet(ctx(), "maxmemory", "1mb").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx(), "v", "1", 0).Err(); err == nil || err.Error() != memOOM {
		t.Fatalf("SET under volatile-lru with only persistent keys: %v", err)
	}
}

// TestMemoryLimitJustBelowUsage: a maxmemory set 40 KB under the memory in
// use evicts about 40 KB of keys, as Redis's (its maxmemory.tcl "client
// tracking don't cause eviction feedback loop"), not the whole dataset: in
// a small table (its records in the chunk being appended to) a key's record
// stops counting in used_memory when it is deleted, not when its whole
// chunk is dead. And a key deleted lowers used_memory at once.
func TestMemoryLimitJustBelowUsage(t *testing.T) {
	p := startReady(t, t.TempDir(), "--appendonly", "no", "--maxmemory-policy", "allkeys-lru")
	rdb := p.client()
	pad := strings.Repeat("x", 1000)
	for j := 0; j < 300; j++ {
		rdb.Set(ctx(), fmt.Sprint(j, pad), "x", 0)
	}
	used := memInfoInt(t, rdb, "memory", "used_memory")
	rdb.Del(ctx(), fmt.Sprint(0, pad))
	if after := memInfoInt(t, rdb, "memory", "used_memory"); after >= used-1000 {
		t.Fatalf("used_memory %d after deleting a 1 KB key, %d before", after, used)
	}
	used = memInfoInt(t, rdb, "memory", "used_memory")
	if err := rdb.ConfigSet(ctx(), "maxmemory", fmt.Sprint(used-40000)).Err(); err != nil {
		t.Fatal(err)
	}
	evicted := memInfoInt(t, rdb, "stats", "evicted_keys")
	n := rdb.DBSize(ctx()).Val()
	if n < 200 || evicted < 10 || evicted > 60 {
		t.Fatalf("maxmemory 40 KB under used_memory %d: %d keys left of 299, evicted_keys %d", used, n, evicted)
	}
	if now := memInfoInt(t, rdb, "memory", "used_memory"); now > used-40000 {
		t.Fatalf("used_memory %d over maxmemory %d", now, used-40000)
	}
}
