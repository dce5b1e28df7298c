package cache

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"fastcache/shard"
)

// The eviction tests store values above the arena's big-record threshold
// (8 KiB), so each key is accounted at about its value size and used memory
// moves by one key's worth per write or eviction. The cache is first filled
// without a limit, then maxmemory is set to the memory in use: from then on
// every write that grows the keyspace makes the cache evict.

const evValSize = 9000

var evVal = make([]byte, evValSize)

// evNew returns an unlimited 4-shard cache with the given policy.
func evNew(t *testing.T, policy string) *Cache {
	t.Helper()
	c := New(Options{Shards: 4, Policy: policy})
	t.Cleanup(c.Close)
	return c
}

// evWrite is what the server does for SET: admission (which evicts), then the write.
func evWrite(c *Cache, key string, expireAt int64) error {
	if err := c.CheckWrite(true); err != nil {
		return err
	}
	c.Keyspace().Set([]byte(key), evVal, SetOptions{ExpireAt: expireAt}, nil)
	return nil
}

// evPut stores a key without admission control (used before the limit is set).
func evPut(c *Cache, key string, expireAt int64) {
	c.Keyspace().Set([]byte(key), evVal, SetOptions{ExpireAt: expireAt}, nil)
}

func evExists(c *Cache, key string) bool {
	return c.Keyspace().Exists([][]byte{[]byte(key)}) == 1
}

// evSurvivors counts the keys prefix0..prefix(n-1) that still exist.
func evSurvivors(c *Cache, prefix string, n int) int {
	alive := 0
	for i := 0; i < n; i++ {
		if evExists(c, fmt.Sprintf("%s%d", prefix, i)) {
			alive++
		}
	}
	return alive
}

func evRead(c *Cache, key string, times int) {
	for i := 0; i < times; i++ {
		c.Keyspace().Get([]byte(key), nil)
	}
}

// evWaitIdle waits (at most 5 s) until the LRU clock says key has been idle
// for at least one second, so "recent" and "old" accesses differ.
func evWaitIdle(t *testing.T, c *Cache, key string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		shard.TickClock()
		ki, ok := c.Keyspace().Inspect([]byte(key))
		if !ok {
			t.Fatalf("%s vanished", key)
		}
		if shard.IdleSeconds(ki.Meta) >= 1 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("LRU clock did not advance within 5 s")
}

// evFill sets maxmemory to the memory in use and writes n new keys through
// admission control, failing on any error.
func evFill(t *testing.T, c *Cache, prefix string, n int, expireAt int64) {
	t.Helper()
	c.SetMaxMemory(c.UsedMemory())
	for i := 0; i < n; i++ {
		if err := evWrite(c, fmt.Sprintf("%s%d", prefix, i), expireAt); err != nil {
			t.Fatalf("write %s%d under %s: %v", prefix, i, c.Policy(), err)
		}
	}
	evCheckBound(t, c)
}

// evCheckBound: after admission, memory stays within one key of the limit.
func evCheckBound(t *testing.T, c *Cache) {
	t.Helper()
	if c.CheckWrite(true) == nil {
		if used, max := c.UsedMemory(), c.MaxMemory(); used > max {
			t.Fatalf("used_memory %d > maxmemory %d after a successful admission", used, max)
		}
	}
}

func TestOOMErrorText(t *testing.T) {
	const want = "OOM command not allowed when used memory > 'maxmemory'."
	if ErrOOM.Error() != want {
		t.Fatalf("ErrOOM = %q, want %q", ErrOOM.Error(), want)
	}
}

func TestEvictNoeviction(t *testing.T) {
	c := New(Options{Shards: 4, MaxMemory: 1}) // default policy: noeviction
	defer c.Close()
	if c.Policy() != "noeviction" {
		t.Fatalf("default policy %q, want noeviction", c.Policy())
	}
	// A write is refused only when memory is already above the limit before
	// it runs (as Redis): the first one, into an empty cache, is admitted.
	if err := evWrite(c, "a", 0); err != nil {
		t.Fatalf("first write: %v", err)
	}
	for i := 0; i < 5; i++ {
		err := c.CheckWrite(true)
		if !errors.Is(err, ErrOOM) {
			t.Fatalf("write over maxmemory under noeviction: err = %v, want ErrOOM", err)
		}
		if err.Error() != "OOM command not allowed when used memory > 'maxmemory'." {
			t.Fatalf("OOM text %q", err.Error())
		}
	}
	// Reads still work.
	if v, ok := c.Keyspace().Get([]byte("a"), nil); !ok || len(v) != evValSize {
		t.Fatalf("GET a under OOM: ok=%v len=%d", ok, len(v))
	}
	// Commands that do not grow memory (DEL) are admitted and work.
	if err := c.CheckWrite(false); err != nil {
		t.Fatalf("DEL admission under OOM: %v", err)
	}
	if n := c.Keyspace().Del([][]byte{[]byte("a")}); n != 1 {
		t.Fatalf("DEL a = %d, want 1", n)
	}
	if st := c.Stats(); st.Evicted != 0 {
		t.Fatalf("noeviction evicted %d keys", st.Evicted)
	}
}

// TestEvictAllkeysLRU: keys read recently survive; keys read often but long
// ago (in LRU-clock seconds) and keys never read are evicted first.
func TestEvictAllkeysLRU(t *testing.T) {
	t.Parallel()
	c := evNew(t, "allkeys-lru")
	const nOld, nRecent, nCold, nNew = 100, 100, 200, 300
	for i := 0; i < nOld; i++ {
		evPut(c, fmt.Sprint("old", i), 0)
	}
	for i := 0; i < nRecent; i++ {
		evPut(c, fmt.Sprint("recent", i), 0)
	}
	for i := 0; i < nCold; i++ {
		evPut(c, fmt.Sprint("cold", i), 0)
	}
	for i := 0; i < nOld; i++ {
		evRead(c, fmt.Sprint("old", i), 30) // frequent, but before the pause
	}
	evWaitIdle(t, c, fmt.Sprint("old", nOld-1))
	for i := 0; i < nRecent; i++ {
		evRead(c, fmt.Sprint("recent", i), 1)
	}
	evFill(t, c, "new", nNew, 0)

	recent := evSurvivors(c, "recent", nRecent)
	old := evSurvivors(c, "old", nOld)
	cold := evSurvivors(c, "cold", nCold)
	st := c.Stats()
	t.Logf("survivors: recent %d/%d old %d/%d cold %d/%d; evicted %d", recent, nRecent, old, nOld, cold, nCold, st.Evicted)
	if st.Evicted < nNew*9/10 {
		t.Fatalf("evicted_keys = %d after %d writes over the limit", st.Evicted, nNew)
	}
	if recent < nRecent*8/10 {
		t.Errorf("allkeys-lru kept only %d/%d recently read keys", recent, nRecent)
	}
	if cold > nCold/4 {
		t.Errorf("allkeys-lru kept %d/%d idle never-read keys", cold, nCold)
	}
	if old > nOld/2 {
		t.Errorf("allkeys-lru kept %d/%d keys read often but long ago (LRU must ignore frequency)", old, nOld)
	}
}

// TestEvictAllkeysLFU: keys read often survive, even when they were accessed
// longer ago than the keys that are evicted.
func TestEvictAllkeysLFU(t *testing.T) {
	t.Parallel()
	c := evNew(t, "allkeys-lfu")
	const nFreq, nCold, nNew = 100, 300, 250
	for i := 0; i < nFreq; i++ {
		evPut(c, fmt.Sprint("freq", i), 0)
		evRead(c, fmt.Sprint("freq", i), 30)
	}
	evWaitIdle(t, c, fmt.Sprint("freq", nFreq-1))
	for i := 0; i < nCold; i++ { // newer than freq*, never read
		evPut(c, fmt.Sprint("cold", i), 0)
	}
	evFill(t, c, "new", nNew, 0)

	freq := evSurvivors(c, "freq", nFreq)
	cold := evSurvivors(c, "cold", nCold)
	st := c.Stats()
	t.Logf("survivors: freq %d/%d cold %d/%d; evicted %d", freq, nFreq, cold, nCold, st.Evicted)
	if st.Evicted < nNew*9/10 {
		t.Fatalf("evicted_keys = %d after %d writes over the limit", st.Evicted, nNew)
	}
	if freq < nFreq*8/10 {
		t.Errorf("allkeys-lfu kept only %d/%d frequently read keys", freq, nFreq)
	}
}

func TestEvictAllkeysRandom(t *testing.T) {
	t.Parallel()
	c := evNew(t, "allkeys-random")
	const n, nNew = 200, 200
	for i := 0; i < n; i++ {
		evPut(c, fmt.Sprint("k", i), 0)
	}
	before := c.DBSize(0)
	evFill(t, c, "new", nNew, 0)
	st := c.Stats()
	if st.Evicted < nNew*9/10 {
		t.Fatalf("allkeys-random evicted %d keys for %d writes over the limit", st.Evicted, nNew)
	}
	if d := c.DBSize(0); d > before+2 || d < before-10 {
		t.Fatalf("DBSIZE %d after eviction, was %d at the limit", d, before)
	}
	// Random: both the old and the new keys lose some (not a fixed order).
	old, fresh := evSurvivors(c, "k", n), evSurvivors(c, "new", nNew)
	t.Logf("survivors: old %d/%d new %d/%d", old, n, fresh, nNew)
	if old == n || old == 0 {
		t.Errorf("allkeys-random: %d/%d of the old keys survived", old, n)
	}
	// Persistent and volatile keys are both candidates.
	c2 := evNew(t, "allkeys-random")
	for i := 0; i < 100; i++ {
		evPut(c2, fmt.Sprint("p", i), 0)
	}
	evFill(t, c2, "new", 60, 0)
	if p := evSurvivors(c2, "p", 100); p == 100 {
		t.Errorf("allkeys-random never evicted a key without TTL")
	}
}

// TestEvictVolatilePolicies: volatile-* never evict keys without a TTL, and
// refuse writes with OOM once only such keys are left; reads and DEL still
// work, and DEL makes room again.
func TestEvictVolatilePolicies(t *testing.T) {
	for _, policy := range []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			c := evNew(t, policy)
			const nPersist, nVol, nNew = 150, 150, 100
			exp := time.Now().Add(time.Hour).UnixMilli()
			for i := 0; i < nPersist; i++ {
				evPut(c, fmt.Sprint("p", i), 0)
			}
			for i := 0; i < nVol; i++ {
				evPut(c, fmt.Sprint("v", i), exp+int64(i)*1000)
			}
			// Writes of persistent keys: only volatile keys make room.
			evFill(t, c, "new", nNew, 0)
			if p := evSurvivors(c, "p", nPersist); p != nPersist {
				t.Fatalf("%s evicted %d keys without TTL", policy, nPersist-p)
			}
			if p := evSurvivors(c, "new", nNew); p != nNew {
				t.Fatalf("%s evicted %d of the new keys without TTL", policy, nNew-p)
			}
			v := evSurvivors(c, "v", nVol)
			if st := c.Stats(); st.Evicted != int64(nVol-v) || st.Evicted < nNew*9/10 {
				t.Fatalf("evicted_keys = %d, volatile keys gone = %d, writes over the limit = %d", st.Evicted, nVol-v, nNew)
			}

			// Keep writing persistent keys: once the volatile keys are gone
			// the write is refused with OOM.
			var oomAt = -1
			for i := 0; i < nVol+50; i++ {
				err := evWrite(c, fmt.Sprint("more", i), 0)
				if err != nil {
					if !errors.Is(err, ErrOOM) || err.Error() != "OOM command not allowed when used memory > 'maxmemory'." {
						t.Fatalf("write %d: %v, want the OOM error", i, err)
					}
					oomAt = i
					break
				}
			}
			if oomAt < 0 {
				t.Fatalf("%s never refused a write with only persistent keys left", policy)
			}
			if left := evSurvivors(c, "v", nVol); left != 0 {
				t.Fatalf("OOM while %d volatile keys were still evictable", left)
			}
			if p := evSurvivors(c, "p", nPersist); p != nPersist {
				t.Fatalf("%s evicted %d keys without TTL", policy, nPersist-p)
			}
			// Still refused on retry, reads work, DEL works and frees room.
			if err := c.CheckWrite(true); !errors.Is(err, ErrOOM) {
				t.Fatalf("retry: %v", err)
			}
			if _, ok := c.Keyspace().Get([]byte("p0"), nil); !ok {
				t.Fatal("GET p0 failed under OOM")
			}
			if err := c.CheckWrite(false); err != nil {
				t.Fatalf("DEL admission: %v", err)
			}
			if n := c.Keyspace().Del([][]byte{[]byte("p0"), []byte("p1"), []byte("p2")}); n != 3 {
				t.Fatalf("DEL = %d", n)
			}
			if err := evWrite(c, "after-del", 0); err != nil {
				t.Fatalf("write after DEL made room: %v", err)
			}
		})
	}
}

// TestEvictVolatileTTL: the keys closest to expiring go first.
func TestEvictVolatileTTL(t *testing.T) {
	t.Parallel()
	c := evNew(t, "volatile-ttl")
	const nVol, nNew = 200, 100
	base := time.Now().Add(time.Hour).UnixMilli()
	// Interleave so shortness is not correlated with insertion order.
	for i := 0; i < nVol; i++ {
		j := (i * 37) % nVol
		evPut(c, fmt.Sprint("v", j), base+int64(j)*10_000)
	}
	evFill(t, c, "new", nNew, 0)
	short := evSurvivors(c, "v", nVol/2)
	long := 0
	for i := nVol / 2; i < nVol; i++ {
		if evExists(c, fmt.Sprint("v", i)) {
			long++
		}
	}
	t.Logf("survivors: shortest-TTL half %d/%d, longest-TTL half %d/%d", short, nVol/2, long, nVol/2)
	evicted := nVol - short - long
	if evicted < nNew*9/10 {
		t.Fatalf("only %d volatile keys evicted for %d writes", evicted, nNew)
	}
	if goneShort := nVol/2 - short; goneShort < evicted*8/10 {
		t.Errorf("volatile-ttl: only %d of the %d evicted keys were in the shortest-TTL half", goneShort, evicted)
	}
	if long < nVol/2*8/10 {
		t.Errorf("volatile-ttl kept only %d/%d of the longest-TTL keys", long, nVol/2)
	}
}

// TestEvictRuntimeConfig: SetPolicy and SetMaxMemory (CONFIG SET) take
// effect on the next write.
func TestEvictRuntimeConfig(t *testing.T) {
	c := evNew(t, "noeviction")
	for i := 0; i < 100; i++ {
		evPut(c, fmt.Sprint("k", i), 0)
	}
	c.SetMaxMemory(c.UsedMemory())
	if c.MaxMemory() != c.UsedMemory() {
		t.Fatal("MaxMemory does not report the value set")
	}
	if err := evWrite(c, "x0", 0); err != nil { // not yet above: admitted
		t.Fatal(err)
	}
	if err := evWrite(c, "x1", 0); !errors.Is(err, ErrOOM) {
		t.Fatalf("noeviction over the limit: %v", err)
	}

	// noeviction -> allkeys-lru: the same write now evicts and succeeds.
	c.SetPolicy("allkeys-lru")
	if c.Policy() != "allkeys-lru" {
		t.Fatalf("Policy() = %q", c.Policy())
	}
	if err := evWrite(c, "x1", 0); err != nil {
		t.Fatalf("after SetPolicy(allkeys-lru): %v", err)
	}
	if c.Stats().Evicted == 0 {
		t.Fatal("no eviction after switching to allkeys-lru")
	}

	// Raising the limit to 0 (none): no more evictions.
	c.SetMaxMemory(0)
	ev := c.Stats().Evicted
	for i := 0; i < 50; i++ {
		if err := evWrite(c, fmt.Sprint("y", i), 0); err != nil {
			t.Fatal(err)
		}
	}
	if c.Stats().Evicted != ev {
		t.Fatalf("evictions with maxmemory 0: %d -> %d", ev, c.Stats().Evicted)
	}

	// Lowering the limit: the next admission evicts down to it (what its
	// 500 us of maxmemory-eviction-tenacity leave goes on in the background).
	keys := c.DBSize(0)
	newMax := c.UsedMemory() / 2
	c.SetMaxMemory(newMax)
	if err := c.CheckWrite(true); err != nil {
		t.Fatalf("admission after lowering maxmemory: %v", err)
	}
	for deadline := time.Now().Add(30 * time.Second); c.UsedMemory() > newMax || c.evictBg.Load(); {
		if time.Now().After(deadline) {
			t.Fatalf("used_memory %d > new maxmemory %d 30 s after admission", c.UsedMemory(), newMax)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if d := c.DBSize(0); d > keys*6/10 {
		t.Fatalf("DBSIZE %d of %d after halving maxmemory", d, keys)
	}

	// Back to noeviction: refused again (memory is at the limit, one write
	// brings it above).
	c.SetPolicy("noeviction")
	evWrite(c, "z0", 0)
	if err := evWrite(c, "z1", 0); !errors.Is(err, ErrOOM) {
		t.Fatalf("noeviction again: %v", err)
	}

	// volatile-lru with no volatile keys: OOM; adding TTLs makes room.
	c.SetPolicy("volatile-lru")
	if err := c.CheckWrite(true); !errors.Is(err, ErrOOM) {
		t.Fatalf("volatile-lru without volatile keys: %v", err)
	}
	exp := time.Now().Add(time.Hour).UnixMilli()
	for i := 0; i < 100; i++ {
		c.Keyspace().Expire([]byte(fmt.Sprint("y", i)), exp, ExpireAlways)
	}
	if err := c.CheckWrite(true); err != nil {
		t.Fatalf("volatile-lru with volatile keys: %v", err)
	}

	// maxmemory-samples is accepted at run time and eviction still works.
	c.SetSamples(1)
	c.SetPolicy("allkeys-lru")
	evFill(t, c, "s", 20, 0)
}

// TestEvictConcurrentWriters: many writers over the limit under each policy
// (run with -race): no error for allkeys-*, memory bounded afterwards.
func TestEvictConcurrentWriters(t *testing.T) {
	for _, policy := range []string{"allkeys-lru", "allkeys-lfu", "allkeys-random"} {
		t.Run(policy, func(t *testing.T) {
			c := evNew(t, policy)
			for i := 0; i < 100; i++ {
				evPut(c, fmt.Sprint("k", i), 0)
			}
			c.SetMaxMemory(c.UsedMemory())
			errs := make(chan error, 8)
			for w := 0; w < 8; w++ {
				go func(w int) {
					var err error
					for i := 0; i < 100 && err == nil; i++ {
						key := fmt.Sprintf("w%d-%d", w, i)
						if err = evWrite(c, key, 0); err == nil {
							c.Keyspace().Get([]byte(key), nil)
						}
					}
					errs <- err
				}(w)
			}
			for w := 0; w < 8; w++ {
				if err := <-errs; err != nil {
					t.Fatalf("writer: %v", err)
				}
			}
			// 8 writers may each add one key after the last check.
			if used, max := c.UsedMemory(), c.MaxMemory(); used > max+8*(evValSize+512) {
				t.Fatalf("used_memory %d far above maxmemory %d", used, max)
			}
			if c.Stats().Evicted < 700 {
				t.Fatalf("evicted_keys = %d for 800 writes over the limit", c.Stats().Evicted)
			}
		})
	}
}

// TestEvictFindsLoneVolatileKey: under a volatile policy, one key with a
// TTL among keys without one spread over many shards is found and evicted
// every time (the sampling visits the shards that hold keys with a TTL);
// it was missed when the few shards sampled held only keys without one,
// and the write got OOM (Redis's tracking.tcl "invalidation message of
// eviction keys" failed that way now and then).
func TestEvictFindsLoneVolatileKey(t *testing.T) {
	for _, policy := range []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		c := New(Options{Shards: 64, Policy: policy})
		for i := 0; i < 500; i++ {
			evPut(c, fmt.Sprint("p", i), 0)
		}
		exp := time.Now().Add(time.Hour).UnixMilli()
		for round := 0; round < 50; round++ {
			key := fmt.Sprint("v", round)
			evPut(c, key, exp)
			c.SetMaxMemory(c.UsedMemory() - 1) // just over: the one volatile key must go
			if err := c.CheckWrite(true); err != nil {
				t.Fatalf("%s round %d: %v with a volatile key to evict", policy, round, err)
			}
			if evExists(c, key) {
				t.Fatalf("%s round %d: the volatile key is still there", policy, round)
			}
			c.SetMaxMemory(0)
		}
		if p := evSurvivors(c, "p", 500); p != 500 {
			t.Fatalf("%s evicted %d keys without a TTL", policy, 500-p)
		}
		c.Close()
	}
}

// TestEvictionTenacity: maxmemory-eviction-tenacity bounds the time one
// eviction round takes, as Redis's: at 0 a round evicts 16 keys and stops
// (the command goes on), and the rest is evicted in the background until
// memory is under the limit; at 100 one round evicts all that is needed.
func TestEvictionTenacity(t *testing.T) {
	for _, tenacity := range []int64{0, 100} {
		c := evNew(t, "allkeys-random")
		c.SetEvictionTenacity(tenacity)
		for i := 0; i < 2000; i++ {
			evPut(c, fmt.Sprintf("k%d", i), 0)
		}
		limit := c.UsedMemory() / 4 // ~1500 keys to evict
		c.SetMaxMemory(limit)
		done, err := c.evict(limit)
		left := evSurvivors(c, "k", 2000)
		if tenacity == 100 {
			if !done || err != nil || c.UsedMemory() > limit {
				t.Fatalf("tenacity 100: done %v err %v, %d keys left, memory %d over a limit of %d", done, err, left, c.UsedMemory(), limit)
			}
			continue
		}
		if done || err != nil || left != 2000-16 {
			t.Fatalf("tenacity 0: done %v err %v, %d keys evicted in the round, want 16", done, err, 2000-left)
		}
		// a write over the limit is served, and the background finishes
		if err := evWrite(c, "new", 0); err != nil {
			t.Fatalf("tenacity 0: a write over the limit: %v", err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for c.UsedMemory() > limit || c.evictBg.Load() {
			if time.Now().After(deadline) {
				t.Fatalf("tenacity 0: memory %d still over %d after 30 s (%d keys left)", c.UsedMemory(), limit, evSurvivors(c, "k", 2000))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}
