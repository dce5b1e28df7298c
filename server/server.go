// Package server is fastcache's RESP front end: listeners and connections
// (through tidwall/redcon), protocol limits redcon does not enforce, the
// command table and dispatcher (auth, loading, MULTI queueing, write
// admission, group-commit waits), replies in RESP2 and RESP3, and the
// connection, server and administration commands.
package server

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/tidwall/redcon"

	"fastcache/cache"
	"fastcache/config"
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
	// Shutdown is called by SHUTDOWN (save reports SAVE/NOSAVE: nil = default).
	Shutdown func(save *bool) error
	// Loading returns replay progress while the dataset loads.
	Loading func() LoadingInfo
	// Snapshots serves SAVE/BGSAVE/BGREWRITEAOF/LASTSAVE (nil: not available).
	Snapshots Snapshots
	// Extra INFO sections provided by the owner (persistence, snapshot, replication, ...).
	InfoSections map[string]func() string
	// Replication serves REPLICAOF/SLAVEOF and replicas' FCSYNC (nil: not available).
	Replication Replication
}

// Server serves RESP clients.
type Server struct {
	opts  Options
	cfg   *config.Config
	cache *cache.Cache
	log   zerolog.Logger

	mu        sync.Mutex
	lns       []net.Listener
	rservers  []*redcon.Server
	clients   map[int64]*Client
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
	lastWarn                     atomic.Int64 // rate limit for warnings (unix s)

	admin adminState // INFO state: run id, memory peak, ops/sec (admin.go)
}

// New returns a server; call Listen then Serve.
func New(o Options) *Server {
	s := &Server{
		opts:      o,
		cfg:       o.Config,
		cache:     o.Cache,
		log:       o.Log,
		clients:   make(map[int64]*Client),
		done:      make(chan struct{}),
		startTime: time.Now(),
	}
	s.initAdmin()
	s.registerConfigHooks()
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

// SetLoading switches the LOADING state (data commands answer -LOADING).
func (s *Server) SetLoading(v bool) { s.loading.Store(v) }

// Loading reports whether the dataset is still loading.
func (s *Server) Loading() bool { return s.loading.Load() }

// Listen binds every address of `bind` on `port`. An address prefixed with
// '-' is optional: it is skipped if it cannot be bound (as Redis does).
func (s *Server) Listen() error {
	port := s.cfg.Port()
	for _, addr := range s.cfg.Bind() {
		optional := strings.HasPrefix(addr, "-")
		addr = strings.TrimPrefix(addr, "-")
		ln, err := net.Listen("tcp", net.JoinHostPort(addr, fmt.Sprint(port)))
		if err != nil {
			if optional {
				s.log.Warn().Str("addr", addr).Err(err).Msg("optional bind address skipped")
				continue
			}
			s.closeListeners()
			return fmt.Errorf("listen on %s port %d: %w", addr, port, err)
		}
		s.lns = append(s.lns, ln)
	}
	if len(s.lns) == 0 {
		return errors.New("no address could be bound")
	}
	return nil
}

// Addrs are the bound addresses.
func (s *Server) Addrs() []net.Addr {
	var out []net.Addr
	for _, ln := range s.lns {
		out = append(out, ln.Addr())
	}
	return out
}

func (s *Server) closeListeners() {
	for _, ln := range s.lns {
		ln.Close()
	}
}

// Serve serves until Close. It returns when every listener has stopped.
func (s *Server) Serve() error {
	s.wg.Add(1)
	go s.cron()
	errc := make(chan error, len(s.lns))
	for _, ln := range s.lns {
		rs := redcon.NewServerNetwork("tcp", ln.Addr().String(), s.handle, s.accept, s.closedConn)
		s.mu.Lock()
		s.rservers = append(s.rservers, rs)
		s.mu.Unlock()
		go func(ln net.Listener) { errc <- rs.Serve(limitListener{ln, s}) }(ln)
	}
	var first error
	for range s.lns {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
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
	rs := s.rservers
	s.mu.Unlock()
	for _, r := range rs {
		r.Close()
	}
	s.closeListeners()
	s.wg.Wait()
}

func (s *Server) accept(conn redcon.Conn) bool {
	s.connsReceived.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if len(s.clients) >= s.cfg.MaxClients() {
		s.connsRejected.Add(1)
		conn.NetConn().Write([]byte("-ERR max number of clients reached\r\n"))
		s.warnf("max number of clients reached, connection from %s refused", conn.RemoteAddr())
		return false
	}
	c := &Client{
		srv:     s,
		conn:    conn,
		ID:      s.nextID.Add(1),
		Addr:    conn.RemoteAddr(),
		Laddr:   conn.NetConn().LocalAddr().String(),
		created: time.Now(),
		ks:      s.cache.Keyspace(),
		authed:  s.cfg.RequirePass() == "",
	}
	c.reply.proto = 2
	c.lastActive.Store(time.Now().UnixMilli())
	conn.SetContext(c)
	if lc, ok := conn.NetConn().(*limitConn); ok {
		lc.client = c
	}
	s.clients[c.ID] = c
	return true
}

func (s *Server) closedConn(conn redcon.Conn, err error) {
	c, ok := conn.Context().(*Client)
	if !ok {
		return
	}
	c.unwatchAll()
	s.mu.Lock()
	delete(s.clients, c.ID)
	s.mu.Unlock()
}

// handle is redcon's callback: one command of the current pipeline.
func (s *Server) handle(conn redcon.Conn, cmd redcon.Command) {
	c := conn.Context().(*Client)
	if c.killed.Load() || c.closeAfter {
		// Killed, or QUIT earlier in this pipeline: the rest is not run.
		conn.Close()
		return
	}
	c.batch++
	c.exec(cmd.Args)
	if c.detach != nil {
		// FCSYNC: the rest of this connection is the replication stream.
		fn := c.detach
		c.detach = nil
		c.flush()
		dc := conn.Detach()
		go func() {
			if err := dc.Flush(); err != nil {
				dc.Close()
				return
			}
			fn(dc.NetConn())
		}()
		return
	}
	if c.closeAfter || len(conn.PeekPipeline()) == 0 {
		c.flush()
	}
}

// durabilityTimeout bounds how long an `always` client waits for its fsync
// before the connection is closed without a reply (never acknowledged).
const durabilityTimeout = 30 * time.Second

// flush ends a pipeline: with appendfsync always it first waits until the
// pipeline's writes are durable (one wait per pipeline; one fsync covers every
// client that wrote meanwhile), then hands the replies to redcon.
func (c *Client) flush() {
	now := time.Now().UnixMilli()
	c.lastActive.Store(now)
	c.publish()
	if c.wrote {
		c.wrote = false
		if c.srv.cfg.AppendOnly() && c.srv.cfg.AppendFsync() == "always" {
			if err := c.srv.cache.WaitDurable(c.srv.cache.LastLSN(), durabilityTimeout); err != nil {
				if w := c.srv.cache.WAL(); w == nil || w.Err() == nil {
					c.srv.warnf("closing client %s: writes not durable: %v", c.Addr, err)
					c.reply.Reset()
					c.batch = 0
					c.conn.NetConn().Close()
					return
				}
				// The log failed: nothing in this pipeline may be
				// acknowledged. Every command gets the MISCONF error (its
				// effect may stay in memory and reach the log once the disk
				// recovers, like a write whose reply was lost).
				c.reply.Reset()
				for i := 0; i < c.batch; i++ {
					c.reply.Err(err)
				}
			}
		}
	}
	c.batch = 0
	if c.reply.Len() > 0 {
		c.conn.WriteRaw(c.reply.Bytes())
		c.reply.Reset()
	}
	if c.closeAfter {
		c.conn.Close()
	}
}

// exec runs one command the way Redis's processCommand does.
func (c *Client) exec(args [][]byte) {
	s := c.srv
	s.commandsProcessed.Add(1)
	cmd := lookup(args[0], &c.scratch)
	if cmd == nil {
		c.rejectInMulti()
		c.reply.Error(errUnknownCommand(args))
		return
	}
	c.lastCmd.Store(&cmd.Name)
	if !arityOK(cmd.Arity, len(args)) {
		c.reject(cmd, errWrongArgs(cmd.Name))
		return
	}
	if !c.authed && cmd.Flags&flagNoAuth == 0 {
		c.reject(cmd, "NOAUTH Authentication required.")
		return
	}
	if s.loading.Load() && cmd.Flags&flagLoading == 0 {
		c.reject(cmd, cache.ErrLoading.Error())
		return
	}
	if c.multi && cmd.Flags&flagNoMulti == 0 {
		q := queuedCmd{cmd: cmd, args: make([][]byte, len(args))}
		for i, a := range args {
			q.args[i] = append([]byte(nil), a...)
		}
		c.queued = append(c.queued, q)
		c.reply.Simple("QUEUED")
		return
	}
	if cmd.Flags&flagWrite != 0 {
		if err := s.cache.CheckWrite(cmd.Flags&flagDenyOOM != 0); err != nil {
			cmd.rejected.Add(1)
			c.reply.Err(err)
			return
		}
	}
	c.call(cmd, args)
}

// call runs a command's handler and counts it.
func (c *Client) call(cmd *Command, args [][]byte) {
	start := time.Now()
	n := c.reply.Len()
	cmd.Handler(c, args)
	cmd.record(start)
	if c.reply.Len() > n && c.reply.b[n] == '-' {
		cmd.failed.Add(1)
	}
	if cmd.Flags&flagWrite != 0 {
		c.wrote = true
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

// cron closes idle clients (timeout) once a second.
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
		s.adminCron()
		idle := s.cfg.Timeout()
		if idle <= 0 {
			continue
		}
		limit := time.Now().Add(-idle).UnixMilli()
		s.mu.Lock()
		for _, c := range s.clients {
			if c.lastActive.Load() < limit {
				c.conn.NetConn().Close()
			}
		}
		s.mu.Unlock()
	}
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
