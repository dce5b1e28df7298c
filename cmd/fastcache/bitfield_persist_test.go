package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// BITFIELD on the real binary: its writes are logged as the bytes they
// change, so a restart (clean, or kill -9 under appendfsync always) and a
// replica give back exactly the strings the primary had, overflow rules
// included; and under kill -9 no acknowledged BITFIELD is lost, nor half
// of one applied.

// bitfieldWorkload runs n random BITFIELD calls (every width, offsets
// plain and #N, every OVERFLOW rule, several ops a call, far apart ones)
// mixed with SETBIT, SETRANGE, APPEND, EXPIRE, DEL, MULTI/EXEC and a
// snapshot, on small strings and on strings past the big-value threshold.
func bitfieldWorkload(t *testing.T, addr string, n int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 31))
	var clients []*redis.Client
	for db := 0; db < stateDBs; db++ {
		clients = append(clients, redis.NewClient(&redis.Options{Addr: addr, DB: db}))
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	key := func() string {
		if r.IntN(10) == 0 {
			return "big" + strconv.Itoa(r.IntN(2))
		}
		return "bf" + strconv.Itoa(r.IntN(20))
	}
	ops := func() []any {
		var out []any
		for m := 1 + r.IntN(5); m > 0; m-- {
			typ := "u" + strconv.Itoa(1+r.IntN(63))
			if r.IntN(2) == 0 {
				typ = "i" + strconv.Itoa(1+r.IntN(64))
			}
			off := strconv.Itoa(r.IntN(300))
			switch r.IntN(5) {
			case 0:
				off = "#" + strconv.Itoa(r.IntN(40))
			case 1:
				off = strconv.Itoa(r.IntN(8 * 40000)) // far: another run of bytes, growth
			}
			val := strconv.FormatInt(r.Int64()>>r.IntN(64)-r.Int64()>>r.IntN(64), 10)
			switch r.IntN(8) {
			case 0:
				out = append(out, "GET", typ, off)
			case 1:
				out = append(out, "OVERFLOW", []string{"WRAP", "SAT", "FAIL"}[r.IntN(3)])
			case 2, 3, 4:
				out = append(out, "INCRBY", typ, off, val)
			default:
				out = append(out, "SET", typ, off, val)
			}
		}
		return out
	}
	for i := 0; i < n; i++ {
		c := clients[r.IntN(stateDBs)]
		k := key()
		var err error
		switch op := r.IntN(30); {
		case op < 20:
			err = c.Do(ctx(), append([]any{"BITFIELD", k}, ops()...)...).Err()
		case op < 22:
			err = c.SetBit(ctx(), k, int64(r.IntN(5000)), r.IntN(2)).Err()
		case op < 23:
			err = c.SetRange(ctx(), k, int64(r.IntN(100)), "xyz").Err()
		case op < 24:
			err = c.Append(ctx(), k, "++").Err()
		case op < 25:
			if strings.HasPrefix(k, "big") {
				err = c.Set(ctx(), k, strings.Repeat("B", 20000+r.IntN(10000)), 0).Err()
			} else {
				err = c.Del(ctx(), k).Err()
			}
		case op < 26:
			err = c.Expire(ctx(), k, time.Duration(3600+r.IntN(3600))*time.Second).Err()
		case op < 28:
			_, err = c.TxPipelined(ctx(), func(p redis.Pipeliner) error {
				p.Do(ctx(), append([]any{"BITFIELD", k}, ops()...)...)
				p.Do(ctx(), append([]any{"BITFIELD", key()}, ops()...)...)
				return nil
			})
		case op < 29:
			err = c.Do(ctx(), "BITFIELD_RO", k, "GET", "u8", "0").Err()
		default:
			if r.IntN(20) == 0 {
				err = c.BgSave(ctx()).Err()
				if err != nil && strings.Contains(err.Error(), "in progress") {
					err = nil
				}
			}
		}
		if err != nil && err != redis.Nil {
			t.Fatalf("op %d: %v", i, err)
		}
	}
}

// TestReplayEquivalenceBitfield: after a long random BITFIELD workload, a
// kill -9 under appendfsync always and a clean restart both give back
// exactly the same strings and expiry times.
func TestReplayEquivalenceBitfield(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--wal-segment-size", "64kb", "--appendfsync", "always")
	bitfieldWorkload(t, p.addr(), 4000, 1)
	before := dumpTyped(t, p.addr(), "")
	if len(before) < 40 {
		t.Fatalf("workload left only %d keys", len(before))
	}
	p.kill()
	p = startReady(t, dir, "--appendfsync", "always")
	diffTyped(t, before, dumpTyped(t, p.addr(), ""))
	bitfieldWorkload(t, p.addr(), 2000, 2)
	before = dumpTyped(t, p.addr(), "")
	p.stop()
	p = startReady(t, dir)
	diffTyped(t, before, dumpTyped(t, p.addr(), ""))
}

// TestReplicaConvergesBitfield: a replica following a primary that runs
// the BITFIELD workload holds the same strings.
func TestReplicaConvergesBitfield(t *testing.T) {
	primary := startReady(t, t.TempDir())
	bitfieldWorkload(t, primary.addr(), 1000, 3)
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	bitfieldWorkload(t, primary.addr(), 2000, 4)
	convergeOffsets(t, primary.client(), rrdb)
	diffTyped(t, dumpTyped(t, primary.addr(), ""), dumpTyped(t, replica.addr(), ""))
	if err := rrdb.Do(ctx(), "BITFIELD", "bf1", "GET", "u8", "0").Err(); err == nil || !strings.HasPrefix(err.Error(), "READONLY") {
		t.Fatalf("BITFIELD on the replica: %v, want READONLY (a write command)", err)
	}
	if err := rrdb.Do(ctx(), "BITFIELD_RO", "bf1", "GET", "u8", "0").Err(); err != nil {
		t.Fatalf("BITFIELD_RO on the replica: %v", err)
	}
}

// TestCrashAlwaysBitfield: writers each own a key of u32 counters in pairs
// far apart (counter c at #c and its twin at #(c+20000), another run of
// bytes, so each call is a group of two records) and add the same amount
// to both in one BITFIELD; the server is killed at random moments. After
// every restart each counter holds its acknowledged value, or that plus
// the call in flight, and always equals its twin.
func TestCrashAlwaysBitfield(t *testing.T) {
	dir := t.TempDir()
	const writers, counters, twin = 8, 16, 20000
	type state struct {
		acked    [counters]int64
		inflight [counters]int64 // what the call in flight adds (0: none)
	}
	var mu sync.Mutex
	states := make([]state, writers)
	verify := func(addr string) {
		t.Helper()
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		defer rdb.Close()
		mu.Lock()
		defer mu.Unlock()
		for w := range states {
			args := []any{"BITFIELD_RO", fmt.Sprintf("ctr:%d", w)}
			for c := 0; c < counters; c++ {
				args = append(args, "GET", "u32", "#"+strconv.Itoa(c), "GET", "u32", "#"+strconv.Itoa(c+twin))
			}
			got, err := rdb.Do(ctx(), args...).Int64Slice()
			if err != nil {
				t.Fatalf("read writer %d: %v", w, err)
			}
			st := &states[w]
			for c := 0; c < counters; c++ {
				a, b := got[2*c], got[2*c+1]
				if a != b {
					t.Fatalf("writer %d counter %d: %d but its twin %d: half of a BITFIELD applied", w, c, a, b)
				}
				if a != st.acked[c] && a != st.acked[c]+st.inflight[c] {
					t.Fatalf("writer %d counter %d = %d after restart; acknowledged %d, in flight +%d", w, c, a, st.acked[c], st.inflight[c])
				}
				st.acked[c], st.inflight[c] = a, 0
			}
		}
	}
	drive := func(addr string, stop <-chan struct{}) *sync.WaitGroup {
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
				defer rdb.Close()
				r := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
				for {
					select {
					case <-stop:
						return
					default:
					}
					c := r.IntN(counters)
					add := int64(1 + r.IntN(9))
					mu.Lock()
					states[w].inflight[c] = add
					mu.Unlock()
					err := rdb.Do(ctx(), "BITFIELD", fmt.Sprintf("ctr:%d", w),
						"INCRBY", "u32", "#"+strconv.Itoa(c), add, "INCRBY", "u32", "#"+strconv.Itoa(c+twin), add).Err()
					if err != nil {
						return // killed: the call stays in flight
					}
					mu.Lock()
					states[w].acked[c] += add
					states[w].inflight[c] = 0
					mu.Unlock()
				}
			}(w)
		}
		return &wg
	}
	kills := 12
	if testing.Short() {
		kills = 4
	}
	acked := int64(0)
	for i := 0; i < kills; i++ {
		p := startReady(t, dir, "--appendfsync", "always", "--wal-segment-size", "128kb")
		verify(p.addr())
		stop := make(chan struct{})
		wg := drive(p.addr(), stop)
		time.Sleep(time.Duration(30+rand.IntN(300)) * time.Millisecond)
		p.kill()
		close(stop)
		wg.Wait()
	}
	p := startReady(t, dir)
	verify(p.addr())
	for _, st := range states {
		for _, a := range st.acked {
			acked += a
		}
	}
	if acked == 0 {
		t.Fatal("no BITFIELD was ever acknowledged")
	}
	t.Logf("%d increments acknowledged over %d kills", acked, kills)
	if out := p.out.String(); contains(out, "panic") {
		t.Fatalf("server panicked:\n%s", out)
	}
}
