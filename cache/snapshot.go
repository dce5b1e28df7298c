package cache

import (
	"fastcache/persistence"
	"fastcache/shard"
)

// WriteSnapshot writes a point-in-time copy of the keyspace into w without
// stopping the server: each shard in turn is locked only while its cut LSN is
// read and its tables are copied (a few large copies with the compact table;
// collections are cloned, a big table-encoded one by copying its chunks);
// the copy is then serialized and compressed outside the lock. Keys already
// expired are left out. The shard's cut is the LSN of the last record it had
// applied when copied, so replay applies exactly the WAL records after it.
func (c *Cache) WriteSnapshot(w *persistence.SnapshotWriter) error {
	tables := make([]*shard.ArenaTable, c.dbs)
	fnShard := c.ShardIndex(persistence.FunctionsKey)
	fh := c.fnHooks.Load()
	for i, s := range c.shards {
		s.Lock()
		cut := s.Queue.LastLSN()
		for db := range tables {
			tables[db] = nil
			if d := s.DB(db); d.Keys() > 0 {
				tables[db] = d.CloneTable()
			}
		}
		var fnNames, fnCodes []string
		if i == fnShard && fh != nil && fh.Libraries != nil {
			fnNames, fnCodes = fh.Libraries() // as of this shard's cut (functions.go)
		}
		s.Unlock()
		w.SetCut(i, cut)
		if i == fnShard && fh != nil && fh.Libraries != nil {
			if err := writeFunctions(w, i, fnNames, fnCodes); err != nil {
				return err
			}
		}
		now := shard.Now()
		for db, t := range tables {
			if t == nil {
				continue
			}
			var err error
			t.Range(func(k []byte, e shard.Entry) bool {
				if e.ExpireAt != 0 && e.ExpireAt <= now {
					return true
				}
				if e.Kind == shard.KindString {
					err = w.Add(i, db, k, e.Value, e.ExpireAt)
					return err == nil
				}
				more := false
				err = t.Obj(e).Records(now, func(op persistence.Op, body []byte, num int64) error {
					err := w.AddRecord(i, db, k, op, body, num, e.ExpireAt, more)
					more = true
					return err
				})
				return err == nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// LoadSnapshotEntry stores one snapshot entry (replay; not logged): a string,
// or one record of a collection (the first of which carries the key's
// expiry in ExpireAt), or a function record (to the function hooks).
func (c *Cache) LoadSnapshotEntry(r *persistence.Record) { c.Apply(r) }

// FlushWhere deletes, without logging, every key of database db (of every
// database with all) for which pred is true; replay uses it for a flush
// logged after a snapshot that covered only some shards.
func (c *Cache) FlushWhere(db int, all bool, pred func(key []byte) bool) {
	c.deleteWhere(db, all, pred, false)
}

// SwapWhere swaps between databases a and b, without logging, the keys for
// which pred is true (replay of a SWAPDB a snapshot partly reflects).
func (c *Cache) SwapWhere(a, b int, pred func(key []byte) bool) { c.swapWhere(a, b, pred, false) }

func (c *Cache) swapWhere(a, b int, pred func(key []byte) bool, logged bool) {
	if a >= c.dbs || b >= c.dbs {
		return
	}
	now := shard.Now()
	for _, s := range c.shards {
		var rec persistence.Recorder
		if logged {
			s.Queue.WaitRoom()
			rec = s.Queue
		}
		s.Lock()
		s.SwapWhere(a, b, pred, now, rec)
		s.Unlock()
	}
}

func (c *Cache) deleteWhere(db int, all bool, pred func(key []byte) bool, logged bool) {
	for _, s := range c.shards {
		if logged {
			s.Queue.WaitRoom()
		}
		s.Lock()
		for i := 0; i < s.Databases(); i++ {
			if !all && i != db {
				continue
			}
			d := s.DB(i)
			var dead [][]byte
			rangeAll(d, func(k []byte, e shard.Entry) {
				if pred(k) {
					dead = append(dead, append([]byte(nil), k...))
				}
			})
			for _, k := range dead {
				if logged {
					d.Delete(k, s.Queue)
				} else {
					d.Apply(&persistence.Record{Op: persistence.OpDel, Key: k})
				}
			}
		}
		s.Unlock()
	}
}
