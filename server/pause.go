package server

import (
	"sync"
	"sync/atomic"
	"time"

	"fastcache/cache"
)

// CLIENT PAUSE timeout [WRITE|ALL] and CLIENT UNPAUSE, as Redis 7.0: while a
// pause lasts, a client's command that it covers (every command with ALL,
// the writes and an EXEC with queued writes with WRITE) is postponed, not
// refused: the connection stops at it, the replies before it are sent, and
// it runs when the pause ends or CLIENT UNPAUSE comes (failover tools pause
// writes, wait for the replica to catch up, then switch). Commands refused
// before they would run (unknown, arity, NOAUTH, LOADING) are answered at
// once. A later CLIENT PAUSE extends the pause and can make it stronger
// (WRITE to ALL), never shorter or weaker, until it ends. As in Redis, with
// ALL even CLIENT UNPAUSE waits for the end of the pause.

// pauseSpec is an active pause: until end (monotonic()), all or writes.
type pauseSpec struct {
	end time.Duration
	all bool
}

// pauseState is the Server's pause (Server.pause).
type pauseState struct {
	mu sync.Mutex
	p  *pauseSpec     // nil: none
	ch chan struct{}  // closed when the pause ends early or changes (goroutine-served clients wait on it)
	tm *time.Timer    // fires at the end, to wake the waiting clients
	v  clientPauseVal // lock-free copy for the dispatcher's check
	// goroutine-served clients resume in the order they were postponed:
	// tickets handed out, and the one whose turn it is
	ticket, serving uint64
	// writes: the server's own write pauses in force (PauseWrites), on top
	// of CLIENT PAUSE and independent of it
	writes    atomic.Int32
	postponed atomic.Int64 // clients whose command waits (INFO blocked_clients)
}

// clientPauseVal is read on every command: end (a monotonic() reading) 0
// means no pause.
type clientPauseVal struct {
	end atomic.Int64
	all atomic.Bool
}

// pausedFor reports whether cmd (from cl, with args) must wait for the
// pause to end.
func (s *Server) pausedFor(cl *Client, cmd *Command, args [][]byte) bool {
	end := time.Duration(s.pause.v.end.Load())
	user := end != 0 && monotonic() < end
	if !user && s.pause.writes.Load() == 0 {
		return false
	}
	if user && s.pause.v.all.Load() {
		return true
	}
	if cmd.Flags&flagWrite != 0 || mayReplicate[cmd.Name] {
		return true
	}
	if w, ok := s.scriptPauseWrite(cmd, args); ok { // script_pause.go
		return w
	}
	if cmd.Name == "exec" && cl.multi {
		for _, q := range cl.queued {
			if q.cmd.Flags&flagWrite != 0 || mayReplicate[q.cmd.Name] {
				return true
			}
			if w, _ := s.scriptPauseWrite(q.cmd, q.args); w {
				return true
			}
		}
	}
	return false
}

// mayReplicate are the read-only commands Redis 7.0 flags may-replicate
// (besides the script commands, script_pause.go): a WRITE pause postpones
// them too, and a read-only script may not call them.
var mayReplicate = map[string]bool{"pfcount": true, "publish": true, "spublish": true}

// notePostponed counts c among the blocked clients (INFO blocked_clients,
// flag b) while a pause postpones its command, as Redis blocks it
// (BLOCKED_POSTPONE); postponed false: it runs, or the client is gone.
func (s *Server) notePostponed(c *Client, postponed bool) {
	if c.pausePostponed.Load() == postponed || !c.pausePostponed.CompareAndSwap(!postponed, postponed) {
		return
	}
	if postponed {
		s.pause.postponed.Add(1)
	} else {
		s.pause.postponed.Add(-1)
	}
}

// pauseActive reports whether a pause is in force.
func (s *Server) pauseActive() bool {
	end := time.Duration(s.pause.v.end.Load())
	return end != 0 && monotonic() < end || s.pause.writes.Load() > 0
}

// PauseWrites postpones every client's writes, as CLIENT PAUSE WRITE does
// but without a timeout and without touching the clients' own pause, until
// resume is called: the server switches its log (CONFIG SET appendonly)
// with no write in flight. Commands already running finish.
func (s *Server) PauseWrites() (resume func()) {
	s.pause.writes.Add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			s.pause.writes.Add(-1)
			s.unpauseWake()
		})
	}
}

// pauseEnd is when the current pause ends (0: none).
func (s *Server) pauseEnd() time.Duration { return time.Duration(s.pause.v.end.Load()) }

// setPause starts or extends the pause.
func (s *Server) setPause(end time.Duration, all bool) {
	ps := &s.pause
	ps.mu.Lock()
	if p := ps.p; p != nil && monotonic() < p.end {
		end = max(end, p.end)
		all = all || p.all
	}
	ps.p = &pauseSpec{end: end, all: all}
	ps.v.all.Store(all)
	ps.v.end.Store(int64(end))
	s.cache.PauseExpiry(true) // no key expires during a pause, as in Redis
	ps.changedLocked()
	if ps.tm != nil {
		ps.tm.Stop()
	}
	ps.tm = time.AfterFunc(end-monotonic(), s.unpauseWake)
	ps.mu.Unlock()
}

// unpause ends the pause now (CLIENT UNPAUSE).
func (s *Server) unpause() {
	ps := &s.pause
	ps.mu.Lock()
	ps.p = nil
	ps.v.end.Store(0)
	ps.v.all.Store(false)
	s.cache.PauseExpiry(false)
	if ps.tm != nil {
		ps.tm.Stop()
		ps.tm = nil
	}
	ps.changedLocked()
	ps.mu.Unlock()
	s.unpauseWake()
}

func (ps *pauseState) changedLocked() {
	if ps.ch != nil {
		close(ps.ch)
		ps.ch = nil
	}
}

// unpauseWake makes every network layer look at its paused clients again.
func (s *Server) unpauseWake() {
	s.pause.mu.Lock()
	s.pause.changedLocked()
	if end := time.Duration(s.pause.v.end.Load()); end == 0 || monotonic() >= end {
		s.cache.PauseExpiry(false) // the CLIENT PAUSE ran out
	}
	s.pause.mu.Unlock()
	s.mu.Lock()
	loops := s.loops
	s.mu.Unlock()
	for _, lp := range loops {
		lp.wakeIfRunning()
	}
}

// pauseTicket is a goroutine-served client's place among the clients the
// pause postponed: they resume one after the other in the order they were
// postponed, as Redis resumes its list of postponed clients (the event
// loops keep that order in loop.paused).
func (s *Server) pauseTicket() uint64 {
	s.pause.mu.Lock()
	defer s.pause.mu.Unlock()
	t := s.pause.ticket
	s.pause.ticket++
	return t
}

// waitUnpause blocks a goroutine-served client until the pause ends and
// its ticket's turn comes (it then holds the turn until pauseTurnDone);
// false if the server closes meanwhile.
func (s *Server) waitUnpause(ticket uint64) bool {
	for {
		active := s.pauseActive()
		s.pause.mu.Lock()
		if !active && s.pause.serving == ticket {
			s.pause.mu.Unlock()
			return true
		}
		if s.pause.ch == nil {
			s.pause.ch = make(chan struct{})
		}
		ch := s.pause.ch
		s.pause.mu.Unlock()
		var t *time.Timer
		var tc <-chan time.Time
		if active && s.pauseEnd() > monotonic() { // (PauseWrites ends by closing ch)
			t = time.NewTimer(max(s.pauseEnd()-monotonic(), time.Millisecond))
			tc = t.C
		}
		closing := false
		select {
		case <-ch:
		case <-tc:
		case <-s.done:
			closing = true
		}
		if t != nil {
			t.Stop()
		}
		if closing {
			return false
		}
	}
}

// pauseTurnDone passes the turn to the next postponed client.
func (s *Server) pauseTurnDone() {
	s.pause.mu.Lock()
	s.pause.serving++
	s.pause.changedLocked()
	s.pause.mu.Unlock()
}

// CLIENT PAUSE timeout [WRITE|ALL]: the mode is checked first, then the
// timeout (milliseconds, Redis's texts). A timeout so large that now plus
// it overflows wraps to the past, as in Redis 7.0: no pause.
func clientPause(c *Client, args [][]byte) {
	if len(args) > 4 {
		c.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + sanitize(args[1], 128) + "'. Try CLIENT HELP.")
		return
	}
	all := true
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "write"):
			all = false
		case eqFold(args[3], "all"):
		default:
			c.reply.Error("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	ms, ok := cache.ParseInt(args[2])
	if !ok {
		c.reply.Error("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.reply.Error("ERR timeout is negative")
		return
	}
	now := monotonic()
	if ms > 0 && ms <= int64((1<<63-1-now)/time.Millisecond) {
		c.srv.setPause(now+time.Duration(ms)*time.Millisecond, all)
	}
	c.reply.OK()
}

func clientUnpause(c *Client, args [][]byte) {
	c.srv.unpause()
	c.reply.OK()
}

// CLIENT REPLY ON|OFF|SKIP: OFF drops every reply from here on (this one
// included), SKIP the next command's, ON answers +OK and replies again.
func clientReply(c *Client, args [][]byte) {
	switch {
	case eqFold(args[2], "on"):
		c.replyOff, c.replySkip = false, false
		c.reply.OK()
	case eqFold(args[2], "off"):
		c.replyOff = true
	case eqFold(args[2], "skip"):
		if !c.replyOff {
			c.replySkipNext = true
		}
	default:
		c.reply.Error(errSyntax)
	}
}

// replyRules applies CLIENT REPLY after a command whose reply starts at
// mark: dropped while replies are off or skipped, unless it is the
// confirmations of SUBSCRIBE and its kin, which Redis sends whatever the
// reply mode (a subscriber waits for them); a SKIP covers the next command.
func (c *Client) replyRules(mark int) {
	if (c.replyOff || c.replySkip) && !c.replyPushed {
		// (the messages pushed while the command ran stay: only its
		// reply goes)
		if keep := max(mark, c.pushedEnd); c.reply.Len() > keep {
			c.reply.Truncate(keep)
		}
		c.batch-- // no reply to replace if the log fails (failPipeline)
	}
	c.replySkip = c.replySkipNext
	c.replySkipNext = false
}
