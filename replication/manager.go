package replication

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"fastcache/cache"
	"fastcache/server"
)

// The replica protocol, on the primary's RESP port:
//
//	replica -> primary: AUTH <masterauth>          (when masterauth is set)
//	replica -> primary: FCSYNC <run id|?> <offset> <listening port> [pubsub] [heartbeat]
//	primary -> replica: +CONTINUE <run id> <offset> [heartbeat]\r\n   (resume from the backlog)
//	                or  +FULLRESYNC <run id> <offset> [heartbeat]\r\n$<n>\r\n<n snapshot bytes>
//	primary -> replica: frames from <offset> on, byte for byte as in the WAL
//	replica -> primary: "ACK <offset>\n" about every second and after applying
//
// With the capability word "pubsub" the primary also sends the PUBLISHes and
// SPUBLISHes made on it as message frames between the WAL frames (pubsub.go).
// With "heartbeat" it confirms the word and sends heartbeats, and both
// sides drop a link silent for repl-timeout (heartbeat.go).
//
// After a full resync the replica applies a stream record only if the
// snapshot does not already hold it (its LSN is above the cut of the primary
// shard that owns its key), exactly as start-up replay does, so there is
// neither a gap nor a duplicate.

// ManagerOptions configure a Manager.
type ManagerOptions struct {
	Cache *cache.Cache
	Hub   *Hub
	// Snapshot takes a fresh snapshot and returns it opened (nil: this
	// server cannot serve replicas, e.g. appendonly no).
	Snapshot func() (*os.File, int64, error)
	// RedisRDB writes the dataset as an RDB file for a redis-server
	// replica (eof: the diskless framing) and returns the LSN it holds
	// every record up to (redis_replica.go).
	RedisRDB func(w io.Writer, eof bool) (uint64, error)
	// Serving, when set, reports whether replicas can be served now (the
	// log is on: CONFIG SET appendonly starts and stops it).
	Serving    func() bool
	Dir        string        // data directory (a replica's incoming snapshot)
	MasterAuth func() string // masterauth
	MasterUser func() string // masteruser: the ACL user masterauth is the password of ("": default)
	// BindSource is bind-source-addr: the local address to connect to the
	// primary from (nil or "": the system's choice).
	BindSource func() string
	// SocketMark is socket-mark-id: the mark of the connection to the
	// primary (0: none; sockopt).
	SocketMark uint32
	Port       int        // our port, reported to the primary
	SetLoading func(bool) // -LOADING while a full resync loads
	// Publish delivers a PUBLISH (shard: SPUBLISH) of the primary to this
	// server's subscribers (nil: the replica does not ask for messages).
	Publish func(shard bool, channel, message []byte)
	// PingPeriod (repl-ping-replica-period) and Timeout (repl-timeout);
	// nil: 10 s and 60 s.
	PingPeriod, Timeout func() time.Duration
	// ReadOnly is replica-read-only and IgnoreMaxMemory
	// replica-ignore-maxmemory, what a replica applies to its own clients'
	// writes (nil: yes, as Redis's defaults).
	ReadOnly, IgnoreMaxMemory func() bool
	// ServeStale is replica-serve-stale-data (nil: yes, Redis's default).
	ServeStale func() bool
	// Priority is replica-priority and Announced replica-announced, which
	// a replica's INFO shows for Sentinel (nil: 100 and yes).
	Priority  func() int64
	Announced func() bool
	// AnnounceIP and AnnouncePort are replica-announce-ip and
	// replica-announce-port: the address a replica gives its primary
	// for INFO and ROLE (Sentinel finds replicas there) instead of the
	// one the primary sees (NAT, containers). nil, "" or 0: not set.
	AnnounceIP   func() string
	AnnouncePort func() int64
	// BacklogTTL is repl-backlog-ttl: a primary frees its backlog after
	// that many seconds without replicas (nil or 0: never); a replica
	// keeps its own, as Redis's.
	BacklogTTL func() int64
	// TLS is the configuration of the connection to the primary (nil, or
	// returning nil: plain TCP; tls-replication).
	TLS func() *tls.Config
	// RedisPrimary lets this server follow a redis-server primary
	// (redis_primary.go; unset: it follows fastcache primaries only).
	RedisPrimary RedisPrimaryHooks
	Log          zerolog.Logger
}

// Manager is the replication role of one server: a primary serving
// replicas, and a replica of another server when REPLICAOF says so.
type Manager struct {
	o ManagerOptions

	mu        sync.Mutex
	replica   *Replica
	resume    *cache.ReplPos                // where the first replica session starts (Resume)
	following atomic.Bool                   // replica != nil, read without the lock
	cur       atomic.Pointer[Replica]       // replica, read without the lock (DenyStale)
	denyStale atomic.Bool                   // replica-serve-stale-data no (applyRole)
	closedPos atomic.Pointer[cache.ReplPos] // where Close left the replica (ClosedPosition)

	// INFO stats: full resyncs served, resumes granted and refused
	syncFull, syncPartialOK, syncPartialErr atomic.Int64

	// the streams of redis-server replicas gone, by replication ID, for
	// their reconnection (redis_replica.go)
	redisMu   sync.Mutex
	redisSess map[string]*redisStreamConn
	redisLive map[string]*redisStreamConn // sessions streaming now, by ID
}

// SyncStats are INFO stats' sync_full, sync_partial_ok and sync_partial_err.
func (m *Manager) SyncStats() (full, partialOK, partialErr int64) {
	return m.syncFull.Load(), m.syncPartialOK.Load(), m.syncPartialErr.Load()
}

func (m *Manager) pingPeriod() time.Duration {
	if m.o.PingPeriod == nil {
		return 10 * time.Second
	}
	return m.o.PingPeriod()
}

func (m *Manager) timeout() time.Duration {
	if m.o.Timeout == nil {
		return 60 * time.Second
	}
	return m.o.Timeout()
}

// Resume makes the next replica started continue from pos (the position
// this server's own log holds after a restart) instead of asking for a
// full resync; the primary grants it when its backlog still holds that
// offset of the same run.
func (m *Manager) Resume(pos cache.ReplPos) {
	m.mu.Lock()
	m.resume = &pos
	m.mu.Unlock()
}

// NewManager returns a manager in the primary role.
func NewManager(o ManagerOptions) *Manager { return &Manager{o: o} }

// ReplicaOf makes this server a replica of host:port, or a primary again
// when host is "" (REPLICAOF NO ONE). It reports whether anything changed.
func (m *Manager) ReplicaOf(host, port string) (changed bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if host == "" {
		if m.replica == nil {
			return false, nil
		}
		m.replica.Stop()
		m.replica = nil
		m.cur.Store(nil)
		m.following.Store(false)
		m.applyRole()
		m.o.Log.Info().Msg("REPLICAOF NO ONE: this server is a primary now and accepts writes")
		return true, nil
	}
	if _, err := strconv.Atoi(port); err != nil {
		return false, errors.New("ERR value is not an integer or out of range")
	}
	if r := m.replica; r != nil {
		if r.host == host && r.port == port {
			return false, nil
		}
		r.Stop()
	}
	m.following.Store(true)
	m.applyRole()
	m.replica = startReplica(m, host, port, m.resume)
	m.cur.Store(m.replica)
	m.resume = nil
	return true, nil
}

// ClosedPosition is the position in its primary's stream a replica stood
// at when Close stopped it (false: it was no replica, or had no position).
func (m *Manager) ClosedPosition() (cache.ReplPos, bool) {
	if p := m.closedPos.Load(); p != nil {
		return *p, true
	}
	return cache.ReplPos{}, false
}

// applyRole sets what the cache enforces on its clients' writes for this
// server's role: a primary takes them (within maxmemory); a replica
// refuses them under replica-read-only, and ignores maxmemory under
// replica-ignore-maxmemory.
func (m *Manager) applyRole() {
	replica := m.following.Load()
	m.o.Cache.SetReadOnly(replica && m.replicaReadOnly())
	m.o.Cache.SetIgnoreMaxMemory(replica && (m.o.IgnoreMaxMemory == nil || m.o.IgnoreMaxMemory()))
	m.denyStale.Store(m.o.ServeStale != nil && !m.o.ServeStale())
	ttl := int64(0)
	if m.o.BacklogTTL != nil && !replica {
		ttl = m.o.BacklogTTL()
	}
	m.o.Hub.SetBacklogTTL(ttl)
}

// DenyStale reports whether this replica's data is stale (its link to the
// primary down, or a full resync in progress) and replica-serve-stale-data
// is no: clients then get -MASTERDOWN (the server package's StaleData).
func (m *Manager) DenyStale() bool {
	if !m.denyStale.Load() || !m.following.Load() {
		return false
	}
	r := m.cur.Load()
	return r == nil || !r.linkUp.Load() || r.syncing.Load()
}

func (m *Manager) replicaReadOnly() bool { return m.o.ReadOnly == nil || m.o.ReadOnly() }

// ConfigChanged applies the role's settings again (CONFIG SET of
// replica-read-only, replica-ignore-maxmemory, replica-serve-stale-data,
// repl-backlog-ttl).
func (m *Manager) ConfigChanged() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applyRole()
}

// Close stops following a primary and disconnects replicas.
func (m *Manager) Close() {
	m.mu.Lock()
	r := m.replica
	m.replica = nil
	m.cur.Store(nil)
	m.following.Store(false)
	m.mu.Unlock()
	if r != nil {
		r.Stop()
		// the apply loop has ended: the position is final, and the data's
		// unless a full resync was cut short, or the frames after it may
		// still hold what its snapshot held
		if r.redis.Load() {
			// a redis-server primary's: its replication ID, the offset
			// applied and the stream's database (not during a full resync)
			if pos, ok := r.rl.position(); ok && !r.replacing.Load() {
				m.closedPos.Store(&pos)
			}
		} else if p := r.runID.Load(); p != nil && *p != "" && *p != "?" && !r.replacing.Load() && !r.withinCut.Load() {
			m.closedPos.Store(&cache.ReplPos{RunID: *p, Offset: r.offset.Load()})
		}
	}
	for _, s := range m.o.Hub.Subs() {
		if s.Replica {
			s.Close(nil)
		}
	}
}

// ForwardsPublish reports whether a PUBLISH made on this server goes to
// replicas: it is a primary and a replica takes message frames. A replica
// delivers its own clients' PUBLISHes locally only, as Redis does (its
// replicas get what its primary publishes).
// (A replica passes on only its primary's messages: a fastcache primary's
// arrive as message frames (Replica.message), a redis-server primary's as
// PUBLISH commands its master client runs, fromPrimary.)
func (m *Manager) ForwardsPublish(fromPrimary bool) bool {
	return m.o.Hub.ForwardsMessages() && (fromPrimary || !m.following.Load())
}

// ForwardPublish sends a PUBLISH (shard: SPUBLISH) to the replicas.
func (m *Manager) ForwardPublish(fromPrimary, shard bool, channel, message []byte) {
	if fromPrimary || !m.following.Load() {
		m.o.Hub.ForwardMessage(shard, channel, message)
	}
}

// ServeReplica takes over the connection of a replica that sent FCSYNC
// with the capability words caps (CapaPubSub: it takes message frames;
// CapaHeartbeat: heartbeats).
func (m *Manager) ServeReplica(conn net.Conn, runID string, offset int64, port int, caps []string) {
	conn.SetDeadline(time.Time{})
	pubsub, heartbeat, ip := false, false, ""
	for _, c := range caps {
		switch strings.ToLower(c) {
		case CapaPubSub:
			pubsub = true
		case CapaHeartbeat:
			heartbeat = true
		default:
			if v, ok := strings.CutPrefix(c, capaAnnounceIP); ok {
				ip = v
			}
		}
	}
	confirm := ""
	if heartbeat {
		confirm = " " + CapaHeartbeat
	}
	log := m.o.Log.With().Str("replica", conn.RemoteAddr().String()).Logger()
	if m.o.Snapshot == nil || (m.o.Serving != nil && !m.o.Serving()) {
		io.WriteString(conn, "-ERR this server cannot serve replicas: it runs with appendonly no\r\n")
		conn.Close()
		return
	}
	hub := m.o.Hub
	resume := runID == hub.RunID()
	sub, off, err := hub.AttachReplica(conn, resume, offset, pubsub)
	if err != nil {
		resume = false
		sub, off, err = hub.AttachReplica(conn, false, 0, pubsub)
	}
	if err != nil {
		io.WriteString(conn, "-ERR "+err.Error()+"\r\n")
		conn.Close()
		return
	}
	sub.Port, sub.IP = port, ip
	if resume {
		m.syncPartialOK.Add(1)
	} else {
		if runID != "?" {
			m.syncPartialErr.Add(1)
		}
		m.syncFull.Add(1)
	}
	if resume {
		log.Info().Int64("offset", off).Msg("replica resumes from the backlog")
		conn.SetWriteDeadline(time.Now().Add(hub.writeTimeout()))
		if _, err := fmt.Fprintf(conn, "+CONTINUE %s %d%s\r\n", hub.RunID(), off, confirm); err != nil {
			sub.Close(err)
			return
		}
		sub.Start() // send the backlog now, not at the next write
	} else {
		log.Info().Int64("offset", off).Msg("full resynchronization: taking a snapshot for the replica")
		start := time.Now()
		stopKA := func() {}
		if heartbeat {
			stopKA = startKeepAlive(conn)
		}
		f, size, err := m.o.Snapshot()
		stopKA()
		if err != nil {
			log.Error().Err(err).Msg("snapshot for the replica failed")
			fmt.Fprintf(conn, "-ERR snapshot for the replica failed: %v\r\n", err)
			sub.Close(err)
			return
		}
		err = sendSnapshot(conn, f, size, hub.RunID(), off, confirm, hub.writeTimeout())
		f.Close()
		if err != nil {
			sub.Close(fmt.Errorf("sending the snapshot: %w", err))
			return
		}
		log.Info().Int64("bytes", size).Dur("took", time.Since(start).Round(time.Microsecond)).Msg("snapshot sent to the replica, streaming the log")
		sub.Start()
	}
	if heartbeat {
		go pinger(sub, m.pingPeriod)
	}
	go m.readAcks(conn, sub, func(br *bufio.Reader) (int64, bool, error) {
		line, err := readLine(br, 1024)
		if err != nil {
			return 0, false, err
		}
		if f := strings.Fields(line); len(f) == 2 && f[0] == "ACK" {
			if n, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				return n, true, nil
			}
		}
		return 0, false, nil
	})
	if err := sub.Run(); err == nil {
		log.Info().Msg("replica disconnected")
	}
}

// readAcks reads a replica's acknowledgements (ack: one read, false if it
// was something else) into sub until the replica goes. Every replica
// sends ACK every second: one silent for repl-timeout is gone (a
// partition, a stopped process) even if its socket is not.
func (m *Manager) readAcks(conn net.Conn, sub *Sub, ack func(br *bufio.Reader) (int64, bool, error)) {
	br := bufio.NewReaderSize(conn, 4096)
	for {
		timeout := m.timeout()
		conn.SetReadDeadline(time.Now().Add(timeout))
		off, ok, err := ack(br)
		if err != nil {
			if isTimeout(err) {
				err = fmt.Errorf("timeout: no acknowledgement for %v (repl-timeout)", timeout)
			} else {
				err = nil
			}
			sub.Close(err)
			return
		}
		if ok {
			sub.Ack(off)
		}
	}
}

func sendSnapshot(conn net.Conn, f *os.File, size int64, runID string, off int64, confirm string, timeout time.Duration) error {
	conn.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := fmt.Fprintf(conn, "+FULLRESYNC %s %d%s\r\n$%d\r\n", runID, off, confirm, size); err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	var sent int64
	for sent < size {
		n, err := f.Read(buf)
		if n > 0 {
			conn.SetWriteDeadline(time.Now().Add(timeout))
			if _, werr := conn.Write(buf[:n]); werr != nil {
				return werr
			}
			sent += int64(n)
		}
		if err != nil {
			if err == io.EOF && sent == size {
				break
			}
			return fmt.Errorf("read snapshot: %w", err)
		}
	}
	return nil
}

// IsReplica reports whether this server follows a primary (WAIT refuses).
func (m *Manager) IsReplica() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.replica != nil
}

// AckTarget is the stream offset a replica has applied every write up to
// lsn at: known (ok) once the WAL exported them, which the WAL writer does
// right after writing them (Hub.Exported).
func (m *Manager) AckTarget(lsn uint64) (offset int64, ok bool) {
	return m.o.Hub.AckTarget(lsn)
}

// Acked counts the replicas that acknowledged the stream up to offset.
func (m *Manager) Acked(offset int64) int { return m.o.Hub.Acked(offset) }

// OnAck sets the function called after each replica acknowledgement.
func (m *Manager) OnAck(fn func()) { m.o.Hub.OnAck(fn) }

// Role is what ROLE reports.
func (m *Manager) Role() server.RoleInfo {
	m.mu.Lock()
	r := m.replica
	m.mu.Unlock()
	if r != nil {
		port, _ := strconv.Atoi(r.port)
		state := "connect"
		switch {
		case r.syncing.Load():
			state = "sync"
		case r.linkUp.Load():
			state = "connected"
		}
		return server.RoleInfo{Host: r.host, Port: port, State: state, Offset: r.offset.Load()}
	}
	ri := server.RoleInfo{Master: true, Offset: m.o.Hub.Offset()}
	for _, s := range m.o.Hub.Subs() {
		if s.Replica {
			host := s.host()
			off, at := s.Acked()
			ri.Replicas = append(ri.Replicas, server.ReplicaInfo{IP: host, Port: s.Port, Offset: off, LastAck: at, Online: s.Online()})
		}
	}
	return ri
}

// Info is the INFO replication section.
func (m *Manager) Info() string {
	var b strings.Builder
	hub := m.o.Hub
	m.mu.Lock()
	r := m.replica
	m.mu.Unlock()
	if r != nil {
		r.info(&b)
	} else {
		b.WriteString("role:master\r\n")
	}
	var reps []*Sub
	for _, s := range hub.Subs() {
		if s.Replica {
			reps = append(reps, s)
		}
	}
	fmt.Fprintf(&b, "connected_slaves:%d\r\n", len(reps))
	off := hub.Offset()
	for i, s := range reps {
		acked, at := s.Acked()
		host := s.host()
		state := "online"
		s.mu.Lock()
		if s.paused {
			state = "wait_bgsave"
		}
		s.mu.Unlock()
		fmt.Fprintf(&b, "slave%d:ip=%s,port=%d,state=%s,offset=%d,lag=%d,lag_bytes=%d\r\n",
			i, host, s.Port, state, acked, int64(time.Since(at).Seconds()), off-acked)
	}
	first, length := hub.Backlog()
	fmt.Fprintf(&b, "master_failover_state:no-failover\r\nmaster_replid:%s\r\nmaster_replid2:%s\r\n", hub.RunID(), strings.Repeat("0", 40))
	fmt.Fprintf(&b, "master_repl_offset:%d\r\nsecond_repl_offset:-1\r\n", off)
	active := 0
	if length > 0 {
		active = 1
	}
	fmt.Fprintf(&b, "repl_backlog_active:%d\r\nrepl_backlog_size:%d\r\nrepl_backlog_first_byte_offset:%d\r\nrepl_backlog_histlen:%d\r\n",
		active, hub.BacklogSize(), first, length)
	return b.String()
}
