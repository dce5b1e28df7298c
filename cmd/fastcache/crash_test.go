package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// writerModel records, per key, the highest value a client sent and the
// highest value the server acknowledged (values only grow per key).
type writerModel struct {
	mu       sync.Mutex
	sent     map[string]int64
	acked    map[string]int64
	ackedAt  map[string][]ack // every acknowledgement, for the everysec bound
	pairs    map[string]int64 // MSET pairs: acked value of both halves
	pairSent map[string]int64
	pairAt   map[string][]ack // every acknowledged MSET, for the everysec bound
}

type ack struct {
	v  int64
	at time.Time
}

func newModel() *writerModel {
	return &writerModel{sent: map[string]int64{}, acked: map[string]int64{}, ackedAt: map[string][]ack{},
		pairs: map[string]int64{}, pairSent: map[string]int64{}, pairAt: map[string][]ack{}}
}

// drive runs `writers` concurrent clients doing SETs (and cross-shard MSETs of
// pairs) until stop is closed. Each client owns its keys, so per-key values
// are strictly increasing.
func (m *writerModel) drive(rdb *redis.Client, writers int, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if r.IntN(10) == 0 {
					pk := fmt.Sprintf("pair:%d:%d", w, r.IntN(10))
					m.mu.Lock()
					v := m.pairSent[pk] + 1
					m.pairSent[pk] = v
					m.mu.Unlock()
					val := strconv.FormatInt(v, 10)
					if err := rdb.MSet(ctx(), pk+":a", val, pk+":b", val).Err(); err != nil {
						return
					}
					now := time.Now()
					m.mu.Lock()
					if v > m.pairs[pk] {
						m.pairs[pk] = v
					}
					m.pairAt[pk] = append(m.pairAt[pk], ack{v, now})
					m.mu.Unlock()
					continue
				}
				key := fmt.Sprintf("w:%d:%d", w, r.IntN(200))
				m.mu.Lock()
				v := m.sent[key] + 1
				m.sent[key] = v
				m.mu.Unlock()
				if err := rdb.Set(ctx(), key, strconv.FormatInt(v, 10), 0).Err(); err != nil {
					return // the server was killed
				}
				now := time.Now()
				m.mu.Lock()
				if v > m.acked[key] {
					m.acked[key] = v
				}
				m.ackedAt[key] = append(m.ackedAt[key], ack{v, now})
				m.mu.Unlock()
			}
		}(w)
	}
	return &wg
}

// verify checks the restarted server against the model: every key holds its
// last acknowledged value or a later one that was sent (ackedBefore limits
// the check to acknowledgements older than a time, for everysec), and every
// MSET pair is whole.
func (m *writerModel) verify(t *testing.T, rdb *redis.Client, ackedBefore time.Time) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for key, sent := range m.sent {
		want := m.acked[key]
		if !ackedBefore.IsZero() {
			want = 0
			for _, a := range m.ackedAt[key] {
				if a.at.Before(ackedBefore) && a.v > want {
					want = a.v
				}
			}
		}
		got, err := rdb.Get(ctx(), key).Result()
		if err == redis.Nil {
			if want > 0 {
				t.Fatalf("key %s lost: acknowledged value %d, now missing", key, want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("GET %s: %v", key, err)
		}
		v, _ := strconv.ParseInt(got, 10, 64)
		if v < want || v > sent {
			t.Fatalf("key %s = %d, want between acknowledged %d and sent %d", key, v, want, sent)
		}
		// What is back is the new baseline: later runs continue from it.
		m.acked[key] = v
		m.sent[key] = max(sent, v)
		m.ackedAt[key] = []ack{{v, time.Time{}}}
	}
	for pk, sent := range m.pairSent {
		vals, err := rdb.MGet(ctx(), pk+":a", pk+":b").Result()
		if err != nil {
			t.Fatal(err)
		}
		if vals[0] != vals[1] {
			t.Fatalf("MSET pair %s replayed partially: a=%v b=%v", pk, vals[0], vals[1])
		}
		var v int64
		if vals[0] != nil {
			v, _ = strconv.ParseInt(vals[0].(string), 10, 64)
		}
		want := m.pairs[pk]
		if !ackedBefore.IsZero() {
			want = 0
			for _, a := range m.pairAt[pk] {
				if a.at.Before(ackedBefore) && a.v > want {
					want = a.v
				}
			}
		}
		if v < want || v > sent {
			t.Fatalf("MSET pair %s = %d, want between acknowledged %d and sent %d", pk, v, want, sent)
		}
		m.pairs[pk] = v
		m.pairAt[pk] = []ack{{v, time.Time{}}}
		m.pairSent[pk] = max(sent, v)
	}
}

// TestCrashAlways kills the server with SIGKILL at random moments under
// concurrent writers (including during frequent segment rotations) and checks
// that with appendfsync always every acknowledged write survives.
func TestCrashAlways(t *testing.T) {
	dir := t.TempDir()
	m := newModel()
	kills := 24
	if testing.Short() {
		kills = 6
	}
	var acks atomic.Int64
	for i := 0; i < kills; i++ {
		p := startReady(t, dir, "--appendfsync", "always", "--wal-segment-size", "128kb")
		rdb := p.client()
		m.verify(t, rdb, time.Time{})
		stop := make(chan struct{})
		wg := m.drive(rdb, 16, stop)
		time.Sleep(time.Duration(30+rand.IntN(400)) * time.Millisecond)
		p.kill()
		close(stop)
		wg.Wait()
		acks.Store(int64(len(m.acked)))
	}
	p := startReady(t, dir)
	m.verify(t, p.client(), time.Time{})
	if len(m.acked) == 0 {
		t.Fatal("no write was ever acknowledged")
	}
	out := p.out.String()
	if contains(out, "panic") {
		t.Fatalf("server panicked:\n%s", out)
	}
}

// TestCrashEverysec checks the everysec bound: after kill -9, writes
// acknowledged more than ~2 s before the kill are all there.
func TestCrashEverysec(t *testing.T) {
	dir := t.TempDir()
	m := newModel()
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	for i := 0; i < rounds; i++ {
		p := startReady(t, dir, "--appendfsync", "everysec", "--wal-segment-size", "256kb")
		rdb := p.client()
		m.verify(t, rdb, time.Time{})
		stop := make(chan struct{})
		wg := m.drive(rdb, 8, stop)
		time.Sleep(time.Duration(2500+rand.IntN(1000)) * time.Millisecond)
		killedAt := time.Now()
		p.kill()
		close(stop)
		wg.Wait()
		p2 := startReady(t, dir, "--appendfsync", "everysec")
		m.verify(t, p2.client(), killedAt.Add(-2*time.Second))
		p2.stop()
	}
}
