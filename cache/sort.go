package cache

import (
	"fastcache/object"
	"fastcache/persistence"
	"fastcache/pubsub"
	"fastcache/shard"
)

// What SORT needs from the keyspace beyond View/Change: the collection
// under a key whatever its kind, the values its BY and GET patterns name,
// and its STORE.

// ViewAny calls fn with what key holds: ok is false when it is missing;
// a string gives o == nil with kind KindString. fn must not keep o.
func (k Keyspace) ViewAny(key []byte, fn func(o shard.Object, kind shard.Kind, ok bool)) {
	s, rec := k.read(key)
	defer k.done(s)
	e, ok := s.Get(key, k.now(), rec, true)
	switch {
	case !ok:
		fn(nil, 0, false)
	case e.Kind == shard.KindString:
		fn(nil, shard.KindString, true)
	default:
		fn(s.Obj(e), e.Kind, true)
	}
}

// PatternValue reads the value a SORT pattern names (appended to dst): the
// string at key, or with hasField the field of the hash at key. false when
// the key is missing or of another type, or the field is missing.
func (k Keyspace) PatternValue(key, field []byte, hasField bool, dst []byte) ([]byte, bool) {
	s, rec := k.read(key)
	defer k.done(s)
	now := k.now()
	e, ok := s.Get(key, now, rec, false)
	if !ok {
		return dst, false
	}
	if !hasField {
		if e.Kind != shard.KindString {
			return dst, false
		}
		return append(dst, e.Value...), true
	}
	if e.Kind != shard.KindHash {
		return dst, false
	}
	v, ok := s.Obj(e).(*object.Hash).Get(field, now)
	if !ok {
		return dst, false
	}
	return append(dst, v...), true
}

// StoreList replaces whatever dst holds with a list of vals (SORT ...
// STORE); an empty vals only deletes dst. The key has no expiry after.
func (k Keyspace) StoreList(dst []byte, vals [][]byte) {
	s, rec := k.write(dst)
	defer k.done(s)
	now := k.now()
	_, existed := s.Get(dst, now, rec, false)
	if existed {
		s.Delete(dst, rec)
	}
	if len(vals) == 0 {
		if existed {
			k.notify(pubsub.Generic, "del", dst)
		}
		return
	}
	if !existed {
		k.notify(pubsub.New, "new", dst)
	}
	defer k.notify(pubsub.List, "sortstore", dst)
	l := object.NewList()
	for _, v := range vals {
		l.PushTail(v)
	}
	s.PutObj(dst, l, 0)
	l.Records(now, func(op persistence.Op, body []byte, num int64) error {
		s.Log(op, dst, body, num, rec)
		return nil
	})
	e, _ := s.Get(dst, now, rec, false)
	s.Changed(dst, e, rec)
}
