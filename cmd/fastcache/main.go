// Command fastcache is a Redis-compatible cache server whose data survives
// restarts: every write goes to a write-ahead log that is replayed at start.
//
//	fastcache [/path/to/fastcache.conf] [--directive value ...]
//	fastcache wal check [--repair] DIR
//	fastcache wal dump DIR
//	fastcache wal tail --addr host:port [--token T] [--count N]
package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"

	"github.com/rs/zerolog"

	"fastcache/cache"
	"fastcache/config"
	"fastcache/internal/affinity"
	"fastcache/internal/latency"
	"fastcache/internal/lowprio"
	"fastcache/metrics"
	"fastcache/persistence"
	"fastcache/replay"
	"fastcache/replication"
	"fastcache/server"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "wal" {
		os.Exit(walTool(os.Args[2:], os.Stdout, os.Stderr))
	}
	cfg, err := config.Load(os.Args[1:])
	switch {
	case errors.Is(err, config.ErrHelp):
		fmt.Print(config.Usage())
		return
	case errors.Is(err, config.ErrVersion):
		fmt.Printf("fastcache v=%s (Redis %s compatible)\n", server.FastcacheVersion, server.Version)
		return
	case err != nil:
		fmt.Fprintf(os.Stderr, "fastcache: %v\n", err)
		os.Exit(1)
	}
	if shouldDaemonize(cfg) {
		if err := daemonize(); err != nil {
			fmt.Fprintf(os.Stderr, "fastcache: daemonize: %v\n", err)
			os.Exit(1)
		}
		return
	}
	log, closeLog, err := newLogger(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fastcache: %v\n", err)
		os.Exit(1)
	}
	defer closeLog()
	pinCPUs(cfg, log)
	if path := os.Getenv("FASTCACHE_CPUPROFILE"); path != "" {
		// For profiling under a benchmark: written when the server stops.
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	tuneGC(cfg)
	cfg.OnChange("maxmemory", func(cfg *config.Config) error { tuneGC(cfg); return nil })
	if err := run(cfg, log); err != nil {
		log.Error().Err(err).Msg("fastcache stopped with an error")
		closeLog()
		os.Exit(1)
	}
}

// unquotePrintable undoes the console writer's quotes around a value that
// only non-ASCII made it quote (took="82µs" -> took=82µs); values with
// spaces, quotes or control characters keep them.
func unquotePrintable(v any) string {
	if b, ok := v.([]byte); ok { // JSON of an object or array
		return string(b)
	}
	s := fmt.Sprint(v)
	if len(s) < 2 || s[0] != '"' {
		return s
	}
	u, err := strconv.Unquote(s)
	if err != nil || u == "" {
		return s
	}
	for _, r := range u {
		if r <= ' ' || r == '"' || r == '\\' || r == 0x7f || !unicode.IsPrint(r) {
			return s
		}
	}
	return u
}

// logTimeFormat is RFC 3339 with milliseconds (2026-01-02T15:04:05.123+01:00).
const logTimeFormat = "2006-01-02T15:04:05.000Z07:00"

// newLogger builds the one logger of the process from loglevel, logfile and logformat.
func newLogger(cfg *config.Config) (zerolog.Logger, func(), error) {
	var out io.Writer = os.Stderr
	closeFn := func() {}
	if f := cfg.LogFile(); f != "" {
		fh, err := os.OpenFile(f, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return zerolog.Logger{}, nil, fmt.Errorf("open logfile: %w", err)
		}
		out = fh
		closeFn = func() { fh.Close() }
		// A crash (a panic nothing recovers, a fatal runtime error, SIGABRT
		// or SIGQUIT) prints its stack traces to stderr, which a server
		// started with a logfile may not keep: the runtime writes them to the
		// logfile too, where whoever looks into the crash reads first.
		if err := debug.SetCrashOutput(fh, debug.CrashOptions{}); err != nil {
			fh.Close()
			return zerolog.Logger{}, nil, fmt.Errorf("logfile as crash output: %w", err)
		}
	}
	// zerolog's defaults drop sub-second precision (RFC 3339) and print a
	// duration as a bare float of milliseconds ("took":5.926852); set once,
	// before the one logger is built: millisecond timestamps in both formats
	// and durations as Go duration strings with their unit ("took":"5.93ms").
	zerolog.TimeFieldFormat = logTimeFormat
	zerolog.DurationFieldFormat = zerolog.DurationFormatString
	if cfg.LogFormat() == "console" {
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: "2006-01-02 15:04:05.000", NoColor: cfg.LogFile() != "",
			FormatFieldValue: unquotePrintable}
	}
	level := map[string]zerolog.Level{
		"debug": zerolog.DebugLevel, "verbose": zerolog.DebugLevel, "notice": zerolog.InfoLevel,
		"warning": zerolog.WarnLevel, "nothing": zerolog.Disabled,
	}[cfg.LogLevel()]
	var syslogErr error
	if cfg.ParamYes("syslog-enabled") {
		// to syslog too, as Redis's (which logs to both); a syslog that
		// cannot be reached is said in the log, not fatal
		sw, closeSys, err := openSyslog(cfg.Param("syslog-facility"), cfg.Param("syslog-ident"))
		if err != nil {
			syslogErr = err
		} else {
			out = zerolog.MultiLevelWriter(out, sw)
			closeFile := closeFn
			closeFn = func() { closeSys(); closeFile() }
		}
	}
	log := zerolog.New(out).Level(level).With().Timestamp().Int("pid", os.Getpid()).Logger()
	if syslogErr != nil {
		log.Warn().Err(syslogErr).Msg("syslog-enabled: cannot reach syslog; logging without it")
	}
	return log, closeFn, nil
}

// run starts the server, replays the data, serves until a signal or
// SHUTDOWN, and stops cleanly (drain the WAL queues, final fsync).
func run(cfg *config.Config, log zerolog.Logger) error {
	dir := cfg.Dir()
	walDir := filepath.Join(dir, "wal")
	snapDir := filepath.Join(dir, "snapshot")
	if err := os.MkdirAll(walDir, 0o755); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	pidFile := cfg.InDir(cfg.PidFile())
	if pidFile == "" && daemonized() {
		pidFile = defaultDaemonPidFile
	}
	if pf := pidFile; pf != "" {
		// as Redis: a pid file that cannot be written is only a warning
		if err := os.WriteFile(pf, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644); err != nil {
			log.Warn().Err(err).Str("pidfile", pf).Msg("failed to write the pid file")
		} else {
			defer os.Remove(pf)
		}
	}

	shards := cfg.Shards()
	if shards == 0 {
		shards = cache.DefaultShards()
	}
	// One LATENCY monitor for the server, the cache and the WAL (the
	// server applies latency-monitor-threshold to it).
	lat := latency.NewMonitor()
	c := cache.New(cache.Options{
		Shards: shards, MaxMemory: cfg.MaxMemory(), Policy: cfg.MaxMemoryPolicy(),
		Samples: cfg.MaxMemorySamples(), Log: log, Databases: cfg.Databases(), Latency: lat,
	})

	var (
		progress = &replay.Progress{}
		stopOnce sync.Once
		stopCh   = make(chan struct{})
	)
	requestStop := func() { stopOnce.Do(func() { close(stopCh) }) }
	var shutdownSave atomic.Pointer[bool] // SHUTDOWN SAVE/NOSAVE

	// The WAL stream: export peers and replicas (package replication).
	hub := replication.NewHub(replication.HubOptions{
		OnFull: cfg.WALExportOnFull(), WriteTimeout: cfg.WALExportWriteTimeout(),
		MaxSubs: cfg.WALExportMaxSubscribers(), Log: log, Backlog: cfg.ParamInt("repl-backlog-size"),
	})
	cfg.OnChange("repl-backlog-size", func(cfg *config.Config) error { hub.SetBacklog(cfg.ParamInt("repl-backlog-size")); return nil })
	cfg.OnChange("wal-export-on-full", func(cfg *config.Config) error { hub.SetOnFull(cfg.WALExportOnFull()); return nil })
	cfg.OnChange("wal-export-write-timeout", func(cfg *config.Config) error {
		hub.SetWriteTimeout(cfg.WALExportWriteTimeout())
		return nil
	})
	cfg.OnChange("wal-export-max-subscribers", func(cfg *config.Config) error {
		hub.SetMaxSubs(cfg.WALExportMaxSubscribers())
		return nil
	})
	exporter := replication.NewExporter(hub, cfg.WALExportToken, log)
	var srvRef *server.Server
	// The log and the snapshots (aof.go): opened after replay, started and
	// stopped by CONFIG SET appendonly.
	persist := &aof{cfg: cfg, c: c, hub: hub, log: log, lat: lat, walDir: walDir, snapDir: snapDir,
		shards: shards, stop: stopCh}
	cfg.OnChange("appendonly", func(cfg *config.Config) error { return persist.set(cfg.AppendOnly()) })
	for _, name := range []string{"save", "stop-writes-on-bgsave-error"} {
		cfg.OnChange(name, func(*config.Config) error { persist.applyStopWrites(); return nil })
	}
	cfg.OnChange("appendfsync", func(cfg *config.Config) error {
		if w, _ := persist.current(); w != nil {
			return w.SetPolicy(cfg.AppendFsync())
		}
		return nil
	})
	replOpts := replication.ManagerOptions{
		Cache: c, Hub: hub, Dir: dir, MasterAuth: cfg.MasterAuth, BindSource: cfg.BindSourceAddr, SocketMark: uint32(cfg.ParamInt("socket-mark-id")), Port: cfg.Port(), Log: log,
		SetLoading: func(v bool) { srvRef.SetLoading(v) },
		// the primary's PUBLISHes, to this server's subscribers
		Publish:    func(shard bool, ch, msg []byte) { srvRef.PublishReplicated(shard, ch, msg) },
		PingPeriod: cfg.ReplPingReplicaPeriod, Timeout: cfg.ReplTimeout,
		ReadOnly:        func() bool { return cfg.ParamYes("replica-read-only") },
		IgnoreMaxMemory: func() bool { return cfg.ParamYes("replica-ignore-maxmemory") },
		ServeStale:      func() bool { return cfg.ParamYes("replica-serve-stale-data") },
		Priority:        func() int64 { return cfg.ParamInt("replica-priority") },
		Announced:       func() bool { return cfg.ParamYes("replica-announced") },
		AnnounceIP:      func() string { return cfg.Param("replica-announce-ip") },
		AnnouncePort:    func() int64 { return cfg.ParamInt("replica-announce-port") },
		MasterUser:      func() string { return cfg.Param("masteruser") },
		BacklogTTL:      func() int64 { return cfg.ParamInt("repl-backlog-ttl") },
	}
	// A replica's full resync gets a fresh snapshot (appendonly no has none).
	replOpts.Snapshot = func() (*os.File, int64, error) {
		_, sn := persist.current()
		if sn == nil {
			return nil, 0, errors.New("the dataset is still loading")
		}
		return sn.SaveOpen()
	}
	replOpts.Serving = func() bool { w, _ := persist.current(); return w != nil }
	replOpts.TLS = func() *tls.Config { return srvRef.TLSClientConfig() } // tls-replication
	// A redis-server replica of this server: the dataset as an RDB file.
	replOpts.RedisRDB = func(w io.Writer, eof bool) (uint64, error) { return srvRef.WriteReplicaRDB(w, eof) }
	// A redis-server primary: its RDB file and its commands (server.MasterClient).
	replOpts.RedisPrimary = replication.RedisPrimaryHooks{
		Runner:  func() *server.MasterClient { return srvRef.NewMasterClient() },
		LoadRDB: func(b []byte) (server.RDBLoad, error) { return srvRef.LoadRDB(b, true) },
	}
	repl := replication.NewManager(replOpts)
	persist.replPos = repl.ClosedPosition
	repl.ConfigChanged() // the primary's role to begin with (repl-backlog-ttl)
	for _, name := range []string{"replica-read-only", "slave-read-only", "replica-ignore-maxmemory", "slave-ignore-maxmemory",
		"replica-serve-stale-data", "slave-serve-stale-data", "repl-backlog-ttl"} {
		cfg.OnChange(name, func(*config.Config) error { repl.ConfigChanged(); return nil })
	}

	srv := server.New(server.Options{
		Config: cfg,
		Cache:  c,
		Log:    log,
		Shutdown: func(save *bool, force bool) error {
			if err := persist.prepareShutdown(save, force); err != nil {
				return err
			}
			shutdownSave.Store(save)
			requestStop()
			return nil
		},
		Loading: func() server.LoadingInfo { return loadingInfo(progress) },
		InfoSections: map[string]func() string{
			"persistence": func() string {
				w, _ := persist.current()
				sn := persist.snapshots()
				return persistenceInfo(cfg, w) + snapshotInfo(sn) + aofInfo(w, sn, walDir, persist.changes())
			},
			"replication": repl.Info,
			"wal_export":  func() string { return hub.Info(cfg.WALExportListen(), cfg.WALExportConnect()) },
		},
		Replication: repl,
		Latency:     lat,
	})
	srvRef = srv
	persist.srv = srv
	warnSuperseded(dir, log)
	srv.SetLoading(true)
	if err := srv.ApplyRenames(); err != nil {
		return err
	}
	if err := srv.LoadACLFile(); err != nil {
		return err
	}
	if err := srv.LoadClusterConfig(); err != nil {
		return err
	}
	if err := srv.Listen(); err != nil {
		return err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve() }()
	go releaseWhenIdle(func() uint64 { return uint64(srv.Stats().CommandsProcessed) + c.LastLSN() }, stopCh)
	if addr := cfg.MetricsListen(); addr != "" {
		// Up before replay, so a long load can be watched.
		ms, err := metrics.Listen(addr, metrics.NewRegistry(metricsSources(srv, c, hub, repl, progress, &persist.mu, &persist.wal, &persist.snaps)))
		if err != nil {
			srv.Close()
			return err
		}
		defer ms.Close()
		log.Info().Str("addr", "http://"+ms.Addr().String()+"/metrics").Msg("Prometheus metrics endpoint listening")
	}
	log.Info().Str("version", server.FastcacheVersion).Str("redis_compat", server.Version).
		Interface("config", cfg.Summary()).Int("shards", shards).
		Str("listen", fmt.Sprint(srv.Addrs())).Msg("fastcache starting")

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		for {
			select {
			case s := <-sigs:
				log.Info().Str("signal", s.String()).Msg("received signal, shutting down")
				if srv.DeferShutdown(func() { sigs <- s }) {
					// DEBUG PAUSE-CRON holds it (SHUTDOWN ABORT cancels it);
					// the cron sends the signal again once it resumes
					log.Info().Msg("the shutdown waits for the cron (DEBUG PAUSE-CRON)")
					continue
				}
				// With lagging replicas it waits for them first (up to
				// shutdown-timeout) and returns at once; a second SIGINT
				// cuts the wait short.
				if !srv.SignalShutdown(s == syscall.SIGINT) {
					// as Redis: the server keeps running (SIGKILL, or
					// SHUTDOWN NOSAVE / FORCE, stops it regardless)
					log.Error().Msg("errors trying to shut down the server: still running")
				}
			case <-stopCh:
				return
			}
		}
	}()

	// Start-up: load the newest valid snapshot, replay the log after it, then
	// open a fresh segment for new writes.
	ownData := false // a snapshot or log records of fastcache's own were found
	if cfg.AppendOnly() {
		meta, err := replay.LoadNewestSnapshot(snapDir, c, log)
		if err != nil {
			srv.Close()
			return fmt.Errorf("load snapshot: %w", err)
		}
		cut := replay.NewCut(meta)
		res, err := replay.Run(walDir, c, replay.Options{Repair: cfg.WALRepair(), Log: log, Progress: progress, Cut: cut})
		if err != nil {
			srv.Close()
			return fmt.Errorf("replay: %w", err)
		}
		ownData = meta != nil || res.Records > 0
		if meta != nil && meta.MaxCut() > res.MaxLSN {
			res.MaxLSN = meta.MaxCut()
		}
		// A replica resumes from the stream position its log holds, if that
		// position is newer than everything the snapshot holds (else the
		// snapshot may hold frames after it: a full resync is the safe way).
		if pos := c.LastReplPos(); pos.RunID != "" && (meta == nil || pos.LSN > meta.MaxCut()) {
			repl.Resume(pos)
			log.Info().Str("primary_run_id", pos.RunID).Int64("offset", pos.Offset).Msg("replica position found in the log")
		}
		if err := persist.open(res.MaxLSN); err != nil {
			srv.Close()
			return err
		}
		persist.savedLSN.Store(res.MaxLSN) // what is on disk is saved
		expired := c.SweepExpired()
		log.Info().Int64("records", res.Records).Int64("bytes", res.Bytes).Int("segments", res.Segments).
			Int64("keys", c.DBSize(0)).Int("expired_while_down", expired).
			Dur("took", res.Duration.Round(time.Microsecond)).
			Float64("records_per_sec", perSec(float64(res.Records), res.Duration)).
			Float64("mb_per_sec", perSec(float64(res.Bytes)/1e6, res.Duration)).Msg("dataset loaded")
	} else {
		// appendonly no: the newest snapshot, if any, and no WAL (rdb.go).
		start := time.Now()
		meta, err := replay.LoadSnapshotOnly(snapDir, c, log)
		if err != nil {
			srv.Close()
			return fmt.Errorf("load snapshot: %w", err)
		}
		var lsn uint64
		if meta != nil {
			lsn = meta.MaxCut()
			ownData = true
		}
		persist.unlogged(lsn)
		persist.savedLSN.Store(lsn)
		persist.startRDB()
		if meta != nil {
			expired := c.SweepExpired()
			log.Info().Int64("keys", c.DBSize(0)).Int("expired_while_down", expired).
				Dur("took", time.Since(start).Round(time.Microsecond)).Msg("dataset loaded from the snapshot (appendonly no)")
		}
	}
	if !ownData {
		// a first start next to a Redis dataset: import its dump.rdb
		if err := importRedisRDB(cfg, srv, log); err != nil {
			srv.Close()
			return err
		}
	}
	if addr := cfg.WALExportListen(); addr != "" {
		if _, err := exporter.Listen(addr); err != nil {
			srv.Close()
			return err
		}
	}
	if addr := cfg.WALExportConnect(); addr != "" {
		exporter.Connect(addr)
	}
	srv.SetLoading(false)
	persist.started()
	c.Start(cfg.Hz())
	if ro := cfg.ReplicaOf(); ro != "" {
		f := strings.Fields(ro)
		if _, err := repl.ReplicaOf(f[0], f[1]); err != nil {
			log.Error().Err(err).Msg("replicaof")
		}
	}
	log.Info().Msg("Ready to accept connections")
	sup := newSupervisor(cfg, log)
	sup.ready()

	select {
	case <-stopCh:
	case err := <-serveErr:
		if err != nil {
			log.Error().Err(err).Msg("server stopped")
		}
	}
	sup.stopping()
	start := time.Now()
	srv.Close()
	repl.Close()
	c.Close()
	if err := persist.shutdown(shutdownSave.Load()); err != nil {
		exporter.Close()
		return err
	}
	exporter.Close()
	log.Info().Dur("took", time.Since(start).Round(time.Microsecond)).Msg("fastcache stopped cleanly")
	return nil
}

// loadLog is DEBUG LOADAOF: while no snapshot runs and with every shard
// locked, the WAL is written out and fsynced, the keyspace cleared, and
// rebuilt as at a start: the newest snapshot, then the WAL after it.
func loadLog(c *cache.Cache, w *persistence.WAL, sn *persistence.Snapshotter, snapDir, walDir string, log zerolog.Logger) error {
	return sn.Exclusive(func() error {
		return c.LoadLog(false, func(t cache.HeldTarget) error {
			if err := w.Flush(); err != nil {
				return err
			}
			meta, err := replay.LoadNewestSnapshot(snapDir, t, log)
			if err != nil {
				return fmt.Errorf("load snapshot: %w", err)
			}
			if _, err := replay.Run(walDir, t, replay.Options{Log: log, Cut: replay.NewCut(meta), ReadOnly: true}); err != nil {
				return fmt.Errorf("replay: %w", err)
			}
			return nil
		})
	})
}

// autoSnapshot takes a background snapshot when the WAL written since the
// last snapshot exceeds auto-aof-rewrite-percentage of that snapshot's size
// and at least auto-aof-rewrite-min-size (Redis's names and defaults).
func autoSnapshot(cfg *config.Config, w *persistence.WAL, s *persistence.Snapshotter, stop, serverStop <-chan struct{}, log zerolog.Logger) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	base := w.Stats().Bytes
	saves := s.Stats().Saves
	ours := false // the running snapshot was started here
	for {
		select {
		case <-stop:
			return
		case <-serverStop:
			return
		case <-t.C:
		}
		st := s.Stats()
		if st.Saves != saves { // a snapshot finished
			if !ours { // SAVE/BGSAVE from a client: measure growth from now
				base = w.Stats().Bytes
			}
			saves, ours = st.Saves, false
		}
		pct := cfg.AutoAOFRewritePercentage()
		if pct <= 0 || st.InProgress {
			continue
		}
		grown := w.Stats().Bytes - base
		size := max(st.LastSize, 1)
		if grown >= cfg.AutoAOFRewriteMinSize() && grown*100 >= int64(pct)*size {
			log.Info().Int64("wal_bytes_since_snapshot", grown).Int64("last_snapshot_bytes", st.LastSize).
				Msg("starting automatic snapshot")
			// Growth counts from the snapshot's start (its WAL cut), not its end.
			b := w.Stats().Bytes
			if err := s.BGSave(); err == nil {
				base, ours = b, true
			}
		}
	}
}

func loadingInfo(p *replay.Progress) server.LoadingInfo {
	total, done := p.TotalBytes.Load(), p.Bytes.Load()
	li := server.LoadingInfo{StartUnix: p.Start.Load() / 1000, TotalBytes: total, LoadedBytes: done, LoadedRecords: p.Records.Load()}
	if total > 0 {
		li.Percent = 100 * float64(done) / float64(total)
		if el := time.Since(time.UnixMilli(p.Start.Load())).Seconds(); done > 0 && el > 0 {
			li.ETASeconds = int64(float64(total-done) / (float64(done) / el))
		}
	}
	return li
}

func persistenceInfo(cfg *config.Config, w *persistence.WAL) string {
	var b strings.Builder
	if w == nil {
		fmt.Fprintf(&b, "aof_enabled:%d\r\nwal_enabled:%d\r\n", boolInt(cfg.AppendOnly()), boolInt(cfg.AppendOnly()))
		return b.String()
	}
	st := w.Stats()
	status := "ok"
	if st.LastError != "" {
		status = "err"
	}
	fmt.Fprintf(&b, "aof_enabled:1\r\nwal_enabled:1\r\nwal_fsync_policy:%s\r\nwal_compression:%s\r\n", st.Policy, st.Compression)
	fmt.Fprintf(&b, "wal_records_written:%d\r\nwal_bytes_written:%d\r\nwal_raw_bytes_written:%d\r\nwal_frames_written:%d\r\n", st.Records, st.Bytes, st.RawBytes, st.Frames)
	fmt.Fprintf(&b, "wal_segments:%d\r\nwal_current_segment:%d\r\nwal_rotations:%d\r\n", st.Segments, st.Segment, st.Rotations)
	fmt.Fprintf(&b, "wal_fsyncs:%d\r\nwal_last_fsync_usec:%d\r\nwal_last_fsync_time:%d\r\nwal_delayed_fsync:%d\r\n", st.Fsyncs, st.LastFsyncMicros, st.LastFsyncUnix, st.DelayedFsyncs)
	fmt.Fprintf(&b, "wal_queue_bytes:%d\r\nwal_queue_records:%d\r\nwal_pending_records:%d\r\nwal_queue_waits:%d\r\nwal_loop_commits:%d\r\n", st.QueueBytes, st.QueueRecords, st.Pending, st.QueueWaits, st.LoopCommits)
	fmt.Fprintf(&b, "wal_last_lsn:%d\r\nwal_durable_lsn:%d\r\n", st.LastLSN, st.DurableLSN)
	fmt.Fprintf(&b, "wal_last_write_status:%s\r\naof_last_write_status:%s\r\nwal_last_write_error:%s\r\n", status, status, st.LastError)
	return b.String()
}

// aofInfo is the rest of Redis 7.0's persistence fields, from the WAL and
// the snapshots (a snapshot plays the part of an AOF rewrite: BGREWRITEAOF
// takes one), so tools that read Redis's names (redis_exporter's
// redis_aof_*, redis_rdb_changes_since_last_save) find them.
func aofInfo(w *persistence.WAL, sn *persistence.Snapshotter, walDir string, changes uint64) string {
	var b strings.Builder
	var wst persistence.Stats
	if w != nil {
		wst = w.Stats()
	}
	var sst persistence.SnapshotStats
	if sn != nil {
		sst = sn.Stats()
	}
	rdbSaves := sst.Saves
	if w == nil {
		sst = persistence.SnapshotStats{} // appendonly no: snapshots are no AOF rewrites
	}
	last, cur, status := int64(-1), int64(-1), "ok"
	if sst.Saves+sst.Failures > 0 {
		last = sst.LastDurationMs / 1000
		if !sst.LastOK {
			status = "err"
		}
	}
	if sst.InProgress {
		cur = sst.CurrentSeconds
	}
	fmt.Fprintf(&b, "rdb_changes_since_last_save:%d\r\nrdb_saves:%d\r\nrdb_last_cow_size:0\r\n", changes, rdbSaves)
	fmt.Fprintf(&b, "aof_rewrite_in_progress:%d\r\naof_rewrite_scheduled:0\r\naof_last_rewrite_time_sec:%d\r\naof_current_rewrite_time_sec:%d\r\n",
		boolInt(sst.InProgress), last, cur)
	fmt.Fprintf(&b, "aof_last_bgrewrite_status:%s\r\naof_rewrites:%d\r\naof_rewrites_consecutive_failures:0\r\naof_last_cow_size:0\r\n", status, sst.Saves)
	b.WriteString("module_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n")
	if w != nil {
		fmt.Fprintf(&b, "aof_current_size:%d\r\naof_base_size:%d\r\naof_pending_rewrite:0\r\naof_buffer_length:%d\r\n",
			persistence.TotalBytes(walDir, 0)-w.Slack(), sst.LastSize, wst.QueueBytes)
		fmt.Fprintf(&b, "aof_pending_bio_fsync:%d\r\naof_delayed_fsync:%d\r\n", boolInt(wst.PendingFsync), wst.DelayedFsyncs)
	}
	return b.String()
}

// snapshotInfo reports snapshots with Redis's rdb_* names plus our own.
func snapshotInfo(s *persistence.Snapshotter) string {
	if s == nil {
		return "rdb_bgsave_in_progress:0\r\nsnapshot_saves:0\r\n"
	}
	st := s.Stats()
	status := "ok"
	if !st.LastOK {
		status = "err"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rdb_bgsave_in_progress:%d\r\nrdb_last_save_time:%d\r\nrdb_last_bgsave_status:%s\r\n", boolInt(st.InProgress), st.LastSave, status)
	fmt.Fprintf(&b, "rdb_last_bgsave_time_sec:%d\r\nrdb_current_bgsave_time_sec:%d\r\n", st.LastDurationMs/1000, st.CurrentSeconds)
	fmt.Fprintf(&b, "snapshot_saves:%d\r\nsnapshot_failures:%d\r\nsnapshot_last_duration_ms:%d\r\nsnapshot_last_size:%d\r\nsnapshot_last_error:%s\r\n",
		st.Saves, st.Failures, st.LastDurationMs, st.LastSize, st.LastError)
	return b.String()
}

// perSec is n per second over d, rounded to two decimals for the log (0 for
// an empty d).
func perSec(n float64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return math.Round(100*n/d.Seconds()) / 100
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// gcPercent is fastcache's default GOGC. Keys and values live in
// pointer-free 64 KiB arenas, so a collection has almost nothing to scan and
// is cheap; what GOGC=100 would cost is memory: the heap may grow to twice
// the live data before a collection, which doubles the RSS per key (measured
// with 1,000,000 keys of 16+32 bytes: 148 bytes per key of RSS at GOGC=100,
// 94 at 25, against used_memory's 73). The GOGC environment variable
// overrides it.
const gcPercent = 25

// tuneGC sets GOGC (unless the environment does) and, with maxmemory, a soft
// memory limit a little above it (maxmemory/8 for buffers and GC headroom,
// 16 MiB for the runtime), so the collector works harder rather than
// letting the process outgrow the budget.
func tuneGC(cfg *config.Config) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := int64(math.MaxInt64)
	if m := cfg.MaxMemory(); m > 0 {
		limit = m + m/8 + 16<<20
	}
	debug.SetMemoryLimit(limit)
}

// lockDir takes an exclusive lock on the data directory so two servers never
// write the same log.
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("data directory %s is in use by another fastcache process: %w", dir, err)
	}
	return func() { f.Close() }, nil
}

// pinCPUs applies server_cpulist (every thread of the process) and
// bgsave_cpulist (the threads that serialize snapshots and RDB files) as
// Redis pins its main thread and its BGSAVE child. A list that does not
// parse, or a platform without affinity, is logged and changes nothing.
func pinCPUs(cfg *config.Config, log zerolog.Logger) {
	if list := cfg.Param("server_cpulist"); list != "" {
		set, err := affinity.Parse(list)
		if err == nil {
			err = affinity.Process(set)
		}
		if err != nil {
			log.Warn().Err(err).Str("server_cpulist", list).Msg("the server's threads are not pinned")
		} else {
			log.Info().Str("server_cpulist", list).Msg("the server's threads are pinned")
		}
	}
	if list := cfg.Param("bgsave_cpulist"); list != "" {
		set, err := affinity.Parse(list)
		if err != nil {
			log.Warn().Err(err).Str("bgsave_cpulist", list).Msg("the snapshot threads are not pinned")
			return
		}
		lowprio.SetCPUs(set)
	}
}
