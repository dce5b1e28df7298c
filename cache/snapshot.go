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
