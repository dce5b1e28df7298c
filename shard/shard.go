// Package shard owns one slice of the keyspace: its table of keys, values and
// absolute expiries, its memory accounting, its eviction candidates and the
// clients watching its keys. Every mutation is applied under the shard's lock
// and handed, in the same order, to a persistence.Recorder (the shard's WAL
// queue, or the transaction group of a multi-shard command).
//
// The shard does not lock for its callers: the cache takes Lock/Unlock around
// one or several calls (several shards at once for atomic multi-key commands).
package shard

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"fastcache/persistence"
)

// table is the store behind one database of a shard.
type table = ArenaTable

func newTable() *table { return NewArenaTable() }

// Shard is one partition of the keyspace: the keys that hash to it, in
// every database. Each database has its own table (created when first
// written); a DB is the view through which commands use one of them.
type Shard struct {
	mu      sync.Mutex
	pending atomic.Pointer[func(*Shard)] // OnNextLock's task
	dbs     []DB                         // dbs[n] is database n; its table is nil until used
	Index   int
	// queue receives this shard's records outside transactions (Queue).
	// It changes, under the shard lock, when CONFIG SET appendonly starts
	// or stops the WAL; writers read it before taking the lock (WaitRoom).
	queue atomic.Pointer[persistence.Queue]

	watch map[watchKey][]*watcher

	// Scratch is a small buffer for values built under the shard lock
	// (INCR's result), so they need no allocation.
	Scratch [32]byte

	Hits, Misses, Expired, Evicted atomic.Int64

	// OnExpire, when set, is told of each key deleted because it expired
	// (lazily or by the active cycle), with the lock held: keyspace events.
	OnExpire func(db int, key []byte)

	// ExpiryPaused, when set and true, keeps expired keys in place: reads
	// miss them but do not delete them (CLIENT PAUSE: no writes, expiries
	// included, until it ends, as Redis's PAUSE_ACTION_EXPIRE).
	ExpiryPaused *atomic.Bool

	hint atomic.Pointer[hintView] // database 0's table, for prefetching without the lock (hint.go)

	ready func(db int, key []byte) // see SetReady
}

// SetReady sets the function told, under the shard's lock, about every key
// that got a collection by being created, renamed, copied or moved into
// place: clients blocked on such a key may now be served (BLPOP, BZPOPMIN,
// XREAD ...). Changes to a collection that already existed are signalled
// by the kind's commands themselves (DB.Signal), where they matter (XADD).
// fn must be cheap and must not take a shard lock.
func (s *Shard) SetReady(fn func(db int, key []byte)) { s.ready = fn }

// Signal tells the ready function (SetReady) that key may now serve
// blocked clients.
func (d *DB) Signal(key []byte) {
	if d.ready != nil {
		d.ready(d.N, key)
	}
}

// DB is one database of a shard. Its methods run with the shard's lock held.
type DB struct {
	*Shard
	t *table // nil: empty and never written
	N int    // the database number

	keys     atomic.Int64 // len(t), readable without the lock
	volatile atomic.Int64 // keys with an expiry, readable without the lock
	bytes    atomic.Int64 // t.LiveBytes(), readable without the lock

	// elemTTL holds the keys of collections with expiring elements (hash
	// fields with a TTL), for the active expiry cycle; a key that no longer
	// has any is dropped when the cycle meets it.
	elemTTL map[string]struct{}
}

// volatileObj is a collection whose elements can have a TTL.
type volatileObj interface{ Volatile() int }

// noteObj registers key with the active expiry cycle when o has expiring
// elements.
func (d *DB) noteObj(key []byte, o Object) {
	if v, ok := o.(volatileObj); ok && v.Volatile() > 0 {
		if d.elemTTL == nil {
			d.elemTTL = map[string]struct{}{}
		}
		d.elemTTL[string(key)] = struct{}{}
	}
}

// ElemTTLKeys returns up to n keys of collections that may have expiring
// elements (copies).
func (d *DB) ElemTTLKeys(n int) [][]byte {
	var out [][]byte
	for k := range d.elemTTL {
		if len(out) == n {
			break
		}
		out = append(out, []byte(k))
	}
	return out
}

// DropElemTTLKey forgets key in the active expiry of elements.
func (d *DB) DropElemTTLKey(key []byte) { delete(d.elemTTL, string(key)) }

// HasElemTTL reports whether some collection of d may have expiring elements.
func (d *DB) HasElemTTL() bool { return len(d.elemTTL) > 0 }

// empty is the table of a database that was never written: reads find
// nothing in it, and the first write replaces it (DB.w).
var empty = NewArenaTable()

type watchKey struct {
	db  int
	key string
}

// New returns an empty shard with dbs databases that logs to q.
// Queue is the WAL queue this shard's records go to outside transactions.
func (s *Shard) Queue() *persistence.Queue { return s.queue.Load() }

// SetQueue makes q the shard's queue; the caller holds the shard lock.
func (s *Shard) SetQueue(q *persistence.Queue) { s.queue.Store(q) }

func New(index, dbs int, q *persistence.Queue) *Shard {
	if dbs < 1 {
		dbs = 1
	}
	s := &Shard{Index: index, dbs: make([]DB, dbs)}
	s.queue.Store(q)
	for i := range s.dbs {
		s.dbs[i] = DB{Shard: s, N: i, t: empty}
	}
	d := &s.dbs[0]
	d.t = newTable()
	d.t.pub = &s.hint
	d.t.publish()
	return s
}

// DB is database n of the shard (0 <= n < Databases).
func (s *Shard) DB(n int) *DB { return &s.dbs[n] }

// Databases is the number of databases.
func (s *Shard) Databases() int { return len(s.dbs) }

// Lock locks the shard. If a task is pending on it (OnNextLock), the
// task runs first, under the lock, before the caller gets to the shard.
func (s *Shard) Lock() {
	s.mu.Lock()
	if p := s.pending.Load(); p != nil {
		s.pending.Store(nil)
		(*p)(s)
	}
}

func (s *Shard) Unlock() { s.mu.Unlock() }

// OnNextLock, called with the lock held, makes fn the first thing the
// next holder of the lock runs, before it reaches the shard (the lock was
// taken with Lock, which ran any earlier task): a point-in-time copy of every shard
// (cache.WriteRDB) sets it on all of them at once and each is copied as
// it is next used, by whoever uses it. fn runs under the lock, once; it
// must not block nor lock another shard.
func (s *Shard) OnNextLock(fn func(*Shard)) { s.pending.Store(&fn) }

// Keys is the number of keys in every database (including expired ones not
// yet removed), without the lock.
func (s *Shard) Keys() int64 {
	var n int64
	for i := range s.dbs {
		n += s.dbs[i].keys.Load()
	}
	return n
}

// VolatileKeys is the number of keys with an expiry, without the lock.
func (s *Shard) VolatileKeys() int64 {
	var n int64
	for i := range s.dbs {
		n += s.dbs[i].volatile.Load()
	}
	return n
}

// Bytes is the memory the shard's tables hold.
func (s *Shard) Bytes() int64 {
	var n int64
	for i := range s.dbs {
		n += s.dbs[i].bytes.Load()
	}
	return n
}

// Keys is the number of keys of this database, without the lock.
func (d *DB) Keys() int64 { return d.keys.Load() }

// VolatileKeys is the number of keys of this database with an expiry.
func (d *DB) VolatileKeys() int64 { return d.volatile.Load() }

// w is the table for a write: a database's first write creates it.
func (d *DB) w() *table {
	if d.t == empty {
		d.t = newTable()
	}
	return d.t
}

func (d *DB) account() {
	storeIfChanged(&d.keys, int64(d.t.Len()))
	storeIfChanged(&d.volatile, int64(d.t.Volatile()))
	storeIfChanged(&d.bytes, d.t.LiveBytes())
}

// storeIfChanged sets a to v, skipping the atomic store (a locked
// instruction, ~1/3 of DB.account's cost in INCR's profile) when a already
// holds v: most overwrites change neither count nor, in place, the bytes.
// Only the shard's writer stores, under the lock.
func storeIfChanged(a *atomic.Int64, v int64) {
	if a.Load() != v {
		a.Store(v)
	}
}

// Now is the clock used for expiry, in unix milliseconds. It costs one
// monotonic clock read (time.Now reads two clocks, ~80 ns in this VM against
// ~45 ns): the wall time is a base re-anchored by TickClock, so a stepped
// system clock is followed within one tick.
func Now() int64 { return UnixMs(Mono()) }

// Mono is a monotonic clock reading (one clock read).
func Mono() time.Duration { return time.Since(monoBase) }

// UnixMs converts a Mono reading to unix milliseconds.
func UnixMs(mono time.Duration) int64 { return (wallBase.Load() + int64(mono)) / 1e6 }

var (
	monoBase = time.Now()
	wallBase atomic.Int64 // unix ns at monoBase, as of the last TickClock
)

func anchorWall() {
	t := time.Now()
	wallBase.Store(t.UnixNano() - int64(t.Sub(monoBase)))
}

// ---- access metadata: LRU clock and LFU counter, packed in Entry.Meta ----
//
// bits 8..31: last access, seconds since clockBase (wraps after ~194 days)
// bits 0..7:  LFU logarithmic counter (Redis's algorithm, with its
//             lfu-log-factor and lfu-decay-time: LFULogFactor, LFUDecayTime)

// LFULogFactor and LFUDecayTime are lfu-log-factor and lfu-decay-time
// (minutes; 0: no decay), set from the config.
var (
	LFULogFactor atomic.Int64
	LFUDecayTime atomic.Int64
)

func init() {
	LFULogFactor.Store(10)
	LFUDecayTime.Store(1)
}

var (
	clockBase = time.Now().Unix()
	clockNow  atomic.Uint32 // cached LRU clock, like Redis's server.lruclock
)

// TickClock refreshes the cached LRU clock and re-anchors Now to the wall
// clock; the cache calls it from its background loop (every 100 ms), so
// reads never call time.Now.
func TickClock() {
	anchorWall()
	clockNow.Store(uint32(time.Now().Unix()-clockBase) & 0xFFFFFF)
}

func lruClock() uint32 { return clockNow.Load() }

const lfuInitVal = 5

// NewMeta is the access metadata of a key created now.
func NewMeta() uint32 { return lruClock()<<8 | lfuInitVal }

// IdleSeconds is how long ago the entry was last accessed.
func IdleSeconds(meta uint32) int64 {
	// modulo the clock's 24 bits: a last access "before" clockBase (a
	// RESTORE IDLETIME longer than the uptime) wraps, and stays exact
	return int64((lruClock() - meta>>8) & 0xFFFFFF)
}

// LFUCount is the decayed logarithmic access counter.
func LFUCount(meta uint32) uint8 {
	c := uint8(meta)
	period := LFUDecayTime.Load()
	if period <= 0 {
		return c
	}
	idle := IdleSeconds(meta)
	if idle < 60*period {
		return c // the common case, touched within the period: no division
	}
	decay := idle / (60 * period)
	if int64(c) <= decay {
		return 0
	}
	return c - uint8(decay)
}

func touchMeta(meta uint32) uint32 {
	c := LFUCount(meta)
	if c < 255 {
		base := float64(int(c) - lfuInitVal)
		if base < 0 {
			base = 0
		}
		if rand.Float64() < 1.0/(base*float64(LFULogFactor.Load())+1) {
			c++
		}
	}
	return lruClock()<<8 | uint32(c)
}

// ---- reads ----

// Get returns the live entry for key, deleting it (and logging the delete to
// rec) if it has expired. With touch, the access metadata is updated.
func (d *DB) Get(key []byte, now int64, rec persistence.Recorder, touch bool) (Entry, bool) {
	e, mref, ok := d.t.Lookup(key)
	if !ok {
		return Entry{}, false
	}
	if e.ExpireAt != 0 && e.ExpireAt <= now {
		if p := d.ExpiryPaused; p == nil || !p.Load() {
			d.expireKey(key, rec)
		}
		return Entry{}, false
	}
	if touch {
		m := touchMeta(e.Meta)
		if m != e.Meta {
			mref.Set(m)
			e.Meta = m
		}
	}
	return e, true
}

// Peek returns the entry for key without touching it or removing it when
// expired (an expired key reads as missing).
func (d *DB) Peek(key []byte, now int64) (Entry, bool) {
	e, ok := d.t.Get(key)
	if !ok || (e.ExpireAt != 0 && e.ExpireAt <= now) {
		return Entry{}, false
	}
	return e, true
}

// EntryBytes estimates the memory one key uses.
func (d *DB) EntryBytes(key []byte) int64 { return d.t.EntryBytes(key) }

// ---- writes: each applies the change and records it ----

// Set stores value under key with absolute expiry expireAt (0 = none).
func (d *DB) Set(key, value []byte, expireAt int64, rec persistence.Recorder) {
	d.w().Upsert(key, value, expireAt, NewMeta(), 0)
	rec.Record(persistence.OpSet, d.N, key, value, expireAt)
	d.touchWatch(key)
	d.account()
	d.Signal(key) // a stream replaced: its XREADGROUP waiters are told
}

// SetEncoded is Set for a value Redis holds with encoding enc (see Enc).
// The encoding is not logged.
func (d *DB) SetEncoded(key, value []byte, expireAt int64, enc Enc, rec persistence.Recorder) {
	d.SetEncodedAt(Slot{}, key, value, expireAt, enc, rec)
}

// SetRange stores value under key, the result of writing part at byte
// offset of the key's current value (APPEND, SETRANGE on an existing key),
// with the encoding enc (see Enc), and logs only part (OpSetRange): a
// record costs the bytes written, not the whole value.
func (d *DB) SetRange(key, value []byte, expireAt int64, offset int64, part []byte, enc Enc, rec persistence.Recorder) {
	d.w().Upsert(key, value, expireAt, NewMeta(), 0)
	rec.Record(persistence.OpSetRange, d.N, key, part, offset)
	if enc != EncAuto {
		d.t.SetEnc(key, enc)
	}
	d.touchWatch(key)
	d.account()
}

// Patch writes part at offset inside value, key's current value as Get
// returned it (offset+len(part) <= len(value)), in place, and logs only part
// (SETBIT within the value: no copy of a large bitmap). The value becomes
// raw (see Enc).
func (d *DB) Patch(key, value []byte, offset int64, part []byte, rec persistence.Recorder) {
	copy(value[offset:], part)
	rec.Record(persistence.OpSetRange, d.N, key, part, offset)
	d.t.SetEnc(key, EncRaw)
	d.touchWatch(key)
}

// MarkEnc records key's encoding (see Enc) without changing or logging its
// value (SETBIT that leaves the bit as it was still makes the value raw).
func (d *DB) MarkEnc(key []byte, enc Enc) { d.t.SetEnc(key, enc) }

// spliceRange is value with part written at offset, zero-filled up to it.
func spliceRange(value []byte, offset int64, part []byte) []byte {
	n := max(len(value), int(offset)+len(part))
	nv := make([]byte, n)
	copy(nv, value)
	copy(nv[offset:], part)
	return nv
}

// Enc is key's encoding (see Enc), read without touching the key; EncAuto
// if it is missing.
func (d *DB) Enc(key []byte) Enc { return d.t.Enc(key) }

// Overwrite is Set for a plain SET, which does not read the old value: an
// old value that had expired by now counts as expired (as Redis counts the
// expired key its SET replaces).
func (d *DB) Overwrite(key, value []byte, expireAt, now int64, rec persistence.Recorder) {
	if d.w().Upsert(key, value, expireAt, NewMeta(), now) {
		d.Expired.Add(1)
		if d.OnExpire != nil {
			d.OnExpire(d.N, key)
		}
	}
	rec.Record(persistence.OpSet, d.N, key, value, expireAt)
	d.touchWatch(key)
	d.account()
	d.Signal(key) // a stream replaced: its XREADGROUP waiters are told
}

// Delete removes key; false if it did not exist. Clients blocked on it
// are signalled (an XREADGROUP waiting on a deleted stream gets an error).
func (d *DB) Delete(key []byte, rec persistence.Recorder) bool {
	if !d.t.Delete(key) {
		return false
	}
	rec.Record(persistence.OpDel, d.N, key, nil, 0)
	d.touchWatch(key)
	d.account()
	d.Signal(key)
	return true
}

// SetExpire sets key's absolute expiry (0 removes it). An expiry in the past
// deletes the key, logged as a delete, as Redis propagates it.
func (d *DB) SetExpire(key []byte, expireAt, now int64, rec persistence.Recorder) bool {
	if expireAt != 0 && expireAt <= now {
		return d.Delete(key, rec)
	}
	if !d.t.SetExpire(key, expireAt) {
		return false
	}
	if expireAt == 0 {
		rec.Record(persistence.OpPersist, d.N, key, nil, 0)
	} else {
		rec.Record(persistence.OpExpire, d.N, key, nil, expireAt)
	}
	d.touchWatch(key)
	d.account()
	return true
}

func (d *DB) expireKey(key []byte, rec persistence.Recorder) {
	if d.t.Delete(key) {
		rec.Record(persistence.OpDel, d.N, key, nil, 0)
		d.Expired.Add(1)
		if d.OnExpire != nil {
			d.OnExpire(d.N, key)
		}
		d.touchWatch(key)
		d.account()
		d.Signal(key)
	}
}

// Evict removes key for memory and logs the delete.
func (d *DB) Evict(key []byte, rec persistence.Recorder) bool {
	if d.Delete(key, rec) {
		d.Evicted.Add(1)
		return true
	}
	return false
}

// Clear removes every key. It is not logged here: a flush is logged once for
// all shards by the cache.
func (d *DB) Clear() {
	if len(d.watch) > 0 {
		d.touchAllWatched(d, nil, Now())
	}
	if d.N == 0 {
		d.t.Clear() // keeps its hint view (prefetching)
	} else {
		d.t = empty
	}
	d.elemTTL = nil
	d.account()
}

// Apply replays one logged record without logging it again.
func (d *DB) Apply(r *persistence.Record) {
	switch r.Op {
	case persistence.OpSet:
		meta := NewMeta()
		d.w().Put(r.Key, r.Value, r.ExpireAt, meta)
	case persistence.OpSetRange:
		var old []byte
		var exp int64
		if _, ok := d.t.WriteAt(r.Key, int(r.Offset), r.Value); ok {
			break // a large value: in place (APPENDs replay in O(appended bytes))
		}
		if e, _, ok := d.t.Lookup(r.Key); ok {
			if r.Offset+int64(len(r.Value)) <= int64(len(e.Value)) {
				copy(e.Value[r.Offset:], r.Value) // inside the value: in place, as Patch
				break
			}
			old, exp = e.Value, e.ExpireAt
		}
		d.w().Put(r.Key, spliceRange(old, r.Offset, r.Value), exp, NewMeta())
	case persistence.OpDel:
		d.t.Delete(r.Key)
	case persistence.OpExpire:
		d.t.SetExpire(r.Key, r.ExpireAt)
	case persistence.OpPersist:
		d.t.SetExpire(r.Key, 0)
	case persistence.OpFlush:
		d.Clear()
	default:
		if fn := applyFns[r.Op]; fn != nil {
			fn(d, r)
		}
	}
	d.account()
}

var applyFns = map[persistence.Op]func(d *DB, r *persistence.Record){}

// RegisterApply sets how records of op (16 and up: a kind's own records)
// are replayed; the kinds' packages call it from init. fn runs with the
// shard's lock held, must not log, and must leave the state the live
// command left.
func RegisterApply(op persistence.Op, fn func(d *DB, r *persistence.Record)) {
	if _, dup := applyFns[op]; dup {
		panic("shard: apply registered twice for " + op.String())
	}
	applyFns[op] = fn
}

// ---- iteration ----

// Range calls fn for every live key (expired ones are skipped, not removed).
func (d *DB) Range(now int64, fn func(key []byte, e Entry) bool) {
	d.t.Range(func(k []byte, e Entry) bool {
		if e.ExpireAt != 0 && e.ExpireAt <= now {
			return true
		}
		return fn(k, e)
	})
}

// Scan continues a SCAN over this shard at cursor; see ArenaTable.Scan.
func (d *DB) Scan(cursor uint64, count int, now int64, fn func(key []byte, e Entry)) uint64 {
	return d.t.Scan(cursor, count, func(k []byte, e Entry) {
		if e.ExpireAt != 0 && e.ExpireAt <= now {
			return
		}
		fn(k, e)
	})
}

// Sample calls fn for up to n pseudo-random entries.
func (d *DB) Sample(n int, volatileOnly bool, fn func(key []byte, e Entry)) {
	d.t.Sample(n, volatileOnly, fn)
}

// Volatile is the number of keys with an expiry.
func (d *DB) Volatile() int { return d.t.Volatile() }

// ActiveExpire samples keys with an expiry and deletes the expired ones, as
// Redis 7.0's active expire cycle does: samples of 20 keys, repeated while
// more than 10% of a sample was expired, within the given time budget;
// effort (active-expire-effort less 1, 0-9) adds a quarter of the sample
// per step and lowers the stale share it accepts by a point. It returns
// the number of keys sampled and expired.
func (d *DB) ActiveExpire(now int64, deadline time.Time, effort int, rec persistence.Recorder) (sampled, expired int) {
	effort = min(max(effort, 0), 9)
	perRound := 20 + 20/4*effort
	stale := 10 - effort // acceptable stale keys, percent
	var buf [20 + 20/4*9][]byte
	keys := buf[:perRound]
	for {
		if d.t.Volatile() == 0 {
			return
		}
		n, found := 0, 0
		d.t.Sample(perRound, true, func(k []byte, e Entry) {
			if n < perRound {
				if e.ExpireAt != 0 && e.ExpireAt <= now {
					keys[found] = append(keys[found][:0], k...)
					found++
				}
				n++
			}
		})
		for i := 0; i < found; i++ {
			d.expireKey(keys[i], rec)
		}
		sampled += n
		expired += found
		if n == 0 || found*100 <= n*stale || time.Now().After(deadline) {
			return
		}
	}
}

// ---- WATCH ----

// Watch is one client's WATCH state: Dirty turns true when a watched key is
// modified, and EXEC then fails.
type Watch struct {
	Dirty atomic.Bool
}

// watcher is one client's WATCH of one key. expired: the key was there but
// already expired when WATCH ran (Redis 7.0's watchedKey.expired); its
// deletion (by expiry, a flush, a SWAPDB that brings no key) is then no
// change, as the key was logically gone already.
type watcher struct {
	w       *Watch
	expired bool
}

// AddWatch registers w on key; now judges whether the key is already
// expired.
func (d *DB) AddWatch(key []byte, w *Watch, now int64) {
	if d.watch == nil {
		d.watch = make(map[watchKey][]*watcher)
	}
	wk := watchKey{d.N, string(key)}
	d.watch[wk] = append(d.watch[wk], &watcher{w: w, expired: d.expiredAt(key, now)})
}

// expiredAt reports whether key is in the table but expired at now.
func (d *DB) expiredAt(key []byte, now int64) bool {
	e, ok := d.t.Get(key)
	return ok && e.ExpireAt != 0 && e.ExpireAt <= now
}

// has reports whether key is in the table (expired or not).
func (d *DB) has(key []byte) bool {
	_, ok := d.t.Get(key)
	return ok
}

// RemoveWatch unregisters w from key.
func (d *DB) RemoveWatch(key []byte, w *Watch) {
	wk := watchKey{d.N, string(key)}
	ws := d.watch[wk]
	for i, x := range ws {
		if x.w == w {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(d.watch, wk)
	} else {
		d.watch[wk] = ws
	}
}

// touchWatch marks key's watchers dirty after a change of key (Redis's
// touchWatchedKey): not those that saw it expired when the change deleted
// it.
func (d *DB) touchWatch(key []byte) {
	if len(d.watch) == 0 {
		return
	}
	ws := d.watch[watchKey{d.N, string(key)}]
	if len(ws) == 0 {
		return
	}
	gone := !d.has(key)
	for _, x := range ws {
		if x.expired && gone {
			x.expired = false // deleted keys are not flagged as expired
			continue
		}
		x.w.Dirty.Store(true)
	}
}

// touchAllWatched is Redis's touchAllWatchedKeysInDb for a database
// emptied (FLUSHDB, FLUSHALL) or, with other, about to be swapped with it
// (SWAPDB); now judges expiry.
func (s *Shard) touchAllWatched(emptied *DB, other *DB, now int64) {
	for wk, ws := range s.watch {
		if wk.db != emptied.N {
			continue
		}
		key := []byte(wk.key)
		inEmptied := emptied.has(key)
		inOther := other != nil && other.has(key)
		if !inEmptied && !inOther {
			continue
		}
		for _, x := range ws {
			if x.expired {
				if !inOther {
					x.expired = false // an expired key now deleted: no change
					continue
				}
				if other.expiredAt(key, now) {
					continue // an expired key remains expired
				}
			} else if !inEmptied && other.expiredAt(key, now) {
				x.expired = true // no key replaced by an expired one
				continue
			}
			x.w.Dirty.Store(true)
		}
	}
}

// TouchWatch marks the watchers of key dirty without changing it.
func (d *DB) TouchWatch(key []byte) { d.touchWatch(key) }

// CloneTable returns an independent copy of the database's table, for a
// point-in-time snapshot; the caller holds the lock.
func (d *DB) CloneTable() *table { return d.t.Clone() }

// ---- collections ----

// Obj is the collection e (an entry of a non-string Kind) refers to.
func (d *DB) Obj(e Entry) Object { return d.t.Obj(e) }

// PutObj stores the collection o under key with absolute expiry expireAt,
// replacing whatever key held. It does not log: the command logs its own
// record (Log).
func (d *DB) PutObj(key []byte, o Object, expireAt int64) {
	d.w().PutObj(key, o, expireAt, NewMeta())
	d.noteObj(key, o)
	d.account()
	d.Signal(key)
}

// Log hands a record about key to rec and marks key's watchers: the one
// place a collection's change becomes visible to the log and to WATCH.
func (d *DB) Log(op persistence.Op, key, body []byte, num int64, rec persistence.Recorder) {
	rec.Record(op, d.N, key, body, num)
	d.touchWatch(key)
}

// Changed re-accounts the memory of the collection under e after a change;
// a collection left empty is deleted (and the deletion logged, as Redis
// deletes a key whose last element goes).
func (d *DB) Changed(key []byte, e Entry, rec persistence.Recorder) {
	if o := d.t.Obj(e); o.Len() == 0 {
		d.t.Delete(key)
		if rec != nil {
			rec.Record(persistence.OpDel, d.N, key, nil, 0)
		}
	} else {
		d.t.ObjResized(e)
		d.noteObj(key, o)
	}
	d.account()
}

// SwapDB swaps databases a and b of this shard (SWAPDB), waking the
// watchers of both.
func (s *Shard) SwapDB(a, b int) {
	da, db := &s.dbs[a], &s.dbs[b]
	if len(s.watch) > 0 {
		now := Now()
		s.touchAllWatched(da, db, now)
		s.touchAllWatched(db, da, now)
	}
	da.t, db.t = db.t, da.t
	da.elemTTL, db.elemTTL = db.elemTTL, da.elemTTL
	for _, d := range []*DB{da, db} {
		if d.N == 0 {
			if d.t == empty {
				d.t = newTable()
			}
			d.t.pub = &s.hint
			d.t.publish()
		} else if d.t != empty {
			d.t.pub = nil
		}
	}
	da.account()
	db.account()
}

func init() { TickClock() }

// CopyFrom stores at dkey of d the value of skey in src (a string keeps its
// encoding; a collection is cloned, or with move handed over as it is),
// with its expiry, and logs the result: OpSet for a string, or the records
// that rebuild the collection after an OpDel (RENAME, COPY). false if skey
// is missing. The caller removes skey for a move.
func (d *DB) CopyFrom(src *DB, skey, dkey []byte, move bool, now int64, rec persistence.Recorder) bool {
	e, ok := src.t.Get(skey)
	if !ok {
		return false
	}
	if e.Kind == KindString {
		enc := src.t.Enc(skey)
		d.SetEncoded(dkey, append([]byte(nil), e.Value...), e.ExpireAt, enc, rec)
		return true
	}
	o := src.t.Obj(e)
	if !move {
		o = o.Clone()
	}
	d.PutObject(dkey, o, e.ExpireAt, now, rec)
	return true
}

// PutObject stores the collection o at key with absolute expiry expireAt
// (0: none), replacing whatever key held, and logs it whole: OpDel, the
// records that rebuild o, then OpExpire (RENAME, COPY, RESTORE). It marks
// key's watchers, accounts the memory and wakes the clients blocked on key.
func (d *DB) PutObject(key []byte, o Object, expireAt, now int64, rec persistence.Recorder) {
	d.w().PutObj(key, o, expireAt, NewMeta())
	d.noteObj(key, o)
	rec.Record(persistence.OpDel, d.N, key, nil, 0)
	o.Records(now, func(op persistence.Op, body []byte, num int64) error {
		rec.Record(op, d.N, key, body, num)
		return nil
	})
	if expireAt != 0 {
		rec.Record(persistence.OpExpire, d.N, key, nil, expireAt)
	}
	d.touchWatch(key)
	d.account()
	d.Signal(key)
}

// SetAccess sets key's access data as RESTORE's IDLETIME and FREQ do
// (negative: not given); unlogged, like every access.
func (d *DB) SetAccess(key []byte, idle int64, freq int) {
	if idle < 0 && freq < 0 {
		return
	}
	clock := int64(lruClock())
	meta := NewMeta()
	if idle >= 0 {
		last := (clock - idle%(1<<24) + 1<<24) % (1 << 24)
		meta = uint32(last)<<8 | lfuInitVal
	}
	if freq >= 0 {
		meta = meta&^0xFF | uint32(freq)
	}
	d.t.SetMeta(key, meta)
}

// MoveTo moves key (any kind, with its expiry, access data and encoding)
// to the database dst of the same shard and logs OpMove (rec nil: replay).
// false if key is missing here.
func (d *DB) MoveTo(key []byte, dst *DB, rec persistence.Recorder) bool {
	e, ok := d.t.Get(key)
	if !ok {
		return false
	}
	if e.Kind == KindString {
		enc := d.t.Enc(key)
		dst.w().Put(key, e.Value, e.ExpireAt, e.Meta)
		if enc != EncAuto {
			dst.t.SetEnc(key, enc)
		}
	} else {
		dst.w().PutObj(key, d.t.Obj(e), e.ExpireAt, e.Meta)
		dst.noteObj(key, d.t.Obj(e))
		dst.Signal(key)
	}
	d.t.Delete(key) // frees the record; a collection now lives in dst
	if rec != nil {
		rec.Record(persistence.OpMove, d.N, key, nil, int64(dst.N))
	}
	d.touchWatch(key)
	dst.touchWatch(key)
	d.account()
	dst.account()
	return true
}

// taken is a key's value lifted out of a database (SwapKeys).
type taken struct {
	key  []byte
	e    Entry
	val  []byte // a string's bytes (copy)
	enc  Enc
	obj  Object
	from *DB
}

func (d *DB) take(key []byte) (taken, bool) {
	e, ok := d.t.Get(key)
	if !ok {
		return taken{}, false
	}
	t := taken{key: append([]byte(nil), key...), e: e, from: d}
	if e.Kind == KindString {
		t.val, t.enc = append([]byte(nil), e.Value...), d.t.Enc(key)
	} else {
		t.obj = d.t.Obj(e)
	}
	d.t.Delete(key)
	return t, true
}

func (d *DB) putTaken(t taken, now int64, rec persistence.Recorder) {
	if t.obj == nil {
		d.w().Put(t.key, t.val, t.e.ExpireAt, t.e.Meta)
		if t.enc != EncAuto {
			d.t.SetEnc(t.key, t.enc)
		}
		if rec != nil {
			rec.Record(persistence.OpSet, d.N, t.key, t.val, t.e.ExpireAt)
		}
	} else {
		d.w().PutObj(t.key, t.obj, t.e.ExpireAt, t.e.Meta)
		d.noteObj(t.key, t.obj)
		d.Signal(t.key)
		if rec != nil {
			t.obj.Records(now, func(op persistence.Op, body []byte, num int64) error {
				rec.Record(op, d.N, t.key, body, num)
				return nil
			})
			if t.e.ExpireAt != 0 {
				rec.Record(persistence.OpExpire, d.N, t.key, nil, t.e.ExpireAt)
			}
		}
	}
	d.touchWatch(t.key)
}

// SwapWhere swaps between databases a and b only the keys for which pred
// is true (replay of a SWAPDB that a snapshot reflects for some shards
// only). With rec, every key moved is logged as its deletion and
// re-creation, so the result survives a restart (a replica).
func (s *Shard) SwapWhere(a, b int, pred func(key []byte) bool, now int64, rec persistence.Recorder) {
	var out []taken
	for _, d := range []*DB{&s.dbs[a], &s.dbs[b]} {
		var keys [][]byte
		d.t.Range(func(k []byte, e Entry) bool {
			if pred(k) {
				keys = append(keys, append([]byte(nil), k...))
			}
			return true
		})
		for _, k := range keys {
			if t, ok := d.take(k); ok {
				if rec != nil {
					rec.Record(persistence.OpDel, d.N, k, nil, 0)
				}
				out = append(out, t)
			}
		}
	}
	for _, t := range out {
		to := &s.dbs[a]
		if t.from.N == a {
			to = &s.dbs[b]
		}
		to.putTaken(t, now, rec)
	}
	s.dbs[a].account()
	s.dbs[b].account()
}
