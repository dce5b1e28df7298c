package server

// Blocking commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP (lists),
// BZPOPMIN, BZPOPMAX, BZMPOP (sorted sets) and XREAD/XREADGROUP BLOCK
// (streams) all park their client here until a key they wait on can serve
// them, their timeout passes, CLIENT UNBLOCK, or the client goes away.
//
// # How a command blocks
//
// A handler first tries to serve itself as the non-blocking form would.
// When nothing can be served and the client may block (c.mayBlock(): not
// inside MULTI/EXEC or a script, where Redis answers at once with the
// timeout reply), it calls
//
//	c.block(keys, timeout, try)
//
// and returns without writing a reply. keys are the keys (in the client's
// database) whose readiness can serve it; timeout is 0 for "forever" (parse
// it with parseBlockTimeout / parseBlockTimeoutMs, which give Redis's errors);
// try is the command's "serve me now" step:
//
//	func(ks cache.Keyspace, key []byte, r *Reply) blockResult
//
// It is called with key, one of keys that was signalled ready, and a
// Keyspace on the client's database (auto-locking, no transaction: try must
// not hold a shard lock when it returns). It either serves the client - does
// the pop (logging it, so the pop is durable and replicated like any write),
// writes the command's whole reply into r (already in the client's
// protocol) and returns blockServed - or writes nothing and returns
// blockNotReady (this client cannot be served from key, the next waiter
// might: an XREAD waiting for a later ID) or blockExhausted (key can serve
// nobody now: an empty or missing list). try runs on whatever goroutine
// readied the key, never concurrently with itself or another try (one mutex
// serializes serving), and must not use c's own state (c.ks, c.reply, args:
// the request buffer is reused): copy what it needs from args before
// calling block. A timeout writes a null array (Redis's reply for every
// blocking command); c.blockWith can set another timeout reply.
//
// # When keys are ready
//
// The shards signal a key when a collection is created on it, or renamed,
// moved, copied or swapped into place (shard.SetReady); a change that does
// not create the key calls Keyspace.Signal(key) itself (XADD on an existing
// stream). The cache keeps only the keys that someone waits on. After every
// command a client runs (outside a transaction: EXEC counts as one command,
// so waiters are served once the whole transaction is applied, as in
// Redis), pending ready keys are served in the order they were signalled;
// the waiters of one key in the order they blocked (first blocked, first
// served). Serving can ready more keys (BLMOVE pushes to its destination),
// which are served in the same round. The command that readied a key does
// not return to its client's next command before the round is over, so a
// pusher cannot pop its own element back ahead of a waiter.
//
// A client blocks after registering on its keys and then serving its own
// keys once under the same mutex, so an element pushed between its first
// try and its registration is not missed, and a client that blocked
// earlier on the same key still comes first.
//
// # Events
//
// A command may also wait for something that is not a key: WAIT for the
// replicas' acknowledgements (wait.go). Such an event is a key of its own
// in database eventDB, which the cache never sees; the same queues,
// timeouts, CLIENT UNBLOCK and disconnect handling apply, and
// s.signalEvent(name) plays the part of a key made ready: it offers the
// event to its waiters, first blocked first, each try deciding whether it
// is served. A client blocks on an event with c.blockOnEvent.
//
// # The connection while blocked
//
// The blocked command ends its pipeline: replies before it are sent (after
// their fsync under appendfsync always); the commands after it wait in the
// input buffer. The event loop keeps reading the socket (to see a
// disconnect); a goroutine-served connection reads it from a helper
// goroutine. No CPU is used while waiting: timeouts are runtime timers.
// When served, the reply goes out like any write's: under appendfsync
// always only once the pop is durable. A client that disconnects is
// removed from every queue; one that is killed or disconnects after being
// served loses the reply (and so the element), as with Redis.

import (
	"container/list"
	"math"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fastcache/cache"
)

// blockResult is what a blocked command's try step did.
type blockResult uint8

const (
	blockExhausted blockResult = iota // not served; the key can serve no other waiter now
	blockNotReady                     // not served; later waiters on the key may be
	blockServed                       // served: the reply is written
)

// notServed is a try step's result when it served nothing: err (the key
// holds another type) leaves the key to later waiters of that type, as
// Redis serves a ready key only to the clients blocked for its type;
// otherwise the key is empty for everyone.
func notServed(err error) blockResult {
	if err != nil {
		return blockNotReady
	}
	return blockExhausted
}

// blockTry is a blocked command's "serve me now" step (see the file comment).
type blockTry func(ks cache.Keyspace, key []byte, r *Reply) blockResult

// blockedClient is one parked command.
type blockedClient struct {
	c       *Client
	db      int
	keys    [][]byte        // deduplicated copies
	elems   []*list.Element // this client's place in each key's queue
	try     blockTry
	onTime  func(r *Reply) // the timeout reply
	reply   Reply          // written by try (or the timeout / unblock), then handed to the connection
	write   bool           // the command is a write: its reply waits for durability
	cmd     *Command       // the blocked command: an error reply counts as its failed call
	timer   *time.Timer
	inline  bool        // block() is still running: it takes the reply itself
	closing bool        // close the connection once the reply is out (disconnectBlocked)
	done    atomic.Bool // finished (served, timed out, unblocked or gone)
	started time.Duration
	slow    *slowlogEntry // its slowlog entry, logged when it is served (Client.call)
}

// blocker keeps the blocked clients.
type blocker struct {
	s        *Server
	mu       sync.Mutex
	queues   map[blockKey]*list.List // FIFO of *blockedClient per key
	byID     map[int64]*blockedClient
	count    atomic.Int64 // blocked clients (INFO blocked_clients)
	timeouts atomic.Int64 // of which with a timeout (clients_in_timeout_table)
	scratch  []cache.ReadyKey
}

type blockKey struct {
	db  int
	key string
}

func (b *blocker) init() {
	b.queues = make(map[blockKey]*list.List)
	b.byID = make(map[int64]*blockedClient)
}

// mayBlock reports whether a blocking command may block here: not inside
// MULTI/EXEC (or a script), where it answers at once.
func (c *Client) mayBlock() bool { return !c.ks.InTx() }

// block parks the running command (see the file comment). It may serve the
// command at once (a key got data meanwhile): then the reply is written
// and the client is not blocked.
func (c *Client) block(keys [][]byte, timeout time.Duration, try blockTry) {
	c.blockWith(keys, timeout, try, nil)
}

// blockWith is block with a timeout reply of the command's own (nil: a
// null array).
func (c *Client) blockWith(keys [][]byte, timeout time.Duration, try blockTry, onTimeout func(r *Reply)) {
	c.blockIn(c.db, keys, timeout, try, onTimeout)
}

// eventDB is the database of events (see Events in the file comment).
const eventDB = -1

// blockOnEvent parks the running command until try serves it when event
// is signalled (signalEvent), or it times out with onTimeout's reply.
func (c *Client) blockOnEvent(event string, timeout time.Duration, try blockTry, onTimeout func(r *Reply)) {
	c.blockIn(eventDB, [][]byte{[]byte(event)}, timeout, try, onTimeout)
}

// signalEvent offers event to its waiters (any goroutine).
func (s *Server) signalEvent(event string) {
	b := &s.blk
	if b.count.Load() == 0 {
		return
	}
	b.mu.Lock()
	b.serveKeyLocked(s.cache.Keyspace(), eventDB, []byte(event))
	b.mu.Unlock()
}

func (c *Client) blockIn(db int, keys [][]byte, timeout time.Duration, try blockTry, onTimeout func(r *Reply)) {
	s := c.srv
	b := &s.blk
	bc := &blockedClient{c: c, db: db, try: try, onTime: onTimeout, inline: true, cmd: c.cur,
		write: c.cur != nil && c.cur.Flags&flagWrite != 0, started: c.clock}
	bc.reply.proto = c.reply.proto
	bc.reply.errs = &s.errStats // an error it is served with counts (INFO errorstats)
	for _, k := range keys {
		dup := false
		for _, x := range bc.keys {
			if string(x) == string(k) {
				dup = true
				break
			}
		}
		if !dup {
			bc.keys = append(bc.keys, append([]byte(nil), k...))
		}
	}
	b.mu.Lock()
	for _, k := range bc.keys {
		bk := blockKey{bc.db, string(k)}
		q := b.queues[bk]
		if q == nil {
			q = list.New()
			b.queues[bk] = q
		}
		bc.elems = append(bc.elems, q.PushBack(bc))
		if bc.db != eventDB {
			s.cache.WaitOn(bc.db, k)
		}
	}
	b.byID[c.ID] = bc
	b.count.Add(1)
	// Serve these keys once: data that arrived before the registration was
	// not signalled. Earlier waiters on them come first.
	ks := s.cache.Keyspace()
	if bc.db != eventDB {
		ks = ks.WithDB(bc.db)
	}
	for _, k := range bc.keys {
		if bc.done.Load() {
			break
		}
		b.serveKeyLocked(ks, bc.db, k)
	}
	b.serveReadyLocked()
	bc.inline = false
	if !bc.done.Load() && timeout > 0 {
		b.timeouts.Add(1)
		bc.timer = time.AfterFunc(timeout, func() { b.expire(bc) })
	}
	b.mu.Unlock()
	if bc.done.Load() {
		c.reply.Raw(bc.reply.b)
		c.wrote = c.wrote || bc.write
		return
	}
	c.bc = bc
	c.blockedFlag.Store(true)
}

// serveReady serves the waiters of the keys readied so far (called after
// each command when Cache.ReadyPending).
func (s *Server) serveReady() {
	b := &s.blk
	b.mu.Lock()
	b.serveReadyLocked()
	b.mu.Unlock()
}

func (b *blocker) serveReadyLocked() {
	s := b.srv()
	for {
		ready := s.cache.TakeReady(b.scratch[:0])
		if len(ready) == 0 {
			b.scratch = ready
			return
		}
		for _, rk := range ready {
			b.serveKeyLocked(s.cache.Keyspace().WithDB(rk.DB), rk.DB, rk.Key)
		}
		s.cache.ReadyDone(len(ready))
		clear(ready)
		b.scratch = ready[:0]
	}
}

// serveKeyLocked offers key to its waiters, first blocked first.
func (b *blocker) serveKeyLocked(ks cache.Keyspace, db int, key []byte) {
	q := b.queues[blockKey{db, string(key)}]
	if q == nil {
		return
	}
	for e := q.Front(); e != nil; {
		next := e.Next()
		bc := e.Value.(*blockedClient)
		// What serving it pushes to the client (an invalidation of a key
		// it tracks) goes after its reply, as in Redis: the connection
		// holds such frames until the reply is out (netconn.go's writer,
		// the event loop's flush).
		bc.c.serving.Store(true)
		p := bc.c.ps
		if p != nil {
			p.ob.Hold() // (released once the reply is taken: releaseServed)
		}
		res := bc.try(ks, key, &bc.reply)
		switch res {
		case blockServed:
			b.finishLocked(bc, true)
		default:
			bc.c.serving.Store(false)
			if p != nil {
				p.ob.Release()
				if p.ob.Pending() {
					bc.c.sock.pushWake()
				}
			}
		}
		if res == blockExhausted {
			return
		}
		e = next
	}
}

// finishLocked unregisters bc (its reply is written) and hands it to its
// connection (notify), unless block() is still running for it.
func (b *blocker) finishLocked(bc *blockedClient, notify bool) {
	s := b.srv()
	for i, k := range bc.keys {
		bk := blockKey{bc.db, string(k)}
		if q := b.queues[bk]; q != nil {
			q.Remove(bc.elems[i])
			if q.Len() == 0 {
				delete(b.queues, bk)
			}
		}
		if bc.db != eventDB {
			s.cache.Unwait(bc.db, k)
		}
	}
	if b.byID[bc.c.ID] == bc {
		delete(b.byID, bc.c.ID)
	}
	b.count.Add(-1)
	if bc.timer != nil {
		bc.timer.Stop()
		b.timeouts.Add(-1)
	}
	bc.done.Store(true)
	if notify && !bc.inline {
		bc.c.sock.unblocked()
	}
}

// expire answers bc's timeout.
func (b *blocker) expire(bc *blockedClient) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if bc.done.Load() {
		return
	}
	bc.timeoutReply()
	b.finishLocked(bc, true)
}

func (bc *blockedClient) timeoutReply() {
	if bc.onTime != nil {
		bc.onTime(&bc.reply)
		return
	}
	bc.reply.NullArray()
}

// unblockID implements CLIENT UNBLOCK: false if client id is not blocked.
func (s *Server) unblockID(id int64, withError bool) bool {
	b := &s.blk
	b.mu.Lock()
	defer b.mu.Unlock()
	bc := b.byID[id]
	if bc == nil || bc.done.Load() {
		return false
	}
	if withError {
		bc.reply.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
	} else {
		bc.timeoutReply()
	}
	b.finishLocked(bc, true)
	return true
}

// disconnectBlocked answers every blocked client with the error msg and
// closes its connection after the reply, as Redis does when it becomes a
// replica (disconnectAllBlockedClients).
func (s *Server) disconnectBlocked(msg string) {
	b := &s.blk
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, bc := range b.byID {
		if !bc.done.Load() {
			bc.reply.Error(msg)
			bc.closing = true
			b.finishLocked(bc, true)
		}
	}
}

// forget removes a client that went away from the queues (its connection
// is closing: nothing to notify).
func (s *Server) forgetBlocked(c *Client) {
	b := &s.blk
	if b.count.Load() == 0 {
		return
	}
	b.mu.Lock()
	if bc := b.byID[c.ID]; bc != nil && !bc.done.Load() {
		b.finishLocked(bc, false)
	}
	b.mu.Unlock()
}

func (b *blocker) srv() *Server { return b.s }

// releaseServed ends the hold another executor put on c's pushed frames
// while it served c's blocked command (serveKeyLocked), once that
// command's reply is among c's replies (takeUnblocked, or block() found
// it served): the frames it pushed go after the reply. The connection's
// owner calls it before it takes pushed frames.
func (c *Client) releaseServed() {
	if c.bc == nil && c.serving.Load() {
		c.serving.Store(false)
		if p := c.ps; p != nil {
			p.ob.Release()
		}
	}
}

// takeUnblocked moves a finished blocked command's reply into the client's
// replies (connection's goroutine). false if the client is still blocked.
func (c *Client) takeUnblocked() bool {
	bc := c.bc
	if bc == nil {
		return true
	}
	if !bc.done.Load() {
		return false
	}
	c.reply.Raw(bc.reply.b)
	if len(bc.reply.b) > 0 && bc.reply.b[0] == '-' && bc.cmd != nil {
		bc.cmd.failed.Add(1) // (served at once, call counts it itself)
	}
	if e := bc.slow; e != nil && e.micros >= c.srv.cfg.SlowlogLogSlowerThan() && c.srv.cfg.SlowlogLogSlowerThan() >= 0 {
		e.unix = time.Now().Unix()
		c.srv.pushSlow(*e)
	}
	if bc.write {
		c.wrote = true
		c.woff = c.srv.cache.LastLSN()
	}
	if bc.closing {
		c.closeAfter = true
	}
	c.bc = nil
	c.blockedFlag.Store(false)
	c.batch++ // its reply is one more of the pipeline's (MISCONF replaces them)
	c.tick()
	return true
}

// ---- timeouts ----

const (
	errTimeoutNotFloat = "ERR timeout is not a float or out of range"
	errTimeoutNotInt   = "ERR timeout is not an integer or out of range"
	errTimeoutNegative = "ERR timeout is negative"
)

// Redis 7.0.15 reads a timeout in seconds with strtold (x87 long double: a
// 64-bit mantissa) and converts ceill(timeout*1000) to milliseconds with a
// C cast (beyond the range of a long long, LLONG_MIN). Its quirks are
// visible to clients: "0.001" and "0.0001" wait 1 ms (rounded up), "-0.001"
// blocks forever (-0.001L*1000 is a hair above -1: its ceiling is 0),
// "inf" and "1e400" are "negative", "0x10" is 16 s. The same arithmetic is
// done here with big.Float at 64 bits of precision.
var (
	ldMax    = mustFloat("1.18973149535723176502e+4932") // LDBL_MAX
	ldMinSub = mustFloat("3.64519953188247460253e-4951") // smallest subnormal long double
	ldThou   = new(big.Float).SetPrec(64).SetInt64(1000)
	ld2p63   = new(big.Float).SetPrec(64).SetMantExp(big.NewFloat(1), 63)
)

func mustFloat(s string) *big.Float {
	f, _, err := big.ParseFloat(s, 10, 64, big.ToNearestEven)
	if err != nil {
		panic(err)
	}
	return f
}

// parseBlockTimeout parses a timeout in (fractional) seconds, as BLPOP and
// BZPOPMIN take it, replying with Redis's error when it is not valid. 0 is
// forever.
func parseBlockTimeout(c *Client, arg []byte) (time.Duration, bool) {
	if len(arg) == 1 && arg[0] == '0' {
		return 0, true
	}
	f, ok := parseLongDouble(arg)
	if !ok {
		c.reply.Error(errTimeoutNotFloat)
		return 0, false
	}
	if f.IsInf() {
		c.reply.Error(errTimeoutNegative) // the cast gives LLONG_MIN
		return 0, false
	}
	ms := new(big.Float).SetPrec(64).SetMode(big.ToNearestEven).Mul(f, ldThou)
	if ms.Sign() > 0 && ms.Cmp(ld2p63) >= 0 || ms.Sign() < 0 && new(big.Float).Neg(ms).Cmp(ld2p63) > 0 {
		c.reply.Error(errTimeoutNegative)
		return 0, false
	}
	n, acc := ms.Int64() // toward zero; ceill rounds a positive fraction up
	if acc == big.Below && ms.Sign() > 0 {
		n++
	}
	if n < 0 {
		c.reply.Error(errTimeoutNegative)
		return 0, false
	}
	return msTimeout(n), true
}

// parseLongDouble parses arg as strtold does (decimal or hexadecimal, inf,
// infinity; no spaces, no NaN), as Redis's getLongDoubleFromObject accepts
// it: out-of-range values (overflow, or underflow to zero) are refused.
func parseLongDouble(arg []byte) (*big.Float, bool) {
	s := string(arg)
	if s == "" {
		return nil, false
	}
	body := s
	neg := false
	if body[0] == '+' || body[0] == '-' {
		neg = body[0] == '-'
		body = body[1:]
	}
	switch strings.ToLower(body) {
	case "inf", "infinity":
		return new(big.Float).SetInf(neg), true
	}
	if body == "" || strings.ContainsAny(body, "_ \t\n\r\v\f") {
		return nil, false
	}
	base := 10
	if strings.HasPrefix(strings.ToLower(body), "0x") {
		base = 0 // big.Float reads the 0x prefix and an optional p exponent
	}
	f, _, err := big.ParseFloat(s, base, 64, big.ToNearestEven)
	if err != nil {
		return nil, false
	}
	a := new(big.Float).Abs(f)
	if a.Cmp(ldMax) > 0 || f.Sign() != 0 && a.Cmp(ldMinSub) < 0 {
		return nil, false
	}
	return f, true
}

// parseBlockTimeoutMs parses a timeout in milliseconds (XREAD BLOCK).
func parseBlockTimeoutMs(c *Client, arg []byte) (time.Duration, bool) {
	n, ok := cache.ParseInt(arg)
	if !ok {
		c.reply.Error(errTimeoutNotInt)
		return 0, false
	}
	if n < 0 {
		c.reply.Error(errTimeoutNegative)
		return 0, false
	}
	return msTimeout(n), true
}

// msTimeout is a timeout of ms milliseconds (0: forever). Redis adds it to
// its clock without checking; one that would overflow blocks forever in
// practice, and does here.
func msTimeout(ms int64) time.Duration {
	if ms > math.MaxInt64/int64(time.Millisecond) {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}
