package cache

import (
	"fmt"
	"sync"
	"testing"
)

// TestPrefetchBesideWriters: Prefetch takes no lock, so it runs here on
// one goroutine while another fills, overwrites and deletes keys (index
// doublings and shrinks, new arena chunks, evacuations). Under -race this
// fails if the prefetcher reads table state other than what shard/hint.go
// publishes atomically; everywhere it checks the data is untouched.
func TestPrefetchBesideWriters(t *testing.T) {
	c := New(Options{Shards: 4})
	t.Cleanup(c.Close)
	ks := c.Keyspace()
	const n = 40000
	key := func(i int) []byte { return []byte(fmt.Sprintf("key:%d", i)) }

	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		keys := make([][]byte, 16)
		hs := make([]uint64, 16)
		for round := 0; ; round++ {
			select {
			case <-done:
				return
			default:
			}
			for j := range keys {
				keys[j] = key((round*16 + j) % n)
			}
			c.Prefetch(keys, hs)
		}
	}()
	for i := 0; i < n; i++ {
		ks.Set(key(i), []byte(fmt.Sprintf("value %d", i)), SetOptions{}, nil)
	}
	for i := 0; i < n; i += 2 {
		ks.Set(key(i), []byte(fmt.Sprintf("a longer value %d", i)), SetOptions{}, nil)
	}
	ks.Del([][]byte{key(1), key(3)})
	for i := 5; i < n; i += 2 {
		ks.Del([][]byte{key(i)})
	}
	close(done)
	wg.Wait()

	for i := 0; i < n; i++ {
		v, ok := ks.Get(key(i), nil)
		want := ""
		switch {
		case i%2 == 0:
			want = fmt.Sprintf("a longer value %d", i)
		}
		if (want != "") != ok || string(v) != want {
			t.Fatalf("key %d: %q (found %v), want %q", i, v, ok, want)
		}
	}
}
