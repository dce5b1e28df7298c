package server

// Pub/sub: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs,
// PUBLISH, SPUBLISH and PUBSUB, with Redis 7.0's replies. The registry and
// the message encoding live in package pubsub; this file holds a client's
// subscriptions, the subscribed-mode rules of RESP2, and how a message
// reaches the client's connection: it is appended to the client's outbox
// (bounded by client-output-buffer-limit) by the publisher's goroutine, and
// the connection's network layer is woken to write it (pushWake: the event
// loop's wake-up, or the connection's writer goroutine). PUBLISH never
// waits for a subscriber. Nothing here is written to the WAL: delivery is
// at most once, as in Redis. A PUBLISH on a primary also goes to its
// replicas' subscribers (forwardPublish; package replication carries it).

import (
	"bytes"
	"strings"
	"sync/atomic"

	"fastcache/config"
	"fastcache/pubsub"
)

func init() {
	sub := func(name string, arity int, since, summary string, h func(*Client, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flagPubSub | flagLoading, Group: "pubsub", Since: since, Summary: summary, Handler: h}
	}
	register(
		sub("subscribe", -2, "2.0.0", "Listen for messages published to the given channels", cmdSubscribe),
		sub("unsubscribe", -1, "2.0.0", "Stop listening for messages posted to the given channels", cmdUnsubscribe),
		sub("psubscribe", -2, "2.0.0", "Listen for messages published to channels matching the given patterns", cmdPSubscribe),
		sub("punsubscribe", -1, "2.0.0", "Stop listening for messages posted to channels matching the given patterns", cmdPUnsubscribe),
		sub("ssubscribe", -2, "7.0.0", "Listen for messages published to the given shard channels", cmdSSubscribe),
		sub("sunsubscribe", -1, "7.0.0", "Stop listening for messages posted to the given shard channels", cmdSUnsubscribe),
		&Command{Name: "publish", Arity: 3, Flags: flagPubSub | flagLoading | flagFast, Group: "pubsub", Since: "2.0.0",
			Summary: "Post a message to a channel", Handler: cmdPublish},
		&Command{Name: "spublish", Arity: 3, Flags: flagPubSub | flagLoading | flagFast, Group: "pubsub", Since: "7.0.0",
			Summary: "Post a message to a shard channel", Handler: cmdSPublish},
	)
	ps := &Command{Name: "pubsub", Arity: -2, Group: "pubsub", Since: "2.8.0", Summary: "A container for Pub/Sub commands"}
	ps.Handler = func(c *Client, args [][]byte) { runSub(c, ps, args) }
	ps.Sub = subTable(
		sub("pubsub|channels", -2, "2.8.0", "List active channels", pubsubChannels),
		sub("pubsub|numsub", -2, "2.8.0", "Get the count of subscribers for channels", pubsubNumSub),
		sub("pubsub|numpat", 2, "2.8.0", "Get the count of unique patterns pattern subscriptions", pubsubNumPat),
		sub("pubsub|shardchannels", -2, "7.0.0", "List active shard channels", pubsubShardChannels),
		sub("pubsub|shardnumsub", -2, "7.0.0", "Get the count of subscribers for shard channels", pubsubShardNumSub),
		&Command{Name: "pubsub|help", Arity: 2, Flags: flagLoading, Group: "pubsub", Since: "6.2.0",
			Summary: "Show helpful text about the different subcommands", Handler: pubsubHelp},
	)
	register(ps)

	for name, spec := range map[string][2]string{
		"subscribe":            {"O(N) where N is the number of channels to subscribe to.", "channel:string..."},
		"unsubscribe":          {"O(N) where N is the number of clients already subscribed to a channel.", "[channel:string...]"},
		"psubscribe":           {"O(N) where N is the number of patterns the client is already subscribed to.", "pattern:pattern..."},
		"punsubscribe":         {"O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).", "[pattern:pattern...]"},
		"ssubscribe":           {"O(N) where N is the number of shard channels to subscribe to.", "shardchannel:string..."},
		"sunsubscribe":         {"O(N) where N is the number of clients already subscribed to a shard channel.", "[shardchannel:string...]"},
		"publish":              {"O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).", "channel:string message:string"},
		"spublish":             {"O(N) where N is the number of clients subscribed to the receiving shard channel.", "shardchannel:string message:string"},
		"pubsub|channels":      {"O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)", "[pattern:pattern]"},
		"pubsub|numsub":        {"O(N) for the NUMSUB subcommand, where N is the number of requested channels", "[channel:string...]"},
		"pubsub|numpat":        {"O(1)", ""},
		"pubsub|shardchannels": {"O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).", "[pattern:pattern]"},
		"pubsub|shardnumsub":   {"O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels", "[shardchannel:string...]"},
		"pubsub|help":          {"O(1)", ""},
	} {
		argSpecs[name] = spec
	}
}

// psClient is a client's pub/sub state, created on its first subscription
// (or CLIENT TRACKING): its subscriptions, owned by the client's goroutine,
// and its outbox, which publishers fill from any goroutine.
type psClient struct {
	channels, patterns, shards map[string]struct{}
	ob                         pubsub.Outbox
	resp3                      atomic.Bool // frames for this client are push frames
	// counts for other goroutines (CLIENT LIST, the outbox's limit class)
	nChannels, nPatterns, nShards atomic.Int64
}

// pubsubMode reports whether the client is in Redis's pub/sub context
// (CLIENT_PUBSUB): subscribed to anything.
func (p *psClient) pubsubMode() bool {
	return p != nil && p.nChannels.Load()+p.nPatterns.Load()+p.nShards.Load() > 0
}

// psState returns c's pub/sub state, creating it on first use.
func (c *Client) psState() *psClient {
	if c.ps != nil {
		return c.ps
	}
	p := &psClient{channels: map[string]struct{}{}, patterns: map[string]struct{}{}, shards: map[string]struct{}{}}
	p.resp3.Store(c.reply.proto >= 3)
	s := c.srv
	p.ob.Wake = c.sock.pushWake
	p.ob.Limit = func() pubsub.Limit {
		if p.pubsubMode() {
			return s.cfg.OutputBufferLimit(config.ClassPubSub)
		}
		return s.cfg.OutputBufferLimit(config.ClassNormal)
	}
	p.ob.OverLimit = func(used int64) {
		s.log.Warn().Str("client", c.Addr).Int64("id", c.ID).Int64("bytes", used).
			Msg("client closed for overcoming of output buffer limits")
		s.psrv.obufKills.Add(1)
		c.killed.Store(true)
		c.sock.abort()
	}
	c.ps = p
	c.psPub.Store(p)
	return p
}

// Deliver implements pubsub.Subscriber: the frame goes to the outbox.
func (c *Client) Deliver(m *pubsub.Message) {
	c.ps.ob.Push(m.Frame(c.ps.resp3.Load()))
	c.srv.checkClientMemPushed(c)
}

// takePushes moves the frames waiting in c's outbox to its reply buffer at
// position at (the start of the current command's reply, so that a message
// published while the command ran comes before its reply, as in Redis).
//
// c.pushedEnd is where the frames it put before the command's reply end:
// they stay when the reply itself is dropped (CLIENT REPLY OFF / SKIP,
// replyRules).
func (c *Client) takePushes(at int) {
	p := c.ps
	if p == nil || !p.ob.Pending() {
		return
	}
	if at == len(c.reply.b) {
		c.reply.b = p.ob.Take(c.reply.b)
		c.pushedEnd = len(c.reply.b)
		return
	}
	tail := append([]byte(nil), c.reply.b[at:]...)
	c.reply.b = p.ob.Take(c.reply.b[:at])
	c.pushedEnd = len(c.reply.b)
	c.reply.b = append(c.reply.b, tail...)
}

// pubsubReset drops every subscription of a closing (or RESET) client.
func (c *Client) pubsubReset(closing bool) {
	p := c.ps
	if p == nil {
		return
	}
	reg := c.srv.psrv.reg
	for ch := range p.channels {
		reg.Unsubscribe(pubsub.Channel, []byte(ch), c)
	}
	for ch := range p.patterns {
		reg.Unsubscribe(pubsub.Pattern, []byte(ch), c)
	}
	for ch := range p.shards {
		reg.Unsubscribe(pubsub.Shard, []byte(ch), c)
	}
	clear(p.channels)
	clear(p.patterns)
	clear(p.shards)
	p.nChannels.Store(0)
	p.nPatterns.Store(0)
	p.nShards.Store(0)
	p.resp3.Store(c.reply.proto >= 3) // RESET goes back to RESP2
	if closing {
		p.ob.Close()
	}
}

// pubsubServer is the server's pub/sub state.
type pubsubServer struct {
	reg       *pubsub.Registry
	obufKills atomic.Int64  // clients closed over client-output-buffer-limit
	notify    atomic.Uint32 // notify-keyspace-events (pubsub.Class)
	trk       trackingTable // CLIENT TRACKING (tracking.go)
}

// allowedSubscribed reports whether cmd may run in RESP2's subscribed
// mode. An unknown subcommand, or one with the wrong arity, runs to get
// its own error first, as Redis resolves subcommands before this check.
func allowedSubscribed(cmd *Command, args [][]byte) bool {
	switch cmd.Name {
	case "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "ping", "quit", "reset":
		return true
	}
	if cmd.Sub != nil && len(args) > 1 {
		sub := cmd.Sub[strings.ToLower(string(args[1]))]
		return sub == nil || !arityOK(sub.Arity, len(args))
	}
	return false
}

// errSubscribedMode is Redis's error for other commands in that mode;
// name is the command's full name ("get", "client|list").
func errSubscribedMode(cmd *Command, args [][]byte) string {
	name := cmd.Name
	if cmd.Sub != nil && len(args) > 1 {
		if sub := cmd.Sub[strings.ToLower(string(args[1]))]; sub != nil {
			name = sub.Name
		}
	}
	return "ERR Can't execute '" + name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
}

// replySubscription writes one (un)subscribe confirmation: an array in
// RESP2, a push frame in RESP3. name nil is a null (UNSUBSCRIBE with no
// subscription).
func (c *Client) replySubscription(kind string, name []byte, count int) {
	c.replyPushed = true
	if c.reply.proto >= 3 {
		c.reply.b = pubsub.AppendHeader(c.reply.b, '>', 3)
	} else {
		c.reply.Array(3)
	}
	c.reply.BulkString(kind)
	if name == nil {
		c.reply.Null()
	} else {
		c.reply.Bulk(name)
	}
	c.reply.Int(int64(count))
}

func (p *psClient) set(k pubsub.Kind) (map[string]struct{}, *atomic.Int64) {
	switch k {
	case pubsub.Pattern:
		return p.patterns, &p.nPatterns
	case pubsub.Shard:
		return p.shards, &p.nShards
	}
	return p.channels, &p.nChannels
}

// count is what a confirmation reports: channels and patterns together,
// shard channels on their own.
func (p *psClient) count(k pubsub.Kind) int {
	if k == pubsub.Shard {
		return len(p.shards)
	}
	return len(p.channels) + len(p.patterns)
}

func (c *Client) subscribe(k pubsub.Kind, kind string, names [][]byte) {
	p := c.psState()
	p.resp3.Store(c.reply.proto >= 3)
	m, n := p.set(k)
	for _, name := range names {
		if _, ok := m[string(name)]; !ok {
			m[string(name)] = struct{}{}
			n.Store(int64(len(m)))
			c.srv.psrv.reg.Subscribe(k, name, c)
		}
		c.replySubscription(kind, name, p.count(k))
	}
}

func (c *Client) unsubscribe(k pubsub.Kind, kind string, names [][]byte) {
	p := c.ps
	if p == nil {
		p = c.psState()
	}
	m, n := p.set(k)
	if len(names) == 0 {
		if len(m) == 0 {
			c.replySubscription(kind, nil, p.count(k))
			return
		}
		for name := range m {
			names = append(names, []byte(name))
		}
	}
	for _, name := range names {
		if _, ok := m[string(name)]; ok {
			delete(m, string(name))
			n.Store(int64(len(m)))
			c.srv.psrv.reg.Unsubscribe(k, name, c)
		}
		c.replySubscription(kind, name, p.count(k))
	}
}

func cmdSubscribe(c *Client, args [][]byte)   { c.subscribe(pubsub.Channel, "subscribe", args[1:]) }
func cmdPSubscribe(c *Client, args [][]byte)  { c.subscribe(pubsub.Pattern, "psubscribe", args[1:]) }
func cmdUnsubscribe(c *Client, args [][]byte) { c.unsubscribe(pubsub.Channel, "unsubscribe", args[1:]) }
func cmdPUnsubscribe(c *Client, args [][]byte) {
	c.unsubscribe(pubsub.Pattern, "punsubscribe", args[1:])
}
func cmdSUnsubscribe(c *Client, args [][]byte) { c.unsubscribe(pubsub.Shard, "sunsubscribe", args[1:]) }

func cmdSSubscribe(c *Client, args [][]byte) {
	if c.ks.InTx() {
		// Redis refuses it to a client that expects one reply per command.
		c.reply.Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
		return
	}
	c.subscribe(pubsub.Shard, "ssubscribe", args[1:])
}

func cmdPublish(c *Client, args [][]byte) {
	n := c.srv.psrv.reg.Publish(args[1], args[2])
	c.forwardPublish(false, args[1], args[2])
	c.reply.Int(int64(n))
}

func cmdSPublish(c *Client, args [][]byte) {
	n := c.srv.psrv.reg.SPublish(args[1], args[2])
	c.forwardPublish(true, args[1], args[2])
	c.reply.Int(int64(n))
}

// forwardPublish passes a PUBLISH on to the replicas' subscribers (their
// receivers are not counted in the reply, as in Redis). Inside MULTI/EXEC
// or a script the transaction's writes reach the WAL only when it ends, so
// the message waits for that (flushForwards): a replica's subscriber then
// sees the writes made before it was published, as it would in Redis.
func (c *Client) forwardPublish(shard bool, channel, message []byte) {
	r := c.srv.opts.Replication
	owner := c // the client whose EXEC or script this is
	if c.scriptRun != nil {
		owner = c.scriptRun.caller
	}
	if r == nil || !r.ForwardsPublish(owner.master) {
		return
	}
	if !c.ks.InTx() {
		r.ForwardPublish(owner.master, shard, channel, message)
		return
	}
	owner.fwd = append(owner.fwd, txPublish{shard: shard, channel: bytes.Clone(channel), message: bytes.Clone(message)})
}

// txPublish is a PUBLISH made inside a transaction, forwarded at its end.
type txPublish struct {
	shard            bool
	channel, message []byte
}

// flushForwards forwards the PUBLISHes of c's transaction (EXEC, script),
// which has just ended: its writes are queued for the WAL by now.
func (c *Client) flushForwards() {
	if len(c.fwd) == 0 {
		return
	}
	if r := c.srv.opts.Replication; r != nil {
		for _, p := range c.fwd {
			r.ForwardPublish(c.master, p.shard, p.channel, p.message)
		}
	}
	clear(c.fwd)
	c.fwd = c.fwd[:0]
}

// PublishReplicated delivers a PUBLISH (shard: SPUBLISH) that a replica
// received from its primary to this server's subscribers.
func (s *Server) PublishReplicated(shard bool, channel, message []byte) {
	if shard {
		s.psrv.reg.SPublish(channel, message)
	} else {
		s.psrv.reg.Publish(channel, message)
	}
}

func pubsubNames(c *Client, k pubsub.Kind, args [][]byte) {
	if len(args) > 3 {
		c.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + sanitize(args[1], 128) + "'. Try PUBSUB HELP.")
		return
	}
	var pattern []byte
	if len(args) == 3 {
		pattern = args[2]
	}
	names := c.srv.psrv.reg.Names(k, pattern)
	c.reply.Array(len(names))
	for _, n := range names {
		c.reply.Bulk(n)
	}
}

func pubsubNumSubs(c *Client, k pubsub.Kind, args [][]byte) {
	c.reply.Array(2 * (len(args) - 2))
	for _, ch := range args[2:] {
		c.reply.Bulk(ch)
		c.reply.Int(int64(c.srv.psrv.reg.NumSub(k, ch)))
	}
}

func pubsubChannels(c *Client, args [][]byte)      { pubsubNames(c, pubsub.Channel, args) }
func pubsubShardChannels(c *Client, args [][]byte) { pubsubNames(c, pubsub.Shard, args) }
func pubsubNumSub(c *Client, args [][]byte)        { pubsubNumSubs(c, pubsub.Channel, args) }
func pubsubShardNumSub(c *Client, args [][]byte)   { pubsubNumSubs(c, pubsub.Shard, args) }
func pubsubNumPat(c *Client, args [][]byte) {
	c.reply.Int(int64(c.srv.psrv.reg.Count(pubsub.Pattern)))
}

var pubsubHelpLines = []string{
	"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CHANNELS [<pattern>]",
	"    Return the currently active channels matching a <pattern> (default: '*').",
	"NUMPAT",
	"    Return number of subscriptions to patterns.",
	"NUMSUB [<channel> ...]",
	"    Return the number of subscribers for the specified channels, excluding",
	"    pattern subscriptions(default: no channels).",
	"SHARDCHANNELS [<pattern>]",
	"    Return the currently active shard level channels matching a <pattern> (default: '*').",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Return the number of subscribers for the specified shard level channel(s)",
	"HELP",
	"    Prints this help.",
}

func pubsubHelp(c *Client, args [][]byte) {
	c.reply.Array(len(pubsubHelpLines))
	for _, l := range pubsubHelpLines {
		c.reply.Simple(l)
	}
}

func (s *Server) initPubSub() {
	s.psrv.reg = pubsub.NewRegistry()
	s.initNotify()
}
