package server

// How other clients see a running script.
//
// A script holds every shard lock for its whole run (Cache.Atomic), which
// keeps every other data path out: commands, active expiry, eviction,
// snapshots. An event loop that blocked on one of those locks, though,
// would stop serving all its connections until the script ends, and could
// neither answer -BUSY nor take the SCRIPT KILL that ends it. So commands
// do not reach the shard locks while a script runs: the dispatcher reads
// Server.scr.running before every command (one atomic load), and a command
// that finds a script waits for it to end, but at most until the script has
// run busy-reply-threshold; from then on it is answered -BUSY (or runs, if
// Redis allows it during a busy script: SCRIPT KILL, FUNCTION KILL/STATS,
// SHUTDOWN, AUTH, HELLO, MULTI, DISCARD, WATCH, UNWATCH, RESET, QUIT).
//
// A command that read "no script" just before a script started must not
// then block on the shards. Every executor (event loop, goroutine
// connection) has a gate: active while it runs commands, inactive while it
// waits for epoll, for the network or for a script. A starting script
// publishes itself, then waits until every other executor's gate is
// inactive or it has seen the script (both sides store then load, so one of
// them sees the other), and only then takes the shard locks.
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
	_      [60]byte // its own cache line: loops write it every batch
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

// scriptWait is called by the dispatcher when a script runs: it waits for
// the script to end, at most until it has run busy-reply-threshold. It
// returns false when cmd was answered -BUSY instead.
func (c *Client) scriptWait(cmd *Command, args [][]byte) bool {
	s := c.srv
	for {
		r := s.scr.running.Load()
		if r == nil || r.caller == c {
			return true
		}
		thr := s.cfg.BusyReplyThreshold()
		elapsed := time.Since(r.start)
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
			if !r.call.eval {
				msg = busyFunctionMsg
			}
			c.reject(cmd, msg)
			return false
		}
		g := c.gate
		if g != nil {
			g.active.Store(0)
		}
		t := time.NewTimer(thr - elapsed)
		select {
		case <-r.done:
		case <-t.C:
		}
		t.Stop()
		if g != nil {
			g.active.Store(1)
		}
	}
}

// scriptBegin makes r the running script once no other runs and every
// other executor is out of its commands (see the package comment above).
func (s *Server) scriptBegin(r *scriptRun) {
	g := r.caller.gate
	for !s.scr.running.CompareAndSwap(nil, r) {
		if o := s.scr.running.Load(); o != nil {
			if g != nil {
				g.active.Store(0)
			}
			<-o.done
			if g != nil {
				g.active.Store(1)
			}
		}
	}
	r.gate = g
	s.scr.gatesMu.Lock()
	for other := range s.scr.gates {
		if other == g {
			continue
		}
		for spins := 0; other.active.Load() != 0; spins++ {
			if spins < 100 {
				runtime.Gosched()
			} else {
				time.Sleep(20 * time.Microsecond)
			}
		}
	}
	s.scr.gatesMu.Unlock()
	s.armBusy(r)
}

// scriptEnd lets the waiting commands go.
func (s *Server) scriptEnd(r *scriptRun) {
	s.scr.running.Store(nil)
	close(r.done)
	s.disarmBusy(r)
}

// busyState is a run's stand-in for its event loop (script_busy_linux.go).
type busyState struct {
	timer   *time.Timer
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
