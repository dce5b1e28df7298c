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
}

// WriteRDB writes the keyspace as a Redis 7.0 RDB file (version 10) to w:
// what SYNC sends to `redis-cli --rdb`, and what redis-server loads as
// dump.rdb. Every value is in the encoding OBJECT ENCODING reports, as
// DUMP writes it; keys already expired are left out, and so are fields of
// a hash past their TTL (an RDB file of version 10 has no field TTLs: a
// hash's remaining fields are written without them).
//
// The file is one point in time, as the child of Redis's BGSAVE sees it:
// every shard is locked at once, then each is copied (as a snapshot copies
// it) and unlocked in turn, so no write or transaction lands between two
// shards' copies. A write to a shard not yet copied waits for its copy:
// the last shard's writers wait for the whole copy (BENCHMARKS.md). The
// copies are serialized at the lowest scheduling priority while the
// copying goes on, and each is freed once written.
func (c *Cache) WriteRDB(w io.Writer, opts RDBOptions) error {
	var codes []string
	fh := c.fnHooks.Load()
	c.LockAll()
	if opts.Functions && fh != nil && fh.Libraries != nil {
		_, codes = fh.Libraries()
	}
	copies := make(chan shardCopy, len(c.shards))
	f := rdb.NewFileWriter(w, opts.Aux, opts.File) // buffered: nothing is sent yet
	done := make(chan struct{})
	go func() { // no lock held here: w may be a slow socket
		defer close(done)
		lowprio.Thread()
		for _, code := range codes {
			f.Function([]byte(code))
		}
		v := rdb.Writer{NoCompress: opts.File.NoCompress}
		for cp := range copies {
			now := shard.Now()
			for db, t := range cp.tables {
				if t != nil {
					writeRDBTable(f, &v, db, t, now)
				}
			}
		}
	}()
	for i, s := range c.shards {
		cp := shardCopy{i: i}
		if opts.Keys {
			cp.tables = make([]*shard.ArenaTable, c.dbs)
			for db := range cp.tables {
				if d := s.DB(db); d.Keys() > 0 {
					cp.tables[db] = d.CloneTable()
				}
			}
		}
		s.Unlock()
		copies <- cp
	}
	close(copies)
	<-done
	return f.Close()
}

// writeRDBTable writes database db's keys held in t (a copy).
func writeRDBTable(f *rdb.FileWriter, v *rdb.Writer, db int, t *shard.ArenaTable, now int64) {
	keys, expires := 0, 0
	t.Range(func(_ []byte, e shard.Entry) bool {
		if e.ExpireAt == 0 {
			keys++
		} else if e.ExpireAt > now {
			keys++
			expires++
		}
		return true
	})
	if keys == 0 {
		return
	}
	f.SelectDB(db, keys, expires)
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
