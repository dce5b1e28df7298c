package replication

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"fastcache/cache"
	"fastcache/internal/sockopt"
	"fastcache/persistence"
	"fastcache/pubsub"
	"fastcache/replay"
	"fastcache/shard"
)

// Replica follows a primary: it connects, authenticates with masterauth,
// asks to continue at its offset (or gets a full resync: snapshot, then the
// stream), applies every record through the cache with logging into its own
// WAL, and reconnects with a back-off after any failure.
type Replica struct {
	m          *Manager
	host, port string

	stop chan struct{}
	done chan struct{}

	connMu sync.Mutex
	conn   net.Conn

	// guarded by the run goroutine; read atomically for INFO
	runID   atomic.Pointer[string]
	offset  atomic.Int64
	linkUp  atomic.Bool
	syncing atomic.Bool
	// replacing: a full resync began and has not finished (the dataset
	// may be partly the new one): its position is not the data's
	replacing atomic.Bool
	// withinCut: frames since the last full resync may still be ones its
	// snapshot holds (skipped by cut, which a restart does not have): a
	// position there is not one to continue from
	withinCut atomic.Bool
	lastIO    atomic.Int64 // unix ms of the last byte from the primary
	downSince atomic.Int64 // unix ms
	lastErr   atomic.Pointer[string]
	applied   atomic.Int64 // records applied
	fullSyncs atomic.Int64

	cut *replay.Cut // filter after a full resync (run goroutine only)

	// redis: the primary is a redis-server, followed in Redis's protocol
	// (redis_primary.go); rl is its position and client (run goroutine)
	redis atomic.Bool
	rl    redisLink
}

func startReplica(m *Manager, host, port string, resume *cache.ReplPos) *Replica {
	r := &Replica{m: m, host: host, port: port, stop: make(chan struct{}), done: make(chan struct{})}
	r.rl.resumeDB = -1
	if resume != nil && r.rl.resumeFromLog(*resume) {
		r.offset.Store(resume.Offset) // a redis-server primary's stream
	} else if resume != nil && resume.RunID != "" {
		id := resume.RunID
		r.runID.Store(&id)
		r.offset.Store(resume.Offset)
	}
	r.downSince.Store(time.Now().UnixMilli())
	m.o.Log.Info().Str("primary", net.JoinHostPort(host, port)).Msg("replica of a primary: connecting")
	go r.run()
	return r
}

// Stop disconnects from the primary and waits for the apply loop to end.
func (r *Replica) Stop() {
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
	r.connMu.Lock()
	if r.conn != nil {
		r.conn.Close()
	}
	r.connMu.Unlock()
	<-r.done
}

func (r *Replica) stopped() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

func (r *Replica) run() {
	defer close(r.done)
	defer func() {
		if r.rl.runner != nil {
			r.rl.runner.Close()
		}
		if r.redis.Load() {
			r.m.o.Cache.ExpireByPrimary(false) // this server's own keys expire again
		}
	}()
	log := r.m.o.Log.With().Str("primary", net.JoinHostPort(r.host, r.port)).Logger()
	backoff := 100 * time.Millisecond
	for !r.stopped() {
		start := time.Now()
		err := r.session()
		if r.linkUp.Swap(false) {
			r.downSince.Store(time.Now().UnixMilli())
		}
		if r.stopped() {
			return
		}
		if err != nil {
			msg := err.Error()
			r.lastErr.Store(&msg)
			log.Warn().Err(err).Dur("retry_in", backoff).Msg("replication link down")
		}
		if time.Since(start) > 5*time.Second {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-r.stop:
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

// dial connects to the primary, from bind-source-addr when it is set. As
// Redis's best-effort binding: a source address that cannot be used (not
// this host's, not resolvable) is logged and the connection is made
// without it (the address not this host's: EADDRNOTAVAIL).
func (r *Replica) dial() (net.Conn, error) {
	addr := net.JoinHostPort(r.host, r.port)
	d := net.Dialer{Timeout: 5 * time.Second, Control: sockopt.Control(r.m.o.SocketMark, func(err error) {
		r.m.o.Log.Warn().Err(err).Msg("socket-mark-id: the connection to the primary is not marked")
	})}
	src := ""
	if r.m.o.BindSource != nil {
		src = r.m.o.BindSource()
	}
	if src == "" {
		return d.Dial("tcp", addr)
	}
	local, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(src, "0"))
	if err == nil {
		d.LocalAddr = local
		conn, err := d.Dial("tcp", addr)
		if !errors.Is(err, syscall.EADDRNOTAVAIL) { // not a failure to bind
			return conn, err
		}
		d.LocalAddr = nil
	}
	r.m.o.Log.Warn().Err(err).Str("bind-source-addr", src).Msg("replica: connecting to the primary without the source address")
	return d.Dial("tcp", addr)
}

// session is one connection to the primary.
func (r *Replica) session() error {
	conn, err := r.dial()
	if err != nil {
		return err
	}
	if f := r.m.o.TLS; f != nil {
		if cfg := f(); cfg != nil { // tls-replication yes
			tc := tls.Client(conn, cfg)
			tc.SetDeadline(time.Now().Add(r.m.timeout()))
			if err := tc.Handshake(); err != nil {
				conn.Close()
				return fmt.Errorf("TLS handshake with the primary: %w", err)
			}
			tc.SetDeadline(time.Time{})
			conn = tc
		}
	}
	r.connMu.Lock()
	if r.stopped() {
		r.connMu.Unlock()
		conn.Close()
		return nil
	}
	r.conn = conn
	r.connMu.Unlock()
	defer conn.Close()
	// Every read waits repl-timeout at most: during the handshake, while
	// the snapshot comes (the primary sends "\n" while it makes it) and,
	// with heartbeats, while streaming.
	tr := &timeoutReader{conn: conn, timeout: r.m.timeout, lastIO: &r.lastIO}
	br := bufio.NewReaderSize(tr, 1<<20)
	conn.SetWriteDeadline(time.Now().Add(r.m.timeout()))
	if pass := r.m.o.MasterAuth(); pass != "" {
		auth := []string{"AUTH", pass}
		if f := r.m.o.MasterUser; f != nil && f() != "" {
			auth = []string{"AUTH", f(), pass} // an ACL user of the primary (masteruser)
		}
		if _, err := conn.Write(respCommand(auth...)); err != nil {
			return err
		}
		line, err := readLine(br, 4096)
		if err != nil {
			return err
		}
		if line != "+OK" {
			return fmt.Errorf("Unable to AUTH to MASTER: %s", line) // Redis's log text
		}
	}
	runID := "?"
	if p := r.runID.Load(); p != nil {
		runID = *p
	}
	port := int64(r.m.o.Port)
	if f := r.m.o.AnnouncePort; f != nil && f() > 0 {
		port = f()
	}
	fcsync := []string{"FCSYNC", runID, strconv.FormatInt(r.offset.Load(), 10), strconv.FormatInt(port, 10)}
	pubsub := r.m.o.Publish != nil
	if pubsub {
		fcsync = append(fcsync, CapaPubSub)
	}
	fcsync = append(fcsync, CapaHeartbeat)
	if f := r.m.o.AnnounceIP; f != nil && f() != "" {
		fcsync = append(fcsync, capaAnnounceIP+f())
	}
	if _, err := conn.Write(respCommand(fcsync...)); err != nil {
		return err
	}
	line, err := readReplyLine(br)
	if err != nil {
		return err
	}
	if strings.HasPrefix(line, "-ERR unknown command") {
		return r.redisSession(conn, br, tr) // a redis-server
	}
	if strings.HasPrefix(line, "-ERR wrong number of arguments") {
		// a primary older than capability words: follow it without them
		pubsub = false
		if _, err := conn.Write(respCommand(fcsync[:4]...)); err != nil {
			return err
		}
		if line, err = readReplyLine(br); err != nil {
			return err
		}
	}
	if strings.HasPrefix(line, "+") && r.redis.Swap(false) {
		// a fastcache primary again where a redis-server was: its
		// stream deletes the keys that expire there, as this server's
		// own cycle does
		r.m.o.Cache.ExpireByPrimary(false)
	}
	f := strings.Fields(line)
	heartbeat := false
	if len(f) > 3 {
		for _, w := range f[3:] {
			heartbeat = heartbeat || w == CapaHeartbeat
		}
		f = f[:3]
	}
	switch {
	case len(f) == 3 && f[0] == "+CONTINUE":
		off, _ := strconv.ParseInt(f[2], 10, 64)
		if f[1] != runID || off != r.offset.Load() {
			return fmt.Errorf("primary continued at %s %d, expected %s %d", f[1], off, runID, r.offset.Load())
		}
		r.m.o.Log.Info().Int64("offset", off).Msg("replication resumed from the primary's backlog")
	case len(f) == 3 && f[0] == "+FULLRESYNC":
		off, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return fmt.Errorf("bad FULLRESYNC line %q", line)
		}
		r.replacing.Store(true) // until the new dataset and its position are in place
		if err := r.fullSync(conn, br); err != nil {
			return err
		}
		id := f[1]
		r.runID.Store(&id)
		r.offset.Store(off)
		r.replacing.Store(false)
	case strings.HasPrefix(line, "-"):
		return errors.New(strings.TrimPrefix(line, "-"))
	default:
		return fmt.Errorf("unexpected reply to FCSYNC: %q", line)
	}
	conn.SetWriteDeadline(time.Time{})
	tr.off = !heartbeat // an older primary sends nothing while idle
	r.linkUp.Store(true)
	r.lastIO.Store(time.Now().UnixMilli())
	r.lastErr.Store(nil)

	ackDone := make(chan struct{})
	defer close(ackDone)
	applied := make(chan struct{}, 1)
	go r.acker(conn, ackDone, applied)

	sr := NewStreamReader(br, r.offset.Load())
	if pubsub {
		sr.Messages = r.message
	}
	for {
		recs, _, err := sr.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("the primary closed the connection")
			}
			return err
		}
		r.applyFrame(recs, sr.Offset)
		r.applied.Add(int64(len(recs)))
		r.offset.Store(sr.Offset)
		select {
		case applied <- struct{}{}: // acknowledge soon: a WAIT on the primary may be counting
		default:
		}
	}
}

// message delivers a PUBLISH (SPUBLISH) of the primary to this server's
// subscribers, then passes it on to this server's own replicas: it follows
// the frames read before it, which are applied (and logged) by now.
func (r *Replica) message(shard bool, channel, message []byte) {
	r.m.o.Publish(shard, channel, message)
	r.m.o.Hub.ForwardMessage(shard, channel, message)
}

// acker reports the applied offset to the primary, as soon as a frame is
// applied (one report covers the frames applied while the previous one was
// written) and every second.
func (r *Replica) acker(conn net.Conn, done, applied chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	last, lastSent := int64(-1), time.Time{}
	for {
		select {
		case <-done:
			return
		case <-t.C:
		case <-applied:
		}
		off := r.offset.Load()
		if off == last && time.Since(lastSent) < time.Second {
			continue
		}
		conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := fmt.Fprintf(conn, "ACK %d\n", off); err != nil {
			conn.Close()
			return
		}
		last, lastSent = off, time.Now()
	}
}

// applyFrame applies one frame of the primary atomically (so every group
// in it is whole for readers), leaving out the records the loaded snapshot
// already holds, and logs it into the replica's own WAL as one transaction
// together with the stream offset after it: after a restart the replica
// resumes from the last offset its log holds (see Manager.Resume).
func (r *Replica) applyFrame(recs []persistence.Record, offset int64) {
	keep := recs[:0:0]
	for i := range recs {
		rec := &recs[i]
		if rec.Op == persistence.OpReplPos {
			continue // the primary's own position as a replica: not ours
		}
		if rec.Op == persistence.OpFlush || rec.Op == persistence.OpSwapDB {
			if r.cut.CoversAll(rec.LSN) {
				continue
			}
			if r.cut.CoversAny(rec.LSN) {
				// Partly in the snapshot (just after a full resync): applied
				// per key, in order after what precedes it in the frame.
				if len(keep) > 0 {
					r.m.o.Cache.ApplyGroupLogged(keep, nil)
					keep = keep[:0]
				}
				r.cut.ApplyAfter(rec, r.m.o.Cache.Logged())
				continue
			}
		} else if r.cut.Covers(rec.LSN, rec.Key) {
			continue
		}
		keep = append(keep, *rec)
	}
	if n := len(recs); n > 0 && r.withinCut.Load() && !r.cut.CoversAny(recs[n-1].LSN) {
		r.withinCut.Store(false) // LSNs only grow: nothing after this is covered
	}
	pos := &cache.ReplPos{Offset: offset}
	if id := r.runID.Load(); id != nil && !r.withinCut.Load() {
		// (within the cut the position logged has no run id: a restart
		// from there would apply again what the snapshot holds, so it
		// takes a full resync)
		pos.RunID = *id
	}
	r.m.o.Cache.ApplyGroupLogged(keep, pos)
}

// fullSync receives the primary's snapshot into a file, then replaces the
// whole dataset with it (answering -LOADING meanwhile).
func (r *Replica) fullSync(conn net.Conn, br *bufio.Reader) error {
	r.syncing.Store(true)
	defer r.syncing.Store(false)
	line, err := readLine(br, 64)
	if err != nil {
		return err
	}
	size, err := strconv.ParseInt(strings.TrimPrefix(line, "$"), 10, 64)
	if err != nil || !strings.HasPrefix(line, "$") || size < 0 {
		return fmt.Errorf("bad snapshot length line %q", line)
	}
	start := time.Now()
	// "\n" to the primary meanwhile, so it does not take a long load for a
	// dead replica (its ACK reader skips empty lines; Redis does the same).
	defer startKeepAlive(conn)()
	path := filepath.Join(r.m.o.Dir, "replica-sync.fcs.tmp")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	if _, err := io.CopyN(f, br, size); err != nil {
		f.Close()
		return fmt.Errorf("receiving the snapshot: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if _, err := persistence.VerifySnapshot(path); err != nil {
		return fmt.Errorf("snapshot from the primary: %w", err)
	}
	c := r.m.o.Cache
	if r.m.o.SetLoading != nil {
		r.m.o.SetLoading(true)
		defer r.m.o.SetLoading(false)
	}
	c.Keyspace().Flush(true)
	// No position until the whole snapshot is in: a crash in the middle of
	// loading it must not resume from an older position.
	c.ApplyGroupLogged(nil, &cache.ReplPos{})
	now := shard.Now()
	meta, err := persistence.ReadSnapshot(path, runtime.GOMAXPROCS(0), func(_ int, rec *persistence.Record) {
		if rec.ExpireAt != 0 && rec.ExpireAt <= now {
			return
		}
		c.ApplyLogged(rec)
	})
	if err != nil {
		return fmt.Errorf("loading the snapshot from the primary: %w", err)
	}
	r.cut = replay.NewCut(meta)
	r.withinCut.Store(true)
	r.fullSyncs.Add(1)
	r.m.o.Log.Info().Int64("bytes", size).Uint64("keys", meta.Keys).Dur("took", time.Since(start).Round(time.Microsecond)).
		Msg("full resynchronization with the primary done")
	return nil
}

// readReplyLine reads the primary's reply to FCSYNC, skipping the empty
// lines it sends while it makes a snapshot.
func readReplyLine(br *bufio.Reader) (string, error) {
	for {
		line, err := readLine(br, 4096)
		if err != nil || line != "" {
			return line, err
		}
	}
}

func (r *Replica) info(b *strings.Builder) {
	fmt.Fprintf(b, "role:slave\r\nmaster_host:%s\r\nmaster_port:%s\r\n", r.host, r.port)
	status := "down"
	if r.linkUp.Load() {
		status = "up"
	}
	fmt.Fprintf(b, "master_link_status:%s\r\n", status)
	io := int64(-1)
	if t := r.lastIO.Load(); t > 0 && r.linkUp.Load() {
		io = (time.Now().UnixMilli() - t) / 1000
	}
	fmt.Fprintf(b, "master_last_io_seconds_ago:%d\r\nmaster_sync_in_progress:%d\r\n", io, b2i(r.syncing.Load()))
	fmt.Fprintf(b, "slave_read_repl_offset:%d\r\nslave_repl_offset:%d\r\n", r.offset.Load(), r.offset.Load())
	if !r.linkUp.Load() {
		fmt.Fprintf(b, "master_link_down_since_seconds:%d\r\n", (time.Now().UnixMilli()-r.downSince.Load())/1000)
	}
	prio, announced := int64(100), true
	if f := r.m.o.Priority; f != nil {
		prio = f()
	}
	if f := r.m.o.Announced; f != nil {
		announced = f()
	}
	fmt.Fprintf(b, "slave_priority:%d\r\nslave_read_only:%d\r\nreplica_announced:%d\r\n", prio, b2i(r.m.replicaReadOnly()), b2i(announced))
	fmt.Fprintf(b, "replica_records_applied:%d\r\nreplica_full_syncs:%d\r\n", r.applied.Load(), r.fullSyncs.Load())
	if p := r.lastErr.Load(); p != nil {
		fmt.Fprintf(b, "replica_last_error:%s\r\n", strings.ReplaceAll(*p, "\n", " "))
	}
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

// respCommand encodes a command as a RESP array of bulk strings.
func respCommand(args ...string) []byte {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	return pubsub.AppendCommand(nil, bs)
}
