package cache

import (
	"fmt"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/cespare/xxhash/v2"

	"fastcache/internal/prefetch"
	"fastcache/object"
	"fastcache/persistence"
	"fastcache/shard"
)

// TestPrefetchBesideWriters: Prefetch takes no lock, so it runs here on
// one goroutine while another fills, overwrites and deletes keys (index
// doublings and shrinks, new arena chunks, evacuations). Under -race this
// fails if the prefetcher reads table state other than what shard/hint.go
// publishes atomically; everywhere it checks the data is untouched.
func TestPrefetchBesideWriters(t *testing.T) {
	c := New(Options{Shards: 4})
	t.Cleanup(c.Close)
	ks := c.Keyspace()
	const n = 40000
	key := func(i int) []byte { return []byte(fmt.Sprintf("key:%d", i)) }
	stop := prefetchAlongside(c, key, nil, n)
	for i := 0; i < n; i++ {
		ks.Set(key(i), []byte(fmt.Sprintf("value %d", i)), SetOptions{}, nil)
	}
	for i := 0; i < n; i += 2 {
		ks.Set(key(i), []byte(fmt.Sprintf("a longer value %d", i)), SetOptions{}, nil)
	}
	ks.Del([][]byte{key(1), key(3)})
	for i := 5; i < n; i += 2 {
		ks.Del([][]byte{key(i)})
	}
	stop()

	for i := 0; i < n; i++ {
		v, ok := ks.Get(key(i), nil)
		want := ""
		switch {
		case i%2 == 0:
			want = fmt.Sprintf("a longer value %d", i)
		}
		if (want != "") != ok || string(v) != want {
			t.Fatalf("key %d: %q (found %v), want %q", i, v, ok, want)
		}
	}
}

// TestPrefetchFollowsCollections: for a key holding a collection, the
// look-ahead's later stages find, from the record alone and without the
// lock, the collection's slot in the table, the object itself and (for the
// small, packed encodings) its buffer: with or without a TTL on the key
// (the record's longer header). A string's record stops the chain.
func TestPrefetchFollowsCollections(t *testing.T) {
	if !prefetch.Supported {
		t.Skip("no prefetch on this architecture")
	}
	c := New(Options{Shards: 4})
	t.Cleanup(c.Close)
	k := c.Keyspace()
	hash := func(key string, fields int) { testHSet(t, k, []byte(key), fields) }
	type want struct {
		key      string
		obj, buf bool
	}
	var keys []want
	for i := 0; i < 300; i++ {
		key := fmt.Sprintf("h:%d", i)
		hash(key, 1+i%10)
		if i%3 == 0 {
			k.Expire([]byte(key), time.Now().Add(time.Hour).UnixMilli(), ExpireAlways)
		}
		keys = append(keys, want{key, true, true})
	}
	hash("big", 1000) // a table, not a packed buffer
	keys = append(keys, want{"big", true, false})
	zset := func(key string, members int) {
		err := k.Change([]byte(key), shard.KindZSet, func() shard.Object { return object.NewZSet([]byte("m")) },
			func(o shard.Object, now int64, emit Emit) {
				z := o.(*object.ZSet)
				var body []byte
				for m := 0; m < members; m++ {
					member := []byte(fmt.Sprintf("m%d", m))
					z.Set(member, float64(m))
					body = object.AppendZAdd(body, member, float64(m))
				}
				emit(object.OpZAdd, body, 0)
			})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 30; i++ {
		zset(fmt.Sprintf("z:%d", i), 1+i%10)
		keys = append(keys, want{fmt.Sprintf("z:%d", i), true, true})
	}
	zset("bigz", 1000) // a table and a tree: no packed buffer to prefetch
	keys = append(keys, want{"bigz", true, false})
	set := func(key string, members int, prefix string) {
		err := k.Change([]byte(key), shard.KindSet, func() shard.Object { return object.NewSet([]byte(prefix + "0")) },
			func(o shard.Object, now int64, emit Emit) {
				s := o.(*object.Set)
				var body []byte
				for m := 0; m < members; m++ {
					member := []byte(fmt.Sprintf("%s%d", prefix, m))
					s.Add(member)
					body = persistence.AppendItem(body, member)
				}
				emit(object.OpSAdd, body, 0)
			})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 30; i++ {
		prefix := "" // an intset
		if i%2 == 1 {
			prefix = "m" // packed strings
		}
		set(fmt.Sprintf("s:%d", i), 1+i%10, prefix)
		keys = append(keys, want{fmt.Sprintf("s:%d", i), true, true})
	}
	set("bigs", 1000, "m") // a table: no packed buffer
	keys = append(keys, want{"bigs", true, false})
	k.Set([]byte("str"), []byte("a string"), SetOptions{}, nil)
	keys = append(keys, want{"str", false, false})
	missed := 0
	for _, w := range keys {
		key := []byte(w.key)
		h := xxhash.Sum64(key)
		s := c.shards[h&c.mask]
		a, end := s.PrefetchRecord(h)
		if a == 0 {
			// A hint follows at most hintProbes slots of a probe run and
			// may miss a key; only the later stages are checked here.
			missed++
			continue
		}
		slot := s.PrefetchObjectSlot(a, end)
		typ, obj := shard.PrefetchObject(slot)
		buf := shard.PrefetchObjectData(typ, obj)
		s.Lock()
		e, _ := s.DB(0).Peek(key, 0)
		var real uintptr
		switch e.Kind {
		case shard.KindHash:
			real = uintptr(unsafe.Pointer(s.DB(0).Obj(e).(*object.Hash)))
		case shard.KindZSet:
			real = uintptr(unsafe.Pointer(s.DB(0).Obj(e).(*object.ZSet)))
		case shard.KindSet:
			real = uintptr(unsafe.Pointer(s.DB(0).Obj(e).(*object.Set)))
		}
		s.Unlock()
		if w.obj != (slot != 0) || obj != real {
			t.Fatalf("%s: slot %#x object %#x, want the object at %#x", w.key, slot, obj, real)
		}
		if w.buf != (buf != 0) {
			t.Fatalf("%s: buffer %#x, want one: %v", w.key, buf, w.buf)
		}
	}
	if missed > len(keys)/10 {
		t.Fatalf("the record of %d of %d keys not found by its hint", missed, len(keys))
	}
}

// TestPrefetchCollectionsBesideWriters: the collection stages run beside a
// writer that creates, grows and deletes hashes (the table's objs array
// grows and its slots are reused); under -race this fails if they read
// anything but plain loads of published memory, and the hashes are intact.
func TestPrefetchCollectionsBesideWriters(t *testing.T) {
	c := New(Options{Shards: 2})
	t.Cleanup(c.Close)
	k := c.Keyspace()
	const n = 5000
	key := func(i int) []byte { return []byte(fmt.Sprintf("h:%d", i)) }
	stop := prefetchAlongside(c, key, nil, n)
	hset := func(i, fields int) { testHSet(t, k, key(i), fields) }
	for i := 0; i < n; i++ {
		hset(i, 1+i%5)
	}
	for i := 0; i < n; i += 2 {
		k.Del([][]byte{key(i)})
	}
	for i := 0; i < n; i += 2 {
		hset(i, 7)
	}
	stop()
	for i := 0; i < n; i++ {
		want := 1 + i%5
		if i%2 == 0 {
			want = 7
		}
		if got := collectionLen(c, key(i)); got != want {
			t.Fatalf("hash %d: %d fields, want %d", i, got, want)
		}
	}
}

// TestPrefetchMembersBesideWriters: the member stages (a big hash's fields
// in its own table) run beside a writer that grows hashes from packed to
// big (their tables double and add chunks), deletes fields and whole
// hashes; under -race this fails if they read the tables without the lock
// or published views, and the hashes are intact.
func TestPrefetchMembersBesideWriters(t *testing.T) {
	c := New(Options{Shards: 2})
	t.Cleanup(c.Close)
	k := c.Keyspace()
	const n = 8
	key := func(i int) []byte { return []byte(fmt.Sprintf("big:%d", i%n)) }
	field := func(i int) []byte { return []byte(fmt.Sprintf("f%d", i%3000)) }
	stop := prefetchAlongside(c, key, field, n)
	for round := 0; round < 3; round++ {
		for i := 0; i < n; i++ {
			testHSet(t, k, key(i), 3000)
		}
		for i := 0; i < n; i += 2 {
			k.Del([][]byte{key(i)})
		}
	}
	stop()
	for i := 0; i < n; i++ {
		if got, want := collectionLen(c, key(i)), []int{-1, 3000}[i%2]; got != want {
			t.Fatalf("hash %d: %d fields, want %d", i, got, want)
		}
	}
}

// collectionLen is the number of elements of the collection at key in
// database 0, -1 if key is missing.
func collectionLen(c *Cache, key []byte) int {
	s := c.shardOf(key)
	s.Lock()
	defer s.Unlock()
	e, ok := s.DB(0).Peek(key, 0)
	if !ok {
		return -1
	}
	return s.DB(0).Obj(e).Len()
}

// prefetchAlongside runs Prefetch on one goroutine over the keys
// key(0..n-1), 16 at a time, with the members member(0..n-1) if member is
// not nil, until the returned stop is called.
func prefetchAlongside(c *Cache, key, member func(int) []byte, n int) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		keys := make([][]byte, 16)
		var members [][]byte
		if member != nil {
			members = make([][]byte, 16)
		}
		hs := make([]uint64, 16)
		for round := 0; ; round++ {
			select {
			case <-done:
				return
			default:
			}
			for j := range keys {
				keys[j] = key((round*16 + j) % n)
				if member != nil {
					members[j] = member(round*16 + j)
				}
			}
			c.Prefetch(keys, members, hs)
		}
	}()
	return func() { close(done); wg.Wait() }
}

// testHSet makes key a hash of fields fields f0.. (values "v"), logged as
// HSET does.
func testHSet(t *testing.T, k Keyspace, key []byte, fields int) {
	t.Helper()
	err := k.Change(key, shard.KindHash, func() shard.Object { return object.NewHash() },
		func(o shard.Object, now int64, emit Emit) {
			h := o.(*object.Hash)
			var body []byte
			for f := 0; f < fields; f++ {
				field := []byte(fmt.Sprintf("f%d", f))
				h.Set(field, []byte("v"))
				body = persistence.AppendItem(persistence.AppendItem(body, field), []byte("v"))
			}
			emit(persistence.OpHSet, body, 0)
		})
	if err != nil {
		t.Error(err)
	}
}
