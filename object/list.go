package object

import (
	"encoding/binary"
	"strconv"
	"sync/atomic"

	"fastcache/persistence"
	"fastcache/shard"
)

// Lists are Redis's quicklist: a deque of nodes, each a packed buffer of
// entries (listpack-like: a header that says string-of-n-bytes or integer,
// the bytes, and a back-length so the buffer can be walked from either
// end). A node holds at most list-max-listpack-size entries, or bytes when
// the setting is negative (-2: 8 KiB), as Redis 7.0 sizes its nodes. Pushes
// and pops at either end are O(1) (a node keeps free room at the end it
// grows from); LINDEX and LSET walk the nodes' counts, then one node: O(nodes).
//
// An element that is the canonical decimal form of a 64-bit integer is
// stored as the integer (1 to 9 bytes), as a listpack does.
//
// list-compress-depth is accepted (CONFIG GET returns it) but nodes are not
// compressed: OBJECT ENCODING is "quicklist" for every list, as Redis 7.0
// reports (listpack-encoded small lists came with Redis 7.2).

// List records (ops 64-79), in effect form: replay applies them to the state
// the command saw, so each is deterministic.
const (
	// OpLPush pushes the items, in order, each at the head (LPUSH, LPUSHX,
	// the destination of LMOVE ... LEFT); the list is created if missing.
	OpLPush persistence.Op = 64
	// OpRPush appends the items (RPUSH, RPUSHX, LMOVE ... RIGHT, snapshots).
	OpRPush persistence.Op = 65
	// OpLPop removes Arg elements from the head (LPOP, BLPOP, LMPOP ...).
	OpLPop persistence.Op = 66
	// OpRPop removes Arg elements from the tail.
	OpRPop persistence.Op = 67
	// OpLSet sets element Arg (>= 0) to the item (LSET).
	OpLSet persistence.Op = 68
	// OpLInsert inserts the item so that it becomes element Arg (LINSERT:
	// the pivot's position, resolved when the command ran).
	OpLInsert persistence.Op = 69
	// OpLRem is LREM Arg item itself (deterministic on the same list).
	OpLRem persistence.Op = 70
	// OpLTrim removes Arg elements from the head and, the item in decimal,
	// elements from the tail (LTRIM, resolved).
	OpLTrim persistence.Op = 71
	// OpLMove rotates one list (LMOVE with source = destination): Arg is
	// MoveFromRight | MoveToRight.
	OpLMove persistence.Op = 72
)

// Thresholds, with Redis's names and defaults.
var (
	ListMaxListpackSize atomic.Int64 // list-max-listpack-size
	ListCompressDepth   atomic.Int64 // list-compress-depth (accepted; not applied)
)

func init() {
	ListMaxListpackSize.Store(-2)
	for op, name := range map[persistence.Op]string{
		OpLPush: "lpush", OpRPush: "rpush",
		OpLPop: "lpop", OpRPop: "rpop",
		OpLSet: "lset", OpLInsert: "linsert",
		OpLRem: "lrem", OpLTrim: "ltrim",
		OpLMove: "lmove",
	} {
		persistence.RegisterOp(op, name)
	}
	shard.RegisterApply(OpLPush, applyLPush)
	shard.RegisterApply(OpRPush, applyRPush)
	shard.RegisterApply(OpLPop, applyLPop)
	shard.RegisterApply(OpRPop, applyRPop)
	shard.RegisterApply(OpLSet, applyLSet)
	shard.RegisterApply(OpLInsert, applyLInsert)
	shard.RegisterApply(OpLRem, applyLRem)
	shard.RegisterApply(OpLTrim, applyLTrim)
	shard.RegisterApply(OpLMove, applyLMove)
}

// ---- node sizing (Redis 7.0's quicklist rules) ----

const (
	sizeSafetyLimit = 8192
	fillMax         = 1<<15 - 1
	lpHeader        = 7 // a listpack's total-bytes and count header, and its end byte

	sizeEstimateOverhead = 8
)

var optimizationLevel = [5]int{4096, 8192, 16384, 32768, 65536}

// nodeFits reports whether a node whose entries take sz bytes, n of them,
// may take one more entry, a value of vlen bytes (a node with no entry
// takes anything). It judges as Redis 7.0's _quicklistNodeAllowInsert
// does, so that nodes split where Redis's do (DUMP writes them as they
// are): by an overestimate of the listpack's size afterwards, its 7 bytes
// of header and end, the entries, and the new value's length plus 8
// (SIZE_ESTIMATE_OVERHEAD).
func nodeFits(sz, n, vlen int) bool {
	if n == 0 {
		return true
	}
	if n >= 1<<16-1 {
		return false
	}
	fill := ListMaxListpackSize.Load()
	fill = min(max(fill, -5), fillMax)
	nsz := lpHeader + sz + vlen + sizeEstimateOverhead
	if fill < 0 {
		return nsz <= optimizationLevel[-fill-1]
	}
	return nsz <= sizeSafetyLimit && int64(n) < fill
}

// nodeOver reports whether a node of sz bytes and n entries is beyond the
// limits (after an insertion in its middle), so it should be split.
func nodeOver(sz, n int) bool {
	if n <= 1 {
		return false
	}
	fill := ListMaxListpackSize.Load()
	fill = min(max(fill, -5), fillMax)
	if fill < 0 {
		return sz > optimizationLevel[-fill-1]
	}
	return sz > sizeSafetyLimit || int64(n) > max(fill, 1)
}

// ---- entries ----
//
// Header byte:
//
//	0xxxxxxx            integer 0..127
//	10xxxxxx            string of 0..63 bytes follows
//	110xxxxx xxxxxxxx   13-bit signed integer
//	1110xxxx xxxxxxxx   string of 64..4095 bytes follows (12-bit length)
//	0xF0 len u32        string
//	0xF1 i16 | 0xF2 i24 | 0xF3 i32 | 0xF4 i64 (little endian)
//
// then, after the header and the bytes, the entry's length L (header and
// bytes) in 1-5 bytes read from the end backwards: the byte at the end holds
// L's low 7 bits, its bit 7 set when a more significant group precedes.

// enc is an element's encoding, computed once before it is written.
type enc struct {
	v     []byte
	iv    int64
	isInt bool
	hdr   int // header bytes
	l     int // header + string bytes
	total int // l + back-length
}

func backlenSize(l int) int {
	switch {
	case l < 1<<7:
		return 1
	case l < 1<<14:
		return 2
	case l < 1<<21:
		return 3
	case l < 1<<28:
		return 4
	}
	return 5
}

// canonicalInt parses v when it is exactly the decimal form strconv gives
// an int64 (no sign on zero, no leading zeros, no '+', no spaces).
func canonicalInt(v []byte) (int64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	neg := v[0] == '-'
	d := v
	if neg {
		d = v[1:]
		if len(d) == 0 {
			return 0, false
		}
	}
	if len(d) > 19 || d[0] == '0' && (len(d) > 1 || neg) {
		return 0, false
	}
	var u uint64 // at most 19 digits: no overflow
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

func encode(v []byte) enc {
	e := enc{v: v}
	if iv, ok := canonicalInt(v); ok {
		e.isInt, e.iv = true, iv
		switch {
		case iv >= 0 && iv <= 127:
			e.hdr = 1
		case iv >= -4096 && iv <= 4095:
			e.hdr = 2
		case iv >= -1<<15 && iv < 1<<15:
			e.hdr = 3
		case iv >= -1<<23 && iv < 1<<23:
			e.hdr = 4
		case iv >= -1<<31 && iv < 1<<31:
			e.hdr = 5
		default:
			e.hdr = 9
		}
		e.l = e.hdr
	} else {
		switch n := len(v); {
		case n < 64:
			e.hdr = 1
		case n < 4096:
			e.hdr = 2
		default:
			e.hdr = 5
		}
		e.l = e.hdr + len(v)
	}
	e.total = e.l + backlenSize(e.l)
	return e
}

// put writes e into b (len(b) >= e.total).
func (e *enc) put(b []byte) {
	if e.isInt {
		iv := e.iv
		switch e.hdr {
		case 1:
			b[0] = byte(iv)
		case 2:
			u := uint16(iv) & 0x1FFF
			b[0], b[1] = 0xC0|byte(u>>8), byte(u)
		case 3:
			b[0] = 0xF1
			binary.LittleEndian.PutUint16(b[1:], uint16(iv))
		case 4:
			b[0], b[1], b[2], b[3] = 0xF2, byte(iv), byte(iv>>8), byte(iv>>16)
		case 5:
			b[0] = 0xF3
			binary.LittleEndian.PutUint32(b[1:], uint32(iv))
		default:
			b[0] = 0xF4
			binary.LittleEndian.PutUint64(b[1:], uint64(iv))
		}
	} else {
		n := len(e.v)
		switch e.hdr {
		case 1:
			b[0] = 0x80 | byte(n)
		case 2:
			b[0], b[1] = 0xE0|byte(n>>8), byte(n)
		default:
			b[0] = 0xF0
			binary.LittleEndian.PutUint32(b[1:], uint32(n))
		}
		copy(b[e.hdr:], e.v)
	}
	// back-length, most significant group first
	l, p := e.l, e.l
	bs := e.total - e.l
	for i := bs - 1; i >= 0; i-- {
		g := byte(l & 127)
		if i > 0 {
			g |= 128
		}
		b[p+i] = g
		l >>= 7
	}
}

// entry decodes the entry at b[p:]: a string (s, aliasing b) or an
// integer, and the position after the entry.
func entry(b []byte, p int) (s []byte, iv int64, isInt bool, next int) {
	h := b[p]
	var l int
	switch {
	case h < 0x80:
		iv, isInt, l = int64(h), true, 1
	case h&0xC0 == 0x80:
		n := int(h & 0x3F)
		s, l = b[p+1:p+1+n:p+1+n], 1+n
	case h&0xE0 == 0xC0:
		u := uint16(h&0x1F)<<8 | uint16(b[p+1])
		iv, isInt, l = int64(int16(u<<3)>>3), true, 2
	case h&0xF0 == 0xE0:
		n := int(h&0x0F)<<8 | int(b[p+1])
		s, l = b[p+2:p+2+n:p+2+n], 2+n
	case h == 0xF0:
		n := int(binary.LittleEndian.Uint32(b[p+1:]))
		s, l = b[p+5:p+5+n:p+5+n], 5+n
	case h == 0xF1:
		iv, isInt, l = int64(int16(binary.LittleEndian.Uint16(b[p+1:]))), true, 3
	case h == 0xF2:
		u := uint32(b[p+1]) | uint32(b[p+2])<<8 | uint32(b[p+3])<<16
		iv, isInt, l = int64(int32(u<<8)>>8), true, 4
	case h == 0xF3:
		iv, isInt, l = int64(int32(binary.LittleEndian.Uint32(b[p+1:]))), true, 5
	default:
		iv, isInt, l = int64(binary.LittleEndian.Uint64(b[p+1:])), true, 9
	}
	return s, iv, isInt, p + l + backlenSize(l)
}

// prevStart is the position of the entry that ends at b[:end].
func prevStart(b []byte, end int) int {
	l, shift := 0, 0
	p := end - 1
	for {
		c := b[p]
		l |= int(c&127) << shift
		if c&128 == 0 {
			break
		}
		shift += 7
		p--
	}
	return end - (end - p) - l
}

// entryBytes is the element at b[p:] as bytes (an integer formatted into
// num) and the position after it.
func entryBytes(b []byte, p int, num *[20]byte) ([]byte, int) {
	s, iv, isInt, next := entry(b, p)
	if isInt {
		return strconv.AppendInt(num[:0], iv, 10), next
	}
	return s, next
}

// matcher compares entries with one value cheaply: an integer entry can
// only equal a value that is a canonical integer (only those are stored as
// integers), and then the integers are compared.
type matcher struct {
	v     []byte
	iv    int64
	isInt bool
}

func newMatcher(v []byte) matcher {
	iv, ok := canonicalInt(v)
	return matcher{v: v, iv: iv, isInt: ok}
}

// at reports whether the entry at b[p:] equals the value; next is the
// position after it.
func (m *matcher) at(b []byte, p int) (eq bool, next int) {
	s, iv, isInt, next := entry(b, p)
	if isInt {
		return m.isInt && iv == m.iv, next
	}
	return !m.isInt && string(s) == string(m.v), next
}

// ---- nodes ----

// lnode is one packed node: its entries are buf[off:]. Room before off
// takes pushes at the head, room after len(buf) pushes at the tail. A node
// holds at most 32768 entries (64 KiB of 2-byte entries, or fill <= 32767).
// After Clone, both lists' nodes share their buffers (shared): the first
// write to a node copies it (own), so a snapshot's clone costs O(nodes)
// under the shard lock and is read outside it.
type lnode struct {
	buf    []byte
	off    int32
	n      uint16
	shared bool
}

func (nd *lnode) data() []byte { return nd.buf[nd.off:] }
func (nd *lnode) size() int    { return len(nd.buf) - int(nd.off) }

// List is a list (see the top of this file). A list of one node, as most
// short lists are, holds it inline (one, hasOne): a List of 48 bytes and
// the node's buffer, without the node array and its counters, which a
// second node brings (more). 100,000 lists of 10 elements: 3.2 bytes per
// element less.
type List struct {
	one    [1]lnode   // the only node, when hasOne
	more   *listNodes // two nodes or more (nil otherwise)
	hasOne bool
}

// listNodes are the nodes of a list of two nodes or more.
type listNodes struct {
	nodes []lnode // nodes[h:] are the live nodes, head first
	h     int32
	n     int    // elements
	size  int64  // sum of cap(buf) of the live nodes
	block []byte // the rest of the block new full-size nodes are carved from (carve)
}

// NewList returns an empty list.
func NewList() *List { return &List{} }

func (l *List) Kind() shard.Kind { return shard.KindList }

// Len is the number of elements.
func (l *List) Len() int {
	if l.more != nil {
		return l.more.n
	}
	return int(l.one[0].n)
}

// addN counts d more elements (a list of one node counts its node's).
func (l *List) addN(d int) {
	if l.more != nil {
		l.more.n += d
	}
}

// Bytes estimates the memory the list holds.
func (l *List) Bytes() int64 {
	if m := l.more; m != nil {
		return 48 + 72 + int64(cap(m.nodes))*32 + m.size + int64(len(m.block))
	}
	return 48 + int64(cap(l.one[0].buf))
}

// Encoding is what OBJECT ENCODING reports (Redis 7.0: always quicklist).
func (l *List) Encoding() string { return "quicklist" }

// Nodes is the number of packed nodes (DEBUG-like introspection, tests).
func (l *List) Nodes() int { return len(l.live()) }

// live is the list's nodes, head first (aliasing the list: valid until a
// node is added or removed).
func (l *List) live() []lnode {
	if m := l.more; m != nil {
		return m.nodes[m.h:]
	}
	if l.hasOne {
		return l.one[:]
	}
	return nil
}

// Clone is an independent copy. It copies the node headers only: the
// buffers are shared until either list writes to a node (own).
func (l *List) Clone() shard.Object {
	live := l.live()
	for i := range live {
		live[i].shared = true
	}
	c := &List{}
	if m := l.more; m != nil {
		c.more = &listNodes{n: m.n, size: m.size, nodes: make([]lnode, len(live))}
		copy(c.more.nodes, live)
	} else {
		c.one, c.hasOne = l.one, l.hasOne
	}
	return c
}

// own gives nd a buffer of its own before a write, if it shares one.
func (l *List) own(nd *lnode) {
	if !nd.shared {
		return
	}
	// same layout (positions into the node stay valid for the caller)
	b := make([]byte, len(nd.buf))
	copy(b[nd.off:], nd.buf[nd.off:])
	l.account(cap(nd.buf), cap(b))
	nd.buf, nd.shared = b, false
}

// account counts a node buffer's change of capacity (a list of one node
// counts its node's).
func (l *List) account(before, after int) {
	if l.more != nil {
		l.more.size += int64(after - before)
	}
}

// growCap returns a capacity for a node buffer that must hold need bytes,
// growing geometrically from cur up to about one node's limit.
func growCap(cur, need int) int {
	g := 2 * cur
	if cur < 1024 {
		g = cur + cur/2 // small lists stay close to their size
	}
	return max(need, min(max(g, 16), nodeBytes()))
}

// nodeBytes is the most bytes a node holds (a single larger element gets
// a node of its own size).
func nodeBytes() int {
	fill := ListMaxListpackSize.Load()
	if fill < 0 {
		return optimizationLevel[min(-fill, 5)-1]
	}
	return sizeSafetyLimit
}

// pushTail appends e to node nd (which must have room by the limits).
func (l *List) appendTo(nd *lnode, e *enc) {
	l.own(nd)
	n := len(nd.buf)
	if cap(nd.buf)-n < e.total {
		used := nd.size()
		nc := growCap(used, used+e.total)
		nb := make([]byte, used, nc)
		copy(nb, nd.data())
		l.account(cap(nd.buf), cap(nb))
		nd.buf, nd.off, n = nb, 0, used
	}
	nd.buf = nd.buf[:n+e.total]
	e.put(nd.buf[n:])
	nd.n++
}

// prependTo writes e in front of node nd's entries.
func (l *List) prependTo(nd *lnode, e *enc) {
	l.own(nd)
	if int(nd.off) < e.total {
		used := nd.size()
		nc := growCap(used, used+e.total)
		nb := make([]byte, nc)
		copy(nb[nc-used:], nd.data())
		l.account(cap(nd.buf), cap(nb))
		nd.buf, nd.off = nb, int32(nc-used)
	}
	nd.off -= int32(e.total)
	e.put(nd.buf[nd.off:])
	nd.n++
}

// PushTail appends v (RPUSH).
func (l *List) PushTail(v []byte) {
	e := encode(v)
	live := l.live()
	if len(live) == 0 || !nodeFits(live[len(live)-1].size(), int(live[len(live)-1].n), len(v)) {
		var nd lnode
		if len(live) > 0 {
			nd = l.nextNode(&live[len(live)-1], e.total, false)
		}
		l.insertNode(len(live), nd)
		live = l.live()
	}
	l.appendTo(&live[len(live)-1], &e)
	l.addN(1)
}

// nextNode is an empty node to follow (or, front, precede) full, a node
// that has no room for an entry of need bytes: with the room full had, up
// to a node's limit, at once. Growing it from nothing instead copied each
// node about ten times on its way to the limit (1.5x steps), ~60% of an
// RPUSH onto a long list; a list that filled one node is likely to fill
// the next. At most one node's room at each end is unused.
func (l *List) nextNode(full *lnode, need int, front bool) lnode {
	nb := nodeBytes()
	c := max(min(full.size(), nb), need, 16)
	var b []byte
	if c > nb/2 && c <= nb {
		b = l.carve(nb) // what the allocator's size class gives it anyway
	} else {
		b = make([]byte, c)
	}
	if front {
		return lnode{buf: b, off: int32(len(b))}
	}
	return lnode{buf: b[:0]}
}

// Node buffers of a long list are carved out of blocks of several nodes.
// A node of 8 KiB (list-max-listpack-size -2) is the Go allocator's 8 KiB
// size class, one object per span, and the runtime keeps a span
// descriptor of 160 bytes for each: 0.24 B per element of 12 bytes, 2% of
// the list. A block of carveMax nodes is one span for all of them. Blocks
// come with the list's length (carveMax nodes once it has 8*carveMax), so
// that the unused rest of a list's last block is at most an eighth of it.
// A block is freed when none of its nodes is left: a queue's nodes go in
// the order they came; a node given a new buffer (an edit that outgrows
// it, a split, the copy-on-write after a snapshot's Clone) leaves its slot
// unused until the rest of its block goes (at most 2x, for a list edited
// all over while a snapshot is taken).
const carveMax = 8

// carve returns a buffer of c bytes (cap c) for a new node.
func (l *List) carve(c int) []byte {
	m := l.more
	if m == nil || c < 8192 {
		return make([]byte, c) // the size classes below 8 KiB hold several per span
	}
	if len(m.block) < c {
		k := min(carveMax, (len(m.nodes)-int(m.h))/8)
		if k < 2 {
			return make([]byte, c)
		}
		m.block = make([]byte, k*c)
	}
	b := m.block[:c:c]
	if m.block = m.block[c:]; len(m.block) == 0 {
		m.block = nil
	}
	return b
}

// PushTailMany appends vals in order (RPUSH of several elements): the last
// node grows once for all that fit in it.
func (l *List) PushTailMany(vals [][]byte) {
	if len(vals) > 1 {
		live := l.live()
		size, n := 0, 0
		if len(live) > 0 {
			nd := &live[len(live)-1]
			size, n = nd.size(), int(nd.n)
		}
		add := 0
		for _, v := range vals {
			e := encode(v)
			if !nodeFits(size+add, n, len(v)) {
				break
			}
			add += e.total
			n++
		}
		if add > 0 && len(live) > 0 {
			nd := &live[len(live)-1]
			l.own(nd)
			if cap(nd.buf)-len(nd.buf) < add {
				nb := make([]byte, size, size+add)
				copy(nb, nd.data())
				l.account(cap(nd.buf), cap(nb))
				nd.buf, nd.off = nb, 0
			}
		} else if add > 0 {
			l.insertNode(0, lnode{buf: make([]byte, 0, add)})
		}
	}
	for _, v := range vals {
		l.PushTail(v)
	}
}

// PushHeadMany pushes vals in order, each at the head (LPUSH of several
// elements): the first node grows once for all that fit in it.
func (l *List) PushHeadMany(vals [][]byte) {
	if len(vals) > 1 {
		live := l.live()
		size, n := 0, 0
		if len(live) > 0 {
			size, n = live[0].size(), int(live[0].n)
		}
		add := 0
		for _, v := range vals {
			e := encode(v)
			if !nodeFits(size+add, n, len(v)) {
				break
			}
			add += e.total
			n++
		}
		if add > 0 && len(live) > 0 {
			nd := &live[0]
			l.own(nd)
			if int(nd.off) < add {
				nc := size + add + (cap(nd.buf) - len(nd.buf))
				nb := make([]byte, nc-(cap(nd.buf)-len(nd.buf)), nc)
				copy(nb[add:], nd.data())
				l.account(cap(nd.buf), cap(nb))
				nd.buf, nd.off = nb, int32(add)
			}
		} else if add > 0 {
			l.insertNode(0, lnode{buf: make([]byte, add), off: int32(add)})
		}
	}
	for _, v := range vals {
		l.PushHead(v)
	}
}

// PushHead inserts v before the first element (LPUSH).
func (l *List) PushHead(v []byte) {
	e := encode(v)
	live := l.live()
	if len(live) == 0 || !nodeFits(live[0].size(), int(live[0].n), len(v)) {
		var nd lnode
		if len(live) > 0 {
			nd = l.nextNode(&live[0], e.total, true)
		}
		l.insertNode(0, nd)
		live = l.live()
	}
	l.prependTo(&live[0], &e)
	l.addN(1)
}

// insertNode inserts nd at live index i, counting its elements and its
// buffer (a list of one node becomes one of several).
func (l *List) insertNode(i int, nd lnode) {
	m := l.more
	if m == nil {
		if !l.hasOne {
			l.one[0], l.hasOne = nd, true
			return
		}
		// a second node: the nodes move to an array of their own
		old := l.one[0]
		m = &listNodes{nodes: make([]lnode, 2, 4), n: int(old.n) + int(nd.n), size: int64(cap(old.buf)) + int64(cap(nd.buf))}
		if i == 0 {
			m.nodes[0], m.nodes[1] = nd, old
		} else {
			m.nodes[0], m.nodes[1] = old, nd
		}
		l.one[0], l.hasOne, l.more = lnode{}, false, m
		return
	}
	m.n += int(nd.n)
	m.size += int64(cap(nd.buf))
	if i == 0 && m.h > 0 {
		m.h--
		m.nodes[m.h] = nd
		return
	}
	live := m.nodes[m.h:]
	if i == 0 {
		// no room before the head: move the nodes up, leaving as much room
		// before them as there are nodes (amortized O(1) per new head node)
		room := len(live)
		nn := make([]lnode, room+len(live), room+len(live)+len(live)/2+1)
		copy(nn[room:], live)
		room--
		nn[room] = nd
		m.nodes, m.h = nn, int32(room)
		return
	}
	if m.h > 0 && len(m.nodes) == cap(m.nodes) {
		// reuse the room left by nodes popped from the head (a queue
		// would otherwise grow its node array forever)
		n := copy(m.nodes, live)
		clear(m.nodes[n:])
		m.nodes, m.h = m.nodes[:n], 0
	}
	m.nodes = append(m.nodes, lnode{})
	live = m.nodes[m.h:]
	copy(live[i+1:], live[i:])
	live[i] = nd
}

// removeNode drops live node i, uncounting its elements and its buffer (a
// list left with one node holds it inline again).
func (l *List) removeNode(i int) {
	m := l.more
	if m == nil {
		l.one[0], l.hasOne = lnode{}, false
		return
	}
	live := m.nodes[m.h:]
	m.size -= int64(cap(live[i].buf))
	m.n -= int(live[i].n)
	if i == 0 {
		m.nodes[m.h] = lnode{}
		m.h++
	} else {
		copy(live[i:], live[i+1:])
		live[len(live)-1] = lnode{}
		m.nodes = m.nodes[:len(m.nodes)-1]
	}
	switch live = m.nodes[m.h:]; len(live) {
	case 0:
		l.more = nil
	case 1:
		l.one[0], l.hasOne, l.more = live[0], true, nil
	}
}

// PopHead removes the first element and returns it (valid until the list
// changes again; an integer is formatted into num). ok is false when empty.
func (l *List) PopHead(num *[20]byte) (v []byte, ok bool) {
	s, iv, isInt, ok := l.PopHeadEntry()
	if isInt {
		return strconv.AppendInt(num[:0], iv, 10), ok
	}
	return s, ok
}

// PopTail removes the last element and returns it (see PopHead).
func (l *List) PopTail(num *[20]byte) (v []byte, ok bool) {
	s, iv, isInt, ok := l.PopTailEntry()
	if isInt {
		return strconv.AppendInt(num[:0], iv, 10), ok
	}
	return s, ok
}

// PopHeadEntry is PopHead returning the element as stored: a string (s,
// valid until the list changes) or an integer.
func (l *List) PopHeadEntry() (s []byte, iv int64, isInt, ok bool) {
	live := l.live()
	if len(live) == 0 {
		return nil, 0, false, false
	}
	nd := &live[0]
	s, iv, isInt, next := entry(nd.buf, int(nd.off))
	nd.off = int32(next)
	nd.n--
	l.addN(-1)
	if nd.n == 0 {
		l.removeNode(0)
	}
	return s, iv, isInt, true
}

// PopTailEntry is PopTail returning the element as stored (PopHeadEntry).
func (l *List) PopTailEntry() (s []byte, iv int64, isInt, ok bool) {
	live := l.live()
	if len(live) == 0 {
		return nil, 0, false, false
	}
	i := len(live) - 1
	nd := &live[i]
	p := prevStart(nd.buf, len(nd.buf))
	s, iv, isInt, _ = entry(nd.buf, p)
	nd.buf = nd.buf[:p]
	nd.n--
	l.addN(-1)
	if nd.n == 0 {
		l.removeNode(i)
	}
	return s, iv, isInt, true
}

// locate finds element i (0 <= i < Len): its live node and byte position.
// It walks the nodes from the nearer end, then the node from its nearer end.
func (l *List) locate(i int) (ni, p int) {
	live := l.live()
	var j int
	if i < l.Len()/2 {
		for ni = 0; i >= int(live[ni].n); ni++ {
			i -= int(live[ni].n)
		}
		j = i
	} else {
		back := l.Len() - 1 - i // elements after i
		for ni = len(live) - 1; back >= int(live[ni].n); ni-- {
			back -= int(live[ni].n)
		}
		j = int(live[ni].n) - 1 - back
	}
	nd := &live[ni]
	if j < int(nd.n)/2 {
		p = int(nd.off)
		for ; j > 0; j-- {
			_, _, _, p = entry(nd.buf, p)
		}
		return ni, p
	}
	p = len(nd.buf)
	for k := int(nd.n) - j; k > 0; k-- {
		p = prevStart(nd.buf, p)
	}
	return ni, p
}

// Index returns element i (negative counts from the tail), false when out
// of range. The bytes are valid until the list changes.
func (l *List) Index(i int64, num *[20]byte) ([]byte, bool) {
	if i < 0 {
		i += int64(l.Len())
	}
	if i < 0 || i >= int64(l.Len()) {
		return nil, false
	}
	ni, p := l.locate(int(i))
	v, _ := entryBytes(l.live()[ni].buf, p, num)
	return v, true
}

// splice replaces the old bytes at buf[p:p+old] of live node ni with e
// (nil: removes them), keeping the node's room.
func (l *List) splice(ni, p, old int, e *enc) {
	nd := &l.live()[ni]
	l.own(nd)
	add := 0
	if e != nil {
		add = e.total
	}
	delta := add - old
	switch {
	case delta <= 0:
		// shrink: move the tail of the node down
		copy(nd.buf[p+add:], nd.buf[p+old:])
		nd.buf = nd.buf[:len(nd.buf)+delta]
	case cap(nd.buf)-len(nd.buf) >= delta:
		nd.buf = nd.buf[:len(nd.buf)+delta]
		copy(nd.buf[p+add:], nd.buf[p+old:len(nd.buf)-delta])
	default:
		used := nd.size()
		nc := growCap(used, used+delta)
		nb := make([]byte, used+delta, nc)
		rel := p - int(nd.off)
		copy(nb, nd.buf[nd.off:p])
		copy(nb[rel+add:], nd.buf[p+old:])
		l.account(cap(nd.buf), cap(nb))
		nd.buf, nd.off, p = nb, 0, rel
	}
	if e != nil {
		e.put(nd.buf[p:])
	}
}

// Set replaces element i (negative counts from the tail); false when out
// of range (LSET).
func (l *List) Set(i int64, v []byte) bool {
	if i < 0 {
		i += int64(l.Len())
	}
	if i < 0 || i >= int64(l.Len()) {
		return false
	}
	ni, p := l.locate(int(i))
	nd := &l.live()[ni]
	_, _, _, next := entry(nd.buf, p)
	e := encode(v)
	l.splice(ni, p, next-p, &e)
	l.splitIfOver(ni)
	return true
}

// InsertAt inserts v so that it becomes element i (0 <= i <= Len).
func (l *List) InsertAt(i int, v []byte) {
	switch {
	case i == 0:
		l.PushHead(v)
		return
	case i == l.Len():
		l.PushTail(v)
		return
	}
	ni, p := l.locate(i)
	e := encode(v)
	live := l.live()
	if p == int(live[ni].off) && ni > 0 && nodeFits(live[ni-1].size(), int(live[ni-1].n), len(v)) {
		// at the start of a node: the end of the previous one may take it
		l.appendTo(&live[ni-1], &e)
		l.addN(1)
		return
	}
	l.splice(ni, p, 0, &e)
	live[ni].n++
	l.addN(1)
	l.splitIfOver(ni)
}

// splitIfOver splits live node ni in two halves when it is beyond the
// limits.
func (l *List) splitIfOver(ni int) {
	nd := &l.live()[ni]
	if !nodeOver(nd.size(), int(nd.n)) {
		return
	}
	half := int(nd.n) / 2
	p := int(nd.off)
	for k := 0; k < half; k++ {
		_, _, _, p = entry(nd.buf, p)
	}
	second := make([]byte, len(nd.buf)-p)
	copy(second, nd.buf[p:])
	first := make([]byte, p-int(nd.off))
	copy(first, nd.buf[nd.off:p])
	l.account(cap(nd.buf), cap(first))
	rest := int(nd.n) - half
	*nd = lnode{buf: first, n: uint16(half)}
	l.addN(-rest) // they move to the new node, which insertNode counts
	l.insertNode(ni+1, lnode{buf: second, n: uint16(rest)})
}

// Find returns the index of the first element equal to v, or -1.
func (l *List) Find(v []byte) int {
	m := newMatcher(v)
	idx := 0
	for _, nd := range l.live() {
		for p := int(nd.off); p < len(nd.buf); idx++ {
			var eq bool
			eq, p = m.at(nd.buf, p)
			if eq {
				return idx
			}
		}
	}
	return -1
}

// Remove removes up to count elements equal to v, scanning from the head
// (count > 0), from the tail (count < 0), or all of them (count == 0), and
// returns how many it removed (LREM).
func (l *List) Remove(count int64, v []byte) int64 {
	m := newMatcher(v)
	var removed int64
	limit := count
	if limit < 0 {
		limit = -limit
	}
	done := func() bool { return limit != 0 && removed == limit }
	if count >= 0 {
		for ni := 0; ni < l.Nodes() && !done(); {
			nd := &l.live()[ni]
			for p := int(nd.off); p < len(nd.buf) && !done(); {
				eq, next := m.at(nd.buf, p)
				if !eq {
					p = next
					continue
				}
				l.splice(ni, p, next-p, nil)
				nd = &l.live()[ni]
				nd.n--
				l.addN(-1)
				removed++
			}
			if nd.n == 0 {
				l.removeNode(ni)
				continue
			}
			ni++
		}
		return removed
	}
	for ni := l.Nodes() - 1; ni >= 0 && !done(); ni-- {
		nd := &l.live()[ni]
		for end := len(nd.buf); end > int(nd.off) && !done(); {
			p := prevStart(nd.buf, end)
			eq, next := m.at(nd.buf, p)
			if eq {
				l.splice(ni, p, next-p, nil)
				nd = &l.live()[ni]
				nd.n--
				l.addN(-1)
				removed++
			}
			end = p
		}
		if nd.n == 0 {
			l.removeNode(ni)
		}
	}
	return removed
}

// DropHead removes the first n elements (n <= Len).
func (l *List) DropHead(n int) {
	for n > 0 {
		nd := &l.live()[0]
		if int(nd.n) <= n {
			n -= int(nd.n)
			l.removeNode(0)
			continue
		}
		p := int(nd.off)
		for k := 0; k < n; k++ {
			_, _, _, p = entry(nd.buf, p)
		}
		nd.off = int32(p)
		nd.n -= uint16(n)
		l.addN(-n)
		n = 0
	}
}

// DropTail removes the last n elements (n <= Len).
func (l *List) DropTail(n int) {
	for n > 0 {
		last := l.Nodes() - 1
		nd := &l.live()[last]
		if int(nd.n) <= n {
			n -= int(nd.n)
			l.removeNode(last)
			continue
		}
		p := len(nd.buf)
		for k := 0; k < n; k++ {
			p = prevStart(nd.buf, p)
		}
		nd.buf = nd.buf[:p]
		nd.n -= uint16(n)
		l.addN(-n)
		n = 0
	}
}

// Range calls fn for elements start..stop (0 <= start <= stop < Len) in
// order, until fn returns false. v is valid during the call only.
func (l *List) Range(start, stop int, fn func(v []byte) bool) {
	var num [20]byte
	l.RangeEntries(start, stop, func(s []byte, iv int64, isInt bool) bool {
		if isInt {
			return fn(strconv.AppendInt(num[:0], iv, 10))
		}
		return fn(s)
	})
}

// RangeEntries is Range giving each element as stored: a string (s, valid
// during the call) or an integer; it allocates nothing.
func (l *List) RangeEntries(start, stop int, fn func(s []byte, iv int64, isInt bool) bool) {
	if start > stop || start >= l.Len() {
		return
	}
	ni, p := l.locate(start)
	live := l.live()
	left := stop - start + 1
	for ; ni < len(live); ni++ {
		nd := &live[ni]
		if p < 0 {
			p = int(nd.off)
		}
		for p < len(nd.buf) {
			s, iv, isInt, next := entry(nd.buf, p)
			p = next
			if !fn(s, iv, isInt) {
				return
			}
			if left--; left == 0 {
				return
			}
		}
		p = -1
	}
}

// RangeRev calls fn for elements from start down to the head (start < Len),
// until fn returns false.
func (l *List) RangeRev(start int, fn func(v []byte) bool) {
	if start < 0 || start >= l.Len() {
		return
	}
	var num [20]byte
	ni, p := l.locate(start)
	live := l.live()
	_, _, _, end := entry(live[ni].buf, p)
	for ; ni >= 0; ni-- {
		nd := &live[ni]
		if end < 0 {
			end = len(nd.buf)
		}
		for end > int(nd.off) {
			p := prevStart(nd.buf, end)
			v, _ := entryBytes(nd.buf, p, &num)
			if !fn(v) {
				return
			}
			end = p
		}
		end = -1
	}
}

// Positions finds v for LPOS: it scans from the head (rank > 0) or the
// tail (rank < 0), skips |rank|-1 matches, compares at most maxlen
// elements (0: all), and calls fn with the index of each match until fn
// returns false.
func (l *List) Positions(v []byte, rank int64, maxlen int64, fn func(idx int) bool) {
	m := newMatcher(v)
	skip := rank - 1
	if rank < 0 {
		skip = -rank - 1
	}
	var seen int64
	live := l.live()
	if rank > 0 {
		idx := 0
		for ni := range live {
			nd := &live[ni]
			for p := int(nd.off); p < len(nd.buf); idx++ {
				if maxlen != 0 && seen == maxlen {
					return
				}
				seen++
				var eq bool
				eq, p = m.at(nd.buf, p)
				if eq {
					if skip > 0 {
						skip--
						continue
					}
					if !fn(idx) {
						return
					}
				}
			}
		}
		return
	}
	idx := l.Len() - 1
	for ni := len(live) - 1; ni >= 0; ni-- {
		nd := &live[ni]
		for end := len(nd.buf); end > int(nd.off); idx-- {
			if maxlen != 0 && seen == maxlen {
				return
			}
			seen++
			p := prevStart(nd.buf, end)
			eq, _ := m.at(nd.buf, p)
			end = p
			if eq {
				if skip > 0 {
					skip--
					continue
				}
				if !fn(idx) {
					return
				}
			}
		}
	}
}

// SortElements calls fn with every element in order, from the tail when
// desc (SORT ... BY nosort DESC).
func (l *List) SortElements(desc bool, fn func(v []byte)) {
	if desc {
		l.RangeRev(l.Len()-1, func(v []byte) bool { fn(v); return true })
		return
	}
	l.Range(0, l.Len()-1, func(v []byte) bool { fn(v); return true })
}

// NodeLens is the number of elements of each node, head first (DUMP
// writes a list node by node, as Redis's quicklist).
func (l *List) NodeLens() []int {
	live := l.live()
	out := make([]int, len(live))
	for i := range live {
		out[i] = int(live[i].n)
	}
	return out
}

// AppendNode appends vals as one node of their own (RESTORE keeps the
// nodes of a payload, as Redis does), or element by element when they are
// more than a node holds.
func (l *List) AppendNode(vals [][]byte) {
	if len(vals) == 0 {
		return
	}
	if len(vals) > 1<<15 {
		l.PushTailMany(vals)
		return
	}
	total := 0
	encs := make([]enc, len(vals))
	for i, v := range vals {
		encs[i] = encode(v)
		total += encs[i].total
	}
	var buf []byte
	if nb := nodeBytes(); total > nb/2 && total <= nb {
		buf = l.carve(nb)[:total] // a long list's full nodes share blocks (carve)
	} else {
		buf = make([]byte, total)
	}
	p := 0
	for i := range encs {
		encs[i].put(buf[p:])
		p += encs[i].total
	}
	l.insertNode(l.Nodes(), lnode{buf: buf, n: uint16(len(vals))})
}

// ---- log records ----

// Records calls fn with records that rebuild l: OpRPush of up to 1024
// elements each.
func (l *List) Records(now int64, fn func(op persistence.Op, body []byte, num int64) error) error {
	var body []byte
	n := 0
	var err error
	l.Range(0, l.Len()-1, func(v []byte) bool {
		body = persistence.AppendItem(body, v)
		if n++; n == 1024 {
			err = fn(OpRPush, body, 0)
			body, n = body[:0], 0
		}
		return err == nil
	})
	if err == nil && n > 0 {
		err = fn(OpRPush, body, 0)
	}
	return err
}

// LMove directions (the Arg of OpLMove, a rotation of one list): bit 0 is
// the end popped (0 left, 1 right), bit 1 the end pushed.
const (
	MoveFromRight = 1
	MoveToRight   = 2
)

// Rotate pops one element from one end and pushes it at the other (or
// the same) end: LMOVE with the same source and destination.
func (l *List) Rotate(how int64) {
	var num [20]byte
	var v []byte
	var ok bool
	if how&MoveFromRight != 0 {
		v, ok = l.PopTail(&num)
	} else {
		v, ok = l.PopHead(&num)
	}
	if !ok {
		return
	}
	v = append([]byte(nil), v...) // the pop's bytes may be overwritten by the push
	if how&MoveToRight != 0 {
		l.PushTail(v)
	} else {
		l.PushHead(v)
	}
}

// listFor is the list under r.Key, created if missing (replay).
func listFor(d *shard.DB, r *persistence.Record, create bool) (*List, shard.Entry, bool) {
	e, ok := d.Peek(r.Key, 0)
	if ok && e.Kind != shard.KindList {
		if !create {
			return nil, e, false
		}
		d.Delete(r.Key, discard{})
		ok = false
	}
	if !ok {
		if !create {
			return nil, e, false
		}
		d.PutObj(r.Key, NewList(), r.ExpireAt) // a snapshot's first entry carries the key's expiry
		e, _ = d.Peek(r.Key, 0)
	}
	return d.Obj(e).(*List), e, true
}

func applyLPush(d *shard.DB, r *persistence.Record) {
	l, e, _ := listFor(d, r, true)
	l.PushHeadMany(recordItems(r.Value))
	d.Changed(r.Key, e, nil)
}

func applyRPush(d *shard.DB, r *persistence.Record) {
	l, e, _ := listFor(d, r, true)
	l.PushTailMany(recordItems(r.Value))
	d.Changed(r.Key, e, nil)
}

func recordItems(body []byte) [][]byte {
	var out [][]byte
	persistence.Items(body, func(it []byte) { out = append(out, it) })
	return out
}

func applyLPop(d *shard.DB, r *persistence.Record) {
	if l, e, ok := listFor(d, r, false); ok {
		l.DropHead(int(min(max(r.Arg, 0), int64(l.Len()))))
		d.Changed(r.Key, e, nil)
	}
}

func applyRPop(d *shard.DB, r *persistence.Record) {
	if l, e, ok := listFor(d, r, false); ok {
		l.DropTail(int(min(max(r.Arg, 0), int64(l.Len()))))
		d.Changed(r.Key, e, nil)
	}
}

func firstItem(body []byte) (v []byte) {
	persistence.Items(body, func(it []byte) {
		if v == nil {
			v = it
		}
	})
	if v == nil {
		v = []byte{}
	}
	return v
}

func applyLSet(d *shard.DB, r *persistence.Record) {
	if l, e, ok := listFor(d, r, false); ok {
		l.Set(r.Arg, firstItem(r.Value))
		d.Changed(r.Key, e, nil)
	}
}

func applyLInsert(d *shard.DB, r *persistence.Record) {
	if l, e, ok := listFor(d, r, false); ok && r.Arg >= 0 && r.Arg <= int64(l.Len()) {
		l.InsertAt(int(r.Arg), firstItem(r.Value))
		d.Changed(r.Key, e, nil)
	}
}

func applyLRem(d *shard.DB, r *persistence.Record) {
	if l, e, ok := listFor(d, r, false); ok {
		l.Remove(r.Arg, firstItem(r.Value))
		d.Changed(r.Key, e, nil)
	}
}

func applyLTrim(d *shard.DB, r *persistence.Record) {
	if l, e, ok := listFor(d, r, false); ok {
		tail, _ := strconv.ParseInt(string(firstItem(r.Value)), 10, 64)
		l.DropHead(int(min(max(r.Arg, 0), int64(l.Len()))))
		l.DropTail(int(min(max(tail, 0), int64(l.Len()))))
		d.Changed(r.Key, e, nil)
	}
}

func applyLMove(d *shard.DB, r *persistence.Record) {
	if l, e, ok := listFor(d, r, false); ok {
		l.Rotate(r.Arg)
		d.Changed(r.Key, e, nil)
	}
}
