package object

import (
	"bytes"
	"encoding/binary"
	"slices"
	"unsafe"
)

// ztree is the ordered half of a large sorted set: a counted B+tree of
// (score, member) entries in Redis's order (score, then member bytes), where
// every node knows how many entries its subtree holds, so rank, select and
// the bounds of a score or lex range are O(log n), as on Redis's skiplist.
//
// Leaves hold their entries packed (the scores in one []float64, the
// members back to back, uvarint-length-prefixed, in one []byte) and are
// linked both ways for range walks; so a leaf of up to 128 entries is two
// allocations, the garbage collector sees two pointers per ~100 entries
// instead of Redis's node per entry, and an entry costs its member, its
// score and a length byte or two. Inner nodes keep, for each child but the
// first, a separator: a lower bound of the child's entries, which never
// needs to change when entries are removed.
type ztree struct {
	root   *znode
	height int   // levels of inner nodes above the leaves
	bytes  int64 // memory of all nodes (see nodeBytes)
}

type znode struct {
	n int // entries in the subtree

	// leaf
	scores     []float64
	data       []byte // (uvarint len | member) per entry, in order
	prev, next *znode

	// inner
	kids []*znode
	seps []zsep // seps[i] <= every entry of kids[i] (seps[0] unused)
}

type zsep struct {
	score  float64
	member []byte
}

const (
	leafMax     = 128
	leafMin     = leafMax / 4
	leafMaxData = 4096 // a leaf with more member bytes splits (if it has 2 entries)
	innerMax    = 64
	innerMin    = innerMax / 4
)

var (
	znodeSize = int64(unsafe.Sizeof(znode{}))
	zsepSize  = int64(unsafe.Sizeof(zsep{}))
)

func newZTree() *ztree {
	t := &ztree{root: &znode{}}
	t.bytes = t.nodeBytes(t.root)
	return t
}

// zcmp orders entries as Redis does: by score, then by member bytes.
func zcmp(s1 float64, m1 []byte, s2 float64, m2 []byte) int {
	if s1 < s2 {
		return -1
	}
	if s1 > s2 {
		return 1
	}
	return bytes.Compare(m1, m2)
}

func (t *ztree) nodeBytes(x *znode) int64 {
	b := znodeSize + int64(cap(x.scores))*8 + int64(cap(x.data)) + int64(cap(x.kids))*8 + int64(cap(x.seps))*zsepSize
	for i := range x.seps {
		b += int64(cap(x.seps[i].member))
	}
	return b
}

// memberAt decodes the member at byte offset p of a leaf's data.
func memberAt(data []byte, p int) (m []byte, next int) {
	if l := int(data[p]); l < 0x80 { // members up to 127 bytes: one length byte
		p++
		return data[p : p+l : p+l], p + l
	}
	l, n := binary.Uvarint(data[p:])
	p += n
	return data[p : p+int(l) : p+int(l)], p + int(l)
}

// skip is the byte offset of the entry k entries after the one at p.
func skip(data []byte, p, k int) int {
	for ; k > 0; k-- {
		if l := int(data[p]); l < 0x80 {
			p += 1 + l
			continue
		}
		l, n := binary.Uvarint(data[p:])
		p += n + int(l)
	}
	return p
}

// offsetOf is the byte offset of entry i of leaf x.
func offsetOf(x *znode, i int) int { return skip(x.data, 0, i) }

// leafSeek finds in leaf x the first entry not less than (score, member):
// its index and byte offset, and whether it equals (score, member). The
// scores are searched by bisection; members are decoded only among entries
// of an equal score (the order's tie-break), and the rest are hopped over
// by their length bytes.
func leafSeek(x *znode, score float64, member []byte) (i, p int, eq bool) {
	sc := x.scores[:x.n]
	lo, hi := 0, len(sc)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if sc[m] < score {
			lo = m + 1
		} else {
			hi = m
		}
	}
	p = skip(x.data, 0, lo)
	for i = lo; i < len(sc) && sc[i] == score; i++ {
		m, next := memberAt(x.data, p)
		if c := bytes.Compare(m, member); c >= 0 {
			return i, p, c == 0
		}
		p = next
	}
	return i, p, false
}

// grow returns b with room for extra more bytes, growing by an eighth
// beyond what is needed (leaves are many: doubling would waste a lot).
func grow[T any](b []T, extra int) []T {
	if len(b)+extra <= cap(b) {
		return b
	}
	n := len(b) + extra
	// all of the allocator's size class: make's capacity would hide the
	// rest, and the leaf would move (leaving garbage among live leaves)
	// sooner than it must
	nb := slices.Grow([]T(nil), n+n/8+4)[:len(b)]
	copy(nb, b)
	return nb
}

// ---- lookup ----

// childFor is the index of the child of inner node x whose range holds
// the entries for which before is false while before is true of all
// entries of the children to its left: the last i with before(seps[i])
// (0 if none).
func childFor(x *znode, before func(s float64, m []byte) bool) int {
	lo, hi := 1, len(x.kids) // find first i >= 1 with !before(seps[i])
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if before(x.seps[m].score, x.seps[m].member) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo - 1
}

// countWhile is the number of leading entries for which before is true;
// before must be true of a prefix of the order and false after it.
func (t *ztree) countWhile(before func(s float64, m []byte) bool) int {
	n := 0
	x := t.root
	for x.kids != nil {
		i := childFor(x, before)
		for _, k := range x.kids[:i] {
			n += k.n
		}
		x = x.kids[i]
	}
	p := 0
	for i := 0; i < x.n; i++ {
		var m []byte
		m, p = memberAt(x.data, p)
		if !before(x.scores[i], m) {
			return n + i
		}
	}
	return n + x.n
}

// rank is the number of entries before (score, member).
func (t *ztree) rank(score float64, member []byte) int {
	n := 0
	x := t.root
	before := func(s float64, m []byte) bool { return zcmp(s, m, score, member) < 0 }
	for x.kids != nil {
		i := childFor(x, before)
		for _, k := range x.kids[:i] {
			n += k.n
		}
		x = x.kids[i]
	}
	i, _, _ := leafSeek(x, score, member)
	return n + i
}

// seek returns the leaf holding entry rank r (0 <= r < n) and its index.
func (t *ztree) seek(r int) (*znode, int) {
	x := t.root
	for x.kids != nil {
		i := 0
		for ; i < len(x.kids)-1 && r >= x.kids[i].n; i++ {
			r -= x.kids[i].n
		}
		x = x.kids[i]
	}
	return x, r
}

// walk calls fn for the entries from rank r on, forward or (rev) backward,
// until fn returns false or the entries run out.
func (t *ztree) walk(r int, rev bool, fn func(m []byte, s float64) bool) {
	if r < 0 || r >= t.root.n {
		return
	}
	x, i := t.seek(r)
	if !rev {
		p := offsetOf(x, i)
		for x != nil {
			for ; i < x.n; i++ {
				var m []byte
				m, p = memberAt(x.data, p)
				if !fn(m, x.scores[i]) {
					return
				}
			}
			x, i, p = x.next, 0, 0
		}
		return
	}
	var offs [leafMax + 1]int
	for x != nil {
		// offsets of the leaf's entries, to walk them backward
		o := offs[:0]
		if x.n > leafMax {
			o = make([]int, 0, x.n)
		}
		for j, p := 0, 0; j < x.n; j++ {
			o = append(o, p)
			_, p = memberAt(x.data, p)
		}
		for ; i >= 0; i-- {
			m, _ := memberAt(x.data, o[i])
			if !fn(m, x.scores[i]) {
				return
			}
		}
		x = x.prev
		if x != nil {
			i = x.n - 1
		}
	}
}

// ---- insert ----

type zpath struct {
	node *znode
	i    int // child taken
}

// descend walks to the leaf where (score, member) belongs, recording the
// path, and adds delta to the count of every inner node on it.
func (t *ztree) descend(score float64, member []byte, path []zpath, delta int) (*znode, []zpath) {
	x := t.root
	before := func(s float64, m []byte) bool { return zcmp(s, m, score, member) <= 0 }
	for x.kids != nil {
		i := childFor(x, before)
		x.n += delta
		path = append(path, zpath{x, i})
		x = x.kids[i]
	}
	return x, path
}

// insert adds (score, member), which must not be present.
func (t *ztree) insert(score float64, member []byte) {
	var buf [8]zpath
	leaf, path := t.descend(score, member, buf[:0], 1)
	// position: the first entry greater than (score, member), absent
	i, p, _ := leafSeek(leaf, score, member)
	t.bytes -= t.nodeBytes(leaf)
	leaf.scores = grow(leaf.scores, 1)[:leaf.n+1]
	copy(leaf.scores[i+1:], leaf.scores[i:leaf.n])
	leaf.scores[i] = score
	var hdr [binary.MaxVarintLen64]byte
	h := binary.PutUvarint(hdr[:], uint64(len(member)))
	add := h + len(member)
	old := len(leaf.data)
	leaf.data = grow(leaf.data, add)[:old+add]
	copy(leaf.data[p+add:], leaf.data[p:old])
	copy(leaf.data[p:], hdr[:h])
	copy(leaf.data[p+h:], member)
	leaf.n++
	t.bytes += t.nodeBytes(leaf)
	if leaf.n > leafMax || (len(leaf.data) > leafMaxData && leaf.n >= 2) {
		t.split(leaf, path)
	}
}

// split splits the overfull node x (whose parent path ends path) in two,
// and its ancestors as needed.
func (t *ztree) split(x *znode, path []zpath) {
	for {
		t.bytes -= t.nodeBytes(x)
		var right *znode
		var sep zsep
		if x.kids == nil {
			right = t.splitLeaf(x)
			m, _ := memberAt(right.data, 0)
			sep = zsep{right.scores[0], append([]byte(nil), m...)}
		} else {
			mid := len(x.kids) / 2
			right = &znode{}
			right.kids = append(make([]*znode, 0, innerMax+1), x.kids[mid:]...)
			right.seps = append(make([]zsep, 0, innerMax+1), x.seps[mid:]...)
			sep = right.seps[0]
			right.seps[0] = zsep{}
			clear(x.kids[mid:])
			clear(x.seps[mid:])
			x.kids, x.seps = x.kids[:mid], x.seps[:mid]
			for _, k := range right.kids {
				right.n += k.n
			}
			x.n -= right.n
		}
		t.bytes += t.nodeBytes(x) + t.nodeBytes(right)
		if len(path) == 0 {
			root := &znode{n: x.n + right.n}
			root.kids = append(make([]*znode, 0, innerMax+1), x, right)
			root.seps = append(make([]zsep, 0, innerMax+1), zsep{}, sep)
			t.root = root
			t.height++
			t.bytes += t.nodeBytes(root)
			return
		}
		pp := path[len(path)-1]
		path = path[:len(path)-1]
		parent := pp.node
		t.bytes -= t.nodeBytes(parent)
		parent.kids = append(parent.kids, nil)
		copy(parent.kids[pp.i+2:], parent.kids[pp.i+1:])
		parent.kids[pp.i+1] = right
		parent.seps = append(parent.seps, zsep{})
		copy(parent.seps[pp.i+2:], parent.seps[pp.i+1:])
		parent.seps[pp.i+1] = sep
		t.bytes += t.nodeBytes(parent)
		if len(parent.kids) <= innerMax {
			return
		}
		x = parent
	}
}

// splitLeaf moves the upper half of leaf x to a new leaf after it.
func (t *ztree) splitLeaf(x *znode) *znode {
	mid := x.n / 2
	p := offsetOf(x, mid)
	right := &znode{n: x.n - mid}
	right.scores = grow([]float64(nil), right.n)[:right.n]
	copy(right.scores, x.scores[mid:])
	right.data = grow([]byte(nil), len(x.data)-p)[:len(x.data)-p]
	copy(right.data, x.data[p:])
	ls := make([]float64, mid, mid+mid/8+4)
	copy(ls, x.scores[:mid])
	ld := make([]byte, p, p+p/8+4)
	copy(ld, x.data[:p])
	x.scores, x.data, x.n = ls, ld, mid
	right.prev, right.next = x, x.next
	if x.next != nil {
		x.next.prev = right
	}
	x.next = right
	return right
}

// ---- delete ----

// remove deletes (score, member); false if absent.
func (t *ztree) remove(score float64, member []byte) bool {
	var buf [8]zpath
	// find without changing counts first
	leaf, path := t.descend(score, member, buf[:0], 0)
	i, p, found := leafSeek(leaf, score, member)
	if !found {
		return false
	}
	end := skip(leaf.data, p, 1)
	for _, pp := range path {
		pp.node.n--
	}
	t.bytes -= t.nodeBytes(leaf)
	copy(leaf.scores[i:], leaf.scores[i+1:leaf.n])
	leaf.scores = leaf.scores[:leaf.n-1]
	leaf.data = append(leaf.data[:p], leaf.data[end:]...)
	leaf.n--
	t.shrinkLeaf(leaf)
	t.bytes += t.nodeBytes(leaf)
	t.rebalance(leaf, path)
	return true
}

// first is the lowest entry (rev: the highest) and the one after it
// (before it), if any; the tree must not be empty. The members alias the
// tree: valid until it changes.
func (t *ztree) first(rev bool) (m []byte, s float64, m2 []byte, ok2 bool) {
	x := t.root
	for x.kids != nil {
		if rev {
			x = x.kids[len(x.kids)-1]
		} else {
			x = x.kids[0]
		}
	}
	if !rev {
		m, p := memberAt(x.data, 0)
		s = x.scores[0]
		if x.n > 1 {
			m2, _ = memberAt(x.data, p)
			return m, s, m2, true
		}
		if x.next != nil {
			m2, _ = memberAt(x.next.data, 0)
			return m, s, m2, true
		}
		return m, s, nil, false
	}
	if x.n > 1 {
		m2, p := memberAt(x.data, offsetOf(x, x.n-2))
		m, _ = memberAt(x.data, p)
		return m, x.scores[x.n-1], m2, true
	}
	m, _ = memberAt(x.data, 0)
	s = x.scores[0]
	if y := x.prev; y != nil {
		m2, _ = memberAt(y.data, offsetOf(y, y.n-1))
		return m, s, m2, true
	}
	return m, s, nil, false
}

// popEdge removes the lowest entry (rev: the highest), without a search:
// the leftmost (rightmost) path down, and the first entry of a leaf goes
// by reslicing, not by moving the others (the leaf gives the room back
// when it is next reallocated: a merge, a share, a growth, a shrink; till
// then bytes does not count it, at most one leaf's room). The tree must
// not be empty.
func (t *ztree) popEdge(rev bool) {
	var buf [8]zpath
	path := buf[:0]
	x := t.root
	for x.kids != nil {
		i := 0
		if rev {
			i = len(x.kids) - 1
		}
		x.n--
		path = append(path, zpath{x, i})
		x = x.kids[i]
	}
	t.bytes -= t.nodeBytes(x)
	if rev {
		x.scores = x.scores[:x.n-1]
		x.data = x.data[:offsetOf(x, x.n-1)]
	} else {
		_, end := memberAt(x.data, 0)
		x.scores = x.scores[1:x.n]
		x.data = x.data[end:]
	}
	x.n--
	t.shrinkLeaf(x)
	t.bytes += t.nodeBytes(x)
	t.rebalance(x, path)
}

// shrinkLeaf gives back a leaf's spare room once it is mostly unused.
func (t *ztree) shrinkLeaf(x *znode) {
	if cap(x.scores) > 16 && len(x.scores) < cap(x.scores)/2 {
		x.scores = append(make([]float64, 0, len(x.scores)+len(x.scores)/8+4), x.scores...)
	}
	if cap(x.data) > 64 && len(x.data) < cap(x.data)/2 {
		x.data = append(make([]byte, 0, len(x.data)+len(x.data)/8+4), x.data...)
	}
}

func (x *znode) underfull() bool {
	if x.kids == nil {
		return x.n < leafMin
	}
	return len(x.kids) < innerMin
}

// rebalance restores the fill of node x (parent path ends path) after a
// removal, merging it with or borrowing from a sibling, up the tree.
func (t *ztree) rebalance(x *znode, path []zpath) {
	for len(path) > 0 && x.underfull() {
		pp := path[len(path)-1]
		path = path[:len(path)-1]
		parent := pp.node
		li := pp.i // left of the pair
		if li == len(parent.kids)-1 {
			li--
		}
		if li < 0 {
			return // an only child: nothing to balance with
		}
		l, r := parent.kids[li], parent.kids[li+1]
		t.bytes -= t.nodeBytes(parent) + t.nodeBytes(l) + t.nodeBytes(r)
		if t.fits(l, r) {
			t.merge(parent, li)
		} else {
			t.share(parent, li)
			t.bytes += t.nodeBytes(l) + t.nodeBytes(r)
		}
		t.bytes += t.nodeBytes(parent)
		x = parent
	}
	if t.root.kids != nil && len(t.root.kids) == 1 {
		old := t.root
		t.root = old.kids[0]
		t.height--
		t.bytes -= t.nodeBytes(old)
	}
}

// fits reports whether siblings l and r can become one node.
func (t *ztree) fits(l, r *znode) bool {
	if l.kids == nil {
		return l.n+r.n <= leafMax && (len(l.data)+len(r.data) <= leafMaxData || l.n+r.n < 2)
	}
	return len(l.kids)+len(r.kids) <= innerMax
}

// merge moves parent.kids[li+1] into parent.kids[li] and drops it.
func (t *ztree) merge(parent *znode, li int) {
	l, r := parent.kids[li], parent.kids[li+1]
	if l.kids == nil {
		l.scores = append(grow(l.scores, r.n), r.scores...)
		l.data = append(grow(l.data, len(r.data)), r.data...)
		l.next = r.next
		if r.next != nil {
			r.next.prev = l
		}
	} else {
		l.kids = append(l.kids, r.kids...)
		l.seps = append(l.seps, parent.seps[li+1])
		l.seps = append(l.seps, r.seps[1:]...)
	}
	l.n += r.n
	t.bytes += t.nodeBytes(l)
	parent.kids = append(parent.kids[:li+1], parent.kids[li+2:]...)
	parent.seps = append(parent.seps[:li+1], parent.seps[li+2:]...)
	parent.kids[:cap(parent.kids)][len(parent.kids)] = nil
	parent.seps[:cap(parent.seps)][len(parent.seps)] = zsep{}
}

// share evens out the entries (children) of siblings l = parent.kids[li]
// and r = parent.kids[li+1], fixing the separator between them.
func (t *ztree) share(parent *znode, li int) {
	l, r := parent.kids[li], parent.kids[li+1]
	if l.kids == nil {
		total := l.n + r.n
		want := total / 2 // entries l keeps
		if l.n > want {   // move l's tail to r's front
			k := l.n - want
			p := offsetOf(l, want)
			r.scores = grow(r.scores, k)[:r.n+k]
			copy(r.scores[k:], r.scores[:r.n])
			copy(r.scores, l.scores[want:l.n])
			moved := l.data[p:]
			old := len(r.data)
			r.data = grow(r.data, len(moved))[:old+len(moved)]
			copy(r.data[len(moved):], r.data[:old])
			copy(r.data, moved)
			l.scores, l.data = l.scores[:want], l.data[:p]
			l.n, r.n = want, r.n+k
		} else { // move r's head to l's end
			k := want - l.n
			p := offsetOf(r, k)
			l.scores = append(grow(l.scores, k), r.scores[:k]...)
			l.data = append(grow(l.data, p), r.data[:p]...)
			r.scores = append(r.scores[:0], r.scores[k:]...)
			r.data = append(r.data[:0], r.data[p:]...)
			l.n, r.n = want, r.n-k
		}
		t.shrinkLeaf(l)
		t.shrinkLeaf(r)
		m, _ := memberAt(r.data, 0)
		parent.seps[li+1] = zsep{r.scores[0], append([]byte(nil), m...)}
		return
	}
	for len(l.kids) > len(r.kids)+1 { // l's last child goes to r's front
		k, s := l.kids[len(l.kids)-1], l.seps[len(l.seps)-1]
		l.kids[len(l.kids)-1], l.seps[len(l.seps)-1] = nil, zsep{}
		l.kids, l.seps = l.kids[:len(l.kids)-1], l.seps[:len(l.seps)-1]
		r.kids = append(r.kids, nil)
		copy(r.kids[1:], r.kids)
		r.kids[0] = k
		r.seps = append(r.seps, zsep{})
		copy(r.seps[1:], r.seps)
		r.seps[1] = parent.seps[li+1]
		r.seps[0] = zsep{}
		parent.seps[li+1] = s
		l.n -= k.n
		r.n += k.n
	}
	for len(r.kids) > len(l.kids)+1 { // r's first child goes to l's end
		k := r.kids[0]
		l.kids = append(l.kids, k)
		l.seps = append(l.seps, parent.seps[li+1])
		parent.seps[li+1] = r.seps[1]
		copy(r.kids, r.kids[1:])
		copy(r.seps, r.seps[1:])
		r.kids[len(r.kids)-1], r.seps[len(r.seps)-1] = nil, zsep{}
		r.kids, r.seps = r.kids[:len(r.kids)-1], r.seps[:len(r.seps)-1]
		r.seps[0] = zsep{}
		l.n += k.n
		r.n -= k.n
	}
}

// ---- whole tree ----

// clone is an independent copy of t.
func (t *ztree) clone() *ztree {
	c := &ztree{height: t.height, bytes: t.bytes}
	var prev *znode
	var cp func(x *znode) *znode
	cp = func(x *znode) *znode {
		y := &znode{n: x.n}
		if x.kids == nil {
			y.scores = append(make([]float64, 0, cap(x.scores)), x.scores...)
			y.data = append(make([]byte, 0, cap(x.data)), x.data...)
			y.prev = prev
			if prev != nil {
				prev.next = y
			}
			prev = y
			return y
		}
		y.kids = make([]*znode, len(x.kids), cap(x.kids))
		y.seps = make([]zsep, len(x.seps), cap(x.seps))
		for i, k := range x.kids {
			y.kids[i] = cp(k)
			y.seps[i] = zsep{x.seps[i].score, append([]byte(nil), x.seps[i].member...)}
		}
		return y
	}
	c.root = cp(t.root)
	return c
}
