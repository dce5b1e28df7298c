package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"fastcache/cache"
	"fastcache/config"
	"fastcache/internal/rdb"
	"fastcache/server"
)

// importRedisRDB imports a Redis dataset: on a start that found no data of
// fastcache's own (no snapshot, no log records), a Redis RDB file at
// <dir>/<dbfilename> (dump.rdb by default, as redis-server would load it)
// is read into the keyspace, every database, with the keys' expiry times;
// keys already expired are skipped, as Redis skips them when it loads. The
// keys are written as RESTORE writes them, so with appendonly yes they are
// in the log (and survive a crash) once imported, and later starts load
// fastcache's own data, not the file again. Its function libraries are
// loaded as FUNCTION LOAD REPLACE would. A file that cannot be read whole
// stops the start: nothing half-imported is served.
func importRedisRDB(cfg *config.Config, c *cache.Cache, srv *server.Server, log zerolog.Logger) error {
	name := "dump.rdb"
	for _, kv := range cfg.Get("dbfilename") {
		name = kv[1]
	}
	path := filepath.Join(cfg.Dir(), name)
	b, release, err := mapFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	defer release()
	start := time.Now()
	now := start.UnixMilli()
	dbs := cfg.Databases()
	var expired int64
	info, err := rdb.ReadFile(b, func(e rdb.FileEntry) error {
		if e.DB < 0 || e.DB >= dbs {
			return fmt.Errorf("key %q is in database %d, beyond databases %d", e.Key, e.DB, dbs)
		}
		if e.ExpireAt != 0 && e.ExpireAt <= now {
			expired++
			return nil
		}
		return c.Keyspace().WithDB(e.DB).Restore(e.Key, e.Value, e.ExpireAt, cache.RestoreOptions{Replace: true, Idle: -1, Freq: -1})
	})
	if err != nil {
		// what was imported is in the keyspace (and the log): clear it, so
		// that a corrected file imports cleanly on the next start
		c.Keyspace().Flush(true)
		// Redis's words for the same end (its corrupt-dump tests look for them)
		log.Error().Err(err).Str("file", path).Msg("Terminating server after rdb file reading failure.")
		return fmt.Errorf("import the Redis RDB file %s: %w (nothing imported; move the file away to start without it)", path, err)
	}
	for _, k := range info.EmptyKeys {
		log.Warn().Msg("skipping empty key: " + k)
	}
	if info.Empty > 0 {
		log.Warn().Int64("keys", info.Empty).Msg(fmt.Sprintf("empty keys skipped: %d", info.Empty))
	}
	log.Info().Str("file", path).Int("rdb_version", info.Version).Str("redis_version", info.Aux["redis-ver"]).
		Int64("keys", info.Keys-expired).Int64("expired_skipped", expired).
		Dur("took", time.Since(start).Round(time.Millisecond)).Msg("imported a Redis RDB file")
	if len(info.Functions) > 0 {
		if err := srv.ImportLibraries(info.Functions); err != nil {
			return fmt.Errorf("import the function libraries of the Redis RDB file %s: %w", path, err)
		}
		log.Info().Int("libraries", len(info.Functions)).Msg("imported the function libraries of the Redis RDB file")
	}
	return nil
}
