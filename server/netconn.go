package server

// The portable network layer: a goroutine per connection over Go's
// net.Conn. It serves where the epoll event loops (netloop_linux.go) do not
// exist (macOS, the BSDs) and when Options.Goroutines asks for it. The same
// parser and dispatcher run as in the event loops; reads, writes and the
// appendfsync always wait block this connection's goroutine only. It costs
// more per request than the event loops (the netpoller's park/unpark per
// read), which is why Linux does not use it by default.

import (
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// gconn is one client connection served by its own goroutine.
type gconn struct {
	s   *Server
	nc  net.Conn
	cl  *Client
	fd  int
	raw syscall.RawConn // nil if the connection has no descriptor
	in  []byte          // bytes read and not yet consumed
	p   reqParser

	// Pushed frames (pub/sub messages) are written by a writer goroutine
	// started on the first push, unless a pipeline runs (busy): its replies
	// go first and take the frames with them. wmu serialises the writes.
	wmu      sync.Mutex
	busy     bool
	pushSig  chan struct{}
	pushOnce sync.Once
	done     chan struct{}

	wake chan struct{} // a blocked command has its reply (unblocked)
}

func newGConn(s *Server, c *Client, nc net.Conn) *gconn {
	g := &gconn{s: s, nc: nc, cl: c, fd: -1, done: make(chan struct{}), wake: make(chan struct{}, 1)}
	c.gate = &execGate{}
	s.addGate(c.gate)
	if sc, ok := rawNetConn(nc).(syscall.Conn); ok { // (a TLS connection's socket: CLIENT LIST fd, hang-ups)
		if raw, err := sc.SyscallConn(); err == nil {
			g.raw = raw
			raw.Control(func(fd uintptr) { g.fd = int(fd) })
		}
	}
	return g
}

func (g *gconn) descriptor() int { return g.fd }

// shutdown closes the socket; the goroutine's blocked read or write returns.
func (g *gconn) shutdown() { g.nc.Close() }

func (g *gconn) hungUp() bool {
	if g.raw == nil {
		return false
	}
	gone := false
	// Control keeps the descriptor open while it runs; it fails once the
	// connection is closed (the goroutine is on its way out).
	if err := g.raw.Control(func(fd uintptr) { gone = peerHungUp(int(fd)) }); err != nil {
		return true
	}
	return gone
}

// abort resets the connection: unsent data is dropped.
func (g *gconn) abort() {
	if tc, ok := rawNetConn(g.nc).(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	g.nc.Close()
}

func (g *gconn) start() bool {
	go g.serve()
	return true
}

// serve reads and runs pipelines until the connection ends.
func (g *gconn) serve() {
	defer g.s.connWG.Done()
	defer close(g.done)
	defer g.s.removeGate(g.cl.gate)
	detached := false
	defer func() {
		if !detached {
			g.nc.Close()
		}
		g.s.closedConn(g.cl)
	}()
	limit := func() int { return int(g.s.cfg.ClientQueryBufferLimit()) }
	turn := false // this client holds the turn of the clients a pause postponed
	defer func() {
		if turn {
			g.s.pauseTurnDone()
		}
	}()
	for {
		if cap(g.in)-len(g.in) < minConnBuf {
			nb := make([]byte, len(g.in), max(2*cap(g.in), len(g.in)+minConnBuf))
			copy(nb, g.in)
			g.in = nb
		}
		n, err := g.nc.Read(g.in[len(g.in):cap(g.in)])
		if n > 0 {
			g.in = g.in[:len(g.in)+n]
			for {
				g.wmu.Lock()
				g.busy = true // pushed frames wait for this pipeline's replies
				g.wmu.Unlock()
				g.cl.gate.enter()
				end := g.cl.runPipeline(&g.p, g.in)
				g.s.endTurn(g.cl.gate)
				g.cl.gate.leave()
				switch end {
				case pipelineKilled:
					return
				case pipelineDetach:
					detached = g.detach()
					return
				}
				ok := g.reply()
				if turn {
					turn = false
					g.s.pauseTurnDone()
				}
				if !ok || g.cl.closeAfter {
					return
				}
				if end == pipelinePaused {
					// CLIENT PAUSE: the rest of the input runs when it
					// ends, after the clients postponed before this one.
					if !g.s.waitUnpause(g.s.pauseTicket()) {
						return
					}
					turn = true
					continue
				}
				// Keep what is not parsed yet at the buffer's start.
				rest := copy(g.in, g.in[g.p.start:])
				g.p.shift(g.p.start)
				g.in = g.in[:rest]
				if rest == 0 && cap(g.in) > readChunk {
					g.in = nil
				}
				if g.p.pending(len(g.in)) > limit() {
					g.s.warnf("closing client %s that reached max query buffer length", g.cl.Addr)
					return
				}
				if end != pipelineBlocked {
					break
				}
				// The blocked command's reply joins the next pipeline's.
				if !g.waitBlocked(limit) {
					return
				}
				if g.cl.closeAfter { // unblocked to be disconnected (disconnectBlocked)
					g.reply()
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

func (g *gconn) unblocked() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// waitBlocked waits until the client's blocked command has its reply,
// reading the socket meanwhile (a disconnect ends the wait: false, and the
// client is forgotten by closedConn); what it reads waits in g.in.
func (g *gconn) waitBlocked(limit func() int) bool {
	type readRes struct {
		b   []byte
		err error
	}
	rd := make(chan readRes, 1)
	read := func() {
		b := make([]byte, minConnBuf)
		n, err := g.nc.Read(b)
		rd <- readRes{b[:n], err}
	}
	go read()
	for {
		select {
		case <-g.wake:
			if !g.cl.takeUnblocked() {
				continue
			}
			g.nc.SetReadDeadline(time.Now()) // stop the reader
			r := <-rd
			g.nc.SetReadDeadline(time.Time{})
			g.in = append(g.in, r.b...)
			var ne net.Error
			return r.err == nil || errors.As(r.err, &ne) && ne.Timeout()
		case r := <-rd:
			g.in = append(g.in, r.b...)
			if r.err != nil {
				return false
			}
			if g.p.pending(len(g.in)) > limit() {
				g.s.warnf("closing client %s that reached max query buffer length", g.cl.Addr)
				return false
			}
			go read()
		case <-g.s.done:
			return false
		}
	}
}

// reply sends the pipeline's replies, after the fsync that covers its
// writes under appendfsync always; false ends the connection.
func (g *gconn) reply() bool {
	cl := g.cl
	if lsn, wait := cl.finishPipeline(); wait {
		err := g.s.waitDurable(lsn)
		switch {
		case errors.Is(err, errDurabilityTimeout):
			g.s.warnf("closing client %s: %v", cl.Addr, err)
			return false
		case errors.Is(err, errServerClosing):
			return false
		case err != nil:
			cl.failPipeline(err)
		}
	}
	cl.batch = 0
	g.wmu.Lock()
	// (frames pushed while another executor serves the blocked command
	// are held for its reply: takeUnblocked, then the next reply)
	cl.releaseServed()
	if p := cl.ps; p != nil && p.ob.Pending() {
		cl.reply.b = p.ob.Take(cl.reply.b)
	}
	_, err := g.nc.Write(cl.reply.b)
	g.busy = false
	g.wmu.Unlock()
	cl.reply.Reset()
	if cap(cl.reply.b) > keepReplyCap {
		cl.reply.b = nil
	}
	cl.noteMem() // the replies are out
	if p := cl.ps; p != nil && p.ob.Pending() {
		g.pushWake()
	}
	return err == nil
}

// pushWake signals the writer goroutine (any goroutine), starting it on
// the first push.
func (g *gconn) pushWake() {
	g.pushOnce.Do(func() {
		g.pushSig = make(chan struct{}, 1)
		go g.pusher()
	})
	select {
	case g.pushSig <- struct{}{}:
	default:
	}
}

// pusher writes the client's outbox while no pipeline runs.
func (g *gconn) pusher() {
	var buf []byte
	for {
		select {
		case <-g.pushSig:
		case <-g.done:
			return
		}
		g.wmu.Lock()
		if p := g.cl.ps; !g.busy && p != nil { // (Take leaves what a serving holds)
			buf = p.ob.Take(buf[:0])
			if len(buf) > 0 {
				p.ob.SetUnsent(int64(len(buf)))
				_, err := g.nc.Write(buf)
				p.ob.SetUnsent(0)
				if err != nil {
					g.wmu.Unlock()
					g.nc.Close()
					return
				}
			}
		}
		g.wmu.Unlock()
		if cap(buf) > keepReplyCap {
			buf = nil
		}
	}
}

// detach hands the socket to FCSYNC's stream (after the pipeline's replies)
// on a goroutine of its own; it reports whether the handover happened.
func (g *gconn) detach() bool {
	cl := g.cl
	fn := cl.detach
	cl.detach = nil
	if _, err := g.nc.Write(cl.reply.b); err != nil {
		return false
	}
	cl.reply.Reset()
	rest := append([]byte(nil), g.in[g.p.pos:]...)
	go fn(&prefixConn{Conn: g.nc, rest: rest})
	return true
}
