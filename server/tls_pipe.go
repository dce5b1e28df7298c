package server

// tlsPipe is what a TLS connection's crypto/tls.Conn reads and writes: the
// socket itself while it is served by a goroutine (the handshake, and
// every connection without event loops), then, once an event loop serves
// it (netloop_tls_linux.go), memory: the loop reads the socket's bytes
// itself and lends them to the pipe (feed), the tls.Conn decrypts them,
// and what it writes (records of replies, a KeyUpdate's answer) collects
// in out for the loop to write when the socket takes it. So a TLS client
// costs the loop what a plain one does plus the cipher, not a goroutine
// woken by Go's netpoller for every request.
//
// crypto/tls keeps a read that failed with a temporary net.Error
// retryable (the bytes it had stay buffered: conn.go's readRecordOrCCS),
// which is what errWouldBlock is: the pipe has no more bytes until the
// socket is read again.

import (
	"crypto/tls"
	"net"
	"time"
)

type tlsPipe struct {
	nc  net.Conn // the socket while a goroutine serves it; nil once a loop does
	in  []byte   // loop: ciphertext lent by the loop, not yet taken by the tls.Conn
	out []byte   // loop: ciphertext the tls.Conn wrote, from off on not yet sent
	off int

	laddr, raddr net.Addr
}

func newTLSPipe(nc net.Conn) *tlsPipe {
	return &tlsPipe{nc: nc, laddr: nc.LocalAddr(), raddr: nc.RemoteAddr()}
}

// wouldBlock is the pipe's "nothing more until the socket is read".
type wouldBlock struct{}

func (wouldBlock) Error() string   { return "tls pipe: no more input" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

func (p *tlsPipe) Read(b []byte) (int, error) {
	if p.nc != nil {
		return p.nc.Read(b)
	}
	if len(p.in) == 0 {
		return 0, wouldBlock{}
	}
	n := copy(b, p.in)
	p.in = p.in[n:]
	return n, nil
}

func (p *tlsPipe) Write(b []byte) (int, error) {
	if p.nc != nil {
		return p.nc.Write(b)
	}
	p.out = append(p.out, b...)
	return len(b), nil
}

// pending is the ciphertext written and not yet sent (loop mode).
func (p *tlsPipe) pending() []byte { return p.out[p.off:] }

// sent records that n more bytes of pending went out; once all have, the
// buffer is reused (or dropped, if a big reply grew it).
func (p *tlsPipe) sent(n int) {
	p.off += n
	if p.off == len(p.out) {
		p.off = 0
		p.out = p.out[:0]
		if cap(p.out) > keepReplyCap {
			p.out = nil
		}
	}
}

func (p *tlsPipe) Close() error {
	if p.nc != nil {
		return p.nc.Close()
	}
	return nil
}

func (p *tlsPipe) LocalAddr() net.Addr  { return p.laddr }
func (p *tlsPipe) RemoteAddr() net.Addr { return p.raddr }

func (p *tlsPipe) SetDeadline(t time.Time) error {
	if p.nc != nil {
		return p.nc.SetDeadline(t)
	}
	return nil
}

func (p *tlsPipe) SetReadDeadline(t time.Time) error {
	if p.nc != nil {
		return p.nc.SetReadDeadline(t)
	}
	return nil
}

func (p *tlsPipe) SetWriteDeadline(t time.Time) error {
	if p.nc != nil {
		return p.nc.SetWriteDeadline(t)
	}
	return nil
}

// tlsListener accepts TCP connections and gives each as a server-side
// tls.Conn over a tlsPipe (as tls.NewListener does over the socket).
type tlsListener struct {
	net.Listener
	config *tls.Config
}

func (l *tlsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return tls.Server(newTLSPipe(c), l.config), nil
}
