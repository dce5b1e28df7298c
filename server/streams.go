package server

import (
	"strconv"

	"fastcache/cache"
	"fastcache/object"
	"fastcache/persistence"
	"fastcache/pubsub"
	"fastcache/shard"
)

// Stream commands, Redis 7.0's set: entries here (XADD, XRANGE, XREVRANGE,
// XLEN, XDEL, XTRIM, XSETID, XREAD), consumer groups in
// streams_groups.go, XINFO in streams_info.go. Every write logs its effect
// (object/stream_records.go): replay and replicas never re-evaluate.

func init() {
	const w, r, oom, fast = flagWrite, flagReadOnly, flagDenyOOM, flagFast
	x := func(name string, arity int, f flags, since, summary, complexity, args string, fn func(*Client, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: f, FirstKey: 1, LastKey: 1, Step: 1, Group: "stream",
			Since: since, Summary: summary, Complexity: complexity, Args: args, Handler: fn}
	}
	const trimArg = "[trim=(strategy=(MAXLEN|MINID) [operator=(=|~)] threshold:string [LIMIT count:integer])]"
	xread := x("xread", -4, r|flagBlocking, "5.0.0", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
		"For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
		"[COUNT count:integer] [BLOCK milliseconds:integer] STREAMS streams=(key:key... id:string...)", cmdXRead)
	xreadgroup := x("xreadgroup", -7, w|flagBlocking, "5.0.0", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
		"For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
		"GROUP group_consumer=(group:string consumer:string) [COUNT count:integer] [BLOCK milliseconds:integer] [NOACK] STREAMS streams=(key:key... id:string...)", cmdXRead)
	xread.FirstKey, xread.LastKey, xreadgroup.FirstKey, xreadgroup.LastKey = 0, 0, 0, 0 // keys follow STREAMS
	register(
		x("xadd", -5, w|oom|fast, "5.0.0", "Appends a new entry to a stream", "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
			"key:key [NOMKSTREAM] "+trimArg+" id_or_auto=(*|id:string) data=(field:string value:string)...", cmdXAdd),
		x("xrange", -4, r, "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval",
			"O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
			"key:key start:string end:string [COUNT count:integer]", cmdXRange),
		x("xrevrange", -4, r, "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
			"O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
			"key:key end:string start:string [COUNT count:integer]", cmdXRevRange),
		x("xlen", 2, r|fast, "5.0.0", "Return the number of entries in a stream", "O(1)", "key:key", cmdXLen),
		x("xdel", -3, w|fast, "5.0.0", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
			"O(1) for each single item to delete in the stream, regardless of the stream size.", "key:key id:string...", cmdXDel),
		x("xtrim", -4, w, "5.0.0", "Trims the stream to (approximately if '~' is passed) a certain size", "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
			"key:key trim=(strategy=(MAXLEN|MINID) [operator=(=|~)] threshold:string [LIMIT count:integer])", cmdXTrim),
		x("xsetid", -3, w|oom|fast, "5.0.0", "An internal command for replicating stream values", "O(1)",
			"key:key last-id:string [ENTRIESADDED entries_added:integer] [MAXDELETEDID max_deleted_entry_id:string]", cmdXSetID),
		xread, xreadgroup,
	)
}

const errInvalidStreamID = "ERR Invalid stream ID specified as stream command argument"

func newStream() shard.Object { return object.NewStream() }

func asStream(o shard.Object) *object.Stream {
	if o == nil {
		return nil
	}
	return o.(*object.Stream)
}

// ---- parsing ----

// streamUint parses an unsigned number as Redis's string2ull does: a
// canonical integer, or else whatever strtoull accepts whole (leading
// spaces, a sign: "-0" is 0, " -1" wraps around).
func streamUint(b []byte) (uint64, bool) {
	if v, ok := cache.ParseInt(b); ok {
		if v < 0 {
			return 0, false
		}
		return uint64(v), true
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (1<<64-1)/10 || v*10 > 1<<64-1-uint64(c-'0') {
			return 0, false // ERANGE
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseStreamID parses an ID as Redis's streamGenericParseIDOrReply: "-"
// and "+" (unless strict), ms-seq, or ms alone (seq = missingSeq); with
// seqAuto, "ms-*" leaves the sequence to pick (seqGiven false).
func parseStreamID(b []byte, missingSeq uint64, strict, seqAuto bool) (id object.StreamID, seqGiven, ok bool) {
	if len(b) > 127 {
		return id, false, false
	}
	for i, ch := range b { // a C string ends at its first NUL
		if ch == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if strict {
			return id, false, false
		}
		if b[0] == '-' {
			return object.StreamID{}, true, true
		}
		return object.MaxStreamID, true, true
	}
	ms, rest, dash := b, []byte(nil), false
	for i, ch := range b {
		if ch == '-' {
			ms, rest, dash = b[:i], b[i+1:], true
			break
		}
	}
	var ok1 bool
	if id.Ms, ok1 = streamUint(ms); !ok1 {
		return id, false, false
	}
	seqGiven = true
	switch {
	case !dash:
		id.Seq = missingSeq
	case seqAuto && len(rest) == 1 && rest[0] == '*':
		seqGiven = false
	default:
		if id.Seq, ok1 = streamUint(rest); !ok1 {
			return id, false, false
		}
	}
	return id, seqGiven, true
}

// streamID parses a strict ID (no "-" or "+"), replying with the error.
func (c *Client) streamID(b []byte) (object.StreamID, bool) {
	id, _, ok := parseStreamID(b, 0, true, false)
	if !ok {
		c.reply.Error(errInvalidStreamID)
	}
	return id, ok
}

// intervalID parses a range bound: an ID, "-", "+", or "(" ID for an
// exclusive bound (returned with excl set), replying with the error.
func (c *Client) intervalID(b []byte, missingSeq uint64) (id object.StreamID, excl, ok bool) {
	if len(b) > 1 && b[0] == '(' {
		id, _, ok = parseStreamID(b[1:], missingSeq, true, false)
		excl = true
	} else {
		id, _, ok = parseStreamID(b, missingSeq, false, false)
	}
	if !ok {
		c.reply.Error(errInvalidStreamID)
	}
	return id, excl, ok
}

// rangeStart and rangeEnd parse inclusive bounds from possibly exclusive ones.
func (c *Client) rangeStart(b []byte) (object.StreamID, bool) {
	id, excl, ok := c.intervalID(b, 0)
	if ok && excl {
		if id, ok = id.Incr(); !ok {
			c.reply.Error("ERR invalid start ID for the interval")
		}
	}
	return id, ok
}

func (c *Client) rangeEnd(b []byte) (object.StreamID, bool) {
	id, excl, ok := c.intervalID(b, 1<<64-1)
	if ok && excl {
		if id, ok = id.Decr(); !ok {
			c.reply.Error("ERR invalid end ID for the interval")
		}
	}
	return id, ok
}

// int64Arg parses an integer argument, replying with msg (Redis's generic
// text when empty) if it is not one.
func (c *Client) int64Arg(b []byte, msg string) (int64, bool) {
	v, ok := cache.ParseInt(b)
	if !ok {
		if msg == "" {
			msg = errNotInt
		}
		c.reply.Error(msg)
	}
	return v, ok
}

// ---- replies ----

func (c *Client) replyStreamID(id object.StreamID) { replyStreamID(&c.reply, id) }

func replyStreamID(r *Reply, id object.StreamID) {
	var buf [48]byte
	r.Bulk(object.AppendID(buf[:0], id))
}

// replyEntry writes [id, [field, value, ...]].
func replyEntry(r *Reply, e *object.StreamEntry) {
	r.Array(2)
	replyStreamID(r, e.ID)
	r.Array(2 * e.NF)
	e.Each(func(f, v []byte) {
		r.Bulk(f)
		r.Bulk(v)
	})
}

// insertHeader inserts an aggregate header of n elements at position at
// of the reply (a length known only after the elements were written).
func (r *Reply) insertHeader(at int, kind byte, n int) {
	var tmp [24]byte
	h := append(tmp[:0], kind)
	h = strconv.AppendInt(h, int64(n), 10)
	h = append(h, '\r', '\n')
	r.b = append(r.b, h...)
	copy(r.b[at+len(h):], r.b[at:len(r.b)-len(h)])
	copy(r.b[at:], h)
}

// insertArray and insertMap insert an array or map header at at.
func (r *Reply) insertArray(at, n int) { r.insertHeader(at, '*', n) }

func (r *Reply) insertMap(at, n int) {
	if r.proto >= 3 {
		r.insertHeader(at, '%', n)
		return
	}
	r.insertHeader(at, '*', 2*n)
}

// replyRange writes the live entries of s from start to end (backwards
// with rev), at most count (0: all), as an array.
func replyRange(r *Reply, s *object.Stream, start, end object.StreamID, count int64, rev bool) {
	at, n := r.Len(), 0
	s.Range(start, end, rev, func(e *object.StreamEntry) bool {
		replyEntry(r, e)
		n++
		return count <= 0 || int64(n) < count
	})
	r.insertArray(at, n)
}

// ---- XADD / XTRIM ----

// addTrimArgs are XADD's and XTRIM's parsed options.
type addTrimArgs struct {
	trim       object.TrimArgs
	id         object.StreamID
	idGiven    bool
	seqGiven   bool
	noMkStream bool
}

// parseAddTrim parses the options from args[2] as Redis's
// streamParseAddOrTrimArgsOrReply; for XADD it returns the position of the
// ID, for XTRIM len(args). -1: replied with an error.
func (c *Client) parseAddTrim(args [][]byte, xadd bool) (addTrimArgs, int) {
	var a addTrimArgs
	i := 2
	limitGiven := false
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			goto done
		case eqFold(opt, "maxlen") && more > 0, eqFold(opt, "minid") && more > 0:
			if a.trim.Strategy != object.TrimNone {
				c.reply.Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
				return a, -1
			}
			a.trim.Approx = false
			if next := args[i+1]; more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				a.trim.Approx = next[0] == '~'
				i++
			}
			if eqFold(opt, "maxlen") {
				v, ok := c.int64Arg(args[i+1], "")
				if !ok {
					return a, -1
				}
				if v < 0 {
					c.reply.Error("ERR The MAXLEN argument must be >= 0.")
					return a, -1
				}
				a.trim.Strategy, a.trim.MaxLen = object.TrimMaxLen, v
			} else {
				id, ok := c.streamID(args[i+1])
				if !ok {
					return a, -1
				}
				a.trim.Strategy, a.trim.MinID = object.TrimMinID, id
			}
			i++
		case eqFold(opt, "limit") && more > 0:
			v, ok := c.int64Arg(args[i+1], "")
			if !ok {
				return a, -1
			}
			if v < 0 {
				c.reply.Error("ERR The LIMIT argument must be >= 0.")
				return a, -1
			}
			a.trim.Limit, limitGiven = v, true
			i++
		case xadd && eqFold(opt, "nomkstream"):
			a.noMkStream = true
		case xadd:
			id, seqGiven, ok := parseStreamID(opt, 0, true, true)
			if !ok {
				c.reply.Error(errInvalidStreamID)
				return a, -1
			}
			a.id, a.idGiven, a.seqGiven = id, true, seqGiven
			goto done
		default:
			c.reply.Error(errSyntax)
			return a, -1
		}
	}
done:
	if a.trim.Limit != 0 && a.trim.Strategy == object.TrimNone {
		c.reply.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
		return a, -1
	}
	if !xadd && a.trim.Strategy == object.TrimNone {
		c.reply.Error("ERR syntax error, XTRIM must be called with a trimming strategy")
		return a, -1
	}
	if limitGiven {
		if !a.trim.Approx {
			c.reply.Error("ERR syntax error, LIMIT cannot be used without the special ~ option")
			return a, -1
		}
	} else if a.trim.Approx {
		a.trim.Limit = 100 * object.StreamNodeMaxEntries.Load()
		if a.trim.Limit <= 0 || a.trim.Limit > 10000 {
			a.trim.Limit = 10000
		}
	} else {
		a.trim.Limit = 0
	}
	return a, i
}

// logTrim logs what a trim removed.
func logTrim(res object.TrimResult, emit cache.Emit) {
	if !res.Changed {
		return
	}
	all := int64(0)
	if res.All {
		all = 1
	}
	emit(object.OpXTrim, object.AppendIDItem(nil, res.Below), all)
}

func cmdXAdd(c *Client, args [][]byte) {
	a, idpos := c.parseAddTrim(args, true)
	if idpos < 0 {
		return
	}
	if idpos >= len(args) { // only options: no ID (Redis: an arity error)
		c.reply.Error(errWrongArgs("xadd"))
		return
	}
	fields := args[idpos+1:]
	if len(fields) < 2 || len(fields)%2 == 1 {
		c.reply.Error(errWrongArgs("xadd"))
		return
	}
	if a.idGiven && a.seqGiven && a.id.IsZero() {
		c.reply.Error("ERR The ID specified in XADD must be greater than 0-0")
		return
	}
	mk := newStream
	if a.noMkStream {
		mk = nil
	}
	added := false
	err := c.ks.Change(args[1], shard.KindStream, mk, func(o shard.Object, now int64, emit cache.Emit) {
		s := asStream(o)
		if s == nil {
			c.reply.Null()
			return
		}
		fail := func(msg string) {
			c.reply.Error(msg)
			if s.Fresh() { // Redis leaves the stream it created
				s.SetID(s.LastID(), s.EntriesAdded(), s.MaxDeleted())
				emit(object.OpXSetID, object.AppendIDItem(object.AppendIDItem(nil, s.LastID()), s.MaxDeleted()), int64(s.EntriesAdded()))
			}
		}
		last := s.LastID()
		if last == object.MaxStreamID {
			fail("ERR The stream has exhausted the last possible ID, unable to add more items")
			return
		}
		var id object.StreamID
		switch {
		case !a.idGiven:
			id, _ = s.NextID(now)
		case a.seqGiven:
			id = a.id
		case a.id.Ms == last.Ms:
			if last.Seq == 1<<64-1 {
				fail("ERR The ID specified in XADD is equal or smaller than the target stream top item")
				return
			}
			id = object.StreamID{Ms: last.Ms, Seq: last.Seq + 1}
		default:
			id = object.StreamID{Ms: a.id.Ms}
		}
		if a.idGiven && !last.Less(id) {
			fail("ERR The ID specified in XADD is equal or smaller than the target stream top item")
			return
		}
		tot := 0
		for _, f := range fields {
			tot += len(f)
		}
		if tot > 1<<30 {
			fail("ERR Elements are too large to be stored")
			return
		}
		s.Add(id, fields)
		body := object.AppendIDItem(c.buf[:0], id) // the record is copied by the log
		for _, f := range fields {
			body = persistence.AppendItem(body, f)
		}
		c.buf = body
		emit(object.OpXAdd, body, 0)
		c.replyStreamID(id)
		added = true
		c.ks.Notify(pubsub.Stream, "xadd", c.ks.DB(), args[1])
		if a.trim.Strategy != object.TrimNone {
			res := s.Trim(a.trim)
			logTrim(res, emit)
			if res.Deleted > 0 {
				c.ks.Notify(pubsub.Stream, "xtrim", c.ks.DB(), args[1])
			}
		}
	})
	if c.replyErr(err) {
		return
	}
	if added {
		c.streamReady(args[1])
	}
}

func cmdXTrim(c *Client, args [][]byte) {
	a, i := c.parseAddTrim(args, false)
	if i < 0 {
		return
	}
	var deleted int64
	err := c.ks.Change(args[1], shard.KindStream, nil, func(o shard.Object, now int64, emit cache.Emit) {
		if s := asStream(o); s != nil {
			res := s.Trim(a.trim)
			logTrim(res, emit)
			deleted = res.Deleted
			if deleted > 0 {
				c.ks.Notify(pubsub.Stream, "xtrim", c.ks.DB(), args[1])
			}
		}
	})
	if !c.replyErr(err) {
		c.reply.Int(deleted)
	}
}

// ---- reading ----

func cmdXRange(c *Client, args [][]byte)    { xrange(c, args, false) }
func cmdXRevRange(c *Client, args [][]byte) { xrange(c, args, true) }

func xrange(c *Client, args [][]byte, rev bool) {
	startArg, endArg := args[2], args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, ok := c.rangeStart(startArg)
	if !ok {
		return
	}
	end, ok := c.rangeEnd(endArg)
	if !ok {
		return
	}
	count := int64(-1)
	for j := 4; j < len(args); j++ {
		if eqFold(args[j], "count") && j+1 < len(args) {
			if count, ok = c.int64Arg(args[j+1], ""); !ok {
				return
			}
			if count < 0 {
				count = 0
			}
			j++
			continue
		}
		c.reply.Error(errSyntax)
		return
	}
	err := c.ks.ReadLookup().View(args[1], shard.KindStream, func(o shard.Object, now int64) {
		s := asStream(o)
		switch {
		case s == nil:
			c.reply.Array(0)
		case count == 0:
			c.reply.NullArray()
		default:
			replyRange(&c.reply, s, start, end, max(count, 0), rev)
		}
	})
	c.replyErr(err)
}

func cmdXLen(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindStream, func(o shard.Object, now int64) {
		var n uint64
		if s := asStream(o); s != nil {
			n = s.Length()
		}
		c.reply.Int(int64(n))
	})
	c.replyErr(err)
}

func cmdXDel(c *Client, args [][]byte) {
	n := 0
	err := c.ks.Change(args[1], shard.KindStream, nil, func(o shard.Object, now int64, emit cache.Emit) {
		s := asStream(o)
		if s == nil {
			c.reply.Int(0)
			return
		}
		ids := make([]object.StreamID, 0, len(args)-2)
		for _, a := range args[2:] {
			id, ok := c.streamID(a)
			if !ok {
				return
			}
			ids = append(ids, id)
		}
		var body []byte
		for _, id := range ids {
			if s.Delete(id) {
				n++
				body = object.AppendIDItem(body, id)
			}
		}
		if n > 0 {
			emit(object.OpXDel, body, 0)
			c.ks.Notify(pubsub.Stream, "xdel", c.ks.DB(), args[1])
		}
		c.reply.Int(int64(n))
	})
	c.replyErr(err)
}

func cmdXSetID(c *Client, args [][]byte) {
	id, ok := c.streamID(args[2])
	if !ok {
		return
	}
	entriesAdded := int64(-1)
	var maxDel object.StreamID
	for i := 3; i < len(args); i += 2 {
		more := len(args) - 1 - i
		switch {
		case eqFold(args[i], "entriesadded") && more > 0:
			if entriesAdded, ok = c.int64Arg(args[i+1], ""); !ok {
				return
			}
			if entriesAdded < 0 {
				c.reply.Error("ERR entries_added must be positive")
				return
			}
		case eqFold(args[i], "maxdeletedid") && more > 0:
			if maxDel, ok = c.streamID(args[i+1]); !ok {
				return
			}
			if id.Less(maxDel) {
				c.reply.Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
		default:
			c.reply.Error(errSyntax)
			return
		}
	}
	err := c.ks.Unwatched().Change(args[1], shard.KindStream, nil, func(o shard.Object, now int64, emit cache.Emit) {
		s := asStream(o)
		if s == nil {
			c.reply.Error(errNoSuchKey)
			return
		}
		if s.Length() > 0 {
			if id.Less(s.LastValidID()) {
				c.reply.Error("ERR The ID specified in XSETID is smaller than the target stream top item")
				return
			}
			if entriesAdded != -1 && s.Length() > uint64(entriesAdded) {
				c.reply.Error("ERR The entries_added specified in XSETID is smaller than the target stream length")
				return
			}
		}
		added, md := s.EntriesAdded(), s.MaxDeleted()
		if entriesAdded != -1 {
			added = uint64(entriesAdded)
		}
		if !maxDel.IsZero() {
			md = maxDel
		}
		s.SetID(id, added, md)
		emit(object.OpXSetID, object.AppendIDItem(object.AppendIDItem(nil, id), md), int64(added))
		c.ks.Notify(pubsub.Stream, "xsetid", c.ks.DB(), args[1])
		c.reply.OK()
	})
	c.replyErr(err)
}
