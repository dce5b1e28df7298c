package object

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"fastcache/persistence"
	"fastcache/shard"
)

func TestListpackRoundTrip(t *testing.T) {
	vals := []string{"0", "1", "127", "128", "-1", "-4096", "4095", "4096", "-32768", "32767", "32768",
		"-8388608", "8388607", "8388608", "2147483647", "-2147483648", "2147483648",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "-0", "01", "+1", " 1", "",
		"abc", string(make([]byte, 63)), string(make([]byte, 64)), string(make([]byte, 4095)), string(make([]byte, 4096)), string(make([]byte, 20000))}
	lp := lpNew(0)
	lp = lp[:len(lp)-1]
	for _, v := range vals {
		before := len(lp)
		lp = lpAppendStrElem(lp, []byte(v))
		if len(lp)-before != lpElemSize([]byte(v)) {
			t.Fatalf("%q: size %d, lpElemSize %d", v, len(lp)-before, lpElemSize([]byte(v)))
		}
	}
	lp = append(lp, lpEOF)
	lpSetHeader(lp, len(vals))
	var buf [24]byte
	p := lpHdrSize
	var poss []int
	for i, v := range vals {
		poss = append(poss, p)
		var got []byte
		got, p = lpGet(lp, p, buf[:])
		if string(got) != v {
			t.Fatalf("elem %d: got %q want %q", i, got, v)
		}
	}
	if p != len(lp)-1 {
		t.Fatalf("end at %d, len %d", p, len(lp))
	}
	q := lpLast(lp)
	for i := len(vals) - 1; i >= 0; i-- {
		if q != poss[i] {
			t.Fatalf("backwards elem %d at %d, want %d", i, q, poss[i])
		}
		q = lpPrev(lp, q)
	}
	if q != -1 {
		t.Fatalf("before first: %d", q)
	}
	// replacing an integer with sizes across the encodings
	lp2 := lpNew(0)
	lp2 = lpAppendIntElem(lp2[:len(lp2)-1], 5)
	lp2 = lpAppendStrElem(lp2, []byte("tail"))
	lp2 = append(lp2, lpEOF)
	lpSetHeader(lp2, 2)
	for _, v := range []int64{127, 128, 5000, 1 << 20, 1 << 40, 3, -1} {
		lp2 = lpReplaceInt(lp2, lpHdrSize, v)
		got, next := lpInt(lp2, lpHdrSize)
		s, _ := lpGet(lp2, next, buf[:])
		if got != v || string(s) != "tail" || lpBytes(lp2) != len(lp2) {
			t.Fatalf("replace %d: got %d, %q", v, got, s)
		}
	}
}

type modelEntry struct {
	id StreamID
	fv []string
}

func streamContents(s *Stream, rev bool) []modelEntry {
	var out []modelEntry
	s.Range(StreamID{}, MaxStreamID, rev, func(e *StreamEntry) bool {
		m := modelEntry{id: e.ID}
		e.Each(func(f, v []byte) { m.fv = append(m.fv, string(f), string(v)) })
		out = append(out, m)
		return true
	})
	return out
}

// TestStreamModel runs random adds, deletes and trims on a stream with
// tiny nodes and checks every read against a plain slice, and that the
// snapshot records rebuild the same stream.
func TestStreamModel(t *testing.T) {
	defer StreamNodeMaxEntries.Store(StreamNodeMaxEntries.Load())
	defer StreamNodeMaxBytes.Store(StreamNodeMaxBytes.Load())
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 30; round++ {
		StreamNodeMaxEntries.Store(int64(r.IntN(8)))
		StreamNodeMaxBytes.Store(int64(r.IntN(300)))
		s := NewStream()
		var model []modelEntry
		next := StreamID{1, 0}
		for op := 0; op < 400; op++ {
			switch k := r.IntN(10); {
			case k < 6:
				nf := 1 + r.IntN(3)
				var fv [][]byte
				var fs []string
				for i := 0; i < nf; i++ {
					f := []string{"a", "b", "c", "10", "-3"}[r.IntN(5)]
					if r.IntN(3) == 0 {
						f = []string{"a", "b", "c"}[i]
					}
					v := strconv.Itoa(r.IntN(300) - 100)
					if r.IntN(2) == 0 {
						v = fmt.Sprint("val", r.IntN(1000))
					}
					fv = append(fv, []byte(f), []byte(v))
					fs = append(fs, f, v)
				}
				s.Add(next, fv)
				model = append(model, modelEntry{next, fs})
				if r.IntN(3) == 0 {
					next = StreamID{next.Ms + uint64(r.IntN(100000)), 0}
				} else {
					next.Seq++
				}
			case k < 8 && len(model) > 0:
				i := r.IntN(len(model))
				if !s.Delete(model[i].id) {
					t.Fatalf("delete %v failed", model[i].id)
				}
				if s.Delete(model[i].id) {
					t.Fatalf("deleted %v twice", model[i].id)
				}
				model = slices.Delete(model, i, i+1)
			case k < 9:
				ml := int64(r.IntN(len(model) + 2))
				approx := r.IntN(2) == 0
				res := s.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: ml, Approx: approx})
				if !approx && int64(len(model)) > ml {
					model = model[int64(len(model))-ml:]
				} else if approx {
					model = model[len(model)-int(s.Length()):]
				}
				if int64(s.Length()) != int64(len(model)) {
					t.Fatalf("trim maxlen %d approx %v: len %d, model %d (deleted %d)", ml, approx, s.Length(), len(model), res.Deleted)
				}
			default:
				if len(model) == 0 {
					continue
				}
				min := model[r.IntN(len(model))].id
				s.Trim(TrimArgs{Strategy: TrimMinID, MinID: min})
				for len(model) > 0 && model[0].id.Less(min) {
					model = model[1:]
				}
			}
			if got := streamContents(s, false); !equalModel(got, model) {
				t.Fatalf("round %d op %d: stream %v\nmodel %v", round, op, got, model)
			}
			rev := streamContents(s, true)
			slices.Reverse(rev)
			if !equalModel(rev, model) {
				t.Fatalf("round %d op %d: reverse %v", round, op, rev)
			}
			if len(model) > 0 && s.FirstID() != model[0].id {
				t.Fatalf("first id %v, want %v", s.FirstID(), model[0].id)
			}
		}
		// rebuild from records
		sh := shard.New(0, 1, persistence.NewDisabled(1).Queue(0))
		d := sh.DB(0)
		key := []byte("k")
		if err := s.Records(0, func(op persistence.Op, body []byte, num int64) error {
			d.Apply(&persistence.Record{Op: op, Key: key, Value: body, Arg: num})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		e, ok := d.Peek(key, 0)
		if !ok {
			t.Fatal("rebuilt stream missing")
		}
		c := d.Obj(e).(*Stream)
		if got := streamContents(c, false); !equalModel(got, model) || c.LastID() != s.LastID() || c.Length() != s.Length() || c.Nodes() != s.Nodes() {
			t.Fatalf("rebuilt: %v (last %v len %d nodes %d), want last %v len %d nodes %d", got, c.LastID(), c.Length(), c.Nodes(), s.LastID(), s.Length(), s.Nodes())
		}
	}
}

func equalModel(a, b []modelEntry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].id != b[i].id || !slices.Equal(a[i].fv, b[i].fv) {
			return false
		}
	}
	return true
}

func TestRaxNodes(t *testing.T) {
	s := NewStream()
	if s.RaxNodes() != 1 {
		t.Fatal(s.RaxNodes())
	}
	s.Add(StreamID{1, 1}, [][]byte{[]byte("f"), []byte("v")})
	if n := s.RaxNodes(); n != 2 {
		t.Fatalf("one key: %d nodes", n)
	}
}

// FuzzStreamNodes: whatever bytes a node record holds (a damaged or
// hostile snapshot), replaying it and then reading, deleting and trimming
// never panics.
func FuzzStreamNodes(f *testing.F) {
	s := NewStream()
	for i := 0; i < 30; i++ {
		s.Add(StreamID{1, uint64(i + 1)}, [][]byte{[]byte("a"), []byte(strconv.Itoa(i)), []byte("bb"), []byte("x")})
	}
	s.nodes.each(func(n *streamNode) bool { f.Add(append([]byte(nil), n.lp...)); return true })
	f.Fuzz(func(t *testing.T, lp []byte) {
		if len(lp) < lpHdrSize+1 {
			return
		}
		lp[len(lp)-1] = lpEOF // a well-framed listpack with any content
		binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
		body := persistence.AppendItem(AppendIDItem(nil, StreamID{1, 1}), lp)
		sh := shard.New(0, 1, persistence.NewDisabled(1).Queue(0))
		d := sh.DB(0)
		key := []byte("k")
		d.Apply(&persistence.Record{Op: OpXNodes, Key: key, Value: body})
		e, ok := d.Peek(key, 0)
		if !ok {
			return
		}
		st := d.Obj(e).(*Stream)
		n := 0
		st.Range(StreamID{}, MaxStreamID, false, func(e *StreamEntry) bool { e.Each(func(f, v []byte) {}); n++; return n < 1000 })
		st.Range(StreamID{}, MaxStreamID, true, func(e *StreamEntry) bool { e.Each(func(f, v []byte) {}); n++; return n < 2000 })
		st.Delete(StreamID{1, 5})
		st.LastValidID()
		st.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: 3})
		st.Add(MaxStreamID, [][]byte{[]byte("f"), []byte("v")})
		st.RaxNodes()
	})
}
