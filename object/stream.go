package object

import (
	"strconv"
	"sync/atomic"

	"fastcache/shard"
)

// Streams, laid out as Redis lays them out: entries are packed into nodes,
// each a listpack (listpack.go) of up to stream-node-max-entries entries or
// stream-node-max-bytes bytes, kept in ID order (idSeq, where Redis uses a
// radix tree keyed by the node's first ID). A node starts with a "master
// entry", the fields of its first entry; an entry with the same fields
// stores only its values, and its ID as the difference from the node's
// first ID:
//
//	master: count | deleted | num-fields | field... | 0
//	entry:  flags | ms-diff | seq-diff | [num-fields | field, value... ] | lp-count
//	        (with the same fields as the master: flags | ms-diff | seq-diff | value... | lp-count)
//
// lp-count is the number of elements of the entry before it, so a node is
// read backwards too (XREVRANGE). A deleted entry is only flagged (and
// counted in the master's deleted); a node whose entries are all deleted is
// dropped. Consumer groups are in stream_groups.go, the log records in
// stream_records.go.

// Node limits, with Redis's names and defaults (CONFIG SET applies to nodes
// started afterwards).
var (
	StreamNodeMaxBytes   atomic.Int64
	StreamNodeMaxEntries atomic.Int64
)

func init() {
	StreamNodeMaxBytes.Store(4096)
	StreamNodeMaxEntries.Store(100)
}

const (
	entryDeleted    = 1 << 0
	entrySameFields = 1 << 1

	streamListpackMaxSize = 1 << 30
	nodeOverhead          = 48 // a streamNode in its chunk
)

type streamNode struct {
	id StreamID // the node's master ID: the ID of its first entry
	lp []byte
	// shared: lp is also referenced by a clone (a snapshot's copy); it is
	// copied before it changes.
	shared bool
}

func (n streamNode) key() StreamID { return n.id }

// Stream is a stream value (shard.Object).
type Stream struct {
	nodes        idSeq[streamNode]
	length       uint64
	lastID       StreamID
	firstID      StreamID // the first live entry (0-0 when empty), as Redis records it
	maxDeleted   StreamID
	entriesAdded uint64
	groups       []*Group // by name
	lpBytes      int64    // sum of the nodes' cap(lp)
	// Full nodes are packed back to back into slabs of slabSize bytes (no
	// allocator rounding, no garbage): slab is the one being filled. spare
	// is the buffer of the last node filled, reused for the next one.
	slab, spare []byte
	entries     []*StreamEntry // Entry values recycled by Range (it runs under the shard lock)
	// live: the stream is a value. A stream a command creates is not until
	// it changes it (a command that fails after creating it leaves no key).
	live bool
}

// NewStream returns an empty stream.
func NewStream() *Stream { return &Stream{} }

func (s *Stream) Kind() shard.Kind { return shard.KindStream }

// Len is the number of entries, but at least 1 once the stream is a value:
// an empty stream stays (Redis keeps the key, with its last ID and its
// groups), so a command that empties it must not delete it. A stream just
// created and not yet changed has Len 0 (see live).
func (s *Stream) Len() int {
	if !s.live {
		return int(s.length)
	}
	return int(max(s.length, 1))
}

// Fresh reports whether the stream was just created and never changed.
func (s *Stream) Fresh() bool { return !s.live }

// Length is the number of entries (XLEN).
func (s *Stream) Length() uint64 { return s.length }

// LastID is the ID of the last entry ever added (or set by XSETID).
func (s *Stream) LastID() StreamID { return s.lastID }

// FirstID is the recorded first entry ID (0-0 when empty).
func (s *Stream) FirstID() StreamID { return s.firstID }

// MaxDeleted is the largest ID deleted by XDEL (or set by XSETID).
func (s *Stream) MaxDeleted() StreamID { return s.maxDeleted }

// EntriesAdded is the number of entries ever added.
func (s *Stream) EntriesAdded() uint64 { return s.entriesAdded }

// Nodes is the number of nodes (XINFO's radix-tree-keys).
func (s *Stream) Nodes() int { return s.nodes.Len() }

func (s *Stream) Bytes() int64 {
	n := 96 + s.lpBytes + int64(s.nodes.Len())*nodeOverhead + int64(cap(s.slab)-len(s.slab)+cap(s.spare))
	for _, g := range s.groups {
		n += g.bytes()
	}
	return n
}

func (s *Stream) Encoding() string { return "stream" }

// Clone is an independent copy. Nodes are shared copy-on-write (the
// snapshot that clones a table under the shard lock copies pointers, not
// the entries); groups are copied.
func (s *Stream) Clone() shard.Object {
	c := *s
	for _, ch := range s.nodes.chunks {
		for i := range ch {
			ch[i].shared = true
		}
	}
	c.nodes = s.nodes.clone()
	c.slab, c.spare, c.entries = nil, nil, nil
	c.groups = make([]*Group, len(s.groups))
	for i, g := range s.groups {
		c.groups[i] = g.clone()
	}
	return &c
}

// own makes n's listpack private before it changes.
func (s *Stream) own(n *streamNode) {
	if n.shared {
		lp := make([]byte, len(n.lp), cap(n.lp))
		copy(lp, n.lp)
		n.lp, n.shared = lp, false
	}
}

const slabSize = 64 << 10

// place copies a full node's listpack into the slab and returns the copy,
// capacity-limited so that a change that grows it moves it out instead of
// into its neighbour. A slab is freed by the collector once none of its
// nodes is left.
func (s *Stream) place(lp []byte) []byte {
	if len(lp) > slabSize/4 {
		return append([]byte(nil), lp...)
	}
	if cap(s.slab)-len(s.slab) < len(lp) {
		s.slab = make([]byte, 0, slabSize)
	}
	off := len(s.slab)
	s.slab = append(s.slab, lp...)
	return s.slab[off:len(s.slab):len(s.slab)]
}

// setLP replaces n's listpack, accounting its memory.
func (s *Stream) setLP(n *streamNode, lp []byte) {
	s.lpBytes += int64(cap(lp)) - int64(cap(n.lp))
	n.lp = lp
}

// NextID is the ID an auto-generated entry gets at time now (unix ms):
// now-0, or after the last ID when the clock is not ahead of it (IDs never
// go backwards). false when the last possible ID was used.
func (s *Stream) NextID(now int64) (StreamID, bool) {
	if now > 0 && uint64(now) > s.lastID.Ms {
		return StreamID{uint64(now), 0}, true
	}
	return s.lastID.Incr()
}

// ---- node layout ----

// nodeView is a decoded node header.
type nodeView struct {
	lp             []byte
	master         StreamID
	count, deleted int64
	nf             int // master fields
	mfPos          int // first master field
	first          int // first entry's flags (after the master's 0)
}

func viewNode(n *streamNode) (v nodeView, ok bool) {
	v.lp, v.master = n.lp, n.id
	p := lpHdrSize
	v.count, p = lpInt(v.lp, p)
	if p < 0 {
		return v, false
	}
	v.deleted, p = lpInt(v.lp, p)
	if p < 0 {
		return v, false
	}
	var nf int64
	nf, p = lpInt(v.lp, p)
	if p < 0 || nf < 0 {
		return v, false
	}
	v.nf, v.mfPos = int(nf), p
	for i := 0; i < v.nf && p >= 0; i++ {
		p = lpSkip(v.lp, p)
	}
	if p < 0 {
		return v, false
	}
	v.first = lpSkip(v.lp, p) // the master's 0
	return v, v.first >= 0
}

// Entry is one stream entry as an iteration yields it; it aliases the node
// and is valid until the stream changes.
type StreamEntry struct {
	ID    StreamID
	flags int64
	NF    int // number of field/value pairs
	lp    []byte
	mfPos int // master fields (same-fields entries)
	pos   int // first field (or value, for a same-fields entry)
	flagP int // position of the flags element
	skip  int // elements from pos to the lp-count
	end   int // position after the entry's lp-count; -1 until known (endPos)

	fb, vb [24]byte // integers formatted for Each
}

// endPos is the position after the entry (-1 if the node is malformed).
// Each finds it on the way; otherwise the fields are skipped.
func (e *StreamEntry) endPos() int {
	if e.end < 0 {
		p := e.pos
		for i := 0; i < e.skip && p >= 0; i++ {
			p = lpSkip(e.lp, p)
		}
		e.end = lpSkip(e.lp, p)
	}
	return e.end
}

// Deleted reports whether the entry is a tombstone.
func (e *StreamEntry) Deleted() bool { return e.flags&entryDeleted != 0 }

// Each calls fn with each field and value (valid during the call only).
func (e *StreamEntry) Each(fn func(f, v []byte)) {
	p, m := e.pos, e.mfPos
	for i := 0; i < e.NF; i++ {
		var f, v []byte
		if e.flags&entrySameFields != 0 {
			f, m = lpGet(e.lp, m, e.fb[:])
		} else {
			f, p = lpGet(e.lp, p, e.fb[:])
		}
		v, p = lpGet(e.lp, p, e.vb[:])
		if p < 0 || m < 0 {
			return
		}
		fn(f, v)
	}
	if e.end < 0 {
		e.end = lpSkip(e.lp, p) // p is at the lp-count
	}
}

// entryAt decodes the entry whose flags element is at p into e.
func (v *nodeView) entryAt(p int, e *StreamEntry) bool {
	e.lp, e.mfPos, e.flagP = v.lp, v.mfPos, p
	e.flags, p = lpInt(v.lp, p)
	if p < 0 {
		return false
	}
	var d int64
	d, p = lpInt(v.lp, p)
	if p < 0 {
		return false
	}
	e.ID.Ms = v.master.Ms + uint64(d)
	d, p = lpInt(v.lp, p)
	if p < 0 {
		return false
	}
	e.ID.Seq = v.master.Seq + uint64(d)
	skip := v.nf
	if e.flags&entrySameFields != 0 {
		e.NF = v.nf
	} else {
		var nf int64
		nf, p = lpInt(v.lp, p)
		if p < 0 || nf < 0 {
			return false
		}
		e.NF = int(nf)
		skip = 2 * e.NF
	}
	e.pos, e.skip, e.end = p, skip, -1
	return true
}

// entryBefore decodes into e the entry whose lp-count element is at q
// (reading backwards); false at the master entry.
func (v *nodeView) entryBefore(q int, e *StreamEntry) bool {
	if q < v.first {
		return false
	}
	c, _ := lpInt(v.lp, q)
	if c <= 0 {
		return false
	}
	p := q
	for i := int64(0); i < c && p >= 0; i++ {
		p = lpPrev(v.lp, p)
	}
	if p < v.first {
		return false
	}
	return v.entryAt(p, e)
}

// each calls fn for every entry of the node, tombstones included, in
// order, decoding each into e (one Entry serves a whole iteration).
func (v *nodeView) each(e *StreamEntry, fn func(e *StreamEntry) bool) {
	for p := v.first; p >= 0 && p < len(v.lp)-1; {
		if !v.entryAt(p, e) || !fn(e) {
			return
		}
		p = e.endPos()
	}
}

// eachRev is each backwards.
func (v *nodeView) eachRev(e *StreamEntry, fn func(e *StreamEntry) bool) {
	q := lpLast(v.lp)
	for q >= v.first {
		if !v.entryBefore(q, e) || !fn(e) {
			return
		}
		q = lpPrev(v.lp, e.flagP)
	}
}

// lastID is the ID of the node's last entry, tombstones included.
func (v *nodeView) lastID() StreamID {
	id := v.master
	var e StreamEntry
	v.eachRev(&e, func(e *StreamEntry) bool { id = e.ID; return false })
	return id
}

// ---- adding ----

// Add appends an entry with ID id, which must be greater than LastID (the
// caller checks), and fields fv (field, value, ...).
func (s *Stream) Add(id StreamID, fv [][]byte) {
	tot := 0
	for _, x := range fv {
		tot += len(x)
	}
	maxB := StreamNodeMaxBytes.Load()
	prealloc := int64(4096)
	if maxB > 0 && maxB < prealloc {
		prealloc = maxB
	}
	if maxB <= 0 || maxB > streamListpackMaxSize {
		maxB = streamListpackMaxSize
	}
	maxE := StreamNodeMaxEntries.Load()
	nf := len(fv) / 2
	var n *streamNode
	if p, ok := s.nodes.last(); ok {
		n = s.nodes.at(p)
		full := int64(len(n.lp)+tot) >= maxB
		if !full && maxE > 0 {
			c, q := lpInt(n.lp, lpHdrSize)
			d, _ := lpInt(n.lp, q)
			full = c+d >= maxE
		}
		if full {
			old := n.lp
			s.setLP(n, s.place(old))
			if !n.shared && cap(old) >= int(prealloc) && cap(old) <= 2*int(prealloc) {
				s.spare = old[:0]
			}
			n.shared = false
			n = nil
		}
	}
	flags := int64(0)
	var lp []byte
	newNode := false
	if n == nil {
		if cap(s.spare) >= int(prealloc) {
			lp = append(s.spare[:0], lpNew(0)...)
			s.spare = nil
		} else {
			lp = lpNew(int(prealloc))
		}
		lp = lp[:len(lp)-1]
		lp = lpAppendIntElem(lp, 1)
		lp = lpAppendIntElem(lp, 0)
		lp = lpAppendIntElem(lp, int64(nf))
		for i := 0; i < nf; i++ {
			lp = lpAppendStrElem(lp, fv[2*i])
		}
		lp = lpAppendIntElem(lp, 0)
		n = s.nodes.at(s.nodes.insert(streamNode{id: id}))
		flags = entrySameFields
		newNode = true
	} else {
		s.own(n)
		c, _ := lpInt(n.lp, lpHdrSize)
		s.setLP(n, lpReplaceInt(n.lp, lpHdrSize, c+1))
		if v, ok := viewNode(n); ok && v.nf == nf {
			same := true
			var buf [24]byte
			for i, p := 0, v.mfPos; i < nf; i++ {
				var f []byte
				f, p = lpGet(n.lp, p, buf[:])
				if p < 0 || string(f) != string(fv[2*i]) {
					same = false
					break
				}
			}
			if same {
				flags = entrySameFields
			}
		}
		lp = n.lp[:len(n.lp)-1]
	}
	added := 4 + nf
	if newNode {
		added += 4 + nf // the master entry
	}
	lp = lpAppendIntElem(lp, flags)
	lp = lpAppendIntElem(lp, int64(id.Ms-n.id.Ms))
	lp = lpAppendIntElem(lp, int64(id.Seq-n.id.Seq))
	if flags&entrySameFields == 0 {
		lp = lpAppendIntElem(lp, int64(nf))
		added += 1 + nf
	}
	for i := 0; i < nf; i++ {
		if flags&entrySameFields == 0 {
			lp = lpAppendStrElem(lp, fv[2*i])
		}
		lp = lpAppendStrElem(lp, fv[2*i+1])
	}
	lpCount := int64(nf + 3)
	if flags&entrySameFields == 0 {
		lpCount += int64(nf + 1)
	}
	lp = lpAppendIntElem(lp, lpCount)
	lp = append(lp, lpEOF)
	lpSetHeader(lp, added)
	s.setLP(n, lp)
	s.length++
	s.entriesAdded++
	s.lastID = id
	s.live = true
	if s.length == 1 {
		s.firstID = id
	}
}

// ---- reading ----

// Range calls fn for the live entries with start <= ID <= end, in ID
// order (backwards with rev), until fn returns false.
func (s *Stream) Range(start, end StreamID, rev bool, fn func(e *StreamEntry) bool) {
	if end.Less(start) {
		return
	}
	e := s.getEntry() // one for the whole iteration
	defer s.putEntry(e)
	if !rev {
		p := s.nodes.first()
		if !start.IsZero() {
			if q, ok := s.nodes.seekLE(start); ok {
				p = q
			}
		}
		for ; s.nodes.at(p) != nil; p = s.nodes.next(p) {
			v, ok := viewNode(s.nodes.at(p))
			if !ok {
				continue
			}
			stop := false
			v.each(e, func(e *StreamEntry) bool {
				if e.ID.Less(start) || e.Deleted() {
					return true
				}
				if end.Less(e.ID) || !fn(e) {
					stop = true
					return false
				}
				return true
			})
			if stop {
				return
			}
		}
		return
	}
	p, ok := s.nodes.seekLE(end)
	for ; ok; p, ok = s.nodes.prev(p) {
		v, vok := viewNode(s.nodes.at(p))
		if !vok {
			continue
		}
		stop := false
		v.eachRev(e, func(e *StreamEntry) bool {
			if end.Less(e.ID) || e.Deleted() {
				return true
			}
			if e.ID.Less(start) || !fn(e) {
				stop = true
				return false
			}
			return true
		})
		if stop {
			return
		}
	}
}

func (s *Stream) getEntry() *StreamEntry {
	if n := len(s.entries); n > 0 {
		e := s.entries[n-1]
		s.entries = s.entries[:n-1]
		return e
	}
	return new(StreamEntry)
}

func (s *Stream) putEntry(e *StreamEntry) {
	if len(s.entries) < 2 {
		e.lp = nil
		s.entries = append(s.entries, e)
	}
}

// Get calls fn with the live entry id; false if there is none.
func (s *Stream) Get(id StreamID, fn func(e *StreamEntry)) bool {
	found := false
	s.Range(id, id, false, func(e *StreamEntry) bool { found = true; fn(e); return false })
	return found
}

// Exists reports whether the live entry id is in the stream.
func (s *Stream) Exists(id StreamID) bool { return s.Get(id, func(*StreamEntry) {}) }

// LastValidID is the ID of the last live entry (0-0 if none).
func (s *Stream) LastValidID() StreamID {
	var id StreamID
	s.Range(StreamID{}, MaxStreamID, true, func(e *StreamEntry) bool { id = e.ID; return false })
	return id
}

func (s *Stream) firstValidID() StreamID {
	var id StreamID
	s.Range(StreamID{}, MaxStreamID, false, func(e *StreamEntry) bool { id = e.ID; return false })
	return id
}

// AppendID appends id formatted as ms-seq.
func AppendID(dst []byte, id StreamID) []byte {
	dst = strconv.AppendUint(dst, id.Ms, 10)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, id.Seq, 10)
}

func (id StreamID) String() string { return string(AppendID(nil, id)) }

// ---- deleting ----

// Delete removes the live entry id (XDEL); false if it is not there. It
// updates the max deleted ID and the first ID as Redis's XDEL does.
func (s *Stream) Delete(id StreamID) bool {
	if !s.deleteEntry(id) {
		return false
	}
	if s.maxDeleted.Less(id) {
		s.maxDeleted = id
	}
	if s.length == 0 {
		s.firstID = StreamID{}
	} else if id == s.firstID {
		s.firstID = s.firstValidID()
	}
	return true
}

func (s *Stream) deleteEntry(id StreamID) bool {
	p, ok := s.nodes.seekLE(id)
	if !ok {
		return false
	}
	n := s.nodes.at(p)
	v, ok := viewNode(n)
	if !ok {
		return false
	}
	flagP := -1
	var flags int64
	var ent StreamEntry
	v.each(&ent, func(e *StreamEntry) bool {
		if e.ID == id && !e.Deleted() {
			flagP, flags = e.flagP, e.flags
			return false
		}
		return !id.Less(e.ID)
	})
	if flagP < 0 {
		return false
	}
	// Flag it deleted and count it in the master entry, or drop the node
	// with its last live entry, as Redis's XDEL does.
	s.length--
	c, _ := lpInt(n.lp, lpHdrSize)
	if c <= 1 {
		s.removeNode(p)
		return true
	}
	s.own(n)
	n.lp[flagP] = byte(flags | entryDeleted) // flags are 0..3: one byte, in place
	lp := lpReplaceInt(n.lp, lpHdrSize, c-1)
	_, q := lpInt(lp, lpHdrSize)
	d, _ := lpInt(lp, q)
	s.setLP(n, lpReplaceInt(lp, q, d+1))
	return true
}

func (s *Stream) removeNode(p pos) pos {
	n := s.nodes.at(p)
	s.lpBytes -= int64(cap(n.lp))
	return s.nodes.removeAt(p)
}

// TrimStrategy says how Trim bounds the stream.
type TrimStrategy int

const (
	TrimNone TrimStrategy = iota
	TrimMaxLen
	TrimMinID
)

// TrimArgs are XADD's and XTRIM's trimming options.
type TrimArgs struct {
	Strategy TrimStrategy
	MaxLen   int64
	MinID    StreamID
	Approx   bool
	Limit    int64 // 0 = none
}

// TrimResult is what a Trim removed, in the form that is logged: replaying
// TrimBelow(Below) (or removing everything with All) leaves the same
// entries, whatever the node layout.
type TrimResult struct {
	Deleted int64
	Changed bool // nodes or entries went
	All     bool
	Below   StreamID
}

// Trim removes entries from the head as Redis's streamTrim does: whole
// nodes while they can go, then (exact trimming only) entries of the next
// node, within Limit entries when set.
func (s *Stream) Trim(a TrimArgs) TrimResult {
	var r TrimResult
	if a.Strategy == TrimNone {
		return r
	}
	partial := false
	var partialFirst StreamID
	p := s.nodes.first()
	for s.nodes.at(p) != nil {
		if a.Strategy == TrimMaxLen && int64(s.length) <= a.MaxLen {
			break
		}
		n := s.nodes.at(p)
		v, ok := viewNode(n)
		if !ok {
			break
		}
		entries := v.count
		if a.Limit > 0 && r.Deleted+entries > a.Limit {
			break
		}
		var remove bool
		if a.Strategy == TrimMaxLen {
			remove = int64(s.length)-entries >= a.MaxLen
		} else {
			remove = v.lastID().Less(a.MinID)
		}
		if remove {
			p = s.removeNode(p)
			s.length -= uint64(entries)
			r.Deleted += entries
			r.Changed = true
			continue
		}
		if a.Approx {
			break
		}
		// mark entries of this node deleted
		var del int64
		s.own(n)
		v.lp = n.lp
		var ent StreamEntry
		v.each(&ent, func(e *StreamEntry) bool {
			var stop bool
			if a.Strategy == TrimMaxLen {
				stop = int64(s.length) <= a.MaxLen
			} else {
				stop = !e.ID.Less(a.MinID)
			}
			if stop {
				return false
			}
			if !e.Deleted() {
				n.lp[e.flagP] = byte(e.flags | entryDeleted)
				del++
				s.length--
			}
			return true
		})
		if del > 0 {
			lp := lpReplaceInt(n.lp, lpHdrSize, entries-del)
			_, q := lpInt(lp, lpHdrSize)
			lp = lpReplaceInt(lp, q, v.deleted+del)
			s.setLP(n, lp)
			r.Deleted += del
			r.Changed = true
			partial = true
			if nv, ok := viewNode(n); ok {
				nv.each(&ent, func(e *StreamEntry) bool {
					if !e.Deleted() {
						partialFirst = e.ID
						return false
					}
					return true
				})
			}
		}
		break
	}
	if s.length == 0 {
		s.firstID = StreamID{}
	} else {
		s.firstID = s.firstValidID()
	}
	switch {
	case a.Strategy == TrimMinID && !a.Approx:
		r.Below = a.MinID
	case s.nodes.Len() == 0:
		r.All = true
	case partial:
		r.Below = partialFirst
	default:
		r.Below = s.nodes.at(s.nodes.first()).id
	}
	return r
}

// TrimBelow removes every entry whose ID is below id (replay of a trim):
// the nodes whose last entry is below it, then the entries of the next
// node, as MINID trimming does.
func (s *Stream) TrimBelow(id StreamID, all bool) {
	if !all {
		s.Trim(TrimArgs{Strategy: TrimMinID, MinID: id})
		return
	}
	for s.nodes.Len() > 0 {
		s.removeNode(s.nodes.first())
	}
	s.length, s.firstID = 0, StreamID{}
}

// SetID implements XSETID (and the replay of the stream's counters).
func (s *Stream) SetID(last StreamID, entriesAdded uint64, maxDeleted StreamID) {
	s.lastID, s.entriesAdded, s.maxDeleted = last, entriesAdded, maxDeleted
	s.live = true
}

// RaxNodes is the number of nodes Redis's radix tree would have for this
// stream's node keys (XINFO STREAM radix-tree-nodes): keys are 16-byte
// big-endian IDs; a rax node exists at the root, at every child of a
// branching point, and at every point where a chain of single children
// stops (a key or a branch).
func (s *Stream) RaxNodes() int64 {
	keys := make([][16]byte, 0, s.nodes.Len())
	s.nodes.each(func(n *streamNode) bool {
		var k [16]byte
		putID(k[:], n.id)
		keys = append(keys, k)
		return true
	})
	if len(keys) == 0 {
		return 1
	}
	return raxCount(keys, 0)
}

// raxCount counts the rax nodes under the point at depth d shared by keys
// (sorted, distinct, 16 bytes each).
func raxCount(keys [][16]byte, d int) int64 {
	if d == 16 {
		return 1 // a leaf
	}
	lo, hi := keys[0], keys[len(keys)-1]
	if lo[d] == hi[d] {
		// one child: a compressed node up to where the keys diverge (or end)
		e := d
		for e < 16 && lo[e] == hi[e] {
			e++
		}
		return 1 + raxStop(keys, e)
	}
	return 1 + raxChildren(keys, d)
}

// raxStop counts the node where a compressed chain stops (depth e) and
// what is under it.
func raxStop(keys [][16]byte, e int) int64 {
	if e == 16 {
		return 1
	}
	return 1 + raxChildren(keys, e)
}

// raxChildren counts the subtrees of a branching point at depth d.
func raxChildren(keys [][16]byte, d int) int64 {
	var n int64
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j][d] == keys[i][d] {
			j++
		}
		n += raxCount(keys[i:j], d+1)
		i = j
	}
	return n
}
