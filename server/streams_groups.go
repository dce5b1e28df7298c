package server

import (
	"fastcache/cache"
	"fastcache/object"
	"fastcache/persistence"
	"fastcache/pubsub"
	"fastcache/shard"
)

// Consumer group commands: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM
// (XREADGROUP is in streams_read.go). Each logs its effect: a claim logs
// the entries' new owner, delivery time and count (OpXClaim), never the
// command.

func init() {
	const w, r, oom, fast = flagWrite, flagReadOnly, flagDenyOOM, flagFast
	x := func(name string, arity int, f flags, since, summary, complexity, args string, fn func(*Client, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: f, FirstKey: 1, LastKey: 1, Step: 1, Group: "stream",
			Since: since, Summary: summary, Complexity: complexity, Args: args, Handler: fn}
	}
	sub := func(name string, arity int, f flags, since, summary, complexity, args string, fn func(*Client, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: f, FirstKey: 2, LastKey: 2, Step: 1, Group: "stream",
			Since: since, Summary: summary, Complexity: complexity, Args: args, Handler: fn}
	}
	xgroup := &Command{Name: "xgroup", Arity: -2, Flags: w, Group: "stream", Since: "5.0.0",
		Summary: "A container for consumer groups commands", Complexity: "Depends on subcommand."}
	xgroup.Handler = func(c *Client, args [][]byte) { runSub(c, xgroup, args) }
	xgroup.Sub = subTable(
		sub("xgroup|create", -5, w|oom, "5.0.0", "Create a consumer group.", "O(1)",
			"key:key group:string id_selector=(id:string|$) [MKSTREAM] [ENTRIESREAD entries_read:integer]", cmdXGroup),
		sub("xgroup|setid", -5, w, "5.0.0", "Set a consumer group to an arbitrary last delivered ID value.", "O(1)",
			"key:key group:string id_selector=(id:string|$) [ENTRIESREAD entries_read:integer]", cmdXGroup),
		sub("xgroup|destroy", 4, w, "5.0.0", "Destroy a consumer group.", "O(N) where N is the number of entries in the group's pending entries list (PEL).",
			"key:key group:string", cmdXGroup),
		sub("xgroup|createconsumer", 5, w|oom, "6.2.0", "Create a consumer in a consumer group.", "O(1)",
			"key:key group:string consumer:string", cmdXGroup),
		sub("xgroup|delconsumer", 5, w, "5.0.0", "Delete a consumer from a consumer group.", "O(1)",
			"key:key group:string consumer:string", cmdXGroup),
		&Command{Name: "xgroup|help", Arity: 2, Flags: flagLoading, Group: "stream", Since: "5.0.0",
			Summary: "Show helpful text about the different subcommands", Complexity: "O(1)", Handler: cmdXGroupHelp},
	)
	register(xgroup,
		x("xack", -4, w|fast, "5.0.0", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
			"O(1) for each message ID processed.", "key:key group:string id:string...", cmdXAck),
		x("xpending", -3, r, "5.0.0", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
			"O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
			"key:key group:string [filters=([IDLE min-idle-time:integer] start:string end:string count:integer [consumer:string])]", cmdXPending),
		x("xclaim", -6, w|fast, "5.0.0", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
			"O(log N) with N being the number of messages in the PEL of the consumer group.",
			"key:key group:string consumer:string min-idle-time:string id:string... [IDLE ms:integer] [TIME unix-time-milliseconds:unix-time] [RETRYCOUNT count:integer] [FORCE] [JUSTID] [LASTID lastid:string]", cmdXClaim),
		x("xautoclaim", -6, w|fast, "6.2.0", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
			"O(1) if COUNT is small.", "key:key group:string consumer:string min-idle-time:string start:string [COUNT count:integer] [JUSTID]", cmdXAutoClaim),
	)
}

func cmdXGroupHelp(c *Client, args [][]byte) {
	lines := []string{
		"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"CREATE <key> <groupname> <id|$> [option]",
		"    Create a new consumer group. Options are:",
		"    * MKSTREAM",
		"      Create the empty stream if it does not exist.",
		"    * ENTRIESREAD entries_read",
		"      Set the group's entries_read counter (internal use).",
		"CREATECONSUMER <key> <groupname> <consumer>",
		"    Create a new consumer in the specified group.",
		"DELCONSUMER <key> <groupname> <consumer>",
		"    Remove the specified consumer.",
		"DESTROY <key> <groupname>",
		"    Remove the specified group.",
		"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
		"    Set the current group ID and entries_read counter.",
		"HELP",
		"    Prints this help.",
	}
	c.reply.Array(len(lines))
	for _, l := range lines {
		c.reply.Simple(l)
	}
}

// consumerFor is the consumer name of g (created if missing, with its
// keyspace event), seen now.
func consumerFor(ks cache.Keyspace, g *object.Group, key, name []byte, now int64) *object.Consumer {
	cons, created := g.CreateConsumer(name, now)
	if created {
		ks.Notify(pubsub.Stream, "xgroup-createconsumer", ks.DB(), key)
	}
	cons.Seen = now
	return cons
}

// subSyntaxError is Redis's addReplySubcommandSyntaxError.
func (c *Client) subSyntaxError(args [][]byte) {
	c.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + sanitize(args[1], 128) + "'. Try " + upper(args[0]) + " HELP.")
}

func upper(b []byte) string {
	out := make([]byte, len(b))
	for i, ch := range b {
		if 'a' <= ch && ch <= 'z' {
			ch -= 'a' - 'A'
		}
		out[i] = ch
	}
	return string(out)
}

// groupKey is the name in a NOGROUP error (Redis prints it with %s).
func groupKey(b []byte) string { return sanitize(b, 1<<20) }

func cmdXGroup(c *Client, args [][]byte) {
	op := string(lowerASCII(args[1]))
	entriesRead := int64(object.InvalidEntriesRead)
	mkstream := false
	readEntries := func(b []byte) bool {
		v, ok := c.int64Arg(b, "")
		if !ok {
			return false
		}
		if v < 0 && v != object.InvalidEntriesRead {
			c.reply.Error("ERR value for ENTRIESREAD must be positive or -1")
			return false
		}
		entriesRead = v
		return true
	}
	switch op {
	case "create":
		for i := 5; i < len(args); {
			switch {
			case eqFold(args[i], "mkstream"):
				mkstream = true
				i++
			case eqFold(args[i], "entriesread") && i+1 < len(args):
				if !readEntries(args[i+1]) {
					return
				}
				i += 2
			default:
				c.subSyntaxError(args)
				return
			}
		}
		if len(args) > 8 && mkstream {
			c.subSyntaxError(args)
			return
		}
	case "setid":
		for i := 5; i < len(args); i += 2 {
			if !eqFold(args[i], "entriesread") || i+1 >= len(args) {
				c.subSyntaxError(args)
				return
			}
			if !readEntries(args[i+1]) {
				return
			}
		}
	}
	// As Redis 7.0: a call whose options parse but whose length does not
	// fit is a syntax error only once the key (and group) are found.
	lateSyntaxErr := (op == "create" && len(args) > 8) || (op == "setid" && len(args) != 5 && len(args) != 7)
	key, grp := args[2], args[3]
	var mk func() shard.Object
	if mkstream {
		mk = newStream
	}
	signal := false
	err := c.ks.Unwatched().Change(key, shard.KindStream, mk, func(o shard.Object, now int64, emit cache.Emit) {
		s := asStream(o)
		if s == nil {
			c.reply.Error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
			return
		}
		created := s.Fresh()
		g := s.Group(grp)
		if g == nil && (op == "setid" || op == "createconsumer" || op == "delconsumer") {
			c.reply.Error("NOGROUP No such consumer group '" + groupKey(grp) + "' for key name '" + groupKey(key) + "'")
			return
		}
		if lateSyntaxErr {
			c.subSyntaxError(args)
			return
		}
		name := persistence.AppendItem(nil, grp)
		switch op {
		case "create":
			var id object.StreamID
			if len(args[4]) == 1 && args[4][0] == '$' {
				id = s.LastID()
			} else {
				var ok bool
				if id, ok = c.streamID(args[4]); !ok {
					return // a stream just created goes again (Fresh)
				}
			}
			if created { // MKSTREAM: a new key, which Redis signals to WATCH
				emit(cache.TouchWatch, nil, 0)
				s.SetID(s.LastID(), s.EntriesAdded(), s.MaxDeleted())
				emit(object.OpXSetID, object.AppendIDItem(object.AppendIDItem(nil, s.LastID()), s.MaxDeleted()), int64(s.EntriesAdded()))
			}
			if s.CreateGroup(grp, id, entriesRead) == nil {
				c.reply.Error("BUSYGROUP Consumer Group name already exists")
				return
			}
			emit(object.OpXGroupCreate, object.AppendIDItem(name, id), entriesRead)
			c.ks.Notify(pubsub.Stream, "xgroup-create", c.ks.DB(), key)
			c.reply.OK()
		case "setid":
			var id object.StreamID
			if len(args[4]) == 1 && args[4][0] == '$' {
				id = s.LastID()
			} else {
				var ok bool
				if id, _, ok = parseStreamID(args[4], 0, false, false); !ok {
					c.reply.Error(errInvalidStreamID)
					return
				}
			}
			g.LastID, g.EntriesRead = id, entriesRead
			emit(object.OpXGroupSetID, object.AppendIDItem(name, id), entriesRead)
			c.ks.Notify(pubsub.Stream, "xgroup-setid", c.ks.DB(), key)
			c.reply.OK()
		case "destroy":
			if g == nil {
				c.reply.Int(0)
				return
			}
			s.DestroyGroup(grp)
			emit(object.OpXGroupDestroy, name, 0)
			c.ks.Notify(pubsub.Stream, "xgroup-destroy", c.ks.DB(), key)
			c.reply.Int(1)
			signal = true
		case "createconsumer":
			cons, created := g.CreateConsumer(args[4], now)
			if created {
				logDelivery(g, false, claimRecord(nil, g, cons, now), emit)
				c.ks.Notify(pubsub.Stream, "xgroup-createconsumer", c.ks.DB(), key)
			}
			c.reply.Int(b2i(created))
		case "delconsumer":
			n := g.DelConsumer(args[4])
			if n >= 0 {
				emit(object.OpXDelConsumer, persistence.AppendItem(name, args[4]), 0)
				c.ks.Notify(pubsub.Stream, "xgroup-delconsumer", c.ks.DB(), key)
			}
			c.reply.Int(int64(max(n, 0)))
		}
	})
	if c.replyErr(err) {
		return
	}
	if signal {
		c.streamReady(key)
	}
}

func lowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		out[i] = ch
	}
	return out
}

func cmdXAck(c *Client, args [][]byte) {
	err := c.ks.Unwatched().Change(args[1], shard.KindStream, nil, func(o shard.Object, now int64, emit cache.Emit) {
		s := asStream(o)
		var g *object.Group
		if s != nil {
			g = s.Group(args[2])
		}
		if g == nil {
			c.reply.Int(0)
			return
		}
		var idsArr [16]object.StreamID
		ids := idsArr[:0]
		for _, a := range args[3:] {
			id, ok := c.streamID(a)
			if !ok {
				return
			}
			ids = append(ids, id)
		}
		n := 0
		body := persistence.AppendItem(c.buf[:0], args[2]) // the log copies it
		for _, id := range ids {
			if g.Ack(id) {
				n++
				body = object.AppendIDItem(body, id)
			}
		}
		if n > 0 {
			emit(object.OpXAck, body, 0)
		}
		c.buf = body
		c.reply.Int(int64(n))
	})
	c.replyErr(err)
}

func cmdXPending(c *Client, args [][]byte) {
	summary := len(args) == 3
	if !summary && (len(args) < 6 || len(args) > 9) {
		c.reply.Error(errSyntax)
		return
	}
	var start, end object.StreamID
	var count, minIdle int64
	var consumer []byte
	if !summary {
		si := 3
		if eqFold(args[3], "idle") {
			var ok bool
			if minIdle, ok = c.int64Arg(args[4], ""); !ok {
				return
			}
			if len(args) < 8 {
				c.reply.Error(errSyntax)
				return
			}
			si += 2
		}
		var ok bool
		if count, ok = c.int64Arg(args[si+2], ""); !ok {
			return
		}
		count = max(count, 0)
		if start, ok = c.rangeStart(args[si]); !ok {
			return
		}
		if end, ok = c.rangeEnd(args[si+1]); !ok {
			return
		}
		if si+3 < len(args) {
			consumer = args[si+3]
		}
	}
	err := c.ks.ReadLookup().View(args[1], shard.KindStream, func(o shard.Object, now int64) {
		s := asStream(o)
		var g *object.Group
		if s != nil {
			g = s.Group(args[2])
		}
		if g == nil {
			c.reply.Error("NOGROUP No such key '" + groupKey(args[1]) + "' or consumer group '" + groupKey(args[2]) + "'")
			return
		}
		if summary {
			c.reply.Array(4)
			c.reply.Int(int64(g.PendingLen()))
			first, ok := g.FirstPending()
			if !ok {
				c.reply.Null()
				c.reply.Null()
				c.reply.NullArray()
				return
			}
			last, _ := g.LastPending()
			c.replyStreamID(first)
			c.replyStreamID(last)
			at, n := c.reply.Len(), 0
			for _, cons := range g.Consumers() {
				if cons.Pending() == 0 {
					continue
				}
				c.reply.Array(2)
				c.reply.BulkString(cons.Name)
				var buf [24]byte
				c.reply.Bulk(appendInt(buf[:0], int64(cons.Pending())))
				n++
			}
			c.reply.insertArray(at, n)
			return
		}
		var cons *object.Consumer
		if consumer != nil {
			if cons = g.Consumer(consumer); cons == nil {
				c.reply.Array(0)
				return
			}
		}
		at, n := c.reply.Len(), 0
		emitOne := func(p *object.Pending) bool {
			if count == 0 || end.Less(p.ID) {
				return false
			}
			if minIdle != 0 && now-p.Time < minIdle {
				return true
			}
			n++
			count--
			c.reply.Array(4)
			c.replyStreamID(p.ID)
			if owner := g.Owner(p); owner != nil {
				c.reply.BulkString(owner.Name)
			} else {
				c.reply.BulkString("")
			}
			c.reply.Int(max(now-p.Time, 0))
			c.reply.Int(p.Count)
			return true
		}
		if cons != nil {
			cons.EachPending(start, func(id object.StreamID) bool {
				if p := g.FindPending(id); p != nil {
					return emitOne(p)
				}
				return true
			})
		} else {
			g.EachPending(start, emitOne)
		}
		c.reply.insertArray(at, n)
	})
	c.replyErr(err)
}

// claimLog collects what a claim changed, for the log.
type claimLog struct {
	acked   []byte // ids removed from the PEL
	claimed []byte // pending items
}

func (l *claimLog) emit(g *object.Group, cons *object.Consumer, now int64, emit cache.Emit) {
	if len(l.acked) > 0 {
		emit(object.OpXAck, append(persistence.AppendItem(nil, []byte(g.Name)), l.acked...), 0)
	}
	if cons != nil && len(l.claimed) > 0 {
		logDelivery(g, false, append(claimRecord(nil, g, cons, now), l.claimed...), emit)
	}
}

func cmdXClaim(c *Client, args [][]byte) {
	err := c.ks.Unwatched().Change(args[1], shard.KindStream, nil, func(o shard.Object, now int64, emit cache.Emit) {
		s := asStream(o)
		var g *object.Group
		if s != nil {
			g = s.Group(args[2])
		}
		if g == nil {
			c.reply.Error("NOGROUP No such key '" + groupKey(args[1]) + "' or consumer group '" + groupKey(args[2]) + "'")
			return
		}
		minIdle, ok := c.int64Arg(args[4], "ERR Invalid min-idle-time argument for XCLAIM")
		if !ok {
			return
		}
		minIdle = max(minIdle, 0)
		j := 5
		var ids []object.StreamID
		for ; j < len(args); j++ {
			id, _, ok := parseStreamID(args[j], 0, true, false)
			if !ok {
				break
			}
			ids = append(ids, id)
		}
		var force, justID bool
		retry, deliveryTime := int64(-1), int64(-1)
		var lastID object.StreamID
		for ; j < len(args); j++ {
			more := len(args) - 1 - j
			opt := args[j]
			switch {
			case eqFold(opt, "force"):
				force = true
			case eqFold(opt, "justid"):
				justID = true
			case eqFold(opt, "idle") && more > 0:
				j++
				v, ok := c.int64Arg(args[j], "ERR Invalid IDLE option argument for XCLAIM")
				if !ok {
					return
				}
				deliveryTime = now - v
			case eqFold(opt, "time") && more > 0:
				j++
				v, ok := c.int64Arg(args[j], "ERR Invalid TIME option argument for XCLAIM")
				if !ok {
					return
				}
				deliveryTime = v
			case eqFold(opt, "retrycount") && more > 0:
				j++
				v, ok := c.int64Arg(args[j], "ERR Invalid RETRYCOUNT option argument for XCLAIM")
				if !ok {
					return
				}
				retry = v
			case eqFold(opt, "lastid") && more > 0:
				j++
				id, ok := c.streamID(args[j])
				if !ok {
					return
				}
				lastID = id
			default:
				c.reply.Error("ERR Unrecognized XCLAIM option '" + sanitize(opt, 1<<20) + "'")
				return
			}
		}
		if g.LastID.Less(lastID) {
			g.LastID = lastID
			emit(object.OpXGroupSetID, object.AppendIDItem(persistence.AppendItem(nil, args[2]), lastID), g.EntriesRead)
		}
		if deliveryTime == -1 || deliveryTime < 0 || deliveryTime > now {
			deliveryTime = now
		}
		var cons *object.Consumer
		var log claimLog
		at, n := c.reply.Len(), 0
		for _, id := range ids {
			p := g.FindPending(id)
			if !s.Exists(id) {
				if p != nil {
					g.Ack(id)
					log.acked = object.AppendIDItem(log.acked, id)
				}
				continue
			}
			forced := false
			if p == nil {
				if !force {
					continue
				}
				forced = true
			} else if minIdle != 0 && now-p.Time < minIdle {
				continue
			}
			if cons == nil {
				cons = consumerFor(c.ks, g, args[1], args[3], now)
			}
			cnt := int64(1) // a NACK FORCE creates starts at 1
			if !forced {
				cnt = p.Count
			}
			if retry >= 0 {
				cnt = retry
			} else if !justID {
				cnt++
			}
			g.Assign(cons, id, deliveryTime, cnt)
			log.claimed = object.AppendPendingItem(log.claimed, id, deliveryTime, cnt)
			if justID {
				c.replyStreamID(id)
			} else if !s.Get(id, func(e *object.StreamEntry) { replyEntry(&c.reply, e) }) {
				c.reply.Null()
			}
			n++
		}
		c.reply.insertArray(at, n)
		log.emit(g, cons, now, emit)
	})
	c.replyErr(err)
}

func cmdXAutoClaim(c *Client, args [][]byte) {
	minIdle, ok := c.int64Arg(args[4], "ERR Invalid min-idle-time argument for XAUTOCLAIM")
	if !ok {
		return
	}
	minIdle = max(minIdle, 0)
	start, ok := c.rangeStart(args[5])
	if !ok {
		return
	}
	count, justID := int64(100), false
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case eqFold(args[j], "count") && more > 0:
			v, ok := cache.ParseInt(args[j+1])
			if !ok || v < 1 || v > (1<<63-1)/16 {
				c.reply.Error("ERR COUNT must be > 0")
				return
			}
			count = v
			j++
		case eqFold(args[j], "justid"):
			justID = true
		default:
			c.reply.Error(errSyntax)
			return
		}
	}
	err := c.ks.Unwatched().Change(args[1], shard.KindStream, nil, func(o shard.Object, now int64, emit cache.Emit) {
		s := asStream(o)
		var g *object.Group
		if s != nil {
			g = s.Group(args[2])
		}
		if g == nil {
			c.reply.Error("NOGROUP No such key '" + groupKey(args[1]) + "' or consumer group '" + groupKey(args[2]) + "'")
			return
		}
		if count > 1<<46/16 { // Redis allocates count IDs up front; this is where that fails on Linux
			c.reply.Error("ERR Insufficient memory, failed allocating transient memory, COUNT too high.")
			return
		}
		var cons *object.Consumer
		var log claimLog
		var deleted []object.StreamID
		type claim struct {
			id  object.StreamID
			cnt int64
		}
		var claims []claim
		attempts := count * 10
		next := object.StreamID{}
		left := count
		g.EachPending(start, func(p *object.Pending) bool {
			if attempts == 0 || left == 0 {
				next = p.ID
				return false
			}
			attempts--
			if !s.Exists(p.ID) {
				deleted = append(deleted, p.ID)
				left-- // COUNT bounds the reply, deleted IDs included
				return true
			}
			if minIdle != 0 && now-p.Time < minIdle {
				return true
			}
			cnt := p.Count
			if !justID {
				cnt++
			}
			claims = append(claims, claim{p.ID, cnt})
			left--
			return true
		})
		// apply after the walk (the PEL is not changed while it is walked)
		for _, id := range deleted {
			g.Ack(id)
			log.acked = object.AppendIDItem(log.acked, id)
		}
		c.reply.Array(3)
		c.replyStreamID(next)
		c.reply.Array(len(claims))
		for _, cl := range claims {
			if cons == nil {
				cons = consumerFor(c.ks, g, args[1], args[3], now)
			}
			g.Assign(cons, cl.id, now, cl.cnt)
			log.claimed = object.AppendPendingItem(log.claimed, cl.id, now, cl.cnt)
			if justID {
				c.replyStreamID(cl.id)
			} else {
				s.Get(cl.id, func(e *object.StreamEntry) { replyEntry(&c.reply, e) })
			}
		}
		c.reply.Array(len(deleted))
		for _, id := range deleted {
			c.replyStreamID(id)
		}
		log.emit(g, cons, now, emit)
	})
	c.replyErr(err)
}
