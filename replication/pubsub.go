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
// then) has been queued for them, at the end of a WAL writer round (WAL
// Options.Exported), so a subscriber on a replica that reads the key a
// publisher wrote before publishing sees the write, as in Redis, where
// PUBLISH is part of the replication stream. Messages keep their publish
// order.

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
//	2   kind     u8   1 PUBLISH, 2 SPUBLISH, 3 PING (heartbeat.go; empty)
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
	msgKindPing    = 3
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

// pendingLimit bounds the messages waiting for the next writer round;
// past it new messages are dropped (and counted).
const pendingLimit = 64 << 20

// pendingMark ends one message in psForward.buf: it may be sent once the
// WAL has exported every record up to lsn.
type pendingMark struct {
	lsn uint64
	end int
}

// psForward is the hub's pub/sub state. Messages wait in buf for the WAL
// writer's next round (Exported), which sends all those whose writes are
// out in one chunk: one write per round to each replica, not one per
// message (a write per message cost the primary more than the PUBLISH).
type psForward struct {
	n        atomic.Int32 // len(subs): replicas that take message frames
	npending atomic.Int32 // len(marks)
	log      atomic.Pointer[LogPosition]

	mu    sync.Mutex
	subs  []*Sub
	buf   []byte // message frames waiting, in publish order
	marks []pendingMark

	// Forwarded counts messages queued for replicas (once per replica);
	// Dropped those lost to a full queue or the pending bound.
	Forwarded, Dropped atomic.Int64
}

// SetLog gives the hub the WAL whose records the messages must follow.
// Without one messages are queued at once.
func (h *Hub) SetLog(lp LogPosition) { h.ps.log.Store(&lp) }

// Exported is the WAL's Exported hook, called at the end of each writer
// round: every record up to lsn has been queued for the peers, so the
// messages published after those records may follow them.
func (h *Hub) Exported(lsn uint64) {
	h.noteExported(lsn) // WAIT (AckTarget)
	if h.ps.npending.Load() == 0 {
		return
	}
	ps := &h.ps
	ps.mu.Lock()
	defer ps.mu.Unlock()
	// In publish order: a message waits for the ones appended before it.
	i := 0
	for i < len(ps.marks) && ps.marks[i].lsn <= lsn {
		i++
	}
	if i == 0 {
		return
	}
	end := ps.marks[i-1].end
	chunk := ps.buf[:end:end]
	rest := ps.buf[end:]
	ps.buf = make([]byte, 0, max(len(rest), min(end, 1<<20)))
	ps.buf = append(ps.buf, rest...)
	n := copy(ps.marks, ps.marks[i:])
	for j := range ps.marks[:n] {
		ps.marks[j].end -= end
	}
	clear(ps.marks[n:])
	ps.marks = ps.marks[:n]
	ps.npending.Store(int32(n))
	h.pushMessages(chunk, i)
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
	ps := &h.ps
	p := ps.log.Load()
	if p == nil {
		chunk := appendMessageFrame(nil, shard, channel, message)
		ps.mu.Lock()
		h.pushMessages(chunk, 1)
		ps.mu.Unlock()
		return
	}
	lp := *p
	// Every record written before this PUBLISH has an LSN at or below it.
	lsn := lp.LastLSN()
	ps.mu.Lock()
	if len(ps.buf)+msgHeaderSize+len(channel)+len(message) > pendingLimit {
		ps.mu.Unlock()
		ps.Dropped.Add(1)
		return
	}
	ps.buf = appendMessageFrame(ps.buf, shard, channel, message)
	ps.marks = append(ps.marks, pendingMark{lsn: lsn, end: len(ps.buf)})
	ps.npending.Store(int32(len(ps.marks)))
	ps.mu.Unlock()
	lp.Kick()
}

// pushMessages queues chunk (n messages) for every replica taking message
// frames; called with ps.mu held.
func (h *Hub) pushMessages(chunk []byte, n int) {
	for _, s := range h.ps.subs {
		if s.pushMessage(chunk) {
			h.ps.Forwarded.Add(int64(n))
		} else {
			h.ps.Dropped.Add(int64(n))
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
		h.ps.buf, h.ps.marks = nil, nil
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
func readMessageFrame(r io.Reader, buf []byte) (kind byte, channel, message, out []byte, err error) {
	var h [msgHeaderSize]byte
	if _, err = io.ReadFull(r, h[:]); err != nil {
		return
	}
	kind = h[2]
	cl, ml := int64(binary.LittleEndian.Uint32(h[4:])), int64(binary.LittleEndian.Uint32(h[8:]))
	if kind < msgKindPublish || kind > msgKindPing || h[3] != 0 || cl+ml > maxStreamFrame || (kind == msgKindPing && cl+ml != 0) {
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
	return kind, out[:cl], out[cl:], out, nil
}
