package server

// How other clients see a running script.
//
// A script holds every shard lock for its whole run (Cache.Atomic), which
// keeps every other data path out: commands, active expiry, eviction,
// snapshots. An event loop that blocked on one of those locks, though,
// would stop serving all its connections until the script ends, and could
// neither answer -BUSY nor take the SCRIPT KILL that ends it. So commands
// do not reach the shard locks while a script runs: scripts run in an
// executor's turn (scriptTurn), the dispatcher reads Server.scr.turn before
// every command (one atomic load), and a command of another executor that
// finds a turn waits for it to end, but at most until a script in it has
// run busy-reply-threshold; from then on it is answered -BUSY (or runs, if
// Redis allows it during a busy script: SCRIPT KILL, FUNCTION KILL/STATS,
// SHUTDOWN, AUTH, HELLO, MULTI, DISCARD, WATCH, UNWATCH, RESET, QUIT).
//
// A command that read "no turn" just before a turn started must not then
// block on the shards. Every executor (event loop, goroutine connection)
// has a gate: active while it runs commands, inactive while it waits for
// epoll, for the network or for a turn. An executor taking a turn
// publishes it, then waits until every other executor's gate is inactive
// or it has seen the turn (both sides store then load, so one of them sees
// the other), and only then runs its script.
//
// The script itself runs on its client's event loop. Past the threshold,
// that loop's other connections are served by a stand-in goroutine (the
// loop's own goroutine is inside the script), which answers them -BUSY and
// runs what a busy server allows, as Redis's processEventsWhileBlocked does
// (script_busy_linux.go).

import (
	"os"
	"runtime"
	"sync/atomic"
	"time"
)

const (
	busyScriptMsg   = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	busyFunctionMsg = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
)

// execGate is one executor's state for starting scripts.
type execGate struct {
	active atomic.Int32
	// idle, when set, is closed by the executor's next leave: the executor
	// that takes a turn waits on it (waitIdle) rather than spinning.
	idle atomic.Pointer[chan struct{}]
	_    [52]byte // its own cache line: loops write it every batch
}

// enter marks the executor as running commands.
func (g *execGate) enter() { g.active.Store(1) }

// leave marks it out of its commands (waiting for epoll, the network or a
// turn), waking a turn taker waiting for that.
func (g *execGate) leave() {
	g.active.Store(0)
	if g.idle.Load() != nil {
		if ch := g.idle.Swap(nil); ch != nil {
			close(*ch)
		}
	}
}

// waitIdle returns once g's executor is out of its commands. Only the
// executor taking a turn calls it, one at a time.
func (g *execGate) waitIdle() {
	for spins := 0; g.active.Load() != 0; spins++ {
		if spins < 64 {
			continue // it is often about to leave
		}
		ch := make(chan struct{})
		if !g.idle.CompareAndSwap(nil, &ch) {
			runtime.Gosched()
			continue
		}
		// Store then load on both sides: either this sees it inactive, or
		// its leave sees ch.
		if g.active.Load() == 0 && g.idle.CompareAndSwap(&ch, nil) {
			return
		}
		<-ch
		return
	}
}

func (s *Server) addGate(g *execGate) {
	s.scr.gatesMu.Lock()
	s.scr.gates[g] = struct{}{}
	s.scr.gatesMu.Unlock()
}

func (s *Server) removeGate(g *execGate) {
	s.scr.gatesMu.Lock()
	delete(s.scr.gates, g)
	s.scr.gatesMu.Unlock()
}

// scriptTurn is an executor's turn to run scripts. Scripts exclude every
// other executor (see above), and handing that exclusion from one executor
// to another costs a goroutine wake-up each time, more than a short script
// itself: so an executor keeps its turn from its first script to the end of
// its batch (endTurn), or to its first command that is not a script, and
// runs the scripts of all its pipelines in one turn. Only scripts run in a
// held turn: any other command ends it first, so a turn never spans a
// command that could wait for another executor (SHUTDOWN, CLIENT KILL ...).
type scriptTurn struct {
	gate    *execGate // nil: no executor (the turn ends with its script)
	done    chan struct{}
	waiters atomic.Int32 // executors parked on done
	ended   atomic.Bool
	// drained is closed once the turn has ended and its last waiter left
	drained  chan struct{}
	drainedX atomic.Bool
}

// unwait is a waiter of t leaving.
func (t *scriptTurn) unwait() {
	if t.waiters.Add(-1) == 0 && t.ended.Load() {
		t.drain()
	}
}

func (t *scriptTurn) drain() {
	if t.drainedX.CompareAndSwap(false, true) {
		close(t.drained)
	}
}

// isScriptCommand reports whether cmd runs a script (it may run in a held turn).
func isScriptCommand(cmd *Command) bool {
	switch cmd.Name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		return true
	}
	return false
}

// scriptWait is called by the dispatcher when an executor holds a turn: it
// waits for the turn to end, or while a script runs, at most until the
// script has run busy-reply-threshold. It returns false when cmd was
// answered -BUSY instead.
func (c *Client) scriptWait(cmd *Command, args [][]byte) bool {
	s := c.srv
	for {
		t := s.scr.turn.Load()
		if t == nil {
			return true
		}
		r := loadRun(&s.scr.running)
		if r != nil && r.caller == c {
			r.release()
			return true
		}
		if r == nil && t.gate != nil && t.gate == c.gate {
			// This executor's own turn, between its scripts.
			if !isScriptCommand(cmd) {
				s.endTurn(c.gate)
			}
			return true
		}
		thr := s.cfg.BusyReplyThreshold()
		wait := thr
		if r != nil {
			elapsed := monotonic() - r.start
			eval := r.call.eval
			r.release()
			if elapsed >= thr && c.master {
				// The primary's stream is never refused: it waits for
				// the script, as Redis holds its master's commands.
				elapsed = thr - time.Second
			}
			if elapsed >= thr {
				allowed := allowBusy[cmd.Name] || (cmd.Sub != nil && len(args) > 1 && allowBusy[commandKey(cmd, args)])
				if cmd.Name == "shutdown" {
					// Only SHUTDOWN NOSAVE: it exits at once.
					if s.busyShutdown(args) {
						c.closeAfter = true
						return false
					}
					allowed = false
				}
				if allowed {
					return true
				}
				msg := busyScriptMsg
				if !eval {
					msg = busyFunctionMsg
				}
				c.reject(cmd, msg)
				return false
			}
			wait = thr - elapsed
		}
		// No script yet, or one that is not busy: wait for the turn to end,
		// waking up when a script in it would become busy (one that starts
		// later in the turn makes this wait again for the rest).
		g := c.gate
		if g != nil {
			g.leave()
		}
		t.waiters.Add(1)
		tm := time.NewTimer(wait)
		select {
		case <-t.done:
		case <-tm.C:
		}
		tm.Stop()
		t.unwait()
		if g != nil {
			g.enter()
		}
	}
}

// scriptBegin makes r the running script: in the caller's executor's turn,
// taking one if it holds none.
func (s *Server) scriptBegin(r *scriptRun) {
	g := r.caller.gate
	if t := s.scr.turn.Load(); g == nil || t == nil || t.gate != g {
		r.caller.releaseHeld() // held only within a turn; never while waiting for one
		s.takeTurn(g)
	}
	r.gate = g
	s.scr.running.Store(r)
	s.armBusy(r)
}

// takeTurn waits until no executor holds a turn, takes one for g and waits
// until every other executor is out of its commands (see the package
// comment above).
func (s *Server) takeTurn(g *execGate) {
	// Executors that waited on g's last turn go first: without this, an
	// executor with a steady stream of scripts takes turn after turn while
	// the one it woke is still being scheduled.
	if p := s.scr.prevTurn.Load(); p != nil && g != nil && p.gate == g {
		g.leave()
		<-p.drained
		g.enter()
	}
	t := &scriptTurn{gate: g, done: make(chan struct{}), drained: make(chan struct{})}
	for !s.scr.turn.CompareAndSwap(nil, t) {
		o := s.scr.turn.Load()
		if o == nil {
			continue
		}
		if g != nil {
			g.leave()
		}
		o.waiters.Add(1)
		<-o.done
		if g != nil {
			g.enter()
		}
		// Still counted as a waiter of o while this CAS is tried, so that
		// o's executor lets it go first (above).
		ok := s.scr.turn.CompareAndSwap(nil, t)
		o.unwait()
		if ok {
			break
		}
	}
	s.scr.gatesMu.Lock()
	for other := range s.scr.gates {
		if other != g {
			other.waitIdle()
		}
	}
	s.scr.gatesMu.Unlock()
}

// endTurn ends g's turn if it holds one (its executor is at the end of a
// batch, or about to run a command that is not a script).
func (s *Server) endTurn(g *execGate) {
	t := s.scr.turn.Load()
	if t == nil || t.gate != g {
		return
	}
	s.scr.prevTurn.Store(t)
	s.scr.turn.Store(nil)
	t.ended.Store(true)
	close(t.done)
	if t.waiters.Load() == 0 {
		t.drain()
	}
}

// scriptEnd ends r; the turn stays with its executor (endTurn). The
// stand-in, if r was busy, stops first: until then its clients still see
// the script (-BUSY), never a turn that looks free between scripts.
func (s *Server) scriptEnd(r *scriptRun) {
	s.disarmBusy(r)
	s.scr.running.Store(nil)
	if r.gate == nil {
		s.endTurn(nil)
	}
}

// busyState is a run's stand-in for its event loop (script_busy_linux.go).
type busyState struct {
	started atomic.Bool
	stop    chan struct{}
	stopped chan struct{}
}

// exitProcess ends the process on SHUTDOWN NOSAVE during a busy script
// (a variable for tests).
var exitProcess = os.Exit

// busyShutdown is SHUTDOWN during a busy script: with NOSAVE the process
// exits at once, as Redis does; the script's writes were never logged (its
// group is written when it ends), so they are lost as a whole. Without
// NOSAVE it returns false: Redis answers -BUSY.
func (s *Server) busyShutdown(args [][]byte) bool {
	nosave := false
	for _, a := range args[1:] {
		if eqFold(a, "nosave") {
			nosave = true
		}
	}
	if !nosave {
		return false
	}
	s.log.Warn().Msg("SHUTDOWN NOSAVE during a busy script: exiting now; the script's writes are not kept")
	if w := s.cache.WAL(); w != nil {
		w.Flush()
	}
	exitProcess(0)
	return true
}

// keepCmdline copies a function's call (FCALL and its arguments) for
// FUNCTION STATS' running_script, which another client may read while the
// function runs: the arguments themselves are the caller's input buffer.
// Scripts (EVAL) are not shown there.
func (r *scriptRun) keepCmdline() {
	if r.call.eval {
		return
	}
	cl := make([]string, len(r.call.args))
	for i, a := range r.call.args {
		cl[i] = string(a)
	}
	r.cmdline.Store(&cl)
}
