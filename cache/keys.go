package cache

import (
	"math/rand/v2"

	"fastcache/internal/glob"
	"fastcache/persistence"
	"fastcache/pubsub"
	"fastcache/shard"
)

// Del deletes keys and returns how many existed.
func (k Keyspace) Del(keys [][]byte) int {
	if len(keys) == 1 {
		s, rec := k.write(keys[0])
		defer k.done(s)
		if _, ok := s.Get(keys[0], k.now(), rec, false); ok && s.Delete(keys[0], rec) {
			k.notify(pubsub.Generic, "del", keys[0])
			return 1
		}
		return 0
	}
	m := k.lockMany(keys, 1, true)
	defer m.unlock()
	now := k.now()
	n := 0
	for _, key := range keys {
		s := k.shardOf(key)
		if _, ok := s.Get(key, now, m.rec(key), false); ok && s.Delete(key, m.rec(key)) {
			k.notify(pubsub.Generic, "del", key)
			n++
		}
	}
	return n
}

// Exists counts the keys that exist (a key named twice counts twice).
func (k Keyspace) Exists(keys [][]byte) int {
	n := 0
	now := k.now()
	for _, key := range keys {
		s, rec := k.read(key)
		if _, ok := s.Get(key, now, rec, false); ok {
			n++
		} else {
			k.notify(pubsub.KeyMiss, "keymiss", key)
		}
		k.done(s)
	}
	return n
}

// Touch updates the access time of keys and counts the existing ones.
func (k Keyspace) Touch(keys [][]byte) int {
	n := 0
	now := k.now()
	for _, key := range keys {
		s, rec := k.read(key)
		if _, ok := s.Get(key, now, rec, true); ok {
			n++
		} else {
			k.notify(pubsub.KeyMiss, "keymiss", key)
		}
		k.done(s)
	}
	return n
}

// Type is the name of key's type, or "none".
func (k Keyspace) Type(key []byte) string {
	s, rec := k.read(key)
	defer k.done(s)
	if e, ok := s.Get(key, k.now(), rec, false); ok {
		return e.Kind.String()
	}
	k.notify(pubsub.KeyMiss, "keymiss", key)
	return "none"
}

// Rename moves src to dst with its TTL. With nx, it does nothing (and returns
// false) when dst exists.
func (k Keyspace) Rename(src, dst []byte, nx bool) (bool, error) {
	m := k.lockMany([][]byte{src, dst}, 1, true)
	defer m.unlock()
	now := k.now()
	ss, ds := k.shardOf(src), k.shardOf(dst)
	e, ok := ss.Get(src, now, m.rec(src), false)
	if !ok {
		return false, ErrNoSuchKey
	}
	if string(src) == string(dst) {
		return !nx, nil
	}
	if _, exists := ds.Get(dst, now, m.rec(dst), false); exists && nx {
		return false, nil
	}
	_ = e
	k.notify(pubsub.New, "new", dst)
	ds.CopyFrom(ss, src, dst, true, now, m.rec(dst))
	ss.Delete(src, m.rec(src))
	k.notify(pubsub.Generic, "rename_from", src)
	k.notify(pubsub.Generic, "rename_to", dst)
	return true, nil
}

// Copy copies src to dst (with its TTL), dst in database dstDB (-1: k's).
// Without replace it does nothing when dst exists.
func (k Keyspace) Copy(src, dst []byte, dstDB int, replace bool) (bool, error) {
	if dstDB < 0 {
		dstDB = k.db
	}
	if string(src) == string(dst) && dstDB == k.db {
		return false, ErrSameObject
	}
	m := k.lockMany([][]byte{src, dst}, 1, true)
	defer m.unlock()
	now := k.now()
	ss, ds := k.shardOf(src), k.c.shardOf(dst).DB(dstDB)
	if _, ok := ss.Get(src, now, m.rec(src), false); !ok {
		k.notify(pubsub.KeyMiss, "keymiss", src)
		return false, nil
	}
	if _, exists := ds.Get(dst, now, m.rec(dst), false); exists && !replace {
		return false, nil
	}
	k.Notify(pubsub.New, "new", dstDB, dst)
	ds.CopyFrom(ss, src, dst, false, now, m.rec(dst))
	k.Notify(pubsub.Generic, "copy_to", dstDB, dst)
	return true, nil
}

// Move moves key to database dstDB (MOVE): false if key is missing or
// already exists there.
func (k Keyspace) Move(key []byte, dstDB int) bool {
	s, rec := k.write(key)
	defer k.done(s)
	now := k.now()
	if _, ok := s.Get(key, now, rec, false); !ok {
		return false
	}
	dst := s.Shard.DB(dstDB)
	if _, ok := dst.Get(key, now, rec, false); ok {
		return false
	}
	k.Notify(pubsub.New, "new", dstDB, key)
	if !s.MoveTo(key, dst, rec) {
		return false
	}
	k.notify(pubsub.Generic, "move_from", key)
	k.Notify(pubsub.Generic, "move_to", dstDB, key)
	return true
}

// SwapDB swaps databases a and b (SWAPDB), logged as one record.
func (k Keyspace) SwapDB(a, b int) {
	if k.tx == nil {
		k.c.Atomic(nil, func(t Keyspace) { t.SwapDB(a, b) })
		return
	}
	for _, s := range k.c.shards {
		s.SwapDB(a, b)
	}
	k.tx.Record(persistence.OpSwapDB, a, nil, nil, int64(b))
	k.c.signalDB(a)
	k.c.signalDB(b)
}

// ExpireCond is EXPIRE's NX/XX/GT/LT options, a bit set (XX may be
// combined with GT or LT). A key without a TTL counts as an infinite TTL.
type ExpireCond uint8

const (
	ExpireAlways ExpireCond = 0
	ExpireNX     ExpireCond = 1 << iota
	ExpireXX
	ExpireGT
	ExpireLT
)

// Expire sets key's absolute expiry at (unix ms) subject to cond. A time in
// the past deletes the key. It returns false if the key is missing or the
// condition was not met.
func (k Keyspace) Expire(key []byte, at int64, cond ExpireCond) bool {
	s, rec := k.write(key)
	defer k.done(s)
	now := k.now()
	e, ok := s.Get(key, now, rec, false)
	if !ok {
		return false
	}
	cur := e.ExpireAt
	if cond&ExpireNX != 0 && cur != 0 ||
		cond&ExpireXX != 0 && cur == 0 ||
		cond&ExpireGT != 0 && (cur == 0 || at <= cur) ||
		cond&ExpireLT != 0 && cur != 0 && at >= cur {
		return false
	}
	s.SetExpire(key, at, now, rec)
	k.notifyExpire(key, at, now)
	return true
}

// Persist removes key's expiry; false if missing or without one.
func (k Keyspace) Persist(key []byte) bool {
	s, rec := k.write(key)
	defer k.done(s)
	now := k.now()
	e, ok := s.Get(key, now, rec, false)
	if !ok || e.ExpireAt == 0 {
		return false
	}
	s.SetExpire(key, 0, now, rec)
	k.notify(pubsub.Generic, "persist", key)
	return true
}

// ExpireTime is key's absolute expiry in unix ms: -2 if missing, -1 if none.
func (k Keyspace) ExpireTime(key []byte) int64 {
	s, rec := k.read(key)
	defer k.done(s)
	e, ok := s.Get(key, k.now(), rec, false)
	switch {
	case !ok:
		k.notify(pubsub.KeyMiss, "keymiss", key)
		return -2
	case e.ExpireAt == 0:
		return -1
	}
	return e.ExpireAt
}

// PTTL is key's remaining time to live in ms: -2 if missing, -1 if none.
func (k Keyspace) PTTL(key []byte) int64 {
	s, rec := k.read(key)
	defer k.done(s)
	now := k.now()
	e, ok := s.Get(key, now, rec, false)
	switch {
	case !ok:
		k.notify(pubsub.KeyMiss, "keymiss", key)
		return -2
	case e.ExpireAt == 0:
		return -1
	}
	ttl := e.ExpireAt - now
	if ttl < 0 {
		ttl = 0
	}
	return ttl
}

// KeyInfo is what OBJECT and MEMORY report about a key.
type KeyInfo struct {
	Value    []byte // copy (strings)
	Meta     uint32
	Bytes    int64
	ExpireAt int64
	Enc      shard.Enc
	Kind     shard.Kind
	Encoding string // a collection's (OBJECT ENCODING)
}

// Inspect returns information about key without touching it.
func (k Keyspace) Inspect(key []byte) (KeyInfo, bool) {
	s, _ := k.read(key)
	defer k.done(s)
	e, ok := s.Peek(key, k.now())
	if !ok {
		return KeyInfo{}, false
	}
	ki := KeyInfo{Meta: e.Meta, Bytes: s.EntryBytes(key), ExpireAt: e.ExpireAt, Kind: e.Kind}
	if e.Kind == shard.KindString {
		ki.Value, ki.Enc = append([]byte(nil), e.Value...), s.Enc(key)
	} else {
		ki.Encoding = s.Obj(e).Encoding()
	}
	return ki, true
}

// Keys returns every live key matching pattern.
func (k Keyspace) Keys(pattern []byte) [][]byte {
	var out [][]byte
	all := len(pattern) == 1 && pattern[0] == '*'
	k.EachKey(func(key []byte) {
		if all || glob.Match(pattern, key, false) {
			out = append(out, append([]byte(nil), key...))
		}
	})
	return out
}

// EachKey calls fn with every live key, one shard locked at a time; key is
// valid only during the call.
func (k Keyspace) EachKey(fn func(key []byte)) {
	now := k.now()
	for _, sh := range k.c.shards {
		s := sh.DB(k.db)
		if k.tx == nil {
			s.Lock()
		}
		s.Range(now, func(key []byte, e shard.Entry) bool {
			fn(key)
			return true
		})
		if k.tx == nil {
			s.Unlock()
		}
	}
}

// Scan continues the SCAN at cursor: it returns the next cursor (0 when the
// iteration is complete) and the keys found. The low bits of the cursor name
// the shard, the high bits the position in the shard's table, so every key
// present for the whole iteration is returned at least once.
func (k Keyspace) Scan(cursor uint64, match []byte, count int, typ string) (uint64, [][]byte) {
	if count <= 0 {
		count = 10
	}
	var out [][]byte
	si := int(cursor & k.c.mask)
	tc := cursor >> k.c.shardBits
	now := k.now()
	visited := 0
	for visited < count {
		s := k.c.shards[si].DB(k.db)
		if k.tx == nil {
			s.Lock()
		}
		tc = s.Scan(tc, count-visited, now, func(key []byte, e shard.Entry) {
			visited++
			if match != nil && !glob.Match(match, key, false) {
				return
			}
			if typ != "" && typ != e.Kind.String() {
				return
			}
			out = append(out, append([]byte(nil), key...))
		})
		if k.tx == nil {
			s.Unlock()
		}
		if tc == 0 {
			si++
			if si == len(k.c.shards) {
				return 0, out
			}
		}
	}
	return tc<<k.c.shardBits | uint64(si), out
}

// RandomKey returns a random live key.
func (k Keyspace) RandomKey() ([]byte, bool) {
	n := len(k.c.shards)
	start := rand.IntN(n)
	now := k.now()
	for tries := 0; tries < 100; tries++ {
		for i := 0; i < n; i++ {
			s := k.c.shards[(start+i)%n].DB(k.db)
			if s.Keys() == 0 {
				continue
			}
			var key []byte
			expired := false
			if k.tx == nil {
				s.Lock()
			}
			s.Sample(1, false, func(kk []byte, e shard.Entry) {
				key = append([]byte(nil), kk...)
				expired = e.ExpireAt != 0 && e.ExpireAt <= now
			})
			if key != nil && expired {
				rec := persistence.Recorder(s.Queue())
				if k.tx != nil {
					rec = k.tx
				}
				s.Get(key, now, rec, false) // removes it
			}
			if k.tx == nil {
				k.c.unlockShard(s.Shard, k.origin)
			}
			if key != nil && !expired {
				return key, true
			}
			if key != nil {
				break
			}
		}
		start = rand.IntN(n)
	}
	return nil, false
}

// Flush removes every key of k's database (FLUSHDB), or with all of every
// database (FLUSHALL), logged as one flush record.
func (k Keyspace) Flush(all bool) {
	if k.tx != nil {
		for _, s := range k.c.shards {
			k.c.flushShard(s, k.db, all)
		}
		var a int64
		if all {
			a = 1
		}
		k.tx.Record(persistence.OpFlush, k.db, nil, nil, a)
		for db := range k.c.dbs { // waiters on flushed streams are told
			if all || db == k.db {
				k.c.signalDB(db)
			}
		}
		return
	}
	k.c.Atomic(nil, func(t Keyspace) { t.WithDB(k.db).Flush(all) })
}

// DBSize is the number of keys of k's database.
func (k Keyspace) DBSize() int64 { return k.c.DBSize(k.db) }

// ---- WATCH ----

// Watch registers w on key of database db.
func (c *Cache) Watch(db int, key []byte, w *shard.Watch) {
	s := c.shardOf(key).DB(db)
	s.Lock()
	s.AddWatch(key, w, shard.Now())
	s.Unlock()
}

// Unwatch unregisters w from keys.
func (c *Cache) Unwatch(db int, keys [][]byte, w *shard.Watch) {
	for _, key := range keys {
		s := c.shardOf(key).DB(db)
		s.Lock()
		s.RemoveWatch(key, w)
		s.Unlock()
	}
}

// PeekExistsLocked is PeekExists taking the key's shard lock (WATCH: like
// Redis's, it neither expires the key nor reports a keyspace event).
func (c *Cache) PeekExistsLocked(db int, key []byte) bool {
	s := c.shardOf(key)
	s.Lock()
	defer s.Unlock()
	_, ok := s.DB(db).Peek(key, shard.Now())
	return ok
}

// PeekExists reports whether key exists, for WATCH's expiry check; call it
// inside an Atomic abort function (shards locked).
func (c *Cache) PeekExists(db int, key []byte) bool {
	_, ok := c.shardOf(key).DB(db).Peek(key, shard.Now())
	return ok
}
