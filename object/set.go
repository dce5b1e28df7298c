package object

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"unsafe"

	"fastcache/persistence"
	"fastcache/shard"
)

// Set records (ops 32-47). Every set command is logged as the members it
// added or removed: SPOP and SMOVE as the removal of the members they took,
// the STORE forms as a deletion of the destination and the adds that rebuild
// it (see Records).
const (
	// OpSAdd adds the members (items) to the set Key, creating it (without
	// expiry) if missing.
	OpSAdd persistence.Op = 32
	// OpSRem removes the members (items) from the set Key; the key goes
	// when its last member does.
	OpSRem persistence.Op = 33
)

// SetMaxIntsetEntries is Redis's set-max-intset-entries: an all-integer set
// with more members moves to the hashtable encoding.
var SetMaxIntsetEntries atomic.Int64

// A set of strings too short to deserve a table is kept packed, as Redis
// 7.2 keeps it in a listpack. Redis 7.0, whose OBJECT ENCODING names we
// report, has only intset and hashtable for sets: a packed set reports
// "hashtable" (what 7.0 would have used), its order is insertion order (a
// hashtable's order is unspecified anyway).
const (
	setPackedEntries = 128
	setPackedValue   = 64
)

func init() {
	SetMaxIntsetEntries.Store(512)
	persistence.RegisterOp(OpSAdd, "sadd")
	persistence.RegisterOp(OpSRem, "srem")
	shard.RegisterApply(OpSAdd, applySAdd)
	shard.RegisterApply(OpSRem, applySRem)
}

// set encodings
const (
	setInts   = iota // intset: sorted integers packed at width w
	setPacked        // (uvarint len | member)*, insertion order
	setBig           // an arena table, members as keys with empty values
)

// Set is a set: an intset (Redis's: ascending integers, 2, 4 or 8 bytes each
// by the widest member) while every member is an integer in canonical form
// and there are at most set-max-intset-entries of them; a packed buffer for
// few short strings; else an arena table of members (pointer-free, as the
// keyspace's own). Like Redis, a set never moves back to a smaller encoding.
type Set struct {
	// p is the buffer of a small set, nb bytes used of cb (setInts: n
	// integers of w bytes; setPacked: n entries), or a big set's
	// *shard.ArenaTable (setBig). A pointer and two lengths make a Set 24
	// bytes, where a slice and a pointer made it 48: 100,000 intsets of 10
	// members, 2.4 bytes per member.
	p      unsafe.Pointer
	nb, cb uint32
	n      int32
	enc    uint8
	w      uint8 // intset width: 2, 4 or 8
}

// buf is a small set's buffer.
func (s *Set) buf() []byte {
	if s.enc == setBig {
		return nil
	}
	return unsafe.Slice((*byte)(s.p), s.cb)[:s.nb]
}

func (s *Set) setBuf(b []byte) {
	s.p, s.nb, s.cb = unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b)), uint32(cap(b))
}

// table is a big set's table of members.
func (s *Set) table() *shard.ArenaTable {
	if s.enc != setBig {
		return nil
	}
	return (*shard.ArenaTable)(s.p)
}

// NewSet returns an empty set in the encoding Redis 7.0 creates for a set
// whose first member is first: an intset if it is an integer, else a
// hashtable (packed here while small).
func NewSet(first []byte) *Set {
	if _, ok := parseInt(first); ok {
		return &Set{enc: setInts, w: 2}
	}
	return &Set{enc: setPacked}
}

// NewIntSet is an empty intset, as the STORE forms of SINTER, SUNION and
// SDIFF start their result.
func NewIntSet() *Set { return &Set{enc: setInts, w: 2} }

func (s *Set) Kind() shard.Kind { return shard.KindSet }

func (s *Set) Len() int {
	if s.enc == setBig {
		return s.table().Len()
	}
	return int(s.n)
}

func (s *Set) Bytes() int64 {
	if s.enc == setBig {
		return s.table().Bytes() + 24
	}
	return int64(s.cb) + 24
}

func (s *Set) Clone() shard.Object {
	c := *s
	if s.enc == setBig {
		c.p = unsafe.Pointer(s.table().Clone())
	} else if s.nb > 0 {
		b := allocPacked(int(s.nb), int(s.nb))
		copy(b, s.buf())
		c.setBuf(b)
	} else {
		c.setBuf(nil)
	}
	return &c
}

func (s *Set) Encoding() string {
	if s.enc == setInts {
		return "intset"
	}
	return "hashtable"
}

// IsIntset reports whether s is an intset (members come out in ascending
// numeric order).
func (s *Set) IsIntset() bool { return s.enc == setInts }

// Intset is an intset's width (2, 4 or 8: it only grows, as Redis's),
// count and little-endian values, ascending; ok false for another
// encoding (DUMP writes it as Redis's intset blob).
func (s *Set) Intset() (width, n int, values []byte, ok bool) {
	if s.enc != setInts {
		return 0, 0, nil, false
	}
	return int(s.w), int(s.n), s.buf(), true
}

// parseInt is Redis's string2ll: canonical decimal integers only.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg, i := false, 0
	if b[0] == '-' {
		neg, i = true, 1
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' || v > (1<<64-1-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// ---- intset ----

func widthOf(v int64) uint8 {
	switch {
	case v >= -1<<15 && v < 1<<15:
		return 2
	case v >= -1<<31 && v < 1<<31:
		return 4
	}
	return 8
}

func (s *Set) intAt(i int) int64 {
	b := s.buf()
	switch s.w {
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(b[i*2:])))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(b[i*4:])))
	}
	return int64(binary.LittleEndian.Uint64(b[i*8:]))
}

func putInt(b []byte, w uint8, v int64) {
	switch w {
	case 2:
		binary.LittleEndian.PutUint16(b, uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(b, uint32(v))
	default:
		binary.LittleEndian.PutUint64(b, uint64(v))
	}
}

// intSearch is the position of v in the intset, or where it would go.
func (s *Set) intSearch(v int64) (int, bool) {
	lo, hi := 0, int(s.n)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.intAt(m) < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < int(s.n) && s.intAt(lo) == v
}

func (s *Set) intInsert(v int64) bool {
	if w := widthOf(v); w > s.w {
		nb := allocPacked(int(s.n)*int(w), (int(s.n)+1)*int(w))
		for i := 0; i < int(s.n); i++ {
			putInt(nb[i*int(w):], w, s.intAt(i))
		}
		s.setBuf(nb)
		s.w = w
	}
	i, found := s.intSearch(v)
	if found {
		return false
	}
	w := int(s.w)
	b := s.buf()
	b = growPacked(b, w)[:len(b)+w]
	copy(b[(i+1)*w:], b[i*w:len(b)-w])
	putInt(b[i*w:], s.w, v)
	s.setBuf(b)
	s.n++
	return true
}

func (s *Set) intRemove(i int) {
	w := int(s.w)
	b := s.buf()
	s.setBuf(append(b[:i*w], b[(i+1)*w:]...))
	s.n--
}

// ---- packed ----

func packedNext(b []byte, p int) (m []byte, next int) {
	l, n := binary.Uvarint(b[p:])
	p += n
	return b[p : p+int(l) : p+int(l)], p + int(l)
}

func (s *Set) packedFind(m []byte) (at, end int, ok bool) {
	b := s.buf()
	for p := 0; p < len(b); {
		x, next := packedNext(b, p)
		if string(x) == string(m) {
			return p, next, true
		}
		p = next
	}
	return 0, 0, false
}

// ---- conversions ----

// toBig moves s to the table encoding.
func (s *Set) toBig() {
	t := shard.NewNestedTable()
	s.Range(func(m []byte) bool { t.Put(m, nil, 0, 0); return true })
	s.p, s.nb, s.cb, s.n, s.enc = unsafe.Pointer(t), 0, 0, 0, setBig
}

// intsToPacked moves an intset to the packed encoding.
func (s *Set) intsToPacked() {
	var b []byte
	var tmp [24]byte
	for i := 0; i < int(s.n); i++ {
		b = persistence.AppendItem(b, strconv.AppendInt(tmp[:0], s.intAt(i), 10))
	}
	s.setBuf(b)
	s.enc = setPacked
}

// ---- operations ----

// Add adds m; false if it was already a member.
func (s *Set) Add(m []byte) bool {
	if s.enc == setInts {
		if v, ok := parseInt(m); ok {
			if !s.intInsert(v) {
				return false
			}
			if int64(s.n) > SetMaxIntsetEntries.Load() || s.nb > maxPacked {
				s.toBig()
			}
			return true
		}
		if s.n+1 > setPackedEntries || len(m) > setPackedValue {
			s.toBig()
		} else {
			s.intsToPacked()
		}
	}
	if s.enc == setPacked {
		if _, _, ok := s.packedFind(m); ok {
			return false
		}
		if s.n+1 > setPackedEntries || len(m) > setPackedValue {
			s.toBig()
		} else {
			s.setBuf(persistence.AppendItem(growPacked(s.buf(), len(m)+binary.MaxVarintLen32), m))
			s.n++
			return true
		}
	}
	t := s.table()
	_, slot, ok := t.Find(m)
	if ok {
		return false
	}
	t.PutAt(slot, m, nil, 0, 0)
	return true
}

// Remove removes m; false if it was not a member.
func (s *Set) Remove(m []byte) bool {
	switch s.enc {
	case setInts:
		v, ok := parseInt(m)
		if !ok {
			return false
		}
		i, found := s.intSearch(v)
		if found {
			s.intRemove(i)
		}
		return found
	case setPacked:
		at, end, ok := s.packedFind(m)
		if ok {
			b := s.buf()
			s.setBuf(append(b[:at], b[end:]...))
			s.n--
		}
		return ok
	}
	return s.table().Delete(m)
}

// Has reports whether m is a member.
func (s *Set) Has(m []byte) bool {
	switch s.enc {
	case setInts:
		v, ok := parseInt(m)
		if !ok {
			return false
		}
		_, found := s.intSearch(v)
		return found
	case setPacked:
		_, _, ok := s.packedFind(m)
		return ok
	}
	_, ok := s.table().Get(m)
	return ok
}

// Range calls fn for each member until it returns false: ascending for an
// intset, insertion order for a packed set, table order otherwise. The
// member passed is valid only during the call. fn must not change s.
func (s *Set) Range(fn func(m []byte) bool) {
	switch s.enc {
	case setInts:
		var tmp [24]byte
		for i := 0; i < int(s.n); i++ {
			if !fn(strconv.AppendInt(tmp[:0], s.intAt(i), 10)) {
				return
			}
		}
	case setPacked:
		b := s.buf()
		for p := 0; p < len(b); {
			m, next := packedNext(b, p)
			if !fn(m) {
				return
			}
			p = next
		}
	default:
		s.table().Range(func(k []byte, _ shard.Entry) bool { return fn(k) })
	}
}

// Members returns copies of all members (in Range's order).
func (s *Set) Members() [][]byte {
	out := make([][]byte, 0, s.Len())
	s.Range(func(m []byte) bool { out = append(out, append([]byte(nil), m...)); return true })
	return out
}

// Scan continues an SSCAN at cursor: a small set is returned whole with
// cursor 0, as Redis does for an intset.
func (s *Set) Scan(cursor uint64, count int, fn func(m []byte)) uint64 {
	if s.enc != setBig {
		s.Range(func(m []byte) bool { fn(m); return true })
		return 0
	}
	return s.table().Scan(cursor, count, func(k []byte, _ shard.Entry) { fn(k) })
}

// memberAt is the i-th member of a small set (a copy).
func (s *Set) memberAt(i int) []byte {
	if s.enc == setInts {
		return strconv.AppendInt(nil, s.intAt(i), 10)
	}
	b := s.buf()
	p := 0
	for ; i > 0; i-- {
		_, p = packedNext(b, p)
	}
	m, _ := packedNext(b, p)
	return append([]byte(nil), m...)
}

// RandomMember is one member picked at random (a copy); nil if s is empty.
func (s *Set) RandomMember() []byte {
	if s.Len() == 0 {
		return nil
	}
	if s.enc != setBig {
		return s.memberAt(rand.IntN(int(s.n)))
	}
	var out []byte
	s.table().Sample(1, false, func(k []byte, _ shard.Entry) { out = append([]byte(nil), k...) })
	return out
}

// RandomMembers returns count members picked at random (copies): distinct
// ones (at most all of them) when count > 0, -count picks with repeats
// when count < 0 (SRANDMEMBER).
func (s *Set) RandomMembers(count int64) [][]byte {
	n := int64(s.Len())
	if n == 0 || count == 0 {
		return nil
	}
	if count < 0 {
		out := make([][]byte, 0, min(-count, 1<<16))
		var all [][]byte
		if s.enc != setBig || -count > n/4 {
			all = s.Members()
		}
		for i := int64(0); i < -count; i++ {
			if all != nil {
				out = append(out, all[rand.Int64N(n)])
			} else {
				out = append(out, s.RandomMember())
			}
		}
		return out
	}
	if count >= n {
		return s.Members()
	}
	if s.enc == setBig && count*3 <= n {
		out := make([][]byte, 0, count)
		s.table().Sample(int(count), false, func(k []byte, _ shard.Entry) {
			out = append(out, append([]byte(nil), k...))
		})
		return out
	}
	all := s.Members()
	for i := int64(0); i < count; i++ {
		j := i + rand.Int64N(n-i)
		all[i], all[j] = all[j], all[i]
	}
	return all[:count]
}

// Pop removes and returns up to count members picked at random (SPOP).
// Like Redis 7.0, when at most a fifth as many members stay as go, the
// members that stay are picked and the set is rebuilt from them (so a
// hashtable of integers can become an intset again).
func (s *Set) Pop(count int64) [][]byte {
	n := int64(s.Len())
	if count <= 0 || n == 0 {
		return nil
	}
	if count >= n {
		out := s.Members()
		*s = Set{enc: setInts, w: 2}
		return out
	}
	if (n-count)*5 <= count {
		stay := s.RandomMembers(n - count)
		keep := make(map[string]bool, len(stay))
		for _, m := range stay {
			keep[string(m)] = true
		}
		out := make([][]byte, 0, count)
		s.Range(func(m []byte) bool {
			if !keep[string(m)] {
				out = append(out, append([]byte(nil), m...))
			}
			return true
		})
		ns := NewSet(stay[0])
		for _, m := range stay {
			ns.Add(m)
		}
		*s = *ns
		return out
	}
	out := s.RandomMembers(count)
	for _, m := range out {
		s.Remove(m)
	}
	return out
}

// PopOne is Pop(1) calling fn with the member popped instead of
// returning a copy (m is valid only during the call, which must not change
// s); false if s is empty. A big set picks and deletes its member with one
// probe of its table (ArenaTable.PopRandom).
func (s *Set) PopOne(fn func(m []byte)) bool {
	if s.enc == setBig && s.Len() > 1 { // Pop(1) of a set of 2 or more: no rebuild
		return s.table().PopRandom(fn)
	}
	out := s.Pop(1)
	if len(out) == 0 {
		return false
	}
	fn(out[0])
	return true
}

// ---- log records ----

// Records calls fn with OpSAdd records of up to 1024 members each.
func (s *Set) Records(now int64, fn func(op persistence.Op, body []byte, num int64) error) error {
	var body []byte
	n := 0
	var err error
	s.Range(func(m []byte) bool {
		body = persistence.AppendItem(body, m)
		if n++; n == 1024 {
			err = fn(OpSAdd, body, 0)
			body, n = body[:0], 0
		}
		return err == nil
	})
	if err == nil && n > 0 {
		err = fn(OpSAdd, body, 0)
	}
	return err
}

func applySAdd(d *shard.DB, r *persistence.Record) {
	e, ok := d.Peek(r.Key, 0)
	if ok && e.Kind != shard.KindSet {
		d.Delete(r.Key, discard{})
		ok = false
	}
	if !ok {
		var first []byte
		persistence.Items(r.Value, func(it []byte) {
			if first == nil {
				first = it
			}
		})
		d.PutObj(r.Key, NewSet(first), r.ExpireAt)
		e, _ = d.Peek(r.Key, 0)
	}
	s := d.Obj(e).(*Set)
	persistence.Items(r.Value, func(it []byte) { s.Add(it) })
	d.Changed(r.Key, e, nil)
}

func applySRem(d *shard.DB, r *persistence.Record) {
	e, ok := d.Peek(r.Key, 0)
	if !ok || e.Kind != shard.KindSet {
		return
	}
	s := d.Obj(e).(*Set)
	persistence.Items(r.Value, func(it []byte) { s.Remove(it) })
	d.Changed(r.Key, e, nil)
}
