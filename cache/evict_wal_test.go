package cache

import (
	"fmt"
	"testing"
	"time"

	"fastcache/persistence"
)

// Evictions and expiry deletions are mutations: each must reach the WAL as a
// delete record (Options.WAL / the shard queues), so that a restart that
// replays the log does not bring evicted or expired keys back.

func walOpen(t *testing.T, dir string, shards int) *persistence.WAL {
	t.Helper()
	w, err := persistence.Open(persistence.Options{Dir: dir, Shards: shards, Fsync: "no"})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func walRecords(t *testing.T, dir string) []persistence.Record {
	t.Helper()
	var recs []persistence.Record
	_, err := persistence.ReadDir(dir, persistence.ReadOptions{ReadOnly: true}, func(r *persistence.Record) error {
		cp := *r
		cp.Key = append([]byte(nil), r.Key...)
		cp.Value = nil
		recs = append(recs, cp)
		return nil
	})
	if err != nil {
		t.Fatalf("read WAL: %v", err)
	}
	return recs
}

// walReplay builds a fresh cache from the log, as a restart does.
func walReplay(t *testing.T, dir string, shards int) *Cache {
	t.Helper()
	c := New(Options{Shards: shards})
	_, err := persistence.ReadDir(dir, persistence.ReadOptions{ReadOnly: true}, func(r *persistence.Record) error {
		c.Apply(r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEvictionAndExpiryAreLogged(t *testing.T) {
	const shards = 4
	dir := t.TempDir()
	w := walOpen(t, dir, shards)
	c := New(Options{Shards: shards, WAL: w, Policy: "allkeys-lru"})

	const nPersist, nTTL, nNew = 150, 100, 150
	for i := 0; i < nPersist; i++ {
		evPut(c, fmt.Sprint("p", i), 0)
	}
	for i := 0; i < nTTL; i++ {
		// each TTL from its own put: a slow machine must not store a key
		// already expired (that is a delete, not an expiry)
		evPut(c, fmt.Sprint("t", i), time.Now().Add(150*time.Millisecond).UnixMilli())
	}
	// Let the short-TTL keys expire and the background cycle delete them.
	c.Start(20)
	if got := exWaitKeys(c, nPersist, 5*time.Second); got != nPersist {
		t.Fatalf("%d keys left after the TTL keys expired, want %d", got, nPersist)
	}
	// Now evict: fill over the limit.
	for i := 0; i < 50; i++ {
		evPut(c, fmt.Sprint("q", i), 0)
	}
	evFill(t, c, "new", nNew, 0)
	c.Close()
	st := c.Stats()
	if st.Evicted == 0 || st.Expired != nTTL {
		t.Fatalf("evicted=%d expired=%d", st.Evicted, st.Expired)
	}
	live := map[string]bool{}
	for _, k := range c.Keyspace().Keys([]byte("*")) {
		live[string(k)] = true
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	recs := walRecords(t, dir)
	sets, dels := map[string]int{}, map[string]int{}
	var lastOp = map[string]persistence.Op{}
	for _, r := range recs {
		switch r.Op {
		case persistence.OpSet:
			sets[string(r.Key)]++
		case persistence.OpDel:
			dels[string(r.Key)]++
		}
		lastOp[string(r.Key)] = r.Op
	}
	nDel := 0
	for _, n := range dels {
		nDel += n
	}
	if int64(nDel) != st.Evicted+st.Expired {
		t.Fatalf("WAL holds %d delete records; evicted_keys %d + expired_keys %d = %d",
			nDel, st.Evicted, st.Expired, st.Evicted+st.Expired)
	}
	for k := range sets {
		if live[k] && lastOp[k] != persistence.OpSet {
			t.Fatalf("live key %s: last WAL record is %v", k, lastOp[k])
		}
		if !live[k] && lastOp[k] != persistence.OpDel {
			t.Fatalf("key %s is gone (evicted or expired) but its last WAL record is %v, not del", k, lastOp[k])
		}
	}
	for i := 0; i < nTTL; i++ {
		if k := fmt.Sprint("t", i); dels[k] != 1 {
			t.Fatalf("expired key %s has %d delete records, want 1", k, dels[k])
		}
	}

	// Replaying the log (without the post-replay expiry sweep) gives exactly
	// the live key set: evicted and expired keys stay gone.
	r := walReplay(t, dir, shards)
	defer r.Close()
	if r.DBSize(0) != int64(len(live)) {
		t.Fatalf("replayed DBSIZE %d, live cache had %d keys", r.DBSize(0), len(live))
	}
	for k := range live {
		if !evExists(r, k) {
			t.Fatalf("live key %s missing after replay", k)
		}
	}
}

// TestLazyExpiryAndSweepAreLogged: a key found expired on access, and keys
// removed by SweepExpired after a replay, are logged as deletes too.
func TestLazyExpiryAndSweepAreLogged(t *testing.T) {
	const shards = 4
	dir := t.TempDir()
	w := walOpen(t, dir, shards)
	c := New(Options{Shards: shards, WAL: w})
	ks := c.Keyspace()
	exp := time.Now().Add(50 * time.Millisecond).UnixMilli()
	ks.Set([]byte("lazy"), []byte("1"), SetOptions{ExpireAt: exp}, nil)
	ks.Set([]byte("swept"), []byte("2"), SetOptions{ExpireAt: exp}, nil)
	ks.Set([]byte("keep"), []byte("3"), SetOptions{}, nil)
	time.Sleep(80 * time.Millisecond)
	if _, ok := ks.Get([]byte("lazy"), nil); ok {
		t.Fatal("expired key read")
	}
	c.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var delLazy, delSwept int
	for _, r := range walRecords(t, dir) {
		if r.Op == persistence.OpDel && string(r.Key) == "lazy" {
			delLazy++
		}
		if r.Op == persistence.OpDel && string(r.Key) == "swept" {
			delSwept++
		}
	}
	if delLazy != 1 || delSwept != 0 {
		t.Fatalf("delete records: lazy %d (want 1), swept %d (want 0 before the sweep)", delLazy, delSwept)
	}

	// Restart: replay, then the sweep removes "swept" and logs it.
	c2 := walReplay(t, dir, shards)
	w2 := walOpen(t, dir, shards)
	c2.SetWAL(w2)
	if n := c2.SweepExpired(); n != 1 {
		t.Fatalf("SweepExpired removed %d keys, want 1", n)
	}
	if c2.DBSize(0) != 1 || !evExists(c2, "keep") {
		t.Fatalf("after sweep: DBSIZE %d", c2.DBSize(0))
	}
	c2.Close()
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}
	c3 := walReplay(t, dir, shards)
	defer c3.Close()
	if c3.DBSize(0) != 1 || !evExists(c3, "keep") {
		t.Fatalf("second replay: DBSIZE %d, want only keep", c3.DBSize(0))
	}
}
