package replication

// Pub/sub on the replica stream: a PUBLISH or SPUBLISH on a primary reaches
// the subscribers of its replicas (and of their replicas), as in Redis.
//
// A message travels on the replica's connection between the WAL frames, as
// a "message frame" that is never written to a segment or a snapshot, never
// kept in the backlog and never counted in stream offsets: offsets, resume
// positions (replpos) and the WAL stay what they are without pub/sub.
// Delivery is at most once: a message published while a replica is
// disconnected (or over its queue limit) is lost for it.
//
// Only a replica that asks for them gets message frames: it sends FCSYNC
// with the capability word "pubsub" after its port. An older replica (which
// does not) and export subscribers (wal-export-listen/connect, `wal tail`)
// never see one; a newer replica facing an older primary, which answers
// that FCSYNC with a wrong-number-of-arguments error, asks again without it.
//
// Order: a message is queued for the replicas only once every WAL record
// that existed when it was published (LSN at or below the WAL's counter
// then) has been queued for them (WAL Options.Exported), so a subscriber on
// a replica that reads the key a publisher wrote before publishing sees the
// write, as in Redis, where PUBLISH is part of the replication stream.
// Messages keep their publish order.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
)

// CapaPubSub is the FCSYNC capability word of a replica that accepts
// message frames.
const CapaPubSub = "pubsub"

// A message frame:
//
//	0   magic    u16  0xFC50 (a WAL frame's is 0xFC57)
//	2   kind     u8   1 PUBLISH, 2 SPUBLISH
//	3   -        u8   0
//	4   chanLen  u32
//	8   msgLen   u32
//	12  channel  chanLen bytes
//	    message  msgLen bytes
const (
	msgMagic       = 0xFC50
	msgHeaderSize  = 12
	msgKindPublish = 1
	msgKindShard   = 2
)

// appendMessageFrame encodes one message frame.
func appendMessageFrame(b []byte, shard bool, channel, message []byte) []byte {
	var h [msgHeaderSize]byte
	binary.LittleEndian.PutUint16(h[0:], msgMagic)
	h[2] = msgKindPublish
	if shard {
		h[2] = msgKindShard
	}
	binary.LittleEndian.PutUint32(h[4:], uint32(len(channel)))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(message)))
	b = append(b, h[:]...)
	b = append(b, channel...)
	return append(b, message...)
}

// isMessageFrame reports whether a stream item starting with b (at least
// two bytes) is a message frame.
func isMessageFrame(b []byte) bool { return binary.LittleEndian.Uint16(b) == msgMagic }

var errBadMessageFrame = errors.New("bad pub/sub message frame")

// LogPosition is the WAL as the forwarding of messages needs it.
type LogPosition interface {
	LastLSN() uint64 // the highest LSN assigned so far
	Kick()           // a writer round soon, even with nothing queued
}

// pendingLimit bounds the messages waiting for their writes to be
// exported; past it new messages are dropped (and counted).
const pendingLimit = 64 << 20

type pendingMsg struct {
	lsn   uint64
	chunk []byte
}

// psForward is the hub's pub/sub state.
type psForward struct {
	n        atomic.Int32  // len(subs): replicas that take message frames
	exported atomic.Uint64 // WAL watermark reported by Exported
	npending atomic.Int32
	log      atomic.Pointer[LogPosition]

	mu           sync.Mutex
	subs         []*Sub
	pending      []pendingMsg
	pendingBytes int

	// Forwarded counts messages queued for replicas (once per replica);
	// Dropped those lost to a full queue or the pending bound.
	Forwarded, Dropped atomic.Int64
}

// SetLog gives the hub the WAL whose records the messages must follow.
// Without one messages are queued at once.
func (h *Hub) SetLog(lp LogPosition) { h.ps.log.Store(&lp) }

// Exported is the WAL's Exported hook: every record up to lsn has been
// queued for the peers, so the messages published after it may follow.
func (h *Hub) Exported(lsn uint64) {
	h.ps.exported.Store(lsn)
	if h.ps.npending.Load() == 0 {
		return
	}
	h.ps.mu.Lock()
	i := 0
	for ; i < len(h.ps.pending) && h.ps.pending[i].lsn <= lsn; i++ {
		h.pushMessage(h.ps.pending[i].chunk)
		h.ps.pendingBytes -= len(h.ps.pending[i].chunk)
		h.ps.pending[i] = pendingMsg{}
	}
	if i > 0 {
		n := copy(h.ps.pending, h.ps.pending[i:])
		clear(h.ps.pending[n:])
		h.ps.pending = h.ps.pending[:n]
		h.ps.npending.Store(int32(n))
	}
	h.ps.mu.Unlock()
}

// ForwardsMessages reports whether any replica takes message frames (the
// only cost of a PUBLISH on a server without such replicas).
func (h *Hub) ForwardsMessages() bool { return h.ps.n.Load() > 0 }

// ForwardMessage sends a PUBLISH (shard: SPUBLISH) to the replicas that take
// message frames, after the WAL records that precede it. It never blocks;
// channel and message are copied.
func (h *Hub) ForwardMessage(shard bool, channel, message []byte) {
	if h.ps.n.Load() == 0 {
		return
	}
	chunk := appendMessageFrame(make([]byte, 0, msgHeaderSize+len(channel)+len(message)), shard, channel, message)
	var lp LogPosition
	var lsn uint64
	if p := h.ps.log.Load(); p != nil {
		lp = *p
		lsn = lp.LastLSN()
	}
	h.ps.mu.Lock()
	if len(h.ps.pending) == 0 && (lp == nil || h.ps.exported.Load() >= lsn) {
		h.pushMessage(chunk)
		h.ps.mu.Unlock()
		return
	}
	if h.ps.pendingBytes+len(chunk) > pendingLimit {
		h.ps.mu.Unlock()
		h.ps.Dropped.Add(1)
		return
	}
	h.ps.pending = append(h.ps.pending, pendingMsg{lsn: lsn, chunk: chunk})
	h.ps.pendingBytes += len(chunk)
	h.ps.npending.Store(int32(len(h.ps.pending)))
	h.ps.mu.Unlock()
	lp.Kick()
}

// pushMessage queues chunk for every replica taking message frames; called
// with ps.mu held.
func (h *Hub) pushMessage(chunk []byte) {
	for _, s := range h.ps.subs {
		if s.pushMessage(chunk) {
			h.ps.Forwarded.Add(1)
		} else {
			h.ps.Dropped.Add(1)
		}
	}
}

// addMessageSub and removeMessageSub maintain the replicas taking
// message frames.
func (h *Hub) addMessageSub(s *Sub) {
	h.ps.mu.Lock()
	h.ps.subs = append(h.ps.subs, s)
	h.ps.n.Store(int32(len(h.ps.subs)))
	h.ps.mu.Unlock()
}

func (h *Hub) removeMessageSub(s *Sub) {
	h.ps.mu.Lock()
	if i := slices.Index(h.ps.subs, s); i >= 0 {
		h.ps.subs = slices.Delete(h.ps.subs, i, i+1)
	}
	h.ps.n.Store(int32(len(h.ps.subs)))
	if len(h.ps.subs) == 0 {
		// nobody to send them to any more
		h.ps.pending, h.ps.pendingBytes = nil, 0
		h.ps.npending.Store(0)
	}
	h.ps.mu.Unlock()
}

// pushMessage queues a message frame for s without waiting: when the
// queue is full (or s is closed) the message is lost for s.
func (s *Sub) pushMessage(chunk []byte) bool {
	s.mu.Lock()
	if s.closed || (s.qBytes > 0 && s.qBytes+len(chunk) > s.limit) {
		s.mu.Unlock()
		return false
	}
	s.q = append(s.q, chunk)
	s.qframes = append(s.qframes, -1) // not frames: no stream offset
	s.qBytes += len(chunk)
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
	return true
}

// readMessageFrame reads one message frame whose header r starts with.
func readMessageFrame(r io.Reader, buf []byte) (shard bool, channel, message, out []byte, err error) {
	var h [msgHeaderSize]byte
	if _, err = io.ReadFull(r, h[:]); err != nil {
		return
	}
	kind := h[2]
	cl, ml := int64(binary.LittleEndian.Uint32(h[4:])), int64(binary.LittleEndian.Uint32(h[8:]))
	if (kind != msgKindPublish && kind != msgKindShard) || h[3] != 0 || cl+ml > maxStreamFrame {
		err = fmt.Errorf("%w (kind %d, %d+%d bytes)", errBadMessageFrame, kind, cl, ml)
		return
	}
	n := int(cl + ml)
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	out = buf[:n]
	if _, err = io.ReadFull(r, out); err != nil {
		return
	}
	return kind == msgKindShard, out[:cl], out[cl:], out, nil
}
