package shard

import (
	"fmt"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/cespare/xxhash/v2"

	"fastcache/internal/prefetch"
	"fastcache/persistence"
)

// withHints gives a standalone table somewhere to publish its hint view, as
// a Shard does.
func withHints(a *ArenaTable) *atomic.Pointer[hintView] {
	cell := new(atomic.Pointer[hintView])
	a.pub = cell
	a.publish()
	return cell
}

func sameArray[T any](a, b []T) bool {
	return len(a) == len(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
}

// checkHints verifies that the published view is the table's current index,
// old index and chunk list, and that for every key the record a hint
// prefetches is that key's record. It returns the share of keys whose
// record the hint finds (the rest lie beyond hintProbes slots).
func checkHints(t *testing.T, a *ArenaTable, cell *atomic.Pointer[hintView]) float64 {
	t.Helper()
	v := cell.Load()
	if !sameArray(v.slots, a.slots) || !sameArray(v.old, a.old) || !sameArray(v.chunks, a.chunks) {
		t.Fatalf("stale hint view: slots %d/%d, old %d/%d, chunks %d/%d (view/table)",
			len(v.slots), len(a.slots), len(v.old), len(a.old), len(v.chunks), len(a.chunks))
	}
	if v.seed != a.seed || v.shift != a.shift {
		t.Fatalf("hint view seed/shift %d/%d, table %d/%d", v.seed, v.shift, a.seed, a.shift)
	}
	if !prefetch.Supported {
		return 1
	}
	// The address of every record, and its key.
	keyAt := map[uintptr][]byte{}
	addrOf := map[string]uintptr{}
	endOf := map[string]uintptr{}
	for _, index := range [][]uint64{a.slots, a.old} {
		for _, s := range index {
			if s == 0 || s == tomb {
				continue
			}
			off := s & offMask
			r := a.rec(off)
			addr := uintptr(unsafe.Pointer(&a.chunks[off>>chunkShift][off&(chunkSize-1)]))
			keyAt[addr] = a.keyOf(&r)
			addrOf[string(a.keyOf(&r))] = addr
			endOf[string(a.keyOf(&r))] = uintptr(unsafe.Pointer(&a.chunks[off>>chunkShift][0])) + chunkSize
		}
	}
	found, total := 0, len(addrOf)
	for key, want := range addrOf {
		got, end := v.recordAddr(xxhash.Sum64([]byte(key)))
		switch got {
		case want:
			if end != endOf[key] {
				t.Fatalf("hint for %q: chunk end %#x, want %#x", key, end, endOf[key])
			}
			found++
		case 0:
		default:
			// The hint matches tags only, as lookup does before it
			// compares keys: it may pick another key with the same tag.
			if other, ok := keyAt[got]; !ok || a.tagOf(other) != a.tagOf([]byte(key)) {
				t.Fatalf("hint for %q points at %#x (%q), its record is at %#x", key, got, other, want)
			}
		}
	}
	if total == 0 {
		return 1
	}
	return float64(found) / float64(total)
}

// TestHintsFollowTheTable: through doublings (and one in progress), a
// shrink, Clear and Clone, the view prefetchers read without the lock is the
// table's, and it leads to the records lookups will read.
func TestHintsFollowTheTable(t *testing.T) {
	a := newArenaTableSeed(11)
	cell := withHints(a)
	checkHints(t, a, cell)
	sawDoubling := false
	const n = 60000
	for i := 0; i < n; i++ {
		a.Put([]byte(fmt.Sprintf("key:%d", i)), []byte("a value of some length"), 0, 1)
		if (a.old != nil && !sawDoubling && i > 5000) || i%10000 == 9999 {
			sawDoubling = sawDoubling || a.old != nil
			share := checkHints(t, a, cell)
			t.Logf("%d keys, doubling %v: %.3f", i+1, a.old != nil, share)
			if share < 0.9 {
				t.Fatalf("after %d keys (doubling: %v) the hint finds %.3f of the records", i+1, a.old != nil, share)
			}
		}
	}
	if !sawDoubling {
		t.Fatal("no check ran while the index was doubling")
	}
	a.finishGrow()
	if checkHints(t, a, cell); cell.Load().old != nil {
		t.Fatal("the view keeps the old index alive after the doubling ended")
	}

	// Deletes down to a few keys shrink the index.
	big := len(a.slots)
	for i := 0; i < n-100; i++ {
		a.Delete([]byte(fmt.Sprintf("key:%d", i)))
	}
	if len(a.slots) >= big {
		t.Fatalf("index did not shrink: %d slots for %d keys", len(a.slots), a.Len())
	}
	if share := checkHints(t, a, cell); share < 0.9 {
		t.Fatalf("after the shrink the hint finds %.3f of the records", share)
	}

	// A clone is nobody's live table: its writes must not replace the view.
	view := cell.Load()
	c := a.Clone()
	for i := 0; i < 5000; i++ {
		c.Put([]byte(fmt.Sprintf("clone:%d", i)), []byte("v"), 0, 1)
	}
	if cell.Load() != view || c.pub != nil {
		t.Fatal("a clone published its index into the live table's view")
	}

	a.Clear()
	checkHints(t, a, cell)
}

// memberObj is a collection whose members live in a nested table, as a big
// hash's, set's or sorted set's do.
type memberObj struct{ t *ArenaTable }

func (o *memberObj) Kind() Kind                                                     { return KindSet }
func (o *memberObj) Len() int                                                       { return o.t.Len() }
func (o *memberObj) Bytes() int64                                                   { return o.t.Bytes() }
func (o *memberObj) Clone() Object                                                  { return &memberObj{o.t.Clone()} }
func (o *memberObj) Encoding() string                                               { return "hashtable" }
func (o *memberObj) MemberTable() *ArenaTable                                       { return o.t }
func (o *memberObj) Records(int64, func(persistence.Op, []byte, int64) error) error { return nil }

// TestMemberHints: the key of a big collection leads the look-ahead to its
// member table's view (Shard.MemberHint), which leads to the members'
// records, through the table's growth and in a clone; other keys, and a
// shard whose lock is held, give none.
func TestMemberHints(t *testing.T) {
	s := New(0, 1, nil)
	d := s.DB(0)
	o := &memberObj{NewNestedTable()}
	s.Lock()
	d.PutObj([]byte("big"), o, 0)
	d.Set([]byte("str"), []byte("v"), 0, &captured{})
	s.Unlock()
	for i := 0; i < 20000; i++ {
		o.t.Put([]byte(fmt.Sprintf("member:%d", i)), nil, 0, 0)
		if i%5000 == 0 || i == 19999 {
			if share := checkHints(t, o.t, o.t.pub); share < 0.9 {
				t.Fatalf("hints find %.2f of the members", share)
			}
		}
	}
	h := s.MemberHint([]byte("big"))
	if !h.Valid() || h.v != o.t.pub.Load() {
		t.Fatalf("MemberHint(big) = %+v, want the member table's view", h)
	}
	for _, key := range []string{"str", "missing"} {
		if s.MemberHint([]byte(key)).Valid() {
			t.Fatalf("MemberHint(%s) is valid", key)
		}
	}
	s.Lock()
	held := s.MemberHint([]byte("big"))
	s.Unlock()
	if held.Valid() {
		t.Fatal("MemberHint waited for (or ignored) a held lock")
	}
	c := o.t.Clone()
	if c.pub == nil || c.pub == o.t.pub {
		t.Fatal("a clone of a nested table does not publish a view of its own")
	}
	if share := checkHints(t, c, c.pub); share < 0.9 {
		t.Fatalf("the clone's hints find %.2f of the members", share)
	}
	if prefetch.Supported { // Slot and Record only prefetch: they run, whatever the member
		h.Slot(xxhash.Sum64([]byte("member:7")))
		h.Record(xxhash.Sum64([]byte("member:7")))
		MemberHint{}.Record(1)
	}
}
