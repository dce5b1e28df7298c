package replication

// Heartbeats and timeouts on the replica link, as Redis's
// repl-ping-replica-period and repl-timeout.
//
// A replica that asks for them (capability word "heartbeat" in FCSYNC; the
// primary confirms with the same word at the end of its +CONTINUE or
// +FULLRESYNC line) gets:
//   - "\n" every second while the primary makes the snapshot for a full
//     resync (Redis sends newlines to replicas waiting for a BGSAVE), which
//     the replica skips before the reply line;
//   - a PING message frame (pubsub.go, kind 3, empty) every
//     repl-ping-replica-period seconds once it streams. Like the other
//     message frames it has no stream offset, is never in the backlog or
//     the WAL, and export subscribers never see one.
//
// A replica drops the link when nothing at all arrived from the primary
// for repl-timeout (a frame, a message, a heartbeat), then reconnects and
// continues from its offset (or resynchronizes). A primary drops a replica
// whose "ACK <offset>" lines (every second, from every fastcache replica)
// stopped for repl-timeout. An older replica without the capability gets
// no heartbeats but is still dropped when its ACKs stop; a replica facing
// an older primary (no confirmation) keeps no read timeout once it streams.

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"
)

// CapaHeartbeat is the FCSYNC capability word of a replica that takes
// heartbeats (and the primary's confirmation of it).
const CapaHeartbeat = "heartbeat"

// pingFrame is the heartbeat: a message frame of kind PING with no payload.
var pingFrame = func() []byte {
	b := appendMessageFrame(nil, false, nil, nil)
	b[2] = msgKindPing
	return b
}()

// pushPing queues a heartbeat for s unless its queue already holds
// something (which will reach the replica first anyway).
func (s *Sub) pushPing() {
	s.mu.Lock()
	if s.closed || len(s.q) > 0 {
		s.mu.Unlock()
		return
	}
	s.q = append(s.q, pingFrame)
	s.qframes = append(s.qframes, -1) // no stream offset
	s.qBytes += len(pingFrame)
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// pinger sends s a heartbeat every period() until s is closed.
func pinger(s *Sub, period func() time.Duration) {
	for {
		t := time.NewTimer(period())
		select {
		case <-s.done:
			t.Stop()
			return
		case <-t.C:
		}
		s.pushPing()
	}
}

// startKeepAlive writes "\n" to conn every second (keepAlive) until the
// function it returns is called; a replica that asked for heartbeats skips
// these lines while it waits for the snapshot, and a primary skips those
// of a replica that loads one.
func startKeepAlive(conn net.Conn) (stop func()) {
	stopKA, done := make(chan struct{}), make(chan struct{})
	go keepAlive(conn, stopKA, done)
	return func() {
		close(stopKA)
		<-done
	}
}

// keepAlive writes "\n" to conn every second until stop is closed, then
// closes done.
func keepAlive(conn net.Conn, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := conn.Write([]byte{'\n'}); err != nil {
			return
		}
	}
}

// timeoutReader is the replica's reader of its primary's connection: each
// read may wait for timeout() at most (off: forever), and each byte that
// arrives is noted in lastIO (master_last_io_seconds_ago).
type timeoutReader struct {
	conn    net.Conn
	timeout func() time.Duration
	off     bool
	lastIO  *atomic.Int64 // unix ms
}

func (t *timeoutReader) Read(p []byte) (int, error) {
	if t.off {
		t.conn.SetReadDeadline(time.Time{})
	} else {
		t.conn.SetReadDeadline(time.Now().Add(t.timeout()))
	}
	n, err := t.conn.Read(p)
	if n > 0 {
		t.lastIO.Store(time.Now().UnixMilli())
	}
	var ne net.Error
	if err != nil && !t.off && errors.As(err, &ne) && ne.Timeout() {
		err = fmt.Errorf("MASTER timeout: no data nor PING received for %v (repl-timeout): %w", t.timeout(), err)
	}
	return n, err
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// capaAnnounceIP prefixes the address a replica announces in FCSYNC's
// capability words (replica-announce-ip); a primary that does not know it
// ignores it, as any unknown word.
const capaAnnounceIP = "announce-ip="
