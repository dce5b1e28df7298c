package server

import (
	"bytes"
	"errors"
	"time"
)

// A replica of a redis-server primary (replication.Replica, in Redis's
// PSYNC protocol) receives an RDB file, then the commands the primary
// propagates: its writes, in the effect form Redis 7 gives them (absolute
// expiry times, scripts as the commands they ran, MULTI/EXEC around what
// must apply at once), SELECTs and PINGs. MasterClient runs them as
// Redis's master client runs them:
//
//   - with every command's full checks and effects (the same handlers,
//     the keyspace events, the blocked clients a push wakes, the log and
//     this server's own replicas);
//   - taken by a read-only replica (READONLY is for the replica's own
//     clients), by a replica whose link is stale, while it loads, during
//     CLIENT PAUSE, and after a script ran past busy-reply-threshold (the
//     command waits for it instead of getting -BUSY);
//   - with every key that exists here existing for it, expired or not:
//     the primary's command ran before the key expired there (it sends a
//     DEL when it expires), so it must find the key here too. The
//     replica's own clients do not see expired keys, and nothing but the
//     primary deletes them (cache.ExpireByPrimary).
//
// Its replies are dropped; an error reply is returned to the caller, which
// logs it, as Redis logs a failed command of its master.
type MasterClient struct {
	s *Server
	c *Client
}

// NewMasterClient returns the client that runs a redis-server primary's
// stream on this server; Close it when the replica stops following.
func (s *Server) NewMasterClient() *MasterClient {
	m := &MasterClient{s: s}
	c := &Client{srv: s, ID: s.nextID.Add(1), authed: true, master: true, created: time.Now()}
	c.reply.proto = 2
	c.reply.errs = &s.errStats
	c.tick()
	// c.nowMs stays the wall clock for what a command computes from the
	// time (a relative TTL of an older primary); lookups read keyClock.
	c.ks = s.cache.KeyspaceAt(c.keyClock()).WithErr(&c.kerr).WithOrigin(c)
	c.gate = &execGate{}
	s.addGate(c.gate)
	m.c = c
	return m
}

// Run executes one command of the stream. It returns the command's error
// reply (its first line), if it answered one.
func (m *MasterClient) Run(args [][]byte) error {
	c, s := m.c, m.s
	c.gate.enter()
	c.reply.Reset()
	c.tick()
	c.exec(args)
	c.curArgs = nil
	c.releaseHeld()
	s.endTurn(c.gate)
	if c.bc != nil {
		// A blocking command that blocked: a primary propagates none
		// (Redis sends what a blocking command did, never the command).
		s.forgetBlocked(c)
		c.bc = nil
	}
	c.closeAfter, c.detach = false, nil
	c.gate.leave()
	b := c.reply.b
	if len(b) > 0 && b[0] == '-' {
		if i := bytes.IndexByte(b, '\r'); i > 0 {
			b = b[:i]
		}
		return errors.New(string(b[1:]))
	}
	return nil
}

// InTransaction reports whether a MULTI of the stream awaits its EXEC: the
// replica's position does not move past the MULTI until then (a
// reconnection continues from the MULTI, as Redis's master client's
// reploff).
func (m *MasterClient) InTransaction() bool { return m.c.multi }

// Reset discards a transaction the stream left open (the link dropped
// within it) and, with db >= 0, selects database db (a full
// resynchronization starts in database 0).
func (m *MasterClient) Reset(db int) {
	c := m.c
	c.discardMulti()
	c.unwatchAll()
	if db >= 0 {
		c.selectDB(db)
	}
}

// DB is the database the stream's commands run in now.
func (m *MasterClient) DB() int { return m.c.db }

// Close ends the client.
func (m *MasterClient) Close() {
	m.Reset(-1)
	m.s.removeGate(m.c.gate)
}

// neverClock is the master client's clock for expiry: 0, before every
// expiry time (never written).
var neverClock int64

// keyClock is the clock c's keyspace reads for expiry: the time of c's
// command (nowMs), or, for the master client, a time before every expiry.
func (c *Client) keyClock() *int64 {
	if c.master {
		return &neverClock
	}
	return &c.nowMs
}

// checkWrite is the cache's admission of a write command of c: a
// read-only replica refuses its own clients' writes, not its primary's.
func (c *Client) checkWrite(denyOOM bool) error {
	if c.master {
		return c.srv.cache.CheckPrimaryWrite(denyOOM)
	}
	return c.srv.cache.CheckWrite(denyOOM)
}
