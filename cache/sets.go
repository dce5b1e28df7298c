package cache

import (
	"fastcache/persistence"
	"fastcache/pubsub"
	"fastcache/shard"
)

// Multi-key collection commands (SINTER, SMOVE, SINTERSTORE, ZUNIONSTORE,
// ZRANGESTORE, GEOSEARCHSTORE, ...) read and write several keys at once:
// Group locks every shard involved (in ascending order, as MSET does), so
// the command sees and leaves one consistent state, and the records of a
// command that touches several shards go to one transaction group, replayed
// all or nothing.
//
// Keyspace events follow Keyspace.Change: a KeyGroup.Change records "new"
// for a collection it creates and "del" for one it leaves empty (after the
// command's own event, which fn records with Keyspace.Notify), and Store
// records "new" and the STORE command's event, or "del" when an empty
// result deletes the destination.

// KeyGroup is a set of keys locked together; its methods run inside
// Keyspace.Group's function.
type KeyGroup struct {
	k   Keyspace
	m   *multi
	now int64
}

// Group locks the shards of keys (for a write when write is true) and calls
// fn. Only keys listed may be used through g.
func (k Keyspace) Group(keys [][]byte, write bool, fn func(g *KeyGroup)) {
	m := k.lockMany(keys, 1, write)
	defer m.unlock()
	fn(&KeyGroup{k: k, m: m, now: k.now()})
}

// Now is the time the group's command judges expiry by.
func (g *KeyGroup) Now() int64 { return g.now }

// live is key's collection of kind (nil, nil if missing), after removing
// expired elements.
func (g *KeyGroup) live(key []byte, kind shard.Kind, touch bool) (*shard.DB, shard.Entry, shard.Object, error) {
	s, rec := g.k.shardOf(key), g.m.rec(key)
	e, ok := s.Get(key, g.now, rec, touch)
	if !ok {
		return s, e, nil, nil
	}
	if e.Kind != kind {
		return s, e, nil, ErrWrongTypeOps
	}
	o := s.Obj(e)
	if exp, isExp := o.(fieldExpirer); isExp && exp.Volatile() > 0 {
		o = g.k.expireFields(s, key, e, o, exp, g.now, rec)
	}
	return s, e, o, nil
}

// Get is the collection of kind under key (nil if missing), or
// ErrWrongTypeOps. The object must not be kept past fn.
func (g *KeyGroup) Get(key []byte, kind shard.Kind) (shard.Object, error) {
	_, _, o, err := g.live(key, kind, true)
	if o == nil && err == nil {
		g.k.miss(key)
	}
	return o, err
}

// Exists reports whether key holds a live value of any kind.
func (g *KeyGroup) Exists(key []byte) bool {
	_, ok := g.k.shardOf(key).Get(key, g.now, g.m.rec(key), false)
	return ok
}

// Change is Keyspace.Change for a key of the group.
func (g *KeyGroup) Change(key []byte, kind shard.Kind, mk func() shard.Object, fn func(o shard.Object, emit Emit)) error {
	s, e, o, err := g.live(key, kind, true)
	if err != nil {
		return err
	}
	rec := g.m.rec(key)
	created := false
	if o == nil {
		if mk == nil {
			fn(nil, nil)
			return nil
		}
		s.PutObj(key, mk(), 0)
		e, _ = s.Get(key, g.now, rec, false)
		o, created = s.Obj(e), true
		g.k.notify(pubsub.New, "new", key)
	}
	logged := false
	fn(o, func(op persistence.Op, body []byte, num int64) {
		s.Log(op, key, body, num, rec)
		logged = true
	})
	if created && !logged && o.Len() == 0 {
		s.Delete(key, discardRec{})
		g.k.retractNew(key)
		return nil
	}
	empty := o.Len() == 0
	s.Changed(key, e, rec)
	if empty {
		g.k.notify(pubsub.Generic, "del", key) // after the command's own event, as Redis
	}
	return nil
}

// Store makes o the value of key, replacing whatever key held (and its
// TTL), as the STORE forms do; an empty o deletes key. It is logged as the
// deletion of key followed by the records that rebuild o. o must be fresh
// (not held by any key). event (of class) is the command's keyspace event
// ("sinterstore", "zunionstore", ...), recorded after "new" when key is
// created; an empty o records "del" if key existed, nothing otherwise.
func (g *KeyGroup) Store(key []byte, o shard.Object, class pubsub.Class, event string) {
	s, rec := g.k.shardOf(key), g.m.rec(key)
	if o.Len() == 0 {
		if _, ok := s.Get(key, g.now, rec, false); ok {
			s.Delete(key, rec)
			g.k.notify(pubsub.Generic, "del", key)
		}
		return
	}
	g.k.notifyNew(s, key, rec)
	s.PutObj(key, o, 0)
	s.Log(persistence.OpDel, key, nil, 0, rec)
	o.Records(g.now, func(op persistence.Op, body []byte, num int64) error {
		s.Log(op, key, body, num, rec)
		return nil
	})
	g.k.notify(class, event, key)
}
