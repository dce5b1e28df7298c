package cache

import (
	"sync"

	"fastcache/object"
	"fastcache/persistence"
	"fastcache/pubsub"
	"fastcache/shard"
)

// Collections (hashes, sets, sorted sets, lists, streams) are read and
// changed through two helpers that every type's commands share: View runs
// a function over the live collection under key with the shard locked (a
// reply is written straight from it, as Redis builds a reply while it holds
// the data), and Change does the same for a write, creating the collection
// when asked, logging the records the function emits, deleting the key when
// the collection is left empty, and accounting its memory.

// View calls fn with the collection of kind under key (nil if the key is
// missing), or returns ErrWrongTypeOps. fn must not keep the object.
func (k Keyspace) View(key []byte, kind shard.Kind, fn func(o shard.Object, now int64)) error {
	s, rec := k.read(key)
	defer k.done(s)
	now := k.now()
	e, ok := s.Get(key, now, rec, true)
	if !ok {
		k.miss(key)
		fn(nil, now)
		return nil
	}
	if e.Kind != kind {
		return ErrWrongTypeOps
	}
	o := s.Obj(e)
	if exp, ok := o.(fieldExpirer); ok && exp.Volatile() > 0 {
		if o = k.expireFields(s, key, e, o, exp, now, rec); o == nil {
			k.miss(key)
			fn(nil, now)
			return nil
		}
	}
	fn(o, now)
	return nil
}

// miss records keymiss for key when k does read lookups (ReadLookup).
func (k Keyspace) miss(key []byte) {
	if k.readLookup {
		k.notify(pubsub.KeyMiss, "keymiss", key)
	}
}

// fieldExpirer is a collection whose elements can expire (a hash with
// field TTLs): expired elements are removed, and the removal logged, before
// any command sees the collection. Hashes are the only one: a concrete type,
// so that the test every collection command makes (o.(fieldExpirer)) is a
// comparison, not an interface assertion (22 ns a HSET in its profile).
type fieldExpirer = *object.Hash

func (k Keyspace) expireFields(s *shard.DB, key []byte, e shard.Entry, o shard.Object, x fieldExpirer, now int64, rec persistence.Recorder) shard.Object {
	dead := x.Expired(now)
	if len(dead) == 0 {
		return o
	}
	var body []byte
	for _, f := range dead {
		x.Del(f)
		body = persistence.AppendItem(body, f)
	}
	s.Log(persistence.OpHDel, key, body, 0, rec)
	k.notify(pubsub.Hash, "hexpired", key)
	s.Changed(key, e, rec)
	if o.Len() == 0 {
		return nil
	}
	return o
}

// Emit logs one record of a collection's change (see Change).
type Emit func(op persistence.Op, body []byte, num int64)

// expireElements is the active expiry of collection elements (hash
// fields with a TTL) in database d of shard s, run with its lock held: it
// visits up to n collections known to have expiring elements, removes the
// expired ones and logs their removal. It returns how many were removed.
func (c *Cache) expireElements(s *shard.Shard, d *shard.DB, now int64, n int) int {
	removed := 0
	k := c.Keyspace().WithDB(d.N)
	for _, key := range d.ElemTTLKeys(n) {
		e, ok := d.Peek(key, now)
		if !ok || e.Kind == shard.KindString {
			d.DropElemTTLKey(key)
			continue
		}
		o := d.Obj(e)
		x, ok := o.(fieldExpirer)
		if !ok || x.Volatile() == 0 {
			d.DropElemTTLKey(key)
			continue
		}
		before := o.Len()
		if k.expireFields(d, key, e, o, x, now, s.Queue()) == nil {
			removed += before
			d.DropElemTTLKey(key)
			continue
		}
		removed += before - o.Len()
		if x.Volatile() == 0 {
			d.DropElemTTLKey(key)
		}
	}
	return removed
}

// Change calls fn with the collection of kind under key for a write. A
// missing key gets mk() when mk is not nil (and is dropped again, unlogged,
// if fn leaves it empty), else fn gets nil. fn logs what it changed with
// emit, in effect form; a collection it leaves empty is deleted (logged).
func (k Keyspace) Change(key []byte, kind shard.Kind, mk func() shard.Object, fn func(o shard.Object, now int64, emit Emit)) error {
	s, rec := k.write(key)
	defer k.done(s)
	now := k.now()
	e, slot, ok := s.Find(key, now, rec, true)
	created := false
	if ok && e.Kind != kind {
		return ErrWrongTypeOps
	}
	var o shard.Object
	if ok {
		o = s.Obj(e)
		if exp, isExp := o.(fieldExpirer); isExp && exp.Volatile() > 0 {
			o = k.expireFields(s, key, e, o, exp, now, rec)
			if o == nil {
				ok = false
			}
		}
	}
	if !ok {
		if mk == nil {
			fn(nil, now, nil)
			return nil
		}
		e = s.PutObjAt(slot, key, mk(), 0)
		o, created = s.Obj(e), true
		k.notify(pubsub.New, "new", key)
	}
	em := emitterPool.Get().(*emitter)
	em.s, em.key, em.rec, em.logged, em.unwatched = s, key, rec, false, k.unwatched
	fn(o, now, em.fn)
	logged := em.logged
	*em = emitter{fn: em.fn}
	emitterPool.Put(em)
	if created && !logged && o.Len() == 0 {
		s.Delete(key, discardRec{})
		k.retractNew(key)
		return nil
	}
	empty := o.Len() == 0
	s.Changed(key, e, rec)
	if empty {
		k.notify(pubsub.Generic, "del", key) // after the command's own event, as Redis
	}
	return nil
}

// emitter is the Emit of one Change, recycled (emitterPool) so that a
// collection write allocates no closure.
type emitter struct {
	s      *shard.DB
	key    []byte
	rec    persistence.Recorder
	logged bool
	// unwatched: records do not mark WATCHers (Keyspace.Unwatched)
	unwatched bool
	fn        Emit // e.emit, bound once
}

func (e *emitter) emit(op persistence.Op, body []byte, num int64) {
	switch {
	case op == TouchWatch:
		e.s.TouchWatch(e.key)
		return
	case e.unwatched:
		e.rec.Record(op, e.s.N, e.key, body, num)
	default:
		e.s.Log(op, e.key, body, num, e.rec)
	}
	e.logged = true
}

// TouchWatch, emitted in a Change, logs nothing and marks the key modified
// for WATCH (for a Change on an Unwatched keyspace).
const TouchWatch persistence.Op = 0

var emitterPool = sync.Pool{New: func() any {
	e := &emitter{}
	e.fn = e.emit
	return e
}}

type discardRec struct{}

func (discardRec) Record(persistence.Op, int, []byte, []byte, int64) {}
