package main

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// A job queue under kill -9 with appendfsync always: producers RPUSH unique
// elements to four queues, consumers take them with BLPOP (and BRPOP, and
// BLMPOP), and "reliable" consumers with BLMOVE into a processing list of
// their own. After each restart:
//
//   - every element a consumer received is gone from the queues (a
//     received pop was durable: it never comes back);
//   - every element BLMOVE returned is in its consumer's processing list;
//   - every acknowledged push not received is still in a queue or a
//     processing list, except at most one per BLPOP-style consumer whose
//     command was in flight at the kill (its pop may be durable while its
//     reply was lost: Redis loses it the same way; BLMOVE is the remedy);
//   - nothing is there twice, and nothing that was never pushed.

type queueModel struct {
	mu        sync.Mutex
	pushed    map[string]bool // acknowledged
	pushing   map[string]bool // in flight at the kill
	received  map[string]bool // by BLPOP-style consumers
	moved     map[string]bool // returned by BLMOVE
	popFlying int             // BLPOP-style commands in flight at the kill
	lost      map[string]bool // popped in flight, reply lost: not expected any more
	seq       int
}

var queues = []string{"jobs:0", "jobs:1", "jobs:2", "jobs:3"}

const reliableConsumers = 2

func procList(i int) string { return fmt.Sprintf("processing:%d", i) }

func (m *queueModel) drive(addr string, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	client := func() *redis.Client {
		return redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, ReadTimeout: 30 * time.Second})
	}
	for p := 0; p < 4; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			rdb := client()
			defer rdb.Close()
			r := rand.New(rand.NewPCG(uint64(p), uint64(time.Now().UnixNano())))
			for {
				select {
				case <-stop:
					return
				default:
				}
				m.mu.Lock()
				m.seq++
				var els []string
				for i := 0; i <= r.IntN(3); i++ {
					els = append(els, fmt.Sprintf("p%d-%d-%d", p, m.seq, i))
				}
				for _, e := range els {
					m.pushing[e] = true
				}
				m.mu.Unlock()
				args := make([]any, len(els))
				for i, e := range els {
					args[i] = e
				}
				if err := rdb.RPush(ctx(), queues[r.IntN(len(queues))], args...).Err(); err != nil {
					return // killed: the push stays "in flight"
				}
				m.mu.Lock()
				for _, e := range els {
					delete(m.pushing, e)
					m.pushed[e] = true
				}
				m.mu.Unlock()
			}
		}(p)
	}
	for c := 0; c < 6; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rdb := client()
			defer rdb.Close()
			for {
				select {
				case <-stop:
					return
				default:
				}
				m.mu.Lock()
				m.popFlying++
				m.mu.Unlock()
				var got []string
				var err error
				switch c % 3 {
				case 0:
					var v []string
					v, err = rdb.BLPop(ctx(), time.Second, queues...).Result()
					if err == nil {
						got = v[1:]
					}
				case 1:
					var v []string
					v, err = rdb.BRPop(ctx(), time.Second, queues...).Result()
					if err == nil {
						got = v[1:]
					}
				default:
					_, got, err = rdb.BLMPop(ctx(), time.Second, "left", 3, queues...).Result()
				}
				if err != nil && err != redis.Nil {
					return // killed: in flight
				}
				m.mu.Lock()
				m.popFlying--
				for _, e := range got {
					m.received[e] = true
				}
				m.mu.Unlock()
			}
		}(c)
	}
	for c := 0; c < reliableConsumers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rdb := client()
			defer rdb.Close()
			for {
				select {
				case <-stop:
					return
				default:
				}
				v, err := rdb.BLMove(ctx(), queues[c%len(queues)], procList(c), "LEFT", "RIGHT", time.Second).Result()
				if err == redis.Nil {
					continue
				}
				if err != nil {
					return
				}
				m.mu.Lock()
				m.moved[v] = true
				m.mu.Unlock()
			}
		}(c)
	}
	return &wg
}

// verify checks the lists after a restart against the model (see the top
// of the file) and folds the outcome of in-flight commands into it.
func (m *queueModel) verify(t *testing.T, addr string) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	where := map[string]string{}
	var dup []string
	read := func(key string) {
		els, err := rdb.LRange(ctx(), key, 0, -1).Result()
		if err != nil {
			t.Fatalf("LRANGE %s: %v", key, err)
		}
		for _, e := range els {
			if w, ok := where[e]; ok {
				dup = append(dup, e+" in "+w+" and "+key)
			}
			where[e] = key
		}
	}
	for _, q := range queues {
		read(q)
	}
	for c := 0; c < reliableConsumers; c++ {
		read(procList(c))
	}
	if len(dup) > 0 {
		t.Fatalf("elements twice: %v", dup[:min(len(dup), 10)])
	}
	for e := range m.received {
		if w, ok := where[e]; ok {
			t.Fatalf("%s was received by a consumer and is in %s again", e, w)
		}
	}
	for e := range m.moved {
		if w := where[e]; !strings.HasPrefix(w, "processing:") {
			t.Fatalf("%s was moved by BLMOVE but is in %q", e, w)
		}
	}
	var missing []string
	for e := range m.pushed {
		if !m.received[e] && !m.moved[e] && !m.lost[e] && where[e] == "" {
			missing = append(missing, e)
		}
	}
	for e := range where {
		if !m.pushed[e] && !m.pushing[e] {
			t.Fatalf("%s is in %s but was never pushed", e, where[e])
		}
	}
	// an in-flight push counts when it made it; an in-flight pop may have
	// taken an element (and also one a push in flight made)
	for e := range m.pushing {
		if where[e] != "" {
			m.pushed[e] = true
		}
	}
	sort.Strings(missing)
	if len(missing) > m.popFlying*3 { // BLMPOP pops up to 3
		t.Fatalf("%d acknowledged pushes neither received nor in a list (%d pops were in flight): %v",
			len(missing), m.popFlying, missing[:min(len(missing), 10)])
	}
	for _, e := range missing {
		m.lost[e] = true
	}
	clear(m.pushing)
	m.popFlying = 0
}

func TestCrashAlwaysQueues(t *testing.T) {
	dir := t.TempDir()
	m := &queueModel{pushed: map[string]bool{}, pushing: map[string]bool{}, received: map[string]bool{},
		moved: map[string]bool{}, lost: map[string]bool{}}
	kills := 15
	if testing.Short() {
		kills = 5
	}
	for i := 0; i < kills; i++ {
		p := startReady(t, dir, "--appendfsync", "always", "--wal-segment-size", "128kb")
		m.verify(t, p.addr())
		stop := make(chan struct{})
		wg := m.drive(p.addr(), stop)
		time.Sleep(time.Duration(50+rand.IntN(500)) * time.Millisecond)
		p.kill()
		close(stop)
		wg.Wait()
	}
	p := startReady(t, dir)
	m.verify(t, p.addr())
	if len(m.received) == 0 || len(m.moved) == 0 || len(m.pushed) == 0 {
		t.Fatalf("too little happened: %d pushed, %d received, %d moved", len(m.pushed), len(m.received), len(m.moved))
	}
	t.Logf("%d pushed, %d received by BLPOP/BRPOP/BLMPOP, %d moved by BLMOVE, %d lost with a reply in flight",
		len(m.pushed), len(m.received), len(m.moved), len(m.lost))
	if out := p.out.String(); contains(out, "panic") {
		t.Fatalf("server panicked:\n%s", out)
	}
}
