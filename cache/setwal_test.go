package cache

import (
	"sync/atomic"
	"testing"

	"fastcache/persistence"
)

// SetWAL on a live cache (CONFIG SET appendonly): the new log numbers its
// records after the old one's, its queues report that LSN as their cut
// until they log, and HoldDurability makes nothing read as durable until
// released (its waiters are told).
func TestSetWALLiveAndHoldDurability(t *testing.T) {
	c := New(Options{Shards: 4})
	defer c.Close()
	for i := 0; i < 10; i++ {
		c.Keyspace().Set([]byte{byte('a' + i)}, []byte("v"), SetOptions{}, nil)
	}
	if got := c.LastLSN(); got != 10 {
		t.Fatalf("LastLSN %d with the disabled log, want 10", got)
	}
	w := walOpen(t, t.TempDir(), 4)
	c.SetWAL(w)
	if got := c.LastLSN(); got != 10 {
		t.Fatalf("LastLSN %d after SetWAL, want 10", got)
	}
	for i := 0; i < 4; i++ {
		if got := w.Queue(i).LastLSN(); got != 10 {
			t.Fatalf("queue %d LastLSN %d, want 10", i, got)
		}
	}
	var fired atomic.Int32
	cancel := c.OnDurable(func() { fired.Add(1) })
	defer cancel()
	release := c.HoldDurability()
	if got := c.DurableLSN(); got != 0 {
		t.Fatalf("DurableLSN %d while held", got)
	}
	c.Keyspace().Set([]byte("z"), []byte("v"), SetOptions{}, nil)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := c.DurableLSN(); got != 0 {
		t.Fatalf("DurableLSN %d while held, after a flush", got)
	}
	before := fired.Load()
	release()
	release() // once only
	if got := c.DurableLSN(); got != 11 {
		t.Fatalf("DurableLSN %d after release, want 11", got)
	}
	if n := fired.Load() - before; n != 1 {
		t.Fatalf("durability waiters told %d times on release, want 1", n)
	}
	d := persistence.NewDisabled(4)
	c.SetWAL(d)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := c.LastLSN(); got != 11 {
		t.Fatalf("LastLSN %d after switching the log off, want 11", got)
	}
}
