package object

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"fastcache/persistence"
)

// model is what a hash must hold: fields in insertion order (a small hash
// returns them so) and their values.
type model struct {
	order []string
	vals  map[string]string
}

func (m *model) set(f, v string) bool {
	if _, ok := m.vals[f]; ok {
		m.vals[f] = v
		return false
	}
	m.order = append(m.order, f)
	m.vals[f] = v
	return true
}

func (m *model) del(f string) {
	if _, ok := m.vals[f]; ok {
		delete(m.vals, f)
		m.order = slices.DeleteFunc(m.order, func(x string) bool { return x == f })
	}
}

// check compares h with m: length, every value, and for a small hash the
// order of HGETALL.
func check(t *testing.T, step int, h *Hash, m *model) {
	t.Helper()
	if h.Len() != len(m.vals) {
		t.Fatalf("step %d: Len %d, want %d", step, h.Len(), len(m.vals))
	}
	var got []string
	h.Range(0, func(f, v []byte) bool {
		if m.vals[string(f)] != string(v) {
			t.Fatalf("step %d: field %q = %q, want %q", step, f, v, m.vals[string(f)])
		}
		got = append(got, string(f))
		return true
	})
	if len(got) != len(m.vals) {
		t.Fatalf("step %d: Range gave %d fields, want %d", step, len(got), len(m.vals))
	}
	if h.Encoding() == "listpack" && !slices.Equal(got, m.order) {
		t.Fatalf("step %d: order %q, want %q", step, got, m.order)
	}
	for f, v := range m.vals {
		if x, ok := h.Get([]byte(f), 0); !ok || string(x) != v {
			t.Fatalf("step %d: Get(%q) = %q,%v want %q", step, f, x, ok, v)
		}
	}
}

// SetPairs and SetItems (HSET and its replay) must end where setting the
// pairs one by one ends: the same fields and values, the same order, the
// same encoding, the same count of new fields, with duplicates in one
// command, values changing size in place, and conversion by length or by
// count in the middle of a batch.
func TestHashSetPairsMatchesSet(t *testing.T) {
	defer HashMaxListpackEntries.Store(HashMaxListpackEntries.Load())
	HashMaxListpackEntries.Store(16)
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 300; trial++ {
		a, b, c := NewHash(), NewHash(), NewHash() // one by one, SetPairs, SetItems
		m := &model{vals: map[string]string{}}
		for step := 0; step < 40 && a.Encoding() == "listpack"; step++ {
			var fv [][]byte
			var body []byte
			for range 1 + r.IntN(6) {
				f := []byte(fmt.Sprintf("f%d", r.IntN(24)))
				v := []byte(fmt.Sprint(r.Int64N(1 << uint(r.IntN(60)))))
				if r.IntN(150) == 0 {
					v = make([]byte, 65) // longer than hash-max-listpack-value
				}
				fv = append(fv, f, v)
				body = persistence.AppendItem(persistence.AppendItem(body, f), v)
			}
			if r.IntN(5) == 0 {
				f := fmt.Sprintf("f%d", r.IntN(24))
				m.del(f)
				for _, h := range []*Hash{a, b, c} {
					h.Del([]byte(f))
				}
			}
			want := 0
			for i := 0; i < len(fv); i += 2 {
				if a.Set(fv[i], fv[i+1]) {
					want++
				}
				m.set(string(fv[i]), string(fv[i+1]))
			}
			if got := b.SetPairs(fv); got != want {
				t.Fatalf("trial %d step %d: SetPairs added %d, want %d", trial, step, got, want)
			}
			if got := c.SetItems(body); got != want {
				t.Fatalf("trial %d step %d: SetItems added %d, want %d", trial, step, got, want)
			}
			for _, h := range []*Hash{a, b, c} {
				check(t, step, h, m)
				if h.Encoding() != a.Encoding() {
					t.Fatalf("trial %d step %d: encoding %s, one by one %s", trial, step, h.Encoding(), a.Encoding())
				}
			}
		}
	}
}

// A new hash written by one HSET (or one snapshot entry) takes one
// allocation of the size it needs.
func TestHashSetPairsReservesOnce(t *testing.T) {
	var fv [][]byte
	for i := range 100 {
		fv = append(fv, []byte(fmt.Sprintf("field:%010d", i)), []byte("0123456789abcdef0123456789abcdef"))
	}
	h := NewHash()
	allocs := testing.AllocsPerRun(10, func() {
		h = NewHash()
		h.SetPairs(fv)
	})
	// The Hash and its buffer (the race detector adds one); growing by
	// doubling would take a dozen.
	if allocs > 3 {
		t.Errorf("%v allocations for a 100-field hash, want 2", allocs)
	}
	if need := 100 * (1 + 16 + 1 + 32); cap(h.lp) < need || cap(h.lp) > need*9/8 {
		t.Errorf("cap %d for %d bytes", cap(h.lp), need)
	}
}

// Loading a 100-field hash from a record (snapshot load, replay).
func BenchmarkHashLoad100(b *testing.B) {
	var body []byte
	for i := range 100 {
		body = persistence.AppendItem(body, []byte(fmt.Sprintf("field:%010d", i)))
		body = persistence.AppendItem(body, []byte("0123456789abcdef0123456789abcdef"))
	}
	b.Run("one-by-one", func(b *testing.B) {
		for b.Loop() {
			h := NewHash()
			var f []byte
			i := 0
			persistence.Items(body, func(it []byte) {
				if i%2 == 0 {
					f = it
				} else {
					h.Set(f, it)
				}
				i++
			})
		}
	})
	b.Run("SetItems", func(b *testing.B) {
		for b.Loop() {
			NewHash().SetItems(body)
		}
	})
}

// bigHash is a table-encoded hash of n fields f0..f(n-1) = v0.., whatever
// hash-max-listpack-entries says.
func bigHash(n int) *Hash {
	h := NewHash()
	for i := range n {
		h.Set([]byte(fmt.Sprint("f", i)), []byte(fmt.Sprint("v", i)))
	}
	if h.big == nil {
		h.convert()
	}
	return h
}

func contents(h *Hash) map[string]string {
	m := map[string]string{}
	h.Range(0, func(f, v []byte) bool { m[string(f)] = string(v); return true })
	return m
}

// A clone of a table-encoded hash shares the table until one side changes,
// and each side then sees only its own changes, whichever changes first.
func TestHashCloneCopyOnWrite(t *testing.T) {
	for _, change := range []struct {
		name string
		fn   func(h *Hash)
	}{
		{"Set", func(h *Hash) { h.Set([]byte("f1"), []byte("changed")) }},
		{"Set new", func(h *Hash) { h.Set([]byte("new"), []byte("x")) }},
		{"SetPairs", func(h *Hash) { h.SetPairs([][]byte{[]byte("f2"), []byte("y"), []byte("n2"), []byte("z")}) }},
		{"Update", func(h *Hash) { h.Update([]byte("f3"), []byte("7")) }},
		{"Del", func(h *Hash) { h.Del([]byte("f4")) }},
		{"SetFieldExpire", func(h *Hash) { h.SetFieldExpire([]byte("f5"), 1) }},
		{"Scan", func(h *Hash) { h.Scan(0, 10, 0, func(f, v []byte) {}) }},
	} {
		for _, cloneChanges := range []bool{false, true} {
			orig := bigHash(300)
			want := contents(orig)
			clone := orig.Clone().(*Hash)
			if clone.big != orig.big {
				t.Fatalf("%s: a clone of a table-encoded hash copied the table", change.name)
			}
			a, b := orig, clone
			if cloneChanges {
				a, b = clone, orig
			}
			change.fn(a)
			if got := contents(b); len(got) != len(want) || !maps.Equal(got, want) {
				t.Fatalf("%s (clone changes: %v): the other side changed", change.name, cloneChanges)
			}
			if at, _ := b.FieldExpire([]byte("f5"), 0); at != 0 {
				t.Fatalf("%s: the other side's field got a TTL", change.name)
			}
			// Now b changes too: it may take the table over without copying.
			b.Set([]byte("f6"), []byte("b"))
			if v, _ := a.Get([]byte("f6"), 0); string(v) == "b" {
				t.Fatalf("%s: b's change reached a", change.name)
			}
		}
	}
}

// A snapshot reads its clone without the shard lock while commands read
// and change the live hash (run with -race).
func TestHashCloneConcurrentReader(t *testing.T) {
	h := bigHash(2000)
	for round := range 20 {
		c := h.Clone().(*Hash)
		done := make(chan int)
		go func() {
			n := 0
			c.Records(0, func(op persistence.Op, body []byte, num int64) error {
				persistence.Items(body, func([]byte) { n++ })
				return nil
			})
			done <- n
		}()
		h.Get([]byte("f1"), 0)
		h.Set([]byte(fmt.Sprint("g", round)), []byte("x"))
		h.Del([]byte(fmt.Sprint("f", round)))
		if n := <-done; n != 2*c.Len() {
			t.Fatalf("round %d: the clone's records held %d items, want %d", round, n, 2*c.Len())
		}
	}
}

// A released clone gives its share back: the live hash's next change takes
// the table over without copying it (after a snapshot, a write to a big
// hash no longer copies its whole table); without the release it copies.
// Two clones: the table is kept until both are released.
func TestHashCloneRelease(t *testing.T) {
	h := bigHash(1000)
	if h.big == nil {
		t.Fatal("not table-encoded")
	}
	c := h.Clone().(*Hash)
	table := h.big
	c.Release()
	h.Set([]byte("f1"), []byte("changed"))
	if h.big != table {
		t.Fatal("the change copied a table no clone shares any more")
	}
	if v, _ := h.Get([]byte("f1"), 0); string(v) != "changed" || h.Len() != 1000 {
		t.Fatalf("after the change: f1 = %q, %d fields", v, h.Len())
	}

	c1, c2 := h.Clone().(*Hash), h.Clone().(*Hash)
	table = h.big
	c1.Release()
	h.Set([]byte("f2"), []byte("x"))
	if h.big == table {
		t.Fatal("the change wrote into a table a clone still reads")
	}
	if v, _ := c2.Get([]byte("f2"), 0); string(v) != "v2" {
		t.Fatalf("the unreleased clone saw the change: %q", v)
	}
	c2.Release()

	d := h.Clone().(*Hash) // dropped without a release: the change copies
	_ = d
	table = h.big
	h.Set([]byte("f3"), []byte("y"))
	if h.big == table {
		t.Fatal("a change wrote into a table an unreleased clone shares")
	}
}
