package cache

import (
	"errors"

	"fastcache/object"
	"fastcache/persistence"
	"fastcache/pubsub"
	"fastcache/shard"
)

// Lists: single-key commands run on View/Change (server/lists.go); the
// commands that change two lists at once (LMOVE, RPOPLPUSH, their blocking
// forms) lock both keys' shards here and log one record per key, as one
// transaction group, so replay applies both or neither.

// ErrWrongTypeDst is ErrWrongTypeOps from ListMove's destination (its text
// is the same): a blocked BLMOVE gets it while a wrong-typed source only
// keeps it waiting.
var ErrWrongTypeDst = errors.New(ErrWrongTypeOps.Error())

// ListMove pops an element from one end of src and pushes it at one end of
// dst (LMOVE), creating dst if needed; fn gets the element (valid during
// the call) with the shards locked, to write the reply. It returns false
// when src is missing (fn is not called), ErrWrongTypeOps when src, or -
// src being a list - dst holds another type.
func (k Keyspace) ListMove(src, dst []byte, fromRight, toRight bool, fn func(v []byte)) (bool, error) {
	m := k.lockMany([][]byte{src, dst}, 1, true)
	defer m.unlock()
	now := k.now()
	ss, ds := k.shardOf(src), k.shardOf(dst)
	rec := m.rec(src) // src and dst: one group, replayed all or nothing
	se, ok := ss.Get(src, now, rec, true)
	if !ok {
		return false, nil
	}
	if se.Kind != shard.KindList {
		return false, ErrWrongTypeOps
	}
	de, dok := ds.Get(dst, now, rec, true)
	if dok && de.Kind != shard.KindList {
		return false, ErrWrongTypeDst
	}
	sl := ss.Obj(se).(*object.List)
	var how int64
	if fromRight {
		how |= object.MoveFromRight
	}
	if toRight {
		how |= object.MoveToRight
	}
	if string(src) == string(dst) {
		var num [20]byte
		var v []byte
		if fromRight {
			v, _ = sl.Index(-1, &num)
		} else {
			v, _ = sl.Index(0, &num)
		}
		fn(v)
		sl.Rotate(how)
		ss.Log(object.OpLMove, src, nil, how, rec)
		ss.Changed(src, se, rec)
		k.notify(pubsub.List, pushEvent(toRight), dst)
		k.notify(pubsub.List, popEvent(fromRight), src)
		return true, nil
	}
	var num [20]byte
	var v []byte
	if fromRight {
		v, _ = sl.PopTail(&num)
	} else {
		v, _ = sl.PopHead(&num)
	}
	v = append([]byte(nil), v...) // the push may reuse the popped bytes' node
	fn(v)
	popOp := object.OpLPop
	if fromRight {
		popOp = object.OpRPop
	}
	ss.Log(popOp, src, nil, 1, rec)
	if !dok {
		ds.PutObj(dst, object.NewList(), 0)
		k.notify(pubsub.New, "new", dst)
	}
	de, _ = ds.Get(dst, now, rec, false)
	dl := ds.Obj(de).(*object.List)
	pushOp := object.OpLPush
	if toRight {
		dl.PushTail(v)
		pushOp = object.OpRPush
	} else {
		dl.PushHead(v)
	}
	ds.Log(pushOp, dst, persistence.AppendItem(nil, v), 0, rec)
	ds.Changed(dst, de, rec)
	k.notify(pubsub.List, pushEvent(toRight), dst)
	se, _ = ss.Get(src, now, rec, false)
	ss.Changed(src, se, rec)
	k.notify(pubsub.List, popEvent(fromRight), src)
	if sl.Len() == 0 {
		k.notify(pubsub.Generic, "del", src)
	}
	return true, nil
}

func pushEvent(right bool) string {
	if right {
		return "rpush"
	}
	return "lpush"
}

func popEvent(right bool) string {
	if right {
		return "rpop"
	}
	return "lpop"
}

// ListPush pushes vals at the head (or tail) of the list at key, creating
// it unless onlyExisting, and logs body (vals as record items, built by
// the caller). It returns the list's new length (0: missing and
// onlyExisting). LPUSH, RPUSH and their X forms, without a closure per call.
func (k Keyspace) ListPush(key []byte, vals [][]byte, head, onlyExisting bool, body []byte) (int, error) {
	s, rec := k.write(key)
	defer k.done(s)
	now := k.now()
	e, ok := s.Get(key, now, rec, true)
	if ok && e.Kind != shard.KindList {
		return 0, ErrWrongTypeOps
	}
	if !ok {
		if onlyExisting {
			return 0, nil
		}
		s.PutObj(key, object.NewList(), 0)
		e, _ = s.Get(key, now, rec, false)
		k.notify(pubsub.New, "new", key)
	}
	l := s.Obj(e).(*object.List)
	op, event := object.OpRPush, "rpush"
	if head {
		op, event = object.OpLPush, "lpush"
		l.PushHeadMany(vals)
	} else {
		l.PushTailMany(vals)
	}
	s.Log(op, key, body, 0, rec)
	s.Changed(key, e, rec)
	k.notify(pubsub.List, event, key)
	return l.Len(), nil
}

// ListPop pops up to count elements from the head (or tail) of the list at
// key: with the shard locked, head(n) is called with the number popped,
// then each with every element as stored (a string, valid during the call,
// or an integer). found is false when the key is missing.
func (k Keyspace) ListPop(key []byte, left bool, count int64, head func(n int), each func(s []byte, iv int64, isInt bool)) (found bool, err error) {
	s, rec := k.write(key)
	defer k.done(s)
	now := k.now()
	e, ok := s.Get(key, now, rec, true)
	if !ok {
		return false, nil
	}
	if e.Kind != shard.KindList {
		return false, ErrWrongTypeOps
	}
	l := s.Obj(e).(*object.List)
	if l.Len() == 0 {
		return false, nil
	}
	n := int(min(count, int64(l.Len())))
	head(n)
	op, event := object.OpRPop, "rpop"
	if left {
		op, event = object.OpLPop, "lpop"
	}
	for i := 0; i < n; i++ {
		var str []byte
		var iv int64
		var isInt bool
		if left {
			str, iv, isInt, _ = l.PopHeadEntry()
		} else {
			str, iv, isInt, _ = l.PopTailEntry()
		}
		each(str, iv, isInt)
	}
	s.Log(op, key, nil, int64(n), rec)
	empty := l.Len() == 0
	s.Changed(key, e, rec)
	k.notify(pubsub.List, event, key)
	if empty {
		k.notify(pubsub.Generic, "del", key)
	}
	return true, nil
}
