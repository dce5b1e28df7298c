package main

import (
	"fmt"
	"sort"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
)

// DEBUG RELOAD and DEBUG LOADAOF with the WAL on: each gives back exactly
// the keyspace it started from (and the same DEBUG DIGEST); a reload that
// changes the data (NOSAVE, NOFLUSH MERGE) is logged, so a kill -9 and a
// restart give back what the clients saw after it. And a snapshot keeps the
// TTL of a key of every type.

func init() {
	if typeDumpers["set"] == nil {
		typeDumpers["set"] = func(t *testing.T, c *redis.Client, key string) string {
			v, err := c.SMembers(ctx(), key).Result()
			if err != nil {
				t.Fatalf("SMEMBERS %s: %v", key, err)
			}
			sort.Strings(v)
			return fmt.Sprintf("%q", v)
		}
	}
	if typeDumpers["zset"] == nil {
		typeDumpers["zset"] = func(t *testing.T, c *redis.Client, key string) string {
			v, err := c.ZRangeWithScores(ctx(), key, 0, -1).Result()
			if err != nil {
				t.Fatalf("ZRANGE %s: %v", key, err)
			}
			return fmt.Sprintf("%v", v)
		}
	}
	if typeDumpers["stream"] == nil {
		typeDumpers["stream"] = func(t *testing.T, c *redis.Client, key string) string {
			v, err := c.XRange(ctx(), key, "-", "+").Result()
			if err != nil {
				t.Fatalf("XRANGE %s: %v", key, err)
			}
			g, _ := c.XInfoGroups(ctx(), key).Result()
			return fmt.Sprintf("%v %v", v, g)
		}
	}
}

// moreTypes writes sets, sorted sets and streams (some with TTLs) over
// the typed workload's databases.
func moreTypes(t *testing.T, addr string, round int) {
	t.Helper()
	for db := 0; db < stateDBs; db++ {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db})
		for i := 0; i < 20; i++ {
			k := strconv.Itoa(i)
			var members []any
			for j := 0; j <= (i*7+round)%40; j++ {
				members = append(members, strconv.Itoa(j*(i+1)))
			}
			must(t, c.SAdd(ctx(), "set"+k, members...).Err())
			must(t, c.SAdd(ctx(), "sset"+k, "a"+k, "b", fmt.Sprint(round)).Err())
			must(t, c.ZAdd(ctx(), "z"+k, redis.Z{Score: float64(i) / 3, Member: "m" + k}, redis.Z{Score: float64(round), Member: "r"}).Err())
			must(t, c.XAdd(ctx(), &redis.XAddArgs{Stream: "x" + k, Values: []any{"f", k, "round", round}}).Err())
			if i%3 == 0 {
				must(t, c.Expire(ctx(), "set"+k, 3600e9).Err())
				must(t, c.Expire(ctx(), "z"+k, 7200e9).Err())
				must(t, c.Expire(ctx(), "x"+k, 1800e9).Err())
			}
		}
		c.XGroupCreate(ctx(), "x1", "g", "0")
		c.XReadGroup(ctx(), &redis.XReadGroupArgs{Group: "g", Consumer: "alice", Streams: []string{"x1", ">"}, Count: 1})
		c.Close()
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestDebugReloadWithWAL(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--enable-debug-command", "yes", "--appendfsync", "always", "--wal-segment-size", "64kb")
	rdb := p.client()
	typedWorkload(t, p.addr(), "", 2000, 21)
	moreTypes(t, p.addr(), 1)
	must(t, rdb.Do(ctx(), "FUNCTION", "LOAD", "#!lua name=dl\nredis.register_function('dlf', function() return 'dl' end)").Err())

	same := func(what string, before map[string]string, digest string) {
		t.Helper()
		diffTyped(t, before, dumpTyped(t, p.addr(), ""))
		if d := rdb.Do(ctx(), "DEBUG", "DIGEST").String(); d != digest {
			t.Fatalf("after %s DEBUG DIGEST is %s, was %s", what, d, digest)
		}
		if v, err := rdb.Do(ctx(), "FCALL", "dlf", 0).Text(); v != "dl" {
			t.Fatalf("after %s FCALL: %q %v", what, v, err)
		}
	}
	before, digest := dumpTyped(t, p.addr(), ""), rdb.Do(ctx(), "DEBUG", "DIGEST").String()
	if len(before) < 100 {
		t.Fatalf("only %d keys", len(before))
	}
	must(t, rdb.Do(ctx(), "DEBUG", "LOADAOF").Err())
	same("DEBUG LOADAOF", before, digest)

	// a snapshot, then more writes: LOADAOF reads the snapshot and the WAL after it
	must(t, rdb.Save(ctx()).Err())
	typedWorkload(t, p.addr(), "", 1000, 22)
	moreTypes(t, p.addr(), 2)
	before, digest = dumpTyped(t, p.addr(), ""), rdb.Do(ctx(), "DEBUG", "DIGEST").String()
	must(t, rdb.Do(ctx(), "DEBUG", "LOADAOF").Err())
	same("DEBUG LOADAOF after SAVE", before, digest)
	must(t, rdb.Do(ctx(), "DEBUG", "RELOAD").Err())
	same("DEBUG RELOAD", before, digest)

	// NOSAVE goes back to the state of the last RELOAD: logged, so a
	// restart after kill -9 has it too
	typedWorkload(t, p.addr(), "", 500, 23)
	must(t, rdb.Do(ctx(), "DEBUG", "RELOAD", "NOSAVE").Err())
	same("DEBUG RELOAD NOSAVE", before, digest)
	must(t, rdb.Set(ctx(), "after-nosave", "1", 0).Err())
	// MERGE adds the file's keys back after a FLUSHALL of db 1
	c1 := redis.NewClient(&redis.Options{Addr: p.addr(), DB: 1})
	defer c1.Close()
	must(t, c1.FlushDB(ctx()).Err())
	must(t, c1.Set(ctx(), "db1-own", "x", 0).Err())
	must(t, rdb.Do(ctx(), "DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE").Err())
	want := dumpTyped(t, p.addr(), "")
	if want["0|after-nosave"] == "" || want["1|db1-own"] == "" {
		t.Fatalf("MERGE dropped the keys not in the file")
	}
	p.kill()
	p = startReady(t, dir)
	diffTyped(t, want, dumpTyped(t, p.addr(), ""))
}

// DEBUG LOADAOF needs the WAL.
func TestDebugLoadAOFWithoutWAL(t *testing.T) {
	p := startReady(t, t.TempDir(), "--enable-debug-command", "yes", "--appendonly", "no")
	if err := p.client().Do(ctx(), "DEBUG", "LOADAOF").Err(); err == nil || err.Error() != "ERR DEBUG LOADAOF needs the WAL (appendonly yes)" {
		t.Fatalf("DEBUG LOADAOF with appendonly no: %v", err)
	}
}

// TestSnapshotKeepsTTLs: a key of every type keeps its TTL through a
// snapshot and a restart (a list's was lost: its snapshot entry's expiry
// was not applied).
func TestSnapshotKeepsTTLs(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir)
	rdb := p.client()
	for _, cmd := range [][]any{{"SET", "s", "v"}, {"HSET", "h", "f", "v"}, {"RPUSH", "l", "a", "b"}, {"SADD", "set", "m"},
		{"ZADD", "z", "1", "m"}, {"XADD", "x", "1-1", "f", "v"}} {
		must(t, rdb.Do(ctx(), cmd...).Err())
		must(t, rdb.Do(ctx(), "PEXPIREAT", cmd[1], 4102444800000).Err())
	}
	must(t, rdb.Save(ctx()).Err())
	p.kill() // the snapshot holds everything: the WAL after it is empty
	p = startReady(t, dir)
	rdb = p.client()
	for _, k := range []string{"s", "h", "l", "set", "z", "x"} {
		if at, err := rdb.Do(ctx(), "PEXPIRETIME", k).Int64(); at != 4102444800000 {
			t.Errorf("%s: PEXPIRETIME %d %v after a snapshot restart", k, at, err)
		}
	}
}
