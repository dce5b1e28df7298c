package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"fastcache/object"
)

// Persistence of HyperLogLogs on the real binary. A HyperLogLog is a string
// whose bytes Redis defines (sparse or dense, the cached cardinality), and
// its changes are logged in effect form: the changed byte ranges of a dense
// value, the whole value when it grows or becomes dense, the 8 bytes of the
// cardinality PFCOUNT stores. So the checks are byte for byte: a restart
// (clean, kill -9 under appendfsync always, from a snapshot plus the log)
// and a replica must hold exactly the bytes the server held.

// hllState is every key's bytes and absolute expiry.
func hllState(t *testing.T, rdb *redis.Client) map[string]string {
	t.Helper()
	out := map[string]string{}
	keys, err := rdb.Keys(ctx(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		v, err := rdb.Get(ctx(), k).Result()
		if err == redis.Nil {
			continue
		}
		if err != nil {
			t.Fatalf("GET %s: %v", k, err)
		}
		exp, err := rdb.Do(ctx(), "PEXPIRETIME", k).Int64()
		if err != nil {
			t.Fatal(err)
		}
		out[k] = fmt.Sprintf("exp=%d %x", exp, v)
	}
	return out
}

// hllWorkload runs n random HyperLogLog commands on a small key space:
// PFADD batches (keys grow from sparse to dense), PFCOUNT (storing the
// cardinality), PFMERGE, PFDEBUG TODENSE, hll-sparse-max-bytes changes,
// expiries, deletions, transactions.
func hllWorkload(t *testing.T, rdb *redis.Client, n int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 91))
	key := func() string { return "hll" + strconv.Itoa(r.IntN(10)) }
	next := int(seed) * 1_000_000
	elems := func(k int) []any {
		out := make([]any, k)
		for i := range out {
			next++
			out[i] = "e" + strconv.Itoa(next)
		}
		return out
	}
	for i := 0; i < n; i++ {
		var args []any
		switch x := r.IntN(20); {
		case x < 8:
			args = append([]any{"PFADD", key()}, elems(r.IntN(1+r.IntN(60)))...)
		case x < 12:
			args = []any{"PFCOUNT", key()}
		case x < 13:
			args = []any{"PFCOUNT", key(), key()}
		case x < 15:
			args = []any{"PFMERGE", key(), key(), key()}
		case x < 16:
			args = []any{"PFDEBUG", "TODENSE", key()}
		case x < 17:
			args = []any{"CONFIG", "SET", "hll-sparse-max-bytes", strconv.Itoa(200 + r.IntN(4000))}
		case x < 18:
			args = []any{"PEXPIREAT", key(), time.Now().Add(time.Hour).UnixMilli() + int64(r.IntN(1000))}
		case x < 19:
			k := key()
			_, err := rdb.TxPipelined(ctx(), func(p redis.Pipeliner) error {
				p.PFAdd(ctx(), k, elems(3)...)
				p.PFCount(ctx(), k)
				p.PFMerge(ctx(), key(), k)
				return nil
			})
			if err != nil {
				t.Fatalf("op %d: MULTI: %v", i, err)
			}
			continue
		default:
			args = []any{"DEL", key()}
		}
		if err := rdb.Do(ctx(), args...).Err(); err != nil && err != redis.Nil && err.Error() != "ERR The specified key does not exist" {
			t.Fatalf("op %d %.100v: %v", i, args, err)
		}
	}
}

func diffHLLState(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	var problems []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			problems = append(problems, k+" missing")
		} else if g != w {
			i := 0
			for i < len(g) && i < len(w) && g[i] == w[i] {
				i++
			}
			problems = append(problems, fmt.Sprintf("%s: %d hex digits, want %d; first difference at %d", k, len(g), len(w), i))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			problems = append(problems, k+" should not exist")
		}
	}
	if len(problems) > 0 {
		t.Fatalf("%s: %d differences:\n%s", what, len(problems), strings.Join(problems, "\n"))
	}
}

// TestReplayEquivalenceHyperLogLog: after random HyperLogLog commands, a
// clean restart, a kill -9 under appendfsync always and a restart from a
// snapshot plus the log after it give back exactly the same bytes.
func TestReplayEquivalenceHyperLogLog(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendfsync", "always", "--wal-segment-size", "256kb")
	rdb := p.client()
	hllWorkload(t, rdb, 3000, 1)
	before := hllState(t, rdb)
	dense := 0
	for _, v := range before {
		if strings.Contains(v, " 48594c4c00") { // "HYLL" + dense
			dense++
		}
	}
	if len(before) < 5 || dense == 0 || dense == len(before) {
		t.Fatalf("workload left %d keys, %d dense: want both kinds", len(before), dense)
	}
	p.stop()

	p = startReady(t, dir, "--appendfsync", "always")
	rdb = p.client()
	diffHLLState(t, "after a clean restart", before, hllState(t, rdb))

	hllWorkload(t, rdb, 1500, 2)
	if err := rdb.Do(ctx(), "SAVE").Err(); err != nil {
		t.Fatal(err)
	}
	hllWorkload(t, rdb, 1500, 3) // after the snapshot: replayed from the log
	before = hllState(t, rdb)
	p.kill()

	p = startReady(t, dir, "--appendfsync", "always")
	diffHLLState(t, "after kill -9 (snapshot + log)", before, hllState(t, p.client()))
}

// TestCrashHyperLogLogAlways: writers PFADD to (and PFCOUNT) keys of their
// own under appendfsync always; kill -9 at a random moment, twice. After
// each restart every key holds exactly the bytes of its last acknowledged
// command, or of the one that was in flight (computed from the former).
func TestCrashHyperLogLogAlways(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendfsync", "always")
	const writers = 6
	type writer struct {
		mu       sync.Mutex
		acked    []byte // the key's bytes after the last acknowledged command (nil: no key)
		inflight []byte // the bytes the command in flight would leave
	}
	ws := make([]*writer, writers)
	for w := range ws {
		ws[w] = &writer{}
	}
	maxBytes := int64(3000)
	// apply computes what PFADD (elems) or PFCOUNT (elems nil) leaves.
	apply := func(v []byte, elems []string) []byte {
		if elems == nil {
			if v == nil {
				return nil
			}
			if _, ok := object.HLLCachedCard(v); ok {
				return v
			}
			out := append([]byte(nil), v...)
			c, _ := object.HLLCount(out)
			object.HLLPutCard(out, c)
			return out
		}
		updated := v == nil
		out := object.NewHLL()
		if v != nil {
			out = append([]byte(nil), v...)
		}
		for _, e := range elems {
			var res int
			out, res = object.HLLAdd(out, []byte(e), maxBytes, nil)
			updated = updated || res == 1
		}
		if updated {
			object.HLLInvalidate(out)
		}
		return out
	}
	for round := 0; round < 2; round++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var ops atomic.Int64
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				rdb := redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: -1, PoolSize: 1})
				defer rdb.Close()
				r := rand.New(rand.NewPCG(uint64(w), uint64(round)))
				k := "hw:" + strconv.Itoa(w)
				me := ws[w]
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					var elems []string
					if r.IntN(4) != 0 {
						for j := 0; j < 1+r.IntN(30); j++ {
							elems = append(elems, fmt.Sprintf("r%d-%d-%d", round, i, j))
						}
					}
					me.mu.Lock()
					me.inflight = apply(me.acked, elems)
					me.mu.Unlock()
					var err error
					if elems == nil {
						err = rdb.PFCount(ctx(), k).Err()
					} else {
						args := make([]any, len(elems))
						for j, e := range elems {
							args[j] = e
						}
						err = rdb.PFAdd(ctx(), k, args...).Err()
					}
					if err != nil {
						return
					}
					me.mu.Lock()
					me.acked = me.inflight
					me.mu.Unlock()
					ops.Add(1)
				}
			}(w)
		}
		target := int64(300 + rand.IntN(3000))
		deadline := time.Now().Add(30 * time.Second)
		for ops.Load() < target && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		p.kill()
		close(stop)
		wg.Wait()
		t.Logf("round %d: killed after %d acknowledged commands", round, ops.Load())

		p = startReady(t, dir, "--appendfsync", "always")
		rdb := p.client()
		for w, me := range ws {
			k := "hw:" + strconv.Itoa(w)
			got, err := rdb.Get(ctx(), k).Bytes()
			if err == redis.Nil {
				got = nil
			} else if err != nil {
				t.Fatal(err)
			}
			switch {
			case bytes.Equal(got, me.acked):
			case bytes.Equal(got, me.inflight):
				me.acked = me.inflight // the command in flight had reached the log
			default:
				t.Fatalf("round %d: %s has %d bytes, matching neither the last acknowledged state (%d bytes) nor the one in flight (%d)",
					round, k, len(got), len(me.acked), len(me.inflight))
			}
		}
	}
}

// TestReplicaHyperLogLog: a replica that follows HyperLogLog writes (full
// sync, then the stream) holds the primary's bytes, also after it stored
// cardinalities of its own (PFCOUNT on the replica).
func TestReplicaHyperLogLog(t *testing.T) {
	primary := startReady(t, t.TempDir())
	prdb := primary.client()
	hllWorkload(t, prdb, 1000, 5) // before the replica: full sync
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	for round := 0; round < 3; round++ {
		hllWorkload(t, prdb, 800, uint64(6+round)) // while it follows: the stream
		for i := 0; i < 10; i++ {
			if err := rrdb.PFCount(ctx(), "hll"+strconv.Itoa(i)).Err(); err != nil && !strings.HasPrefix(err.Error(), "WRONGTYPE") {
				t.Fatal(err)
			}
		}
	}
	for i := 0; i < 10; i++ { // the primary's cardinalities too, as the replica's PFCOUNTs stored them
		prdb.PFCount(ctx(), "hll"+strconv.Itoa(i))
	}
	replicaHasAll(t, prdb)
	want := hllState(t, prdb)
	diffHLLState(t, "replica", want, hllState(t, rrdb))
	t.Logf("%d keys converged", len(want))
}
