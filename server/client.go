package server

import (
	"net"
	"sync/atomic"
	"time"

	"fastcache/cache"
	"fastcache/object"
	"fastcache/shard"
)

// Client is one connection's state.
type Client struct {
	srv   *Server
	sock  socket // the connection, as its network layer serves it
	ID    int64
	Addr  string
	Laddr string
	// unixSock: connected through the unix socket (flag U, local)
	unixSock bool
	// overTLS: connected on a tls-port
	overTLS bool
	// quitting: QUIT ran; the connection closes after its reply. Other
	// clients treat it as gone from then on (a tracking redirect to it is
	// broken), as Redis has freed it before they can send anything more.
	quitting atomic.Bool
	// slotKey, slot: in cluster mode, the first key of the command
	// running (nil: none) and its hash slot (-1: not computed yet), which
	// its script's commands must stay in (cluster.go)
	slotKey []byte
	slot    int
	slotChk slotCheck // its scratch
	// serving: another executor runs this client's blocked command; what
	// it pushes meanwhile waits for the reply (netconn.go's writer)
	serving atomic.Bool
	// master: the client that runs a redis-server primary's stream of
	// commands on this replica (master.go; Redis's CLIENT_MASTER)
	master bool
	// curArgs: the command running (CLIENT LIST argv-mem); qbuf: the
	// input read and not processed (pipeline.go)
	curArgs [][]byte
	qbuf    atomic.Int64
	qargs   atomic.Int64 // the parsed part of a command still arriving (argv-mem)
	qleft   int64        // the input not processed yet, as client eviction counts it (evict_clients.go)
	// errMark, flagMark: reply.nerr, reply.nflag when the last command
	// started or ended (call)
	errMark, flagMark int64

	name, libName, libVer atomic.Pointer[string]
	created               time.Time
	lastActive            atomic.Int64 // unix ms
	lastCmd               atomic.Pointer[string]

	reply  Reply
	ks     cache.Keyspace // the keyspace handlers use (a transaction view during EXEC)
	authed bool
	user   atomic.Pointer[aclUser] // the ACL user (nil: an internal client, allowed everything)
	db     int
	kerr   error // see cache.Keyspace.WithErr

	// MULTI state
	multi        bool
	multiDirty   bool // a queued command was rejected: EXEC answers EXECABORT
	queued       []queuedCmd
	multiMem     int64         // the queued commands' memory (CLIENT LIST multi-mem, client eviction)
	deferred     []deferredCmd // EXEC: commands run after the shards are unlocked
	fwd          []txPublish   // EXEC, script: PUBLISHes for replicas, sent at its end
	watch        *shard.Watch
	watched      [][]byte
	watchExisted []bool // per watched key: did it exist at WATCH time
	watchedDB    []int  // per watched key: its database

	// wrote is set when the current pipeline changed data; with appendfsync
	// always the replies wait until lastLSN is durable.
	wrote bool
	// woff is the WAL's last LSN read right after this client's last
	// write (its records are at or below it): what WAIT waits for, as
	// Redis's c->woff.
	woff  uint64
	batch int // commands in the current pipeline (replies to replace on MISCONF)

	// blocking commands (blocking.go): the parked command, published for
	// CLIENT LIST; cur is the command running (its flags).
	bc          *blockedClient
	blockedFlag atomic.Bool
	cur         *Command

	noEvict, noTouch bool
	// CLIENT REPLY (pause.go): replies dropped from now on, for this
	// command, for the next one.
	replyOff, replySkip, replySkipNext bool
	// replyPushed: the command's reply is (un)subscribe confirmations,
	// which CLIENT REPLY OFF and SKIP do not drop (as Redis's pushes)
	replyPushed bool
	// pushedEnd: where the pushed frames takePushes put before the
	// command's reply end (kept when the reply is dropped: replyRules)
	pushedEnd int
	// postponed: exec met a CLIENT PAUSE; the command runs when it ends.
	postponed bool
	// pausePostponed: counted among the clients a pause holds (pause.go)
	pausePostponed atomic.Bool
	pub            atomic.Uint64 // state for other clients' CLIENT LIST (Client.publish)
	killed         atomic.Bool
	memPub         atomic.Int64             // the client's memory as its goroutine last published it (evict_clients.go)
	obufSoftSince  int64                    // unix ms its output went above the soft limit (obuf.go); 0: below
	obufClosed     bool                     // closed over client-output-buffer-limit (obuf.go)
	closeAfter     bool                     // QUIT: close once the reply is flushed
	ps             *psClient                // subscriptions and outbox (pubsub.go); nil until used
	psPub          atomic.Pointer[psClient] // ps, for other goroutines (CLIENT LIST)
	trk            trackingClient           // CLIENT TRACKING (tracking.go)
	monitoring     atomic.Bool              // MONITOR (monitor.go)
	monBuf         []byte                   // the monitor line being built
	// detach, set by FCSYNC, takes the connection over from the event loop
	// once the pipeline's replies are flushed (a replica's stream).
	detach   func(net.Conn)
	replConf *replConf     // REPLCONF's options for a SYNC (sync.go); nil: none given
	clock    time.Duration // monotonic() after the previous command of this pipeline
	nowMs    int64         // the same reading in unix ms: the time c.ks judges expiry by
	scratch  []byte
	// the pipeline's look-ahead (lookAhead): keys and their hashes
	aheadKeys    [][]byte
	aheadMembers [][]byte
	aheadHashes  [lookAheadKeys]uint64
	aheadSkip    int            // look-aheads to skip: the last one had nothing to prefetch
	prevCmd      *Command       // the previous command looked up (exec's fast path)
	buf          []byte         // per-client scratch for values
	zents        []object.Entry // ZPOPMIN's scratch (entries aliasing buf)

	// scripts (script_busy.go, script_redis.go)
	gate       *execGate  // the executor serving this client
	scriptRun  *scriptRun // set on a Lua engine's own client while it runs
	scriptArgs [][]byte
	scriptBuf  []byte
	heldAll    bool       // every shard is locked for this client's next script in its pipeline (script.go)
	runSpare   *scriptRun // this client's last script run, free for its next (Client.newRun)
}

// deferredCmd is a command of an EXEC that runs after the transaction
// (Client.afterExec): its reply goes at pos of the reply buffer.
type deferredCmd struct {
	pos int
	fn  func()
}

type queuedCmd struct {
	cmd  *Command
	args [][]byte
}

// Name is the CLIENT SETNAME name ("" if none).
func (c *Client) Name() string {
	if p := c.name.Load(); p != nil {
		return *p
	}
	return ""
}

func (c *Client) setName(s string) { c.name.Store(&s) }

// resetState implements RESET: back to a fresh connection's state.
func (c *Client) resetState() {
	c.discardMulti()
	c.unwatchAll()
	c.reply.proto = 2
	c.selectDB(0)
	c.setDefaultAuth()
	c.setName("")
	c.noEvict, c.noTouch = false, false
	c.replyOff, c.replySkip, c.replySkipNext = false, false, false
	c.pubsubReset(false)
	c.trackingOff()
	c.monitorOff()
}

func (c *Client) discardMulti() {
	c.multi, c.multiDirty = false, false
	c.queued = c.queued[:0]
	c.multiMem = 0
}

func (c *Client) unwatchAll() {
	if c.watch != nil {
		for i, k := range c.watched {
			c.srv.cache.Unwatch(c.watchedDB[i], [][]byte{k}, c.watch)
		}
	}
	c.watched = c.watched[:0]
	c.watchedDB = c.watchedDB[:0]
	c.watchExisted = c.watchExisted[:0]
	c.watch = nil
}

// tick reads the clock: the end of the previous command, the time of the next.
func (c *Client) tick() {
	c.clock = monotonic()
	c.nowMs = shard.UnixMs(c.clock)
}

// isLocal: connected over loopback or the unix socket (Redis's
// islocalClient, for enable-protected-configs local).
func (c *Client) isLocal() bool {
	if c.unixSock {
		return true
	}
	host, _, err := net.SplitHostPort(c.Addr)
	return err == nil && (host == "127.0.0.1" || host == "::1")
}
