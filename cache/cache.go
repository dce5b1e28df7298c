// Package cache is the keyspace as a library: it routes every key to a shard
// by xxhash, implements the string and key commands with Redis 7 semantics on
// top of the shards, makes multi-key commands and MULTI/EXEC atomic across
// shards (in memory and in the WAL), runs active expiry and eviction, and
// keeps the keyspace statistics. It has no network code; a Go program can
// embed it.
package cache

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/rs/zerolog"

	"fastcache/internal/latency"
	"fastcache/internal/prefetch"
	"fastcache/persistence"
	"fastcache/shard"
)

// Options configure a Cache.
type Options struct {
	Shards int // power of two; 0 = DefaultShards()
	// WAL receives every mutation; nil means no log (records are only numbered).
	WAL            *persistence.WAL
	MaxMemory      int64  // bytes, 0 = no limit
	Policy         string // maxmemory-policy
	Samples        int    // maxmemory-samples
	Log            zerolog.Logger
	ActiveExpireHz int // cycles per second; 0 = 10
	Databases      int // number of databases (SELECT); 0 = 16
	// Latency is the LATENCY monitor expire and eviction cycles are noted
	// in (nil: none).
	Latency *latency.Monitor
}

// DefaultShards is the next power of two >= 8 * GOMAXPROCS, at most 1024.
func DefaultShards() int {
	n := 8 * runtime.GOMAXPROCS(0)
	p := 1
	for p < n && p < 1024 {
		p <<= 1
	}
	return p
}

// Cache is the sharded keyspace.
type Cache struct {
	shards    []*shard.Shard
	mask      uint64
	shardBits uint
	dbs       int
	wal       atomic.Pointer[persistence.WAL]
	txFree    atomic.Pointer[txState] // Atomic's spare (keyspace.go)
	durMu     sync.Mutex
	durFns    map[int]func() // OnDurable
	durID     int
	durHeld   atomic.Int32 // HoldDurability in force: nothing reads as durable
	log       zerolog.Logger
	lat       *latency.Monitor

	maxMemory atomic.Int64
	maxString atomic.Int64 // largest string APPEND/SETRANGE/SETBIT may build (0 = MaxStringLen); strings.go
	policy    atomic.Pointer[string]
	samples   atomic.Int64
	readOnly  atomic.Bool // client writes are refused: a read-only replica
	// ignoreMax: maxmemory is not enforced (a replica with
	// replica-ignore-maxmemory): no eviction, no OOM refusals
	ignoreMax atomic.Bool
	// noReplicas: writes are refused with ErrNoReplicas (SetNoReplicas)
	noReplicas atomic.Bool
	snapFailed atomic.Bool // SetSnapshotFailed

	ready     readiness              // keys clients block on (blocking.go)
	readyHook atomic.Pointer[func()] // serves blocked clients after a replicated write (OnReady)

	evictMu      sync.Mutex
	stopMu       sync.Mutex    // Close against goBackground
	tenacity     atomic.Int64  // maxmemory-eviction-tenacity (0-100)
	evictBg      atomic.Bool   // an eviction goes on in the background (evictLater)
	stalePerc    atomic.Uint64 // math.Float64bits of the expired share (0..1), a moving average
	noActive     atomic.Bool   // DEBUG SET-ACTIVE-EXPIRE 0: the active expiry cycle is off
	expireEffort atomic.Int64  // active-expire-effort less 1 (0-9)
	// expiryPaused: no key expires, actively or on access: while a pause
	// (PauseExpiry) or a Redis primary (ExpireByPrimary) says so
	expiryPaused atomic.Bool
	expiryMu     sync.Mutex
	expiryPause  bool // PauseExpiry's
	expiryByPrim bool // ExpireByPrimary's

	stop chan struct{}
	wg   sync.WaitGroup

	replMu  sync.Mutex
	replPos ReplPos // the last replica position replay saw

	// keyspace events (notify.go)
	notifier   Notifier
	notifyWant atomic.Uint32
	pend       []pendingEvents
	all        []int // 0..shards-1

	fnHooks atomic.Pointer[FunctionHooks] // functions.go
}

// New builds an empty cache.
func New(o Options) *Cache {
	n := o.Shards
	if n <= 0 {
		n = DefaultShards()
	}
	if n&(n-1) != 0 {
		panic("cache: shard count must be a power of two")
	}
	w := o.WAL
	if w == nil {
		w = persistence.NewDisabled(n)
	}
	c := &Cache{
		mask:      uint64(n - 1),
		shardBits: uint(bits.TrailingZeros(uint(n))),
		log:       o.Log,
		lat:       o.Latency,
		stop:      make(chan struct{}),
	}
	c.durFns = map[int]func(){}
	c.pend = make([]pendingEvents, n)
	for i := 0; i < n; i++ {
		c.all = append(c.all, i)
	}
	c.ready.init()
	w.SetNotify(c.durableMoved)
	c.wal.Store(w)
	if o.Databases <= 0 {
		o.Databases = 16
	}
	c.dbs = o.Databases
	for i := 0; i < n; i++ {
		c.shards = append(c.shards, shard.New(i, o.Databases, w.Queue(i)))
		c.shards[i].SetReady(c.ready.signal)
		c.shards[i].ExpiryPaused = &c.expiryPaused
	}
	c.maxMemory.Store(o.MaxMemory)
	p := o.Policy
	if p == "" {
		p = "noeviction"
	}
	c.policy.Store(&p)
	if o.Samples <= 0 {
		o.Samples = 5
	}
	c.samples.Store(int64(o.Samples))
	c.tenacity.Store(10) // Redis's default (maxmemory-eviction-tenacity)
	return c
}

// Start runs the background work (active expiry).
func (c *Cache) Start(hz int) {
	if hz <= 0 {
		hz = 10
	}
	c.wg.Add(1)
	go c.activeExpireLoop(time.Second / time.Duration(hz))
}

// Close stops the background work.
func (c *Cache) Close() {
	c.stopMu.Lock() // no background work starts after this (goBackground)
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	c.stopMu.Unlock()
	c.wg.Wait()
}

// goBackground runs fn on a goroutine that Close waits for, unless the
// cache is closing (false).
func (c *Cache) goBackground(fn func()) bool {
	c.stopMu.Lock()
	defer c.stopMu.Unlock()
	select {
	case <-c.stop:
		return false
	default:
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		fn()
	}()
	return true
}

// Databases is the number of databases.
func (c *Cache) Databases() int { return c.dbs }

// Shards is the number of shards.
func (c *Cache) Shards() int { return len(c.shards) }

// ShardIndex is the shard that owns key.
func (c *Cache) ShardIndex(key []byte) int { return int(xxhash.Sum64(key) & c.mask) }

func (c *Cache) shardOf(key []byte) *shard.Shard { return c.shards[xxhash.Sum64(key)&c.mask] }

// Prefetch starts loading the memory that looking up keys will touch, for
// a pipeline about to run commands on them: first every key's index slot,
// then every key's record, so that the cache misses of the batch overlap
// (see shard/hint.go). members, if not nil, is parallel to keys: the
// member or field each key's command names first (nil: none); for keys
// holding a big collection, that member's slot and record in the
// collection's own table are prefetched too. hs is scratch of len(keys).
// It is only a hint: it changes nothing, and takes a shard's lock only
// when it is free (Shard.MemberHint).
func (c *Cache) Prefetch(keys, members [][]byte, hs []uint64) {
	if !prefetch.Supported {
		return
	}
	for i, k := range keys {
		h := xxhash.Sum64(k)
		hs[i] = h
		c.shards[h&c.mask].PrefetchSlot(h)
	}
	// recs: each record's address, then its collection's slot, then the
	// collection; typs: each record's chunk end, then the collection's type.
	var recs, typs [64]uintptr
	if len(keys) > len(recs) {
		keys = keys[:len(recs)]
	}
	objs := false
	for i, h := range hs[:len(keys)] {
		recs[i], typs[i] = c.shards[h&c.mask].PrefetchRecord(h)
	}
	// Collections: their slot in objs, the object, then its buffer, one
	// round for all keys each (shard/hint.go). The records are in cache (or
	// on their way) by now.
	for i, h := range hs[:len(keys)] {
		if recs[i] != 0 {
			recs[i] = c.shards[h&c.mask].PrefetchObjectSlot(recs[i], typs[i])
			objs = objs || recs[i] != 0
		}
	}
	if !objs {
		return
	}
	for i := range keys {
		typs[i], recs[i] = shard.PrefetchObject(recs[i])
	}
	var packed [64]bool // the collection has a packed buffer: it is small, no member table
	for i := range keys {
		packed[i] = shard.PrefetchObjectData(typs[i], recs[i]) != 0
	}
	if members == nil {
		return
	}
	// Members of big collections (a big hash's fields, a big set's or
	// sorted set's members live in a table of their own): the member's
	// index slot in that table, then its record, one round each. Commands
	// of a pipeline often name the same key: its table is looked up once.
	var mh [64]shard.MemberHint
	var fh [64]uint64
	found, last := false, -1
	for i := range keys {
		if i >= len(members) || members[i] == nil || recs[i] == 0 || packed[i] {
			continue // small collections (most) cost no lock and no lookup here
		}
		if last >= 0 && hs[i] == hs[last] && string(keys[i]) == string(keys[last]) {
			mh[i] = mh[last]
		} else {
			mh[i] = c.shards[hs[i]&c.mask].MemberHint(keys[i])
		}
		last = i
		if mh[i].Valid() {
			fh[i] = xxhash.Sum64(members[i])
			mh[i].Slot(fh[i])
			found = true
		}
	}
	if !found {
		return
	}
	for i := range keys {
		mh[i].Record(fh[i])
	}
}

// SetWAL switches the cache to log to w: after replay, before any write is
// served (the server answers -LOADING until then), or on a live server when
// CONFIG SET appendonly starts or stops the log. Every shard is locked
// meanwhile, so each record, transaction and snapshot cut belongs wholly to
// one log; w numbers its records after the last one of the log it
// replaces. Clients waiting for durability look again (an enabled log that
// is replaced has been flushed by the caller, or is being given up).
func (c *Cache) SetWAL(w *persistence.WAL) {
	for _, s := range c.shards {
		s.Lock()
	}
	if old := c.wal.Load(); old != nil {
		w.SetLastLSN(old.LastLSN())
	}
	w.SetNotify(c.durableMoved)
	c.wal.Store(w)
	for i, s := range c.shards {
		s.SetQueue(w.Queue(i))
	}
	for _, s := range c.shards {
		s.Unlock()
	}
	c.durableMoved()
}

// WAL is the log the cache writes to.
func (c *Cache) WAL() *persistence.WAL { return c.wal.Load() }

// Keyspace is the auto-locking view of the cache used outside transactions.
func (c *Cache) Keyspace() Keyspace { return Keyspace{c: c} }

// KeyspaceAt is the keyspace judging expiry by *clock (unix ms), which the
// caller keeps current.
func (c *Cache) KeyspaceAt(clock *int64) Keyspace { return Keyspace{c: c, clock: clock} }

// ---- writes: admission ----

// SetReadOnly makes CheckWrite refuse writes (a replica with
// replica-read-only).
func (c *Cache) SetReadOnly(v bool) { c.readOnly.Store(v) }

// ReadOnly reports whether CheckWrite refuses writes with ErrReadOnly.
func (c *Cache) ReadOnly() bool { return c.readOnly.Load() }

// SetIgnoreMaxMemory turns maxmemory off while v (a replica with
// replica-ignore-maxmemory, as Redis's: the primary's writes are applied
// whatever the memory, and nothing is evicted, lest the replica's data
// differ from the primary's).
func (c *Cache) SetIgnoreMaxMemory(v bool) { c.ignoreMax.Store(v) }

// CheckWrite is called before a write command runs, as Redis's
// processCommand does: it refuses writes on a replica (READONLY) and while
// the WAL cannot be written (MISCONF); for commands that may grow memory
// (denyOOM) it frees memory by the eviction policy, refusing with OOM when
// that is not possible.
func (c *Cache) CheckWrite(denyOOM bool) error {
	if c.readOnly.Load() {
		return ErrReadOnly
	}
	return c.CheckPrimaryWrite(denyOOM)
}

// CheckPrimaryWrite is CheckWrite for a write of the primary's stream of
// commands on a replica (Redis's master client): a read-only replica
// takes it.
func (c *Cache) CheckPrimaryWrite(denyOOM bool) error {
	if err := c.DiskError(); err != nil {
		return err
	}
	if c.noReplicas.Load() {
		return ErrNoReplicas
	}
	if max := c.maxMemory.Load(); denyOOM && max > 0 && !c.ignoreMax.Load() && c.UsedMemory() > max {
		return c.evictSome(max)
	}
	return nil
}

// DiskError is why writes are refused for the disk's sake (MISCONF), nil
// when they are not: the WAL cannot be written, or snapshots, the only
// persistence with appendonly no, fail (SetSnapshotFailed).
func (c *Cache) DiskError() error {
	if err := c.wal.Load().Err(); err != nil {
		return err
	}
	if c.snapFailed.Load() {
		return ErrSnapshotFailed
	}
	return nil
}

// SetSnapshotFailed makes CheckWrite refuse writes with ErrSnapshotFailed
// (Redis's stop-writes-on-bgsave-error: the last snapshot failed, save
// points are set, and they are the only persistence).
func (c *Cache) SetSnapshotFailed(v bool) { c.snapFailed.Store(v) }

// SetNoReplicas makes CheckWrite refuse writes with ErrNoReplicas (a
// primary with fewer good replicas than min-replicas-to-write).
func (c *Cache) SetNoReplicas(refuse bool) { c.noReplicas.Store(refuse) }

// EvictIfNeeded evicts down to maxmemory, as Redis does before every
// command (CheckWrite does it for writes); ErrOOM: it could not.
func (c *Cache) EvictIfNeeded() error {
	if max := c.maxMemory.Load(); max > 0 && !c.ignoreMax.Load() && c.UsedMemory() > max {
		return c.evictSome(max)
	}
	return nil
}

// evictSome evicts toward max for the time maxmemory-eviction-tenacity
// gives a command, and leaves the rest to the background (Redis's
// performEvictions); ErrOOM only when nothing can be evicted.
func (c *Cache) evictSome(max int64) error {
	done, err := c.evict(max)
	if err == nil && !done {
		c.evictLater()
	}
	return err
}

// LastLSN is the sequence number of the last record assigned.
func (c *Cache) LastLSN() uint64 { return c.wal.Load().LastLSN() }

// DurableLSN is the LSN up to which every record is durable.
func (c *Cache) DurableLSN() uint64 {
	if c.durHeld.Load() > 0 {
		return 0
	}
	return c.wal.Load().DurableLSN()
}

// HoldDurability makes DurableLSN report nothing durable until release is
// called: clients that wait for durability before they answer
// (appendfsync always) wait meanwhile. CONFIG SET appendonly yes holds it
// until the new log's base snapshot is on disk, so no write is answered
// before the log that covers it is complete.
func (c *Cache) HoldDurability() (release func()) {
	c.durHeld.Add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			c.durHeld.Add(-1)
			c.durableMoved()
		})
	}
}

// HoldWAL starts a batch of an event loop: the WAL writer is woken once,
// when the caller ends the batch with EndBatch on the WAL returned
// (the same WAL even if SetWAL swaps it meanwhile). See WAL.HoldSignals.
func (c *Cache) HoldWAL() *persistence.WAL {
	w := c.wal.Load()
	w.HoldSignals()
	return w
}

// OnDurable registers fn, called from the WAL writer each time the durable
// LSN advances or the log fails; it must not block. cancel unregisters it.
func (c *Cache) OnDurable(fn func()) (cancel func()) {
	c.durMu.Lock()
	id := c.durID
	c.durID++
	c.durFns[id] = fn
	c.durMu.Unlock()
	return func() {
		c.durMu.Lock()
		delete(c.durFns, id)
		c.durMu.Unlock()
	}
}

func (c *Cache) durableMoved() {
	c.durMu.Lock()
	defer c.durMu.Unlock()
	for _, fn := range c.durFns {
		fn()
	}
}

// FlushLog writes and fsyncs every record queued so far, whatever
// appendfsync says.
func (c *Cache) FlushLog() error { return c.wal.Load().Flush() }

// WaitDurable blocks until every record up to lsn is durable (appendfsync always).
func (c *Cache) WaitDurable(lsn uint64, timeout time.Duration) error {
	return c.wal.Load().WaitDurable(lsn, timeout)
}

// ---- memory and stats ----

// UsedMemory is the cache's own accounting of keys, values and overhead.
func (c *Cache) UsedMemory() int64 {
	var n int64
	for _, s := range c.shards {
		n += s.Bytes()
	}
	return n
}

// SetMaxMemory changes maxmemory at run time.
func (c *Cache) SetMaxMemory(n int64) { c.maxMemory.Store(n) }

// MaxMemory is the limit in bytes (0 = none).
func (c *Cache) MaxMemory() int64 { return c.maxMemory.Load() }

// SetPolicy changes maxmemory-policy at run time.
func (c *Cache) SetPolicy(p string) { c.policy.Store(&p) }

// Policy is the maxmemory-policy.
func (c *Cache) Policy() string { return *c.policy.Load() }

// SetSamples changes maxmemory-samples.
func (c *Cache) SetSamples(n int) { c.samples.Store(int64(n)) }

// SetEvictionTenacity is maxmemory-eviction-tenacity (0-100): how long one
// command may evict before the rest is left to the background.
func (c *Cache) SetEvictionTenacity(n int64) { c.tenacity.Store(min(max(n, 0), 100)) }

// EvictionTenacity is the maxmemory-eviction-tenacity in effect.
func (c *Cache) EvictionTenacity() int64 { return c.tenacity.Load() }

// Stats are the keyspace counters for INFO.
type Stats struct {
	Keys, Expires                  int64
	Hits, Misses, Expired, Evicted int64
	ExpiredStalePerc               float64
	UsedMemory                     int64
}

// Stats sums the shards' counters.
func (c *Cache) Stats() Stats {
	var st Stats
	for _, s := range c.shards {
		st.Keys += s.Keys()
		st.Hits += s.Hits.Load()
		st.Misses += s.Misses.Load()
		st.Expired += s.Expired.Load()
		st.Evicted += s.Evicted.Load()
		st.UsedMemory += s.Bytes()
		st.Expires += s.VolatileKeys()
	}
	st.ExpiredStalePerc = 100 * math.Float64frombits(c.stalePerc.Load())
	return st
}

// ResetStats clears hits, misses, expired and evicted (CONFIG RESETSTAT).
func (c *Cache) ResetStats() {
	for _, s := range c.shards {
		s.Hits.Store(0)
		s.Misses.Store(0)
		s.Expired.Store(0)
		s.Evicted.Store(0)
	}
	c.stalePerc.Store(0) // Redis's resetServerStats clears it too
}

// DBSize is the number of keys of database db (expired keys not yet
// removed included, as in Redis).
func (c *Cache) DBSize(db int) int64 {
	var n int64
	for _, s := range c.shards {
		n += s.DB(db).Keys()
	}
	return n
}

// DBStats is one database's line of INFO keyspace.
type DBStats struct{ Keys, Expires int64 }

// DBStats returns the key counts of every database.
func (c *Cache) DBStats() []DBStats {
	out := make([]DBStats, c.dbs)
	for _, s := range c.shards {
		for i := range out {
			d := s.DB(i)
			out[i].Keys += d.Keys()
			out[i].Expires += d.VolatileKeys()
		}
	}
	return out
}

// ---- replay ----

// Apply replays one logged record without logging it (replay.Applier).
func (c *Cache) Apply(r *persistence.Record) { c.apply(r, true) }

// apply is Apply; with lock false the caller holds every shard already
// (HeldTarget: DEBUG LOADAOF).
func (c *Cache) apply(r *persistence.Record, lock bool) {
	if r.DB >= c.dbs || (r.Op == persistence.OpSwapDB || r.Op == persistence.OpMove) && int(r.Arg) >= c.dbs {
		c.log.Warn().Int("db", r.DB).Int64("arg", r.Arg).Str("op", r.Op.String()).
			Msg("record for a database beyond `databases`: skipped (raise `databases` to keep it)")
		return
	}
	switch {
	case r.Op == persistence.OpReplPos:
		c.noteReplPos(r)
	case r.Op == persistence.OpFlush || r.Op == persistence.OpSwapDB:
		for _, s := range c.shards {
			lockIf(s, lock)
			if r.Op == persistence.OpFlush {
				c.flushShard(s, r.DB, r.Arg == 1)
			} else {
				s.SwapDB(r.DB, int(r.Arg))
			}
			unlockIf(s, lock)
		}
	default:
		s := c.shardOf(r.Key)
		lockIf(s, lock)
		switch {
		case persistence.IsFunctionOp(r.Op):
			c.applyFunction(r) // under the functions' shard lock, as logged
		case r.Op == persistence.OpMove:
			s.DB(r.DB).MoveTo(r.Key, s.DB(int(r.Arg)), nil)
		default:
			s.DB(r.DB).Apply(r)
		}
		unlockIf(s, lock)
	}
}

func lockIf(s *shard.Shard, lock bool) {
	if lock {
		s.Lock()
	}
}

func unlockIf(s *shard.Shard, lock bool) {
	if lock {
		s.Unlock()
	}
}

func (c *Cache) flushShard(s *shard.Shard, db int, all bool) {
	if !all {
		s.DB(db).Clear()
		return
	}
	for i := 0; i < s.Databases(); i++ {
		s.DB(i).Clear()
	}
}

// SweepExpired deletes (and logs the deletion of) every key whose expiry has
// passed; run once after replay, since replay itself never expires keys.
func (c *Cache) SweepExpired() int {
	now := shard.Now()
	total := 0
	for _, s := range c.shards {
		s.Lock()
		for i := 0; i < s.Databases(); i++ {
			d := s.DB(i)
			var dead [][]byte
			rangeAll(d, func(k []byte, e shard.Entry) {
				if e.ExpireAt != 0 && e.ExpireAt <= now {
					dead = append(dead, append([]byte(nil), k...))
				}
			})
			for _, k := range dead {
				if d.Delete(k, s.Queue()) {
					s.Expired.Add(1)
					total++
				}
			}
		}
		s.Unlock()
	}
	return total
}

// rangeAll visits every stored entry of d, expired or not.
func rangeAll(d *shard.DB, fn func(k []byte, e shard.Entry)) {
	d.Range(0, func(k []byte, e shard.Entry) bool { fn(k, e); return true })
}

// ---- active expiry ----

// SetActiveExpireEffort is active-expire-effort (1-10): how much work the
// active expiry cycle may do per tick to keep expired keys few.
func (c *Cache) SetActiveExpireEffort(n int64) { c.expireEffort.Store(min(max(n, 1), 10) - 1) }

// ActiveExpireEffort is the active-expire-effort in effect (1-10).
func (c *Cache) ActiveExpireEffort() int64 { return c.expireEffort.Load() + 1 }

// SetActiveExpire turns the active expiry cycle on or off (DEBUG
// SET-ACTIVE-EXPIRE); keys still expire when they are accessed.
func (c *Cache) SetActiveExpire(on bool) { c.noActive.Store(!on) }

// PauseExpiry stops (on) or resumes every expiry: while stopped, expired
// keys are missing to reads but stay in place, neither the active cycle
// nor an access deletes them (CLIENT PAUSE, as Redis: a pause writes
// nothing, so a failover's replica catches up with a still log).
func (c *Cache) PauseExpiry(on bool) {
	c.expiryMu.Lock()
	c.expiryPause = on
	c.expiryPaused.Store(c.expiryPause || c.expiryByPrim)
	c.expiryMu.Unlock()
}

// ExpireByPrimary makes keys expire only when the primary deletes them
// (on), as on a replica of redis-server, whose stream of commands says
// when a key expired (a DEL or UNLINK): an expired key is missing to
// reads meanwhile, as PauseExpiry keeps it, but neither the active cycle
// nor an access deletes it, so a command of the primary that ran before
// the key expired there finds it here too.
func (c *Cache) ExpireByPrimary(on bool) {
	c.expiryMu.Lock()
	c.expiryByPrim = on
	c.expiryPaused.Store(c.expiryPause || c.expiryByPrim)
	c.expiryMu.Unlock()
}

func (c *Cache) activeExpireLoop(every time.Duration) {
	defer c.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	next := 0
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		shard.TickClock()
		if c.noActive.Load() || c.expiryPaused.Load() {
			continue
		}
		// Like Redis's slow cycle: at most 25% of one core per tick, 2%
		// more per step of active-expire-effort.
		effort := int(c.expireEffort.Load())
		start := time.Now()
		deadline := start.Add(every * time.Duration(25+2*effort) / 100)
		sampled, found := 0, 0
		for i := 0; i < len(c.shards) && time.Now().Before(deadline); i++ {
			s := c.shards[(next+i)&int(c.mask)]
			s.Queue().WaitRoom()
			s.Lock()
			for d := 0; d < s.Databases(); d++ {
				db := s.DB(d)
				if db.VolatileKeys() > 0 {
					n, f := db.ActiveExpire(shard.Now(), deadline, effort, s.Queue())
					sampled += n
					found += f
				}
				if db.HasElemTTL() {
					c.expireElements(s, db, shard.Now(), 20)
				}
			}
			c.unlockShard(s, nil) // and publish the "expired" events
		}
		next = (next + 1) & int(c.mask)
		c.lat.Note(latency.EventExpireCycle, time.Since(start))
		// Redis's stat_expired_stale_perc: an exponential moving average
		// updated every cycle, where a cycle that sampled nothing counts as
		// 0% stale, so the estimate decays once no volatile key is left.
		cur := 0.0
		if sampled > 0 {
			cur = float64(found) / float64(sampled)
		}
		old := math.Float64frombits(c.stalePerc.Load())
		c.stalePerc.Store(math.Float64bits(cur*0.05 + old*0.95))
	}
}

// ---- locking helpers ----

// sortedShards appends to idx (to be empty; its room is reused) the distinct
// shard indexes of keys (every step-th argument starting at 0), ascending.
func (c *Cache) sortedShards(idx []int, keys [][]byte, step int) []int {
	for i := 0; i < len(keys); i += step {
		idx = append(idx, c.ShardIndex(keys[i]))
	}
	sort.Ints(idx)
	out := idx[:0]
	for i, v := range idx {
		if i == 0 || v != idx[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func (c *Cache) randomShardOrder() (start int) { return rand.IntN(len(c.shards)) }
