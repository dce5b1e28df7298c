//go:build linux

package server

// TLS connections on the event loops: the handshake runs on a goroutine
// over the socket (blocking reads, as crypto/tls needs), then the
// connection joins a loop (handshake); from then on the loop reads the
// socket as it reads a plain one and decrypts the records it read
// (input), and its replies go out as records (send, sendTLS). See
// tls_pipe.go.

import (
	"golang.org/x/sys/unix"
)

// tlsReadRoom is the free space kept for one Read of the tls.Conn: a
// record's plaintext (16 KiB) at most.
const tlsReadRoom = 16 << 10

// handshake runs the TLS handshake, then hands the connection to its loop.
func (c *conn) handshake() {
	s := c.lp.s
	defer s.hsWG.Done()
	err := c.tc.Handshake()
	nc := c.pipe.nc
	c.pipe.nc = nil // the loop's from now on: reads and writes go through memory
	nc.Close()      // c.fd, a duplicate, stays open
	c.handshaking.Store(false)
	if err == nil && c.lp.add(c) {
		return
	}
	if err != nil {
		s.log.Debug().Err(err).Str("addr", c.cl.Addr).Msg("TLS handshake failed")
	}
	c.mu.Lock()
	c.closed = true
	unix.Close(c.fd)
	c.mu.Unlock()
	s.closedConn(c.cl)
}

// inHandshake: the handshake still runs (Server.Close shuts it down).
func (c *conn) inHandshake() bool { return c.handshaking.Load() }

// input decrypts raw (bytes read from the socket; nil: only what the
// tls.Conn holds already) and runs the commands in the plaintext, as
// readOnce does with a plain connection's bytes. Every byte read is
// decrypted now, but an incomplete record's, which waits for more from
// the socket: nothing stays behind that the socket's readiness would not
// announce. A closed or failing session (an alert, a bad record) closes
// the connection once the commands before it ran.
func (c *conn) input(raw []byte) bool {
	lp := c.lp
	c.pipe.in = raw
	inConn := len(c.in) > 0 // the plaintext goes after an incomplete command
	dst := lp.tbuf[:0]
	if inConn {
		dst = c.in
	}
	var failed error
	for {
		if cap(dst)-len(dst) < tlsReadRoom {
			nb := make([]byte, len(dst), max(2*cap(dst), len(dst)+readChunk))
			copy(nb, dst)
			dst = nb
		}
		n, err := c.tc.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err != nil {
			if _, ok := err.(wouldBlock); !ok {
				failed = err
			}
			break
		}
	}
	c.pipe.in = nil
	if inConn {
		c.in = dst
	} else if cap(dst) <= 2*readChunk {
		lp.tbuf = dst[:0]
	}
	if len(c.pipe.pending()) > 0 && !c.wantOut {
		// the session answered something itself (a key update)
		if _, ok := c.sendTLS(); !ok {
			c.close()
			return false
		}
	}
	more := false
	if len(dst) > 0 {
		more = c.consume(dst)
	}
	if failed != nil && !c.closed {
		c.close()
		return false
	}
	return more
}

// sendTLS writes the records the tls.Conn wrote (send); it returns how
// many bytes the socket did not take, and false if the connection failed.
func (c *conn) sendTLS() (left int, ok bool) {
	for {
		b := c.pipe.pending()
		if len(b) == 0 {
			return 0, true
		}
		n, err := rawWrite(c.fd, b)
		if n > 0 {
			c.pipe.sent(n)
			continue
		}
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			return len(b), true
		}
		return 0, false
	}
}
