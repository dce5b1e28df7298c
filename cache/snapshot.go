package cache

import (
	"fastcache/internal/lowprio"
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
//
// The copies are serialized on a thread of the lowest scheduling priority
// (internal/lowprio) while the next shard is copied: on a machine with few
// cores the event loops and their clients keep the cores, and the
// snapshot takes what they leave (BENCHMARKS.md, p99 during a snapshot).
// Copying stays at normal priority, so a shard is never held locked by a
// thread the kernel leaves waiting. At most three copies are alive at once.
func (c *Cache) WriteSnapshot(w *persistence.SnapshotWriter) error {
	copies := make(chan shardCopy, 1)
	done := make(chan error, 1)
	go func() {
		lowprio.Thread()
		var err error
		for cp := range copies {
			if err == nil {
				err = c.writeShardCopy(w, cp)
			}
			cp.release()
		}
		done <- err
	}()
	for i, s := range c.shards {
		s.Lock()
		cp := c.copyShard(i, s)
		s.Unlock()
		copies <- cp
	}
	close(copies)
	return <-done
}

// shardCopy is one shard's part of a snapshot, copied under its lock.
type shardCopy struct {
	i                int
	cut              uint64
	tables           []*shard.ArenaTable // per database (nil: empty)
	fns              bool                // the functions' shard (fnNames, fnCodes hold its libraries)
	fnNames, fnCodes []string
}

// release gives up what the copy's collections share with the live ones
// (shard.ArenaTable.ReleaseObjects), once it is written out.
func (cp shardCopy) release() {
	for _, t := range cp.tables {
		if t != nil {
			t.ReleaseObjects()
		}
	}
}

// copyShard copies shard i (locked by the caller) for a snapshot.
func (c *Cache) copyShard(i int, s *shard.Shard) shardCopy {
	cp := shardCopy{i: i, cut: s.Queue().LastLSN(), tables: c.cloneTables(s)}
	if fh := c.fnHooks.Load(); i == c.ShardIndex(persistence.FunctionsKey) && fh != nil && fh.Libraries != nil {
		cp.fns = true
		cp.fnNames, cp.fnCodes = fh.Libraries() // as of this shard's cut (functions.go)
	}
	return cp
}

// cloneTables copies shard s's databases (locked by the caller; nil for
// an empty one).
func (c *Cache) cloneTables(s *shard.Shard) []*shard.ArenaTable {
	tables := make([]*shard.ArenaTable, c.dbs)
	for db := range tables {
		if d := s.DB(db); d.Keys() > 0 {
			tables[db] = d.CloneTable()
		}
	}
	return tables
}

// writeShardCopy serializes a shard's copy into w (no lock needed).
func (c *Cache) writeShardCopy(w *persistence.SnapshotWriter, cp shardCopy) error {
	i := cp.i
	w.SetCut(i, cp.cut)
	if cp.fns {
		if err := writeFunctions(w, i, cp.fnNames, cp.fnCodes); err != nil {
			return err
		}
	}
	now := shard.Now()
	for db, t := range cp.tables {
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
	c.deleteWhere(db, all, pred, false, true)
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
			s.Queue().WaitRoom()
			rec = s.Queue()
		}
		s.Lock()
		s.SwapWhere(a, b, pred, now, rec)
		s.Unlock()
	}
}

// deleteWhere deletes the keys of database db (of every database with all)
// for which pred is true: logged (a replica's flush a snapshot partly
// covers) or not (replay), locking each shard or (lock false) with every
// shard held by the caller.
func (c *Cache) deleteWhere(db int, all bool, pred func(key []byte) bool, logged, lock bool) {
	for _, s := range c.shards {
		if logged {
			s.Queue().WaitRoom()
		}
		lockIf(s, lock)
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
					d.Delete(k, s.Queue())
				} else {
					d.Apply(&persistence.Record{Op: persistence.OpDel, Key: k})
				}
			}
		}
		unlockIf(s, lock)
	}
}
