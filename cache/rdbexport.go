package cache

import (
	"io"

	"fastcache/internal/lowprio"
	"fastcache/internal/rdb"
	"fastcache/object"
	"fastcache/shard"
)

// RDBOptions choose what WriteRDB writes.
type RDBOptions struct {
	Keys      bool        // every database's keys
	Functions bool        // the function libraries
	Aux       [][2]string // AUX fields after the signature (redis-ver, ...)
	File      rdb.FileOptions
	// LSN, when set, receives the LSN of the last record the file holds
	// (every record up to it, none after: a replica's stream starts there)
	LSN *uint64
}

// WriteRDB writes the keyspace as a Redis 7.0 RDB file (version 10) to w:
// what SYNC sends to `redis-cli --rdb`, and what redis-server loads as
// dump.rdb. Every value is in the encoding OBJECT ENCODING reports, as
// DUMP writes it; keys already expired are left out, and so are fields of
// a hash past their TTL (an RDB file of version 10 has no field TTLs: a
// hash's remaining fields are written without them).
//
// The file is one point in time, as the child of Redis's BGSAVE sees it:
// with every shard locked at once, each is given a copy to make on its
// next lock (shard.OnNextLock); then they are unlocked. Whoever locks a
// shard next, a client's command or this loop that visits each in turn,
// first copies it (as a snapshot copies it), so no write or transaction
// reaches a shard before its state at that instant is copied. A command
// waits at most for the copies of the shards it locks (with the default 8
// shards per core, a shard is 1/16 of the dataset on 2 cores), not for the
// whole dataset (BENCHMARKS.md). The
// copies are serialized at the lowest scheduling priority, and each is
// freed once written; the shards no command touched are copied as the
// writer catches up, so memory grows by a few shards' copies, and by more
// only when commands reach many shards before the writer does (as writes
// during Redis's BGSAVE copy pages).
func (c *Cache) WriteRDB(w io.Writer, opts RDBOptions) error {
	var codes []string
	fh := c.fnHooks.Load()
	copies := make(chan shardCopy, len(c.shards)) // room for every copy: a copy never waits
	copyShard := func(i int) func(*shard.Shard) {
		return func(s *shard.Shard) {
			// the tables alone: the libraries were read with every shard
			// held; a task runs inside whatever locks the shard next, where
			// taking the scripting lock (which reading them does) could
			// invert the order shards -> scripting lock
			cp := shardCopy{i: i}
			if opts.Keys {
				cp.tables = c.cloneTables(s)
			}
			copies <- cp
		}
	}
	c.LockAll()
	if opts.LSN != nil {
		*opts.LSN = c.LastLSN()
	}
	if opts.Functions && fh != nil && fh.Libraries != nil {
		_, codes = fh.Libraries()
	}
	for i, s := range c.shards {
		s.OnNextLock(copyShard(i))
	}
	for _, s := range c.shards {
		s.Unlock()
	}
	f := rdb.NewFileWriter(w, opts.Aux, opts.File)
	taken := make(chan struct{}, len(c.shards)) // one per copy the writer took
	done := make(chan struct{})
	go func() { // no lock held here: w may be a slow socket
		defer close(done)
		lowprio.Thread()
		for _, code := range codes {
			f.Function([]byte(code))
		}
		v := rdb.Writer{NoCompress: opts.File.NoCompress}
		for cp := range copies {
			taken <- struct{}{}
			now := shard.Now()
			for db, t := range cp.tables {
				if t != nil && f.Err() == nil { // after a failed write, the copies are only dropped
					writeRDBTable(f, &v, db, t, now)
				}
			}
			cp.release()
		}
	}()
	// Copy what nobody has locked since, a shard whenever fewer than two
	// copies wait for the writer: the copies alive at once are those and
	// the ones commands made (all of them only under writes to every shard)
	for _, s := range c.shards {
		for len(copies) > 1 {
			<-taken
		}
		s.Lock()
		s.Unlock()
	}
	close(copies)
	<-done
	return f.Close()
}

// writeRDBTable writes database db's keys held in t (a copy).
func writeRDBTable(f *rdb.FileWriter, v *rdb.Writer, db int, t *shard.ArenaTable, now int64) {
	// RESIZEDB is a hint: the table's counts, keys past their expiry
	// included, as Redis gives its dict's sizes
	f.SelectDB(db, t.Len(), t.Volatile())
	t.Range(func(k []byte, e shard.Entry) bool {
		if e.ExpireAt != 0 && e.ExpireAt <= now {
			return true
		}
		v.Reset()
		if e.Kind == shard.KindString {
			v.Type(rdb.TypeString)
			v.String(e.Value)
		} else {
			o := t.Obj(e)
			if h, ok := o.(*object.Hash); ok && h.Volatile() > 0 {
				live := false
				h.Range(now, func(_, _ []byte) bool { live = true; return false })
				if !live {
					return true // every field expired: no key, as a reader sees it
				}
			}
			if appendRDBValue(v, o, now) != nil {
				return true // a type RDB cannot hold (none today)
			}
		}
		f.Key(k, e.ExpireAt, v.Value())
		return true
	})
}
