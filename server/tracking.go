package server

// Client-side caching (CLIENT TRACKING), as Redis 7.0 does it. A tracking
// client's read-only commands remember their keys in the tracking table
// (key -> ids of the clients that read it); the first change of such a key
// (every keyspace event but keymiss and new: writes, expiry, eviction)
// sends each of them an invalidation and forgets the key. BCAST clients
// instead get every change of keys under their prefixes, one message per
// prefix and operation. FLUSHALL/FLUSHDB send a null invalidation to every
// tracking client. Invalidations go to the client itself in RESP3 (a push
// frame), or to its REDIRECT client: a push frame in RESP3, a message on
// __redis__:invalidate in RESP2 when that client is subscribed. A client's
// invalidations of its own changes come after the command's reply, as in
// Redis; NOLOOP drops them. tracking-table-max-keys bounds the table: past
// it, keys are invalidated at random.

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"

	"fastcache/cache"
	"fastcache/pubsub"
)

func init() {
	client := commands["client"]
	for _, cmd := range []*Command{
		{Name: "client|tracking", Arity: -3, Flags: flagLoading, Group: "connection", Since: "6.0.0",
			Summary: "Enable or disable server assisted client side caching support", Handler: clientTracking},
		{Name: "client|caching", Arity: 3, Flags: flagLoading, Group: "connection", Since: "6.0.0",
			Summary: "Instruct the server about tracking or not keys in the next request", Handler: clientCaching},
		{Name: "client|getredir", Arity: 2, Flags: flagLoading, Group: "connection", Since: "6.0.0",
			Summary: "Get tracking notifications redirection client ID if any", Handler: clientGetRedir},
		{Name: "client|trackinginfo", Arity: 2, Flags: flagLoading, Group: "connection", Since: "6.2.0",
			Summary: "Return information about server assisted client side caching for the current connection", Handler: clientTrackingInfo},
	} {
		client.Sub[strings.TrimPrefix(cmd.Name, "client|")] = cmd
	}
	argSpecs["client|tracking"] = [2]string{"O(1). Some options may introduce additional complexity.",
		"status=(ON|OFF) [REDIRECT client-id:integer] [PREFIX prefix:string...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]"}
	argSpecs["client|caching"] = [2]string{"O(1)", "mode=(YES|NO)"}
	argSpecs["client|getredir"] = [2]string{"O(1)", ""}
	argSpecs["client|trackinginfo"] = [2]string{"O(1)", ""}
	lines := []string{
		"CACHING (YES|NO)",
		"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
		"GETREDIR",
		"    Return the client ID we are redirecting to when tracking is enabled.",
	}
	lines = append(lines, clientHelpLines...)
	for i, l := range lines {
		if strings.HasPrefix(l, "NO-EVICT") {
			lines = append(lines[:i], append([]string{
				"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
				"         [OPTIN] [OPTOUT] [NOLOOP]",
				"    Control server assisted client side caching.",
				"TRACKINGINFO",
				"    Report tracking status for the current connection.",
			}, lines[i:]...)...)
			break
		}
	}
	clientHelpLines = lines
}

// trackMode is a client's CLIENT TRACKING mode; immutable (replaced on
// change), read by other clients' goroutines when they invalidate.
type trackMode struct {
	bcast, optin, optout, noloop bool
	redirect                     int64
	prefixes                     [][]byte // BCAST, sorted
}

// trackingClient is a client's tracking state.
type trackingClient struct {
	mode   atomic.Pointer[trackMode] // nil: tracking off
	broken atomic.Bool               // the redirect client is gone
	// owned by the client's goroutine
	caching bool   // CLIENT CACHING given for the next command
	after   []byte // invalidations of its own changes, sent after the reply
}

const trackShards = 64

// trackingTable is the server's tracking state.
type trackingTable struct {
	shards [trackShards]struct {
		mu   sync.Mutex
		keys map[string]readers
		_    [40]byte
	}
	nkeys, nitems atomic.Int64
	clients       sync.Map // id -> *Client, clients with tracking on
	nclients      atomic.Int64
	evictMu       sync.Mutex // one tracking-table-max-keys round at a time
	effort        int        // its effort multiplier (evictMu)

	pmu       sync.RWMutex
	prefixes  map[string]map[*Client]struct{} // BCAST: prefix -> clients
	nprefixes atomic.Int64
}

func (p *pubsubServer) trackingActive() bool { return p.trk.nclients.Load() > 0 }

func (t *trackingTable) shard(key []byte) int { return int(xxhash.Sum64(key) & (trackShards - 1)) }

// readers are the clients that read a tracked key: most keys have one, so
// it is held inline and a key costs no allocation beyond its name.
type readers struct {
	first int64
	more  []int64
}

func (r readers) has(id int64) bool {
	if r.first == id {
		return true
	}
	for _, x := range r.more {
		if x == id {
			return true
		}
	}
	return false
}

func (r readers) len() int { return 1 + len(r.more) }

// remember records that client id read key.
func (t *trackingTable) remember(key []byte, id int64) {
	sh := &t.shards[t.shard(key)]
	sh.mu.Lock()
	if sh.keys == nil {
		sh.keys = map[string]readers{}
	}
	r, ok := sh.keys[string(key)]
	switch {
	case !ok:
		sh.keys[string(key)] = readers{first: id}
		t.nkeys.Add(1)
		t.nitems.Add(1)
	case !r.has(id):
		r.more = append(r.more, id)
		sh.keys[string(key)] = r
		t.nitems.Add(1)
	}
	sh.mu.Unlock()
}

// take removes key from the table and returns who read it.
func (t *trackingTable) take(key []byte) (readers, bool) {
	sh := &t.shards[t.shard(key)]
	sh.mu.Lock()
	r, ok := sh.keys[string(key)]
	if ok {
		delete(sh.keys, string(key))
		t.nkeys.Add(-1)
		t.nitems.Add(-int64(r.len()))
	}
	sh.mu.Unlock()
	return r, ok
}

// clear forgets every key (FLUSHALL/FLUSHDB).
func (t *trackingTable) clear() {
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for _, r := range sh.keys {
			t.nkeys.Add(-1)
			t.nitems.Add(-int64(r.len()))
		}
		sh.keys = nil
		sh.mu.Unlock()
	}
}

// ---- commands ----

func clientTracking(c *Client, args [][]byte) {
	var m trackMode
	var prefixes [][]byte
	for j := 3; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case eqFold(args[j], "redirect") && more > 0:
			j++
			if m.redirect != 0 {
				c.reply.Error("ERR A client can only redirect to a single other client")
				return
			}
			id, ok := parseInt64(args[j])
			if !ok {
				c.reply.Error(msgNotInteger)
				return
			}
			c.srv.mu.Lock()
			_, exists := c.srv.clients[id]
			c.srv.mu.Unlock()
			if !exists {
				c.reply.Error("ERR The client ID you want redirect to does not exist")
				return
			}
			m.redirect = id
		case eqFold(args[j], "bcast"):
			m.bcast = true
		case eqFold(args[j], "optin"):
			m.optin = true
		case eqFold(args[j], "optout"):
			m.optout = true
		case eqFold(args[j], "noloop"):
			m.noloop = true
		case eqFold(args[j], "prefix") && more > 0:
			j++
			prefixes = append(prefixes, args[j])
		default:
			c.reply.Error(msgSyntaxErr)
			return
		}
	}
	cur := c.trk.mode.Load()
	switch {
	case eqFold(args[2], "on"):
		switch {
		case !m.bcast && len(prefixes) > 0:
			c.reply.Error("ERR PREFIX option requires BCAST mode to be enabled")
			return
		case cur != nil && cur.bcast != m.bcast:
			c.reply.Error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		case m.bcast && (m.optin || m.optout):
			c.reply.Error("ERR OPTIN and OPTOUT are not compatible with BCAST")
			return
		case m.optin && m.optout:
			c.reply.Error("ERR You can't specify both OPTIN mode and OPTOUT mode")
			return
		case cur != nil && (m.optin && cur.optout || m.optout && cur.optin):
			c.reply.Error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		}
		if m.bcast {
			var existing [][]byte
			if cur != nil {
				existing = cur.prefixes
			}
			if msg := prefixCollision(existing, prefixes); msg != "" {
				c.reply.Error(msg)
				return
			}
		}
		c.trackingOn(m, prefixes)
	case eqFold(args[2], "off"):
		c.trackingOff()
	default:
		c.reply.Error(msgSyntaxErr)
		return
	}
	c.reply.OK()
}

// prefixCollision is Redis's error when a new prefix overlaps (one is a
// prefix of the other) an existing one or another new one; "" if none.
func prefixCollision(existing, prefixes [][]byte) string {
	overlap := func(a, b []byte) bool {
		n := min(len(a), len(b))
		return bytes.Equal(a[:n], b[:n])
	}
	for i, p := range prefixes {
		for _, e := range existing {
			if overlap(e, p) {
				return "ERR Prefix '" + sanitize(p, 1<<20) + "' overlaps with an existing prefix '" + sanitize(e, 1<<20) + "'. Prefixes for a single client must not overlap."
			}
		}
		for _, q := range prefixes[i+1:] {
			if overlap(p, q) {
				return "ERR Prefix '" + sanitize(p, 1<<20) + "' overlaps with another provided prefix '" + sanitize(q, 1<<20) + "'. Prefixes for a single client must not overlap."
			}
		}
	}
	return ""
}

// trackingOn enables tracking with mode m (BCAST prefixes added to the
// ones the client has).
func (c *Client) trackingOn(m trackMode, prefixes [][]byte) {
	s := c.srv
	t := &s.psrv.trk
	c.psState() // invalidations wait in the outbox
	cur := c.trk.mode.Load()
	if m.bcast {
		if cur != nil {
			m.prefixes = append(m.prefixes, cur.prefixes...)
		}
		if len(prefixes) == 0 && (cur == nil || len(cur.prefixes) == 0) {
			prefixes = [][]byte{{}}
		}
		t.pmu.Lock()
		if t.prefixes == nil {
			t.prefixes = map[string]map[*Client]struct{}{}
		}
		for _, p := range prefixes {
			set := t.prefixes[string(p)]
			if set == nil {
				set = map[*Client]struct{}{}
				t.prefixes[string(p)] = set
				t.nprefixes.Add(1)
			}
			set[c] = struct{}{}
			m.prefixes = append(m.prefixes, append([]byte(nil), p...))
		}
		t.pmu.Unlock()
		sort.Slice(m.prefixes, func(i, j int) bool { return bytes.Compare(m.prefixes[i], m.prefixes[j]) < 0 })
	}
	c.trk.broken.Store(false)
	c.trk.mode.Store(&m)
	if cur == nil {
		t.clients.Store(c.ID, c)
		if t.nclients.Add(1) == 1 {
			s.cache.SetNotifyClasses(s.wantedEvents())
		}
	}
}

// trackingOff disables tracking (CLIENT TRACKING OFF, RESET, close). The
// keys it read stay in the table until they change, as in Redis.
func (c *Client) trackingOff() {
	cur := c.trk.mode.Load()
	if cur == nil {
		return
	}
	s := c.srv
	t := &s.psrv.trk
	if cur.bcast {
		t.pmu.Lock()
		for _, p := range cur.prefixes {
			if set := t.prefixes[string(p)]; set != nil {
				delete(set, c)
				if len(set) == 0 {
					delete(t.prefixes, string(p))
					t.nprefixes.Add(-1)
				}
			}
		}
		t.pmu.Unlock()
	}
	c.trk.mode.Store(nil)
	c.trk.caching = false
	c.trk.broken.Store(false)
	t.clients.Delete(c.ID)
	if t.nclients.Add(-1) == 0 {
		s.cache.SetNotifyClasses(s.wantedEvents())
	}
}

func clientCaching(c *Client, args [][]byte) {
	m := c.trk.mode.Load()
	if m == nil {
		c.reply.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch {
	case eqFold(args[2], "yes"):
		if !m.optin {
			c.reply.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
	case eqFold(args[2], "no"):
		if !m.optout {
			c.reply.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
	default:
		c.reply.Error(msgSyntaxErr)
		return
	}
	c.trk.caching = true
	c.reply.OK()
}

func clientGetRedir(c *Client, args [][]byte) {
	if m := c.trk.mode.Load(); m != nil {
		c.reply.Int(m.redirect)
		return
	}
	c.reply.Int(-1)
}

func clientTrackingInfo(c *Client, args [][]byte) {
	m := c.trk.mode.Load()
	flags := []string{"off"}
	redirect := int64(-1)
	var prefixes [][]byte
	if m != nil {
		flags = []string{"on"}
		if m.bcast {
			flags = append(flags, "bcast")
		}
		if m.optin {
			flags = append(flags, "optin")
			if c.trk.caching {
				flags = append(flags, "caching-yes")
			}
		}
		if m.optout {
			flags = append(flags, "optout")
			if c.trk.caching {
				flags = append(flags, "caching-no")
			}
		}
		if m.noloop {
			flags = append(flags, "noloop")
		}
		if c.trk.broken.Load() {
			flags = append(flags, "broken_redirect")
		}
		redirect = m.redirect
		prefixes = m.prefixes
	}
	r := &c.reply
	r.Map(3)
	r.BulkString("flags")
	r.Set(len(flags))
	for _, f := range flags {
		r.BulkString(f)
	}
	r.BulkString("redirect")
	r.Int(redirect)
	r.BulkString("prefixes")
	r.Array(len(prefixes))
	for _, p := range prefixes {
		r.Bulk(p)
	}
}

// trackingFlags are the CLIENT LIST flags of client tracking (t, R, B).
func (c *Client) trackingFlags() string {
	m := c.trk.mode.Load()
	if m == nil {
		return ""
	}
	f := "t"
	if c.trk.broken.Load() {
		f += "R"
	}
	if m.bcast {
		f += "B"
	}
	return f
}

// trackingRedir is CLIENT LIST's redir field (-1: not tracking).
func (c *Client) trackingRedir() int64 {
	if m := c.trk.mode.Load(); m != nil {
		return m.redirect
	}
	return -1
}

// ---- remembering keys ----

// trackingRemember records the keys of a read-only command c just ran
// with keyspace ks, unless OPTIN/OPTOUT and CLIENT CACHING say otherwise.
func (c *Client) trackingRemember(m *trackMode, ks cache.Keyspace, cmd *Command, args [][]byte) {
	if m.bcast || (m.optin && !c.trk.caching) || (m.optout && c.trk.caching) {
		return
	}
	var buf [8]int
	for _, i := range cmd.keyPositions(args, buf[:0]) {
		c.trackingRead(ks, args[i])
	}
	c.trackingLimitCheck()
}

// trackingRememberKeys records a script's declared keys for c, its caller
// (ks: the script's keyspace).
func (c *Client) trackingRememberKeys(m *trackMode, ks cache.Keyspace, keys [][]byte) {
	if m.bcast || (m.optin && !c.trk.caching) || (m.optout && c.trk.caching) || len(keys) == 0 {
		return
	}
	for _, k := range keys {
		c.trackingRead(ks, k)
	}
	c.trackingLimitCheck()
}

// trackingRead remembers that c read key: at once, or, inside a
// transaction (EXEC, a script), as an event in order with the
// transaction's changes, which are delivered when it ends: a key changed
// before it is read in the same EXEC is not invalidated, one changed after
// is (trackingEvents).
func (c *Client) trackingRead(ks cache.Keyspace, key []byte) {
	if ks.InTx() {
		ks.Notify(pubsub.Tracked, "tracked", ks.DB(), key)
		return
	}
	c.srv.psrv.trk.remember(key, c.ID)
}

func (c *Client) trackingLimitCheck() {
	t := &c.srv.psrv.trk
	if max := c.srv.cfg.TrackingTableMaxKeys(); max > 0 && t.nkeys.Load() > max {
		c.srv.trackingLimit(c, max)
	}
}

// trackingLimit invalidates random keys until the table is back under max,
// with Redis's effort rule (100 keys, more each time it stays over).
func (s *Server) trackingLimit(origin *Client, max int64) {
	t := &s.psrv.trk
	if !t.evictMu.TryLock() {
		return
	}
	defer t.evictMu.Unlock()
	effort := 100 * (t.effort + 1)
	for effort > 0 && t.nkeys.Load() > max {
		var victim []byte
		for i := range t.shards {
			sh := &t.shards[(i+effort)%trackShards]
			sh.mu.Lock()
			for k := range sh.keys {
				victim = []byte(k)
				break
			}
			sh.mu.Unlock()
			if victim != nil {
				break
			}
		}
		if victim == nil {
			break
		}
		s.trackingInvalidate(nil, victim, nil, false)
		effort--
	}
	if t.nkeys.Load() > max {
		t.effort++
	} else {
		t.effort = 0
	}
}

// ---- invalidating ----

// bcastBatch collects the keys changed by one operation under each BCAST
// prefix, sent once the operation's events are all seen.
type bcastBatch map[string][]bcastKey

// bcastKey is a key of a bcastBatch; server: the server changed it
// (expiry, eviction) during the operation, which NOLOOP does not hide.
type bcastKey struct {
	key    []byte
	server bool
}

// trackingEvents handles one operation's keyspace events for tracking.
func (s *Server) trackingEvents(origin *Client, evs []cache.Event) {
	var bb bcastBatch
	if s.psrv.trk.nprefixes.Load() > 0 {
		bb = bcastBatch{}
	}
	read := false
	for i := range evs {
		if evs[i].Class == pubsub.Tracked {
			// a key the transaction's client read (trackingRead)
			if origin != nil && origin.trk.mode.Load() != nil {
				s.psrv.trk.remember(evs[i].Key, origin.ID)
				read = true
			}
			continue
		}
		if evs[i].Class&trackingClasses == 0 {
			continue
		}
		// A key that expires or is evicted while a client's command runs
		// is the server's change for BCAST (Redis remembers it with no
		// client); a client tracking the key itself is judged by whose
		// command runs, as in Redis's trackingInvalidateKey.
		server := evs[i].Class&(pubsub.Expired|pubsub.Evicted) != 0
		s.trackingInvalidate(origin, evs[i].Key, bb, server)
	}
	if len(bb) > 0 {
		s.trackingBroadcast(origin, bb)
	}
	if read {
		origin.trackingLimitCheck()
	}
}

// trackingInvalidate sends an invalidation of key to the clients that read
// it, and adds key to the BCAST batch bb.
func (s *Server) trackingInvalidate(origin *Client, key []byte, bb bcastBatch, server bool) {
	t := &s.psrv.trk
	if bb != nil {
		t.pmu.RLock()
		for p := range t.prefixes {
			if bytes.HasPrefix(key, []byte(p)) {
				bb[p] = append(bb[p], bcastKey{append([]byte(nil), key...), server})
			}
		}
		t.pmu.RUnlock()
	}
	if t.nkeys.Load() == 0 {
		return
	}
	r, ok := t.take(key)
	if !ok {
		return
	}
	var value []byte
	for i := -1; i < len(r.more); i++ {
		id := r.first
		if i >= 0 {
			id = r.more[i]
		}
		v, ok := t.clients.Load(id)
		if !ok {
			continue
		}
		target := v.(*Client)
		m := target.trk.mode.Load()
		if m == nil || m.bcast || (m.noloop && target == origin) {
			continue
		}
		if value == nil {
			value = pubsub.AppendHeader(nil, '*', 1)
			value = pubsub.AppendBulk(value, key)
		}
		s.sendInvalidation(origin, target, m, value)
	}
}

// trackingBroadcast sends each BCAST client one message per prefix with
// the keys of the batch (sorted, as Redis's radix tree gives them); a
// NOLOOP client that ran the operation gets only the server's changes.
func (s *Server) trackingBroadcast(origin *Client, bb bcastBatch) {
	t := &s.psrv.trk
	prefixes := make([]string, 0, len(bb))
	for p := range bb {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	for _, p := range prefixes {
		keys := bb[p]
		// the first change of a key is the one remembered (Redis's
		// raxTryInsert)
		sort.SliceStable(keys, func(i, j int) bool { return bytes.Compare(keys[i].key, keys[j].key) < 0 })
		uniq := keys[:0]
		nserver := 0
		for i, k := range keys {
			if i == 0 || !bytes.Equal(k.key, keys[i-1].key) {
				uniq = append(uniq, k)
				if k.server {
					nserver++
				}
			}
		}
		message := func(serverOnly bool) []byte {
			n := len(uniq)
			if serverOnly {
				n = nserver
			}
			value := pubsub.AppendHeader(nil, '*', n)
			for _, k := range uniq {
				if k.server || !serverOnly {
					value = pubsub.AppendBulk(value, k.key)
				}
			}
			return value
		}
		all := message(false)
		t.pmu.RLock()
		targets := make([]*Client, 0, len(t.prefixes[p]))
		for cl := range t.prefixes[p] {
			targets = append(targets, cl)
		}
		t.pmu.RUnlock()
		for _, target := range targets {
			m := target.trk.mode.Load()
			if m == nil {
				continue
			}
			if m.noloop && target == origin {
				if nserver > 0 {
					s.sendInvalidation(origin, target, m, message(true))
				}
				continue
			}
			s.sendInvalidation(origin, target, m, all)
		}
	}
}

// trackingFlush sends the null invalidation of FLUSHALL/FLUSHDB to every
// tracking client and forgets every key.
func (s *Server) trackingFlush(origin *Client) {
	t := &s.psrv.trk
	if t.nclients.Load() == 0 {
		t.clear() // keys read by clients that stopped tracking (Redis frees the table too)
		return
	}
	t.clients.Range(func(_, v any) bool {
		target := v.(*Client)
		if m := target.trk.mode.Load(); m != nil {
			null := []byte("$-1\r\n")
			if target.psPub.Load().isRESP3() {
				null = []byte("_\r\n")
			}
			s.sendInvalidation(origin, target, m, null)
		}
		return true
	})
	t.clear()
}

func (p *psClient) isRESP3() bool { return p != nil && p.resp3.Load() }

var (
	invalidatePush = []byte(">2\r\n$10\r\ninvalidate\r\n")
	invalidateMsg  = []byte("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n")
)

// sendInvalidation sends value (the keys, or null) to the tracking client
// target, or to its REDIRECT client.
func (s *Server) sendInvalidation(origin, target *Client, m *trackMode, value []byte) {
	dst := target
	if m.redirect != 0 {
		s.mu.Lock()
		r := s.clients[m.redirect]
		s.mu.Unlock()
		if r == nil || r.quitting.Load() {
			target.trk.broken.Store(true)
			if p := target.psPub.Load(); p.isRESP3() {
				b := pubsub.AppendHeader(nil, '>', 2)
				b = pubsub.AppendBulk(b, []byte("tracking-redir-broken"))
				b = append(b, ':')
				b = strconv.AppendInt(b, m.redirect, 10)
				b = append(b, '\r', '\n')
				s.pushTo(origin, target, b, nil)
			}
			return
		}
		dst = r
	}
	p := dst.psPub.Load()
	switch {
	case p.isRESP3():
		s.pushTo(origin, dst, invalidatePush, value)
	case m.redirect != 0 && p.pubsubMode():
		s.pushTo(origin, dst, invalidateMsg, value)
	}
	// RESP2 without a redirect (or to a client not subscribed): nothing
	// can carry the message, as in Redis.
}

// pushTo delivers a frame (head + value) to dst: after the current reply
// when dst is the client whose command caused it (its own goroutine),
// through its outbox otherwise.
func (s *Server) pushTo(origin, dst *Client, head, value []byte) {
	if dst == origin {
		dst.trk.after = append(append(dst.trk.after, head...), value...)
		return
	}
	if p := dst.psPub.Load(); p != nil {
		p.ob.PushN(head, value)
		s.checkClientMemPushed(dst)
	}
}

// trackingAfter ends a top-level command of a client that tracks keys or
// has invalidations of its own waiting: they follow the reply, and a CLIENT
// CACHING that applied to this command (or transaction) is over.
func (c *Client) trackingAfter(cmd *Command) {
	if len(c.trk.after) > 0 {
		c.reply.b = append(c.reply.b, c.trk.after...)
		c.trk.after = c.trk.after[:0]
		if cap(c.trk.after) > keepReplyCap {
			c.trk.after = nil
		}
	}
	if c.trk.caching && !c.multi && cmd.Name != "client" {
		c.trk.caching = false
	}
}
