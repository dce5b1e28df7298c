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
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"fastcache/persistence"
)

// table is the store behind a shard; MapTable and ArenaTable share its API.
type table = ArenaTable

func newTable() *table { return NewArenaTable() }

// Shard is one partition of the keyspace.
type Shard struct {
	mu    sync.Mutex
	t     *table
	Index int
	// Queue receives this shard's records outside transactions.
	Queue *persistence.Queue

	keys     atomic.Int64 // len(t), readable without the lock
	volatile atomic.Int64 // keys with an expiry, readable without the lock
	bytes    atomic.Int64 // t.Bytes(), readable without the lock

	watch map[string][]*Watch

	// Scratch is a small buffer for values built under the shard lock
	// (INCR's result), so they need no allocation.
	Scratch [32]byte

	Hits, Misses, Expired, Evicted atomic.Int64

	hint atomic.Pointer[hintView] // the table's, for prefetching without the lock (hint.go)
}

// New returns an empty shard that logs to q.
func New(index int, q *persistence.Queue) *Shard {
	s := &Shard{t: newTable(), Index: index, Queue: q}
	s.t.pub = &s.hint
	s.t.publish()
	return s
}

func (s *Shard) Lock()   { s.mu.Lock() }
func (s *Shard) Unlock() { s.mu.Unlock() }

// Keys is the number of keys (including expired ones not yet removed).
func (s *Shard) Keys() int64 { return s.keys.Load() }

// VolatileKeys is the number of keys with an expiry, without the lock.
func (s *Shard) VolatileKeys() int64 { return s.volatile.Load() }

// Bytes is the memory the shard's table holds.
func (s *Shard) Bytes() int64 { return s.bytes.Load() }

func (s *Shard) account() {
	s.keys.Store(int64(s.t.Len()))
	s.volatile.Store(int64(s.t.Volatile()))
	s.bytes.Store(s.t.Bytes())
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
// bits 0..7:  LFU logarithmic counter (Redis's algorithm, lfu-log-factor 10,
//             lfu-decay-time 1 minute)

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
	now, last := lruClock(), meta>>8
	if now >= last {
		return int64(now - last)
	}
	return int64(now + (0xFFFFFF - last))
}

// LFUCount is the decayed logarithmic access counter.
func LFUCount(meta uint32) uint8 {
	c := uint8(meta)
	decay := IdleSeconds(meta) / 60
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
		if rand.Float64() < 1.0/(base*10+1) {
			c++
		}
	}
	return lruClock()<<8 | uint32(c)
}

// ---- reads ----

// Get returns the live entry for key, deleting it (and logging the delete to
// rec) if it has expired. With touch, the access metadata is updated.
func (s *Shard) Get(key []byte, now int64, rec persistence.Recorder, touch bool) (Entry, bool) {
	e, mref, ok := s.t.Lookup(key)
	if !ok {
		return Entry{}, false
	}
	if e.ExpireAt != 0 && e.ExpireAt <= now {
		s.expireKey(key, rec)
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
func (s *Shard) Peek(key []byte, now int64) (Entry, bool) {
	e, ok := s.t.Get(key)
	if !ok || (e.ExpireAt != 0 && e.ExpireAt <= now) {
		return Entry{}, false
	}
	return e, true
}

// EntryBytes estimates the memory one key uses.
func (s *Shard) EntryBytes(key []byte) int64 { return s.t.EntryBytes(key) }

// ---- writes: each applies the change and records it ----

// Set stores value under key with absolute expiry expireAt (0 = none).
func (s *Shard) Set(key, value []byte, expireAt int64, rec persistence.Recorder) {
	s.t.Upsert(key, value, expireAt, NewMeta(), 0)
	rec.Record(persistence.OpSet, key, value, expireAt)
	s.touchWatch(key)
	s.account()
}

// SetEncoded is Set for a value Redis holds with encoding enc (see Enc).
// The encoding is not logged.
func (s *Shard) SetEncoded(key, value []byte, expireAt int64, enc Enc, rec persistence.Recorder) {
	s.Set(key, value, expireAt, rec)
	if enc != EncAuto {
		s.t.SetEnc(key, enc)
	}
}

// SetRange stores value under key, the result of writing part at byte
// offset of the key's current value (APPEND, SETRANGE on an existing key),
// with the encoding enc (see Enc), and logs only part (OpSetRange): a
// record costs the bytes written, not the whole value.
func (s *Shard) SetRange(key, value []byte, expireAt int64, offset int64, part []byte, enc Enc, rec persistence.Recorder) {
	s.t.Upsert(key, value, expireAt, NewMeta(), 0)
	rec.Record(persistence.OpSetRange, key, part, offset)
	if enc != EncAuto {
		s.t.SetEnc(key, enc)
	}
	s.touchWatch(key)
	s.account()
}

// Patch writes part at offset inside value, key's current value as Get
// returned it (offset+len(part) <= len(value)), in place, and logs only part
// (SETBIT within the value: no copy of a large bitmap). The value becomes
// raw (see Enc).
func (s *Shard) Patch(key, value []byte, offset int64, part []byte, rec persistence.Recorder) {
	copy(value[offset:], part)
	rec.Record(persistence.OpSetRange, key, part, offset)
	s.t.SetEnc(key, EncRaw)
	s.touchWatch(key)
}

// MarkEnc records key's encoding (see Enc) without changing or logging its
// value (SETBIT that leaves the bit as it was still makes the value raw).
func (s *Shard) MarkEnc(key []byte, enc Enc) { s.t.SetEnc(key, enc) }

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
func (s *Shard) Enc(key []byte) Enc { return s.t.Enc(key) }

// Overwrite is Set for a plain SET, which does not read the old value: an
// old value that had expired by now counts as expired (as Redis counts the
// expired key its SET replaces).
func (s *Shard) Overwrite(key, value []byte, expireAt, now int64, rec persistence.Recorder) {
	if s.t.Upsert(key, value, expireAt, NewMeta(), now) {
		s.Expired.Add(1)
	}
	rec.Record(persistence.OpSet, key, value, expireAt)
	s.touchWatch(key)
	s.account()
}

// Delete removes key; false if it did not exist.
func (s *Shard) Delete(key []byte, rec persistence.Recorder) bool {
	if !s.t.Delete(key) {
		return false
	}
	rec.Record(persistence.OpDel, key, nil, 0)
	s.touchWatch(key)
	s.account()
	return true
}

// SetExpire sets key's absolute expiry (0 removes it). An expiry in the past
// deletes the key, logged as a delete, as Redis propagates it.
func (s *Shard) SetExpire(key []byte, expireAt, now int64, rec persistence.Recorder) bool {
	if expireAt != 0 && expireAt <= now {
		return s.Delete(key, rec)
	}
	if !s.t.SetExpire(key, expireAt) {
		return false
	}
	if expireAt == 0 {
		rec.Record(persistence.OpPersist, key, nil, 0)
	} else {
		rec.Record(persistence.OpExpire, key, nil, expireAt)
	}
	s.touchWatch(key)
	s.account()
	return true
}

func (s *Shard) expireKey(key []byte, rec persistence.Recorder) {
	if s.t.Delete(key) {
		rec.Record(persistence.OpDel, key, nil, 0)
		s.Expired.Add(1)
		s.touchWatch(key)
		s.account()
	}
}

// Evict removes key for memory and logs the delete.
func (s *Shard) Evict(key []byte, rec persistence.Recorder) bool {
	if s.Delete(key, rec) {
		s.Evicted.Add(1)
		return true
	}
	return false
}

// Clear removes every key. It is not logged here: a flush is logged once for
// all shards by the cache.
func (s *Shard) Clear() {
	s.t.Clear()
	for _, ws := range s.watch {
		for _, w := range ws {
			w.Dirty.Store(true)
		}
	}
	s.account()
}

// Apply replays one logged record without logging it again.
func (s *Shard) Apply(r *persistence.Record) {
	switch r.Op {
	case persistence.OpSet:
		meta := NewMeta()
		s.t.Put(r.Key, r.Value, r.ExpireAt, meta)
	case persistence.OpSetRange:
		var old []byte
		var exp int64
		if e, _, ok := s.t.Lookup(r.Key); ok {
			if r.Offset+int64(len(r.Value)) <= int64(len(e.Value)) {
				copy(e.Value[r.Offset:], r.Value) // inside the value: in place, as Patch
				break
			}
			old, exp = e.Value, e.ExpireAt
		}
		s.t.Put(r.Key, spliceRange(old, r.Offset, r.Value), exp, NewMeta())
	case persistence.OpDel:
		s.t.Delete(r.Key)
	case persistence.OpExpire:
		s.t.SetExpire(r.Key, r.ExpireAt)
	case persistence.OpPersist:
		s.t.SetExpire(r.Key, 0)
	case persistence.OpFlush:
		s.t.Clear()
	}
	s.account()
}

// ---- iteration ----

// Range calls fn for every live key (expired ones are skipped, not removed).
func (s *Shard) Range(now int64, fn func(key []byte, e Entry) bool) {
	s.t.Range(func(k []byte, e Entry) bool {
		if e.ExpireAt != 0 && e.ExpireAt <= now {
			return true
		}
		return fn(k, e)
	})
}

// Scan continues a SCAN over this shard at cursor; see ArenaTable.Scan.
func (s *Shard) Scan(cursor uint64, count int, now int64, fn func(key []byte, e Entry)) uint64 {
	return s.t.Scan(cursor, count, func(k []byte, e Entry) {
		if e.ExpireAt != 0 && e.ExpireAt <= now {
			return
		}
		fn(k, e)
	})
}

// Sample calls fn for up to n pseudo-random entries.
func (s *Shard) Sample(n int, volatileOnly bool, fn func(key []byte, e Entry)) {
	s.t.Sample(n, volatileOnly, fn)
}

// Volatile is the number of keys with an expiry.
func (s *Shard) Volatile() int { return s.t.Volatile() }

// ActiveExpire samples keys with an expiry and deletes the expired ones, as
// Redis's active expire cycle does: it repeats while more than a quarter of a
// sample was expired, within the given time budget. It returns the number of
// keys sampled and expired.
func (s *Shard) ActiveExpire(now int64, deadline time.Time, rec persistence.Recorder) (sampled, expired int) {
	const perRound = 20
	var keys [perRound][]byte
	for {
		if s.t.Volatile() == 0 {
			return
		}
		n, found := 0, 0
		s.t.Sample(perRound, true, func(k []byte, e Entry) {
			if n < perRound {
				if e.ExpireAt != 0 && e.ExpireAt <= now {
					keys[found] = append(keys[found][:0], k...)
					found++
				}
				n++
			}
		})
		for i := 0; i < found; i++ {
			s.expireKey(keys[i], rec)
		}
		sampled += n
		expired += found
		if n == 0 || found*4 <= n || time.Now().After(deadline) {
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

// AddWatch registers w on key.
func (s *Shard) AddWatch(key []byte, w *Watch) {
	if s.watch == nil {
		s.watch = make(map[string][]*Watch)
	}
	s.watch[string(key)] = append(s.watch[string(key)], w)
}

// RemoveWatch unregisters w from key.
func (s *Shard) RemoveWatch(key []byte, w *Watch) {
	ws := s.watch[string(key)]
	for i, x := range ws {
		if x == w {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(s.watch, string(key))
	} else {
		s.watch[string(key)] = ws
	}
}

func (s *Shard) touchWatch(key []byte) {
	if len(s.watch) == 0 {
		return
	}
	for _, w := range s.watch[string(key)] {
		w.Dirty.Store(true)
	}
}

// TouchWatch marks the watchers of key dirty without changing it.
func (s *Shard) TouchWatch(key []byte) { s.touchWatch(key) }

var _ = math.MaxInt64

// CloneTable returns an independent copy of the shard's table, for a
// point-in-time snapshot; the caller holds the lock.
func (s *Shard) CloneTable() *table { return s.t.Clone() }

func init() { TickClock() }
