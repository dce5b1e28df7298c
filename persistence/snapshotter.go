package persistence

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"fastcache/internal/latency"
)

// SnapshotSource is the keyspace being snapshotted (the cache implements it).
type SnapshotSource interface {
	Shards() int
	WriteSnapshot(w *SnapshotWriter) error
}

// SegmentLog is what the snapshotter needs from the WAL: a rotation that
// returns the first segment id the snapshot will not cover, and pruning of
// segments before an id.
type SegmentLog interface {
	Rotate() (uint64, error)
	RemoveSegmentsBefore(id uint64) (int, error)
}

// ErrSaveInProgress is returned by BGSave while a snapshot runs.
var ErrSaveInProgress = errors.New("ERR Background save already in progress")

// SnapshotterOptions configure a Snapshotter.
type SnapshotterOptions struct {
	Dir      string // <datadir>/snapshot
	Codec    string // none | s2 | zstd
	Keep     int    // snapshots to keep (>= 1)
	Source   SnapshotSource
	Log      SegmentLog // nil: no WAL (appendonly no), nothing to prune
	Logger   zerolog.Logger
	OnSaved  func(size int64) // called after each successful snapshot
	OnFailed func(err error)  // called after each failed background one (BGSave), as only those set Redis's lastbgsave_status
	// AfterCommit, when set, runs once the snapshot file is committed and
	// before the save counts as done (save-rdb-copy: the RDB file); its
	// error fails the save.
	AfterCommit func() error
	Latency     *latency.Monitor // notes each snapshot's duration (nil: none)
}

// Snapshotter takes snapshots (SAVE, BGSAVE, BGREWRITEAOF, automatic
// triggers, shutdown) one at a time, then prunes old snapshots and the WAL
// segments the oldest kept snapshot covers.
type Snapshotter struct {
	o  SnapshotterOptions
	mu sync.Mutex // one snapshot at a time

	running      atomic.Bool
	startedAt    atomic.Int64 // unix ms of the running snapshot
	lastSave     atomic.Int64 // unix s of the last successful snapshot
	lastOK       atomic.Bool
	lastDuration atomic.Int64 // ms
	lastSize     atomic.Int64
	saves        atomic.Int64
	failures     atomic.Int64
	totalNanos   atomic.Int64 // all snapshots' time, failed ones included
	totalBytes   atomic.Int64 // bytes of the snapshots written
	lastErr      atomic.Pointer[string]
	lastPath     string // guarded by mu
	wg           sync.WaitGroup
}

// NewSnapshotter returns a snapshotter; LastSave starts at the time of the
// newest snapshot on disk (or now).
func NewSnapshotter(o SnapshotterOptions) *Snapshotter {
	if o.Keep < 1 {
		o.Keep = 1
	}
	s := &Snapshotter{o: o}
	s.lastOK.Store(true)
	s.lastSave.Store(time.Now().Unix())
	if list, _ := ListSnapshots(o.Dir); len(list) > 0 {
		if st, err := os.Stat(list[0]); err == nil {
			s.lastSave.Store(st.ModTime().Unix())
			s.lastSize.Store(st.Size())
		}
	}
	return s
}

// Save takes a snapshot and waits for it (SAVE).
func (s *Snapshotter) Save() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.save()
}

// SaveIfIdle is Save, or ErrSaveInProgress while a snapshot runs (Redis's
// SAVE during a BGSAVE).
func (s *Snapshotter) SaveIfIdle() error {
	if !s.mu.TryLock() {
		return ErrSaveInProgress
	}
	defer s.mu.Unlock()
	return s.save()
}

// BGSave starts a snapshot in the background (BGSAVE, BGREWRITEAOF).
func (s *Snapshotter) BGSave() error {
	if !s.mu.TryLock() {
		return ErrSaveInProgress
	}
	s.running.Store(true)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.mu.Unlock()
		if err := s.save(); err != nil {
			s.o.Logger.Error().Err(err).Msg("background snapshot failed")
			if s.o.OnFailed != nil {
				s.o.OnFailed(err)
			}
		}
	}()
	return nil
}

// SaveOpen takes a fresh snapshot (after any running one) and returns it
// opened for reading, so later pruning cannot take it away while a replica
// receives it.
func (s *Snapshotter) SaveOpen() (*os.File, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.save(); err != nil {
		return nil, 0, err
	}
	f, err := os.Open(s.lastPath)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// Exclusive runs fn while no snapshot runs (none starts until it returns):
// the snapshot files and the WAL segments stay as they are (DEBUG LOADAOF
// reads them).
func (s *Snapshotter) Exclusive(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn()
}

// Wait waits for a background snapshot to finish.
func (s *Snapshotter) Wait() { s.wg.Wait() }

func (s *Snapshotter) save() (err error) {
	start := time.Now()
	s.running.Store(true)
	s.startedAt.Store(start.UnixMilli())
	defer func() {
		s.running.Store(false)
		d := time.Since(start)
		s.lastDuration.Store(d.Milliseconds())
		s.totalNanos.Add(int64(d))
		s.o.Latency.Note(latency.EventSnapshot, d)
		if err != nil {
			s.lastOK.Store(false)
			s.failures.Add(1)
			msg := err.Error()
			s.lastErr.Store(&msg)
		}
	}()
	var seg uint64
	if s.o.Log != nil {
		if seg, err = s.o.Log.Rotate(); err != nil {
			return fmt.Errorf("snapshot: rotate WAL: %w", err)
		}
	}
	w, err := CreateSnapshot(s.o.Dir, s.o.Source.Shards(), s.o.Codec, seg)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if err := s.o.Source.WriteSnapshot(w); err != nil {
		w.Abort()
		return fmt.Errorf("snapshot: %w", err)
	}
	path, size, err := w.Commit()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	s.lastPath = path
	if s.o.AfterCommit != nil {
		if err := s.o.AfterCommit(); err != nil {
			return err
		}
	}
	s.lastOK.Store(true)
	s.lastSave.Store(time.Now().Unix())
	s.lastSize.Store(size)
	s.totalBytes.Add(size)
	s.saves.Add(1)
	removedSnaps, removedSegs, perr := s.prune()
	took := time.Since(start)
	s.o.Logger.Info().Str("file", path).Int64("bytes", size).Dur("took", took.Round(time.Microsecond)).
		Float64("mb_per_sec", float64(int64(float64(size)/1e6/max(took.Seconds(), 1e-9)*100))/100).
		Int("old_snapshots_removed", removedSnaps).Int("wal_segments_removed", removedSegs).Msg("snapshot saved")
	if perr != nil {
		s.o.Logger.Warn().Err(perr).Msg("pruning after snapshot failed")
	}
	if s.o.OnSaved != nil {
		s.o.OnSaved(size)
	}
	return nil
}

// prune keeps the newest Keep valid snapshots and removes the WAL segments
// that the oldest kept one fully covers, so that falling back from a damaged
// newest snapshot to an older one still finds its log.
func (s *Snapshotter) prune() (snaps, segs int, err error) {
	list, err := ListSnapshots(s.o.Dir)
	if err != nil {
		return 0, 0, err
	}
	var kept []*SnapshotMeta
	for _, p := range list {
		if len(kept) == s.o.Keep {
			if os.Remove(p) == nil {
				snaps++
			}
			continue
		}
		m, verr := VerifySnapshot(p)
		if verr != nil {
			s.o.Logger.Warn().Err(verr).Str("file", p).Msg("damaged snapshot removed")
			os.Remove(p)
			snaps++
			continue
		}
		kept = append(kept, m)
	}
	if s.o.Log == nil || len(kept) == 0 {
		return snaps, 0, nil
	}
	oldest := kept[len(kept)-1].WALSegment
	segs, err = s.o.Log.RemoveSegmentsBefore(oldest)
	return snaps, segs, err
}

// SnapshotStats are the INFO persistence figures of snapshots.
type SnapshotStats struct {
	InProgress      bool
	CurrentSeconds  int64
	LastSave        int64 // unix s
	LastOK          bool
	LastDurationMs  int64
	LastSize        int64
	Saves, Failures int64
	LastError       string
	TotalNanos      int64 // time spent in snapshots, all of them
	TotalBytes      int64 // bytes of the snapshots written
}

// Stats returns the snapshot figures.
func (s *Snapshotter) Stats() SnapshotStats {
	st := SnapshotStats{
		InProgress: s.running.Load(), LastSave: s.lastSave.Load(), LastOK: s.lastOK.Load(),
		LastDurationMs: s.lastDuration.Load(), LastSize: s.lastSize.Load(), Saves: s.saves.Load(), Failures: s.failures.Load(),
		TotalNanos: s.totalNanos.Load(), TotalBytes: s.totalBytes.Load(),
	}
	if st.InProgress {
		st.CurrentSeconds = (time.Now().UnixMilli() - s.startedAt.Load()) / 1000
	}
	if p := s.lastErr.Load(); p != nil {
		st.LastError = *p
	}
	return st
}

// LastSave is the unix time of the last successful snapshot (LASTSAVE).
func (s *Snapshotter) LastSave() int64 { return s.lastSave.Load() }
