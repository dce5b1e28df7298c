package object

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

type zent struct {
	s float64
	m string
}

func zentCmp(a, b zent) int { return zcmp(a.s, []byte(a.m), b.s, []byte(b.m)) }

// check verifies the tree's structure against the model: order, counts,
// separators, leaf links and the memory total.
func (t *ztree) check(tb testing.TB, model []zent) {
	tb.Helper()
	var got []zent
	t.walk(0, false, func(m []byte, s float64) bool { got = append(got, zent{s, string(m)}); return true })
	if len(model) == 0 && t.root.n == 0 {
		got = nil
	}
	if !slices.Equal(got, model) {
		tb.Fatalf("walk: got %d entries, want %d\n%v\n%v", len(got), len(model), got[:min(len(got), 10)], model[:min(len(model), 10)])
	}
	var back []zent
	if len(model) > 0 {
		t.walk(len(model)-1, true, func(m []byte, s float64) bool { back = append(back, zent{s, string(m)}); return true })
	}
	slices.Reverse(back)
	if len(model) > 0 && !slices.Equal(back, model) {
		tb.Fatalf("reverse walk differs")
	}
	var total int64
	var leaves []*znode
	var rec func(x *znode, lo *zsep, hi *zsep, depth int) int
	rec = func(x *znode, lo, hi *zsep, depth int) int {
		total += t.nodeBytes(x)
		if x.kids == nil {
			if depth != t.height {
				tb.Fatalf("leaf at depth %d, height %d", depth, t.height)
			}
			if len(x.scores) != x.n {
				tb.Fatalf("leaf n %d scores %d", x.n, len(x.scores))
			}
			p := 0
			for i := 0; i < x.n; i++ {
				var m []byte
				m, p = memberAt(x.data, p)
				if lo != nil && zcmp(x.scores[i], m, lo.score, lo.member) < 0 {
					tb.Fatalf("entry below separator")
				}
				if hi != nil && zcmp(x.scores[i], m, hi.score, hi.member) >= 0 {
					tb.Fatalf("entry not below next separator")
				}
			}
			if p != len(x.data) {
				tb.Fatalf("leaf data length")
			}
			if x != t.root && x.n < leafMin && x.n == 0 {
				tb.Fatalf("empty non-root leaf")
			}
			leaves = append(leaves, x)
			return x.n
		}
		if len(x.kids) != len(x.seps) {
			tb.Fatalf("kids/seps")
		}
		if x != t.root && len(x.kids) < 2 {
			tb.Fatalf("inner node with %d kids", len(x.kids))
		}
		n := 0
		for i, k := range x.kids {
			l, h := lo, hi
			if i > 0 {
				l = &x.seps[i]
			}
			if i+1 < len(x.kids) {
				h = &x.seps[i+1]
			}
			n += rec(k, l, h, depth+1)
		}
		if n != x.n {
			tb.Fatalf("count %d, want %d", x.n, n)
		}
		return n
	}
	rec(t.root, nil, nil, 0)
	if total != t.bytes {
		tb.Fatalf("bytes %d, recomputed %d", t.bytes, total)
	}
	for i, l := range leaves {
		if (i > 0 && l.prev != leaves[i-1]) || (i == 0 && l.prev != nil) ||
			(i+1 < len(leaves) && l.next != leaves[i+1]) || (i+1 == len(leaves) && l.next != nil) {
			tb.Fatalf("leaf links broken at %d", i)
		}
	}
}

func TestZTreeRandom(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		r := rand.New(rand.NewPCG(seed, 9))
		tr := newZTree()
		var model []zent
		present := map[string]float64{}
		for step := 0; step < 30000; step++ {
			m := fmt.Sprintf("m%d", r.IntN(3000))
			if r.IntN(50) == 0 {
				m = string(bytes.Repeat([]byte{'L'}, 1+r.IntN(3000))) // big members exercise the byte limit
			}
			if old, ok := present[m]; ok && r.IntN(3) > 0 {
				if !tr.remove(old, []byte(m)) {
					t.Fatalf("remove %q failed", m)
				}
				i, _ := slices.BinarySearchFunc(model, zent{old, m}, zentCmp)
				model = slices.Delete(model, i, i+1)
				delete(present, m)
			} else if !ok {
				s := float64(r.IntN(100))
				if r.IntN(4) == 0 {
					s = r.NormFloat64()
				}
				tr.insert(s, []byte(m))
				i, _ := slices.BinarySearchFunc(model, zent{s, m}, zentCmp)
				model = slices.Insert(model, i, zent{s, m})
				present[m] = s
			}
			if step%997 == 0 || step > 29900 {
				tr.check(t, model)
				// ranks and counts
				for k := 0; k < 20 && len(model) > 0; k++ {
					e := model[r.IntN(len(model))]
					if got, want := tr.rank(e.s, []byte(e.m)), slices.IndexFunc(model, func(x zent) bool { return x == e }); got != want {
						t.Fatalf("rank %v = %d, want %d", e, got, want)
					}
					bound := float64(r.IntN(100))
					want := 0
					for want < len(model) && model[want].s < bound {
						want++
					}
					if got := tr.countWhile(func(s float64, m []byte) bool { return s < bound }); got != want {
						t.Fatalf("countWhile(< %v) = %d, want %d", bound, got, want)
					}
				}
			}
		}
		// drain
		for len(model) > 0 {
			i := r.IntN(len(model))
			e := model[i]
			if !tr.remove(e.s, []byte(e.m)) {
				t.Fatal("drain remove failed")
			}
			model = slices.Delete(model, i, i+1)
			if len(model)%500 == 0 {
				tr.check(t, model)
			}
		}
		tr.check(t, nil)
	}
}

func TestZTreeSequential(t *testing.T) {
	tr := newZTree()
	var model []zent
	for i := 0; i < 20000; i++ {
		m := fmt.Sprintf("k%08d", i)
		tr.insert(float64(i), []byte(m))
		model = append(model, zent{float64(i), m})
	}
	tr.check(t, model)
	c := tr.clone()
	c.check(t, model)
	for i := 0; i < 20000; i += 2 {
		tr.remove(float64(i), []byte(fmt.Sprintf("k%08d", i)))
	}
	var odd []zent
	for i := 1; i < 20000; i += 2 {
		odd = append(odd, model[i])
	}
	tr.check(t, odd)
	c.check(t, model) // the clone is independent
	for r := 0; r < len(odd); r += 777 {
		x, i := tr.seek(r)
		if x.scores[i] != odd[r].s {
			t.Fatalf("seek %d", r)
		}
	}
}

// TestZTreePopEdge pops from both ends (first, popEdge), mixed with inserts
// landing in the edge leaves, against the model.
func TestZTreePopEdge(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		r := rand.New(rand.NewPCG(seed, 7))
		tr := newZTree()
		var model []zent
		present := map[string]bool{}
		for step := 0; step < 40000; step++ {
			if len(model) > 0 && r.IntN(5) < 2 {
				rev := r.IntN(2) == 0
				m, s, m2, ok2 := tr.first(rev)
				i, j := 0, 1
				if rev {
					i, j = len(model)-1, len(model)-2
				}
				if (zent{s, string(m)}) != model[i] {
					t.Fatalf("first(%v) = %v %q, want %v", rev, s, m, model[i])
				}
				if ok2 != (len(model) > 1) || (ok2 && string(m2) != model[j].m) {
					t.Fatalf("first(%v): next %q %v", rev, m2, ok2)
				}
				tr.popEdge(rev)
				delete(present, model[i].m)
				model = slices.Delete(model, i, i+1)
			} else {
				m := fmt.Sprintf("m%d", r.IntN(5000))
				if r.IntN(100) == 0 {
					m = string(bytes.Repeat([]byte{'L'}, 1+r.IntN(3000)))
				}
				if present[m] {
					continue
				}
				s := float64(r.IntN(1000))
				if r.IntN(3) == 0 { // near the edges
					s = float64(r.IntN(10))
					if r.IntN(2) == 0 {
						s = 1000 - s
					}
				}
				tr.insert(s, []byte(m))
				i, _ := slices.BinarySearchFunc(model, zent{s, m}, zentCmp)
				model = slices.Insert(model, i, zent{s, m})
				present[m] = true
			}
			if step%499 == 0 {
				tr.check(t, model)
			}
		}
		for len(model) > 0 {
			rev := len(model)%3 == 0
			i := 0
			if rev {
				i = len(model) - 1
			}
			if m, s, _, _ := tr.first(rev); (zent{s, string(m)}) != model[i] {
				t.Fatalf("drain: first(%v) = %v %q, want %v", rev, s, m, model[i])
			}
			tr.popEdge(rev)
			model = slices.Delete(model, i, i+1)
			if len(model)%300 == 0 {
				tr.check(t, model)
			}
		}
		tr.check(t, nil)
	}
}
