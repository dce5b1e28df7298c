//go:build linux

package server

// The network layer: a few epoll event loops (half the cores by default,
// `io-threads`), each owning its connections, the way Redis's own event loop
// works. A readable socket is read once, every complete command in the
// buffer runs, and the replies go out in one write. Compared with a
// goroutine per connection (net.Conn, as tidwall/redcon serves), this saves
// per request the EAGAIN read of Go's netpoller, the park/unpark of the
// connection's goroutine and the futex wake-ups between threads, which
// profiles showed to be 35-50% of the server's CPU at -P 1 (BENCHMARKS.md).
//
// Accepting stays with Go's net.Listener (a goroutine per listener); each
// accepted socket's descriptor is duplicated out of the net.Conn and handed
// to a loop. Other goroutines never touch a connection's buffers: they can
// only shut its socket down (CLIENT KILL, timeout, Close), which the loop
// then sees as end of file.

import (
	"crypto/tls"
	"errors"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const maxLoopEvents = 256

// loop is one event loop.
type loop struct {
	s      *Server
	epfd   int
	wakefd int // eventfd: new connections, durability, stop
	conns  []*conn
	rbuf   []byte
	tbuf   []byte // plaintext of TLS records read (conn.input)

	mu       sync.Mutex // guards adds, unblocks and stop
	adds     []*conn
	unblocks []*conn // blocked connections whose command has its reply (blocking.go)
	stop     bool
	stopped  chan struct{}

	// appendfsync always: connections whose replies wait for an fsync. The
	// WAL writer wakes the loop (Cache.OnDurable) while durWanted is set.
	waiting   []*conn
	ready     []*conn // releaseDurable's scratch
	durWanted atomic.Bool
	// committing: the loop runs the WAL round itself (WAL.EndBatch); the
	// durability callback need not wake it.
	committing atomic.Bool
	cancelDur  func()
	nclients   atomic.Int64
	// CLIENT PAUSE: connections stopped at a paused command, resumed when
	// the pause ends (the loop wakes at its end, or on CLIENT UNPAUSE).
	paused []*conn

	// Connections whose outbox has frames to write (pub/sub messages,
	// invalidations), added by publishers on any goroutine (conn.pushWake,
	// under mu). The loop writes them at the end of its batch; while it is
	// busy with one (busy) nobody needs to wake it, otherwise the first
	// push since the last batch writes the eventfd (pushWoken).
	pushes    []*conn
	pushSpare []*conn
	npush     atomic.Int32
	nunblock  atomic.Int32 // 1 while unblocks is not empty (read without mu)
	pushWoken bool
	busy      atomic.Bool
	gate      execGate // active while the loop runs commands (script_busy.go)

	// spare is a reply buffer above keepReplyCap (at most maxSpareReply),
	// kept from a connection that sent a big reply and lent to the next
	// connection whose commands run: big replies (LRANGE, HGETALL, SMEMBERS,
	// pipelines of them) then reuse one buffer instead of each allocating,
	// zeroing and growing a new one that the GC and the scavenger must take
	// back (redis-benchmark LRANGE_100 -P16: ~5x the server's CPU per
	// request, BENCHMARKS.md "Lists").
	spare []byte

	// busyTimer fires when the loop's script in progress passes
	// busy-reply-threshold (script_busy_linux.go)
	busyTimer *time.Timer
	busyArmed atomic.Bool
	busyDue   atomic.Int64 // monotonic() when it fires, while armed

	// Replies of the batch's pipelines, written together at its end
	// (deferWrites is set while the batch's events run): see endPipeline.
	deferWrites bool
	flushes     []*conn
	// hot: the last wait ended within busyPoll with two or more events,
	// so the next one polls before it sleeps (wait). locked: the loop's
	// goroutine is wired to its OS thread, as it is while hot.
	hot    bool
	locked bool
	// cycles: waits (each starts a batch); polls: the waits that polled
	// first (hot). INFO stats reports their sums.
	cycles, polls atomic.Int64
}

// busyPoll is how long a loop whose events come close together keeps
// polling before it sleeps in epoll_wait. A client writing to a server
// thread that sleeps pays for waking it (an inter-processor interrupt,
// costly in a VM): at -P1 redis-benchmark, whose one thread is the
// bottleneck there, spent 10-20% more CPU per request on fastcache than
// on Redis, which is busier per request and so sleeps less (LRANGE of
// 100: client 9.7-10.5 us per request against 8.2-8.7; BENCHMARKS.md).
// Loops whose events are further apart than this never poll, so a lightly
// loaded server spends nothing on it, and neither does one serving a
// single busy connection (a wait must have returned two or more events):
// there polling doubled the server's CPU per request and won nothing.
const busyPoll = 50 * time.Microsecond

// maxSpareReply bounds the reply buffer a loop keeps between connections.
const maxSpareReply = 1 << 20

// keepSpare keeps b as the loop's spare if it is big and the largest yet.
func (lp *loop) keepSpare(b []byte) {
	if cap(b) > keepReplyCap && cap(b) <= maxSpareReply && cap(b) > cap(lp.spare) {
		lp.spare = b[:0]
	}
}

// conn is one client connection, owned by its loop.
type conn struct {
	fd int
	lp *loop
	cl *Client
	in []byte // bytes read and not yet consumed (an incomplete command, or commands waiting their turn)
	p  reqParser

	out       int  // bytes of cl.reply already written (TLS: handed to tc, whose records may still wait in pipe)
	wantOut   bool // EPOLLOUT registered (a partial write is pending)
	waiting   bool // replies wait for durability (appendfsync always)
	waitLSN   uint64
	waitStart time.Duration // monotonic()
	paused    bool          // stopped at a command CLIENT PAUSE holds (loop.paused)
	lent      bool          // cl.reply uses the loop's spare until its flush completes; own is its buffer
	queued    bool          // on lp.flushes: its replies go out at the batch's end
	own       []byte

	mu       sync.Mutex // guards fd against shutdown from other goroutines after close
	closed   bool
	inScript bool // its client runs a busy script (script_busy_linux.go)

	// A TLS connection (netloop_tls_linux.go): tc decrypts what the loop
	// reads and encrypts its replies, through pipe. handshaking while its
	// handshake runs, before the loop has it.
	tc          *tls.Conn
	pipe        *tlsPipe
	handshaking atomic.Bool
}

func newLoop(s *Server) (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wfd)}); err != nil {
		unix.Close(epfd)
		unix.Close(wfd)
		return nil, err
	}
	lp := &loop{
		s: s, epfd: epfd, wakefd: wfd,
		rbuf:    make([]byte, readChunk),
		stopped: make(chan struct{}),
	}
	s.addGate(&lp.gate)
	lp.busyTimer = time.AfterFunc(time.Hour, lp.busyFire)
	lp.busyTimer.Stop()
	lp.cancelDur = s.cache.OnDurable(func() {
		if !lp.durWanted.Load() || lp.committing.Load() {
			return // nobody waits, or the loop itself is committing and releases next
		}
		lp.mu.Lock()
		if !lp.stop { // once stop is set the loop may close wakefd
			lp.wake()
		}
		lp.mu.Unlock()
	})
	return lp, nil
}

func (lp *loop) wake() {
	var one = [8]byte{1}
	unix.Write(lp.wakefd, one[:])
}

// wakeIfRunning wakes the loop unless it is stopping (any goroutine).
func (lp *loop) wakeIfRunning() {
	lp.mu.Lock()
	if !lp.stop {
		lp.wake()
	}
	lp.mu.Unlock()
}

// resumePaused runs the connections a pause stopped once it is over.
func (lp *loop) resumePaused() {
	if lp.s.pauseActive() {
		return
	}
	paused := lp.paused
	lp.paused = nil
	for _, c := range paused {
		c.paused = false
		c.resume()
	}
}

// add hands an accepted connection to the loop (any goroutine).
func (lp *loop) add(c *conn) bool {
	lp.mu.Lock()
	if lp.stop {
		lp.mu.Unlock()
		return false
	}
	lp.adds = append(lp.adds, c)
	lp.mu.Unlock()
	lp.nclients.Add(1)
	lp.wake()
	return true
}

// shutdown stops the loop and closes its connections; it returns once the
// loop has exited.
func (lp *loop) shutdown() {
	lp.cancelDur()
	lp.mu.Lock()
	lp.stop = true
	lp.wake()
	lp.mu.Unlock()
	<-lp.stopped
}

func (lp *loop) run() {
	defer close(lp.stopped)
	defer lp.pin(false)
	defer lp.s.removeGate(&lp.gate)
	// Out of its commands for good: an executor taking a turn may be waiting
	// for this gate (takeTurn holds gatesMu meanwhile, which removeGate needs).
	defer lp.gate.leave()
	defer lp.s.endTurn(&lp.gate)
	events := make([]unix.EpollEvent, maxLoopEvents)
	for {
		timeout := -1
		if len(lp.waiting) > 0 {
			timeout = 1000 // to notice durability timeouts
		}
		if len(lp.paused) > 0 {
			// the pause's end (a timer wakes the loop too; this is a backstop)
			left := int((lp.s.pauseEnd()-monotonic())/time.Millisecond) + 1
			if timeout < 0 || left < timeout {
				timeout = min(max(left, 1), 1000)
			}
		}
		lp.gate.leave()
		n, err := lp.wait(events, timeout)
		lp.busy.Store(true)
		lp.gate.enter()
		if err != nil {
			if err == unix.EINTR {
				// A signal (the runtime's preemption SIGURG, under load)
				// interrupted the wait: run the batch's end with no events
				// rather than wait again, for busy is set. Waiting again
				// with busy set left unblocked clients and pushes queued
				// meanwhile without a wake-up (a BLPOP timeout never
				// answered, seen under load).
				n, err = 0, nil
			}
		}
		if err != nil {
			lp.s.log.Error().Err(err).Msg("epoll_wait failed; connections of this loop are closed")
			lp.closeAll()
			return
		}
		wal := lp.s.cache.HoldWAL() // one writer wake-up (one fsync group) per batch
		lp.deferWrites = true
		for i := 0; i < n; i++ {
			ev := &events[i]
			fd := int(ev.Fd)
			if fd == lp.wakefd {
				if lp.onWake() {
					wal.EndBatch(false)
					return
				}
				continue
			}
			if fd >= len(lp.conns) || lp.conns[fd] == nil {
				continue
			}
			c := lp.conns[fd]
			if ev.Events&unix.EPOLLOUT != 0 {
				c.resume()
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) != 0 && !c.closed {
				c.readable()
			}
		}
		lp.runUnblocks()
		lp.flushQueued()
		lp.s.endTurn(&lp.gate) // scripts of this batch ran in one turn (script_busy.go)
		// With connections waiting for appendfsync always, the loop writes
		// and fsyncs the batch itself when the WAL writer is idle (as Redis
		// does before it sleeps); otherwise the writer is woken for it.
		if len(lp.waiting) > 0 {
			lp.committing.Store(true)
			wal.EndBatch(true)
			lp.committing.Store(false)
			lp.releaseDurable()
		} else {
			wal.EndBatch(false)
		}
		if len(lp.paused) > 0 {
			lp.resumePaused()
		}
		lp.deliverPushes()
		lp.busy.Store(false)
		lp.deliverPushes() // pushes that saw busy just before it was cleared
		if lp.nunblock.Load() != 0 {
			lp.mu.Lock()
			if len(lp.unblocks) > 0 && !lp.stop {
				lp.wake() // unblocked while busy, after runUnblocks: the next round takes them
			}
			lp.mu.Unlock()
		}
	}
}

// wait is epoll_wait, first polled without sleeping for up to busyPoll
// while the loop is hot.
func (lp *loop) wait(events []unix.EpollEvent, timeout int) (int, error) {
	start := monotonic()
	n, err := 0, error(nil)
	lp.cycles.Add(1)
	if lp.hot {
		lp.polls.Add(1)
		for {
			n, err = rawPoll(lp.epfd, events)
			if n != 0 || err != nil || monotonic()-start >= busyPoll {
				break
			}
		}
	}
	if n == 0 && err == nil {
		n, err = unix.EpollWait(lp.epfd, events, timeout)
	}
	lp.hot = n > 1 && monotonic()-start < busyPoll
	lp.pin(lp.hot)
	return n, err
}

// pin wires the loop's goroutine to its OS thread while the loop is hot,
// and unwires it when it cools. Unwired, a busy loop wandered over three
// threads of the Go scheduler (thread CPU under redis-benchmark HGET -P16:
// 48%, 26%, 17%): each move a hand-off through the scheduler and a cold
// cache. Wired, it stays on one: HGET -P16 1.38x -> 1.52x Redis, SADD
// -P16 1.48x -> 1.58x, XADD everysec -P16 1.73x -> 1.87x (3 rounds,
// medians; -P1 rows unchanged). Wired for good, the loop serving a single
// connection (never hot) halved its rate (redis-benchmark -c 1 GET: 2.3x
// Redis -> 1.0x, with the same context switches per request; why is not
// yet understood), so a loop that sleeps between events stays unwired.
// Both calls only set fields; the cost of being wired is paid only when
// the goroutine blocks (a hand-off of its P to another thread), and a hot
// loop rarely does.
func (lp *loop) pin(hot bool) {
	if hot == lp.locked {
		return
	}
	if hot {
		runtime.LockOSThread()
	} else {
		runtime.UnlockOSThread()
	}
	lp.locked = hot
}

// flushQueued writes the replies endPipeline queued during the batch and
// ends the deferral: what runs after the batch writes at once again.
func (lp *loop) flushQueued() {
	lp.deferWrites = false
	lp.writeQueued(nil)
}

// writeQueued writes the queued replies of every connection but keep (a
// busy script's own, which stays queued: script_busy_linux.go).
func (lp *loop) writeQueued(keep *conn) {
	n := 0
	for _, c := range lp.flushes {
		if c == keep {
			lp.flushes[n] = c
			n++
			continue
		}
		c.queued = false
		if !c.closed && !c.waiting && !c.wantOut {
			c.flush()
		}
	}
	clear(lp.flushes[n:])
	lp.flushes = lp.flushes[:n]
}

// runUnblocks continues, at the end of a batch, the connections unblocked
// during it: by a command of this loop (a push serving a blocked client of
// the same loop then costs no wake-up, and its reply goes out with the
// batch's), or by another goroutine that found the loop busy (unblocked).
func (lp *loop) runUnblocks() {
	for lp.nunblock.Load() != 0 {
		lp.mu.Lock()
		list := lp.unblocks
		lp.unblocks = nil
		lp.nunblock.Store(0)
		lp.mu.Unlock()
		if len(list) == 0 {
			return
		}
		for _, c := range list {
			c.onUnblocked()
		}
	}
}

// deliverPushes writes the outboxes of the connections publishers named
// (pushWake). A connection blocked on output or durability takes its
// frames when it resumes (flush).
func (lp *loop) deliverPushes() {
	if lp.npush.Load() == 0 {
		return
	}
	lp.mu.Lock()
	list := lp.pushes
	lp.pushes = lp.pushSpare[:0]
	lp.npush.Store(0)
	lp.pushWoken = false
	lp.mu.Unlock()
	for _, c := range list {
		if !c.blocked() {
			c.flush()
		}
	}
	clear(list)
	lp.pushSpare = list[:0]
}

// pushWake queues c for deliverPushes (any goroutine).
func (c *conn) pushWake() {
	lp := c.lp
	lp.mu.Lock()
	if !lp.stop {
		lp.pushes = append(lp.pushes, c)
		lp.npush.Store(1)
		if !lp.busy.Load() && !lp.pushWoken {
			lp.pushWoken = true
			lp.wake()
		}
	}
	lp.mu.Unlock()
}

// onWake registers new connections, handles a finished durability wait, and
// reports whether the loop must exit.
func (lp *loop) onWake() bool {
	var b [8]byte
	unix.Read(lp.wakefd, b[:])
	lp.mu.Lock()
	adds, stop, unblocks := lp.adds, lp.stop, lp.unblocks
	lp.adds, lp.unblocks = nil, nil
	lp.nunblock.Store(0)
	lp.mu.Unlock()
	for _, c := range unblocks {
		c.onUnblocked()
	}
	for _, c := range adds {
		if stop {
			c.close()
			continue
		}
		lp.register(c)
	}
	if stop {
		lp.flushQueued()
		lp.closeAll()
		unix.Close(lp.epfd)
		unix.Close(lp.wakefd)
		return true
	}
	return false
}

// register starts watching a new connection's socket. A TLS connection
// may hold commands its handshake read along: they run now (no event
// would tell of them).
func (lp *loop) register(c *conn) {
	for c.fd >= len(lp.conns) {
		lp.conns = append(lp.conns, make([]*conn, len(lp.conns)+64)...)
	}
	lp.conns[c.fd] = c
	if err := unix.EpollCtl(lp.epfd, unix.EPOLL_CTL_ADD, c.fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(c.fd)}); err != nil {
		c.close()
		return
	}
	if c.tc != nil {
		c.input(nil)
	}
}

func (lp *loop) closeAll() {
	for _, c := range lp.conns {
		if c != nil {
			c.close()
		}
	}
}

// ---- appendfsync always: group commit without blocking the loop ----

// releaseDurable sends the replies whose writes are now durable. While some
// still wait, the WAL writer wakes the loop whenever the durable LSN moves
// (durWanted is set before the LSN is read, so no advance is missed).
func (lp *loop) releaseDurable() {
	lp.durWanted.Store(true)
	durable := lp.s.cache.DurableLSN()
	now := monotonic()
	ready := lp.ready[:0]
	keep := lp.waiting[:0]
	for _, c := range lp.waiting {
		switch {
		case c.closed:
		case c.waitLSN <= durable:
			ready = append(ready, c)
		case now-c.waitStart > durabilityTimeout:
			lp.s.warnf("closing client %s: writes not durable after %v", c.cl.Addr, durabilityTimeout)
			c.close()
		default:
			keep = append(keep, c)
		}
	}
	clear(lp.waiting[len(keep):])
	lp.waiting = keep
	if w := lp.s.cache.WAL(); len(keep) > 0 && w != nil && w.Err() != nil {
		lp.failWaiting(w.Err())
	}
	// Resuming runs the commands that arrived meanwhile, which may put the
	// connection back on lp.waiting.
	for _, c := range ready {
		c.waiting = false
		c.resume()
	}
	clear(ready)
	lp.ready = ready[:0]
	lp.durWanted.Store(len(lp.waiting) > 0)
}

// failWaiting answers the waiting pipelines with the log's error
// (Client.failPipeline).
func (lp *loop) failWaiting(err error) {
	failed := lp.waiting
	lp.waiting = nil
	for _, c := range failed {
		if c.closed {
			continue
		}
		c.cl.failPipeline(err)
		c.out = 0
		c.waiting = false
		c.resume()
	}
}

// ---- one connection ----

// readable reads what the socket has and runs the complete commands.
func (c *conn) readable() {
	// at most bigArgReads reads per event, so that a client streaming a
	// huge argument does not hold the loop's other clients up
	for i := 0; i < bigArgReads && c.readOnce(); i++ {
	}
}

const bigArgReads = 16

// readOnce reads and runs what arrived; true if a big argument (bigArg) is
// still arriving and the socket may have more of it: its bytes go on being
// read while the socket has more, not one read per event, so that the
// command runs, and the query buffer shows what arrived, as soon as the
// bytes are here.
func (c *conn) readOnce() bool {
	lp := c.lp
	var buf []byte
	if len(c.in) == 0 || c.tc != nil {
		// The common case: no partial command. Read into the loop's buffer;
		// only a leftover is copied into the connection's own. (A TLS
		// connection's records always go there: their plaintext goes on
		// as a plain connection's bytes do, conn.input.)
		n, err := rawRead(c.fd, lp.rbuf)
		if n <= 0 {
			if n < 0 && (err == unix.EAGAIN || err == unix.EINTR) {
				return false
			}
			c.close()
			return false
		}
		if c.tc != nil {
			return c.input(lp.rbuf[:n])
		}
		buf = lp.rbuf[:n]
	} else {
		if cap(c.in)-len(c.in) < minConnBuf {
			nb := make([]byte, len(c.in), max(2*cap(c.in), len(c.in)+readChunk))
			copy(nb, c.in)
			c.in = nb
		}
		n, err := rawRead(c.fd, c.in[len(c.in):cap(c.in)])
		if n <= 0 {
			if n < 0 && (err == unix.EAGAIN || err == unix.EINTR) {
				return false
			}
			c.close()
			return false
		}
		c.in = c.in[:len(c.in)+n]
		buf = c.in
	}
	return c.consume(buf)
}

// consume runs the complete commands of buf (the loop's buffer, or c.in
// holding what was left before) and keeps the rest in c.in; the result is
// readOnce's.
func (c *conn) consume(buf []byte) bool {
	lp := c.lp
	if !c.blocked() {
		c.run(buf)
	}
	if c.closed {
		return false
	}
	c.keep(buf)
	if c.p.pending(len(c.in)) > int(c.lp.s.cfg.ClientQueryBufferLimit()) {
		lp.s.warnf("closing client %s that reached max query buffer length", c.cl.Addr)
		c.close()
		return false
	}
	return c.p.left > 0 && c.p.bulkLen >= bigArg && !c.blocked()
}

// keep moves what buf holds beyond the parsed commands into c.in.
func (c *conn) keep(buf []byte) {
	rest := buf[c.p.start:]
	shift := c.p.start
	if len(c.in) > 0 && &buf[0] == &c.in[0] {
		n := copy(c.in, rest)
		c.in = c.in[:n]
	} else {
		c.in = append(c.in[:0], rest...)
	}
	c.p.shift(shift)
	if len(c.in) == 0 && cap(c.in) > readChunk {
		c.in = nil
	}
}

func (c *conn) blocked() bool {
	return c.waiting || c.wantOut || c.closed || c.paused || c.cl.bc != nil || c.inScript
}

// run executes every complete command in buf, then ends the pipeline.
func (c *conn) run(buf []byte) {
	if lp := c.lp; lp.spare != nil && !c.lent && len(c.cl.reply.b) == 0 {
		c.own, c.cl.reply.b, lp.spare = c.cl.reply.b, lp.spare, nil
		c.lent = true
	}
	switch c.cl.runPipeline(&c.p, buf) {
	case pipelineKilled:
		c.close()
		return
	case pipelineDetach:
		c.detach(buf)
		return
	case pipelinePaused:
		c.paused = true
		c.lp.paused = append(c.lp.paused, c)
	}
	if c.lp.nunblock.Load() != 0 {
		// Clients this pipeline served (a push to a list a BLPOP waits on)
		// get their replies before its own, as Redis writes the client
		// added to its pending writes last first: the hand-off does not
		// wait for the pusher's write.
		c.lp.runUnblocks()
	}
	c.endPipeline() // a blocked client's earlier replies go out now
}

// unblocked queues the connection for onUnblocked on its loop (any
// goroutine). A busy loop takes it at the end of its batch (runUnblocks,
// and its check after clearing busy), so only an idle one is woken.
func (c *conn) unblocked() {
	lp := c.lp
	lp.mu.Lock()
	if !lp.stop {
		lp.unblocks = append(lp.unblocks, c)
		lp.nunblock.Store(1)
		if !lp.busy.Load() {
			lp.wake()
		}
	}
	lp.mu.Unlock()
}

// onUnblocked continues a connection whose blocked command has its reply:
// the reply goes out (after its fsync under appendfsync always), then the
// commands that arrived meanwhile run.
func (c *conn) onUnblocked() {
	if c.closed || c.cl.bc == nil || !c.cl.takeUnblocked() {
		return
	}
	if c.waiting {
		// earlier replies still wait for their fsync: the served reply
		// goes with them, once its own write is durable too
		if lsn, wait := c.cl.finishPipeline(); wait && lsn > c.waitLSN {
			c.waitLSN = lsn
		}
		return
	}
	c.endPipeline()
	if !c.blocked() && len(c.in) > 0 {
		c.run(c.in)
		if !c.closed {
			c.keep(c.in)
		}
	}
}

// endPipeline sends the replies, or with appendfsync always and writes in
// the pipeline, parks them until the fsync that covers them.
func (c *conn) endPipeline() {
	if lsn, wait := c.cl.finishPipeline(); wait {
		c.waiting = true
		c.waitLSN = lsn
		c.waitStart = c.cl.clock
		c.lp.waiting = append(c.lp.waiting, c)
		return
	}
	// During a batch, replies go out together at its end (flushQueued), as
	// Redis writes its clients before it sleeps: a load generator woken by
	// the first write is still running when the others arrive, where a
	// write per pipeline between the commands of the next woke it each
	// time (the wake-up of a sleeping process was a fifth of the server's
	// CPU at -P16). A big reply, or one that uses the loop's spare buffer,
	// goes out at once (the spare is then free for the next connection).
	if lp := c.lp; lp.deferWrites && !c.lent && len(c.cl.reply.b) <= keepReplyCap && !c.cl.closeAfter {
		if !c.queued {
			c.queued = true
			lp.flushes = append(lp.flushes, c)
		}
		return
	}
	c.flush()
}

// flush writes the pending replies; what the socket does not take waits for
// EPOLLOUT.
func (c *conn) flush() {
	cl := c.cl
	cl.batch = 0
	// Frames pushed while another executor served the client's blocked
	// command are held for that command's reply (takeUnblocked), as in
	// Redis: the flush of the replies before it (endPipeline) leaves them.
	cl.releaseServed()
	if p := cl.ps; p != nil && p.ob.Pending() {
		cl.reply.b = p.ob.Take(cl.reply.b)
	}
	if left, ok := c.send(); !ok {
		c.close()
		return
	} else if left > 0 {
		if p := cl.ps; p != nil {
			p.ob.SetUnsent(int64(left)) // counts against client-output-buffer-limit
		}
		cl.noteMem()
		if !c.wantOut {
			c.wantOut = true
			c.ctl(unix.EPOLLIN | unix.EPOLLOUT)
		}
		return
	}
	c.out = 0
	cl.reply.Reset()
	if p := cl.ps; p != nil {
		p.ob.SetUnsent(0)
	}
	cl.noteMem() // the replies are out
	if c.lent {
		c.lp.keepSpare(cl.reply.b)
		cl.reply.b, c.own, c.lent = c.own, nil, false
	} else if cap(cl.reply.b) > keepReplyCap {
		c.lp.keepSpare(cl.reply.b)
		cl.reply.b = nil
	}
	if c.wantOut {
		c.wantOut = false
		c.ctl(unix.EPOLLIN)
	}
	if cl.closeAfter {
		c.close()
	}
}

// resume continues a connection that was blocked on output or durability:
// send the replies, then run the commands that arrived meanwhile.
// send writes the pending replies (a TLS connection's as records): it
// returns how many bytes the socket did not take, and false if the
// connection failed.
func (c *conn) send() (left int, ok bool) {
	b := c.cl.reply.b
	if c.tc != nil {
		if c.out < len(b) {
			if _, err := c.tc.Write(b[c.out:]); err != nil {
				return 0, false
			}
			c.out = len(b)
		}
		return c.sendTLS()
	}
	for c.out < len(b) {
		n, err := rawWrite(c.fd, b[c.out:])
		if n > 0 {
			c.out += n
			continue
		}
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			return len(b) - c.out, true
		}
		return 0, false
	}
	return 0, true
}

func (c *conn) resume() {
	if c.closed || c.waiting {
		return
	}
	c.flush()
	if !c.blocked() && len(c.in) > 0 {
		c.run(c.in)
		if !c.closed {
			c.keep(c.in)
		}
	}
}

func (c *conn) ctl(events uint32) {
	if err := unix.EpollCtl(c.lp.epfd, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: events, Fd: int32(c.fd)}); err != nil {
		c.close()
	}
}

// close closes the socket and forgets the connection (loop goroutine only).
func (c *conn) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	unix.EpollCtl(c.lp.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	unix.Close(c.fd)
	c.mu.Unlock()
	if c.fd < len(c.lp.conns) && c.lp.conns[c.fd] == c {
		c.lp.conns[c.fd] = nil
	}
	c.lp.nclients.Add(-1)
	c.lp.s.closedConn(c.cl)
}

// shutdown makes the loop close the connection (any goroutine): the socket
// is shut down, which the loop reads as end of file.
func (c *conn) shutdown() {
	c.mu.Lock()
	if !c.closed {
		unix.Shutdown(c.fd, unix.SHUT_RDWR)
	}
	c.mu.Unlock()
}

func (c *conn) hungUp() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.closed && peerHungUp(c.fd)
}

// abort resets the connection (any goroutine): SO_LINGER 0 makes the
// close that follows drop unsent data and send a reset.
func (c *conn) abort() {
	c.mu.Lock()
	if !c.closed {
		unix.SetsockoptLinger(c.fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
		unix.Shutdown(c.fd, unix.SHUT_RDWR)
	}
	c.mu.Unlock()
}

// detach hands the socket to a goroutine of its own (FCSYNC: the rest of the
// connection is the replication stream), after the pipeline's replies.
func (c *conn) detach(buf []byte) {
	cl := c.cl
	fn := cl.detach
	cl.detach = nil
	reply := append([]byte(nil), cl.reply.b[c.out:]...)
	rest := append([]byte(nil), buf[c.p.pos:]...)
	c.mu.Lock()
	c.closed = true
	unix.EpollCtl(c.lp.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	f := os.NewFile(uintptr(c.fd), "client")
	nc, err := net.FileConn(f) // a duplicate descriptor in Go's netpoller
	f.Close()
	c.mu.Unlock()
	c.lp.conns[c.fd] = nil
	c.lp.nclients.Add(-1)
	c.lp.s.closedConn(cl)
	if err != nil {
		return
	}
	var sent []byte // TLS: records written and not yet sent
	if c.tc != nil {
		sent = append(sent, c.pipe.pending()...)
		c.pipe.out, c.pipe.off = nil, 0
		c.pipe.nc = nc // the tls.Conn reads and writes the socket again
	}
	go func() {
		var w net.Conn = nc
		if c.tc != nil {
			if _, err := nc.Write(sent); err != nil {
				nc.Close()
				return
			}
			w = c.tc
		}
		if _, err := w.Write(reply); err != nil {
			nc.Close()
			return
		}
		fn(&prefixConn{Conn: w, rest: rest})
	}()
}

// ---- accepting ----

// loopStats sums the event loops' cycles and busy polls (INFO stats).
func (s *Server) loopStats() (cycles, polls int64) {
	s.mu.Lock()
	loops := s.loops
	s.mu.Unlock()
	for _, lp := range loops {
		cycles += lp.cycles.Load()
		polls += lp.polls.Load()
	}
	return cycles, polls
}

// eventLoops: Linux has the epoll layer (Server.Serve uses it unless
// Options.Goroutines is set).
const eventLoops = true

func (c *conn) descriptor() int { return c.fd }

func (c *conn) start() bool {
	if c.tc != nil {
		c.handshaking.Store(true)
		c.lp.s.hsWG.Add(1)
		go c.handshake()
		return true
	}
	if c.lp.add(c) {
		return true
	}
	unix.Close(c.fd)
	return false
}

// loopSocket gives the accepted nc to the least loaded event loop (s.mu
// held): the loop serves a duplicate of its descriptor and nc is closed.
func (s *Server) loopSocket(cl *Client, nc net.Conn) (socket, error) {
	tc, _ := nc.(*tls.Conn)
	var pipe *tlsPipe
	if tc != nil {
		// the handshake goes on over the socket (handshake closes it)
		pipe, _ = tc.NetConn().(*tlsPipe)
		if pipe == nil || pipe.nc == nil {
			nc.Close()
			return nil, errors.New("not a TLS connection of this server")
		}
		nc = pipe.nc
	} else {
		defer nc.Close()
	}
	fd, err := socketFD(nc)
	if err != nil {
		if tc != nil {
			nc.Close()
		}
		return nil, err
	}
	lp := s.loops[0]
	for _, l := range s.loops[1:] {
		if l.nclients.Load() < lp.nclients.Load() {
			lp = l
		}
	}
	cl.gate = &lp.gate
	return &conn{fd: fd, lp: lp, cl: cl, tc: tc, pipe: pipe}, nil
}

// socketFD duplicates nc's descriptor (non-blocking, like the original);
// closing nc afterwards leaves the socket open.
func socketFD(nc net.Conn) (int, error) {
	tc, ok := nc.(syscall.Conn)
	if !ok {
		return -1, errors.New("not a socket")
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	if err := raw.Control(func(f uintptr) { fd, derr = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return -1, err
	}
	return fd, derr
}
