package server

import (
	"fastcache/config"
	"fastcache/pubsub"
)

// client-output-buffer-limit for the replies of a client's own commands
// (the frames pushed to it, messages and invalidations, are bounded by its
// outbox: pubsub/outbox.go). As Redis: a client in pub/sub context is of
// class pubsub, any other of class normal; after each command its pending
// output (the replies not written yet, and its outbox) is checked, and a
// client past the hard limit, or above the soft limit for longer than its
// seconds, is closed at once: the reply is dropped (the client reads
// nothing more), the rest of its pipeline does not run, and a command that
// already ran (a whole MULTI/EXEC) keeps its effects.

// outputLimit is the limit of the client's class.
func (cl *Client) outputLimit() pubsub.Limit {
	class := config.ClassNormal
	if cl.ps.pubsubMode() {
		class = config.ClassPubSub
	}
	return cl.srv.cfg.OutputBufferLimit(class)
}

// How Redis counts a client's replies against the limit, which is in
// memory: only what overflows its 16 KB static reply buffer counts (a limit
// of a few bytes still lets +OK through), as the blocks of its reply list:
// 16 KB each, 20 KB as jemalloc allocates them, plus the list node.
const (
	replyStaticBuf  = 16 << 10
	replyBlock      = 16 << 10
	replyBlockUsage = 20<<10 + 40
)

// pendingOutput is what the client has not been sent yet, as it counts
// against its limit: this pipeline's replies (as Redis's reply blocks) and
// its outbox.
func (cl *Client) pendingOutput() int64 {
	var n int64
	if over := int64(cl.reply.Len()) - replyStaticBuf; over > 0 {
		n = (over + replyBlock - 1) / replyBlock * replyBlockUsage
	}
	if p := cl.ps; p != nil {
		n += p.ob.Used()
	}
	return n
}

// overOutputLimit checks the client against its limit after a command and
// closes it when it is past it (it reports whether it did).
func (cl *Client) overOutputLimit() bool {
	if cl.obufClosed {
		return true // the command itself found its reply too big
	}
	l := cl.outputLimit()
	if l.Hard <= 0 && l.Soft <= 0 {
		cl.obufSoftSince = 0
		return false
	}
	used := cl.pendingOutput()
	if !l.Exceeded(used, &cl.obufSoftSince) {
		return false
	}
	cl.closeOverOutputLimit(used)
	return true
}

// replyWouldPassLimit reports whether a reply of at least n bytes would
// take the client past its hard limit; if so the client is closed, as
// Redis closes it while it builds the reply (a random pick of millions of
// fields with a limit set).
func (cl *Client) replyWouldPassLimit(n int64) bool {
	l := cl.outputLimit()
	used := cl.pendingOutput() + n // n is a lower bound of the reply's bytes
	if l.Hard <= 0 || used < l.Hard {
		return false
	}
	cl.closeOverOutputLimit(used)
	return true
}

// closeOverOutputLimit closes the client over its output buffer limit: the
// pipeline stops at the command that passed it and nothing more is sent.
func (cl *Client) closeOverOutputLimit(used int64) {
	s := cl.srv
	s.log.Warn().Str("client", cl.Addr).Int64("id", cl.ID).Int64("bytes", used).
		Msg("client closed for overcoming of output buffer limits")
	s.psrv.obufKills.Add(1)
	cl.reply.Reset()
	cl.obufClosed = true
	cl.killed.Store(true)
}

// checkOutboxes applies client-output-buffer-limit to the clients with an
// outbox once a second: a subscriber above its soft limit is closed when
// its seconds have passed even if nothing more is published to it.
func (s *Server) checkOutboxes() {
	var boxes []*pubsub.Outbox
	s.mu.Lock()
	for _, c := range s.clients {
		if p := c.psPub.Load(); p != nil {
			boxes = append(boxes, &p.ob)
		}
	}
	s.mu.Unlock()
	for _, ob := range boxes {
		ob.Check()
	}
}
