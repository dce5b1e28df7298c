package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// TestAlwaysSeveralLoopsKill: three event loops under appendfsync always,
// each committing its own batches (inline when the WAL is free, through the
// writer goroutine when another loop holds it). Clients INCR one shared
// counter without pipelining; the server is killed with -9 while they run.
// After the restart the counter holds at least every acknowledged increment
// and at most every one sent.
func TestAlwaysSeveralLoopsKill(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendfsync", "always", "--io-threads", "3")
	const clients, maxPerClient = 9, 5000
	var acked sync.WaitGroup
	var mu sync.Mutex
	var nAcked, nSent int64
	stop := make(chan struct{})
	for c := 0; c < clients; c++ {
		acked.Add(1)
		go func() {
			defer acked.Done()
			rdb := redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: -1, PoolSize: 1})
			defer rdb.Close()
			for i := 0; i < maxPerClient; i++ {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				nSent++
				mu.Unlock()
				if err := rdb.Incr(ctx(), "ctr").Err(); err != nil {
					return // the server was killed
				}
				mu.Lock()
				nAcked++
				mu.Unlock()
			}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := nAcked
		mu.Unlock()
		if n >= clients*maxPerClient/4 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The loops wrote and fsynced batches themselves (INFO persistence).
	info, err := p.client().Info(ctx(), "persistence").Result()
	if err != nil {
		t.Fatal(err)
	}
	var loopCommits int64 = -1
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "wal_loop_commits:"); ok {
			loopCommits, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if loopCommits <= 0 {
		t.Fatalf("wal_loop_commits = %d under appendfsync always with clients waiting", loopCommits)
	}
	p.kill()
	close(stop)
	acked.Wait()
	mu.Lock()
	lo, hi := nAcked, nSent
	mu.Unlock()
	if lo == 0 {
		t.Fatal("no increment was acknowledged before the kill")
	}
	p = startReady(t, dir, "--appendfsync", "always")
	got, err := p.client().Get(ctx(), "ctr").Int64()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("acknowledged %d, sent %d, counter after kill -9 and restart %d", lo, hi, got)
	if got < lo || got > hi {
		t.Fatalf("counter %d after restart; acknowledged %d, sent %d", got, lo, hi)
	}
}

// TestAOFSizeLeavesOutPreallocation: under appendfsync always the log
// moves to a preallocated segment (its file as long as wal-segment-size,
// mostly zeros); INFO's aof_current_size counts the frames, not the zeros.
func TestAOFSizeLeavesOutPreallocation(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendfsync", "always", "--wal-segment-size", "8mb")
	rdb := p.client()
	walDir := filepath.Join(dir, "wal")
	preallocated := func() bool {
		ents, _ := os.ReadDir(walDir)
		for _, e := range ents {
			if info, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), ".wal") && info.Size() == 8<<20 {
				return true
			}
		}
		return false
	}
	for i := 0; !preallocated(); i++ {
		if i > 3000 {
			t.Fatal("the log never moved to a preallocated segment")
		}
		if err := rdb.Set(ctx(), fmt.Sprint("k", i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	size, _ := strconv.ParseInt(infoField(t, rdb, "persistence", "aof_current_size"), 10, 64)
	if size <= 0 || size >= 1<<20 {
		t.Fatalf("aof_current_size %d with a few thousand small writes", size)
	}
}
