package server

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fastcache/cache"
)

// A shutdown with replicas (Redis 7.0's prepareForShutdown). Unless it is
// SHUTDOWN NOW (or shutdown-timeout is 0), a shutdown first gives the
// replicas up to shutdown-timeout seconds to acknowledge every write the
// primary made, with client writes paused meanwhile (reads are served), so
// that a replica promoted once the primary is gone has everything the
// primary acknowledged. Meanwhile a SHUTDOWN client is blocked (a second
// SHUTDOWN joins the same shutdown, as in Redis), INFO server shows
// shutdown_in_milliseconds, SHUTDOWN ABORT cancels it (the blocked SHUTDOWN
// clients get Redis's error and writes resume), and a second SIGINT ends
// the wait at once. Then each replica still behind is logged, and the
// shutdown goes on as without replicas (Options.Shutdown); if that fails,
// writes resume and the blocked SHUTDOWN clients get the error.
//
// A replica is in sync once it streams (its snapshot is sent) and has
// acknowledged the stream offset that covers the primary's last write.

// eventShutdown is the event a shutdown that did not happen signals: the
// SHUTDOWN clients blocked on it get their error.
const eventShutdown = "shutdown"

const msgShutdownErr = "ERR Errors trying to SHUTDOWN. Check logs."

// shutdownWait is a shutdown waiting for its replicas.
type shutdownWait struct {
	save     *bool
	force    bool
	deadline time.Time
	resume   func()        // ends the write pause
	stop     chan struct{} // closed by abort or insist
	once     sync.Once
	insist   atomic.Bool // a second SIGINT: now, and as if FORCE
	// under shutdownState.mu:
	aborted   bool // the wait was cancelled (SHUTDOWN ABORT)
	finishing bool // the wait is over and the shutdown runs: too late to abort
}

// shutdownState is the server's part of a shutdown in progress.
type shutdownState struct {
	mu   sync.Mutex
	wait *shutdownWait // a shutdown waiting for replicas, or nil
	gen  uint64        // shutdowns that ended without the process exiting
}

// replicasInSync counts the replicas and those that have every write.
func (s *Server) replicasInSync() (inSync, total int, lagging []string) {
	r := s.opts.Replication
	ra, ok := r.(ReplicaAcks)
	if r == nil || !ok {
		return 0, 0, nil
	}
	ri := r.Role()
	if !ri.Master || len(ri.Replicas) == 0 {
		return 0, 0, nil
	}
	target, known := ra.AckTarget(s.cache.LastLSN())
	now := time.Now()
	for _, rep := range ri.Replicas {
		if known && rep.Online && rep.Offset >= target {
			inSync++
			continue
		}
		behind := ri.Offset - rep.Offset
		if known {
			behind = target - rep.Offset
		}
		lag, state := int64(0), "send_bulk"
		if rep.Online {
			state = "online"
			if !rep.LastAck.IsZero() {
				lag = int64(now.Sub(rep.LastAck) / time.Second)
			}
		}
		lagging = append(lagging, "Lagging replica "+rep.IP+":"+strconv.Itoa(rep.Port)+" reported offset "+
			strconv.FormatInt(behind, 10)+" behind master, lag="+strconv.FormatInt(lag, 10)+", state="+state+".")
	}
	return inSync, len(ri.Replicas), lagging
}

// beginShutdown starts a shutdown that waits for lagging replicas, or
// joins the one waiting (as Redis: whatever its flags). waiting is false
// when no wait is needed: the caller shuts down at once. gen identifies
// the shutdown for the SHUTDOWN clients that block on it.
func (s *Server) beginShutdown(save *bool, force, now bool) (waiting bool, gen uint64) {
	st := &s.shut
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.wait != nil {
		return true, st.gen
	}
	timeout := s.cfg.ParamInt("shutdown-timeout")
	if now || timeout <= 0 {
		return false, 0
	}
	if in, total, _ := s.replicasInSync(); in == total {
		return false, 0
	}
	w := &shutdownWait{save: save, force: force, stop: make(chan struct{}),
		deadline: time.Now().Add(time.Duration(timeout) * time.Second)}
	w.resume = s.PauseWrites()
	st.wait = w
	s.log.Info().Msg("Waiting for replicas before shutting down.")
	go s.awaitReplicas(w)
	return true, st.gen
}

// awaitReplicas waits until every replica is in sync, the deadline passes
// or the wait is cut short, then finishes the shutdown (unless aborted).
func (s *Server) awaitReplicas(w *shutdownWait) {
	tick := time.NewTicker(10 * time.Millisecond) // Redis checks at hz 100 in its test; acks come within ms
	defer tick.Stop()
	for time.Now().Before(w.deadline) {
		if in, total, _ := s.replicasInSync(); in == total {
			break
		}
		select {
		case <-w.stop:
		case <-tick.C:
			continue
		}
		break
	}
	s.shut.mu.Lock()
	aborted := w.aborted
	w.finishing = !aborted // too late for SHUTDOWN ABORT
	s.shut.mu.Unlock()
	if aborted {
		return
	}
	if !s.finishShutdown(w.save, w.force || w.insist.Load()) {
		s.endShutdownWait(w, false)
	}
	// Otherwise the process is stopping: writes stay paused, and the
	// blocked SHUTDOWN clients' connections close with no reply.
}

// finishShutdown logs the replicas still behind and shuts down
// (Options.Shutdown); false if that failed and the server keeps running.
func (s *Server) finishShutdown(save *bool, force bool) bool {
	in, total, lagging := s.replicasInSync()
	for _, l := range lagging {
		s.log.Warn().Msg(l)
	}
	if total > 0 {
		s.log.Info().Msg(strconv.Itoa(in) + " of " + strconv.Itoa(total) + " replicas are in sync when shutting down.")
	}
	f := s.opts.Shutdown
	if f == nil {
		s.log.Warn().Msg("SHUTDOWN refused: no shutdown handler")
		return false
	}
	if err := f(save, force); err != nil {
		s.log.Error().Err(err).Msg("Errors trying to shut down the server. Check the logs for more information.")
		return false
	}
	return true
}

// endShutdownWait ends a wait that did not stop the process: writes
// resume, and the SHUTDOWN clients blocked on it get the error.
func (s *Server) endShutdownWait(w *shutdownWait, aborted bool) {
	st := &s.shut
	st.mu.Lock()
	if st.wait != w {
		st.mu.Unlock()
		return
	}
	w.aborted = aborted
	st.wait = nil
	st.gen++
	st.mu.Unlock()
	w.once.Do(func() { close(w.stop) })
	w.resume()
	s.signalEvent(eventShutdown)
}

// abortShutdownWait cancels a shutdown waiting for replicas (SHUTDOWN
// ABORT); false: none.
func (s *Server) abortShutdownWait() bool {
	s.shut.mu.Lock()
	w := s.shut.wait
	if w == nil || w.finishing {
		s.shut.mu.Unlock()
		return false
	}
	s.shut.mu.Unlock()
	s.endShutdownWait(w, true)
	return true
}

// shutdownInMs is INFO's shutdown_in_milliseconds: the time left to a
// shutdown waiting for replicas (ok false: none).
func (s *Server) shutdownInMs() (int64, bool) {
	s.shut.mu.Lock()
	defer s.shut.mu.Unlock()
	if w := s.shut.wait; w != nil {
		return max(time.Until(w.deadline).Milliseconds(), 0), true
	}
	return 0, false
}

// SignalShutdown is the shutdown SIGTERM or SIGINT asks for, with the
// flags of shutdown-on-sigterm / shutdown-on-sigint. It returns at once
// when the shutdown waits for replicas (it completes by itself); false if
// the shutdown failed and the server keeps running. A SIGINT while a
// shutdown waits ends the wait at once ("You insist").
func (s *Server) SignalShutdown(sigint bool) bool {
	s.shut.mu.Lock()
	w := s.shut.wait
	s.shut.mu.Unlock()
	if w != nil {
		if sigint {
			s.log.Warn().Msg("You insist... exiting now.")
			w.insist.Store(true) // and at any cost: as if FORCE
			w.once.Do(func() { close(w.stop) })
		}
		return true
	}
	name := "shutdown-on-sigterm"
	if sigint {
		name = "shutdown-on-sigint"
	}
	var save *bool
	now, force := false, false
	for _, kv := range s.cfg.Get(name) {
		if kv[0] != name {
			continue
		}
		for _, f := range strings.Fields(kv[1]) {
			switch f {
			case "save", "nosave":
				v := f == "save"
				save = &v
			case "now":
				now = true
			case "force":
				force = true
			}
		}
	}
	if waiting, _ := s.beginShutdown(save, force, now); waiting {
		return true
	}
	return s.finishShutdown(save, force)
}

// shutdownBlock blocks c until the shutdown gen ends without the process
// exiting; its reply is then Redis's error.
func (c *Client) shutdownBlock(gen uint64) {
	s := c.srv
	c.blockOnEvent(eventShutdown, 0, func(_ cache.Keyspace, _ []byte, r *Reply) blockResult {
		s.shut.mu.Lock()
		ended := s.shut.gen != gen
		s.shut.mu.Unlock()
		if !ended {
			return blockNotReady
		}
		r.Error(msgShutdownErr)
		return blockServed
	}, nil)
}
