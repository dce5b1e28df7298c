package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"fastcache/cache"
	"fastcache/config"
	"fastcache/internal/latency"
	"fastcache/persistence"
	"fastcache/replication"
	"fastcache/server"
)

// aof is the server's log and snapshots: opened at start with appendonly
// yes, and started or stopped on a live server by CONFIG SET appendonly, as
// Redis starts and stops its AOF.
//
// Starting it (appendonly yes) makes the log complete before CONFIG SET
// answers: with every client's writes postponed (Server.PauseWrites), the
// files of an earlier log in the data directory are moved aside (they no
// longer describe the dataset: the server ran without logging since), a
// fresh WAL takes over from the unlogged one (Cache.SetWAL, every shard
// locked), and a snapshot of the whole dataset is taken as its base. Only
// then are the old files deleted and writes resumed, so every write
// acknowledged after the switch lies in the base or the log after it. A
// crash during the switch leaves the old files aside (named *.superseded-*,
// reported at the next start) and the new log without its base.
//
// Stopping it (appendonly no) postpones writes too, flushes the log, hands
// the cache an unlogged WAL and closes the log: its files stay on disk, as
// Redis leaves its AOF, and a restart with appendonly yes replays them.
type aof struct {
	replPos         func() (cache.ReplPos, bool) // where a replica stood when it stopped (replication's ClosedPosition)
	snapFailed      atomic.Bool                  // the snapshot-only mode's last snapshot failed (rdb.go)
	cfg             *config.Config
	c               *cache.Cache
	hub             *replication.Hub
	srv             *server.Server
	log             zerolog.Logger
	lat             *latency.Monitor
	walDir, snapDir string
	shards          int
	stop            <-chan struct{} // the server is stopping

	switchMu sync.Mutex // one start or stop at a time
	ready    bool       // start-up is over: switches allowed (under switchMu)

	mu       sync.Mutex // guards wal and snaps, which INFO and the metrics read
	wal      *persistence.WAL
	snaps    *persistence.Snapshotter
	autoStop chan struct{} // ends the current log's autoSnapshot
	autoDone chan struct{}

	// With appendonly no: the snapshots without the WAL (rdb.go).
	rdb              *persistence.Snapshotter
	rdbStop, rdbDone chan struct{}

	// savedLSN is the cache's LSN at the last snapshot: the records since
	// are rdb_changes_since_last_save (each is one change: a command that
	// changes nothing logs nothing).
	savedLSN atomic.Uint64

	// finalSaved: prepareShutdown took the final snapshot (under switchMu)
	finalSaved bool
}

// errSwitchLoading refuses CONFIG SET appendonly while the dataset loads.
var errSwitchLoading = errors.New("the dataset is still loading")

// current returns the log and the snapshotter (nil with appendonly no).
func (a *aof) current() (*persistence.WAL, *persistence.Snapshotter) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.wal, a.snaps
}

// changes is rdb_changes_since_last_save.
func (a *aof) changes() uint64 {
	lsn, saved := a.c.LastLSN(), a.savedLSN.Load()
	if lsn < saved {
		return 0
	}
	return lsn - saved
}

// open starts the log after the records up to lastLSN (those replay
// applied) and the snapshotter, and makes the cache log to it.
func (a *aof) open(lastLSN uint64) error {
	w, err := persistence.Open(persistence.Options{
		Dir: a.walDir, Shards: a.shards, Fsync: a.cfg.AppendFsync(), Compression: a.cfg.WALCompression(),
		SegmentSize: a.cfg.WALSegmentSize(), QueueBytes: int(a.cfg.WALQueueSize()), Log: a.log,
		Export: a.hub.Publish, Followed: a.hub.Followed, Exported: a.hub.Exported, Latency: a.lat,
	})
	if err != nil {
		return fmt.Errorf("open wal: %w", err)
	}
	w.SetLastLSN(lastLSN)
	a.hub.SetLog(w) // a PUBLISH reaches replicas after the writes before it
	a.c.SetWAL(w)
	sn := persistence.NewSnapshotter(persistence.SnapshotterOptions{
		Dir: a.snapDir, Codec: a.cfg.WALCompression(), Keep: a.cfg.SnapshotKeep(), Source: a.c, Log: w, Logger: a.log,
		Latency: a.lat, OnSaved: func(int64) { a.savedLSN.Store(a.c.LastLSN()) }, AfterCommit: a.rdbCopy,
	})
	a.srv.SetSnapshots(walSnapshots{sn, a.cfg, a.log})
	a.srv.SetLogLoader(a.loadLog) // DEBUG LOADAOF
	stop, done := make(chan struct{}), make(chan struct{})
	a.mu.Lock()
	a.wal, a.snaps, a.autoStop, a.autoDone = w, sn, stop, done
	a.mu.Unlock()
	go func() {
		defer close(done)
		autoSnapshot(a.cfg, w, sn, stop, a.stop, a.log)
	}()
	return nil
}

// started ends start-up: CONFIG SET appendonly may switch from now on.
func (a *aof) started() {
	a.switchMu.Lock()
	a.ready = true
	a.switchMu.Unlock()
}

// set is the appendonly hook of CONFIG SET.
func (a *aof) set(on bool) error {
	a.switchMu.Lock()
	defer a.switchMu.Unlock()
	if !a.ready {
		return errSwitchLoading
	}
	w, _ := a.current()
	if on == (w != nil) {
		return nil
	}
	resume := a.srv.PauseWrites()
	defer resume()
	if on {
		// Writes that ran before the pause and answer under appendfsync
		// always wait for the base snapshot too.
		release := a.c.HoldDurability()
		defer release()
		// The snapshots without the WAL stop (after a running BGSAVE): the
		// log's base snapshot supersedes them.
		rdb := a.stopRDB() != nil
		if err := a.enable(); err != nil {
			if rdb {
				a.startRDB()
			}
			return err
		}
		return nil
	}
	if err := a.disable(); err != nil {
		return err
	}
	a.startRDB()
	return nil
}

// enable starts the log on the live dataset (see the type's comment).
func (a *aof) enable() error {
	start := time.Now()
	aside, err := a.moveAside()
	if err != nil {
		return fmt.Errorf("moving the previous log aside: %w", err)
	}
	if err := a.open(a.c.LastLSN()); err != nil {
		a.restoreAside(aside)
		return err
	}
	w, sn := a.current()
	if err := sn.Save(); err != nil {
		a.log.Error().Err(err).Msg("appendonly yes: the base snapshot failed; the log stays off")
		a.close(false)
		a.unlogged(w.LastLSN())
		w.Close()
		os.RemoveAll(a.walDir) // only the new log's segments: the old ones are aside
		a.restoreAside(aside)
		return fmt.Errorf("the base snapshot failed: %w", err)
	}
	for _, d := range aside {
		if err := os.RemoveAll(d); err != nil {
			a.log.Warn().Err(err).Str("dir", d).Msg("removing the previous log failed")
		}
	}
	a.log.Info().Dur("took", time.Since(start).Round(time.Microsecond)).Int64("keys", a.keys()).
		Msg("appendonly yes: the WAL is on, its base snapshot taken")
	return nil
}

func (a *aof) keys() int64 {
	var n int64
	for _, db := range a.c.DBStats() {
		n += db.Keys
	}
	return n
}

// supersededSuffix names a log directory moved aside by appendonly yes.
const supersededSuffix = ".superseded-"

// moveAside renames the WAL and snapshot directories out of the way when
// they hold files, and recreates them empty; it returns the new names.
func (a *aof) moveAside() ([]string, error) {
	var aside []string
	suffix := fmt.Sprintf("%s%d", supersededSuffix, time.Now().UnixMilli())
	for _, d := range []string{a.walDir, a.snapDir} {
		ents, err := os.ReadDir(d)
		if errors.Is(err, os.ErrNotExist) || (err == nil && len(ents) == 0) {
			continue
		}
		if err != nil {
			return aside, err
		}
		if err := os.Rename(d, d+suffix); err != nil {
			a.restoreAside(aside)
			return nil, err
		}
		aside = append(aside, d+suffix)
	}
	if err := os.MkdirAll(a.walDir, 0o755); err != nil {
		a.restoreAside(aside)
		return nil, err
	}
	syncPath(filepath.Dir(a.walDir))
	return aside, nil
}

// restoreAside puts directories moveAside renamed back (best effort: the
// switch failed, the previous log is as it was).
func (a *aof) restoreAside(aside []string) {
	for _, d := range aside {
		orig := d[:strings.LastIndex(d, supersededSuffix)]
		os.RemoveAll(orig)
		if err := os.Rename(d, orig); err != nil {
			a.log.Error().Err(err).Str("dir", d).Msg("restoring the previous log failed")
		}
	}
	os.MkdirAll(a.walDir, 0o755)
	syncPath(filepath.Dir(a.walDir))
}

// disable stops the log (see the type's comment).
func (a *aof) disable() error {
	if a.hub.Followed() {
		return errors.New("replicas or WAL export subscribers follow the log: detach them first")
	}
	w, _ := a.current()
	if err := w.Flush(); err != nil {
		a.log.Warn().Err(err).Msg("appendonly no: the last flush of the WAL failed")
	}
	a.close(false)
	a.unlogged(w.LastLSN())
	if err := w.Close(); err != nil {
		a.log.Warn().Err(err).Msg("appendonly no: closing the WAL failed")
	}
	a.log.Info().Msg("appendonly no: the WAL is off")
	return nil
}

// close stops the snapshots (waiting for a running one, then taking the
// shutdown snapshot if save is set) and forgets the log, which the caller
// closes.
func (a *aof) close(save bool) {
	a.mu.Lock()
	sn, stop, done := a.snaps, a.autoStop, a.autoDone
	a.snaps, a.wal, a.autoStop, a.autoDone = nil, nil, nil, nil
	a.mu.Unlock()
	if sn == nil {
		return
	}
	close(stop)
	<-done
	a.srv.SetSnapshots(nil)
	a.srv.SetLogLoader(nil)
	sn.Wait()
	if save {
		if err := sn.Save(); err != nil {
			a.log.Error().Err(err).Msg("snapshot on shutdown failed; the WAL still holds every write")
		}
	}
}

// shutdown takes the shutdown snapshot (snapshot-on-shutdown, or as
// SHUTDOWN SAVE/NOSAVE says) and closes the log, if it is on; with appendonly no it takes the snapshot the save
// points or SHUTDOWN SAVE ask for (save: SHUTDOWN's SAVE/NOSAVE, nil for
// neither).
func (a *aof) shutdown(save *bool) error {
	a.switchMu.Lock()
	defer a.switchMu.Unlock()
	a.ready = false
	w, _ := a.current()
	if w == nil {
		if err := a.shutdownRDB(save); err != nil {
			return fmt.Errorf("snapshot on shutdown: %w", err)
		}
		return nil
	}
	snap := a.cfg.SnapshotOnShutdown()
	if save != nil { // SHUTDOWN SAVE takes it, NOSAVE skips it
		snap = *save
	}
	a.close(snap)
	if a.replPos != nil {
		if pos, ok := a.replPos(); ok {
			// after the shutdown snapshot: the restart finds a position
			// newer than it and continues from it (cache.LogReplPos)
			a.c.LogReplPos(pos)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("closing the WAL: %w", err)
	}
	return nil
}

// warnSuperseded reports logs an interrupted appendonly yes left aside.
func warnSuperseded(dir string, log zerolog.Logger) {
	for _, pat := range []string{"wal" + supersededSuffix + "*", "snapshot" + supersededSuffix + "*"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, d := range m {
			log.Warn().Str("dir", d).Msg("a CONFIG SET appendonly yes did not finish: this directory holds the log from before it (not loaded); the current log may lack its base snapshot")
		}
	}
}

func syncPath(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

// loadLog is DEBUG LOADAOF (loadLog in main.go), not while the log is
// being started or stopped.
func (a *aof) loadLog() error {
	a.switchMu.Lock()
	defer a.switchMu.Unlock()
	w, sn := a.current()
	if w == nil || sn == nil {
		return errors.New("the WAL is off (appendonly no)")
	}
	return loadLog(a.c, w, sn, a.snapDir, a.walDir, a.log)
}
