package object

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"fastcache/persistence"
)

func TestListEntryEncoding(t *testing.T) {
	vals := []string{"", "a", "0", "-0", "00", "1", "127", "128", "-1", "4095", "4096", "-4096", "-4097",
		"32767", "32768", "-32768", "8388607", "8388608", "-8388608", "2147483647", "2147483648",
		"-2147483648", "-2147483649", "9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "-9223372036854775809", "18446744073709551616", "+1", " 1", "1 ",
		string(make([]byte, 63)), string(make([]byte, 64)), string(bytes.Repeat([]byte("x"), 4095)),
		string(bytes.Repeat([]byte("y"), 4096)), string(bytes.Repeat([]byte("z"), 20000))}
	for _, v := range vals {
		e := encode([]byte(v))
		b := make([]byte, e.total+3)
		b[0], b[1] = 0xAA, 0xBB
		e.put(b[2:])
		var num [20]byte
		got, next := entryBytes(b, 2, &num)
		if string(got) != v || next != 2+e.total {
			t.Errorf("%.30q: got %.30q next %d want %d", v, got, next, 2+e.total)
		}
		if p := prevStart(b, 2+e.total); p != 2 {
			t.Errorf("%.30q: prevStart %d", v, p)
		}
		if _, err := strconv.ParseInt(v, 10, 64); err == nil && strconv.FormatInt(must(strconv.ParseInt(v, 10, 64)), 10) == v && !e.isInt {
			t.Errorf("%q: canonical integer not stored as one", v)
		}
	}
}

func must(v int64, err error) int64 { return v }

// TestListModel runs random operations on a List and on a slice, with
// several node limits, comparing contents after each step.
func TestListModel(t *testing.T) {
	defer ListMaxListpackSize.Store(ListMaxListpackSize.Load())
	for _, fill := range []int64{-2, -1, 1, 2, 3, 5, 128} {
		ListMaxListpackSize.Store(fill)
		t.Run(fmt.Sprint("fill", fill), func(t *testing.T) { listModel(t, fill) })
	}
}

func listModel(t *testing.T, fill int64) {
	r := rand.New(rand.NewPCG(uint64(fill+10), 3))
	l := NewList()
	var m [][]byte
	val := func() []byte {
		switch r.IntN(6) {
		case 0:
			return []byte(strconv.Itoa(r.IntN(300) - 150))
		case 1:
			return []byte(strconv.FormatInt(int64(r.Uint64()), 10))
		case 2:
			return bytes.Repeat([]byte{'a' + byte(r.IntN(3))}, r.IntN(200))
		case 3:
			return bytes.Repeat([]byte("big"), r.IntN(2000))
		}
		return []byte(fmt.Sprint("v", r.IntN(20)))
	}
	var num [20]byte
	var frozen []struct {
		l *List
		m [][]byte
	}
	for step := 0; step < 6000; step++ {
		switch op := r.IntN(14); op {
		case 0:
			v := val()
			l.PushHead(v)
			m = append([][]byte{v}, m...)
		case 1:
			var vs [][]byte
			for k := 0; k <= r.IntN(6); k++ {
				v := val()
				vs = append(vs, v)
				m = append([][]byte{v}, m...)
			}
			l.PushHeadMany(vs)
		case 2:
			v := val()
			l.PushTail(v)
			m = append(m, v)
		case 3:
			var vs [][]byte
			for k := 0; k <= r.IntN(6); k++ {
				v := val()
				vs = append(vs, v)
				m = append(m, v)
			}
			l.PushTailMany(vs)
		case 4:
			v, ok := l.PopHead(&num)
			if ok != (len(m) > 0) || ok && !bytes.Equal(v, m[0]) {
				t.Fatalf("step %d PopHead %q %v, want %q", step, v, ok, m)
			}
			if ok {
				m = m[1:]
			}
		case 5:
			v, ok := l.PopTail(&num)
			if ok != (len(m) > 0) || ok && !bytes.Equal(v, m[len(m)-1]) {
				t.Fatalf("step %d PopTail", step)
			}
			if ok {
				m = m[:len(m)-1]
			}
		case 6:
			if len(m) > 0 {
				i := r.IntN(len(m))
				v := val()
				if !l.Set(int64(i-len(m)*r.IntN(2)), v) {
					t.Fatalf("step %d Set failed", step)
				}
				m[i] = v
			}
		case 7:
			i := r.IntN(len(m) + 1)
			v := val()
			l.InsertAt(i, v)
			m = append(m[:i], append([][]byte{v}, m[i:]...)...)
		case 8:
			v := val()
			if len(m) > 0 && r.IntN(2) == 0 {
				v = m[r.IntN(len(m))]
			}
			count := int64(r.IntN(5) - 2)
			got := l.Remove(count, v)
			var want int64
			if count >= 0 {
				var out [][]byte
				for _, x := range m {
					if bytes.Equal(x, v) && (count == 0 || want < count) {
						want++
						continue
					}
					out = append(out, x)
				}
				m = out
			} else {
				var out [][]byte
				for i := len(m) - 1; i >= 0; i-- {
					if bytes.Equal(m[i], v) && want < -count {
						want++
						continue
					}
					out = append([][]byte{m[i]}, out...)
				}
				m = out
			}
			if got != want {
				t.Fatalf("step %d Remove %d %q: %d want %d", step, count, v, got, want)
			}
		case 9:
			if len(m) > 0 {
				a, b := r.IntN(len(m)/4+1), r.IntN(len(m)/4+1)
				if a+b > len(m) {
					a, b = len(m), 0
				}
				l.DropHead(a)
				l.DropTail(b)
				m = m[a : len(m)-b]
			}
		case 10:
			if len(m) > 0 {
				i := r.IntN(len(m))
				v, ok := l.Index(int64(i), &num)
				if !ok || !bytes.Equal(v, m[i]) {
					t.Fatalf("step %d Index %d", step, i)
				}
				v, ok = l.Index(int64(i-len(m)), &num)
				if !ok || !bytes.Equal(v, m[i]) {
					t.Fatalf("step %d Index %d", step, i-len(m))
				}
			}
			if _, ok := l.Index(int64(len(m)), &num); ok {
				t.Fatalf("Index out of range")
			}
		case 11:
			if len(m) > 0 {
				v := m[r.IntN(len(m))]
				rank := int64(r.IntN(5) - 2)
				if rank == 0 {
					rank = 1
				}
				maxlen := int64(r.IntN(len(m) + 1))
				var got []int
				l.Positions(v, rank, maxlen, func(i int) bool { got = append(got, i); return len(got) < 3 })
				var want []int
				skip := max(rank, -rank) - 1
				seen := int64(0)
				idx := func(k int) int {
					if rank > 0 {
						return k
					}
					return len(m) - 1 - k
				}
				for k := 0; k < len(m) && len(want) < 3; k++ {
					if maxlen != 0 && seen == maxlen {
						break
					}
					seen++
					if bytes.Equal(m[idx(k)], v) {
						if skip > 0 {
							skip--
							continue
						}
						want = append(want, idx(k))
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("step %d Positions rank %d maxlen %d: %v want %v", step, rank, maxlen, got, want)
				}
			}
		case 12:
			if len(m) > 0 {
				how := int64(r.IntN(4))
				l.Rotate(how)
				var v []byte
				if how&MoveFromRight != 0 {
					v, m = m[len(m)-1], m[:len(m)-1]
				} else {
					v, m = m[0], m[1:]
				}
				if how&MoveToRight != 0 {
					m = append(m, v)
				} else {
					m = append([][]byte{v}, m...)
				}
			}
		case 13:
			// a clone shares the nodes; writes to either must not show in
			// the other (checked at the end)
			c := l.Clone().(*List)
			frozen = append(frozen, struct {
				l *List
				m [][]byte
			}{l, append([][]byte(nil), m...)})
			if r.IntN(2) == 0 {
				frozen[len(frozen)-1].l = c // the clone stays, the original goes on
			} else {
				l = c
			}
		}
		checkList(t, step, l, m)
	}
	// Records rebuild it
	var rebuilt = NewList()
	l.Records(0, func(op persistence.Op, body []byte, num int64) error {
		persistence.Items(body, func(it []byte) { rebuilt.PushTail(it) })
		return nil
	})
	checkList(t, -1, rebuilt, m)
	for _, f := range frozen {
		checkList(t, -2, f.l, f.m)
	}
}

func checkList(t *testing.T, step int, l *List, m [][]byte) {
	t.Helper()
	if l.Len() != len(m) {
		t.Fatalf("step %d: Len %d want %d", step, l.Len(), len(m))
	}
	i := 0
	l.Range(0, l.Len()-1, func(v []byte) bool {
		if !bytes.Equal(v, m[i]) {
			t.Fatalf("step %d: elem %d = %.20q want %.20q", step, i, v, m[i])
		}
		i++
		return true
	})
	if i != len(m) {
		t.Fatalf("step %d: Range visited %d of %d", step, i, len(m))
	}
	if len(m) > 0 {
		j := len(m) - 1
		l.RangeRev(len(m)-1, func(v []byte) bool {
			if !bytes.Equal(v, m[j]) {
				t.Fatalf("step %d: rev elem %d", step, j)
			}
			j--
			return true
		})
		if j != -1 {
			t.Fatalf("step %d: RangeRev stopped at %d", step, j)
		}
	}
	var n int
	var size int64
	for _, nd := range l.live() {
		if nd.n == 0 {
			t.Fatalf("step %d: empty node", step)
		}
		n += int(nd.n)
		size += int64(cap(nd.buf))
	}
	// the counts a list of several nodes keeps; one node is its own
	wantSize := int64(cap(l.one[0].buf))
	if l.more != nil {
		wantSize = l.more.size
		if len(l.live()) < 2 || l.hasOne {
			t.Fatalf("step %d: %d nodes in the node array (hasOne %v)", step, len(l.live()), l.hasOne)
		}
	} else if !l.hasOne && (l.one[0].buf != nil || l.one[0].n != 0) {
		t.Fatalf("step %d: an inline node left behind", step)
	}
	if n != len(m) || l.Len() != n || size != wantSize {
		t.Fatalf("step %d: node counts %d (Len %d) size %d (want %d %d)", step, n, l.Len(), size, len(m), wantSize)
	}
}

func BenchmarkListPushPop(b *testing.B) {
	l := NewList()
	v := []byte("xxx")
	var num [20]byte
	for i := 0; i < b.N; i++ {
		l.PushHead(v)
		if l.Len() > 1000 {
			l.PopTail(&num)
		}
	}
}

func BenchmarkListIndexMiddle(b *testing.B) {
	l := NewList()
	for i := 0; i < 1_000_000; i++ {
		l.PushTail([]byte("element"))
	}
	var num [20]byte
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Index(500_000, &num)
	}
}

// TestListCloneConcurrent: a snapshot reads its clone without the lock
// while commands change the original (shared nodes are copied before any
// write); run with -race.
func TestListCloneConcurrent(t *testing.T) {
	l := NewList()
	for i := 0; i < 20000; i++ {
		l.PushTail([]byte(fmt.Sprint("e", i)))
	}
	c := l.Clone().(*List)
	done := make(chan int)
	go func() {
		n := 0
		c.Records(0, func(op persistence.Op, body []byte, num int64) error {
			persistence.Items(body, func([]byte) { n++ })
			return nil
		})
		done <- n
	}()
	var num [20]byte
	for i := 0; i < 5000; i++ {
		l.PushHead([]byte("h"))
		l.PushTail([]byte("t"))
		l.PopHead(&num)
		l.Set(int64(i), []byte("set"))
		l.InsertAt(i*3, []byte("ins"))
		if i%100 == 0 {
			l.Remove(1, []byte("ins"))
			l.DropTail(1)
		}
	}
	if n := <-done; n != 20000 {
		t.Fatalf("clone read %d elements", n)
	}
	i := 0
	c.Range(0, c.Len()-1, func(v []byte) bool {
		if string(v) != fmt.Sprint("e", i) {
			t.Fatalf("clone changed at %d: %q", i, v)
		}
		i++
		return true
	})
}

// TestListCarvedNodes: a long list's full-size nodes share blocks (carve);
// edits, pops, splits and clones of such a list keep each node's bytes
// apart from its neighbours' in the block.
func TestListCarvedNodes(t *testing.T) {
	defer ListMaxListpackSize.Store(ListMaxListpackSize.Load())
	ListMaxListpackSize.Store(-2)
	r := rand.New(rand.NewPCG(7, 8))
	l := NewList()
	var heads, m [][]byte
	for i := 0; i < 30000; i++ {
		v := []byte(fmt.Sprintf("t%09d", i))
		l.PushTail(v)
		m = append(m, v)
		h := []byte(fmt.Sprintf("h%09d", i))
		l.PushHead(h)
		heads = append(heads, h)
	}
	slices.Reverse(heads)
	m = append(heads, m...)
	checkList(t, 0, l, m)
	// 100 more full nodes: one allocation per block of carveMax nodes (and
	// the node array's growth), not one per node
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	vals := make([][]byte, 68000)
	for i := range vals {
		vals[i] = []byte(fmt.Sprintf("u%09d", i))
	}
	runtime.ReadMemStats(&ms1)
	before := ms1.Mallocs - ms0.Mallocs // the values themselves
	runtime.ReadMemStats(&ms0)
	for _, v := range vals {
		l.PushTail(v)
	}
	runtime.ReadMemStats(&ms1)
	if n := ms1.Mallocs - ms0.Mallocs; n > 40 {
		t.Fatalf("%d allocations for 100 nodes (values: %d): nodes not carved", n, before)
	}
	m = append(m, vals...)
	var num [20]byte
	var frozen []struct {
		l *List
		m [][]byte
	}
	for step := 1; step < 80; step++ {
		i := r.IntN(len(m))
		switch r.IntN(7) {
		case 0: // grow a node in place or out of its slot
			v := bytes.Repeat([]byte{'s'}, r.IntN(100))
			l.Set(int64(i), v)
			m[i] = v
		case 1:
			v := bytes.Repeat([]byte{'i'}, r.IntN(300))
			l.InsertAt(i, v)
			m = append(m[:i], append([][]byte{v}, m[i:]...)...)
		case 2:
			for k := 0; k < 700; k++ {
				l.PopHead(&num)
			}
			m = m[700:]
		case 3:
			for k := 0; k < 700; k++ {
				v := []byte(fmt.Sprintf("x%09d", k))
				l.PushTail(v)
				m = append(m, v)
			}
		case 4:
			var vs [][]byte
			for k := 0; k < 700; k++ {
				v := []byte(fmt.Sprintf("y%09d", k))
				l.PushHead(v)
				vs = append(vs, v)
			}
			slices.Reverse(vs)
			m = append(vs, m...)
		case 5:
			c := l.Clone().(*List)
			frozen = append(frozen, struct {
				l *List
				m [][]byte
			}{c, append([][]byte(nil), m...)})
		case 6:
			l.PopTail(&num)
			m = m[:len(m)-1]
		}
		checkList(t, step, l, m)
	}
	for _, f := range frozen {
		checkList(t, -2, f.l, f.m)
	}
}
