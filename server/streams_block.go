package server

import (
	"fastcache/cache"
	"fastcache/object"
	"fastcache/shard"
)

// XREAD BLOCK and XREADGROUP BLOCK on the blocking machinery
// (blocking.go). A waiter is served when a stream it waits on gets an
// entry past its ID (XADD signals the key); an XREADGROUP waiter whose
// stream was deleted or replaced, or whose group was destroyed, is woken
// with Redis's error. A delivery to a group is logged like any
// XREADGROUP, and its reply waits for durability like any write.

// streamReady signals waiters on key (XADD to a stream that existed; a
// new stream is signalled by its creation; XGROUP DESTROY).
func (c *Client) streamReady(key []byte) { c.ks.Signal(key) }

// ready reports whether a blocked read waiting for entries past gt is
// served by s, whose last ID was seen when the read blocked. Redis serves
// a woken reader when the stream's last ID is past gt, even if the entries
// past it were deleted (an empty [key, []]: XADD and XDEL in one
// transaction), but it never blocks a reader it would serve at once, and
// the command serves only entries past gt: so until the last ID moves
// (an XADD since), only entries past gt serve (issue #5299).
func ready(s *object.Stream, gt, seen object.StreamID) bool {
	if s.LastID() != seen {
		return gt.Less(s.LastID())
	}
	return s.Length() > 0 && gt.Less(s.LastValidID())
}

func (c *Client) xreadBlock(req xreadReq) {
	if !c.mayBlock() {
		c.reply.NullArray() // MULTI/EXEC: as a timeout, at once
		return
	}
	// the request buffer is reused: keep copies
	q := &xreadReq{count: req.count, noack: req.noack, timeout: req.timeout,
		ids: append([]object.StreamID(nil), req.ids...), seen: append([]object.StreamID(nil), req.seen...),
		keys: make([][]byte, len(req.keys))}
	for i, k := range req.keys {
		q.keys[i] = append([]byte(nil), k...)
	}
	if req.group != nil {
		q.group, q.consumer = append([]byte(nil), req.group...), append([]byte(nil), req.consumer...)
	}
	count := q.count
	if count == 0 {
		count = xreadDefaultBlockedCount
	}
	try := func(ks cache.Keyspace, key []byte, r *Reply) blockResult {
		i := 0
		for j, k := range q.keys {
			if string(k) == string(key) {
				i = j
				break
			}
		}
		header := func() {
			if r.proto < 3 {
				r.Array(1)
				r.Array(2)
			} else {
				r.Map(1)
			}
			r.Bulk(key)
		}
		served := false
		if q.group == nil {
			ks.View(key, shard.KindStream, func(o shard.Object, now int64) {
				s := asStream(o)
				if s == nil || !ready(s, q.ids[i], q.seen[i]) {
					return
				}
				header()
				start, _ := q.ids[i].Incr()
				replyRange(r, s, start, object.MaxStreamID, count, false)
				served = true
			})
			if served {
				return blockServed
			}
			return blockNotReady
		}
		err := ks.Unwatched().Change(key, shard.KindStream, nil, func(o shard.Object, now int64, emit cache.Emit) {
			s := asStream(o)
			if s == nil {
				r.Error("UNBLOCKED the stream key no longer exists")
				served = true
				return
			}
			g := s.Group(q.group)
			if g == nil {
				r.Error("NOGROUP the consumer group this client was blocked on no longer exists")
				served = true
				return
			}
			if !ready(s, g.LastID, q.seen[i]) {
				return
			}
			cons := consumerFor(ks, g, key, q.consumer, now)
			header()
			start, _ := g.LastID.Incr()
			rec, moved := serveNew(r, s, g, cons, start, count, q.noack, now, claimRecord(nil, g, cons, now))
			logDelivery(g, moved, rec, emit)
			served = true
		})
		if err != nil { // the key holds another type now
			r.Error("UNBLOCKED the stream key no longer exists")
			served = true
		}
		if served {
			return blockServed
		}
		return blockNotReady
	}
	c.block(q.keys, msTimeout(q.timeout), try)
}
