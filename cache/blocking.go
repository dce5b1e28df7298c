package cache

import (
	"sync"
	"sync/atomic"
)

// Readiness of keys for blocked clients (BLPOP, BZPOPMIN, XREAD BLOCK ...).
//
// The cache does not block anybody: the server keeps the blocked clients
// (server/blocking.go). The cache only knows which keys somebody waits on
// (WaitOn / Unwait) and collects, in order, the waited keys that may now
// serve a waiter: a collection created on them, or renamed, moved, copied or
// swapped into place (shard.SetReady), or an explicit Keyspace.Signal (XADD
// to an existing stream). After each command the server takes the ready
// keys (TakeReady) and serves their waiters, then reports them served
// (ReadyDone): until then ReadyPending stays true, so a client whose command
// readied a key waits for that key's waiters to be served before it runs
// its next command, as Redis serves them between two commands.
//
// Cost when nobody blocks: one atomic load per signal.

type dbKey struct {
	db  int
	key string
}

// ReadyKey is a key of database DB that may serve blocked clients.
type ReadyKey struct {
	DB  int
	Key []byte
}

type readiness struct {
	waits    atomic.Int64 // registrations (WaitOn minus Unwait)
	inflight atomic.Int64 // keys signalled and not yet reported served

	mu     sync.Mutex
	keys   map[dbKey]int32 // waiters per key
	ready  []ReadyKey
	queued map[dbKey]struct{} // the keys in ready
}

func (r *readiness) init() {
	r.keys = make(map[dbKey]int32)
	r.queued = make(map[dbKey]struct{})
}

// signal queues key as ready if somebody waits on it (any goroutine; the
// shards call it with their lock held).
func (r *readiness) signal(db int, key []byte) {
	if r.waits.Load() == 0 {
		return
	}
	r.mu.Lock()
	if r.keys[dbKey{db, string(key)}] > 0 {
		if _, dup := r.queued[dbKey{db, string(key)}]; !dup {
			k := string(key)
			r.queued[dbKey{db, k}] = struct{}{}
			r.ready = append(r.ready, ReadyKey{DB: db, Key: []byte(k)})
			r.inflight.Add(1)
		}
	}
	r.mu.Unlock()
}

// WaitOn registers one waiter on key of database db: from now on, the key
// is signalled when it gets data.
func (c *Cache) WaitOn(db int, key []byte) {
	r := &c.ready
	r.mu.Lock()
	r.keys[dbKey{db, string(key)}]++
	r.waits.Add(1)
	r.mu.Unlock()
}

// Unwait removes one waiter registered with WaitOn.
func (c *Cache) Unwait(db int, key []byte) {
	r := &c.ready
	r.mu.Lock()
	k := dbKey{db, string(key)}
	if n := r.keys[k]; n > 1 {
		r.keys[k] = n - 1
	} else if n == 1 {
		delete(r.keys, k)
	}
	r.waits.Add(-1)
	r.mu.Unlock()
}

// Signal marks key of database db ready for its waiters, if it has any
// (a change that can serve a waiter although no key was created, such as
// XADD on an existing stream; creations are signalled by the shards).
func (c *Cache) Signal(db int, key []byte) { c.ready.signal(db, key) }

// Signal marks key ready for its waiters (see Cache.Signal), in k's
// database.
func (k Keyspace) Signal(key []byte) { k.c.ready.signal(k.db, key) }

// ReadyPending reports whether keys were signalled and not yet reported
// served (ReadyDone). One atomic load.
func (c *Cache) ReadyPending() bool { return c.ready.inflight.Load() > 0 }

// TakeReady appends the ready keys, in the order they were signalled, to
// dst and forgets them; the caller serves them and then calls ReadyDone
// with their number.
func (c *Cache) TakeReady(dst []ReadyKey) []ReadyKey {
	r := &c.ready
	r.mu.Lock()
	dst = append(dst, r.ready...)
	clear(r.ready)
	r.ready = r.ready[:0]
	clear(r.queued)
	r.mu.Unlock()
	return dst
}

// ReadyDone reports n keys taken with TakeReady as served.
func (c *Cache) ReadyDone(n int) { c.ready.inflight.Add(-int64(n)) }

// signalDB signals every waited key of database db (SWAPDB brought new
// contents under all of them).
func (c *Cache) signalDB(db int) {
	r := &c.ready
	if r.waits.Load() == 0 {
		return
	}
	r.mu.Lock()
	var keys []string
	for k := range r.keys {
		if k.db == db {
			keys = append(keys, k.key)
		}
	}
	r.mu.Unlock()
	for _, k := range keys {
		r.signal(db, []byte(k))
	}
}
