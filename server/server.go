// Package server is fastcache's RESP front end: listeners and epoll event
// loops (netloop_linux.go), the request parser with Redis's protocol limits
// (request.go), the command table and dispatcher (auth, loading, MULTI queueing, write
// admission, group-commit waits), replies in RESP2 and RESP3, and the
// connection, server and administration commands.
package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"fastcache/cache"
	"fastcache/config"
	"fastcache/internal/latency"
)

// Version is the Redis version whose behaviour fastcache matches (INFO
// redis_version, HELLO version).
const Version = "7.0.15"

// FastcacheVersion is fastcache's own version.
const FastcacheVersion = "0.1.0"

// LoadingInfo reports start-up replay progress for INFO while loading.
type LoadingInfo struct {
	StartUnix               int64
	TotalBytes, LoadedBytes int64
	LoadedRecords           int64
	Percent                 float64
	ETASeconds              int64
}

// Options configure a Server.
type Options struct {
	Config *config.Config
	Cache  *cache.Cache
	Log    zerolog.Logger
	// Shutdown is called by SHUTDOWN (save reports SAVE/NOSAVE: nil =
	// default; force: FORCE). An error refuses the shutdown: the server
	// keeps running and the client gets Redis's "Errors trying to SHUTDOWN".
	Shutdown func(save *bool, force bool) error
	// Loading returns replay progress while the dataset loads.
	Loading func() LoadingInfo
	// Snapshots serves SAVE/BGSAVE/BGREWRITEAOF/LASTSAVE (nil: not available).
	Snapshots Snapshots
	// Extra INFO sections provided by the owner (persistence, snapshot, replication, ...).
	InfoSections map[string]func() string
	// Replication serves REPLICAOF/SLAVEOF and replicas' FCSYNC (nil: not available).
	Replication Replication
	// LoadLog serves DEBUG LOADAOF: it rebuilds the keyspace from the
	// snapshot and the WAL (nil: no WAL).
	LoadLog func() error
	// Latency is the LATENCY monitor that the WAL and the cache also note
	// their stalls in (nil: the server makes its own).
	Latency *latency.Monitor
	// Goroutines serves each connection from a goroutine of its own
	// (netconn.go) instead of the epoll event loops; it is the only
	// network layer where epoll does not exist.
	Goroutines bool
}

// Server serves RESP clients.
type Server struct {
	stale StaleData // Options.Replication's, when it has it (stale.go)
	opts  Options
	cfg   *config.Config
	cache *cache.Cache
	log   zerolog.Logger

	// table is the command table clients and scripts call: the global
	// one, or with renamed set a copy with rename-command applied
	// (ApplyRenames, before Serve; read-only after)
	table   map[string]*Command
	renamed bool

	mu        sync.Mutex
	lns       []net.Listener // listen.go: the TCP ones, then the unix socket's
	lnMu      sync.Mutex     // lns, bound, tlsLns, tlsBound, serving (CONFIG SET port/bind/tls-port)
	bound     boundAddrs
	tlsLns    []net.Listener // on tls-port (tls.go)
	tlsBound  boundAddrs
	tls       tlsState
	serving   bool
	acceptWG  sync.WaitGroup
	loops     []*loop        // the epoll event loops (none: a goroutine per connection)
	connWG    sync.WaitGroup // goroutine-served connections
	hsWG      sync.WaitGroup // TLS handshakes of connections for the event loops
	durable   durableSignal  // wakes them when the durable LSN moves
	cancelDur func()
	clients   map[int64]*Client
	oom       oomScore // oom-score-adj (oomscore.go)
	closed    bool
	done      chan struct{}
	wg        sync.WaitGroup
	nextID    atomic.Int64
	loading   atomic.Bool
	startTime time.Time

	// stats
	connsReceived, connsRejected atomic.Int64
	commandsProcessed            atomic.Int64
	protoErrors                  atomic.Int64
	rdbSyncs                     atomic.Int64 // SYNCs served (sync.go), counted in sync_full
	lastWarn                     atomic.Int64 // rate limit for warnings (unix s)
	cronPaused                   atomic.Bool  // DEBUG PAUSE-CRON: cron skips its work
	scriptDenyOff                atomic.Bool  // DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call noscript commands
	skipChecksum                 atomic.Bool  // DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE skips the payload's CRC64
	// client eviction (evict_clients.go)
	clientMemLimit atomic.Int64 // maxmemory-clients in bytes (0: off)
	clientMem      atomic.Int64 // the sum of the clients' published memory
	queuedMem      atomic.Int64 // the frames queued to clients, at the last count
	evictedClients atomic.Int64 // INFO evicted_clients
	evictMu        sync.Mutex   // one eviction round at a time
	// a signal's shutdown deferred while the cron is paused (DeferShutdown)
	shut            shutdownState // a shutdown waiting for replicas (shutdown.go)
	pendingMu       sync.Mutex
	pendingShutdown func()

	admin   adminState   // INFO state: run id, memory peak, ops/sec (admin.go)
	psrv    pubsubServer // pub/sub, keyspace events, tracking (pubsub.go)
	slowlog slowlog      // SLOWLOG (slowlog.go)
	pause   pauseState   // CLIENT PAUSE (pause.go)
	scr     scripting    // EVAL, FUNCTION (script.go, function.go)

	// latency-tracking, errorstats and the LATENCY monitor (latencystats.go)
	tracking atomic.Bool
	errStats errorStats
	lat      *latency.Monitor
	blk      blocker    // clients blocked on keys (blocking.go)
	mon      monitorSet // MONITOR (monitor.go)
	acl      aclState   // ACL users and ACL LOG (acl_registry.go)

	migrate migrateSockets // MIGRATE's cached connections (migrate_sockets.go)
	cluster *clusterState  // cluster-enabled yes (cluster.go); nil otherwise
}

// New returns a server; call Listen then Serve.
func New(o Options) *Server {
	setMemberArgs()
	s := &Server{
		opts:      o,
		cfg:       o.Config,
		cache:     o.Cache,
		log:       o.Log,
		clients:   make(map[int64]*Client),
		done:      make(chan struct{}),
		startTime: time.Now(),
		table:     commands,
	}
	s.blk.init()
	s.blk.s = s
	s.cache.OnReady(s.serveReady) // replicated writes serve blocked clients too
	s.initAdmin()
	s.initACL()
	s.initPubSub()
	s.initScripting()
	s.cache.SetFunctionHooks(cache.FunctionHooks{Apply: s.applyFunctionRecord, Libraries: s.functionLibraries})
	s.registerConfigHooks()
	s.registerOOMScoreHooks()
	s.initLatency()
	s.initWait()
	s.stale, _ = s.opts.Replication.(StaleData)
	return s
}

// SetSnapshots makes SAVE/BGSAVE/BGREWRITEAOF/LASTSAVE available (after replay).
func (s *Server) SetSnapshots(sn Snapshots) {
	s.mu.Lock()
	s.opts.Snapshots = sn
	s.mu.Unlock()
}

func (s *Server) snapshots() Snapshots {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.Snapshots
}

// SetLogLoader makes DEBUG LOADAOF available: fn rebuilds the keyspace from
// the snapshot and the WAL.
func (s *Server) SetLogLoader(fn func() error) {
	s.mu.Lock()
	s.opts.LoadLog = fn
	s.mu.Unlock()
}

// SetLoading switches the LOADING state (data commands answer -LOADING).
func (s *Server) SetLoading(v bool) { s.loading.Store(v) }

// Loading reports whether the dataset is still loading.
func (s *Server) Loading() bool { return s.loading.Load() }

// Serve serves until Close. It returns when every listener has stopped.
func (s *Server) Serve() error {
	n := s.cfg.IOThreads()
	if n <= 0 {
		// Half the cores: the rest is left to the WAL writer, the GC and
		// the clients (on 2 cores with the benchmark client beside it, one
		// loop beats two on throughput and p99; BENCHMARKS.md).
		n = max(1, runtime.GOMAXPROCS(0)/2)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	if eventLoops && !s.opts.Goroutines {
		for i := 0; i < n; i++ {
			lp, err := newLoop(s)
			if err != nil {
				s.mu.Unlock()
				return fmt.Errorf("event loop: %w", err)
			}
			s.loops = append(s.loops, lp)
			go lp.run()
		}
	} else {
		s.cancelDur = s.cache.OnDurable(s.durable.fire)
	}
	s.wg.Add(1) // under mu: a Close that follows must wait for cron
	s.mu.Unlock()
	go s.cron()
	s.serveListeners() // listen.go
	<-s.done
	s.acceptWG.Wait()
	return nil
}

// Close stops accepting, closes every connection and waits for the cron.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	loops := s.loops
	var socks []socket
	for _, c := range s.clients {
		socks = append(socks, c.sock)
	}
	s.mu.Unlock()
	s.closeListeners()
	for _, sk := range socks {
		if h, ok := sk.(interface{ inHandshake() bool }); ok && h.inHandshake() {
			sk.shutdown()
		}
	}
	for _, lp := range loops {
		lp.shutdown()
	}
	s.hsWG.Wait()
	if len(loops) == 0 {
		for _, sk := range socks {
			sk.shutdown()
		}
		s.connWG.Wait()
		if s.cancelDur != nil {
			s.cancelDur()
		}
	}
	s.wg.Wait()
}

// acceptLoop accepts connections on ln until it is closed; transient errors
// (out of descriptors) are retried with a back-off, as net/http does.
func (s *Server) acceptLoop(ln net.Listener) error {
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.warnf("accept: %v; retrying in %v", err, delay)
			select {
			case <-time.After(delay):
				continue
			case <-s.done:
				return nil
			}
		}
		delay = 0
		s.accept(nc)
	}
}

// errProtectedMode is Redis 7.0's reply to a client refused by protected-mode.
const errProtectedMode = "-DENIED Redis is running in protected mode because protected " +
	"mode is enabled and no password is set for the default user. " +
	"In this mode connections are only accepted from the loopback interface. " +
	"If you want to connect from external computers to Redis you " +
	"may adopt one of the following solutions: " +
	"1) Just disable protected mode sending the command " +
	"'CONFIG SET protected-mode no' from the loopback interface " +
	"by connecting to Redis from the same host the server is " +
	"running, however MAKE SURE Redis is not publicly accessible " +
	"from internet if you do so. Use CONFIG REWRITE to make this " +
	"change permanent. " +
	"2) Alternatively you can just disable the protected mode by " +
	"editing the Redis configuration file, and setting the protected " +
	"mode option to 'no', and then restarting the server. " +
	"3) If you started the server manually just for testing, restart " +
	"it with the '--protected-mode no' option. " +
	"4) Setup a an authentication password for the default user. " +
	"NOTE: You only need to do one of the above things in order for " +
	"the server to start accepting connections from the outside.\r\n"

// refuse tells a connection why it is refused and closes it. The close is
// graceful: the write side is shut first and what the client had already
// sent is read and dropped for up to a second, so that its commands in
// flight do not make the kernel reset the connection (which could drop the
// reason before the client reads it).
func refuse(nc net.Conn, msg string) {
	nc.SetWriteDeadline(time.Now().Add(time.Second))
	nc.Write([]byte(msg))
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		nc.Close()
		return
	}
	tc.CloseWrite()
	go func() {
		tc.SetReadDeadline(time.Now().Add(time.Second))
		io.Copy(io.Discard, io.LimitReader(tc, 1<<20))
		tc.Close()
	}()
}

// accept admits a new connection (maxclients, protected-mode) and hands it to the least
// loaded event loop, or to a goroutine of its own.
func (s *Server) accept(nc net.Conn) {
	s.connsReceived.Add(1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		nc.Close()
		return
	}
	if len(s.clients) >= s.cfg.MaxClients() {
		s.connsRejected.Add(1)
		s.mu.Unlock()
		refuse(nc, "-ERR max number of clients reached\r\n")
		s.warnf("max number of clients reached, connection from %s refused", nc.RemoteAddr())
		return
	}
	c := &Client{
		srv:     s,
		ID:      s.nextID.Add(1),
		Addr:    nc.RemoteAddr().String(),
		Laddr:   nc.LocalAddr().String(),
		created: time.Now(),
	}
	_, isTLS := nc.(*tls.Conn)
	c.overTLS = isTLS
	if tc, ok := rawNetConn(nc).(*net.TCPConn); ok {
		setKeepAlive(tc, s.cfg.TCPKeepalive())
	}
	if _, ok := nc.(*net.UnixConn); ok {
		// as Redis: the socket's path, port 0, for both ends
		c.unixSock = true
		c.Addr = s.cfg.UnixSocket() + ":0"
		c.Laddr = c.Addr
	}
	if s.cfg.ProtectedMode() && s.acl.def.perms().flags&userNopass != 0 && !c.isLocal() {
		// Redis's protected mode: the client is told why and disconnected
		s.connsRejected.Add(1)
		s.mu.Unlock()
		refuse(nc, errProtectedMode)
		return
	}
	c.setDefaultAuth()
	c.reply.proto = 2
	c.reply.errs = &s.errStats
	c.ks = s.cache.KeyspaceAt(&c.nowMs).WithErr(&c.kerr).WithOrigin(c)
	c.tick()
	c.lastActive.Store(time.Now().UnixMilli())
	if len(s.loops) > 0 { // (a TLS connection after its handshake: tls.go)
		sock, err := s.loopSocket(c, nc)
		if err != nil {
			s.mu.Unlock()
			s.warnf("accept %s: %v", c.Addr, err)
			return
		}
		c.sock = sock
	} else {
		c.sock = newGConn(s, c, nc)
		s.connWG.Add(1) // under s.mu before closed is set: Close waits for it
	}
	s.clients[c.ID] = c
	s.mu.Unlock()
	if !c.sock.start() {
		s.closedConn(c)
	}
}

func (s *Server) closedConn(c *Client) {
	s.forgetBlocked(c)
	s.notePostponed(c, false)
	c.unwatchAll()
	c.trackingOff()
	c.monitorOff()
	c.pubsubReset(true)
	s.mu.Lock()
	delete(s.clients, c.ID)
	s.clientMem.Add(-c.memPub.Swap(0))
	s.mu.Unlock()
}

// durabilityTimeout bounds how long an `always` client waits for its fsync
// before the connection is closed without a reply (never acknowledged).
const durabilityTimeout = 30 * time.Second

// command looks a command name up in the table. Pipelines mostly repeat
// one command: the map lookup is skipped while the name matches the
// previous one.
func (c *Client) command(name []byte) *Command {
	// (not with renamed commands: the name typed may not be cmd.Name)
	if cmd := c.prevCmd; cmd != nil && !c.srv.renamed && equalFold(name, cmd.Name) {
		return cmd
	}
	cmd := c.srv.lookup(name, &c.scratch)
	c.prevCmd = cmd
	return cmd
}

// exec runs one command the way Redis's processCommand does.
func (c *Client) exec(args [][]byte) {
	s := c.srv
	s.commandsProcessed.Add(1)
	c.curArgs = args
	c.replyPushed, c.pushedEnd = false, 0
	cmd := c.command(args[0])
	if c.heldAll && (cmd == nil || !isScriptCommand(cmd)) {
		c.releaseHeld()
	}
	if cmd == nil {
		c.rejectInMulti()
		c.reply.Error(errUnknownCommand(args))
		return
	}
	if c.lastCmd.Load() != &cmd.Name { // a pipeline of one command: one store
		c.lastCmd.Store(&cmd.Name)
	}
	if !arityOK(cmd.Arity, len(args)) {
		c.reject(cmd, errWrongArgs(cmd.Name))
		return
	}
	if msg := protectedRefusal(c, cmd, args); msg != "" {
		c.reject(cmd, msg)
		return
	}
	if !c.authed && cmd.Flags&flagNoAuth == 0 && s.acl.authRequired() {
		c.reject(cmd, "NOAUTH Authentication required.")
		return
	}
	if p := c.aclPerms(); !p.all && !c.aclAllowed(p, cmd, args) {
		return // -NOPERM (acl_check.go)
	}
	if s.cluster != nil && !c.master && cmd.mayHaveKeys() && !c.clusterCheck(cmd, args) {
		return // -CROSSSLOT (cluster.go)
	}
	if cmd.isPing {
		// PING is refused while the disk is (MISCONF), as Redis refuses
		// it: a health check sees the trouble (writes get it from
		// CheckWrite)
		if err := s.cache.DiskError(); err != nil {
			c.reject(cmd, err.Error())
			return
		}
	}
	if c.ps.pubsubMode() && c.reply.proto == 2 && !allowedSubscribed(cmd, args) {
		c.reject(cmd, errSubscribedMode(cmd, args))
		return
	}
	if s.stale != nil && !c.master && c.deniedStale(cmd, args) {
		c.reject(cmd, errMasterDown)
		return
	}
	if s.loading.Load() && cmd.Flags&flagLoading == 0 && !c.master {
		c.reject(cmd, cache.ErrLoading.Error())
		return
	}
	if s.scr.turn.Load() != nil && c.scriptRun == nil && !c.scriptWait(cmd, args) {
		return // -BUSY (script_busy.go)
	}
	if c.monitoring.Load() && monitorRefuses(cmd, args) {
		c.reject(cmd, errMonitorKeyspace)
		return
	}
	if !c.master && s.pausedFor(c, cmd, args) {
		// CLIENT PAUSE: runPipeline stops here and runs it once the
		// pause ends (pause.go).
		c.postponed = true
		s.commandsProcessed.Add(-1)
		s.notePostponed(c, true)
		return
	}
	s.notePostponed(c, false)
	if c.multi && cmd.Flags&flagNoMulti == 0 {
		// Refused when queued, failing the transaction, as Redis's
		// processCommand does: any command when out of memory (queueing
		// takes memory too), a write when writes are refused.
		var err error
		if cmd.Flags&flagWrite != 0 {
			err = c.checkWrite(true)
		} else if s.cache.MaxMemory() > 0 {
			err = s.cache.EvictIfNeeded()
		}
		if err != nil {
			c.reject(cmd, err.Error())
			return
		}
		if cmd.Sub != nil && len(args) >= 2 {
			// A container's subcommand is looked up before it is queued,
			// as Redis's processCommand does: an unknown one, or one with
			// the wrong arity, fails the transaction (EXECABORT).
			sub := cmd.Sub[strings.ToLower(string(args[1]))]
			if sub == nil {
				c.reject(cmd, errUnknownSubcommand(cmd.Name, args[1]))
				return
			}
			if !arityOK(sub.Arity, len(args)) {
				c.reject(sub, errWrongArgs(sub.Name))
				return
			}
		}
		if !c.multiDirty {
			// (a transaction that will abort keeps nothing more, as
			// Redis's queueMultiCommand: in cluster mode EXEC checks the
			// slots of what was queued)
			q := queuedCmd{cmd: cmd, args: make([][]byte, len(args))}
			for i, a := range args {
				q.args[i] = append([]byte(nil), a...)
				c.multiMem += int64(len(a)) + perArg
			}
			c.multiMem += perQueued
			c.queued = append(c.queued, q)
		}
		c.reply.Simple("QUEUED")
		return
	}
	if cmd.Flags&flagWrite != 0 {
		if err := c.checkWrite(cmd.Flags&flagDenyOOM != 0); err != nil {
			cmd.rejected.Add(1)
			c.reply.Err(err)
			return
		}
	} else if s.cache.MaxMemory() > 0 && !c.ks.InTx() {
		// Redis makes room before every command, not only before writes:
		// the invalidations of the keys evicted come before the reply
		_ = s.cache.EvictIfNeeded()
	}
	if c.ps == nil {
		c.call(cmd, args)
	} else {
		n := c.reply.Len()
		c.call(cmd, args)
		if c.replyPushed {
			// after SUBSCRIBE's confirmations: a message on a channel it
			// subscribed to was published after it
			c.takePushes(c.reply.Len())
		} else if cmd != monitorCmd { // MONITOR's +OK goes before the lines it starts
			c.takePushes(n)
		}
		c.trackingAfter(cmd)
	}
	if s.cache.ReadyPending() {
		// keys this command (or another client's) readied: serve their
		// blocked clients before this client's next command
		c.releaseHeld() // serving locks the shards itself
		s.serveReady()
	}
}

// call runs a command's handler and counts it.
func (c *Client) call(cmd *Command, args [][]byte) {
	n := c.reply.Len()
	c.cur = cmd
	mons := c.srv.mon.list.Load() // MONITOR: the one cost while nobody monitors
	if mons != nil && cmd.Flags&flagSkipMonitor != 0 {
		c.feedMonitors(*mons, cmd, args) // EVAL, FCALL: before the script's commands
	}
	wrote := c.wrote
	c.wrote = false // did this command write? (WAIT: woff)
	c.errMark, c.flagMark = c.reply.nerr, c.reply.nflag
	cmd.Handler(c, args)
	if c.kerr != nil { // a wrong-type error from a command whose result has no room for it
		c.reply.Truncate(n)
		c.reply.Err(c.kerr)
		c.kerr = nil
	}
	prev := c.clock
	c.tick()
	d := c.clock - prev
	s := c.srv
	cmd.record(d, s.tracking.Load())
	s.noteCommandLatency(cmd, d)
	if lim := s.cfg.SlowlogLogSlowerThan(); lim >= 0 && cmd.Flags&flagSkipSlowlog == 0 {
		if bc := c.bc; bc != nil && bc.slow == nil {
			// blocked: logged when it is served, as Redis does
			e := c.slowEntry(args, d)
			bc.slow = &e
		} else if d.Microseconds() >= lim {
			c.noteSlow(args, d)
		}
	}
	// Failed, as Redis counts it: once if it wrote an error reply since the
	// last command ended (its own, or one in a script's array; not a
	// command's of an EXEC, which ends itself: incrCommandStatsOnError),
	// and once more for each error a script passed on from its commands
	// (counted there; afterErrorReply's ERR_REPLY_FLAG_NO_STATS_UPDATE).
	failed := c.reply.nflag - c.flagMark
	if c.reply.nerr != c.errMark || (failed == 0 && c.reply.Len() > n && c.reply.b[n] == '-') {
		failed++
	}
	if failed > 0 {
		cmd.failed.Add(failed)
	}
	c.errMark, c.flagMark = c.reply.nerr, c.reply.nflag
	if cmd.Flags&flagWrite != 0 {
		c.wrote = true
	}
	if c.wrote {
		c.woff = s.cache.LastLSN()
	}
	c.wrote = c.wrote || wrote
	if cmd.Flags&flagReadOnly != 0 && cmd.Flags&flagScriptRO == 0 {
		if r := c.scriptRun; r != nil {
			// A script that reads makes its caller track the keys it
			// declared, not those it read (Redis 7.0's call()).
			if m := r.caller.trk.mode.Load(); m != nil {
				r.caller.trackingRememberKeys(m, c.ks, r.keys)
			}
		} else if m := c.trk.mode.Load(); m != nil {
			c.trackingRemember(m, c.ks, cmd, args)
		}
	}
	if mons != nil {
		if mons = s.mon.list.Load(); mons != nil { // (RESET may have ended c's own monitoring)
			c.monitorAfter(*mons, cmd, args) // a blocking command too, when it blocks (Redis 7.0)
		}
	}
}

// reject refuses cmd before it runs, like Redis's rejectCommand: the open
// transaction (if any) is flagged to fail, and a rejected EXEC itself ends it
// (even outside MULTI, where it still unwatches) with "EXECABORT Transaction
// discarded because of: <error>", where a leading "ERR " of the error is
// dropped (Redis formats those texts without it).
func (c *Client) reject(cmd *Command, msg string) {
	c.rejectInMulti()
	cmd.rejected.Add(1)
	if cmd.Name == "exec" {
		c.discardMulti()
		c.unwatchAll()
		c.reply.Error("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR "))
		return
	}
	c.reply.Error(msg)
}

func (c *Client) rejectInMulti() {
	if c.multi {
		c.multiDirty = true
	}
}

// cron closes idle clients (timeout) and trims the tracking table once a
// second, unless DEBUG PAUSE-CRON paused it.
func (s *Server) cron() {
	defer s.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		if s.cronPaused.Load() {
			continue
		}
		s.pendingMu.Lock()
		run := s.pendingShutdown
		s.pendingShutdown = nil
		s.pendingMu.Unlock()
		if run != nil {
			go run()
		}
		s.adminCron()
		s.refreshGoodReplicas()
		// a tracking table still over its limit (Redis's serverCron)
		if max := s.cfg.TrackingTableMaxKeys(); max > 0 && s.psrv.trk.nkeys.Load() > max {
			s.trackingLimit(nil, max)
		}
		s.checkOutboxes()
		if lim := s.clientMemLimit.Load(); lim > 0 {
			s.evictClients(lim) // frames pushed to clients since, clients left idle over the limit
		}
		idle := s.cfg.Timeout()
		if idle <= 0 {
			continue
		}
		limit := time.Now().Add(-idle).UnixMilli()
		s.mu.Lock()
		for _, c := range s.clients {
			if c.lastActive.Load() < limit && !c.blockedFlag.Load() { // a blocked client is not idle (Redis)
				c.sock.shutdown()
			}
		}
		s.mu.Unlock()
	}
}

// DeferShutdown is how the process hands the server the shutdown a signal
// asked for: Redis runs it from its cron, so while DEBUG PAUSE-CRON holds
// the cron it waits there, and SHUTDOWN ABORT cancels it. It reports
// whether run was deferred (the cron runs it once resumed); if not, the
// caller shuts down at once.
func (s *Server) DeferShutdown(run func()) bool {
	if !s.cronPaused.Load() {
		return false
	}
	s.pendingMu.Lock()
	s.pendingShutdown = run
	s.pendingMu.Unlock()
	return true
}

// abortShutdown cancels a deferred shutdown (SHUTDOWN ABORT); false: none.
func (s *Server) abortShutdown() bool {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	if s.pendingShutdown == nil {
		return false
	}
	s.pendingShutdown = nil
	return true
}

// warnf logs a warning at most once per second (refused clients, protocol errors).
func (s *Server) warnf(format string, args ...any) {
	now := time.Now().Unix()
	last := s.lastWarn.Load()
	if now == last || !s.lastWarn.CompareAndSwap(last, now) {
		return
	}
	s.log.Warn().Msgf(format, args...)
}

// setKeepAlive applies tcp-keepalive to a client connection as Redis's
// anetKeepAlive does: probes after secs seconds of silence, then every
// third of that, and the peer is dead after 3 unanswered (0: no keepalive).
// A client gone without a word (a host powered off, a NAT that forgot the
// connection) is so closed within about twice secs.
func setKeepAlive(tc *net.TCPConn, secs int64) {
	if secs <= 0 {
		return // the listeners leave it off (listenTCP)
	}
	idle := time.Duration(secs) * time.Second
	tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: idle, Interval: max(idle/3, time.Second), Count: 3})
}
