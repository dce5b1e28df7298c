package server

import (
	"bufio"
	"crypto/tls"
	"net"
	"sync"
	"time"
)

// MIGRATE's connection cache, as Redis's (cluster.c migrateGetSocket): one
// socket per target host:port, closed 10 s after its last use, 64 at most
// (a random one goes when a 65th target comes), so a run of MIGRATEs to a
// target connects once and sends SELECT only when the database changes.
// INFO's migrate_cached_sockets counts them.
const (
	migrateCacheItems = 64
	migrateCacheTTL   = 10 * time.Second
)

type migrateSockets struct {
	mu       sync.Mutex
	m        map[string]*migrateSocket
	sweeping bool // a sweeper goroutine runs (while m is not empty)
}

type migrateSocket struct {
	addr    string
	conn    net.Conn
	br      *bufio.Reader
	lastDB  int64 // the target's selected database; -1: send SELECT
	lastUse time.Time
	busy    bool // a MIGRATE uses it (MIGRATEs run on several event loops)
	cached  bool // in the cache (else closed after its MIGRATE)
}

// count is migrate_cached_sockets.
func (ms *migrateSockets) count() int {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return len(ms.m)
}

// migrateSocket returns the cached socket to addr, or connects a new one (cached if
// no other MIGRATE is using the cached one); fresh says it was just made.
func (s *Server) migrateSocket(addr string, timeout time.Duration) (sock *migrateSocket, fresh bool, err error) {
	ms := &s.migrate
	ms.mu.Lock()
	if cs := ms.m[addr]; cs != nil && !cs.busy {
		cs.busy, cs.lastUse = true, time.Now()
		ms.mu.Unlock()
		return cs, false, nil
	}
	ms.mu.Unlock()
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, true, err
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	if cfg := s.tls.client.Load(); cfg != nil && s.cfg.ParamYes("tls-cluster") {
		// Redis's MIGRATE connects over TLS under tls-cluster
		tc := tls.Client(conn, cfg)
		tc.SetDeadline(time.Now().Add(timeout))
		if err := tc.Handshake(); err != nil {
			conn.Close()
			return nil, true, err
		}
		tc.SetDeadline(time.Time{})
		conn = tc
	}
	cs := &migrateSocket{addr: addr, conn: conn, br: bufio.NewReader(conn), lastDB: -1, lastUse: time.Now(), busy: true}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.m[addr] != nil || s.migrateStopped() {
		return cs, true, nil // not cached: closed after this MIGRATE
	}
	if ms.m == nil {
		ms.m = make(map[string]*migrateSocket)
	}
	if len(ms.m) >= migrateCacheItems {
		for k, old := range ms.m { // a random one (map order)
			if !old.busy {
				old.conn.Close()
				delete(ms.m, k)
				break
			}
		}
	}
	if len(ms.m) < migrateCacheItems {
		cs.cached = true
		ms.m[addr] = cs
		if !ms.sweeping {
			ms.sweeping = true
			go s.sweepMigrateSockets()
		}
	}
	return cs, true, nil
}

// release hands the socket back after a MIGRATE; broken (a socket error)
// closes it and drops it from the cache.
func (s *Server) releaseMigrateSocket(cs *migrateSocket, broken bool) {
	ms := &s.migrate
	ms.mu.Lock()
	defer ms.mu.Unlock()
	cs.busy, cs.lastUse = false, time.Now()
	if broken || !cs.cached || s.migrateStopped() {
		cs.conn.Close()
		if cs.cached && ms.m[cs.addr] == cs {
			delete(ms.m, cs.addr)
		}
		cs.cached = false
	}
}

// sweepMigrateSockets closes the sockets unused for migrateCacheTTL, every
// second (Redis's serverCron), until none is left or the server stops.
func (s *Server) sweepMigrateSockets() {
	ms := &s.migrate
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		stop := false
		select {
		case <-s.done:
			stop = true
		case <-t.C:
		}
		ms.mu.Lock()
		for k, cs := range ms.m {
			if !cs.busy && (stop || time.Since(cs.lastUse) > migrateCacheTTL) {
				cs.conn.Close()
				cs.cached = false
				delete(ms.m, k)
			}
		}
		if stop || len(ms.m) == 0 {
			ms.sweeping = false
			ms.mu.Unlock()
			return
		}
		ms.mu.Unlock()
	}
}

// migrateStopped: the server is stopping (no socket is cached any more).
func (s *Server) migrateStopped() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}
