package cache

import (
	"fmt"
	"testing"
	"time"
)

func exSetTTL(c *Cache, prefix string, n int, ttl time.Duration) {
	exp := time.Now().Add(ttl).UnixMilli()
	ks := c.Keyspace()
	for i := 0; i < n; i++ {
		ks.Set([]byte(fmt.Sprintf("%s%d", prefix, i)), []byte("v"), SetOptions{ExpireAt: exp}, nil)
	}
}

// exWaitKeys polls (at most timeout) until DBSize <= want and returns the last DBSize.
func exWaitKeys(c *Cache, want int64, timeout time.Duration) int64 {
	deadline := time.Now().Add(timeout)
	for {
		n := c.DBSize(0)
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestActiveExpiry: keys with a short TTL that are never read are removed by
// the background cycle, counted in expired_keys, and keys without TTL or with
// a long TTL are kept.
func TestActiveExpiry(t *testing.T) {
	n := 10_000
	if testing.Short() {
		n = 2_000
	}
	c := New(Options{Shards: 16})
	defer c.Close()
	// 2 s: long enough that the last short keys are still in the future
	// when they are set on a slow run (-race, a busy machine).
	exSetTTL(c, "short", n, 2*time.Second)
	exSetTTL(c, "long", 100, time.Hour)
	for i := 0; i < 100; i++ {
		c.Keyspace().Set([]byte(fmt.Sprint("persist", i)), []byte("v"), SetOptions{}, nil)
	}
	if st := c.Stats(); st.Keys != int64(n+200) || st.Expires != int64(n+100) {
		t.Fatalf("keys=%d expires=%d, want %d and %d", st.Keys, st.Expires, n+200, n+100)
	}
	c.Start(10)

	got := exWaitKeys(c, 200+int64(n)/100, 7*time.Second)
	if got > 200+int64(n)/100 {
		t.Fatalf("after 7 s, %d keys left of %d short-TTL + 200 others (active expiry too slow or not running)", got, n)
	}
	// Everything else is removed too, given a little longer.
	got = exWaitKeys(c, 200, 3*time.Second)
	st := c.Stats()
	t.Logf("keys left %d, expired_keys %d, expired_stale_perc %.2f", got, st.Expired, st.ExpiredStalePerc)
	if st.Expired < int64(n)*99/100 || st.Expired > int64(n) {
		t.Fatalf("expired_keys = %d for %d expired keys", st.Expired, n)
	}
	if st.Hits != 0 || st.Misses != 0 {
		t.Fatalf("active expiry counted as hits/misses: %d/%d", st.Hits, st.Misses)
	}
	if st.Expires < 100 || st.Expires > 100+int64(n)/100 {
		t.Fatalf("expires = %d, want about 100", st.Expires)
	}
	for i := 0; i < 100; i++ {
		if !evExists(c, fmt.Sprint("long", i)) || !evExists(c, fmt.Sprint("persist", i)) {
			t.Fatalf("long%d or persist%d was removed", i, i)
		}
	}
	// With the expired keys gone, the cycle samples only live volatile keys:
	// the stale share falls under the cycle's 25% threshold.
	deadline := time.Now().Add(3 * time.Second)
	for c.Stats().ExpiredStalePerc > 25 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if p := c.Stats().ExpiredStalePerc; p > 25 || p < 0 {
		t.Fatalf("expired_stale_perc = %.2f with no expired key left", p)
	}
}

// TestActiveExpiryStaleBounded: half of the volatile keys expire at once.
// The cycle is approximate (as Redis's): it keeps sampling while more than a
// quarter of a sample is expired, so expired keys may linger, but their share
// of the volatile keys is driven under 25%, the estimate stays a percentage
// and follows it down, and lingering expired keys are invisible to reads.
func TestActiveExpiryStaleBounded(t *testing.T) {
	n := 10_000
	if testing.Short() {
		n = 2_000
	}
	c := New(Options{Shards: 16})
	defer c.Close()
	exSetTTL(c, "long", n, time.Hour)
	exSetTTL(c, "short", n, 150*time.Millisecond)
	// On a slow run (-race, a busy machine) the last short keys may be past
	// their expiry before they are set, and are then not stored at all.
	shortStored := c.DBSize(0) - int64(n)
	c.Start(20)
	time.Sleep(200 * time.Millisecond)
	maxSeen := 0.0
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		p := c.Stats().ExpiredStalePerc
		if p < 0 || p > 100 {
			t.Fatalf("expired_stale_perc = %f out of [0,100]", p)
		}
		if p > maxSeen {
			maxSeen = p
		}
		if k := c.DBSize(0); 4*(k-int64(n)) <= k && p <= 25 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Stop the cycle so that key counts and expired_keys are read at rest
	// (a cycle running meanwhile may have removed keys it has not counted
	// yet).
	c.Close()
	st := c.Stats()
	stale := st.Keys - int64(n)
	t.Logf("max stale estimate %.2f, now %.2f; keys %d (expired, not yet removed: %d), expired_keys %d",
		maxSeen, st.ExpiredStalePerc, st.Keys, stale, st.Expired)
	if stale < 0 {
		t.Fatalf("%d keys left: long-TTL keys were removed", st.Keys)
	}
	if 4*stale > st.Keys {
		t.Fatalf("after 5 s, %d of %d volatile keys are expired but still stored", stale, st.Keys)
	}
	if st.ExpiredStalePerc > 25 {
		t.Fatalf("expired_stale_perc = %.2f with %d/%d stale keys", st.ExpiredStalePerc, stale, st.Keys)
	}
	if st.Expired+stale != shortStored {
		t.Fatalf("expired_keys %d + still stored %d != %d expired keys", st.Expired, stale, shortStored)
	}
	for i := 0; i < n; i += 97 {
		if evExists(c, fmt.Sprint("short", i)) {
			t.Fatalf("expired key short%d still readable", i)
		}
	}
}

// TestActiveExpiryStaleAfterAllExpired: once every volatile key has expired
// and been removed, nothing in the keyspace is stale, so the estimate must
// not keep reporting a high share (Redis decays it towards 0 every cycle in
// which nothing is sampled).
func TestActiveExpiryStaleAfterAllExpired(t *testing.T) {
	c := New(Options{Shards: 16})
	defer c.Close()
	exSetTTL(c, "short", 5_000, 100*time.Millisecond)
	c.Start(20)
	if got := exWaitKeys(c, 0, 5*time.Second); got != 0 {
		t.Fatalf("%d keys left after 5 s", got)
	}
	time.Sleep(3 * time.Second) // 60 cycles with nothing to sample
	// stat_expired_stale_perc = cur*0.05 + old*0.95 every cycle, cur = 0 when
	// nothing was sampled: 60 empty cycles leave under 5% of any estimate.
	if p := c.Stats().ExpiredStalePerc; p > 25 || p < 0 {
		t.Fatalf("expired_stale_perc = %.2f after 3 s with no volatile key left", p)
	}
}

// TestLazyExpiry: without the background cycle, an expired key reads as
// missing, is removed on access and counted as expired (and a miss).
func TestLazyExpiry(t *testing.T) {
	c := New(Options{Shards: 4})
	defer c.Close()
	ks := c.Keyspace()
	exp := time.Now().Add(500 * time.Millisecond).UnixMilli()
	ks.Set([]byte("a"), []byte("1"), SetOptions{ExpireAt: exp}, nil)
	ks.Set([]byte("b"), []byte("2"), SetOptions{ExpireAt: exp}, nil)
	ks.Set([]byte("c"), []byte("3"), SetOptions{}, nil)
	if v, ok := ks.Get([]byte("a"), nil); !ok || string(v) != "1" {
		t.Fatalf("GET a before expiry: %q %v", v, ok)
	}
	if p := ks.PTTL([]byte("a")); p <= 0 || p > 500 {
		t.Fatalf("PTTL a = %d", p)
	}
	time.Sleep(time.Until(time.UnixMilli(exp + 30)))
	if c.DBSize(0) != 3 {
		t.Fatalf("DBSIZE %d: expired keys are removed only when touched (no background cycle)", c.DBSize(0))
	}
	if _, ok := ks.Get([]byte("a"), nil); ok {
		t.Fatal("GET of an expired key returned a value")
	}
	st := c.Stats()
	if st.Expired != 1 || st.Misses != 1 || st.Hits != 1 {
		t.Fatalf("expired=%d misses=%d hits=%d, want 1/1/1", st.Expired, st.Misses, st.Hits)
	}
	if ks.PTTL([]byte("b")) != -2 || ks.Exists([][]byte{[]byte("b")}) != 0 {
		t.Fatal("b still visible after its expiry")
	}
	if st := c.Stats(); st.Expired != 2 || st.Keys != 1 || st.Expires != 0 {
		t.Fatalf("expired=%d keys=%d expires=%d, want 2/1/0", st.Expired, st.Keys, st.Expires)
	}
	// Keys skips expired keys even before they are removed.
	ks.Set([]byte("d"), []byte("4"), SetOptions{ExpireAt: time.Now().Add(30 * time.Millisecond).UnixMilli()}, nil)
	time.Sleep(50 * time.Millisecond)
	if keys := ks.Keys([]byte("*")); len(keys) != 1 || string(keys[0]) != "c" {
		t.Fatalf("KEYS * = %q, want [c]", keys)
	}
	// CONFIG RESETSTAT clears the counters.
	c.ResetStats()
	if st := c.Stats(); st.Expired != 0 || st.Hits != 0 || st.Misses != 0 || st.Evicted != 0 {
		t.Fatalf("after ResetStats: %+v", st)
	}
}

// TestExpiryAndEvictionCounters: eviction and expiry do not double count: an
// expired key removed by the cycle is counted once, as expired.
func TestExpiryAndEvictionCounters(t *testing.T) {
	c := evNew(t, "volatile-ttl")
	for i := 0; i < 50; i++ {
		evPut(c, fmt.Sprint("p", i), 0)
	}
	exp := time.Now().Add(100 * time.Millisecond).UnixMilli()
	for i := 0; i < 50; i++ {
		evPut(c, fmt.Sprint("v", i), exp)
	}
	c.Start(20)
	if got := exWaitKeys(c, 50, 5*time.Second); got != 50 {
		t.Fatalf("%d keys left, want 50", got)
	}
	st := c.Stats()
	if st.Expired != 50 || st.Evicted != 0 {
		t.Fatalf("expired=%d evicted=%d, want 50/0", st.Expired, st.Evicted)
	}
	// With the volatile keys expired, volatile-ttl has nothing to evict.
	c.SetMaxMemory(1)
	if err := c.CheckWrite(true); err != ErrOOM {
		t.Fatalf("volatile-ttl with no volatile key: %v", err)
	}
}

// TestSetOverExpiredKeyCountsExpired: a plain SET replacing a key whose TTL
// has passed (not yet removed) counts it in expired_keys, as Redis does, and
// the new value carries no TTL.
func TestSetOverExpiredKeyCountsExpired(t *testing.T) {
	c := New(Options{Shards: 4}) // not started: no active expiry
	defer c.Close()
	exSetTTL(c, "k", 3, 20*time.Millisecond)
	time.Sleep(40 * time.Millisecond)
	ks := c.Keyspace()
	ks.Set([]byte("k0"), []byte("new"), SetOptions{}, nil)
	ks.Set([]byte("fresh"), []byte("x"), SetOptions{}, nil)
	if got := c.Stats().Expired; got != 1 {
		t.Fatalf("expired_keys = %d after SET over one expired key, want 1", got)
	}
	if v, ok := ks.Get([]byte("k0"), nil); !ok || string(v) != "new" {
		t.Fatalf("k0 = %q, %v", v, ok)
	}
	if ttl := ks.PTTL([]byte("k0")); ttl != -1 {
		t.Fatalf("PTTL k0 = %d, want -1", ttl)
	}
}
