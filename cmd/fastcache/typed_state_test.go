package main

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Whole-keyspace comparisons over every database and every type: replay
// equivalence and replica convergence for typed values.

const stateDBs = 4 // databases the typed workloads use

// typeDumpers render one key of a type as comparable text (elements in a
// canonical order). Each type's tests add their own in an init.
var typeDumpers = map[string]func(t *testing.T, c *redis.Client, key string) string{
	"string": func(t *testing.T, c *redis.Client, key string) string {
		return c.Get(ctx(), key).Val()
	},
	"hash": func(t *testing.T, c *redis.Client, key string) string {
		m, err := c.HGetAll(ctx(), key).Result()
		if err != nil {
			t.Fatalf("HGETALL %s: %v", key, err)
		}
		var fs []string
		for f := range m {
			fs = append(fs, f)
		}
		sort.Strings(fs)
		var b strings.Builder
		for _, f := range fs {
			at, _ := c.Do(ctx(), "HPEXPIRETIME", key, "FIELDS", 1, f).Int64Slice()
			fmt.Fprintf(&b, "%q=%q@%v;", f, m[f], at)
		}
		return b.String()
	},
}

// dumpTyped reads every key of the first stateDBs databases as
// "db|key" -> "type|pexpiretime|content".
func dumpTyped(t *testing.T, addr string, password string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for db := 0; db < stateDBs; db++ {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db, Password: password})
		keys, err := c.Keys(ctx(), "*").Result()
		if err != nil {
			c.Close()
			t.Fatal(err)
		}
		for _, k := range keys {
			typ := c.Type(ctx(), k).Val()
			if typ == "none" {
				continue // expired meanwhile
			}
			d := typeDumpers[typ]
			if d == nil {
				t.Fatalf("no dumper for type %q", typ)
			}
			exp, _ := c.Do(ctx(), "PEXPIRETIME", k).Int64()
			out[fmt.Sprintf("%d|%s", db, k)] = fmt.Sprintf("%s|%d|%s", typ, exp, d(t, c, k))
		}
		c.Close()
	}
	return out
}

func diffTyped(t *testing.T, want, got map[string]string) {
	t.Helper()
	var problems []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			problems = append(problems, fmt.Sprintf("%s missing (was %.80s)", k, w))
		} else if g != w {
			i := 0
			for i < len(g) && i < len(w) && g[i] == w[i] {
				i++
			}
			from := max(0, i-40)
			problems = append(problems, fmt.Sprintf("%s differs at byte %d: got ...%.100s, want ...%.100s", k, i, g[from:], w[from:]))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			problems = append(problems, fmt.Sprintf("%s appeared (%.80s)", k, g))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		if len(problems) > 20 {
			problems = problems[:20]
		}
		t.Fatalf("%d differences:\n%s", len(problems), strings.Join(problems, "\n"))
	}
}

// typedOps are the random operations of the typed workload: each returns
// the error of its command (go-redis), on a client of a random database.
// Each type's tests can append theirs in an init.
var typedOps = []func(r *rand.Rand, c *redis.Client, key func() string) error{
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		return c.Set(ctx(), key(), r.Int64(), 0).Err()
	},
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		return c.IncrBy(ctx(), "n"+key(), int64(r.IntN(10))).Err()
	},
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		return c.Append(ctx(), "s"+key(), "+x").Err()
	},
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		return c.Del(ctx(), key(), "h"+key()).Err()
	},
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		return c.Expire(ctx(), key(), time.Duration(600+r.IntN(3600))*time.Second).Err()
	},
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		args := []any{"h" + key()}
		for i := 0; i <= r.IntN(4); i++ {
			args = append(args, "f"+strconv.Itoa(r.IntN(30)), strconv.Itoa(r.IntN(1000)))
		}
		return c.HSet(ctx(), args[0].(string), args[1:]...).Err()
	},
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		return c.HDel(ctx(), "h"+key(), "f"+strconv.Itoa(r.IntN(30)), "f"+strconv.Itoa(r.IntN(30))).Err()
	},
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		return c.HIncrBy(ctx(), "h"+key(), "ctr", int64(r.IntN(7))).Err()
	},
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		return c.HIncrByFloat(ctx(), "h"+key(), "fl", 0.25).Err()
	},
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		return c.Do(ctx(), "HEXPIRE", "h"+key(), 3600+r.IntN(3600), "FIELDS", 2, "f"+strconv.Itoa(r.IntN(30)), "ctr").Err()
	},
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		return c.Do(ctx(), "HPERSIST", "h"+key(), "FIELDS", 1, "f"+strconv.Itoa(r.IntN(30))).Err()
	},
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		// big hash: the table encoding, and snapshots of it in chunks
		k := "big" + strconv.Itoa(r.IntN(3))
		args := []any{}
		for i := 0; i < 50; i++ {
			args = append(args, "bf"+strconv.Itoa(r.IntN(3000)), strconv.Itoa(i))
		}
		return c.HSet(ctx(), k, args...).Err()
	},
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		err := c.Rename(ctx(), "h"+key(), "h"+key()).Err()
		if err != nil && strings.Contains(err.Error(), "no such key") {
			return nil
		}
		return err
	},
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		err := c.Copy(ctx(), "h"+key(), "h"+key(), r.IntN(stateDBs), true).Err()
		if err != nil && strings.Contains(err.Error(), "same") {
			return nil
		}
		return err
	},
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		err := c.Move(ctx(), "h"+key(), r.IntN(stateDBs)).Err()
		if err != nil && strings.Contains(err.Error(), "same") {
			return nil // MOVE to the database it is in
		}
		return err
	},
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		_, err := c.TxPipelined(ctx(), func(p redis.Pipeliner) error {
			p.HSet(ctx(), "h"+key(), "tx", "1")
			p.Set(ctx(), key(), "tx", 0)
			p.HIncrBy(ctx(), "h"+key(), "ctr", 1)
			return nil
		})
		return err
	},
	func(r *rand.Rand, c *redis.Client, key func() string) error {
		switch r.IntN(60) {
		case 0:
			return c.Do(ctx(), "SWAPDB", r.IntN(stateDBs), r.IntN(stateDBs)).Err()
		case 1:
			return c.FlushDB(ctx()).Err()
		case 2:
			err := c.BgSave(ctx()).Err()
			if err != nil && strings.Contains(err.Error(), "in progress") {
				return nil
			}
			return err
		}
		return nil
	},
}

// typedWorkload runs n random typed operations over stateDBs databases.
func typedWorkload(t *testing.T, addr, password string, n int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 13))
	var clients []*redis.Client
	for db := 0; db < stateDBs; db++ {
		clients = append(clients, redis.NewClient(&redis.Options{Addr: addr, DB: db, Password: password}))
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	key := func() string { return "k" + strconv.Itoa(r.IntN(60)) }
	for i := 0; i < n; i++ {
		op := typedOps[r.IntN(len(typedOps))]
		if err := op(r, clients[r.IntN(stateDBs)], key); err != nil && err != redis.Nil &&
			!strings.HasPrefix(err.Error(), "WRONGTYPE") && !strings.HasPrefix(err.Error(), "ERR hash value") {
			t.Fatalf("op %d: %v", i, err)
		}
	}
}

// TestReplayEquivalenceTyped: after a long random workload of strings and
// hashes over several databases (with MOVE, SWAPDB, FLUSHDB, RENAME and
// COPY of hashes, MULTI/EXEC, and snapshots taken meanwhile), a clean
// restart, and a kill -9 under appendfsync always, both give back exactly
// the same keyspace.
func TestReplayEquivalenceTyped(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--wal-segment-size", "64kb", "--appendfsync", "always")
	typedWorkload(t, p.addr(), "", 6000, 1)
	before := dumpTyped(t, p.addr(), "")
	if len(before) < 50 {
		t.Fatalf("workload left only %d keys", len(before))
	}
	p.stop()
	p = startReady(t, dir, "--appendfsync", "always")
	diffTyped(t, before, dumpTyped(t, p.addr(), ""))
	typedWorkload(t, p.addr(), "", 3000, 2)
	before = dumpTyped(t, p.addr(), "")
	p.kill()
	p = startReady(t, dir)
	diffTyped(t, before, dumpTyped(t, p.addr(), ""))
}

// TestReplicaConvergesTyped: a replica that follows a primary running the
// typed workload (full sync of a snapshot holding hashes in several
// databases, then the stream) ends with the same keyspace.
func TestReplicaConvergesTyped(t *testing.T) {
	primary := startReady(t, t.TempDir())
	typedWorkload(t, primary.addr(), "", 2000, 3)
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	var wg sync.WaitGroup
	var done atomic.Bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		typedWorkload(t, primary.addr(), "", 3000, 4)
		done.Store(true)
	}()
	wg.Wait()
	prdb := primary.client()
	convergeOffsets(t, prdb, rrdb)
	diffTyped(t, dumpTyped(t, primary.addr(), ""), dumpTyped(t, replica.addr(), ""))
	// and after the replica restarts (its own log holds what it applied)
	replica.kill()
	replica = startReady(t, replica.dir, "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))
	rrdb = replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	convergeOffsets(t, prdb, rrdb)
	diffTyped(t, dumpTyped(t, primary.addr(), ""), dumpTyped(t, replica.addr(), ""))
}

// convergeOffsets waits until the replica has applied every write the
// primary acknowledged (replicaHasAll: WAIT). A chained replica's primary
// is itself a replica, where WAIT cannot count: there it waits for equal
// offsets that stay equal, which proves less (see replicaHasAll).
func convergeOffsets(t *testing.T, primary, replica *redis.Client) {
	t.Helper()
	if infoField(t, primary, "replication", "role") == "master" {
		replicaHasAll(t, primary)
		return
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		link := infoField(t, replica, "replication", "master_link_status")
		po := infoInt(t, primary, "replication", "master_repl_offset")
		ro := infoInt(t, replica, "replication", "slave_repl_offset")
		if link == "up" && po == ro {
			time.Sleep(100 * time.Millisecond)
			if infoInt(t, primary, "replication", "master_repl_offset") == po &&
				infoInt(t, replica, "replication", "slave_repl_offset") == po {
				return
			}
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica did not catch up: link %s, primary %d, replica %d\n%s", link, po, ro, replica.Info(ctx(), "replication").Val())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReplicaNeverShowsHalfAGroup: while the primary runs MSETs of pairs
// across shards and MULTI/EXECs writing two hashes, readers on the replica
// (MGET and a MULTI of two HGETs, each of which reads its keys at one
// moment) never see one half of a group without the other.
func TestReplicaNeverShowsHalfAGroup(t *testing.T) {
	primary := startReady(t, t.TempDir())
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	prdb := primary.client()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written atomic.Int64
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for v := 1; ; v++ {
				select {
				case <-stop:
					return
				default:
				}
				a, b := fmt.Sprintf("pair%d:a", w), fmt.Sprintf("pair%d:b", w)
				if err := prdb.MSet(ctx(), a, v, b, v).Err(); err != nil {
					t.Error(err)
					return
				}
				_, err := prdb.TxPipelined(ctx(), func(p redis.Pipeliner) error {
					p.HSet(ctx(), fmt.Sprintf("h%d:a", w), "v", v)
					p.HSet(ctx(), fmt.Sprintf("h%d:b", w), "v", v)
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				written.Add(1)
			}
		}(w)
	}
	checks := 0
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		w := checks % 4
		vals, err := rrdb.MGet(ctx(), fmt.Sprintf("pair%d:a", w), fmt.Sprintf("pair%d:b", w)).Result()
		if err != nil {
			t.Fatal(err)
		}
		if vals[0] != vals[1] {
			t.Fatalf("replica shows half of an MSET: a=%v b=%v", vals[0], vals[1])
		}
		cmds, err := rrdb.TxPipelined(ctx(), func(p redis.Pipeliner) error {
			p.HGet(ctx(), fmt.Sprintf("h%d:a", w), "v")
			p.HGet(ctx(), fmt.Sprintf("h%d:b", w), "v")
			return nil
		})
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		x, _ := cmds[0].(*redis.StringCmd).Result()
		y, _ := cmds[1].(*redis.StringCmd).Result()
		if x != y {
			t.Fatalf("replica shows half of a MULTI/EXEC: %q vs %q", x, y)
		}
		checks++
	}
	close(stop)
	wg.Wait()
	if written.Load() < 10 || checks < 100 {
		t.Fatalf("too little happened: %d groups written, %d checks", written.Load(), checks)
	}
}

// TestReplicaRestartResumes: a replica killed with kill -9 and restarted
// while its primary keeps running continues from the position its own log
// holds (the primary's backlog still covers it): no full resync, and the
// keyspace converges, including the writes made while it was down.
func TestReplicaRestartResumes(t *testing.T) {
	primary := startReady(t, t.TempDir())
	typedWorkload(t, primary.addr(), "", 1500, 5)
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port), "--appendfsync", "always")
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	prdb := primary.client()
	typedWorkload(t, primary.addr(), "", 1500, 6)
	convergeOffsets(t, prdb, rrdb)
	if n := infoField(t, rrdb, "replication", "replica_full_syncs"); n != "1" {
		t.Fatalf("replica_full_syncs = %s before the restart, want 1", n)
	}
	replica.kill()
	typedWorkload(t, primary.addr(), "", 1000, 7) // while it is down
	replica = startReady(t, replica.dir, "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))
	rrdb = replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	convergeOffsets(t, prdb, rrdb)
	if n := infoField(t, rrdb, "replication", "replica_full_syncs"); n != "0" {
		t.Fatalf("replica_full_syncs = %s after the restart, want 0 (resumed)\n%s", n, replica.out.String())
	}
	if !contains(replica.out.String(), "replication resumed from the primary's backlog") {
		t.Fatalf("no resume in the replica's log:\n%s", replica.out.String())
	}
	diffTyped(t, dumpTyped(t, primary.addr(), ""), dumpTyped(t, replica.addr(), ""))
}
