package object

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// The read-then-write paths that look a member up once (ZSet.Find and
// SetRef for ZADD and ZINCRBY, Hash.Modify for HINCRBY, Set.Add) must leave
// what the two lookups left: checked against a second collection driven
// the old way, packed and big, across the conversion.

func sameZSets(t *testing.T, i int, a, b *ZSet) {
	t.Helper()
	ea, eb := a.Entries(0, false, a.Len()), b.Entries(0, false, b.Len())
	if a.Len() != b.Len() || len(ea) != len(eb) || a.Encoding() != b.Encoding() {
		t.Fatalf("op %d: len %d/%d (%d/%d entries), %s/%s", i, a.Len(), b.Len(), len(ea), len(eb), a.Encoding(), b.Encoding())
	}
	for j := range ea {
		if string(ea[j].Member) != string(eb[j].Member) || math.Float64bits(ea[j].Score) != math.Float64bits(eb[j].Score) {
			t.Fatalf("op %d: entry %d: %q %v, want %q %v", i, j, ea[j].Member, ea[j].Score, eb[j].Member, eb[j].Score)
		}
		if s, ok := a.Score(ea[j].Member); !ok || math.Float64bits(s) != math.Float64bits(ea[j].Score) {
			t.Fatalf("op %d: Score(%q) = %v %v, the order says %v", i, ea[j].Member, s, ok, ea[j].Score)
		}
	}
}

func TestZSetFindSetRefMatchesScoreThenSet(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	a, b := NewZSet([]byte("m0")), NewZSet([]byte("m0"))
	scores := []float64{0, math.Copysign(0, -1), 1, 1.5, -2, 1e300, math.Inf(1)}
	for i := 0; i < 40_000; i++ {
		if i%10_000 == 0 { // shrink again, so the packed form is visited anew
			a, b = NewZSet([]byte("m0")), NewZSet([]byte("m0"))
		}
		m := []byte("m" + strconv.Itoa(r.IntN(20+i/50)))
		s := scores[r.IntN(len(scores))]
		if r.IntN(3) == 0 {
			s = float64(r.IntN(100))
		}
		ca, oka, ref := a.Find(m)
		cb, okb := b.Score(m)
		if oka != okb || math.Float64bits(ca) != math.Float64bits(cb) {
			t.Fatalf("op %d: Find(%q) = %v %v, Score = %v %v", i, m, ca, oka, cb, okb)
		}
		if a.big() != nil && r.IntN(10) == 0 { // a change between the steps (of a big set: its ref is checked)
			other := []byte("m" + strconv.Itoa(r.IntN(500)))
			if r.IntN(2) == 0 {
				other = m // the same member, its score rewritten in place
			}
			a.Set(other, 9)
			b.Set(other, 9)
		}
		if r.IntN(8) == 0 {
			if a.Remove(m) != b.Remove(m) {
				t.Fatalf("op %d: Remove disagrees", i)
			}
		} else {
			if na, nb := a.SetRef(ref, m, s), b.Set(m, s); na != nb {
				t.Fatalf("op %d: SetRef(%q, %v) = %v, Set = %v", i, m, s, na, nb)
			}
		}
		if i%500 == 0 {
			sameZSets(t, i, a, b)
		}
	}
	sameZSets(t, -1, a, b)
}

func TestHashModifyMatchesGetThenUpdate(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const now = 1000
	for _, big := range []bool{false, true} {
		t.Run(fmt.Sprint("big=", big), func(t *testing.T) {
			a, b := NewHash(), NewHash()
			if big {
				for i := range 300 {
					f := []byte("f" + strconv.Itoa(i))
					a.Set(f, []byte("1"))
					b.Set(f, []byte("1"))
				}
			}
			var clones [][2]*Hash
			for i := 0; i < 20_000; i++ {
				field := []byte("f" + strconv.Itoa(r.IntN(40)))
				if r.IntN(50) == 0 {
					field = []byte(string(make([]byte, 70))) // too long to stay packed
				}
				switch r.IntN(10) {
				case 0:
					if a.big != nil { // a field TTL, sometimes past
						at := int64(r.IntN(2000))
						a.SetFieldExpire(field, at)
						b.SetFieldExpire(field, at)
					}
					continue
				case 1: // a clone shares a big table until one side writes
					clones = append(clones, [2]*Hash{a.Clone().(*Hash), b.Clone().(*Hash)})
				}
				fail := r.IntN(5) == 0
				var got, put []byte
				stored, added := a.Modify(field, now, func(v []byte, ok bool) ([]byte, bool) {
					got = append([]byte{}, v...)
					if fail {
						return nil, false
					}
					n, _ := strconv.Atoi(string(v))
					nv := strconv.AppendInt(nil, int64(n+1), 10)
					if r.IntN(20) == 0 {
						nv = append(nv, make([]byte, 80)...) // converts a packed hash
					}
					put = nv
					return nv, true
				})
				v, _ := b.Get(field, now)
				if string(v) != string(got) {
					t.Fatalf("op %d: Modify saw %q, Get %q", i, got, v)
				}
				if fail {
					if stored || added {
						t.Fatalf("op %d: a refused Modify stored", i)
					}
					continue
				}
				if was := b.Update(field, put); !stored || was != added {
					t.Fatalf("op %d: Modify stored %v added %v, Update added %v", i, stored, added, was)
				}
				if i%1000 == 0 {
					sameHashes(t, i, a, b, now)
				}
			}
			sameHashes(t, -1, a, b, now)
			for _, c := range clones {
				sameHashes(t, -2, c[0], c[1], now)
			}
		})
	}
}

func sameHashes(t *testing.T, i int, a, b *Hash, now int64) {
	t.Helper()
	if a.Len() != b.Len() || a.Encoding() != b.Encoding() {
		t.Fatalf("op %d: len %d/%d, %s/%s", i, a.Len(), b.Len(), a.Encoding(), b.Encoding())
	}
	want := map[string]string{}
	b.Range(0, func(f, v []byte) bool { want[string(f)] = string(v); return true })
	n := 0
	a.Range(0, func(f, v []byte) bool {
		n++
		if w, ok := want[string(f)]; !ok || w != string(v) {
			t.Fatalf("op %d: field %q = %q, want %q (%v)", i, f, v, w, ok)
		}
		ea, _ := a.FieldExpire(f, now)
		eb, _ := b.FieldExpire(f, now)
		if ea != eb {
			t.Fatalf("op %d: field %q expires %d, want %d", i, f, ea, eb)
		}
		return true
	})
	if n != len(want) {
		t.Fatalf("op %d: %d fields, want %d", i, n, len(want))
	}
}

func TestSetAddBig(t *testing.T) {
	s := NewSet([]byte("a"))
	seen := map[string]bool{} // NewSet's argument only picks the encoding
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 5000; i++ {
		m := "m" + strconv.Itoa(r.IntN(1000))
		if s.Add([]byte(m)) == seen[m] {
			t.Fatalf("Add(%q) = %v with the member present: %v", m, !seen[m], seen[m])
		}
		seen[m] = true
	}
	if s.Len() != len(seen) || s.Encoding() != "hashtable" {
		t.Fatalf("len %d, want %d (%s)", s.Len(), len(seen), s.Encoding())
	}
}
