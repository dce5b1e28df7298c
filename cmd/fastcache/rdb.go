package main

// Snapshot-only persistence with appendonly no: Redis's RDB mode. SAVE and
// BGSAVE write a snapshot of the keyspace into <dir>/snapshot (the same
// snapshots the WAL mode takes), the save points (`save <seconds>
// <changes>`) start a BGSAVE as Redis's serverCron does, a snapshot is taken
// on SHUTDOWN/SIGTERM when save points are set (SHUTDOWN SAVE/NOSAVE
// override), and a start with appendonly no loads the newest snapshot (no
// WAL replay). What survives a crash is what the last snapshot holds.
//
// A snapshot taken without the WAL names as its first uncovered WAL
// segment the one after every segment on disk (persistence.NextSegment):
// segments left by an earlier appendonly yes are older than the dataset it
// holds, so a restart with appendonly yes loads it and replays only the log
// written after it (whose LSNs follow the snapshot's cuts: the server
// starts its LSNs at the loaded snapshot's highest cut).

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"fastcache/cache"
	"fastcache/config"
	"fastcache/persistence"
)

// staleLog is the snapshotter's SegmentLog without a WAL: nothing to rotate
// or prune, the snapshot covers every segment on disk.
type staleLog struct{ dir string }

func (l staleLog) Rotate() (uint64, error)                { return persistence.NextSegment(l.dir) }
func (staleLog) RemoveSegmentsBefore(uint64) (int, error) { return 0, nil }

// lsnSource is the cache as a snapshot source that notes the LSN when a
// snapshot starts: every change up to it is in the snapshot, the ones after
// may not be (rdb_changes_since_last_save counts them, as Redis keeps the
// changes made during a BGSAVE dirty).
type lsnSource struct {
	c       *cache.Cache
	started atomic.Uint64
}

func (s *lsnSource) Shards() int { return s.c.Shards() }

func (s *lsnSource) WriteSnapshot(w *persistence.SnapshotWriter) error {
	s.started.Store(s.c.LastLSN())
	return s.c.WriteSnapshot(w)
}

// rdbCommands serves SAVE, BGSAVE and LASTSAVE with appendonly no: a SAVE
// while a BGSAVE runs is refused, as Redis's.
type rdbCommands struct {
	*persistence.Snapshotter
	cfg *config.Config
	log zerolog.Logger
}

func (r rdbCommands) Save() error { return r.SaveIfIdle() }

// FlushedAll is FLUSHALL's: with save points set the emptied dataset is
// saved at once (after a running BGSAVE), as Redis's, so a crash does not
// bring the flushed keys back from the last snapshot.
func (r rdbCommands) FlushedAll() {
	if len(r.cfg.SavePoints()) == 0 {
		return
	}
	if err := r.Snapshotter.Save(); err != nil {
		r.log.Error().Err(err).Msg("FLUSHALL: saving the empty dataset failed")
	}
}

// walSnapshots serves SAVE, BGSAVE and LASTSAVE with appendonly yes.
type walSnapshots struct {
	*persistence.Snapshotter
	cfg *config.Config
	log zerolog.Logger
}

// FlushedAll is FLUSHALL's with the WAL: with save points set Redis also
// saves the emptied dataset (its RDB file, next to the AOF), which resets
// rdb_changes_since_last_save; here the snapshot of the empty dataset does,
// and the log's segments before it can go.
func (r walSnapshots) FlushedAll() {
	if len(r.cfg.SavePoints()) == 0 {
		return
	}
	if err := r.Snapshotter.Save(); err != nil {
		r.log.Error().Err(err).Msg("FLUSHALL: saving the empty dataset failed")
	}
}

// unlogged hands the cache and the hub a WAL that logs nothing, numbering
// changes after lsn.
func (a *aof) unlogged(lsn uint64) {
	dw := persistence.NewDisabled(a.shards)
	dw.SetLastLSN(lsn)
	a.hub.SetLog(dw)
	a.c.SetWAL(dw)
}

// startRDB makes SAVE, BGSAVE and the save points write snapshots without
// the WAL (appendonly no).
func (a *aof) startRDB() {
	src := &lsnSource{c: a.c}
	sn := persistence.NewSnapshotter(persistence.SnapshotterOptions{
		Dir: a.snapDir, Codec: a.cfg.WALCompression(), Keep: a.cfg.SnapshotKeep(), Source: src,
		Log: staleLog{a.walDir}, Logger: a.log, Latency: a.lat,
		OnSaved:     func(int64) { a.savedLSN.Store(src.started.Load()); a.snapshotDone(true) },
		OnFailed:    func(error) { a.snapshotDone(false) },
		AfterCommit: a.rdbCopy,
	})
	stop, done := make(chan struct{}), make(chan struct{})
	a.mu.Lock()
	a.rdb, a.rdbStop, a.rdbDone = sn, stop, done
	a.mu.Unlock()
	a.srv.SetSnapshots(rdbCommands{sn, a.cfg, a.log})
	go func() {
		defer close(done)
		a.savePoints(sn, stop)
	}()
}

// stopRDB ends the snapshot-only mode, waiting for a running BGSAVE; it
// returns the snapshotter (nil if the mode was off).
func (a *aof) stopRDB() *persistence.Snapshotter {
	a.mu.Lock()
	sn, stop, done := a.rdb, a.rdbStop, a.rdbDone
	a.rdb, a.rdbStop, a.rdbDone = nil, nil, nil
	a.mu.Unlock()
	if sn == nil {
		return nil
	}
	close(stop)
	<-done
	a.srv.SetSnapshots(nil)
	sn.Wait()
	a.snapFailed.Store(false) // the WAL's snapshots do not stop writes
	a.applyStopWrites()
	return sn
}

// rdbCopy writes <dir>/<dbfilename> as Redis's RDB file after each
// snapshot when save-rdb-copy is yes (for backups that copy dump.rdb after
// BGSAVE). The file is its own point in time, taken right after the
// snapshot's; it replaces the previous one whole (written aside, synced,
// renamed), so a reader never sees half of one. A start that finds no data
// of fastcache's own imports it (the way back from a backup).
func (a *aof) rdbCopy() error {
	if !a.cfg.SaveRDBCopy() {
		return nil
	}
	start := time.Now()
	path, size, err := a.srv.SaveRDBFile()
	if err != nil {
		return fmt.Errorf("save-rdb-copy: %w", err)
	}
	a.log.Info().Str("file", path).Int64("bytes", size).Dur("took", time.Since(start).Round(time.Millisecond)).Msg("RDB copy saved")
	return nil
}

// snapshotDone notes how the last snapshot of the snapshot-only mode went.
func (a *aof) snapshotDone(ok bool) {
	a.snapFailed.Store(!ok)
	a.applyStopWrites()
}

// applyStopWrites refuses writes (MISCONF) while the last snapshot failed,
// save points are set and stop-writes-on-bgsave-error is yes, as Redis's
// writeCommandsDeniedByDiskError. Only with appendonly no: with the WAL a
// failed snapshot loses nothing (the log keeps growing until one works).
func (a *aof) applyStopWrites() {
	a.c.SetSnapshotFailed(a.snapFailed.Load() && len(a.cfg.SavePoints()) > 0 && a.cfg.ParamYes("stop-writes-on-bgsave-error"))
}

// snapshots is the snapshotter of either mode (nil while none runs).
func (a *aof) snapshots() *persistence.Snapshotter {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.snaps != nil {
		return a.snaps
	}
	return a.rdb
}

// bgsaveRetryDelay is Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed
// BGSAVE the save points wait this long before trying again.
const bgsaveRetryDelay = 5

// savePoints starts a BGSAVE when one of the save points is reached: at
// least <changes> changes and more than <seconds> seconds since the last
// save (Redis's serverCron test, also checked ten times a second).
func (a *aof) savePoints(sn *persistence.Snapshotter, stop <-chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	since := time.Now().Unix() // as Redis, the clock starts with the server
	var lastTry int64
	for {
		select {
		case <-stop:
			return
		case <-a.stop:
			return
		case <-t.C:
		}
		st := sn.Stats()
		if st.InProgress {
			continue
		}
		now := time.Now().Unix()
		if !st.LastOK && now-lastTry <= bgsaveRetryDelay {
			continue
		}
		last := max(since, st.LastSave)
		changes := int64(a.changes())
		for _, p := range a.cfg.SavePoints() {
			if changes >= p.Changes && now-last > p.Seconds {
				a.log.Info().Int64("changes", changes).Int64("seconds", p.Seconds).Msg("save point reached: starting a background snapshot")
				lastTry = now
				sn.BGSave()
				break
			}
		}
	}
}

// saveOnShutdown reports whether appendonly no takes a snapshot on the way
// out: when save points are set, or as SHUTDOWN SAVE/NOSAVE says.
func (a *aof) saveOnShutdown(save *bool) bool {
	if save != nil {
		return *save
	}
	return len(a.cfg.SavePoints()) > 0
}

// prepareShutdown is the first step of SHUTDOWN and SIGTERM, before the
// server stops serving, as Redis's prepareForShutdown: with appendonly no
// and a snapshot due, it is taken now, with writes paused until the process
// exits (nothing acknowledged after it is lost). If it fails the shutdown
// is refused and the server keeps running with writes resumed, unless
// force (SHUTDOWN FORCE). The final step (shutdownRDB) then has nothing
// left to save. With the WAL on there is nothing to prepare: every write is
// in the log.
func (a *aof) prepareShutdown(save *bool, force bool) error {
	a.switchMu.Lock()
	defer a.switchMu.Unlock()
	a.mu.Lock()
	sn, logged := a.rdb, a.wal != nil
	a.mu.Unlock()
	if logged || sn == nil || !a.saveOnShutdown(save) || a.finalSaved {
		return nil
	}
	resume := a.srv.PauseWrites()
	a.log.Info().Msg("saving the final snapshot before exiting")
	if err := sn.Save(); err != nil {
		if force {
			a.log.Warn().Err(err).Msg("the final snapshot failed; exiting anyway (SHUTDOWN FORCE)")
			a.finalSaved = true // nothing more to try
			return nil
		}
		resume()
		a.log.Error().Err(err).Msg("the final snapshot failed: the shutdown is refused and the server keeps running")
		return fmt.Errorf("snapshot on shutdown: %w", err)
	}
	a.finalSaved = true
	return nil
}

// shutdownRDB ends the snapshot-only mode and takes the shutdown snapshot
// (saveOnShutdown), unless prepareShutdown took it already.
func (a *aof) shutdownRDB(save *bool) error {
	sn := a.stopRDB()
	if sn == nil || a.finalSaved || !a.saveOnShutdown(save) {
		return nil
	}
	a.log.Info().Msg("saving the final snapshot before exiting")
	return sn.Save()
}
