package object

import (
	"encoding/binary"

	"fastcache/persistence"
	"fastcache/shard"
)

// Stream log records, in effect form: what a command changed, never the
// command to run again (an auto ID is logged as the ID chosen, a trim as
// the ID below which entries went, a delivery to a consumer group as the
// pending entries it created with their times and counts). IDs are 16
// bytes big-endian (ms, seq), numbers 8 bytes big-endian.
const (
	// OpXAdd adds an entry: items id, field, value, ... (the stream is
	// created if missing). It moves the last ID and entries-added.
	OpXAdd persistence.Op = 80
	// OpXTrim removes every entry below the item ID (Arg 1: every entry).
	OpXTrim persistence.Op = 81
	// OpXDel deletes the entries whose IDs are the items (XDEL).
	OpXDel persistence.Op = 82
	// OpXSetID sets the last ID and the max deleted ID (items) and
	// entries-added (Arg), creating the stream if missing: XSETID, an
	// empty stream's creation, the first record of a stream in a snapshot.
	OpXSetID persistence.Op = 83
	// OpXNodes appends whole nodes: items master ID, listpack, ... (a
	// snapshot, RENAME, COPY: the entries as they are laid out).
	OpXNodes persistence.Op = 84
	// OpXGroupCreate creates group (item 0) at last ID (item 1) with
	// entries-read Arg (-1: unknown).
	OpXGroupCreate persistence.Op = 85
	// OpXGroupSetID sets a group's last ID and entries-read (as create):
	// XGROUP SETID, and what XREADGROUP and XCLAIM LASTID moved.
	OpXGroupSetID persistence.Op = 86
	// OpXGroupDestroy removes the group named by the item.
	OpXGroupDestroy persistence.Op = 87
	// OpXClaim: items group, consumer, seen time, then one item per
	// pending entry: id | delivery time | delivery count (32 bytes). The
	// consumer is created if missing and gets the seen time; each entry
	// becomes its with that time and count. XREADGROUP deliveries, XCLAIM,
	// XAUTOCLAIM, XGROUP CREATECONSUMER, a snapshot's PELs.
	OpXClaim persistence.Op = 88
	// OpXAck removes IDs (items 1...) from group (item 0)'s PEL: XACK, and
	// the entries XCLAIM and XAUTOCLAIM found deleted.
	OpXAck persistence.Op = 89
	// OpXDelConsumer removes consumer (item 1) of group (item 0) with its
	// pending entries.
	OpXDelConsumer persistence.Op = 90
)

func init() {
	for op, name := range map[persistence.Op]string{
		OpXAdd: "xadd", OpXTrim: "xtrim", OpXDel: "xdel", OpXSetID: "xsetid", OpXNodes: "xnodes",
		OpXGroupCreate: "xgroupcreate", OpXGroupSetID: "xgroupsetid", OpXGroupDestroy: "xgroupdestroy",
		OpXClaim: "xclaim", OpXAck: "xack", OpXDelConsumer: "xdelconsumer",
	} {
		persistence.RegisterOp(op, name)
	}
	shard.RegisterApply(OpXAdd, applyXAdd)
	shard.RegisterApply(OpXTrim, applyXTrim)
	shard.RegisterApply(OpXDel, applyXDel)
	shard.RegisterApply(OpXSetID, applyXSetID)
	shard.RegisterApply(OpXNodes, applyXNodes)
	shard.RegisterApply(OpXGroupCreate, applyXGroupCreate)
	shard.RegisterApply(OpXGroupSetID, applyXGroupSetID)
	shard.RegisterApply(OpXGroupDestroy, applyXGroupDestroy)
	shard.RegisterApply(OpXClaim, applyXClaim)
	shard.RegisterApply(OpXAck, applyXAck)
	shard.RegisterApply(OpXDelConsumer, applyXDelConsumer)
}

func putID(b []byte, id StreamID) {
	binary.BigEndian.PutUint64(b, id.Ms)
	binary.BigEndian.PutUint64(b[8:], id.Seq)
}

// AppendIDItem appends id as a record item.
func AppendIDItem(dst []byte, id StreamID) []byte {
	var b [16]byte
	putID(b[:], id)
	return persistence.AppendItem(dst, b[:])
}

// AppendIntItem appends v as an 8-byte record item.
func AppendIntItem(dst []byte, v int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(v))
	return persistence.AppendItem(dst, b[:])
}

// AppendPendingItem appends a pending entry (id, time, count) as one item.
func AppendPendingItem(dst []byte, id StreamID, time, count int64) []byte {
	var b [32]byte
	putID(b[:], id)
	binary.BigEndian.PutUint64(b[16:], uint64(time))
	binary.BigEndian.PutUint64(b[24:], uint64(count))
	return persistence.AppendItem(dst, b[:])
}

func itemID(b []byte) (StreamID, bool) {
	if len(b) != 16 {
		return StreamID{}, false
	}
	return StreamID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}, true
}

func itemInt(b []byte) int64 {
	if len(b) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

// Records calls fn with records that rebuild s: its counters, its nodes
// as they are, then each group, its consumers and their pending entries.
func (s *Stream) Records(now int64, fn func(op persistence.Op, body []byte, num int64) error) error {
	body := AppendIDItem(nil, s.lastID)
	body = AppendIDItem(body, s.maxDeleted)
	if err := fn(OpXSetID, body, int64(s.entriesAdded)); err != nil {
		return err
	}
	body = body[:0]
	var err error
	s.nodes.each(func(n *streamNode) bool {
		body = AppendIDItem(body, n.id)
		body = persistence.AppendItem(body, n.lp)
		if len(body) >= 64<<10 {
			err = fn(OpXNodes, body, 0)
			body = body[:0]
		}
		return err == nil
	})
	if err == nil && len(body) > 0 {
		err = fn(OpXNodes, body, 0)
	}
	for _, g := range s.groups {
		if err != nil {
			return err
		}
		body = persistence.AppendItem(body[:0], []byte(g.Name))
		body = AppendIDItem(body, g.LastID)
		if err = fn(OpXGroupCreate, body, g.EntriesRead); err != nil {
			return err
		}
		for _, c := range g.consumers {
			head := func() {
				body = persistence.AppendItem(body[:0], []byte(g.Name))
				body = persistence.AppendItem(body, []byte(c.Name))
				body = AppendIntItem(body, c.Seen)
			}
			head()
			k := 0
			c.pel.each(func(id *StreamID) bool {
				p := g.pel.find(*id)
				if p == nil {
					return true
				}
				body = AppendPendingItem(body, p.ID, p.Time, p.Count)
				if k++; k == 1024 {
					err = fn(OpXClaim, body, 0)
					head()
					k = 0
				}
				return err == nil
			})
			if err == nil && (k > 0 || c.pel.Len() == 0) {
				err = fn(OpXClaim, body, 0)
			}
			if err != nil {
				return err
			}
		}
	}
	return err
}

// streamFor is the stream under r.Key, created if missing (replay).
func streamFor(d *shard.DB, r *persistence.Record) (*Stream, shard.Entry) {
	e, ok := d.Peek(r.Key, 0)
	if ok && e.Kind != shard.KindStream {
		d.Delete(r.Key, discard{})
		ok = false
	}
	if !ok {
		d.PutObj(r.Key, &Stream{live: true}, r.ExpireAt)
		e, _ = d.Peek(r.Key, 0)
	}
	return d.Obj(e).(*Stream), e
}

// streamAt is the stream under r.Key (nil if missing).
func streamAt(d *shard.DB, r *persistence.Record) (*Stream, shard.Entry) {
	e, ok := d.Peek(r.Key, 0)
	if !ok || e.Kind != shard.KindStream {
		return nil, e
	}
	return d.Obj(e).(*Stream), e
}

func items(body []byte) [][]byte {
	var out [][]byte
	persistence.Items(body, func(it []byte) { out = append(out, it) })
	return out
}

func applyXAdd(d *shard.DB, r *persistence.Record) {
	it := items(r.Value)
	if len(it) < 1 {
		return
	}
	id, ok := itemID(it[0])
	if !ok {
		return
	}
	s, e := streamFor(d, r)
	if s.lastID.Less(id) {
		s.Add(id, it[1:])
	}
	d.Changed(r.Key, e, nil)
	d.Signal(r.Key) // XREAD BLOCK clients of a replica are served by the primary's XADDs
}

func applyXTrim(d *shard.DB, r *persistence.Record) {
	s, e := streamAt(d, r)
	if s == nil {
		return
	}
	var id StreamID
	persistence.Items(r.Value, func(it []byte) { id, _ = itemID(it) })
	s.TrimBelow(id, r.Arg == 1)
	d.Changed(r.Key, e, nil)
}

func applyXDel(d *shard.DB, r *persistence.Record) {
	s, e := streamAt(d, r)
	if s == nil {
		return
	}
	persistence.Items(r.Value, func(it []byte) {
		if id, ok := itemID(it); ok {
			s.Delete(id)
		}
	})
	d.Changed(r.Key, e, nil)
}

func applyXSetID(d *shard.DB, r *persistence.Record) {
	it := items(r.Value)
	if len(it) != 2 {
		return
	}
	last, _ := itemID(it[0])
	maxDel, _ := itemID(it[1])
	s, e := streamFor(d, r)
	s.SetID(last, uint64(r.Arg), maxDel)
	d.Changed(r.Key, e, nil)
}

func applyXNodes(d *shard.DB, r *persistence.Record) {
	s, e := streamFor(d, r)
	s.appendNodes(r.Value)
	d.Changed(r.Key, e, nil)
}

// appendNodes appends the nodes of an OpXNodes body.
func (s *Stream) appendNodes(body []byte) {
	it := items(body)
	for i := 0; i+1 < len(it); i += 2 {
		id, ok := itemID(it[i])
		lp := it[i+1]
		if !ok || len(lp) < lpHdrSize+1 || lpBytes(lp) != len(lp) || lp[len(lp)-1] != lpEOF {
			continue
		}
		if last, ok := s.nodes.last(); ok && !s.nodes.at(last).id.Less(id) {
			continue
		}
		n := streamNode{id: id, lp: s.place(lp)}
		v, ok := viewNode(&n)
		if !ok || v.count < 0 {
			continue
		}
		s.nodes.insert(n)
		s.lpBytes += int64(cap(n.lp))
		s.length += uint64(v.count)
	}
	s.firstID = s.firstValidID()
}

func groupOf(d *shard.DB, r *persistence.Record) (*Stream, *Group, [][]byte, shard.Entry) {
	s, e := streamAt(d, r)
	if s == nil {
		return nil, nil, nil, e
	}
	it := items(r.Value)
	if len(it) < 1 {
		return nil, nil, nil, e
	}
	return s, s.Group(it[0]), it, e
}

func applyXGroupCreate(d *shard.DB, r *persistence.Record) {
	it := items(r.Value)
	if len(it) != 2 {
		return
	}
	id, _ := itemID(it[1])
	s, e := streamFor(d, r)
	if g := s.Group(it[0]); g != nil {
		g.LastID, g.EntriesRead = id, r.Arg
	} else {
		s.CreateGroup(it[0], id, r.Arg)
	}
	d.Changed(r.Key, e, nil)
}

func applyXGroupSetID(d *shard.DB, r *persistence.Record) {
	_, g, it, e := groupOf(d, r)
	if g == nil || len(it) != 2 {
		return
	}
	g.LastID, _ = itemID(it[1])
	g.EntriesRead = r.Arg
	d.Changed(r.Key, e, nil)
}

func applyXGroupDestroy(d *shard.DB, r *persistence.Record) {
	s, g, it, e := groupOf(d, r)
	if g == nil {
		return
	}
	s.DestroyGroup(it[0])
	d.Changed(r.Key, e, nil)
}

func applyXClaim(d *shard.DB, r *persistence.Record) {
	_, g, it, e := groupOf(d, r)
	if g == nil || len(it) < 3 {
		return
	}
	c, _ := g.CreateConsumer(it[1], 0)
	c.Seen = itemInt(it[2])
	for _, p := range it[3:] {
		if len(p) != 32 {
			continue
		}
		id, _ := itemID(p[:16])
		g.Assign(c, id, int64(binary.BigEndian.Uint64(p[16:])), int64(binary.BigEndian.Uint64(p[24:])))
	}
	d.Changed(r.Key, e, nil)
}

func applyXAck(d *shard.DB, r *persistence.Record) {
	_, g, it, e := groupOf(d, r)
	if g == nil {
		return
	}
	for _, b := range it[1:] {
		if id, ok := itemID(b); ok {
			g.Ack(id)
		}
	}
	d.Changed(r.Key, e, nil)
}

func applyXDelConsumer(d *shard.DB, r *persistence.Record) {
	_, g, it, e := groupOf(d, r)
	if g == nil || len(it) != 2 {
		return
	}
	g.DelConsumer(it[1])
	d.Changed(r.Key, e, nil)
}

// ---- consumer group counters (Redis 7.0's entries-read and lag) ----

// tombstonesFrom reports whether an XDEL tombstone may lie at or after
// start (Redis's streamRangeHasTombstones up to the end).
func (s *Stream) tombstonesFrom(start StreamID) bool {
	if s.length == 0 || s.maxDeleted.IsZero() || s.maxDeleted.Less(s.firstID) {
		return false
	}
	return !s.maxDeleted.Less(start)
}

// EstimateEntriesRead is the logical read counter of id (the number of
// entries up to it since the first ever added), or -1 when it cannot be
// known (Redis's streamEstimateDistanceFromFirstEverEntry).
func (s *Stream) EstimateEntriesRead(id StreamID) int64 {
	added := int64(s.entriesAdded)
	if added == 0 {
		return 0
	}
	if s.length == 0 && id.Cmp(s.lastID) < 1 {
		return added
	}
	switch id.Cmp(s.lastID) {
	case 0:
		return added
	case 1:
		return InvalidEntriesRead
	}
	if s.maxDeleted.IsZero() || s.maxDeleted.Less(s.firstID) {
		switch id.Cmp(s.firstID) {
		case -1:
			return added - int64(s.length)
		case 0:
			return added - int64(s.length) + 1
		}
	}
	return InvalidEntriesRead
}

// Lag is a group's lag (XINFO); false when unknown.
func (s *Stream) Lag(g *Group) (int64, bool) {
	if s.entriesAdded == 0 {
		return 0, true
	}
	if g.EntriesRead != InvalidEntriesRead && !s.tombstonesFrom(g.LastID) {
		return int64(s.entriesAdded) - g.EntriesRead, true
	}
	if n := s.EstimateEntriesRead(g.LastID); n != InvalidEntriesRead {
		return int64(s.entriesAdded) - n, true
	}
	return 0, false
}

// Delivered moves g past entry id when it is new to the group (a delivery
// with ">"), keeping its read counter as Redis does. It reports whether
// the group changed.
func (s *Stream) Delivered(g *Group, id StreamID) bool {
	if !g.LastID.Less(id) {
		return false
	}
	if g.EntriesRead != InvalidEntriesRead && !s.tombstonesFrom(id) {
		g.EntriesRead++
	} else if s.entriesAdded > 0 {
		g.EntriesRead = s.EstimateEntriesRead(id)
	}
	g.LastID = id
	return true
}
