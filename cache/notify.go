package cache

import (
	"sync"

	"fastcache/persistence"
	"fastcache/pubsub"
	"fastcache/shard"
)

// Keyspace events: what a command did to a key, as Redis's keyspace
// notifications name it ("set", "del", "expired", "rename_from", ...), for
// the server to publish (notify-keyspace-events) and to invalidate the keys
// clients track (CLIENT TRACKING).
//
// A command records its events with one line, while it holds the key's
// shard lock (inside a Keyspace method, where the change is made):
//
//	k.notify(pubsub.String, "set", key)           // in k's database
//	k.Notify(pubsub.Generic, "copy_to", db, key)  // in database db
//
// Events are collected under the lock, in the order they happen, and handed
// to the Notifier once the lock is released (done, multi.unlock, Atomic, and
// the expiry and eviction loops), so publishing never runs under a shard
// lock. A multi-shard command (lockMany) or a transaction (Atomic) collects
// all its events in one buffer, so their order is kept across shards. The
// hand-over keeps the order between lock holders too: a holder with events
// takes its shard's emit turn (pendingEvents.turn) before it unlocks and
// gives it back once they are delivered, so the next holder's events (a
// DEL on another event loop, an expiry on the background goroutine) wait
// for them: a subscriber sees one key's events in the order of the writes. Lazy
// and active expiry report "expired" through the shards' OnExpire hook;
// eviction reports "evicted" itself. Recording costs one atomic load when
// nobody wants the class.

// Event is one keyspace event.
type Event struct {
	Class pubsub.Class
	Name  string // "set", "del", "expired", ...
	DB    int
	Key   []byte
}

// Notifier receives keyspace events, on the goroutine that caused them,
// after the shard locks are released: the events of one operation (a
// command's cache call, a transaction, an expiry or eviction round) in
// order. origin is the Keyspace's origin (WithOrigin: the client whose
// command caused them; nil for background expiry and eviction). evs and
// their keys are only valid during the call.
type Notifier interface {
	KeyEvents(origin any, evs []Event)
}

// SetNotifier installs n, which wants the events of the classes in want
// (see SetNotifyClasses). Call it before serving.
func (c *Cache) SetNotifier(n Notifier, want pubsub.Class) {
	c.notifier = n
	for i, s := range c.shards {
		i := i
		s.OnExpire = func(db int, key []byte) { c.notifyShard(i, pubsub.Expired, "expired", db, key) }
	}
	c.SetNotifyClasses(want)
}

// SetNotifyClasses changes the classes the notifier is sent.
func (c *Cache) SetNotifyClasses(want pubsub.Class) { c.notifyWant.Store(uint32(want)) }

// wants reports whether events of class are recorded.
func (c *Cache) wants(class pubsub.Class) bool { return c.notifyWant.Load()&uint32(class) != 0 }

// Notify records event of class on key of database db. Call it with key's
// shard locked, inside the Keyspace method that made the change.
func (k Keyspace) Notify(class pubsub.Class, event string, db int, key []byte) {
	if k.c.notifyWant.Load()&uint32(class) == 0 {
		return
	}
	k.c.notifyShard(k.c.ShardIndex(key), class, event, db, key)
}

// notify is Notify in k's database.
func (k Keyspace) notify(class pubsub.Class, event string, key []byte) {
	if k.c.notifyWant.Load()&uint32(class) == 0 {
		return
	}
	k.c.notifyShard(k.c.ShardIndex(key), class, event, k.db, key)
}

func (c *Cache) notifyShard(i int, class pubsub.Class, event string, db int, key []byte) {
	if c.notifyWant.Load()&uint32(class) == 0 || c.pend == nil {
		return
	}
	p := &c.pend[i]
	b := p.redirect
	if b == nil {
		if p.own == nil {
			p.own = eventPool.Get().(*eventBuf)
		}
		b = p.own
	}
	b.evs = append(b.evs, event1{class: class, name: event, db: db, off: len(b.keys), n: len(key)})
	b.keys = append(b.keys, key...)
}

type event1 struct {
	class  pubsub.Class
	name   string
	db     int
	off, n int // the key in eventBuf.keys
}

// eventBuf holds the events of one operation (or of one shard between two
// unlocks).
type eventBuf struct {
	evs    []event1
	keys   []byte
	out    []Event // deliver's scratch
	origin any
}

var eventPool = sync.Pool{New: func() any { return new(eventBuf) }}

// pendingEvents is one shard's collection point, guarded by its lock;
// padded so that shards' lock holders do not share a cache line.
type pendingEvents struct {
	own      *eventBuf // events of the current lock holder
	redirect *eventBuf // while a multi-shard operation holds the lock: its buffer
	// turn is held from before the shard's unlock until its events are
	// delivered; it is only taken with the shard locked, so delivery
	// (which takes no shard lock) can never wait for it.
	turn sync.Mutex
	_    [40]byte
}

// takeEvents removes the events pending on shard i (its lock held); nil
// when there are none.
func (c *Cache) takeEvents(i int) *eventBuf {
	if c.pend == nil {
		return nil
	}
	p := &c.pend[i]
	if p.own == nil || len(p.own.evs) == 0 {
		return nil
	}
	b := p.own
	p.own = nil
	return b
}

// emit hands b's events to the notifier (no lock held) and recycles b.
func (c *Cache) emit(b *eventBuf) {
	if b == nil {
		return
	}
	c.deliver(b)
	if cap(b.keys) <= 64<<10 && cap(b.evs) <= 1024 {
		eventPool.Put(b)
	}
}

// deliver hands b's events to the notifier and empties b.
func (c *Cache) deliver(b *eventBuf) {
	if n := c.notifier; n != nil && len(b.evs) > 0 {
		out := b.out[:0]
		for _, e := range b.evs {
			out = append(out, Event{Class: e.class, Name: e.name, DB: e.db, Key: b.keys[e.off : e.off+e.n : e.off+e.n]})
		}
		n.KeyEvents(b.origin, out)
		clear(out)
		b.out = out[:0]
	}
	b.evs, b.keys, b.origin = b.evs[:0], b.keys[:0], nil
	if cap(b.keys) > 64<<10 {
		b.keys = nil
	}
}

// WithOrigin is k with its keyspace events attributed to origin (the
// server passes the client, for CLIENT TRACKING's NOLOOP and the order of a
// client's own invalidations). Inside a transaction it names the
// transaction's origin.
func (k Keyspace) WithOrigin(o any) Keyspace {
	k.origin = o
	if k.tx != nil {
		k.tx.ev.origin = o
	}
	return k
}

// allShards is 0..n-1 (Atomic's redirect).
func (c *Cache) allShards() []int { return c.all }

// unlockShard releases shard s and emits the events its holder recorded;
// origin is who caused them (Keyspace.WithOrigin).
func (c *Cache) unlockShard(s *shard.Shard, origin any) {
	b := c.takeEvents(s.Index)
	if b == nil {
		s.Unlock()
		return
	}
	turn := &c.pend[s.Index].turn
	turn.Lock() // after the events of the previous holder are out
	s.Unlock()
	b.origin = origin
	c.emit(b)
	turn.Unlock()
}

// unlockRedirected releases the shards idx of an operation whose events went
// to b (redirectEvents) and delivers them, in their order among the events
// of the shards' other holders (see unlockShard). The shards are in
// ascending order, as they were locked; b may be empty.
func (c *Cache) unlockRedirected(idx []int, b *eventBuf, origin any) {
	c.endRedirect(idx)
	for _, i := range idx {
		c.pend[i].turn.Lock()
	}
	for _, i := range idx {
		s := c.shards[i]
		if own := c.takeEvents(i); own != nil { // recorded before the redirect
			own.origin = origin
			c.emit(own)
		}
		s.Unlock()
	}
	b.origin = origin
	c.deliver(b)
	for _, i := range idx {
		c.pend[i].turn.Unlock()
	}
}

// redirectEvents makes the shards idx (locked) collect their events in b;
// it reports whether anything was redirected (notifications wanted).
func (c *Cache) redirectEvents(idx []int, b *eventBuf) bool {
	if c.notifyWant.Load() == 0 || c.pend == nil {
		return false
	}
	for _, i := range idx {
		c.pend[i].redirect = b
	}
	return true
}

func (c *Cache) endRedirect(idx []int) {
	for _, i := range idx {
		c.pend[i].redirect = nil
	}
}

// notifyNew records "new" for a key a write is about to create in d, for
// writes that do not look the key up otherwise (MSET): the lookup, done
// only when "new" or "expired" events are wanted, also expires the old
// key first, as Redis's lookup before the write does.
func (k Keyspace) notifyNew(d *shard.DB, key []byte, rec persistence.Recorder) {
	if !k.c.wants(pubsub.New | pubsub.Expired) {
		return
	}
	if _, ok := d.Get(key, k.now(), rec, false); !ok {
		k.notify(pubsub.New, "new", key)
	}
}

// notifyExpire records what setting key's expiry to at did: "expire", or
// "del" when at had passed (the key was deleted).
func (k Keyspace) notifyExpire(key []byte, at, now int64) {
	if at != 0 && at <= now {
		k.notify(pubsub.Generic, "del", key)
		return
	}
	k.notify(pubsub.Generic, "expire", key)
}

// retractNew takes back the "new" event just recorded for key, when the
// key was created and dropped again without a change (a collection that a
// failing command left empty).
func (k Keyspace) retractNew(key []byte) {
	if !k.c.wants(pubsub.New) {
		return
	}
	p := &k.c.pend[k.c.ShardIndex(key)]
	b := p.redirect
	if b == nil {
		b = p.own
	}
	if b == nil || len(b.evs) == 0 {
		return
	}
	e := b.evs[len(b.evs)-1]
	if e.name == "new" && e.db == k.db && string(b.keys[e.off:e.off+e.n]) == string(key) {
		b.evs = b.evs[:len(b.evs)-1]
		b.keys = b.keys[:e.off]
	}
}
