package cache

import (
	"fastcache/persistence"
	"fastcache/shard"
)

// WriteSnapshot writes a point-in-time copy of the keyspace into w without
// stopping the server: each shard in turn is locked only while its cut LSN is
// read and its table is copied (a few large copies with the compact table);
// the copy is then serialized and compressed outside the lock. Keys already
// expired are left out. The shard's cut is the LSN of the last record it had
// applied when copied, so replay applies exactly the WAL records after it.
func (c *Cache) WriteSnapshot(w *persistence.SnapshotWriter) error {
	for i, s := range c.shards {
		s.Lock()
		cut := s.Queue.LastLSN()
		t := s.CloneTable()
		s.Unlock()
		w.SetCut(i, cut)
		now := shard.Now()
		var err error
		t.Range(func(k []byte, e shard.Entry) bool {
			if e.ExpireAt != 0 && e.ExpireAt <= now {
				return true
			}
			err = w.Add(i, k, e.Value, e.ExpireAt)
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// LoadSnapshotEntry stores one snapshot entry (replay; not logged).
func (c *Cache) LoadSnapshotEntry(r *persistence.Record) { c.Apply(r) }

// FlushWhere deletes, without logging, every key for which pred is true; replay
// uses it for a FLUSHALL logged after a snapshot that covered only some shards.
func (c *Cache) FlushWhere(pred func(key []byte) bool) {
	for _, s := range c.shards {
		s.Lock()
		var dead [][]byte
		rangeAll(s, func(k []byte, e shard.Entry) {
			if pred(k) {
				dead = append(dead, append([]byte(nil), k...))
			}
		})
		for _, k := range dead {
			s.Apply(&persistence.Record{Op: persistence.OpDel, Key: k})
		}
		s.Unlock()
	}
}
