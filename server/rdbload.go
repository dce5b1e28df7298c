package server

import (
	"fmt"
	"time"

	"fastcache/cache"
	"fastcache/internal/rdb"
)

// RDBLoad is what LoadRDB read.
type RDBLoad struct {
	rdb.FileInfo
	Expired int64 // keys left out: already expired
}

// LoadRDB reads a Redis RDB file (b, the whole file) into the keyspace:
// every database, the keys with their expiry times (keys already expired
// are left out, as Redis leaves them out when it loads), written as
// RESTORE writes them (so logged when the log is on), then its function
// libraries as FUNCTION LOAD REPLACE would load them. With flush, every
// database and every library is emptied first (a replica's full
// resynchronization: the file is the whole dataset). A key in a database
// beyond `databases`, or a file that does not read whole, is an error,
// and whatever was loaded of the file is flushed again: nothing half
// loaded is served.
func (s *Server) LoadRDB(b []byte, flush bool) (RDBLoad, error) {
	ks := s.cache.Keyspace()
	if flush {
		ks.Flush(true)
		s.functionsChange(ks, func(ks cache.Keyspace) {
			s.flushFunctions()
			logFunctionFlush(ks)
		})
	}
	dbs := s.cache.Databases()
	now := time.Now().UnixMilli()
	var out RDBLoad
	info, err := rdb.ReadFile(b, func(e rdb.FileEntry) error {
		if e.DB < 0 || e.DB >= dbs {
			return fmt.Errorf("key %q is in database %d, beyond databases %d", e.Key, e.DB, dbs)
		}
		if e.ExpireAt != 0 && e.ExpireAt <= now {
			out.Expired++
			return nil
		}
		return ks.WithDB(e.DB).Restore(e.Key, e.Value, e.ExpireAt, cache.RestoreOptions{Replace: true, Idle: -1, Freq: -1})
	})
	out.FileInfo = info
	if err == nil && len(info.Functions) > 0 {
		if lerr := s.ImportLibraries(info.Functions); lerr != nil {
			err = fmt.Errorf("function libraries: %w", lerr)
		}
	}
	if err != nil {
		ks.Flush(true)
		return out, err
	}
	return out, nil
}
