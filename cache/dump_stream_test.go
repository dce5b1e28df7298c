package cache

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"fastcache/internal/rdb"
	"fastcache/object"
	"fastcache/persistence"
)

// sampleStreamPayload builds a stream with several nodes, deletions, a
// trim and groups through the stream's own methods, and dumps it.
func sampleStreamPayload(t *testing.T) []byte {
	t.Helper()
	s := object.NewStream()
	for i := 1; i <= 250; i++ {
		fv := [][]byte{[]byte("f"), []byte(fmt.Sprint(i * 7))}
		if i%9 == 0 {
			fv = [][]byte{[]byte("other"), []byte("x"), []byte("y"), []byte(fmt.Sprint(-i))}
		}
		s.Add(object.StreamID{Ms: uint64(100 + i/4), Seq: uint64(i)}, fv)
	}
	for _, i := range []int{3, 50, 101, 102, 249} {
		s.Delete(object.StreamID{Ms: uint64(100 + i/4), Seq: uint64(i)})
	}
	s.Trim(object.TrimArgs{Strategy: object.TrimMaxLen, MaxLen: 230})
	g := s.CreateGroup([]byte("g"), object.StreamID{Ms: 120, Seq: 80}, 70)
	a, _ := g.CreateConsumer([]byte("alice"), 1700000000000)
	b, _ := g.CreateConsumer([]byte("bob"), 1700000000100)
	g.CreateConsumer([]byte("idle"), 1700000000200)
	for i := 60; i < 80; i++ {
		c := a
		if i%3 == 0 {
			c = b
		}
		g.Assign(c, object.StreamID{Ms: uint64(100 + i/4), Seq: uint64(i)}, int64(1700000000000+i), int64(i%4+1))
	}
	s.CreateGroup([]byte("empty"), object.StreamID{}, object.InvalidEntriesRead)
	var w rdb.Writer
	dumpStream(&w, s)
	return w.Finish()
}

func restorePayload(p []byte) (*object.Stream, error) {
	v, err := rdb.Decode(p)
	if err != nil {
		return nil, err
	}
	if v.Kind != rdb.KindStream {
		return nil, ErrBadFormat
	}
	return restoreStream(v.Stream)
}

func TestDumpStreamRoundTrip(t *testing.T) {
	p := sampleStreamPayload(t)
	s, err := restorePayload(p)
	if err != nil {
		t.Fatal(err)
	}
	var w rdb.Writer
	dumpStream(&w, s)
	if p2 := w.Finish(); !bytes.Equal(p, p2) {
		t.Fatalf("the restored stream dumps differently")
	}
	if s.Nodes() < 3 || s.Length() != 230 || len(s.Groups()) != 2 || s.Groups()[1].PendingLen() != 20 {
		t.Fatalf("restored: nodes %d length %d groups %d", s.Nodes(), s.Length(), len(s.Groups()))
	}
}

// Redis 5.0's and 7.2's stream payloads restore: type 15 without the
// counters 7.0 added (derived as Redis derives them), type 21 with
// consumers' active times (dropped: 7.0 has seen times only).
func TestDumpStreamOtherTypes(t *testing.T) {
	v, err := rdb.Decode(sampleStreamPayload(t))
	if err != nil {
		t.Fatal(err)
	}
	s21, err := restorePayload(encodeRDBStreamType(rdb.TypeStreamListpack3, v.Stream))
	if err != nil {
		t.Fatal(err)
	}
	var w rdb.Writer
	dumpStream(&w, s21)
	if !bytes.Equal(w.Finish(), sampleStreamPayload(t)) {
		t.Error("type 21 restored differently from type 19")
	}
	s15, err := restorePayload(encodeRDBStreamType(rdb.TypeStreamListpack, v.Stream))
	if err != nil {
		t.Fatal(err)
	}
	if s15.EntriesAdded() != s15.Length() || !s15.MaxDeleted().IsZero() || s15.FirstID() != s21.FirstID() || s15.LastID() != s21.LastID() {
		t.Errorf("type 15: added %d length %d maxdel %v first %v", s15.EntriesAdded(), s15.Length(), s15.MaxDeleted(), s15.FirstID())
	}
	for _, g := range s15.Groups() {
		if want := s15.EstimateEntriesRead(g.LastID); g.EntriesRead != want {
			t.Errorf("group %s: entries-read %d, want the estimate %d", g.Name, g.EntriesRead, want)
		}
	}
	if g := s15.Group([]byte("g")); g == nil || g.PendingLen() != 20 || len(g.Consumers()) != 3 {
		t.Errorf("type 15 group: %+v", g)
	}
}

// TestDumpStreamMutations restores random mutations of a valid payload:
// whatever the decoder accepts makes a stream that every operation can
// run on, that dumps and restores again.
func TestDumpStreamMutations(t *testing.T) {
	seed := sampleStreamPayload(t)
	body := seed[:len(seed)-10]
	r := rand.New(rand.NewPCG(11, 12))
	accepted := 0
	for i := 0; i < 5000; i++ {
		b := append([]byte(nil), body...)
		for k := 0; k <= r.IntN(3); k++ {
			j := r.IntN(len(b))
			switch r.IntN(3) {
			case 0:
				b[j] = byte(r.Uint32())
			case 1:
				b[j] ^= 1 << r.IntN(8)
			case 2:
				b[j]++
			}
		}
		var w rdb.Writer
		w.Raw(b)
		s, err := restorePayload(w.Finish())
		if err != nil {
			continue
		}
		accepted++
		exerciseStream(t, s)
	}
	t.Logf("%d mutations accepted", accepted)
}

// encodeRDBStream writes a decoded stream back as a type 19 payload.
func encodeRDBStream(st *rdb.Stream) []byte { return encodeRDBStreamType(rdb.TypeStreamListpack2, st) }

// encodeRDBStreamType writes a decoded stream as a payload of type t (15,
// 19 or 21).
func encodeRDBStreamType(t byte, st *rdb.Stream) []byte {
	var w rdb.Writer
	w.Type(t)
	w.Len(uint64(len(st.Nodes)))
	for _, n := range st.Nodes {
		w.String(rdb.NodeKey(n.Master))
		w.String(n.LP)
	}
	id := func(x rdb.StreamID) { w.Len(x.Ms); w.Len(x.Seq) }
	w.Len(st.Length)
	id(st.LastID)
	if t != rdb.TypeStreamListpack {
		id(st.FirstID)
		id(st.MaxDeleted)
		w.Len(st.EntriesAdded)
	}
	w.Len(uint64(len(st.Groups)))
	for _, g := range st.Groups {
		w.String(g.Name)
		id(g.LastID)
		if t != rdb.TypeStreamListpack {
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
			if t == rdb.TypeStreamListpack3 {
				w.Millis(c.Active)
			}
			w.Len(uint64(len(c.PEL)))
			for _, id := range c.PEL {
				w.RawID(id)
			}
		}
	}
	return w.Finish()
}

// TestDumpStreamNodeMutations restores payloads whose node listpacks
// (inside the compression) are mutated, the length header kept right.
func TestDumpStreamNodeMutations(t *testing.T) {
	v, err := rdb.Decode(sampleStreamPayload(t))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(13, 14))
	accepted := 0
	for i := 0; i < 5000; i++ {
		st := *v.Stream
		st.Nodes = append([]rdb.StreamNode(nil), st.Nodes...)
		k := r.IntN(len(st.Nodes))
		lp := append([]byte(nil), st.Nodes[k].LP...)
		for m := 0; m <= r.IntN(3); m++ {
			j := 6 + r.IntN(len(lp)-6)
			switch r.IntN(3) {
			case 0:
				lp[j] = byte(r.Uint32())
			case 1:
				lp[j] ^= 1 << r.IntN(8)
			case 2:
				lp[j]++
			}
		}
		st.Nodes[k].LP = lp
		s, err := restorePayload(encodeRDBStream(&st))
		if err != nil {
			continue
		}
		accepted++
		exerciseStream(t, s)
	}
	t.Logf("%d mutations accepted", accepted)
}

func exerciseStream(t *testing.T, s *object.Stream) {
	t.Helper()
	var w rdb.Writer
	dumpStream(&w, s)
	if _, err := restorePayload(w.Finish()); err != nil {
		t.Fatalf("an accepted stream dumps to a payload refused: %v", err)
	}
	n := 0
	s.Range(object.StreamID{}, object.MaxStreamID, false, func(e *object.StreamEntry) bool {
		e.Each(func(f, v []byte) {})
		n++
		return true
	})
	s.Range(object.StreamID{}, object.MaxStreamID, true, func(e *object.StreamEntry) bool {
		e.Each(func(f, v []byte) {})
		return true
	})
	if uint64(n) != s.Length() {
		t.Fatalf("length %d, %d entries", s.Length(), n)
	}
	_ = s.Records(0, func(op persistence.Op, body []byte, num int64) error { return nil })
	for _, g := range s.Groups() {
		g.EachPending(object.StreamID{}, func(p *object.Pending) bool {
			if g.Owner(p) == nil {
				t.Fatalf("pending %v without owner", p.ID)
			}
			return true
		})
		s.Lag(g)
	}
	s.RaxNodes()
	if id, ok := s.NextID(0); ok {
		s.Add(id, [][]byte{[]byte("f"), []byte("v")})
	}
	s.Delete(s.FirstID())
	s.Trim(object.TrimArgs{Strategy: object.TrimMaxLen, MaxLen: int64(s.Length() / 2)})
}

// BenchmarkDumpStream dumps and restores a 100k-entry stream with a group
// of 20k pending entries.
func BenchmarkDumpStream(b *testing.B) {
	s := object.NewStream()
	for i := 1; i <= 100000; i++ {
		s.Add(object.StreamID{Ms: uint64(i)}, [][]byte{[]byte("field"), []byte(fmt.Sprint(i)), []byte("payload"), []byte(fmt.Sprintf("value-%d-abcdef", i*31))})
	}
	g := s.CreateGroup([]byte("g"), object.StreamID{Ms: 20000}, 20000)
	c, _ := g.CreateConsumer([]byte("c"), 1)
	for i := 1; i <= 20000; i++ {
		g.Assign(c, object.StreamID{Ms: uint64(i)}, 1, 1)
	}
	var w rdb.Writer
	dumpStream(&w, s)
	p := w.Finish()
	b.Run("dump", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var w rdb.Writer
			dumpStream(&w, s)
			w.Finish()
		}
	})
	b.Run("restore", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := restorePayload(p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
