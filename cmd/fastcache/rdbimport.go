package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"fastcache/config"
	"fastcache/internal/mapfile"
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
func importRedisRDB(cfg *config.Config, srv *server.Server, log zerolog.Logger) error {
	name := "dump.rdb"
	for _, kv := range cfg.Get("dbfilename") {
		name = kv[1]
	}
	path := filepath.Join(cfg.Dir(), name)
	b, release, err := mapfile.Map(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	defer release()
	start := time.Now()
	res, err := srv.LoadRDB(b, false)
	if err != nil {
		// Redis's words for the same end (its corrupt-dump tests look for them)
		log.Error().Err(err).Str("file", path).Msg("Terminating server after rdb file reading failure.")
		return fmt.Errorf("import the Redis RDB file %s: %w (nothing imported; move the file away to start without it)", path, err)
	}
	for _, k := range res.EmptyKeys {
		log.Warn().Msg("skipping empty key: " + k)
	}
	if res.Empty > 0 {
		log.Warn().Int64("keys", res.Empty).Msg(fmt.Sprintf("empty keys skipped: %d", res.Empty))
	}
	log.Info().Str("file", path).Int("rdb_version", res.Version).Str("redis_version", res.Aux["redis-ver"]).
		Int64("keys", res.Keys-res.Expired).Int64("expired_skipped", res.Expired).
		Dur("took", time.Since(start).Round(time.Millisecond)).Msg("imported a Redis RDB file")
	if len(res.Functions) > 0 {
		log.Info().Int("libraries", len(res.Functions)).Msg("imported the function libraries of the Redis RDB file")
	}
	return nil
}
