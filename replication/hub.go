// Package replication turns the WAL into a change stream: the Hub receives
// every frame the WAL writer appends (byte for byte as on disk) and fans it
// out to TCP peers: export subscribers (wal-export-listen), a pushed-to
// collector (wal-export-connect) and read replicas (REPLICAOF), which get a
// snapshot first and then the stream after it.
//
// Stream positions are byte offsets into the concatenation of every frame
// exported since the process started (Redis's master_repl_offset); a run id
// names that stream, so a replica can resume at its offset after a network
// break as long as the primary still holds the bytes in its backlog.
//
// Each peer has its own bounded queue and sender goroutine. When a queue is
// full, the WAL writer either waits for room (block: nothing is ever missing
// from the stream) for at most the write timeout, after which the peer is
// disconnected so it cannot stall the others, or drops the frames for that
// peer and counts them (drop). Replicas always use block: a replica with a
// gap would diverge, so it is cut off instead and resynchronizes.
//
// Replicas that ask for them also get the primary's PUBLISHes between the
// frames, outside the offsets and the backlog (pubsub.go).
package replication

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"fastcache/persistence"
)

// HubOptions configure a Hub.
type HubOptions struct {
	OnFull       string        // block | drop (export subscribers)
	WriteTimeout time.Duration // a peer stuck this long is disconnected
	MaxSubs      int           // export subscribers at most (listen mode)
	Backlog      int64         // bytes of recent stream kept for resuming replicas
	QueueBytes   int           // per export peer queue bound
	Log          zerolog.Logger
}

// Hub fans the WAL stream out to peers.
type Hub struct {
	o     HubOptions
	runID string

	mu      sync.Mutex
	offset  int64        // stream bytes published so far
	backlog [][]byte     // recent chunks, oldest first
	blMax   atomic.Int64 // the backlog's size limit (SetBacklog)
	blTTL   atomic.Int64 // seconds without a replica before the backlog is freed (0: never)
	// noReplicaSince: unix ms when the last replica left (0: one is
	// attached, or the backlog is off)
	noReplicaSince int64
	blStart        int64 // stream offset of backlog[0]
	blBytes        int64
	// backlogOn: a replica attached once, so recent bytes are kept for it
	// to resume (like Redis, which creates its backlog with the first replica)
	backlogOn bool
	subs      map[*Sub]struct{}
	nsubs     atomic.Int32 // len(subs), read without the lock (Followed)
	onFull    atomic.Pointer[string]
	timeout   atomic.Int64           // ns
	onAck     atomic.Pointer[func()] // called after each replica acknowledgement (WAIT)
	// exportedLSN: every record up to it was published (Exported)
	exportedLSN atomic.Uint64
	// WAIT: the stream offset at the end of recent writer rounds, by LSN
	marksMu sync.Mutex
	marks   [ackMarks]lsnOffset // a ring, oldest at marks[markHead]
	nmarks  int
	markHd  int

	stats     Stats // export subscribers and collectors (INFO wal_export)
	replStats Stats // replicas

	ps psForward // pub/sub messages for replicas (pubsub.go)
}

// class is the counters of s's subscriber class.
func (h *Hub) class(s *Sub) *Stats {
	if s.Replica {
		return &h.replStats
	}
	return &h.stats
}

// Stats are the figures of one subscriber class: export peers (INFO
// wal_export) or replicas.
type Stats struct {
	QueuedFrames, QueuedBytes   atomic.Int64
	SentFrames, SentBytes       atomic.Int64
	DroppedFrames, DroppedBytes atomic.Int64
	WriteFailures               atomic.Int64
	ConnectFailures             atomic.Int64
	Accepted, Rejected          atomic.Int64
}

// NewHub returns a hub with a fresh run id.
func NewHub(o HubOptions) *Hub {
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = 32 << 20
	}
	if o.Backlog < MinBacklog {
		o.Backlog = MinBacklog
	}
	var id [20]byte
	rand.Read(id[:])
	h := &Hub{o: o, runID: hex.EncodeToString(id[:]), subs: make(map[*Sub]struct{})}
	h.blMax.Store(o.Backlog)
	h.SetOnFull(o.OnFull)
	h.SetWriteTimeout(o.WriteTimeout)
	return h
}

// MinBacklog is the smallest backlog a hub keeps: repl-backlog-size
// below it (Redis's default is 1 MB, in many a redis.conf) gives this.
const MinBacklog = 64 << 20

// SetBacklog changes the backlog's size (repl-backlog-size, at least
// MinBacklog); a smaller one is trimmed at the next publish.
func (h *Hub) SetBacklog(n int64) { h.blMax.Store(max(n, MinBacklog)) }

// SetBacklogTTL is repl-backlog-ttl: the backlog is freed once no replica
// has been attached for secs seconds (0: never), as Redis's primary frees
// it; a replica that comes later gets a full resync.
func (h *Hub) SetBacklogTTL(secs int64) { h.blTTL.Store(secs) }

// expireBacklog frees the backlog past its TTL. Called with h.mu held.
func (h *Hub) expireBacklog() {
	ttl := h.blTTL.Load()
	if ttl <= 0 || !h.backlogOn || h.noReplicaSince == 0 || time.Now().UnixMilli()-h.noReplicaSince < ttl*1000 {
		return
	}
	clear(h.backlog)
	h.backlog, h.blBytes, h.blStart = nil, 0, h.offset
	h.backlogOn, h.noReplicaSince = false, 0
	h.o.Log.Info().Int64("seconds", ttl).Msg("Replication backlog freed after the repl-backlog-ttl without replicas")
}

// BacklogSize is the backlog's size limit.
func (h *Hub) BacklogSize() int64 { return h.blMax.Load() }

// RunID names this process's stream.
func (h *Hub) RunID() string { return h.runID }

// SetOnFull changes wal-export-on-full at run time.
func (h *Hub) SetOnFull(p string) {
	if p != "drop" {
		p = "block"
	}
	h.onFull.Store(&p)
}

// SetMaxSubs changes wal-export-max-subscribers at run time.
func (h *Hub) SetMaxSubs(n int) {
	h.mu.Lock()
	h.o.MaxSubs = n
	h.mu.Unlock()
}

// SetWriteTimeout changes wal-export-write-timeout at run time.
func (h *Hub) SetWriteTimeout(d time.Duration) { h.timeout.Store(int64(d)) }

func (h *Hub) writeTimeout() time.Duration { return time.Duration(h.timeout.Load()) }

// Offset is the stream offset after the last published byte.
func (h *Hub) Offset() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.offset
}

// Publish is the WAL's Export hook: frames are whole frames in log order. It
// runs on the WAL writer goroutine; in block mode it waits (at most the write
// timeout per peer) for room in each peer's queue.
func (h *Hub) Publish(frames []byte) {
	if len(frames) == 0 {
		return
	}
	h.mu.Lock()
	h.expireBacklog()
	if len(h.subs) == 0 && !h.backlogOn {
		// nobody follows and no replica ever did: no copy at all
		h.offset += int64(len(frames))
		h.blStart = h.offset
		h.mu.Unlock()
		return
	}
	h.mu.Unlock()
	chunk := append([]byte(nil), frames...)
	nframes := int64(persistence.FrameCount(chunk))
	h.mu.Lock()
	h.offset += int64(len(chunk))
	if h.backlogOn {
		h.backlog = append(h.backlog, chunk)
		h.blBytes += int64(len(chunk))
	} else {
		h.blStart = h.offset
	}
	for max := h.blMax.Load(); len(h.backlog) > 1 && h.blBytes-int64(len(h.backlog[0])) >= max; {
		h.blBytes -= int64(len(h.backlog[0]))
		h.blStart += int64(len(h.backlog[0]))
		h.backlog[0] = nil
		h.backlog = h.backlog[1:]
	}
	var subs []*Sub
	if len(h.subs) > 0 {
		subs = make([]*Sub, 0, len(h.subs))
		for s := range h.subs {
			subs = append(subs, s)
		}
	}
	h.mu.Unlock()
	if len(subs) == 0 {
		return
	}
	block := *h.onFull.Load() == "block"
	for _, s := range subs {
		if s.push(chunk, nframes, block || s.Replica) {
			st := h.class(s)
			st.QueuedFrames.Add(nframes)
			st.QueuedBytes.Add(int64(len(chunk)))
		}
	}
}

// host is the replica's address for INFO and ROLE: the one it announced,
// else the one its connection comes from.
func (s *Sub) host() string {
	if s.IP != "" {
		return s.IP
	}
	h, _, _ := net.SplitHostPort(s.Addr)
	return h
}

// Sub is one peer of the stream.
type Sub struct {
	h       *Hub
	conn    net.Conn
	Addr    string
	Replica bool
	Port    int    // a replica's listening port (INFO)
	IP      string // the address a replica announced (replica-announce-ip), if any
	PubSub  bool   // a replica that takes pub/sub message frames (pubsub.go)

	mu      sync.Mutex
	q       [][]byte
	qframes []int64 // frames in each chunk of q; -1: a message frame
	qBytes  int
	limit   int
	paused  bool // a replica's queue fills while its snapshot is sent
	closed  bool
	ready   chan struct{}
	space   chan struct{}
	done    chan struct{}

	sent     atomic.Int64 // stream offset after the last byte sent
	acked    atomic.Int64 // replica: offset it reported applying
	lastAck  atomic.Int64 // unix ms
	dropped  atomic.Int64
	closeErr atomic.Pointer[string]
}

// ErrTooManySubscribers is returned by Attach over wal-export-max-subscribers.
var ErrTooManySubscribers = errors.New("max subscribers reached")

// ErrCannotResume is returned by AttachAt when the offset is not in the backlog.
var ErrCannotResume = errors.New("offset not in the backlog")

func (h *Hub) newSub(conn net.Conn, replica bool, limit int) *Sub {
	return &Sub{h: h, conn: conn, Addr: conn.RemoteAddr().String(), Replica: replica, limit: limit,
		ready: make(chan struct{}, 1), space: make(chan struct{}, 1), done: make(chan struct{})}
}

// Attach adds an export subscriber that receives the stream from now on; it
// returns the subscriber and the stream offset it starts at. Subscribers over
// MaxSubs are refused.
func (h *Hub) Attach(conn net.Conn) (*Sub, int64, error) {
	h.mu.Lock()
	n := 0
	for s := range h.subs {
		if !s.Replica {
			n++
		}
	}
	if h.o.MaxSubs > 0 && n >= h.o.MaxSubs {
		h.mu.Unlock()
		return nil, 0, ErrTooManySubscribers
	}
	s := h.newSub(conn, false, h.o.QueueBytes)
	s.sent.Store(h.offset)
	h.subs[s] = struct{}{}
	h.nsubs.Store(int32(len(h.subs)))
	off := h.offset
	h.mu.Unlock()
	h.stats.Accepted.Add(1)
	return s, off, nil
}

// replicaQueue bounds a replica's queue (Redis's client-output-buffer-limit
// replica hard limit).
const replicaQueue = 256 << 20

// AttachReplica adds a replica. With resume, the replica continues at offset
// (it must lie in the backlog, else ErrCannotResume); without, it starts at
// the current offset with its queue paused until Start (the snapshot goes
// first). With pubsub it also gets the pub/sub messages published from now
// on (pubsub.go). It returns the offset the stream starts at.
func (h *Hub) AttachReplica(conn net.Conn, resume bool, offset int64, pubsub bool) (*Sub, int64, error) {
	h.mu.Lock()
	defer h.mu.Unlock() // after ps.mu's (lock order: h.mu, then ps.mu)
	s := h.newSub(conn, true, replicaQueue)
	s.PubSub = pubsub
	h.backlogOn = true
	h.noReplicaSince = 0
	if resume {
		if offset < h.blStart || offset > h.offset {
			return nil, 0, ErrCannotResume
		}
		pos := h.blStart
		for _, c := range h.backlog {
			end := pos + int64(len(c))
			if end > offset {
				part := c
				if offset > pos {
					part = c[offset-pos:]
				}
				s.q = append(s.q, part)
				s.qframes = append(s.qframes, int64(persistence.FrameCount(part)))
				s.qBytes += len(part)
			}
			pos = end
		}
		s.sent.Store(offset)
	} else {
		s.paused = true
		offset = h.offset
		s.sent.Store(offset)
	}
	s.acked.Store(offset)
	s.lastAck.Store(time.Now().UnixMilli())
	h.subs[s] = struct{}{}
	h.nsubs.Store(int32(len(h.subs)))
	if pubsub {
		h.addMessageSub(s)
	}
	return s, offset, nil
}

// Subs lists the current peers.
func (h *Hub) Subs() []*Sub {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*Sub, 0, len(h.subs))
	for s := range h.subs {
		out = append(out, s)
	}
	return out
}

func (h *Hub) remove(s *Sub) {
	h.mu.Lock()
	delete(h.subs, s)
	h.nsubs.Store(int32(len(h.subs)))
	if s.Replica && h.backlogOn {
		last := true
		for o := range h.subs {
			last = last && !o.Replica
		}
		if last {
			h.noReplicaSince = time.Now().UnixMilli()
		}
	}
	h.mu.Unlock()
	if s.PubSub {
		h.removeMessageSub(s)
	}
}

// Followed reports whether any subscriber or replica is attached (a
// publish may then wait for a slow one).
func (h *Hub) Followed() bool { return h.nsubs.Load() > 0 }

// push queues chunk for s. Without block it drops the chunk when the queue is
// full; with block it waits for room up to the write timeout, then
// disconnects s.
func (s *Sub) push(chunk []byte, frames int64, block bool) bool {
	var deadline time.Time
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return false
		}
		if s.qBytes == 0 || s.qBytes+len(chunk) <= s.limit {
			s.q = append(s.q, chunk)
			s.qframes = append(s.qframes, frames)
			s.qBytes += len(chunk)
			s.mu.Unlock()
			select {
			case s.ready <- struct{}{}:
			default:
			}
			return true
		}
		s.mu.Unlock()
		if !block {
			s.dropped.Add(frames)
			s.h.class(s).DroppedFrames.Add(frames)
			s.h.class(s).DroppedBytes.Add(int64(len(chunk)))
			return false
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(s.h.writeTimeout())
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			s.Close(fmt.Errorf("could not keep up for %v (queue full)", s.h.writeTimeout()))
			return false
		}
		t := time.NewTimer(wait)
		select {
		case <-s.space:
		case <-s.done:
		case <-t.C:
		}
		t.Stop()
	}
}

// Start releases a paused replica queue (after its snapshot was sent).
func (s *Sub) Start() {
	s.mu.Lock()
	s.paused = false
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Run sends queued chunks until the peer fails or is closed; it returns the
// reason. Writes are bounded by the write timeout.
func (s *Sub) Run() error {
	defer s.Close(nil)
	for {
		select {
		case <-s.ready:
		case <-s.done:
			return s.err()
		}
		for {
			s.mu.Lock()
			if s.closed {
				s.mu.Unlock()
				return s.err()
			}
			if s.paused || len(s.q) == 0 {
				s.mu.Unlock()
				break
			}
			q, fr := s.q, s.qframes
			s.q, s.qframes, s.qBytes = nil, nil, 0
			s.mu.Unlock()
			select {
			case s.space <- struct{}{}:
			default:
			}
			bufs := net.Buffers(q)
			var total int64 // stream bytes (message frames have no offset)
			for i, c := range q {
				if fr[i] >= 0 {
					total += int64(len(c))
				}
			}
			s.conn.SetWriteDeadline(time.Now().Add(s.h.writeTimeout()))
			if _, err := bufs.WriteTo(s.conn); err != nil {
				s.h.class(s).WriteFailures.Add(1)
				s.Close(fmt.Errorf("write: %w", err))
				return s.err()
			}
			var nf int64
			for _, f := range fr {
				nf += max(f, 0)
			}
			s.sent.Add(total)
			s.h.class(s).SentBytes.Add(total)
			s.h.class(s).SentFrames.Add(nf)
		}
	}
}

// Close disconnects the peer (err nil: a normal end).
func (s *Sub) Close(err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.q, s.qframes, s.qBytes = nil, nil, 0
	s.mu.Unlock()
	if err != nil {
		msg := err.Error()
		s.closeErr.Store(&msg)
		kind := "WAL subscriber"
		if s.Replica {
			kind = "replica"
		}
		s.h.o.Log.Warn().Str("peer", s.Addr).Err(err).Msg(kind + " disconnected")
	}
	close(s.done)
	s.conn.Close()
	s.h.remove(s)
}

func (s *Sub) err() error {
	if p := s.closeErr.Load(); p != nil {
		return errors.New(*p)
	}
	return nil
}

// Done is closed when the peer is disconnected.
func (s *Sub) Done() <-chan struct{} { return s.done }

// Ack records a replica's applied offset.
func (s *Sub) Ack(off int64) {
	s.acked.Store(off)
	s.lastAck.Store(time.Now().UnixMilli())
	if fn := s.h.onAck.Load(); fn != nil {
		(*fn)()
	}
}

// lsnOffset is one writer round's end: every record up to lsn lies
// before stream offset off.
type lsnOffset struct {
	lsn uint64
	off int64
}

// ackMarks is how many recent rounds AckTarget tells apart; a write older
// than all of them maps to the oldest kept (a later offset: WAIT may then
// wait for more than it must, never for less).
const ackMarks = 1 << 14

// AckTarget is a stream offset that covers every record up to lsn, once
// the WAL exported them all (ok): the offset at the end of the first
// writer round whose watermark reached lsn, so a replica that acknowledged
// it has them, without waiting for the writes that came later.
func (h *Hub) AckTarget(lsn uint64) (offset int64, ok bool) {
	if lsn == 0 {
		return 0, true // nothing written: any replica has it
	}
	if h.exportedLSN.Load() < lsn {
		return 0, false
	}
	h.marksMu.Lock()
	defer h.marksMu.Unlock()
	n := h.nmarks
	at := func(i int) lsnOffset { return h.marks[(h.markHd+i)%ackMarks] }
	// the first mark with lsn at or above the target
	lo, hi := 0, n
	for lo < hi {
		mid := (lo + hi) / 2
		if at(mid).lsn < lsn {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == n { // not noted (cannot happen once exported): the newest offset
		return h.Offset(), true
	}
	return at(lo).off, true
}

// noteExported records the WAL's exported watermark (Exported) and the
// stream offset that covers it.
func (h *Hub) noteExported(lsn uint64) {
	if lsn <= h.exportedLSN.Load() { // rounds are serialized
		return
	}
	off := h.Offset() // read after the round's Publish: covers every record up to lsn
	h.marksMu.Lock()
	if h.nmarks < ackMarks {
		h.marks[(h.markHd+h.nmarks)%ackMarks] = lsnOffset{lsn, off}
		h.nmarks++
	} else {
		h.marks[h.markHd] = lsnOffset{lsn, off}
		h.markHd = (h.markHd + 1) % ackMarks
	}
	h.marksMu.Unlock()
	h.exportedLSN.Store(lsn) // after the mark: AckTarget finds it
}

// OnAck sets the function called after each replica acknowledgement.
func (h *Hub) OnAck(fn func()) { h.onAck.Store(&fn) }

// Acked counts the replicas that stream (their snapshot is sent) and
// acknowledged applying the stream up to offset at least.
func (h *Hub) Acked(offset int64) int {
	n := 0
	for _, s := range h.Subs() {
		if !s.Replica {
			continue
		}
		s.mu.Lock()
		online := !s.paused && !s.closed
		s.mu.Unlock()
		if online && s.acked.Load() >= offset {
			n++
		}
	}
	return n
}

// Acked is the replica's last reported offset and the time of that report.
func (s *Sub) Acked() (int64, time.Time) {
	return s.acked.Load(), time.UnixMilli(s.lastAck.Load())
}

// Online reports whether the peer streams: not closed, and (a replica) its
// snapshot is sent.
func (s *Sub) Online() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.paused && !s.closed
}

// Sent is the stream offset after the last byte sent to the peer.
func (s *Sub) Sent() int64 { return s.sent.Load() }

// Backlog reports the backlog's first offset and length.
func (h *Hub) Backlog() (first, length int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.expireBacklog()
	return h.blStart, h.blBytes
}

// Info is the INFO wal_export section.
func (h *Hub) Info(listen, connect string) string {
	var b strings.Builder
	active := 0
	for _, s := range h.Subs() {
		if !s.Replica {
			active++
		}
	}
	st := &h.stats
	fmt.Fprintf(&b, "wal_export_listen:%s\r\nwal_export_connect:%s\r\nwal_export_on_full:%s\r\n", listen, connect, *h.onFull.Load())
	fmt.Fprintf(&b, "wal_export_offset:%d\r\n", h.Offset())
	fmt.Fprintf(&b, "wal_export_queued_frames:%d\r\nwal_export_queued_bytes:%d\r\n", st.QueuedFrames.Load(), st.QueuedBytes.Load())
	fmt.Fprintf(&b, "wal_export_sent_frames:%d\r\nwal_export_sent_bytes:%d\r\n", st.SentFrames.Load(), st.SentBytes.Load())
	fmt.Fprintf(&b, "wal_export_dropped_frames:%d\r\nwal_export_dropped_bytes:%d\r\n", st.DroppedFrames.Load(), st.DroppedBytes.Load())
	fmt.Fprintf(&b, "wal_export_write_failures:%d\r\nwal_export_connect_failures:%d\r\n", st.WriteFailures.Load(), st.ConnectFailures.Load())
	fmt.Fprintf(&b, "wal_export_subscribers_accepted:%d\r\nwal_export_subscribers_rejected:%d\r\nwal_export_subscribers_active:%d\r\n",
		st.Accepted.Load(), st.Rejected.Load(), active)
	return b.String()
}

// Stats exposes the counters of export subscribers and collectors.
func (h *Hub) Stats() *Stats { return &h.stats }

// ReplicaStats exposes the counters of replicas.
func (h *Hub) ReplicaStats() *Stats { return &h.replStats }
