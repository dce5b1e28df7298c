package cache

import (
	"fastcache/persistence"
)

// A replica applies its primary's records through ApplyLogged: the state
// change of Apply, also logged into the replica's own WAL, so a replica's
// data survives its restart like a primary's.

// OnReady sets the function that serves blocked clients (the server's):
// a replica's applied records are no client command, after which the
// server would serve the keys they readied (an XREAD BLOCK on a replica
// waits for the primary's XADD), so ApplyLogged and ApplyGroupLogged call it.
func (c *Cache) OnReady(fn func()) { c.readyHook.Store(&fn) }

func (c *Cache) servedReady() {
	if c.ReadyPending() {
		if fn := c.readyHook.Load(); fn != nil {
			(*fn)()
		}
	}
}

// ApplyLogged applies r and logs it (a replica following its primary).
func (c *Cache) ApplyLogged(r *persistence.Record) {
	defer c.servedReady()
	if r.DB >= c.dbs || (r.Op == persistence.OpSwapDB || r.Op == persistence.OpMove) && int(r.Arg) >= c.dbs {
		c.Apply(r) // warns and skips
		return
	}
	switch r.Op {
	case persistence.OpFlush:
		c.Keyspace().WithDB(r.DB).Flush(r.Arg == 1)
		return
	case persistence.OpSwapDB:
		c.Keyspace().SwapDB(r.DB, int(r.Arg))
		return
	}
	s := c.shardOf(r.Key)
	s.Queue().WaitRoom()
	s.Lock()
	if r.Op == persistence.OpMove {
		s.DB(r.DB).MoveTo(r.Key, s.DB(int(r.Arg)), nil)
	} else if persistence.IsFunctionOp(r.Op) {
		c.applyFunction(r) // under the functions' shard lock, as logged (functions.go)
	} else {
		s.DB(r.DB).Apply(r)
	}
	s.Queue().Record(r.Op, r.DB, r.Key, r.Value, r.Num())
	if r.Op >= 16 && r.ExpireAt != 0 { // a snapshot's collection entry carries the key's expiry
		s.Queue().Record(persistence.OpExpire, r.DB, r.Key, nil, r.ExpireAt)
	}
	s.Unlock()
}

// Logged is the cache as a replay.Target whose changes are logged (a
// replica's own WAL).
func (c *Cache) Logged() LoggedTarget { return LoggedTarget{c} }

// LoggedTarget applies records and logs them (see Logged).
type LoggedTarget struct{ c *Cache }

func (t LoggedTarget) Apply(r *persistence.Record) { t.c.ApplyLogged(r) }
func (t LoggedTarget) FlushWhere(db int, all bool, pred func([]byte) bool) {
	t.c.FlushWhereLogged(db, all, pred)
}
func (t LoggedTarget) SwapWhere(a, b int, pred func([]byte) bool) { t.c.swapWhere(a, b, pred, true) }

// FlushWhereLogged deletes, and logs the deletion of, every key of database
// db (every database with all) for which pred is true (a replica applying a
// flush that its snapshot reflects for some shards only).
func (c *Cache) FlushWhereLogged(db int, all bool, pred func(key []byte) bool) {
	c.deleteWhere(db, all, pred, true, true)
}

// ApplyGroupLogged applies the records of one group (a multi-shard command
// or MULTI/EXEC of the primary) atomically, as the primary ran them: every
// shard involved is locked for the whole group, so no reader sees half of
// it, and the group is logged as one transaction of the replica's own WAL,
// so a crash of the replica keeps all of it or none.
func (c *Cache) ApplyGroupLogged(recs []persistence.Record, pos *ReplPos) {
	defer c.servedReady()
	all := false
	for i := range recs {
		r := &recs[i]
		if r.Op == persistence.OpFlush || r.Op == persistence.OpSwapDB {
			all = true
		}
		if r.DB >= c.dbs || (r.Op == persistence.OpSwapDB || r.Op == persistence.OpMove) && int(r.Arg) >= c.dbs {
			for j := range recs {
				c.ApplyLogged(&recs[j]) // warns and skips what it cannot hold
			}
			return
		}
	}
	var idx []int
	if all {
		for i := range c.shards {
			idx = append(idx, i)
		}
	} else {
		keys := make([][]byte, len(recs), len(recs)+1)
		for i := range recs {
			keys[i] = recs[i].Key
		}
		if pos != nil {
			keys = append(keys, []byte(pos.RunID))
		}
		idx = c.sortedShards(nil, keys, 1)
	}
	for _, i := range idx {
		c.shards[i].Queue().WaitRoom()
	}
	for _, i := range idx {
		c.shards[i].Lock()
	}
	w := c.wal.Load()
	txn := w.NewTxn()
	for i := range recs {
		r := &recs[i]
		switch r.Op {
		case persistence.OpFlush:
			for _, s := range c.shards {
				c.flushShard(s, r.DB, r.Arg == 1)
			}
		case persistence.OpSwapDB:
			for _, s := range c.shards {
				s.SwapDB(r.DB, int(r.Arg))
			}
		case persistence.OpMove:
			s := c.shardOf(r.Key)
			s.DB(r.DB).MoveTo(r.Key, s.DB(int(r.Arg)), nil)
		case persistence.OpFunctionLoad, persistence.OpFunctionDelete, persistence.OpFunctionFlush:
			c.applyFunction(r) // the functions' shard is locked: it is FunctionsKey's
		default:
			c.shardOf(r.Key).DB(r.DB).Apply(r)
		}
		txn.Record(r.Op, r.DB, r.Key, r.Value, r.Num())
		if r.Op >= 16 && r.ExpireAt != 0 {
			txn.Record(persistence.OpExpire, r.DB, r.Key, nil, r.ExpireAt)
		}
	}
	if pos != nil {
		txn.Record(persistence.OpReplPos, 0, []byte(pos.RunID), nil, pos.Offset)
	}
	w.Commit(txn, idx)
	for _, i := range idx {
		c.shards[i].Unlock()
	}
}

// LogReplPos logs pos as a record of its own: a replica that stops cleanly
// logs where it stands after its shutdown snapshot, so that its restart
// finds a position newer than the snapshot and continues from it instead
// of a full resync (every frame up to pos is applied, and none after it:
// the replica stopped applying).
func (c *Cache) LogReplPos(pos ReplPos) {
	key := []byte(pos.RunID)
	s := c.shardOf(key)
	s.Lock()
	s.Queue().Record(persistence.OpReplPos, 0, key, nil, pos.Offset)
	s.Unlock()
}

// ReplPos is a replica's position in its primary's stream.
type ReplPos struct {
	RunID  string
	Offset int64
	LSN    uint64 // of the record that logged it
}

// LastReplPos is the last position a replica logged, as replay found it
// (zero if none).
func (c *Cache) LastReplPos() ReplPos {
	c.replMu.Lock()
	defer c.replMu.Unlock()
	return c.replPos
}

func (c *Cache) noteReplPos(r *persistence.Record) {
	c.replMu.Lock()
	if r.LSN >= c.replPos.LSN {
		c.replPos = ReplPos{RunID: string(r.Key), Offset: r.Arg, LSN: r.LSN}
	}
	c.replMu.Unlock()
}
