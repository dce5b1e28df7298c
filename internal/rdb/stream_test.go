package rdb

import (
	"fmt"
	"reflect"
	"testing"
)

// encodeStream writes st as a payload body of type t (15, 19 or 21), the
// nodes' listpacks built from their elements.
func encodeStream(t byte, st *Stream) []byte {
	var w Writer
	w.Type(t)
	w.Len(uint64(len(st.Nodes)))
	for _, n := range st.Nodes {
		w.String(NodeKey(n.Master))
		w.String(n.LP)
	}
	id := func(x StreamID) { w.Len(x.Ms); w.Len(x.Seq) }
	w.Len(st.Length)
	id(st.LastID)
	if t != TypeStreamListpack {
		id(st.FirstID)
		id(st.MaxDeleted)
		w.Len(st.EntriesAdded)
	}
	w.Len(uint64(len(st.Groups)))
	for _, g := range st.Groups {
		w.String(g.Name)
		id(g.LastID)
		if t != TypeStreamListpack {
			w.Len(uint64(g.EntriesRead))
		}
		w.Len(uint64(len(g.PEL)))
		for _, p := range g.PEL {
			w.RawID(p.ID)
			w.Millis(p.Time)
			w.Len(p.Count)
		}
		w.Len(uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			w.String(c.Name)
			w.Millis(c.Seen)
			if t == TypeStreamListpack3 {
				w.Millis(c.Active)
			}
			w.Len(uint64(len(c.PEL)))
			for _, id := range c.PEL {
				w.RawID(id)
			}
		}
	}
	return w.b
}

func strs(ss ...any) [][]byte {
	var out [][]byte
	for _, s := range ss {
		out = append(out, []byte(fmt.Sprint(s)))
	}
	return out
}

func lpOf(elems [][]byte) []byte {
	var lp Listpack
	for _, e := range elems {
		lp.Append(e)
	}
	return lp.Bytes()
}

// sampleElems are sampleStream's nodes' elements.
func sampleElems() [][][]byte {
	return [][][]byte{
		strs(
			2, 1, 2, "a", "b", 0,
			StreamEntrySameFields, 0, 0, "x", "y", 5,
			StreamEntrySameFields|StreamEntryDeleted, 0, 1, "x2", "y2", 5,
			0, 1, -1, 1, "c", "z", 6),
		strs(
			2, 0, 1, "f", 0,
			StreamEntrySameFields, 0, 0, "v1", 4,
			StreamEntrySameFields, 0, 1, "v2", 4),
	}
}

// sampleStream is two nodes (entries 1-1, 1-2 deleted, 2-0 with other
// fields; 3-5, 3-6), a group with two consumers and one without.
func sampleStream() *Stream {
	return &Stream{
		Nodes: []StreamNode{
			{Master: StreamID{1, 1}, LP: lpOf(sampleElems()[0])},
			{Master: StreamID{3, 5}, LP: lpOf(sampleElems()[1])},
		},
		Length: 4, LastID: StreamID{3, 6}, FirstID: StreamID{1, 1}, MaxDeleted: StreamID{1, 2}, EntriesAdded: 5,
		Groups: []StreamGroup{
			{Name: []byte("g1"), LastID: StreamID{3, 5}, EntriesRead: 4, HasEntriesRead: true,
				PEL: []StreamNACK{{StreamID{1, 1}, 1700000000000, 2, 1}, {StreamID{2, 0}, 1700000000001, 1, 0}, {StreamID{3, 5}, 1700000000002, 7, 1}},
				Consumers: []StreamConsumer{
					{Name: []byte("alice"), Seen: 1700000000005, Active: 1700000000005, PEL: []StreamID{{2, 0}}},
					{Name: []byte("bob"), Seen: 1700000000006, Active: 1700000000006, PEL: []StreamID{{1, 1}, {3, 5}}},
					{Name: []byte("carol"), Seen: 1700000000007, Active: 1700000000007, PEL: []StreamID{}},
				}},
			{Name: []byte("g2"), LastID: StreamID{0, 0}, EntriesRead: -1, HasEntriesRead: true, PEL: []StreamNACK{}},
		},
	}
}

func TestStreamDecode(t *testing.T) {
	st := sampleStream()
	v, err := Decode(dumpOf(encodeStream(TypeStreamListpack2, st)))
	if err != nil {
		t.Fatal(err)
	}
	if v.Kind != KindStream || !reflect.DeepEqual(v.Stream, st) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", v.Stream, st)
	}
	// 7.2's type 21: consumers carry an active time too
	st.Groups[0].Consumers[0].Active = 99
	v, err = Decode(dumpOf(encodeStream(TypeStreamListpack3, st)))
	if err != nil || v.Stream.Groups[0].Consumers[0].Active != 99 || v.Stream.Groups[0].Consumers[0].Seen != 1700000000005 {
		t.Fatalf("type 21: %v %+v", err, v)
	}
	// 5.0's type 15: no first ID, max deleted, entries added or entries read
	v, err = Decode(dumpOf(encodeStream(TypeStreamListpack, st)))
	if err != nil {
		t.Fatal(err)
	}
	if s := v.Stream; !s.V1 || s.FirstID != (StreamID{1, 1}) || s.EntriesAdded != 4 || s.MaxDeleted != (StreamID{}) || s.Groups[0].HasEntriesRead {
		t.Fatalf("type 15: %+v", s)
	}
}

func TestStreamDecodeRefuses(t *testing.T) {
	bad := map[string]func(s *Stream, el [][][]byte){
		"length":              func(s *Stream, _ [][][]byte) { s.Length = 5 },
		"last ID below entry": func(s *Stream, _ [][][]byte) { s.LastID = StreamID{3, 5} },
		"nodes out of order": func(s *Stream, el [][][]byte) {
			s.Nodes[0].Master, s.Nodes[1].Master = s.Nodes[1].Master, s.Nodes[0].Master
			el[0], el[1] = el[1], el[0]
		},
		"live count":         func(s *Stream, el [][][]byte) { el[1][0] = []byte("3") },
		"deleted count":      func(s *Stream, el [][][]byte) { el[0][1] = []byte("0") },
		"lp-count":           func(s *Stream, el [][][]byte) { el[1][9] = []byte("5") },
		"flags":              func(s *Stream, el [][][]byte) { el[1][5] = []byte("9") },
		"master terminator":  func(s *Stream, el [][][]byte) { el[1][4] = []byte("1") },
		"entry below master": func(s *Stream, el [][][]byte) { el[1][7] = []byte("-1") },
		"flags as a string":  func(s *Stream, el [][][]byte) { el[1][5] = []byte("x") },
		"IDs not ascending":  func(s *Stream, el [][][]byte) { el[1][12] = []byte("0") },
		"empty node":         func(s *Stream, el [][][]byte) { el[1] = nil },
		"duplicate group":    func(s *Stream, _ [][][]byte) { s.Groups[1].Name = []byte("g1") },
		"duplicate consumer": func(s *Stream, _ [][][]byte) { s.Groups[0].Consumers[1].Name = []byte("alice") },
		"PEL entry unowned":  func(s *Stream, _ [][][]byte) { s.Groups[0].Consumers[1].PEL = s.Groups[0].Consumers[1].PEL[:1] },
		"owned twice":        func(s *Stream, _ [][][]byte) { s.Groups[0].Consumers[2].PEL = []StreamID{{2, 0}} },
		"not in group PEL":   func(s *Stream, _ [][][]byte) { s.Groups[0].Consumers[2].PEL = []StreamID{{9, 9}} },
		"duplicate PEL":      func(s *Stream, _ [][][]byte) { s.Groups[0].PEL[1].ID = StreamID{1, 1} },
	}
	for name, mutate := range bad {
		st, el := sampleStream(), sampleElems()
		mutate(st, el)
		for i := range st.Nodes {
			st.Nodes[i].LP = lpOf(el[i])
		}
		if _, err := Decode(dumpOf(encodeStream(TypeStreamListpack2, st))); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// an empty stream is a value
	if _, err := Decode(dumpOf(encodeStream(TypeStreamListpack2, &Stream{LastID: StreamID{5, 0}}))); err != nil {
		t.Fatal(err)
	}
}
