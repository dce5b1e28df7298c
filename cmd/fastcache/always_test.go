package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestAlwaysBigPipelines: with appendfsync always, clients that pipeline far
// more than one socket read's worth of commands (each batch waits for its
// fsync while the rest of the pipeline queues behind it) get every reply,
// in order, and every acknowledged key survives kill -9.
func TestAlwaysBigPipelines(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendfsync", "always")
	const clients, perClient = 6, 20000
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rdb := redis.NewClient(&redis.Options{Addr: p.addr(), ReadTimeout: -1, MaxRetries: -1, ContextTimeoutEnabled: true})
			defer rdb.Close()
			for round := 0; round < 2; round++ {
				pipe := rdb.Pipeline()
				cmds := make([]*redis.IntCmd, perClient)
				for i := 0; i < perClient; i++ {
					cmds[i] = pipe.Incr(ctx(), fmt.Sprintf("c%d:k%06d", c, i))
				}
				cx, cancel := context.WithTimeout(ctx(), time.Minute)
				_, err := pipe.Exec(cx)
				cancel()
				if err != nil {
					errs <- fmt.Errorf("client %d round %d: %w", c, round, err)
					return
				}
				for i, cmd := range cmds {
					if cmd.Val() != int64(round+1) {
						errs <- fmt.Errorf("client %d round %d: reply %d is %d", c, round, i, cmd.Val())
						return
					}
				}
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	p.kill()
	p = startReady(t, dir, "--appendfsync", "always")
	rdb := p.client()
	if n, err := rdb.DBSize(ctx()).Result(); err != nil || n != clients*perClient {
		t.Fatalf("after kill -9: DBSIZE %d (%v), want %d", n, err, clients*perClient)
	}
	for c := 0; c < clients; c++ {
		k := fmt.Sprintf("c%d:k%06d", c, perClient-1)
		if v, err := rdb.Get(ctx(), k).Result(); err != nil || v != "2" {
			t.Fatalf("after kill -9: %s = %q (%v), want 2", k, v, err)
		}
	}
}
