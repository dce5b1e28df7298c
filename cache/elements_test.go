package cache

import (
	"testing"
	"time"

	"fastcache/object"
	"fastcache/persistence"
	"fastcache/shard"
)

// TestActiveExpiryOfHashFields: fields whose TTL passed are removed by the
// active expiry cycle without any command touching the hash, and a hash
// left without fields is deleted (the removals are logged like a lazy
// expiry's: cmd/fastcache's replay tests restart over them).
func TestActiveExpiryOfHashFields(t *testing.T) {
	c := New(Options{Shards: 4})
	c.Start(50)
	defer c.Close()
	k := c.Keyspace().WithDB(3)
	set := func(key string, fields ...string) {
		err := k.Change([]byte(key), shard.KindHash, func() shard.Object { return object.NewHash() },
			func(o shard.Object, now int64, emit Emit) {
				h := o.(*object.Hash)
				for _, f := range fields {
					h.Set([]byte(f), []byte("v"))
				}
				var body []byte
				for _, f := range fields {
					if f != "keep" {
						h.SetFieldExpire([]byte(f), now+30)
						body = persistence.AppendItem(body, []byte(f))
					}
				}
				emit(persistence.OpHExpire, body, now+30)
			})
		if err != nil {
			t.Fatal(err)
		}
	}
	set("partly", "a", "b", "keep")
	set("wholly", "x", "y")
	raw := func(key string) (int, bool) {
		s := c.shardOf([]byte(key))
		s.Lock()
		defer s.Unlock()
		e, ok := s.DB(3).Peek([]byte(key), 0)
		if !ok {
			return 0, false
		}
		return s.DB(3).Obj(e).Len(), true
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, ok := raw("partly")
		_, whole := raw("wholly")
		if ok && n == 1 && !whole {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s: partly has %d fields (exists %v), wholly exists %v", n, ok, whole)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c.DBSize(3) != 1 {
		t.Fatalf("DBSIZE of db 3 = %d, want 1", c.DBSize(3))
	}
}
