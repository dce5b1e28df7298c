package replay

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/rs/zerolog"

	"fastcache/persistence"
)

// SnapshotTarget receives a snapshot's entries (the cache implements it).
// LoadSnapshotEntry may be called from several goroutines at once, never
// concurrently for keys of the same snapshot shard.
type SnapshotTarget interface {
	LoadSnapshotEntry(r *persistence.Record)
	// FlushWhere removes every key of database db (of every database with
	// all) for which pred is true (not logged).
	FlushWhere(db int, all bool, pred func(key []byte) bool)
}

// Cut tells which WAL records a loaded snapshot already contains: a record is
// covered when its LSN is at most the cut of the snapshot shard that owned
// its key.
type Cut struct {
	Meta *persistence.SnapshotMeta // nil: no snapshot, nothing covered
	mask uint64
}

// NewCut builds the filter for meta (nil allowed).
func NewCut(meta *persistence.SnapshotMeta) *Cut {
	c := &Cut{Meta: meta}
	if meta != nil {
		c.mask = uint64(len(meta.Shards) - 1)
	}
	return c
}

// StartSegment is the first WAL segment replay must read.
func (c *Cut) StartSegment() uint64 {
	if c == nil || c.Meta == nil {
		return 0
	}
	return c.Meta.WALSegment
}

// Covers reports whether the snapshot already reflects record r for key.
func (c *Cut) Covers(lsn uint64, key []byte) bool {
	if c == nil || c.Meta == nil {
		return false
	}
	return lsn <= c.Meta.Shards[xxhash.Sum64(key)&c.mask].Cut
}

// CoversAny reports whether some snapshot shard's cut is at or after lsn
// (a keyless record with such an LSN is partly reflected by the snapshot).
func (c *Cut) CoversAny(lsn uint64) bool {
	if c == nil || c.Meta == nil {
		return false
	}
	for _, s := range c.Meta.Shards {
		if lsn <= s.Cut {
			return true
		}
	}
	return false
}

// CoversAll reports whether every snapshot shard's cut is at or after lsn
// (a FLUSHALL with such an LSN is wholly reflected by the snapshot).
func (c *Cut) CoversAll(lsn uint64) bool {
	if c == nil || c.Meta == nil {
		return false
	}
	for _, s := range c.Meta.Shards {
		if lsn > s.Cut {
			return false
		}
	}
	return true
}

// LoadNewestSnapshot loads the newest snapshot in dir that verifies, falling
// back to older ones with a warning when the newest is damaged, so a damaged
// snapshot never silently loses data: its predecessor plus the (kept) log
// rebuild the same state. It returns nil meta when there is no snapshot.
//
// A snapshot is verified completely (header, footer and every block
// checksum) before the first entry is delivered, so a fallback never starts
// from a half-loaded keyspace.
func LoadNewestSnapshot(dir string, target SnapshotTarget, log zerolog.Logger) (*persistence.SnapshotMeta, error) {
	return loadNewest(dir, target, log, true)
}

// LoadSnapshotOnly loads the newest snapshot in dir, without a WAL after it
// (appendonly no): a damaged one is an error, never a fall back to an older
// one, which would silently lose the writes between the two.
func LoadSnapshotOnly(dir string, target SnapshotTarget, log zerolog.Logger) (*persistence.SnapshotMeta, error) {
	return loadNewest(dir, target, log, false)
}

func loadNewest(dir string, target SnapshotTarget, log zerolog.Logger, fallback bool) (*persistence.SnapshotMeta, error) {
	list, err := persistence.ListSnapshots(dir)
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	for i, path := range list {
		start := time.Now()
		meta, err := persistence.ReadSnapshot(path, runtime.GOMAXPROCS(0), func(_ int, r *persistence.Record) {
			target.LoadSnapshotEntry(r)
		})
		var unsupported *persistence.UnsupportedError
		if errors.As(err, &unsupported) {
			return nil, fmt.Errorf("%s: %w", path, err) // newer data: never fall back past it
		}
		if err != nil {
			if !fallback {
				return nil, fmt.Errorf("%s: %w (appendonly no: move the file aside to start from the previous snapshot, which lacks the writes after it)", path, err)
			}
			if i+1 < len(list) {
				log.Warn().Err(err).Str("file", path).Str("fallback", list[i+1]).
					Msg("newest snapshot is damaged; falling back to the previous snapshot plus the WAL")
				target.FlushWhere(0, true, func([]byte) bool { return true })
				continue
			}
			return nil, fmt.Errorf("%w (no older snapshot to fall back to; move the file aside to start from the WAL alone, which may be incomplete if it was pruned)", err)
		}
		d := time.Since(start)
		log.Info().Str("file", path).Uint64("keys", meta.Keys).Int64("bytes", meta.Size).Dur("took", d.Round(time.Microsecond)).
			Float64("keys_per_sec", math.Round(float64(meta.Keys)/max(d.Seconds(), 1e-9))).Msg("snapshot loaded")
		return meta, nil
	}
	return nil, nil
}
