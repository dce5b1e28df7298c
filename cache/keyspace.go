package cache

import (
	"sync"

	"fastcache/persistence"
	"fastcache/shard"
)

// Keyspace runs commands against the cache. The zero-transaction form (from
// Cache.Keyspace) locks the shards each call needs; the form passed to an
// Atomic function runs with every shard already locked and collects all
// records into one transaction group, so EXEC is atomic in memory and in the
// WAL. Command handlers are written once against Keyspace and work in both.
type Keyspace struct {
	c  *Cache
	tx *txState
	db int // the database (SELECT)
	// clock, when set, is the caller's current time in unix ms (the server
	// passes the time it read after the previous command: one clock read
	// per command serves both INFO commandstats and expiry, as Redis caches
	// the time per command). nil: read the clock.
	clock  *int64
	origin any // who causes the keyspace events (WithOrigin, notify.go)
	// errp, when set, receives ErrWrongTypeOps from a command whose result
	// type has no room for an error (GET, STRLEN, SETBIT...): the server
	// then replaces the command's reply with the error.
	errp *error
	// unwatched: Change's records do not mark WATCHers (Unwatched)
	unwatched bool
	// readLookup: View and KeyGroup.Get record keymiss (ReadLookup)
	readLookup bool
}

// ReadLookup is k for a read command: View and KeyGroup.Get record a
// "keymiss" event for a missing key, as Redis's lookupKeyRead does (write
// commands, and the pops that serve a blocked client, look keys up
// without it).
func (k Keyspace) ReadLookup() Keyspace { k.readLookup = true; return k }

// Unwatched is k with Change not marking the key modified for WATCH:
// Redis does not signal some changes (a stream's consumer groups: XACK,
// XREADGROUP, XCLAIM, XGROUP ...). A command marks it itself with a
// TouchWatch record where Redis does.
func (k Keyspace) Unwatched() Keyspace { k.unwatched = true; return k }

// WithErr is k reporting wrong-type errors of such commands into *errp.
func (k Keyspace) WithErr(errp *error) Keyspace { k.errp = errp; return k }

// WithClock is k judging expiry by *clock (unix ms), as KeyspaceAt.
func (k Keyspace) WithClock(clock *int64) Keyspace { k.clock = clock; return k }

func (k Keyspace) wrongType() {
	if k.errp != nil {
		*k.errp = ErrWrongTypeOps
	}
}

// now is the time expiry is judged by.
func (k Keyspace) now() int64 {
	if k.clock != nil {
		return *k.clock
	}
	return shard.Now()
}

// txState is an EXEC in progress: all shards are locked; records go to txn.
type txState struct {
	c       *Cache
	txn     *persistence.Txn
	touched []bool
	by      []shardRec // Recorder of each shard: what read and write return
	idx     []int      // Commit's scratch
	any     bool
	ev      eventBuf // keyspace events (notify.go)
}

// Record implements persistence.Recorder, remembering the shards touched.
func (t *txState) Record(op persistence.Op, db int, key, value []byte, num int64) {
	if t.txn == nil {
		t.txn = t.c.wal.Load().NewTxn()
	}
	t.txn.Record(op, db, key, value, num)
	t.any = true
	if op == persistence.OpFlush || op == persistence.OpSwapDB {
		for i := range t.touched {
			t.touched[i] = true
		}
		return
	}
	t.touched[t.c.ShardIndex(key)] = true
}

// shardRec is txState's Recorder for the records of one shard, known
// already: no hashing of the key again to find it.
type shardRec struct {
	t   *txState
	idx int
}

func (r *shardRec) Record(op persistence.Op, db int, key, value []byte, num int64) {
	t := r.t
	if op == persistence.OpFlush || op == persistence.OpSwapDB {
		t.Record(op, db, key, value, num)
		return
	}
	if t.txn == nil {
		t.txn = t.c.wal.Load().NewTxn()
	}
	t.txn.Record(op, db, key, value, num)
	t.any = true
	t.touched[r.idx] = true
}

// Atomic runs fn with every shard locked, as one transaction. abort is
// checked under the locks first: when it returns true fn does not run and
// Atomic returns false (a WATCHed key changed).
func (c *Cache) Atomic(abort func() bool, fn func(k Keyspace)) bool {
	for _, s := range c.shards {
		s.Lock()
	}
	t := c.newTx()
	redir := c.redirectEvents(c.allShards(), &t.ev)
	defer func() {
		if redir { // the transaction's keyspace events, in order
			c.unlockRedirected(c.allShards(), &t.ev, t.ev.origin)
		} else {
			for _, s := range c.shards {
				c.unlockShard(s, t.ev.origin)
			}
		}
		c.freeTx(t)
	}()
	if abort != nil && abort() {
		return false
	}
	c.runTx(t, fn)
	return true
}

// LockAll locks every shard for transactions run back to back with
// AtomicLocked (a pipeline of scripts), saving each the locking and
// unlocking of every shard; UnlockAll ends it. While they are held, nothing
// else reaches the keyspace: the caller must not use it but through
// AtomicLocked.
func (c *Cache) LockAll() {
	for _, s := range c.shards {
		s.Lock()
	}
}

// UnlockAll releases what LockAll locked.
func (c *Cache) UnlockAll() {
	for _, s := range c.shards {
		c.unlockShard(s, nil)
	}
}

// AtomicLocked is Atomic (without abort) with every shard already locked
// (LockAll). Its keyspace events are not collected as a transaction's: they
// go out at UnlockAll, so callers use it only while none are wanted
// (EventsWanted).
func (c *Cache) AtomicLocked(fn func(k Keyspace)) {
	t := c.newTx()
	c.runTx(t, fn)
	c.freeTx(t)
}

// EventsWanted reports whether keyspace events are collected (keyspace
// notifications or client tracking are on).
func (c *Cache) EventsWanted() bool { return c.pend != nil && c.notifyWant.Load() != 0 }

// newTx is a transaction state: the one kept from the last transaction (a
// script per request makes this a hot path), or a new one.
func (c *Cache) newTx() *txState {
	if t := c.txFree.Swap(nil); t != nil {
		return t
	}
	t := &txState{c: c, touched: make([]bool, len(c.shards)), by: make([]shardRec, len(c.shards))}
	for i := range t.by {
		t.by[i] = shardRec{t: t, idx: i}
	}
	return t
}

// freeTx keeps t for the next transaction once its events are out.
func (c *Cache) freeTx(t *txState) {
	t.txn, t.any = nil, false
	clear(t.touched)
	t.ev.origin = nil
	c.txFree.Store(t)
}

// runTx runs fn in t and commits its records to the WAL as one group.
func (c *Cache) runTx(t *txState, fn func(k Keyspace)) {
	fn(Keyspace{c: c, tx: t})
	if t.any {
		idx := t.idx[:0]
		for i, ok := range t.touched {
			if ok {
				idx = append(idx, i)
			}
		}
		t.idx = idx
		c.wal.Load().Commit(t.txn, idx)
	}
}

// InTx reports whether k runs inside an Atomic call.
func (k Keyspace) InTx() bool { return k.tx != nil }

// DB is the database k works in.
func (k Keyspace) DB() int { return k.db }

// WithDB is k working in database n (0 <= n < Databases).
func (k Keyspace) WithDB(n int) Keyspace { k.db = n; return k }

// read locks the shard of key for a read.
func (k Keyspace) read(key []byte) (*shard.DB, persistence.Recorder) {
	s := k.shardOf(key)
	if k.tx != nil {
		return s, &k.tx.by[s.Index]
	}
	s.Lock()
	return s, s.Queue()
}

// write locks the shard of key for a write, after waiting for room in its WAL queue.
func (k Keyspace) write(key []byte) (*shard.DB, persistence.Recorder) {
	s := k.shardOf(key)
	if k.tx != nil {
		return s, &k.tx.by[s.Index]
	}
	s.Queue().WaitRoom()
	s.Lock()
	return s, s.Queue()
}

func (k Keyspace) done(s *shard.DB) {
	if k.tx == nil {
		k.c.unlockShard(s.Shard, k.origin) // and hand over its keyspace events (notify.go)
	}
}

// multi is a multi-key operation outside a transaction: the shards involved
// are locked in ascending order and, if there are several, the records go to
// one transaction group so replay applies all of them or none. multis are
// recycled (multiPool), so MSET and DEL allocate nothing here in the steady
// state.
type multi struct {
	k      Keyspace
	shards []int
	tx     *txState // nil until a record goes to a group (several shards)
	state  txState  // what tx points to
	idx    []int    // scratch for unlock
	// single: one key, so its records need no group. Several keys on one
	// shard still form a group: a replica applies it atomically, and its
	// records reach the log in one frame.
	single bool
	ev     eventBuf // the keyspace events of the operation, in order (notify.go)
	redir  bool     // the locked shards collect their events in ev
}

var multiPool = sync.Pool{New: func() any { return new(multi) }}

func (k Keyspace) lockMany(keys [][]byte, step int, write bool) *multi {
	m := multiPool.Get().(*multi)
	m.k = k
	if k.tx != nil {
		return m
	}
	m.shards = k.c.sortedShards(m.shards[:0], keys, step)
	m.single = len(keys) <= step
	for _, i := range m.shards {
		s := k.c.shards[i]
		if write {
			s.Queue().WaitRoom()
		}
	}
	for _, i := range m.shards {
		k.c.shards[i].Lock()
	}
	m.redir = k.c.redirectEvents(m.shards, &m.ev)
	return m
}

// rec is the recorder for records about key.
func (m *multi) rec(key []byte) persistence.Recorder {
	if m.k.tx != nil {
		return m.k.tx
	}
	if m.single {
		return m.k.c.shards[m.shards[0]].Queue()
	}
	if m.tx == nil {
		m.tx = &m.state
		m.tx.c = m.k.c
		if len(m.tx.touched) != len(m.k.c.shards) {
			m.tx.touched = make([]bool, len(m.k.c.shards))
		}
	}
	return m.tx
}

func (m *multi) unlock() {
	if m.k.tx == nil {
		if m.tx != nil && m.tx.any {
			m.idx = m.idx[:0]
			for _, i := range m.shards {
				if m.tx.touched[i] {
					m.idx = append(m.idx, i)
				}
			}
			m.k.c.wal.Load().Commit(m.tx.txn, m.idx)
		}
		if m.redir {
			m.k.c.unlockRedirected(m.shards, &m.ev, m.k.origin)
			m.redir = false
		} else {
			for _, i := range m.shards {
				m.k.c.unlockShard(m.k.c.shards[i], m.k.origin)
			}
		}
	}
	// recycle: clear what rec set (only the locked shards are ever touched)
	if m.tx != nil {
		for _, i := range m.shards {
			m.tx.touched[i] = false
		}
		m.tx.txn, m.tx.any, m.tx.c = nil, false, nil
		m.tx = nil
	}
	m.k = Keyspace{}
	m.shards = m.shards[:0]
	if cap(m.shards) > 1024 {
		m.shards = nil // a DEL of many keys: don't keep its room
	}
	multiPool.Put(m)
}

func (k Keyspace) shardOf(key []byte) *shard.DB { return k.c.shardOf(key).DB(k.db) }
