package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// fieldState is what a hash field holds: missing, or a value with or
// without a TTL.
type fieldState struct {
	present bool
	value   string
	ttl     bool
}

// hashModel tracks, per hash field, the state after the last acknowledged
// command and the state the command in flight (if any) would leave. Each
// writer owns its keys, so at most one command per field is in flight when
// the server is killed: after a restart the field must be in one of the two
// states.
type hashModel struct {
	mu       sync.Mutex
	acked    map[string]fieldState // "db|key|field"
	inflight map[string]fieldState
}

func newHashModel() *hashModel {
	return &hashModel{acked: map[string]fieldState{}, inflight: map[string]fieldState{}}
}

func hkey(db int, key, field string) string { return fmt.Sprintf("%d|%s|%s", db, key, field) }

// drive runs writers that each own one hash in database w%4 and apply
// HSET, HINCRBY, HDEL and HEXPIRE/HPERSIST to its fields.
func (m *hashModel) drive(addr string, writers int, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			db := w % 4
			rdb := redis.NewClient(&redis.Options{Addr: addr, DB: db, MaxRetries: -1})
			defer rdb.Close()
			key := fmt.Sprintf("hw:%d", w)
			r := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for {
				select {
				case <-stop:
					return
				default:
				}
				field := "f" + strconv.Itoa(r.IntN(12))
				k := hkey(db, key, field)
				m.mu.Lock()
				cur := m.acked[k]
				m.mu.Unlock()
				next := cur
				var cmd func() error
				switch op := r.IntN(10); {
				case op < 4:
					v := strconv.FormatInt(r.Int64N(1e9), 10)
					next = fieldState{present: true, value: v}
					cmd = func() error { return rdb.HSet(ctx(), key, field, v).Err() }
				case op < 7:
					n := int64(0)
					if cur.present {
						n, _ = strconv.ParseInt(cur.value, 10, 64)
					}
					next = fieldState{present: true, value: strconv.FormatInt(n+3, 10), ttl: cur.ttl}
					cmd = func() error { return rdb.HIncrBy(ctx(), key, field, 3).Err() }
				case op < 8:
					next = fieldState{}
					cmd = func() error { return rdb.HDel(ctx(), key, field).Err() }
				case op < 9:
					if cur.present {
						next.ttl = true
					}
					cmd = func() error { return rdb.Do(ctx(), "HEXPIRE", key, 3600, "FIELDS", 1, field).Err() }
				default:
					next.ttl = false
					cmd = func() error { return rdb.Do(ctx(), "HPERSIST", key, "FIELDS", 1, field).Err() }
				}
				m.mu.Lock()
				m.inflight[k] = next
				m.mu.Unlock()
				if err := cmd(); err != nil {
					return // killed
				}
				m.mu.Lock()
				m.acked[k] = next
				delete(m.inflight, k)
				m.mu.Unlock()
			}
		}(w)
	}
	return &wg
}

// verify reads every field the model knows and checks it holds the
// acknowledged state or the in-flight one; what is there becomes the new
// acknowledged state.
func (m *hashModel) verify(t *testing.T, addr string) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	clients := map[int]*redis.Client{}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	// Every field with an acknowledged state, and every field whose first
	// command was in flight at the kill (it has no acknowledged entry yet:
	// "missing"): that write may have reached the log, and what the server
	// holds becomes the model's state either way.
	fields := make(map[string]fieldState, len(m.acked)+len(m.inflight))
	for k := range m.inflight {
		fields[k] = fieldState{}
	}
	for k, st := range m.acked {
		fields[k] = st
	}
	for k, want := range fields {
		var db int
		var key, field string
		fmt.Sscanf(k, "%d|", &db)
		rest := k[len(strconv.Itoa(db))+1:]
		for i := 0; i < len(rest); i++ {
			if rest[i] == '|' {
				key, field = rest[:i], rest[i+1:]
				break
			}
		}
		c := clients[db]
		if c == nil {
			c = redis.NewClient(&redis.Options{Addr: addr, DB: db})
			clients[db] = c
		}
		var got fieldState
		v, err := c.HGet(ctx(), key, field).Result()
		switch err {
		case nil:
			got = fieldState{present: true, value: v}
			ttl, err := c.Do(ctx(), "HTTL", key, "FIELDS", 1, field).Int64Slice()
			if err != nil || len(ttl) != 1 {
				t.Fatalf("HTTL %s %s: %v %v", key, field, ttl, err)
			}
			got.ttl = ttl[0] > 0
		case redis.Nil:
		default:
			t.Fatalf("HGET %s %s: %v", key, field, err)
		}
		fl, flying := m.inflight[k]
		if got != want && !(flying && got == fl) {
			t.Fatalf("db %d %s.%s = %+v after restart; acknowledged %+v, in flight %+v (%v)", db, key, field, got, want, fl, flying)
		}
		m.acked[k] = got
	}
	clear(m.inflight)
}

// TestCrashAlwaysHashes: kill -9 under appendfsync always at random moments
// while clients run HSET, HINCRBY, HDEL and HEXPIRE/HPERSIST on hashes in
// four databases: every acknowledged change is there after restart.
func TestCrashAlwaysHashes(t *testing.T) {
	dir := t.TempDir()
	m := newHashModel()
	kills := 22
	if testing.Short() {
		kills = 6
	}
	for i := 0; i < kills; i++ {
		p := startReady(t, dir, "--appendfsync", "always", "--wal-segment-size", "128kb")
		m.verify(t, p.addr())
		stop := make(chan struct{})
		wg := m.drive(p.addr(), 12, stop)
		time.Sleep(time.Duration(30+rand.IntN(400)) * time.Millisecond)
		p.kill()
		close(stop)
		wg.Wait()
	}
	p := startReady(t, dir)
	m.verify(t, p.addr())
	if len(m.acked) == 0 {
		t.Fatal("no write was ever acknowledged")
	}
	if out := p.out.String(); contains(out, "panic") {
		t.Fatalf("server panicked:\n%s", out)
	}
}
