package server

import (
	"sort"
	"strconv"

	"fastcache/config"
)

// Client eviction (maxmemory-clients, Redis 7.0): once the memory of the
// clients together reaches the limit, the largest clients are closed until
// it is below again. A client's memory is what it holds in the server
// because of its own traffic: the query buffer (a partial command
// included), the arguments of the command running, the commands queued
// in MULTI, the replies not sent yet beyond 16 KB (Redis's static reply
// buffer, a constant it counts in every client), the frames pushed to it and not
// taken (messages, invalidations), and its watched keys, subscriptions and
// tracking prefixes at a fixed cost each.
//
// Each client's goroutine publishes the client's memory (memPub) after
// each pipeline, after each command while a limit is set, and when its
// replies are written; the server keeps the sum of what is published
// (clientMem: every change of memPub is a Swap whose difference is added,
// so the sum holds whatever the interleaving). When the sum reaches the
// limit, evictClients counts every client again (the published memory and
// its queued frames, which other clients' goroutines add to) and closes
// the largest evictable ones: not those with CLIENT NO-EVICT on, which
// still count, as in Redis. Clients closed for client-output-buffer-limit
// are gone before this runs (the limit checked first, as Redis does).
//
// The costs per item are estimates of the server's own structures, as
// Redis's are of its.
const (
	perArg          = 16 // an argument of a queued command, besides its bytes
	perQueued       = 48 // a queued command
	perWatchedKey   = 64
	perSubscription = 64
	perTrackPrefix  = 64
)

// minClientMemLimit is the smallest effective limit: a smaller one would
// leave no room to talk to the server (Redis's 128 KB).
const minClientMemLimit = 128 << 10

// ownMem is the client's memory but the frames queued in its outbox; the
// client's goroutine only.
func (cl *Client) ownMem() int64 {
	n := cl.qleft + cl.multiMem + int64(len(cl.watched))*perWatchedKey
	if over := int64(cl.reply.Len()) - replyStaticBuf; over > 0 {
		n += over // replies beyond what Redis's static 16 KB reply buffer holds
	}
	for _, a := range cl.curArgs {
		n += int64(len(a))
	}
	if p := cl.ps; p != nil {
		n += (p.nChannels.Load() + p.nPatterns.Load() + p.nShards.Load()) * perSubscription
	}
	if m := cl.trk.mode.Load(); m != nil {
		for _, p := range m.prefixes {
			n += int64(len(p)) + perTrackPrefix
		}
	}
	return n
}

// queuedMem is the size of the frames pushed to the client and not taken
// yet (any goroutine).
func (cl *Client) queuedMem() int64 {
	if p := cl.psPub.Load(); p != nil {
		return p.ob.Queued()
	}
	return 0
}

// noteMem publishes the client's memory (its goroutine only). A client
// being closed counts for nothing: eviction took its memory out of the
// total at once, and a close for another reason is as good as done.
func (cl *Client) noteMem() {
	m := cl.ownMem()
	if cl.killed.Load() {
		m = 0
	}
	if cl.memPub.Load() == m {
		return
	}
	cl.srv.clientMem.Add(m - cl.memPub.Swap(m))
}

// checkMemAt is checkMem after a command of a pipeline, with left bytes of
// input after it (the command's own are processed: they count no more).
func (cl *Client) checkMemAt(left int64) bool {
	cl.qleft = left
	return cl.checkMem()
}

// checkMem publishes the client's memory and evicts clients when the
// clients together reach maxmemory-clients; it reports whether this client
// was evicted.
func (cl *Client) checkMem() bool {
	cl.noteMem()
	s := cl.srv
	if lim := s.clientMemLimit.Load(); lim > 0 && s.clientMem.Load()+s.queuedMem.Load() >= lim {
		s.evictClients(lim)
		return cl.killed.Load()
	}
	return false
}

// setClientMemLimit takes maxmemory-clients (and maxmemory, of which it may
// be a percent) from the config; a lower limit evicts at once, as Redis's
// CONFIG SET does.
func (s *Server) setClientMemLimit(cfg *config.Config) {
	lim := cfg.MaxMemoryClients()
	if lim > 0 && lim < minClientMemLimit {
		lim = minClientMemLimit
	}
	s.clientMemLimit.Store(lim)
	if lim > 0 {
		s.evictClients(lim)
	}
}

// evictClients counts the clients' memory and closes the largest
// evictable clients while the total is at or above lim. One round runs at
// a time: a client that finds one running leaves the work to it.
func (s *Server) evictClients(lim int64) {
	if !s.evictMu.TryLock() {
		return
	}
	defer s.evictMu.Unlock()
	type cand struct {
		cl  *Client
		mem int64
	}
	var cands []cand
	var total, queued int64
	s.mu.Lock()
	for _, c := range s.clients {
		if c.killed.Load() {
			continue
		}
		q := c.queuedMem()
		queued += q
		m := c.memPub.Load() + q
		if m > 0 && c.sock != nil && c.sock.hungUp() {
			// Its peer is gone and its loop is about to close it:
			// what it holds is as good as freed (Redis would have read
			// the end of file before this command).
			continue
		}
		total += m
		if c.pub.Load()&pubNoEvict == 0 {
			cands = append(cands, cand{c, m})
		}
	}
	s.mu.Unlock()
	s.queuedMem.Store(queued)
	if total < lim {
		return
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].mem > cands[j].mem })
	for _, k := range cands {
		if total < lim {
			break
		}
		s.evictedClients.Add(1)

		s.log.Info().Int64("id", k.cl.ID).Str("addr", k.cl.Addr).Str("name", k.cl.Name()).
			Int64("tot_mem", k.mem).Int64("maxmemory_clients", lim).
			Msg("Evicting client: id=" + strconv.FormatInt(k.cl.ID, 10) + " addr=" + k.cl.Addr)
		k.cl.kill()
		s.clientMem.Add(-k.cl.memPub.Swap(0)) // gone now, as Redis frees it (noteMem keeps it at 0)
		total -= k.mem
	}
}

// clientsMemory is the clients' memory as client eviction counts it (INFO
// mem_clients_normal).
func (s *Server) clientsMemory() int64 {
	n := s.clientMem.Load()
	s.mu.Lock()
	for _, c := range s.clients {
		n += c.queuedMem()
	}
	s.mu.Unlock()
	return n
}

// checkClientMemPushed is the check after a frame was pushed to cl by
// another client's goroutine (a redirected invalidation, a message): the
// frames queued count from then on.
func (s *Server) checkClientMemPushed(cl *Client) {
	lim := s.clientMemLimit.Load()
	if lim <= 0 {
		return
	}
	if s.clientMem.Load()+max(cl.queuedMem(), s.queuedMem.Load()) >= lim {
		s.evictClients(lim)
	}
}
