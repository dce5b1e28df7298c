package server

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"fastcache/internal/rdb"
)

// TestSyncUnderWrites: files taken with SYNC while clients write over
// every shard (SET, MSET across shards, MULTI) read back whole, with every
// MSET's keys equal: the copy on next lock, run by the writers' own
// commands, under the race detector. Both network layers (TestMain).
func TestSyncUnderWrites(t *testing.T) {
	ts := startServer(t)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: ts.addr, MaxRetries: -1})
			defer c.Close()
			for i := 0; !stop.Load() && i < 200000; i++ {
				switch w {
				case 0:
					c.Set(ctx(), fmt.Sprint("k", i%5000), i, 0)
				case 1:
					c.MSet(ctx(), "m:a", i, "m:b", i, "m:c", i, "m:d", i)
				case 2:
					c.TxPipelined(ctx(), func(p redis.Pipeliner) error {
						p.HSet(ctx(), "h", "f", i)
						p.RPush(ctx(), "l", i)
						p.SAdd(ctx(), "s", i)
						return nil
					})
				}
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()
	time.Sleep(50 * time.Millisecond)
	for round := range 5 {
		file := syncOnce(t, ts.addr)
		m := map[string]string{}
		if _, err := rdb.ReadFile(file, func(e rdb.FileEntry) error {
			if strings.HasPrefix(string(e.Key), "m:") {
				m[string(e.Key)] = string(e.Value.Str)
			}
			return nil
		}); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if len(m) != 4 || m["m:a"] != m["m:b"] || m["m:a"] != m["m:c"] || m["m:a"] != m["m:d"] {
			t.Fatalf("round %d: an MSET cut in half: %v", round, m)
		}
	}
}

// syncOnce takes a file as redis-cli --rdb does.
func syncOnce(t *testing.T, addr string) []byte {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute))
	var file bytes.Buffer
	if _, marked, err := rdb.Fetch(conn, &file, true); err != nil || !marked {
		t.Fatalf("SYNC: %v (EOF-marked: %v)", err, marked)
	}
	return file.Bytes()
}
