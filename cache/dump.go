package cache

import (
	"errors"

	"fastcache/internal/rdb"
	"fastcache/object"
	"fastcache/pubsub"
	"fastcache/shard"
)

// DUMP and RESTORE: a key's value as Redis 7.0's serialization (package
// rdb), written in the encoding OBJECT ENCODING reports, so that a small
// hash, sorted set, list, intset or string dumps byte for byte as
// redis-server dumps it. Streams are in dump_stream.go.

// ErrBusyKey is RESTORE's reply when the key exists (no REPLACE).
var ErrBusyKey = errors.New("BUSYKEY Target key name already exists.")

// Dump returns key's value serialized as Redis's DUMP does, and its
// absolute expiry (0: none); false if key is missing.
func (k Keyspace) Dump(key []byte) (payload []byte, expireAt int64, ok bool, err error) {
	s, rec := k.read(key)
	defer k.done(s)
	now := k.now()
	e, ok := s.Get(key, now, rec, true)
	if !ok {
		k.miss(key)
		return nil, 0, false, nil
	}
	var w rdb.Writer
	if e.Kind == shard.KindString {
		w.Type(rdb.TypeString)
		w.String(e.Value)
		return w.Finish(), e.ExpireAt, true, nil
	}
	o := s.Obj(e)
	if x, ok := o.(fieldExpirer); ok && x.Volatile() > 0 {
		if o = k.expireFields(s, key, e, o, x, now, rec); o == nil {
			k.miss(key)
			return nil, 0, false, nil
		}
	}
	if err := appendRDBValue(&w, o, now); err != nil {
		return nil, 0, true, err
	}
	return w.Finish(), e.ExpireAt, true, nil
}

// appendRDBValue writes collection o's type and value as Redis 7.0
// serializes them (DUMP, an RDB file), in the encoding OBJECT ENCODING
// reports; fields of a hash past their TTL at now are left out.
func appendRDBValue(w *rdb.Writer, o shard.Object, now int64) error {
	switch o := o.(type) {
	case *object.Hash:
		if o.Encoding() == "listpack" {
			var lp rdb.Listpack
			o.Range(now, func(f, v []byte) bool {
				lp.Append(f)
				lp.Append(v)
				return true
			})
			w.Type(rdb.TypeHashListpack)
			w.String(lp.Bytes())
			break
		}
		n := o.Len()
		if o.Volatile() > 0 { // fields past their TTL are left out
			n = 0
			o.Range(now, func(_, _ []byte) bool { n++; return true })
		}
		w.Type(rdb.TypeHash)
		w.Len(uint64(n))
		o.Range(now, func(f, v []byte) bool {
			w.String(f)
			w.String(v)
			return true
		})
	case *object.List:
		w.Type(rdb.TypeListQuicklist2)
		lens := o.NodeLens()
		w.Len(uint64(len(lens)))
		var lp rdb.Listpack
		node, n := 0, 0
		o.Range(0, o.Len()-1, func(v []byte) bool {
			lp.Append(v)
			if n++; n == lens[node] {
				w.Len(2) // a packed node
				w.String(lp.Bytes())
				lp, node, n = rdb.Listpack{}, node+1, 0
			}
			return true
		})
	case *object.Set:
		if width, n, vals, ok := o.Intset(); ok {
			w.Type(rdb.TypeSetIntset)
			w.String(rdb.Intset(width, n, vals))
			break
		}
		w.Type(rdb.TypeSet)
		w.Len(uint64(o.Len()))
		o.Range(func(m []byte) bool {
			w.String(m)
			return true
		})
	case *object.ZSet:
		if o.Encoding() == "listpack" {
			var lp rdb.Listpack
			o.Walk(0, false, func(m []byte, sc float64) bool {
				lp.Append(m)
				lp.Append(rdb.FormatScore(sc))
				return true
			})
			w.Type(rdb.TypeZSetListpack)
			w.String(lp.Bytes())
			break
		}
		// zset2: from the greatest score down, as Redis walks its skiplist
		w.Type(rdb.TypeZSet2)
		w.Len(uint64(o.Len()))
		o.Walk(o.Len()-1, true, func(m []byte, sc float64) bool {
			w.String(m)
			w.BinaryDouble(sc)
			return true
		})
	case *object.Stream:
		dumpStream(w, o)
	default:
		return errors.New("ERR DUMP of this type is not supported")
	}
	return nil
}

// RestoreOptions are RESTORE's: REPLACE, and the access data of IDLETIME
// and FREQ (negative: not given).
type RestoreOptions struct {
	Replace bool
	Idle    int64
	Freq    int
}

// Restore stores v under key with absolute expiry expireAt (0: none), as
// RESTORE: ErrBusyKey if key exists and not opts.Replace. An expiry
// already past only deletes what key held (with Replace).
func (k Keyspace) Restore(key []byte, v *rdb.Value, expireAt int64, opts RestoreOptions) error {
	var obj shard.Object
	switch v.Kind {
	case rdb.KindHash:
		h := object.NewHash()
		for i := 0; i+1 < len(v.Items); i += 2 {
			h.Set(v.Items[i], v.Items[i+1])
		}
		obj = h
	case rdb.KindList:
		l := object.NewList()
		obj = l
		if len(v.Nodes) == 0 {
			l.PushTailMany(v.Items)
			break
		}
		p := 0
		for _, n := range v.Nodes {
			l.AppendNode(v.Items[p : p+n])
			p += n
		}
	case rdb.KindSet:
		s := object.NewSet(v.Items[0])
		for _, m := range v.Items {
			s.Add(m)
		}
		obj = s
	case rdb.KindZSet:
		maxLen := 0
		for _, m := range v.Items {
			maxLen = max(maxLen, len(m))
		}
		z := object.NewZSetSized(len(v.Items), maxLen)
		for i, m := range v.Items {
			z.Set(m, v.Scores[i])
		}
		obj = z
	case rdb.KindStream:
		st, err := restoreStream(v.Stream)
		if err != nil {
			return err
		}
		obj = st
	}
	s, rec := k.write(key)
	defer k.done(s)
	now := k.now()
	_, exists := s.Get(key, now, rec, false)
	if exists && !opts.Replace {
		return ErrBusyKey
	}
	if expireAt != 0 && expireAt <= now {
		if exists {
			s.Delete(key, rec)
			k.notify(pubsub.Generic, "del", key)
		}
		return nil
	}
	if !exists {
		k.notify(pubsub.New, "new", key)
	}
	if obj == nil {
		s.Set(key, v.Str, expireAt, rec)
	} else {
		s.PutObject(key, obj, expireAt, now, rec)
	}
	s.SetAccess(key, opts.Idle, opts.Freq)
	k.notify(pubsub.Generic, "restore", key)
	return nil
}

// KeyExists reports whether key exists, as RESTORE's write lookup sees it
// (an expired key is deleted, no keymiss event).
func (k Keyspace) KeyExists(key []byte) bool {
	s, rec := k.write(key)
	defer k.done(s)
	_, ok := s.Get(key, k.now(), rec, false)
	return ok
}
