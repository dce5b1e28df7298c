package server

// What both network layers share: running a pipeline of commands, deciding
// whether its replies wait for an fsync (appendfsync always), and the socket
// a connection is served on. The epoll event loops (netloop_linux.go) and the
// goroutine-per-connection layer (netconn.go) differ only in how they read,
// write and wait.

import (
	"errors"
	"net"
	"sync"
	"time"
)

const (
	readChunk    = 64 << 10 // an event loop's shared read buffer
	minConnBuf   = 16 << 10 // free space kept in a connection's own buffer while a command is incomplete
	keepReplyCap = 64 << 10 // reply buffers above this are dropped once sent
	// bigArg is the bulk length from which an argument counts whole once
	// its header is read (client eviction), and the event loops read the
	// rest of it at once (Redis's PROTO_MBULK_BIG_ARG).
	bigArg = 32 << 10
)

// socket is a client connection as its network layer serves it.
type socket interface {
	// descriptor is the socket's file descriptor (CLIENT LIST fd).
	descriptor() int
	// shutdown makes the serving side close the connection (any goroutine).
	shutdown()
	// start begins serving; false if the server is closing (the connection
	// is then closed and forgotten).
	start() bool
	// abort resets the connection (any goroutine): like shutdown, but what
	// the socket still holds for the client is dropped (a client closed over
	// its output buffer limit).
	abort()
	// pushWake tells the serving side that the client's outbox has frames
	// to write (any goroutine; it must not block).
	pushWake()
	// unblocked tells the serving side that the client's blocked command
	// has its reply (any goroutine; see Client.takeUnblocked).
	unblocked()
	// hungUp reports whether the peer has closed the connection and the
	// serving side has not closed it yet (any goroutine; false when it
	// cannot tell).
	hungUp() bool
}

// pipelineEnd says how runPipeline stopped.
type pipelineEnd int

const (
	pipelineDone    pipelineEnd = iota // every complete command ran (a protocol error or QUIT ends the input early)
	pipelineKilled                     // CLIENT KILL hit this client: close without further replies
	pipelineDetach                     // FCSYNC takes the socket over once the replies are out (cl.detach)
	pipelinePaused                     // CLIENT PAUSE: the next command waits for the pause's end (the parser is back at its start)
	pipelineBlocked                    // a blocking command parked the client (blocking.go): the rest waits
)

// runPipeline executes every complete command in buf; p keeps the position
// of what is incomplete.
func (cl *Client) runPipeline(p *reqParser, buf []byte) pipelineEnd {
	s := cl.srv
	defer cl.releaseHeld() // the shards a run of scripts kept (script.go)
	// CLIENT LIST's qbuf: while the pipeline runs, the bytes read (as
	// Redis's query buffer, trimmed once it is processed); then the part
	// of a command still incomplete.
	cl.qbuf.Store(int64(len(buf)))
	cl.qleft = int64(len(buf) - p.start)
	defer func() {
		cl.qleft = int64(len(buf) - p.start)
		if p.left > 0 && p.bulkLen >= bigArg {
			// A big argument arriving counts whole from its header on, as
			// Redis allocates it (here the buffer grows only with the bytes
			// that come); what is parsed before it shows as the command's
			// arguments and the query buffer holds the big argument alone,
			// as Redis moves the arguments out of it for a big one.
			cl.qleft = max(cl.qleft, int64(p.pos-p.start+p.bulkLen+2))
			cl.qargs.Store(int64(p.pos - p.start))
			cl.qbuf.Store(int64(len(buf) - p.pos))
			return
		}
		if cl.qargs.Load() != 0 {
			cl.qargs.Store(0)
		}
		cl.qbuf.Store(int64(len(buf) - p.start))
	}()
	cl.tick()
	ahead := 0 // commands to run before looking ahead again
	for {
		if ahead == 0 {
			ahead = cl.lookAhead(p, buf)
		}
		ahead--
		args, perr, ok := p.next(buf, limits{authed: cl.authed || !s.acl.authRequired(), maxBulkLen: s.cfg.ProtoMaxBulkLen()})
		if perr != "" {
			// Replies so far are sent, then the error, then the
			// connection is closed (Redis's setProtocolError).
			s.protoErrors.Add(1)
			s.warnf("protocol error from client %s: %s", cl.Addr, perr)
			cl.reply.Error("ERR Protocol error: " + perr)
			cl.closeAfter = true
			*p = reqParser{start: len(buf), pos: len(buf)}
			return pipelineDone
		}
		if !ok {
			return pipelineDone
		}
		if cl.killed.Load() {
			return pipelineKilled
		}
		cl.batch++
		mark := cl.reply.Len()
		cl.exec(args)
		cl.curArgs = nil
		if cl.postponed {
			cl.postponed = false
			cl.batch--
			p.pos = p.start // parse it again when the pause ends
			return pipelinePaused
		}
		cl.replyRules(mark)
		if cl.overOutputLimit() {
			return pipelineKilled // client-output-buffer-limit (obuf.go)
		}
		if cl.srv.clientMemLimit.Load() > 0 && cl.checkMemAt(int64(len(buf)-p.pos)) {
			return pipelineKilled // maxmemory-clients (evict_clients.go)
		}
		if cl.detach != nil {
			return pipelineDetach
		}
		if cl.bc != nil {
			p.start = p.pos // the blocked command is consumed; what follows waits
			return pipelineBlocked
		}
		if cl.closeAfter {
			// QUIT: the rest of the pipeline is not run.
			*p = reqParser{start: len(buf), pos: len(buf)}
			return pipelineDone
		}
	}
}

// lookAheadMax is how many commands of a pipeline are prefetched at once,
// and lookAheadKeys how many keys at most (MSET and MGET name several).
const (
	lookAheadMax  = 16
	lookAheadKeys = 64
	lookAheadRest = 3
)

// memberArgs are the commands whose first lookup in a big collection is
// the member or field at the given position (Command.Member): the
// look-ahead prefetches it in the collection's own table too. For ZADD it
// is the first member when no option precedes the first score (a wrong
// guess costs one useless prefetch).
var memberArgs = map[string]int{
	"hset": 2, "hsetnx": 2, "hmset": 2, "hget": 2, "hmget": 2, "hincrby": 2, "hincrbyfloat": 2,
	"hdel": 2, "hexists": 2, "hstrlen": 2,
	"sadd": 2, "srem": 2, "sismember": 2, "smismember": 2,
	"zadd": 3, "zincrby": 3, "zscore": 2, "zmscore": 2, "zrank": 2, "zrevrank": 2, "zrem": 2,
}

var memberArgsOnce sync.Once

// setMemberArgs marks the commands of memberArgs (once the command table is
// complete: every file's init has registered its commands).
func setMemberArgs() {
	memberArgsOnce.Do(func() {
		for name, pos := range memberArgs {
			if cmd := commands[name]; cmd != nil {
				cmd.Member = pos
			}
		}
	})
}

// lookAhead names the keys of the pipeline's next commands to the cache
// before they run, so that the cache misses of their lookups overlap
// (Cache.Prefetch) instead of each command waiting for its own. It returns
// how many commands may run before the next look-ahead. A single key is
// not worth it (one lookup has nothing to overlap with).
func (cl *Client) lookAhead(p *reqParser, buf []byte) int {
	if p.left != 0 {
		return lookAheadMax // a command split over reads: wait for its end
	}
	if cl.aheadSkip > 0 {
		cl.aheadSkip--
		return lookAheadMax
	}
	if cl.aheadMembers == nil {
		cl.aheadMembers = make([][]byte, 0, lookAheadKeys)
	}
	keys, members, nmember, cmds := cl.peekKeys(buf, p.pos, lookAheadMax, lookAheadKeys, cl.aheadKeys[:0], cl.aheadMembers[:0])
	if members != nil {
		cl.aheadMembers = members[:0]
	}
	if nmember == 0 {
		members = nil
	}
	// a key (and member) named again by the next command is prefetched
	// once: a pipeline on one key (LPUSH q ... x16, HSET h f v x16) has
	// nothing to prefetch
	keys, members = dedupAdjacent(keys, members)
	if len(keys) >= 2 {
		cl.srv.cache.Prefetch(keys, members, cl.aheadHashes[:len(keys)])
	} else if cmds >= 2 {
		// Several commands, one key: a pipeline on a hot key (XADD s *
		// ... x16), whose look-ahead is a second parse of every command
		// for nothing (8% of the server's CPU under XADD -P16). The next
		// lookAheadRest look-aheads are skipped; then it looks again.
		cl.aheadSkip = lookAheadRest
	}
	clear(keys[:cap(keys)]) // do not keep the input buffer reachable
	cl.aheadKeys = keys[:0]
	clear(cl.aheadMembers[:cap(cl.aheadMembers)])
	if cmds == 0 {
		return lookAheadMax
	}
	return cmds
}

// dedupAdjacent drops each key equal to the one before it, with its
// member when members (parallel to keys) is not nil and the members are
// equal too, in place.
func dedupAdjacent(keys, members [][]byte) ([][]byte, [][]byte) {
	if len(keys) < 2 {
		return keys, members
	}
	n := 1
	for i := 1; i < len(keys); i++ {
		if string(keys[i]) == string(keys[n-1]) && (members == nil || string(members[i]) == string(members[n-1])) {
			continue
		}
		keys[n] = keys[i]
		if members != nil {
			members[n] = members[i]
		}
		n++
	}
	clear(keys[n:])
	if members != nil {
		clear(members[n:len(keys)])
		members = members[:n]
	}
	return keys[:n], members
}

// finishPipeline ends a batch of commands. With appendfsync always and
// writes in it, it returns the LSN whose fsync the replies must wait for
// (one wait per pipeline; one fsync covers every client that wrote
// meanwhile).
func (cl *Client) finishPipeline() (lsn uint64, wait bool) {
	cl.lastActive.Store(cl.nowMs) // the clock read after the pipeline's last command
	cl.publish()
	cl.checkMem()
	if !cl.wrote {
		return 0, false
	}
	cl.wrote = false
	s := cl.srv
	if s.cfg.AppendOnly() && s.cfg.AppendFsync() == "always" {
		if lsn := s.cache.LastLSN(); s.cache.DurableLSN() < lsn {
			return lsn, true
		}
	}
	return 0, false
}

// failPipeline replaces a waiting pipeline's replies when the log failed
// (appendfsync always): nothing in it may be acknowledged. Its writes have
// run and cannot be taken back (other clients may have read or built on
// them), so every command gets a MISCONF error that says their outcome is
// unknown, as databases report "commit outcome unknown": they stay in
// memory and reach the log if the disk recovers before a restart, so a
// client that retries (an INCR) may apply its write twice. Writes that come
// after are refused before they run and take no effect (CheckWrite).
func (cl *Client) failPipeline(err error) {
	msg := errOutcomeUnknown(err)
	cl.reply.Reset()
	for i := 0; i < cl.batch; i++ {
		cl.reply.Error(msg)
	}
}

// errOutcomeUnknown is failPipeline's error text, with the log's cause.
func errOutcomeUnknown(err error) string {
	cause := errors.Unwrap(err)
	if cause == nil {
		cause = err
	}
	return "MISCONF Errors writing to the WAL; outcome unknown: the writes of this pipeline ran but are not durable " +
		"(they are logged if the disk becomes writable again before a restart, so a retry may apply a write twice): " + cause.Error()
}

// prefixConn is a net.Conn whose first reads return bytes already buffered.
type prefixConn struct {
	net.Conn
	rest []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.rest) > 0 {
		n := copy(b, p.rest)
		p.rest = p.rest[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// ---- appendfsync always for connections served by goroutines ----

var (
	errDurabilityTimeout = errors.New("writes not durable after " + durabilityTimeout.String())
	errServerClosing     = errors.New("server closing")
)

// durableSignal wakes goroutines waiting for the durable LSN to move: each
// wait takes the current channel, which the WAL writer's callback closes.
type durableSignal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (d *durableSignal) next() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ch == nil {
		d.ch = make(chan struct{})
	}
	return d.ch
}

func (d *durableSignal) fire() {
	d.mu.Lock()
	if d.ch != nil {
		close(d.ch)
		d.ch = nil
	}
	d.mu.Unlock()
}

// waitDurable blocks until lsn is durable, the log fails (its error), the
// wait exceeds durabilityTimeout or the server closes.
func (s *Server) waitDurable(lsn uint64) error {
	var timer *time.Timer
	for {
		ch := s.durable.next() // before reading the LSN: no advance is missed
		if s.cache.DurableLSN() >= lsn {
			return nil
		}
		if w := s.cache.WAL(); w != nil && w.Err() != nil {
			return w.Err()
		}
		if timer == nil {
			timer = time.NewTimer(durabilityTimeout)
			defer timer.Stop()
		}
		select {
		case <-ch:
		case <-timer.C:
			return errDurabilityTimeout
		case <-s.done:
			return errServerClosing
		}
	}
}
