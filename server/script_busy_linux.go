//go:build linux

package server

// The stand-in for an event loop whose goroutine runs a busy script: once
// the script has run busy-reply-threshold, a goroutine serves the loop's
// other connections (answering -BUSY, running SCRIPT KILL and the other
// commands a busy server allows) until the script ends. The loop's
// goroutine touches none of its connections while it is inside the script,
// and the script's end waits for the stand-in to stop before the loop goes
// on, so the two never run at the same time. The stand-in reads with a
// buffer of its own: the script's pipeline may still be parsed from the
// loop's.

import (
	"time"

	"golang.org/x/sys/unix"
)

// armBusy watches r for busy-reply-threshold. The timer is the loop's, and
// it is not reset per script: armed once, it finds on firing the script
// then in progress (Server.scr.running, if it is one of the loop's) and
// either starts the stand-in, if that one has run the threshold, or arms
// itself again for the rest of it, or, with no script of the loop in
// progress, stops until the next script arms it. A run of short scripts
// costs two atomic loads each.
func (s *Server) armBusy(r *scriptRun) {
	sc, ok := r.caller.sock.(*conn)
	if !ok || sc == nil {
		r.keepCmdline() // a connection's own goroutine (TLS): no stand-in to copy it
		return
	}
	lp := sc.lp
	thr := s.cfg.BusyReplyThreshold()
	due := r.start + thr
	if lp.busyArmed.Load() && time.Duration(lp.busyDue.Load()) <= due {
		return // fires in time for r (a lowered threshold re-arms it)
	}
	lp.busyArmed.Store(true)
	lp.busyDue.Store(int64(due))
	lp.busyTimer.Reset(thr)
}

// busyFire is the loop's timer (see armBusy).
func (lp *loop) busyFire() {
	// Disarmed before looking: a script that stores itself (scriptBegin)
	// after this load arms the timer again (armBusy); one stored before it
	// is seen.
	lp.busyArmed.Store(false)
	r := loadRun(&lp.s.scr.running)
	if r == nil {
		return
	}
	defer r.release()
	if sc, ok := r.caller.sock.(*conn); !ok || sc.lp != lp {
		return // another executor's script: its own timer watches it
	}
	thr := lp.s.cfg.BusyReplyThreshold()
	if left := thr - (monotonic() - r.start); left > 0 {
		if lp.busyArmed.CompareAndSwap(false, true) {
			lp.busyDue.Store(int64(r.start + thr))
			lp.busyTimer.Reset(left)
		}
		return
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	r.busy.stop, r.busy.stopped = stop, stopped
	if !r.busy.started.CompareAndSwap(false, true) {
		return // ended meanwhile (disarmBusy won)
	}
	// The run cannot end before the stand-in has (disarmBusy waits for
	// it), so its command's arguments are still there to copy.
	r.keepCmdline()
	sc := r.caller.sock.(*conn)
	go lp.standIn(r, sc)
}

func (s *Server) disarmBusy(r *scriptRun) {
	sc, ok := r.caller.sock.(*conn)
	if !ok || sc == nil {
		return
	}
	lp := sc.lp
	if r.busy.started.CompareAndSwap(false, true) {
		return // never started, and now never will
	}
	// The stand-in runs: its channels were set before busyFire's CAS. A
	// command it runs may wait for a shard (WATCH): the shards a pipeline of
	// scripts keeps locked go first.
	r.caller.releaseHeld()
	close(r.busy.stop)
	lp.wake()
	<-r.busy.stopped
}

// standIn serves the loop's connections other than own until r ends.
func (lp *loop) standIn(r *scriptRun, own *conn) {
	defer close(r.busy.stopped)
	own.inScript = true
	own.ctl(0) // its input waits for the loop (level-triggered: no spinning)
	saved, savedT, deferred := lp.rbuf, lp.tbuf, lp.deferWrites
	lp.rbuf, lp.tbuf = make([]byte, readChunk), nil
	// Replies go out at once while the script runs, and those the batch
	// queued before the script began go now: the batch's end waits for it.
	lp.deferWrites = false
	lp.writeQueued(own)
	defer func() {
		lp.rbuf, lp.tbuf, lp.deferWrites = saved, savedT, deferred
		own.inScript = false
		if !own.closed {
			ev := uint32(unix.EPOLLIN)
			if own.wantOut {
				ev |= unix.EPOLLOUT
			}
			own.ctl(ev)
		}
	}()
	events := make([]unix.EpollEvent, maxLoopEvents)
	for {
		select {
		case <-r.busy.stop:
			return
		default:
		}
		n, err := unix.EpollWait(lp.epfd, events, 100)
		if err != nil && err != unix.EINTR {
			return
		}
		for i := 0; i < n; i++ {
			ev := &events[i]
			fd := int(ev.Fd)
			if fd == lp.wakefd {
				if lp.standInWake() {
					return
				}
				continue
			}
			if fd >= len(lp.conns) || lp.conns[fd] == nil {
				continue
			}
			c := lp.conns[fd]
			if c == own {
				continue
			}
			if ev.Events&unix.EPOLLOUT != 0 {
				c.resume()
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) != 0 && !c.closed {
				c.readable()
			}
		}
		if len(lp.waiting) > 0 {
			lp.releaseDurable()
		}
	}
}

// standInWake registers new connections; a stop request is left for the
// loop itself (it returns true and wakes the loop again).
func (lp *loop) standInWake() bool {
	var b [8]byte
	unix.Read(lp.wakefd, b[:])
	lp.mu.Lock()
	adds, stop := lp.adds, lp.stop
	lp.adds = nil
	if stop {
		lp.adds = adds
		lp.wake()
	}
	lp.mu.Unlock()
	if stop {
		return true
	}
	for _, c := range adds {
		lp.register(c)
	}
	return false
}
