package cache

// DEBUG RELOAD and DEBUG LOADAOF: the keyspace saved into a snapshot file
// and loaded back, or rebuilt from the snapshot and the WAL, with every
// shard locked throughout, so no command runs in between (Redis, single-
// threaded, does the same work between two commands). Both go through the
// code that snapshots and replay use, so they exercise the persistence.

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"fastcache/persistence"
	"fastcache/shard"
)

// ReloadOptions are DEBUG RELOAD's.
type ReloadOptions struct {
	Dir   string // where the snapshot file is written and read (created if needed)
	Codec string // none | s2 | zstd
	// NoSave loads the file the last DEBUG RELOAD wrote instead of saving
	// first; NoFlush keeps the current keys (a key also in the file is an
	// error unless Merge, with which the file's value replaces it).
	NoSave, NoFlush, Merge bool
}

// ErrReloadLoad is DEBUG RELOAD's error when the file cannot be loaded
// (missing, damaged, or a key or library already present without MERGE).
var ErrReloadLoad = errors.New("ERR Error trying to load the RDB dump")

// Reload is DEBUG RELOAD. held tells that the caller already holds every
// shard (EXEC). When the keyspace is saved and flushed first (the default),
// the loaded content is the content before: nothing is logged. Otherwise
// (NOSAVE, NOFLUSH) the result may differ from what the WAL holds, so the
// flush and every loaded record are logged as one transaction group.
func (c *Cache) Reload(o ReloadOptions, held bool) error {
	if !held {
		c.LockAll()
		defer c.UnlockAll()
	}
	var path string
	if !o.NoSave {
		p, err := c.saveHeld(o.Dir, o.Codec)
		if err != nil {
			return fmt.Errorf("ERR DEBUG RELOAD: saving failed: %w", err)
		}
		path = p
	} else {
		list, err := persistence.ListSnapshots(o.Dir)
		if err != nil || len(list) == 0 {
			return ErrReloadLoad
		}
		path = list[0]
	}
	if _, err := persistence.VerifySnapshot(path); err != nil {
		c.log.Warn().Err(err).Str("file", path).Msg("DEBUG RELOAD: the file does not verify")
		return ErrReloadLoad
	}
	if o.NoFlush && !o.Merge && c.reloadConflicts(path) {
		return ErrReloadLoad
	}
	var txn *persistence.Txn
	if o.NoSave || o.NoFlush {
		txn = c.wal.Load().NewTxn()
	}
	if !o.NoFlush {
		c.clearHeld(txn)
	}
	seen := map[string]bool{} // the keys loaded so far: whether they are skipped
	now := shard.Now()
	_, err := persistence.ReadSnapshot(path, 1, func(_ int, r *persistence.Record) {
		if persistence.IsFunctionOp(r.Op) {
			if r.Op == persistence.OpFunctionFlush && o.NoFlush {
				return // merging: the libraries not in the file stay
			}
			c.applyFunction(r)
			if txn != nil {
				txn.Record(r.Op, 0, r.Key, r.Value, r.Num())
			}
			return
		}
		if r.DB >= c.dbs {
			c.Apply(r) // warns and skips
			return
		}
		d := c.shardOf(r.Key).DB(r.DB)
		// A key's entries are consecutive; its first carries its expiry.
		id := strconv.Itoa(r.DB) + ":" + string(r.Key)
		if skip, ok := seen[id]; ok {
			if skip {
				return
			}
		} else {
			skip = r.ExpireAt != 0 && r.ExpireAt <= now // expired while the file waited (NOSAVE)
			seen[id] = skip
			// The file's value replaces what the key holds (MERGE, or an
			// expired key not yet removed).
			if _, ok := d.Peek(r.Key, 0); ok && o.NoFlush && !skip {
				d.Delete(r.Key, discardRec{})
				if txn != nil {
					txn.Record(persistence.OpDel, r.DB, r.Key, nil, 0)
				}
			}
			if skip {
				return
			}
		}
		d.Apply(r)
		if txn != nil {
			txn.Record(r.Op, r.DB, r.Key, r.Value, r.Num())
			if r.Op >= 16 && r.ExpireAt != 0 { // a collection's first entry carries the key's expiry
				txn.Record(persistence.OpExpire, r.DB, r.Key, nil, r.ExpireAt)
			}
		}
	})
	if txn != nil {
		c.wal.Load().Commit(txn, c.all)
	}
	if err != nil {
		c.log.Error().Err(err).Str("file", path).Msg("DEBUG RELOAD: loading failed")
		return ErrReloadLoad
	}
	return nil
}

// saveHeld writes the keyspace (every shard held) into a new snapshot file
// in dir and removes the older ones there.
func (c *Cache) saveHeld(dir, codec string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	w, err := persistence.CreateSnapshot(dir, len(c.shards), codec, 0)
	if err != nil {
		return "", err
	}
	for i, s := range c.shards {
		cp := c.copyShard(i, s)
		err := c.writeShardCopy(w, cp)
		cp.release()
		if err != nil {
			w.Abort()
			return "", err
		}
	}
	path, _, err := w.Commit()
	if err != nil {
		return "", err
	}
	if list, err := persistence.ListSnapshots(dir); err == nil {
		for _, p := range list {
			if p != path {
				os.Remove(p)
			}
		}
	}
	return path, nil
}

// clearHeld empties every database and the function libraries (every
// shard held), logging it in txn when not nil.
func (c *Cache) clearHeld(txn *persistence.Txn) {
	for _, s := range c.shards {
		c.flushShard(s, 0, true)
	}
	c.applyFunction(&persistence.Record{Op: persistence.OpFunctionFlush, Key: persistence.FunctionsKey})
	if txn != nil {
		txn.Record(persistence.OpFlush, 0, nil, nil, 1)
		txn.Record(persistence.OpFunctionFlush, 0, persistence.FunctionsKey, nil, 0)
	}
}

// reloadConflicts reports whether the file at path holds a key that exists
// now, or a library that is loaded now (every shard held).
func (c *Cache) reloadConflicts(path string) bool {
	libs := map[string]bool{}
	if fh := c.fnHooks.Load(); fh != nil && fh.Libraries != nil {
		names, _ := fh.Libraries()
		for _, n := range names {
			libs[n] = true
		}
	}
	now := shard.Now()
	conflict := false
	_, err := persistence.ReadSnapshot(path, 1, func(_ int, r *persistence.Record) {
		switch {
		case conflict:
		case r.Op == persistence.OpFunctionLoad:
			persistence.Items(r.Value, func(it []byte) {
				if !conflict && libs[string(it)] {
					conflict = true
				}
			}) // the first item is the name; the code is no library name
		case persistence.IsFunctionOp(r.Op) || r.DB >= c.dbs:
		default:
			if _, ok := c.shardOf(r.Key).DB(r.DB).Peek(r.Key, now); ok {
				conflict = true
			}
		}
	})
	return conflict || err != nil
}

// HeldTarget applies replayed records to the cache without locking: for a
// replay run while every shard is held (LoadLog).
type HeldTarget struct{ c *Cache }

// Apply is Cache.Apply without the locks.
func (t HeldTarget) Apply(r *persistence.Record) { t.c.apply(r, false) }

// LoadSnapshotEntry is Apply (replay.Applier).
func (t HeldTarget) LoadSnapshotEntry(r *persistence.Record) { t.Apply(r) }

// FlushWhere is Cache.FlushWhere without the locks.
func (t HeldTarget) FlushWhere(db int, all bool, pred func(key []byte) bool) {
	t.c.deleteWhere(db, all, pred, false, false)
}

// SwapWhere is Cache.SwapWhere without the locks.
func (t HeldTarget) SwapWhere(a, b int, pred func(key []byte) bool) {
	if a >= t.c.dbs || b >= t.c.dbs {
		return
	}
	now := shard.Now()
	for _, s := range t.c.shards {
		s.SwapWhere(a, b, pred, now, nil)
	}
}

// LoadLog is DEBUG LOADAOF: with every shard held (held: by the caller,
// EXEC), the keyspace and the libraries are cleared and load rebuilds them
// from the persistence through t. Nothing is logged: the log already holds
// what is loaded.
func (c *Cache) LoadLog(held bool, load func(t HeldTarget) error) error {
	if !held {
		c.LockAll()
		defer c.UnlockAll()
	}
	c.clearHeld(nil)
	return load(HeldTarget{c})
}
