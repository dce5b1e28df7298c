package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Replica tests: a primary and a replica process on loopback, compared key
// by key (value and absolute expiry).

// dumpAll reads every key with its value and absolute expiry, pipelined.
func dumpAll(t *testing.T, rdb *redis.Client) map[string]keyState {
	t.Helper()
	out := map[string]keyState{}
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx(), cursor, "*", 5000).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) > 0 {
			pipe := rdb.Pipeline()
			gets := make([]*redis.StringCmd, len(keys))
			exps := make([]*redis.Cmd, len(keys))
			for i, k := range keys {
				gets[i] = pipe.Get(ctx(), k)
				exps[i] = pipe.Do(ctx(), "PEXPIRETIME", k)
			}
			pipe.Exec(ctx())
			for i, k := range keys {
				v, err := gets[i].Result()
				if err == redis.Nil {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				exp, err := exps[i].Int64()
				if err != nil {
					t.Fatal(err)
				}
				out[k] = keyState{val: v, exp: exp}
			}
		}
		cursor = next
		if cursor == 0 {
			break
		}
	}
	return out
}

// load writes n keys of 16 bytes with 32-byte values (every 10th with a TTL
// of an hour) in pipelined batches.
func load(t *testing.T, rdb *redis.Client, n int) {
	t.Helper()
	const batch = 2000
	for i := 0; i < n; i += batch {
		pipe := rdb.Pipeline()
		var mset []any
		for j := i; j < i+batch && j < n; j++ {
			k := fmt.Sprintf("key:%012d", j)
			v := fmt.Sprintf("value:%026d", j)
			if j%10 == 0 {
				pipe.Set(ctx(), k, v, time.Hour)
			} else {
				mset = append(mset, k, v)
			}
		}
		if len(mset) > 0 {
			pipe.MSet(ctx(), mset...)
		}
		if _, err := pipe.Exec(ctx()); err != nil {
			t.Fatalf("load: %v", err)
		}
	}
}

// churn runs random writes (SET, INCR, DEL, EXPIRE, PERSIST, MSET, MULTI,
// APPEND, SETRANGE, SETBIT)
// over a small key set until stop is closed; errors (a primary being
// killed) are tolerated.
func churn(rdb *redis.Client, seed uint64, stop <-chan struct{}, n *atomic.Int64) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(seed, 7))
		for i := 0; i < 1_000_000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			k := fmt.Sprintf("churn:%d", rng.IntN(2000))
			var err error
			switch rng.IntN(10) {
			case 0:
				err = rdb.Set(ctx(), k, rng.Int64(), 0).Err()
			case 1:
				err = rdb.Incr(ctx(), "ctr:"+strconv.Itoa(rng.IntN(20))).Err()
			case 2:
				err = rdb.Del(ctx(), k).Err()
			case 3:
				// long TTLs: a key expiring between the two dumps would
				// look like a difference
				err = rdb.Expire(ctx(), k, time.Duration(600+rng.IntN(3600))*time.Second).Err()
			case 4:
				err = rdb.Persist(ctx(), k).Err()
			case 5:
				err = rdb.MSet(ctx(), k, "m", fmt.Sprintf("churn:%d", rng.IntN(2000)), "m2").Err()
			case 6:
				_, err = rdb.TxPipelined(ctx(), func(p redis.Pipeliner) error {
					p.Set(ctx(), k, "tx", 0)
					p.Incr(ctx(), "ctr:tx")
					p.Append(ctx(), k, "+tx")
					return nil
				})
			case 7:
				err = rdb.Append(ctx(), k, "+a").Err()
			case 8:
				err = rdb.SetRange(ctx(), k, int64(rng.IntN(40)), "xy").Err()
			case 9:
				err = rdb.SetBit(ctx(), k, int64(rng.IntN(400)), rng.IntN(2)).Err()
			}
			if err != nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			n.Add(1)
		}
	}()
	return &wg
}

// replicaHasAll waits until the replica has applied every write the
// primary acknowledged before the call, the way a user makes sure of it:
// a write on a connection of its own, then WAIT 1 there (WAIT waits for
// the connection's last write, which comes after every write acknowledged
// before it, to any client).
//
// Equal master_repl_offset and slave_repl_offset prove nothing of the
// kind: the primary's offset counts the stream its WAL writer published,
// and under appendfsync everysec (or no) a write is acknowledged when it
// is applied, before the writer's next round publishes it. The writer also
// fsyncs once a second between rounds; on a loaded disk (a full go test
// run) that fsync took seconds, during which both offsets stood equal
// while the primary held writes the replica could not have yet
// (TestReplicaHyperLogLog failed so; strace delaying fdatasync reproduces it).
func replicaHasAll(t *testing.T, primary *redis.Client) {
	t.Helper()
	conn := primary.Conn()
	defer conn.Close()
	const marker = "replica-sync-marker" // left deleted: the states compared do not show it
	if err := conn.Set(ctx(), marker, "1", 0).Err(); err != nil {
		t.Fatalf("sync marker: %v", err)
	}
	if err := conn.Del(ctx(), marker).Err(); err != nil {
		t.Fatalf("sync marker: %v", err)
	}
	n, err := conn.Wait(ctx(), 1, 120*time.Second).Result()
	if err != nil || n != 1 {
		t.Fatalf("WAIT 1 = %d %v: the replica did not acknowledge the primary's writes\nprimary:\n%s", n, err,
			primary.Info(ctx(), "replication").Val())
	}
}

// converge waits until the replica has applied every write the primary
// acknowledged, then compares both keyspaces completely.
func converge(t *testing.T, primary, replica *redis.Client) int {
	t.Helper()
	replicaHasAll(t, primary)
	p := dumpAll(t, primary)
	r := dumpAll(t, replica)
	diffStates(t, p, r)
	return len(p)
}

func TestReplicaFullSyncWhileWriting(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	primary := startReady(t, t.TempDir(), "--requirepass", "pw")
	prdb := redis.NewClient(&redis.Options{Addr: primary.addr(), Password: "pw", PoolSize: 8})
	defer prdb.Close()
	load(t, prdb, n)

	stop := make(chan struct{})
	var writes atomic.Int64
	wg := churn(prdb, 1, stop, &writes)
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port), "--masterauth", "pw")
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	before := writes.Load()
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	if writes.Load() == before {
		t.Fatal("no writes ran while the replica followed")
	}
	keys := converge(t, prdb, rrdb)
	if keys < n {
		t.Fatalf("only %d keys", keys)
	}
	// Read-only for clients, with Redis's text.
	if err := rrdb.Set(ctx(), "x", "1", 0).Err(); err == nil || err.Error() != "READONLY You can't write against a read only replica." {
		t.Fatalf("write on replica: %v", err)
	}
	if v := infoField(t, prdb, "replication", "connected_slaves"); v != "1" {
		t.Fatalf("connected_slaves = %s", v)
	}
	if s := infoField(t, prdb, "replication", "slave0"); !strings.Contains(s, fmt.Sprintf("port=%d,state=online", replica.port)) {
		t.Fatalf("slave0: %s", s)
	}
	role, err := rrdb.Do(ctx(), "ROLE").Slice()
	if err != nil || len(role) != 5 || role[0] != "slave" || role[2] != int64(primary.port) || role[3] != "connected" {
		t.Fatalf("ROLE on the replica: %v %v", role, err)
	}
	prole, err := prdb.Do(ctx(), "ROLE").Slice()
	if err != nil || len(prole) != 3 || prole[0] != "master" {
		t.Fatalf("ROLE on the primary: %v %v", prole, err)
	}
	if reps, _ := prole[2].([]any); len(reps) != 1 {
		t.Fatalf("ROLE on the primary lists %v", prole[2])
	}
	t.Logf("%d keys converged; %d writes during the sync", keys, writes.Load()-before)
}

func TestReplicaWrongMasterauth(t *testing.T) {
	primary := startReady(t, t.TempDir(), "--requirepass", "pw")
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port), "--masterauth", "nope")
	rrdb := replica.client()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(infoLine(t, rrdb, "replica_last_error"), "WRONGPASS") {
		if time.Now().After(deadline) {
			t.Fatalf("no WRONGPASS error on the replica:\n%s", rrdb.Info(ctx(), "replication").Val())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v := infoField(t, rrdb, "replication", "master_link_status"); v != "down" {
		t.Fatalf("link %s with a wrong masterauth", v)
	}
	// Redis's log text, which operators grep for
	if l := infoLine(t, rrdb, "replica_last_error"); !strings.Contains(l, "Unable to AUTH to MASTER: -WRONGPASS") {
		t.Fatalf("replica_last_error: %q", l)
	}
}

func infoLine(t *testing.T, rdb *redis.Client, field string) string {
	info := rdb.Info(ctx(), "replication").Val()
	for _, l := range strings.Split(info, "\r\n") {
		if strings.HasPrefix(l, field+":") {
			return l
		}
	}
	return ""
}

// kill -9 the replica and the primary at random moments while writes go
// on; after each restart the replica converges again; then it is promoted.
func TestReplicaSurvivesKills(t *testing.T) {
	n := 200_000
	if testing.Short() {
		n = 20_000
	}
	pdir, rdir := t.TempDir(), t.TempDir()
	pport, rport := freePort(t), freePort(t)
	primary := startOn(t, pport, pdir)
	primary.waitReady(60 * time.Second)
	prdb := redis.NewClient(&redis.Options{Addr: primary.addr(), PoolSize: 8, MaxRetries: -1, DialTimeout: time.Second})
	defer prdb.Close()
	load(t, prdb, n)
	repArgs := []string{"--replicaof", fmt.Sprintf("127.0.0.1 %d", pport)}
	replica := startOn(t, rport, rdir, repArgs...)
	replica.waitReady(60 * time.Second)
	rrdb := redis.NewClient(&redis.Options{Addr: replica.addr(), MaxRetries: -1, DialTimeout: time.Second})
	defer rrdb.Close()

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	for round := 0; round < 4; round++ {
		stop := make(chan struct{})
		var writes atomic.Int64
		wg := churn(prdb, uint64(round), stop, &writes)
		time.Sleep(time.Duration(200+rng.IntN(800)) * time.Millisecond)
		if round%2 == 0 {
			t.Logf("round %d: kill -9 the replica", round)
			replica.kill()
			replica = startOn(t, rport, rdir, repArgs...)
			replica.waitReady(60 * time.Second)
		} else {
			t.Logf("round %d: kill -9 the primary", round)
			primary.kill()
			primary = startOn(t, pport, pdir)
			primary.waitReady(60 * time.Second)
		}
		time.Sleep(time.Duration(200+rng.IntN(800)) * time.Millisecond)
		close(stop)
		wg.Wait()
		keys := converge(t, prdb, rrdb)
		t.Logf("round %d: %d keys identical after %d writes", round, keys, writes.Load())
	}

	// Promote the replica: it accepts writes and keeps the data.
	if err := rrdb.Do(ctx(), "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rrdb.Set(ctx(), "after-promotion", "yes", 0).Err(); err != nil {
		t.Fatalf("write after promotion: %v", err)
	}
	if v := infoField(t, rrdb, "replication", "role"); v != "master" {
		t.Fatalf("role after promotion: %s", v)
	}
	if got := rrdb.Get(ctx(), fmt.Sprintf("key:%012d", n-1)).Val(); got != fmt.Sprintf("value:%026d", n-1) {
		t.Fatalf("promoted replica lost data: %q", got)
	}
	// Its own WAL holds what it applied: a restart keeps it.
	replica.stop()
	replica = startOn(t, rport, rdir)
	replica.waitReady(60 * time.Second)
	if got := rrdb.Get(ctx(), "after-promotion").Val(); got != "yes" {
		t.Fatalf("promoted replica lost its own write after a restart: %q", got)
	}
}

// TestReplicaBindSourceAddr: with bind-source-addr a replica connects to its
// primary from that address (the primary's INFO and ROLE show it); an
// address this host does not have is given up, as Redis's best-effort
// binding, and the link comes up from the system's choice.
func TestReplicaBindSourceAddr(t *testing.T) {
	// 127.0.0.2 is not the loopback address protected mode admits
	primary := startReady(t, t.TempDir(), "--protected-mode", "no")
	prdb := primary.client()
	for _, c := range []struct{ src, want string }{{"127.0.0.2", "127.0.0.2"}, {"203.0.113.77", "127.0.0.1"}} {
		replica := startReady(t, t.TempDir())
		rrdb := replica.client()
		if err := rrdb.ConfigSet(ctx(), "bind-source-addr", c.src).Err(); err != nil {
			t.Fatal(err)
		}
		if got := rrdb.ConfigGet(ctx(), "bind-source-addr").Val()["bind-source-addr"]; got != c.src {
			t.Fatalf("CONFIG GET bind-source-addr: %q", got)
		}
		if err := rrdb.SlaveOf(ctx(), "127.0.0.1", strconv.Itoa(primary.port)).Err(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the link", func() bool { return infoField(t, rrdb, "replication", "master_link_status") == "up" })
		waitFor(t, "the primary's replica", func() bool {
			return strings.HasPrefix(infoField(t, prdb, "replication", "slave0"), "ip="+c.want+",")
		})
		role := prdb.Do(ctx(), "ROLE").Val().([]any)
		if reps := role[2].([]any); len(reps) != 1 || reps[0].([]any)[0] != c.want {
			t.Fatalf("bind-source-addr %s: ROLE on the primary: %v", c.src, role)
		}
		replica.stop()
		waitFor(t, "the replica gone", func() bool { return infoField(t, prdb, "replication", "connected_slaves") == "0" })
	}
}
