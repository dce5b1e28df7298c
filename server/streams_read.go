package server

import (
	"encoding/binary"

	"fastcache/cache"
	"fastcache/object"
	"fastcache/shard"
)

// XREAD and XREADGROUP: served at once when a stream has entries after the
// ID asked for (or, for a group, history from the consumer's pending
// list), else with BLOCK the client waits (server/blocking.go) until XADD
// adds to one of its streams.

// xreadDefaultBlockedCount is the COUNT of a blocked XREAD without one
// (Redis's XREAD_BLOCKED_DEFAULT_COUNT).
const xreadDefaultBlockedCount = 1000

// xreadReq is a parsed XREAD or XREADGROUP. Its byte slices alias the
// request; a blocked client gets copies (xreadBlock).
type xreadReq struct {
	group, consumer []byte // nil: XREAD
	count           int64  // 0: no limit
	noack           bool
	timeout         int64 // ms; -1: no BLOCK, 0: forever
	keys            [][]byte
	ids             []object.StreamID // object.MaxStreamID for ">"
	// seen is each stream's last ID when the command looked at it (0-0:
	// no stream). A blocked read is served as Redis serves a woken one
	// (any last ID past the one it waits for, even with the entries past
	// it deleted) only once the last ID moved; until then, as the
	// command itself, only by entries past it.
	seen []object.StreamID
}

func cmdXRead(c *Client, args [][]byte) {
	xreadgroup := len(args[0]) == 10
	q := xreadReq{timeout: -1}
	var keysArr [4][]byte // most reads name few streams: no allocation
	var idsArr, seenArr [4]object.StreamID
	streamsArg := 0
	for i := 1; i < len(args); i++ {
		more := len(args) - i - 1
		o := args[i]
		switch {
		case eqFold(o, "block") && more > 0:
			if c.scriptRun != nil {
				c.reply.Error("ERR " + sanitize(args[0], 128) + " command is not allowed with BLOCK option from scripts")
				return
			}
			i++
			t, ok := cache.ParseInt(args[i])
			if !ok {
				c.reply.Error(errTimeoutNotInt)
				return
			}
			if t < 0 {
				c.reply.Error(errTimeoutNegative)
				return
			}
			q.timeout = t
		case eqFold(o, "count") && more > 0:
			i++
			n, ok := c.int64Arg(args[i], "")
			if !ok {
				return
			}
			q.count = max(n, 0)
		case eqFold(o, "streams") && more > 0:
			streamsArg = i + 1
			if (len(args)-streamsArg)%2 != 0 {
				// (7.0 says XREAD and '$' for XREADGROUP too)
				c.reply.Error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
				return
			}
			i = len(args)
		case eqFold(o, "group") && more >= 2:
			if !xreadgroup {
				c.reply.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return
			}
			q.group, q.consumer = args[i+1], args[i+2]
			i += 2
		case eqFold(o, "noack"):
			if !xreadgroup {
				c.reply.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return
			}
			q.noack = true
		default:
			c.reply.Error(errSyntax)
			return
		}
	}
	if streamsArg == 0 {
		c.reply.Error(errSyntax)
		return
	}
	if xreadgroup && q.group == nil {
		c.reply.Error("ERR Missing GROUP option for XREADGROUP")
		return
	}
	n := (len(args) - streamsArg) / 2
	if n <= len(keysArr) {
		q.keys, q.ids, q.seen = keysArr[:n], idsArr[:n], seenArr[:n]
	} else {
		q.keys, q.ids, q.seen = make([][]byte, n), make([]object.StreamID, n), make([]object.StreamID, n)
	}
	for i := 0; i < n; i++ {
		key, idArg := args[streamsArg+i], args[streamsArg+n+i]
		q.keys[i] = key
		exists, hasGroup := false, false
		var last object.StreamID
		err := c.ks.View(key, shard.KindStream, func(o shard.Object, now int64) {
			if s := asStream(o); s != nil {
				exists, last = true, s.LastID()
				hasGroup = q.group != nil && s.Group(q.group) != nil
			}
		})
		if c.replyErr(err) {
			return
		}
		q.seen[i] = last
		if q.group != nil && (!exists || !hasGroup) {
			c.reply.Error("NOGROUP No such key '" + sanitize(key, 1<<20) + "' or consumer group '" + sanitize(q.group, 1<<20) + "' in XREADGROUP with GROUP option")
			return
		}
		switch {
		case len(idArg) == 1 && idArg[0] == '$':
			if xreadgroup {
				c.reply.Error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
				return
			}
			q.ids[i] = last
		case len(idArg) == 1 && idArg[0] == '>':
			if !xreadgroup {
				c.reply.Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
				return
			}
			q.ids[i] = object.MaxStreamID
		default:
			id, ok := c.streamID(idArg)
			if !ok {
				return
			}
			q.ids[i] = id
		}
	}

	at, served := c.reply.Len(), 0
	for i, key := range q.keys {
		if q.group != nil {
			c.ks.Unwatched().Change(key, shard.KindStream, nil, func(o shard.Object, now int64, emit cache.Emit) {
				if xreadGroupSync(c.ks, &c.reply, asStream(o), &q, i, now, emit, &c.buf) {
					served++
				}
			})
			continue
		}
		c.ks.View(key, shard.KindStream, func(o shard.Object, now int64) {
			s := asStream(o)
			if s == nil || s.Length() == 0 || !q.ids[i].Less(s.LastValidID()) {
				return
			}
			served++
			start, _ := q.ids[i].Incr()
			if c.reply.proto < 3 {
				c.reply.Array(2)
			}
			c.reply.Bulk(key)
			replyRange(&c.reply, s, start, object.MaxStreamID, q.count, false)
		})
	}
	if served > 0 {
		if c.reply.proto < 3 {
			c.reply.insertArray(at, served)
		} else {
			c.reply.insertHeader(at, '%', served)
		}
		return
	}
	if q.timeout < 0 {
		c.reply.NullArray()
		return
	}
	c.xreadBlock(q)
}

// xreadGroupSync serves stream i of an XREADGROUP at once if it can: the
// consumer's history for an ID other than ">", or the entries after the
// group's last ID. It writes [key, entries] and reports whether it did.
func xreadGroupSync(ks cache.Keyspace, r *Reply, s *object.Stream, q *xreadReq, i int, now int64, emit cache.Emit, scratch *[]byte) bool {
	if s == nil {
		return false
	}
	g := s.Group(q.group)
	if g == nil {
		return false
	}
	gt := q.ids[i]
	serve, history := false, false
	if gt != object.MaxStreamID {
		serve, history = true, true
	} else if s.Length() > 0 && g.LastID.Less(s.LastValidID()) {
		serve, gt = true, g.LastID
	}
	if !serve {
		return false // (Redis 7.0 creates the consumer only when it serves it)
	}
	cons := consumerFor(ks, g, q.keys[i], q.consumer, now)
	if r.proto < 3 {
		r.Array(2)
	}
	r.Bulk(q.keys[i])
	start, _ := gt.Incr()
	rec := claimRecord((*scratch)[:0], g, cons, now)
	moved := false
	if history {
		rec = serveHistory(r, s, g, cons, start, q.count, now, rec)
	} else {
		rec, moved = serveNew(r, s, g, cons, start, q.count, q.noack, now, rec)
	}
	logDelivery(g, moved, rec, emit)
	*scratch = rec
	return true
}

// serveNew delivers the entries from start to the group's consumer (at
// most count, 0: all), moving the group's last ID, and with a pending
// entry for each unless noack. It appends the pending items to rec (an
// OpXClaim record, claimRecord) and reports whether the group moved.
func serveNew(r *Reply, s *object.Stream, g *object.Group, cons *object.Consumer, start object.StreamID, count int64, noack bool, now int64, rec []byte) (body []byte, moved bool) {
	body = rec
	at, n := r.Len(), int64(0)
	s.Range(start, object.MaxStreamID, false, func(e *object.StreamEntry) bool {
		if s.Delivered(g, e.ID) {
			moved = true
		}
		replyEntry(r, e)
		if !noack {
			g.Assign(cons, e.ID, now, 1)
			body = object.AppendPendingItem(body, e.ID, now, 1)
		}
		n++
		return count <= 0 || n < count
	})
	r.insertArray(at, int(n))
	return body, moved
}

// serveHistory replies with the consumer's pending entries from start (a
// deleted entry as [id, nil]), counting a delivery for each (appended to
// rec, as serveNew).
func serveHistory(r *Reply, s *object.Stream, g *object.Group, cons *object.Consumer, start object.StreamID, count int64, now int64, rec []byte) (body []byte) {
	body = rec
	at, n := r.Len(), int64(0)
	cons.EachPending(start, func(id object.StreamID) bool {
		if count > 0 && n >= count {
			return false
		}
		n++
		if !s.Get(id, func(e *object.StreamEntry) { replyEntry(r, e) }) {
			r.Array(2)
			replyStreamID(r, id)
			r.NullArray()
			return true
		}
		if p := g.FindPending(id); p != nil {
			p.Time = now
			p.Count++
			body = object.AppendPendingItem(body, id, now, p.Count)
		}
		return true
	})
	r.insertArray(at, int(n))
	return body
}

// claimRecord starts an OpXClaim record in dst: cons of g, seen at now;
// the pending items follow (object.AppendPendingItem).
func claimRecord(dst []byte, g *object.Group, cons *object.Consumer, now int64) []byte {
	dst = appendItemString(dst, g.Name)
	dst = appendItemString(dst, cons.Name)
	return object.AppendIntItem(dst, now)
}

func appendItemString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// logDelivery logs what a delivery changed: the group's position if it
// moved, and rec (claimRecord: the consumer seen now, with the entries it
// now owns).
func logDelivery(g *object.Group, moved bool, rec []byte, emit cache.Emit) {
	if moved {
		var tmp [64]byte
		emit(object.OpXGroupSetID, object.AppendIDItem(appendItemString(tmp[:0], g.Name), g.LastID), g.EntriesRead)
	}
	emit(object.OpXClaim, rec, 0)
}
