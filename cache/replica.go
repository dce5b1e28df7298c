package cache

import (
	"fastcache/persistence"
	"fastcache/shard"
)

// A replica applies its primary's records through ApplyLogged: the state
// change of Apply, also logged into the replica's own WAL, so a replica's
// data survives its restart like a primary's.

// ApplyLogged applies r and logs it (a replica following its primary).
// OpFlush removes every key.
func (c *Cache) ApplyLogged(r *persistence.Record) {
	if r.Op == persistence.OpFlush {
		c.Keyspace().Flush()
		return
	}
	s := c.shardOf(r.Key)
	s.Queue.WaitRoom()
	s.Lock()
	s.Apply(r)
	s.Queue.Record(r.Op, r.Key, r.Value, r.Arg())
	s.Unlock()
}

// FlushWhereLogged deletes, and logs the deletion of, every key for which
// pred is true (a replica applying a FLUSHALL that its snapshot reflects
// for some shards only).
func (c *Cache) FlushWhereLogged(pred func(key []byte) bool) {
	for _, s := range c.shards {
		s.Queue.WaitRoom()
		s.Lock()
		var dead [][]byte
		rangeAll(s, func(k []byte, e shard.Entry) {
			if pred(k) {
				dead = append(dead, append([]byte(nil), k...))
			}
		})
		for _, k := range dead {
			s.Delete(k, s.Queue)
		}
		s.Unlock()
	}
}
