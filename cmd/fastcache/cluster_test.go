package main

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestClusterMode: the binary with cluster-enabled yes, as the cluster
// clients of applications use it: go-redis's cluster client writes from
// several goroutines (single keys, transactions of one hash tag, scripts),
// redis-cli -c and redis-cli --cluster check see one node serving all
// 16384 slots; after kill -9 under appendfsync always the node keeps its ID
// and every acknowledged write.
func TestClusterMode(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--cluster-enabled", "yes", "--appendonly", "yes", "--appendfsync", "always")
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{p.addr()}, MaxRetries: -1})
	defer cc.Close()
	id := p.client().Do(ctx(), "CLUSTER", "MYID").Val()

	var acked atomic.Int64 // transactions acknowledged
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tag := fmt.Sprintf("{user:%d}%d:", g, i)
				_, err := cc.TxPipelined(ctx(), func(pp redis.Pipeliner) error {
					pp.Set(ctx(), tag+"name", "n", 0)
					pp.HSet(ctx(), tag+"profile", "visits", i)
					pp.RPush(ctx(), fmt.Sprintf("{user:%d}log", g), i)
					return nil
				})
				if err != nil {
					if strings.Contains(err.Error(), "CROSSSLOT") {
						t.Errorf("a transaction of one slot: %v", err)
					}
					return // (the kill)
				}
				if err := cc.Eval(ctx(), "return redis.call('incr', KEYS[1])", []string{fmt.Sprintf("{user:%d}log:count", g)}).Err(); err != nil {
					return
				}
				acked.Add(1)
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	p.kill() // kill -9
	close(stop)
	wg.Wait()
	if acked.Load() == 0 {
		t.Fatal("no write was acknowledged before the kill")
	}

	p = startReady(t, dir, "--cluster-enabled", "yes", "--appendonly", "yes", "--appendfsync", "always")
	c := p.client()
	if got := c.Do(ctx(), "CLUSTER", "MYID").Val(); got != id {
		t.Fatalf("the node's ID after a restart %v, before %v", got, id)
	}
	cc2 := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{p.addr()}})
	defer cc2.Close()
	var counted int64
	for g := range 4 {
		n, _ := cc2.Get(ctx(), fmt.Sprintf("{user:%d}log:count", g)).Int64()
		l := cc2.LLen(ctx(), fmt.Sprintf("{user:%d}log", g)).Val()
		if l < n {
			t.Errorf("goroutine %d: %d scripts ran after their transactions, but %d transactions are there", g, n, l)
		}
		for i := range n {
			tag := fmt.Sprintf("{user:%d}%d:", g, i)
			if cc2.Exists(ctx(), tag+"name", tag+"profile").Val() != 2 {
				t.Fatalf("an acknowledged transaction (%s) is missing after kill -9", tag)
			}
		}
		counted += n
	}
	if counted < acked.Load() {
		t.Fatalf("%d acknowledged writes, %d after the restart", acked.Load(), counted)
	}

	// redis-cli in cluster mode
	port := fmt.Sprint(p.port)
	if out, err := redisCLI(t, "-c", "-p", port, "SET", "{x}a", "1"); err != nil || strings.TrimSpace(out) != "OK" {
		t.Fatalf("redis-cli -c SET: %q %v", out, err)
	}
	out, err := redisCLI(t, "--cluster", "check", "127.0.0.1:"+port)
	if err != nil || !strings.Contains(out, "[OK] All 16384 slots covered.") || !strings.Contains(out, "[OK] All nodes agree about slots configuration.") {
		t.Fatalf("redis-cli --cluster check: %v\n%s", err, out)
	}
	if out, _ := redisCLI(t, "-p", port, "MSET", "a", "1", "b", "2"); !strings.Contains(out, "CROSSSLOT") {
		t.Fatalf("MSET across slots: %q", out)
	}
}
