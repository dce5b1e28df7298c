package rdb

import "encoding/binary"

// Streams (types 15, 19 and 21). Redis writes a stream as its radix tree
// of nodes, then its counters, then its consumer groups:
//
//	nodes: count | (master ID as a 16-byte big-endian string | listpack string)...
//	length | last ID (ms, seq)
//	[19, 21: first ID | max deleted entry ID | entries added]
//	groups: count | (name | last ID | [19, 21: entries read]
//	         | PEL: count | (16-byte ID | delivery time (8 bytes LE) | delivery count)...
//	         | consumers: count | (name | seen time | [21: active time]
//	                              | PEL: count | 16-byte ID...)...)...
//
// A node's listpack holds a master entry (live count, deleted count, the
// number of master fields, the fields, 0) and then the entries: flags, ID
// as the difference from the master ID, the fields (or only the values
// when flagged as having the master's fields), and the number of elements
// of the entry before this one (lp-count). IDs and numbers are RDB
// lengths; entries read is an int64 (-1 unknown) written as a length.
//
// Decoding checks what Redis's deep sanitization checks and more (entry
// IDs ascending across the stream and not above the last ID, counts
// matching the entries, every pending entry owned by one consumer), so the
// server's stream never sees an inconsistent node.

// Stream entry flags in a node listpack.
const (
	StreamEntryDeleted    = 1
	StreamEntrySameFields = 2
)

// StreamID is a stream entry ID.
type StreamID struct{ Ms, Seq uint64 }

func (a StreamID) less(b StreamID) bool { return a.Ms < b.Ms || a.Ms == b.Ms && a.Seq < b.Seq }

// StreamNode is one node: its master ID and its listpack, checked (it
// may alias the payload).
type StreamNode struct {
	Master StreamID
	LP     []byte
}

// StreamNACK is a pending entry of a group; Consumer indexes the group's
// Consumers.
type StreamNACK struct {
	ID       StreamID
	Time     int64
	Count    uint64
	Consumer int
}

// StreamConsumer is a consumer and the IDs it owns.
type StreamConsumer struct {
	Name   []byte
	Seen   int64
	Active int64 // type 21 only (else Seen)
	PEL    []StreamID
}

// StreamGroup is a consumer group. EntriesRead is -1 when unknown; with
// a type 15 payload (HasEntriesRead false) the reader estimates it.
type StreamGroup struct {
	Name           []byte
	LastID         StreamID
	EntriesRead    int64
	HasEntriesRead bool
	PEL            []StreamNACK
	Consumers      []StreamConsumer
}

// Stream is a decoded stream. With a type 15 payload (V1) FirstID,
// MaxDeleted and EntriesAdded are derived as Redis derives them: the first
// live entry, 0-0 and the length.
type Stream struct {
	Nodes        []StreamNode
	Length       uint64
	LastID       StreamID
	FirstID      StreamID
	MaxDeleted   StreamID
	EntriesAdded uint64
	V1           bool
	Groups       []StreamGroup
}

func (r *reader) u64() (uint64, error) {
	n, enc, err := r.length()
	if err != nil || enc {
		return 0, errBad
	}
	return n, nil
}

func (r *reader) id() (StreamID, error) {
	ms, err := r.u64()
	if err != nil {
		return StreamID{}, err
	}
	seq, err := r.u64()
	return StreamID{ms, seq}, err
}

func (r *reader) rawID() (StreamID, error) {
	b, err := r.bytes(16)
	if err != nil {
		return StreamID{}, err
	}
	return StreamID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}, nil
}

func (r *reader) millis() (int64, error) {
	b, err := r.bytes(8)
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(b)), nil
}

// countAny reads a collection size (zero allowed) of at least min bytes
// per element.
func (r *reader) countAny(min int) (int, error) {
	n, err := r.u64()
	if err != nil || n > uint64(r.left()/min) {
		return 0, errBad
	}
	return int(n), nil
}

func (r *reader) stream(t byte) (*Value, error) {
	st := &Stream{V1: t == TypeStreamListpack}
	nodes, err := r.countAny(2)
	if err != nil {
		return nil, err
	}
	var prev StreamID // the last entry ID seen
	var live uint64
	var elems []lpElem // one node's, reused
	var first StreamID
	haveFirst, haveEntry := false, false
	for i := 0; i < nodes; i++ {
		key, err := r.str()
		if err != nil || len(key) != 16 {
			return nil, errBad
		}
		master := StreamID{binary.BigEndian.Uint64(key), binary.BigEndian.Uint64(key[8:])}
		lp, err := r.str()
		if err != nil {
			return nil, err
		}
		elems = elems[:0]
		if err := listpackEach(lp, func(e lpElem) { elems = append(elems, e) }); err != nil || len(elems) == 0 {
			return nil, errBad
		}
		if haveEntry && !prev.less(master) {
			return nil, errBad
		}
		n, err := checkStreamNode(master, elems, func(id StreamID, deleted bool) bool {
			if haveEntry && !prev.less(id) || id.less(master) {
				return false
			}
			prev, haveEntry = id, true
			if !deleted && !haveFirst {
				first, haveFirst = id, true
			}
			return true
		})
		if err != nil {
			return nil, err
		}
		live += n
		st.Nodes = append(st.Nodes, StreamNode{Master: master, LP: lp})
	}
	if st.Length, err = r.u64(); err != nil {
		return nil, err
	}
	if st.LastID, err = r.id(); err != nil {
		return nil, err
	}
	if st.Length != live || haveEntry && st.LastID.less(prev) {
		return nil, errBad
	}
	if st.V1 {
		st.FirstID, st.EntriesAdded = first, st.Length
	} else {
		if st.FirstID, err = r.id(); err != nil {
			return nil, err
		}
		if st.MaxDeleted, err = r.id(); err != nil {
			return nil, err
		}
		if st.EntriesAdded, err = r.u64(); err != nil {
			return nil, err
		}
	}
	groups, err := r.countAny(3)
	if err != nil {
		return nil, err
	}
	for i := 0; i < groups; i++ {
		g, err := r.streamGroup(t)
		if err != nil {
			return nil, err
		}
		if i > 0 && string(st.Groups[i-1].Name) >= string(g.Name) {
			return nil, errBad // duplicated (or out of order) group name
		}
		st.Groups = append(st.Groups, g)
	}
	return &Value{Kind: KindStream, Stream: st}, nil
}

func (r *reader) streamGroup(t byte) (StreamGroup, error) {
	var g StreamGroup
	var err error
	if g.Name, err = r.str(); err != nil {
		return g, err
	}
	if g.LastID, err = r.id(); err != nil {
		return g, err
	}
	if t != TypeStreamListpack {
		n, err := r.u64()
		if err != nil {
			return g, err
		}
		g.EntriesRead, g.HasEntriesRead = int64(n), true
		if g.EntriesRead < -1 {
			return g, errBad
		}
	}
	pel, err := r.countAny(16 + 8 + 1)
	if err != nil {
		return g, err
	}
	g.PEL = make([]StreamNACK, 0, pel)
	for i := 0; i < pel; i++ {
		var nk StreamNACK
		if nk.ID, err = r.rawID(); err != nil {
			return g, err
		}
		if nk.Time, err = r.millis(); err != nil {
			return g, err
		}
		if nk.Count, err = r.u64(); err != nil {
			return g, err
		}
		if nk.Count > 1<<63-1 || i > 0 && !g.PEL[i-1].ID.less(nk.ID) {
			return g, errBad // duplicated (or out of order) pending entry
		}
		nk.Consumer = -1
		g.PEL = append(g.PEL, nk)
	}
	cons, err := r.countAny(2 + 8 + 1)
	if err != nil {
		return g, err
	}
	for i := 0; i < cons; i++ {
		var c StreamConsumer
		if c.Name, err = r.str(); err != nil {
			return g, err
		}
		if i > 0 && string(g.Consumers[i-1].Name) >= string(c.Name) {
			return g, badf("Duplicate stream consumer detected.")
		}
		if c.Seen, err = r.millis(); err != nil {
			return g, err
		}
		c.Active = c.Seen
		if t == TypeStreamListpack3 {
			if c.Active, err = r.millis(); err != nil {
				return g, err
			}
		}
		n, err := r.countAny(16)
		if err != nil {
			return g, err
		}
		c.PEL = make([]StreamID, 0, n)
		for j := 0; j < n; j++ {
			id, err := r.rawID()
			if err != nil {
				return g, err
			}
			k := findNACK(g.PEL, id)
			if k < 0 || g.PEL[k].Consumer >= 0 {
				return g, errBad // not in the group's PEL, or owned twice
			}
			g.PEL[k].Consumer = i
			c.PEL = append(c.PEL, id)
		}
		g.Consumers = append(g.Consumers, c)
	}
	for _, nk := range g.PEL {
		if nk.Consumer < 0 {
			return g, errBad // a pending entry without a consumer
		}
	}
	return g, nil
}

func findNACK(pel []StreamNACK, id StreamID) int {
	lo, hi := 0, len(pel)
	for lo < hi {
		m := (lo + hi) / 2
		if pel[m].ID.less(id) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(pel) && pel[lo].ID == id {
		return lo
	}
	return -1
}

// elemInt reads a listpack element as an integer (a string element as
// Redis's lpGetIntegerIfValid reads one).
func elemInt(e lpElem) (int64, bool) {
	if e.isInt {
		return e.v, true
	}
	return parseCanonical(e.s)
}

// checkStreamNode checks a node's elements as Redis's
// streamValidateListpackIntegrity does, plus that the master entry's
// counts match the entries and that flags are 7-bit integers (as Redis
// writes them); each entry's ID is passed to visit in order.
// It returns the number of live entries.
func checkStreamNode(master StreamID, el []lpElem, visit func(id StreamID, deleted bool) bool) (uint64, error) {
	p := 0
	next := func() (int64, bool) {
		if p >= len(el) {
			return 0, false
		}
		v, ok := elemInt(el[p])
		p++
		return v, ok
	}
	count, ok1 := next()
	deleted, ok2 := next()
	mf, ok3 := next()
	if !ok1 || !ok2 || !ok3 || count < 0 || deleted < 0 || mf < 0 || mf > int64(len(el)-p) {
		return 0, errBad
	}
	p += int(mf)
	if z, ok := next(); !ok || z != 0 {
		return 0, errBad
	}
	var live, dead int64
	for p < len(el) {
		// flags: a small integer, which the server changes in place
		if el[p].c&0x80 != 0 || el[p].v > 3 {
			return 0, errBad
		}
		flags, _ := next()
		dms, ok1 := next()
		dseq, ok2 := next()
		if !ok1 || !ok2 {
			return 0, errBad
		}
		id := StreamID{master.Ms + uint64(dms), master.Seq + uint64(dseq)}
		fields, extra := mf, int64(3)
		if flags&StreamEntrySameFields == 0 {
			nf, ok := next()
			if !ok || nf < 0 || nf > int64(len(el)-p) {
				return 0, errBad
			}
			fields = nf
			p += int(nf)
			extra += nf + 1
		}
		if fields > int64(len(el)-p) {
			return 0, errBad
		}
		p += int(fields)
		lc, ok := next()
		if !ok || lc != fields+extra {
			return 0, errBad
		}
		del := flags&StreamEntryDeleted != 0
		if del {
			dead++
		} else {
			live++
		}
		if !visit(id, del) {
			return 0, errBad
		}
	}
	if live != count || dead != deleted {
		return 0, errBad
	}
	return uint64(live), nil
}

// Raw appends b as is (a stream PEL's 16-byte IDs).
func (w *Writer) Raw(b []byte) { w.b = append(w.b, b...) }

// Millis writes a millisecond time as 8 bytes little endian.
func (w *Writer) Millis(t int64) { w.b = binary.LittleEndian.AppendUint64(w.b, uint64(t)) }

// RawID writes id as 16 bytes big endian (a PEL entry, a node key).
func (w *Writer) RawID(id StreamID) {
	w.b = binary.BigEndian.AppendUint64(w.b, id.Ms)
	w.b = binary.BigEndian.AppendUint64(w.b, id.Seq)
}

// NodeKey is a node's master ID as Redis's radix tree key.
func NodeKey(id StreamID) []byte {
	var k [16]byte
	binary.BigEndian.PutUint64(k[:], id.Ms)
	binary.BigEndian.PutUint64(k[8:], id.Seq)
	return k[:]
}
