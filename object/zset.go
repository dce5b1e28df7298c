package object

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"unsafe"

	"fastcache/persistence"
	"fastcache/shard"
)

// Sorted set records (ops 48-63), in effect form: ZINCRBY and ZADD INCR
// log the new score, pops and range removals log the members removed.
const (
	// OpZAdd sets the scores of members of the sorted set Key (created
	// without expiry if missing): items are pairs of a score (8 bytes, the
	// IEEE 754 bits, little-endian) and a member.
	OpZAdd persistence.Op = 48
	// OpZRem removes the members (items) of the sorted set Key; the key goes
	// when its last member does.
	OpZRem persistence.Op = 49
)

// Thresholds of the packed encoding, with Redis's names and defaults.
var (
	ZSetMaxListpackEntries atomic.Int64
	ZSetMaxListpackValue   atomic.Int64
)

func init() {
	ZSetMaxListpackEntries.Store(128)
	ZSetMaxListpackValue.Store(64)
	persistence.RegisterOp(OpZAdd, "zadd")
	persistence.RegisterOp(OpZRem, "zrem")
	shard.RegisterApply(OpZAdd, applyZAdd)
	shard.RegisterApply(OpZRem, applyZRem)
}

// ZSet is a sorted set. A small one is a single packed buffer of its
// entries in order (Redis's listpack); past zset-max-listpack-entries
// members or with a member longer than zset-max-listpack-value it becomes
// a member -> score table (an arena table, pointer-free) plus a counted
// B+tree of (score, member) for ranks and ranges (Redis's dict + skiplist;
// OBJECT ENCODING says "skiplist").
type ZSet struct {
	// p is the packed encoding's buffer (n bytes used of c): a u16 count
	// of entries (little-endian), then the entries in order (see
	// lpAppend); nil when empty. When c is zbigMark, p is the *zbig of the
	// big encoding instead. A pointer and two lengths make a ZSet 16
	// bytes, where a slice and a pointer took 32: many small sets are the
	// common case this encoding is for (100,000 sets of 10 members: 1.6
	// bytes per member).
	p    unsafe.Pointer
	n, c uint32
}

// zbigMark in ZSet.c says that p is a *zbig.
const zbigMark = math.MaxUint32

// maxPacked is the most bytes a packed sorted set holds: past it the set
// converts (Redis's listpack converts at its 1 GB safety limit too).
const maxPacked = 1 << 30

// lp is the packed buffer (nil when the set is big or empty).
func (z *ZSet) lp() []byte {
	if z.c == zbigMark {
		return nil
	}
	return unsafe.Slice((*byte)(z.p), z.c)[:z.n]
}

func (z *ZSet) setLP(b []byte) {
	z.p, z.n, z.c = unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b)), uint32(cap(b))
}

// big is the big encoding (nil while packed).
func (z *ZSet) big() *zbig {
	if z.c != zbigMark {
		return nil
	}
	return (*zbig)(z.p)
}

func (z *ZSet) setBig(b *zbig) { z.p, z.n, z.c = unsafe.Pointer(b), 0, zbigMark }

func zsetBig(b *zbig) *ZSet {
	z := &ZSet{}
	z.setBig(b)
	return z
}

const lpHdr = 2

func (z *ZSet) lpCount() int {
	if z.n < lpHdr || z.c == zbigMark {
		return 0
	}
	return int(binary.LittleEndian.Uint16(z.lp()))
}

func (z *ZSet) lpSetCount(n int) { binary.LittleEndian.PutUint16(z.lp(), uint16(n)) }

type zbig struct {
	dict *shard.ArenaTable // member -> score (8 bytes)
	tree *ztree
}

// NewZSet is an empty sorted set in the encoding Redis 7.0's ZADD creates
// for a first member first: packed, unless zset-max-listpack-entries is 0
// or first is longer than zset-max-listpack-value.
func NewZSet(first []byte) *ZSet {
	if ZSetMaxListpackEntries.Load() == 0 || int64(len(first)) > ZSetMaxListpackValue.Load() {
		return zsetBig(newZBig())
	}
	return &ZSet{}
}

// NewZSetSized is an empty sorted set in the encoding Redis gives a set
// built whole (the result of ZUNIONSTORE and its family, a loaded
// snapshot): packed if size members, the longest maxLen bytes, fit the
// thresholds.
func NewZSetSized(size, maxLen int) *ZSet {
	if int64(size) > ZSetMaxListpackEntries.Load() || int64(maxLen) > ZSetMaxListpackValue.Load() {
		return zsetBig(newZBig())
	}
	return &ZSet{}
}

func newZBig() *zbig { return &zbig{dict: shard.NewNestedTable(), tree: newZTree()} }

func (z *ZSet) Kind() shard.Kind { return shard.KindZSet }

func (z *ZSet) Len() int {
	if b := z.big(); b != nil {
		return b.dict.Len()
	}
	return z.lpCount()
}

func (z *ZSet) Bytes() int64 {
	if b := z.big(); b != nil {
		return b.dict.Bytes() + b.tree.bytes + 64
	}
	return int64(z.c) + 16
}

func (z *ZSet) Clone() shard.Object {
	c := &ZSet{}
	if b := z.big(); b != nil {
		c.setBig(&zbig{dict: b.dict.Clone(), tree: b.tree.clone()})
	} else if z.n > 0 {
		c.setLP(allocPacked(int(z.n), int(z.n)))
		copy(c.lp(), z.lp())
	}
	return c
}

func (z *ZSet) Encoding() string {
	if z.big() != nil {
		return "skiplist"
	}
	return "listpack"
}

// ---- listpack ----
//
// An entry is uvarint(len(member)<<1 | f) | member | score, where the score
// is a zigzag varint when f is 0 (an integer score, as Redis's listpack
// stores integers compactly) and the 8 bytes of the float when f is 1.

// intScore is s as an integer if it is one. -0 is 0: Redis's listpack
// keeps a score as its text, which reads back as 0 (its skiplist keeps -0).
func intScore(s float64) (int64, bool) {
	if s == math.Trunc(s) && math.Abs(s) < 1<<53 {
		return int64(s), true
	}
	return 0, false
}

func lpAppend(dst, m []byte, s float64) []byte {
	if v, ok := intScore(s); ok {
		dst = binary.AppendUvarint(dst, uint64(len(m))<<1)
		dst = append(dst, m...)
		return binary.AppendVarint(dst, v)
	}
	dst = binary.AppendUvarint(dst, uint64(len(m))<<1|1)
	dst = append(dst, m...)
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(s))
}

// lpEntry decodes the entry at lp[p:].
func lpEntry(lp []byte, p int) (m []byte, s float64, next int) {
	h, n := binary.Uvarint(lp[p:])
	p += n
	l := int(h >> 1)
	m = lp[p : p+l : p+l]
	p += l
	if h&1 != 0 {
		return m, math.Float64frombits(binary.LittleEndian.Uint64(lp[p:])), p + 8
	}
	v, n := binary.Varint(lp[p:])
	return m, float64(v), p + n
}

// lpFind is the position of m's entry, the position after it, and its score.
func (z *ZSet) lpFind(m []byte) (at, end int, s float64, ok bool) {
	lp := z.lp()
	for p := lpHdr; p < len(lp); {
		x, sc, next := lpEntry(lp, p)
		if string(x) == string(m) {
			return p, next, sc, true
		}
		p = next
	}
	return 0, 0, 0, false
}

func (z *ZSet) lpInsert(m []byte, s float64) {
	if z.n == 0 {
		z.setLP(allocPacked(lpHdr, lpHdr+len(m)+10))
	}
	lp := z.lp()
	p := lpHdr
	for p < len(lp) {
		x, sc, next := lpEntry(lp, p)
		if zcmp(sc, x, s, m) > 0 {
			break
		}
		p = next
	}
	var tmp [96]byte
	enc := lpAppend(tmp[:0], m, s)
	old := len(lp)
	lp = growPacked(lp, len(enc))[:old+len(enc)]
	copy(lp[p+len(enc):], lp[p:old])
	copy(lp[p:], enc)
	z.setLP(lp)
	z.lpSetCount(z.lpCount() + 1)
}

func (z *ZSet) lpDelete(at, end int) {
	lp := z.lp()
	z.setLP(append(lp[:at], lp[end:]...))
	z.lpSetCount(z.lpCount() - 1)
}

// toBig moves a packed sorted set to the dict + tree encoding.
func (z *ZSet) toBig() {
	b := newZBig()
	lp := z.lp()
	for p := lpHdr; p < len(lp); {
		m, s, next := lpEntry(lp, p)
		b.add(m, s)
		p = next
	}
	z.setBig(b)
}

// Reserve makes room in a packed sorted set for entries about to be
// added (pairs: score text, member, ...; scores: their values), so a set
// created by one ZADD of many pairs is allocated once, at its size.
func (z *ZSet) Reserve(pairs [][]byte, scores []float64) {
	if z.big() != nil || len(scores) > int(ZSetMaxListpackEntries.Load()) {
		return
	}
	n := 0
	var tmp [96]byte
	for j, s := range scores {
		m := pairs[2*j+1]
		if len(m) > 64 {
			n += binary.MaxVarintLen32 + len(m) + 8
			continue
		}
		n += len(lpAppend(tmp[:0], m, s))
	}
	if len(z.lp())+n > maxPacked {
		return
	}
	if z.n == 0 {
		z.setLP(allocPacked(lpHdr, lpHdr+n))
		return
	}
	z.setLP(growPacked(z.lp(), n))
}

// Trim gives back the room Reserve left unused (repeated members), when
// that is more than a size class of the allocator (classes are at most
// ~19% apart: a copy to a quarter less does land in a smaller one).
func (z *ZSet) Trim() {
	if z.c != zbigMark && z.c > z.n+max(16, z.n/4) {
		lp := z.lp()
		nb := allocPacked(len(lp), len(lp))
		copy(nb, lp)
		z.setLP(nb)
	}
}

// ---- big ----

func (b *zbig) score(m []byte) (float64, bool) {
	e, ok := b.dict.Get(m)
	if !ok {
		return 0, false
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(e.Value)), true
}

func (b *zbig) add(m []byte, s float64) bool {
	if e, _, ok := b.dict.Lookup(m); ok {
		old := math.Float64frombits(binary.LittleEndian.Uint64(e.Value))
		if old == s { // 0 and -0 too: Redis compares scores with ==
			return false
		}
		b.tree.remove(old, m)
		// e.Value is the score's 8 bytes in the dict's record, valid until
		// the dict next changes: rewritten in place, one lookup in all.
		binary.LittleEndian.PutUint64(e.Value, math.Float64bits(s))
		b.tree.insert(s, m)
		return false
	}
	var v [8]byte
	binary.LittleEndian.PutUint64(v[:], math.Float64bits(s))
	b.dict.Put(m, v[:], 0, 0)
	b.tree.insert(s, m)
	return true
}

// addAt is add through slot, the Slot dict.Find returned for m.
func (b *zbig) addAt(slot shard.Slot, m []byte, s float64) bool {
	if !b.dict.Current(slot) {
		return b.add(m, s)
	}
	if e, ok := b.dict.At(slot); ok {
		old := math.Float64frombits(binary.LittleEndian.Uint64(e.Value))
		if old == s { // 0 and -0 too: Redis compares scores with ==
			return false
		}
		b.tree.remove(old, m)
		binary.LittleEndian.PutUint64(e.Value, math.Float64bits(s)) // in place, as add
		b.tree.insert(s, m)
		return false
	}
	var v [8]byte
	binary.LittleEndian.PutUint64(v[:], math.Float64bits(s))
	b.dict.PutAt(slot, m, v[:], 0, 0)
	b.tree.insert(s, m)
	return true
}

// ---- operations ----

// ZRef is where Find found a member, or where it would go, for a SetRef
// of the same member before the set next changes: ZADD and ZINCRBY read a
// member's score and then write it with one lookup. A big set's ref is
// checked (a stale shard.Slot falls back to a lookup); of a packed set's,
// only a conversion or a change of length is noticed (then SetRef is
// Set): nothing may change the set between Find and SetRef.
type ZRef struct {
	slot    shard.Slot // a big set's
	at, end int        // a packed set's entry
	found   bool
	big     bool
	size    int // the packed set's length
}

// Find is Score that also returns m's ZRef.
func (z *ZSet) Find(m []byte) (float64, bool, ZRef) {
	if b := z.big(); b != nil {
		e, slot, ok := b.dict.Find(m)
		var s float64
		if ok {
			s = math.Float64frombits(binary.LittleEndian.Uint64(e.Value))
		}
		return s, ok, ZRef{slot: slot, found: ok, big: true}
	}
	at, end, s, ok := z.lpFind(m)
	return s, ok, ZRef{at: at, end: end, found: ok, size: int(z.n)}
}

// SetRef is Set(m, s) through ref, the ZRef Find returned for m, with
// nothing changed in the set since.
func (z *ZSet) SetRef(ref ZRef, m []byte, s float64) bool {
	if b := z.big(); b != nil {
		if !ref.big {
			return b.add(m, s)
		}
		return b.addAt(ref.slot, m, s)
	}
	if ref.big || ref.size != int(z.n) {
		return z.Set(m, s)
	}
	if ref.found {
		if _, old, _ := lpEntry(z.lp(), ref.at); old == s { // 0 and -0 too: Redis compares scores with ==
			return false
		}
		z.lpDelete(ref.at, ref.end)
		z.lpInsert(m, s)
		return false
	}
	if n := int64(z.lpCount() + 1); n > ZSetMaxListpackEntries.Load() || n > 1<<16-1 || int64(len(m)) > ZSetMaxListpackValue.Load() ||
		int(z.n)+len(m)+2*binary.MaxVarintLen64 > maxPacked {
		z.toBig()
		return z.big().add(m, s)
	}
	z.lpInsert(m, s)
	return true
}

// Score is m's score; false if m is not a member.
func (z *ZSet) Score(m []byte) (float64, bool) {
	if b := z.big(); b != nil {
		return b.score(m)
	}
	_, _, s, ok := z.lpFind(m)
	return s, ok
}

// Set gives m the score s, adding m if needed; true if m is new.
func (z *ZSet) Set(m []byte, s float64) bool {
	if z.big() == nil {
		at, end, old, ok := z.lpFind(m)
		if ok {
			if old == s { // 0 and -0 too: Redis compares scores with ==
				return false
			}
			z.lpDelete(at, end)
			z.lpInsert(m, s)
			return false
		}
		if n := int64(z.lpCount() + 1); n > ZSetMaxListpackEntries.Load() || n > 1<<16-1 || int64(len(m)) > ZSetMaxListpackValue.Load() ||
			int(z.n)+len(m)+2*binary.MaxVarintLen64 > maxPacked {
			z.toBig()
		} else {
			z.lpInsert(m, s)
			return true
		}
	}
	return z.big().add(m, s)
}

// Remove removes m; false if it was not a member.
func (z *ZSet) Remove(m []byte) bool {
	if b := z.big(); b != nil {
		s, ok := b.score(m)
		if !ok {
			return false
		}
		b.tree.remove(s, m)
		b.dict.Delete(m)
		return true
	}
	at, end, _, ok := z.lpFind(m)
	if ok {
		z.lpDelete(at, end)
	}
	return ok
}

// CountWhile is the number of leading members (in order) for which before
// is true; before must hold for a prefix of the order only.
func (z *ZSet) CountWhile(before func(s float64, m []byte) bool) int {
	if b := z.big(); b != nil {
		return b.tree.countWhile(before)
	}
	lp := z.lp()
	i := 0
	for p := lpHdr; p < len(lp); i++ {
		m, s, next := lpEntry(lp, p)
		if !before(s, m) {
			return i
		}
		p = next
	}
	return i
}

// Rank is m's 0-based position in order and its score; false if m is not
// a member.
func (z *ZSet) Rank(m []byte) (int, float64, bool) {
	if b := z.big(); b != nil {
		s, ok := b.score(m)
		if !ok {
			return 0, 0, false
		}
		return b.tree.rank(s, m), s, true
	}
	lp := z.lp()
	i := 0
	for p := lpHdr; p < len(lp); i++ {
		x, s, next := lpEntry(lp, p)
		if string(x) == string(m) {
			return i, s, true
		}
		p = next
	}
	return 0, 0, false
}

// Walk calls fn for the members from position r on, forward or (rev)
// backward, until fn returns false. The member passed aliases z: it is
// valid until z changes, and fn must not change z.
func (z *ZSet) Walk(r int, rev bool, fn func(m []byte, s float64) bool) {
	if r < 0 || r >= z.Len() {
		return
	}
	if b := z.big(); b != nil {
		b.tree.walk(r, rev, fn)
		return
	}
	lp := z.lp()
	if !rev {
		p := lpHdr
		for i := 0; p < len(lp); i++ {
			m, s, next := lpEntry(lp, p)
			if i >= r && !fn(m, s) {
				return
			}
			p = next
		}
		return
	}
	var offs [129]int
	o := offs[:0]
	for p, i := lpHdr, 0; p < len(lp) && i <= r; i++ {
		o = append(o, p)
		_, _, p = lpEntry(lp, p)
	}
	for i := r; i >= 0; i-- {
		m, s, _ := lpEntry(lp, o[i])
		if !fn(m, s) {
			return
		}
	}
}

// Entry is a member and its score (the member a copy).
type Entry struct {
	Member []byte
	Score  float64
}

// Entries returns copies of count entries from position r on (forward or
// backward); count < 0 means all.
func (z *ZSet) Entries(r int, rev bool, count int) []Entry {
	var out []Entry
	if count == 0 {
		return nil
	}
	z.Walk(r, rev, func(m []byte, s float64) bool {
		out = append(out, Entry{append([]byte(nil), m...), s})
		return count < 0 || len(out) < count
	})
	return out
}

// PopMin removes and returns up to count members with the lowest scores
// (rev: the highest), in that order: ZPOPMIN, ZPOPMAX, ZMPOP, and the
// blocking pops (BZPOPMIN, BZPOPMAX, BZMPOP) once they are served. The
// caller logs the removal (OpZRem of the members returned).
func (z *ZSet) PopMin(count int, rev bool) []Entry {
	var out []Entry
	z.PopMinFunc(count, rev, func(m []byte, s float64) {
		out = append(out, Entry{append([]byte(nil), m...), s})
	})
	return out
}

// PopMinFunc is PopMin calling fn with each member popped, in order,
// instead of returning copies: m aliases the set and is valid only during
// the call, which must not change z.
func (z *ZSet) PopMinFunc(count int, rev bool, fn func(m []byte, s float64)) {
	if b := z.big(); b != nil {
		b.pop(count, rev, fn)
		return
	}
	for ; count > 0 && z.lpCount() > 0; count-- {
		lp := z.lp()
		at := lpHdr
		if rev {
			for i, n := 0, z.lpCount()-1; i < n; i++ {
				_, _, at = lpEntry(lp, at)
			}
		}
		m, s, end := lpEntry(lp, at)
		fn(m, s)
		z.lpDelete(at, end)
	}
}

// pop is PopMinFunc of a big set. The tree gives up its first entry
// without a search (ztree.popEdge); the dict's delete of its member is two
// cache misses (the index slot, the record), which each pop starts
// loading for the next two pops (ArenaTable.Prefetch): a pipeline of pops
// then finds them in cache.
func (b *zbig) pop(count int, rev bool, fn func(m []byte, s float64)) {
	for ; count > 0 && b.dict.Len() > 0; count-- {
		m, s, _, _ := b.tree.first(rev)
		fn(m, s)
		b.dict.Delete(m)
		b.tree.popEdge(rev)
	}
	if b.dict.Len() > 0 {
		next, _, after, ok := b.tree.first(rev)
		b.dict.Prefetch(next, true)
		if ok {
			b.dict.Prefetch(after, false)
		}
	}
}

// Random returns count entries picked at random (copies): distinct ones,
// at most all of them, when count > 0; -count picks with repeats when
// count < 0 (ZRANDMEMBER).
func (z *ZSet) Random(count int64) []Entry {
	n := int64(z.Len())
	if n == 0 || count == 0 {
		return nil
	}
	pick := func(r int) Entry {
		var e Entry
		z.Walk(r, false, func(m []byte, s float64) bool {
			e = Entry{append([]byte(nil), m...), s}
			return false
		})
		return e
	}
	if count < 0 {
		out := make([]Entry, 0, min(-count, 1<<16))
		var all []Entry
		if z.big() == nil || -count > n/4 {
			all = z.Entries(0, false, -1)
		}
		for i := int64(0); i < -count; i++ {
			r := rand.Int64N(n)
			if all != nil {
				out = append(out, all[r])
			} else {
				out = append(out, pick(int(r)))
			}
		}
		return out
	}
	if count >= n {
		return z.Entries(0, false, -1)
	}
	if z.big() != nil && count*3 <= n {
		seen := make(map[int64]bool, count)
		out := make([]Entry, 0, count)
		for int64(len(out)) < count {
			r := rand.Int64N(n)
			if !seen[r] {
				seen[r] = true
				out = append(out, pick(int(r)))
			}
		}
		return out
	}
	all := z.Entries(0, false, -1)
	for i := int64(0); i < count; i++ {
		j := i + rand.Int64N(n-i)
		all[i], all[j] = all[j], all[i]
	}
	return all[:count]
}

// ---- log records ----

// AppendZAdd appends one (score, member) pair to an OpZAdd body.
func AppendZAdd(body, m []byte, s float64) []byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(s))
	body = persistence.AppendItem(body, b[:])
	return persistence.AppendItem(body, m)
}

// Records calls fn with OpZAdd records of up to 1024 members each.
func (z *ZSet) Records(now int64, fn func(op persistence.Op, body []byte, num int64) error) error {
	var body []byte
	n := 0
	var err error
	z.Walk(0, false, func(m []byte, s float64) bool {
		body = AppendZAdd(body, m, s)
		if n++; n == 1024 {
			err = fn(OpZAdd, body, int64(z.Len()))
			body, n = body[:0], 0
		}
		return err == nil
	})
	if err == nil && n > 0 {
		err = fn(OpZAdd, body, int64(z.Len()))
	}
	return err
}

// zaddItems calls fn with each (member, score) pair of an OpZAdd body.
func zaddItems(body []byte, fn func(m []byte, s float64)) {
	var s float64
	i := 0
	persistence.Items(body, func(it []byte) {
		if i%2 == 0 {
			if len(it) == 8 {
				s = math.Float64frombits(binary.LittleEndian.Uint64(it))
			}
		} else {
			fn(it, s)
		}
		i++
	})
}

// applyZAdd replays OpZAdd. A key it creates gets the encoding the live
// command gave it: Arg, when set, is the size of a set built whole
// (snapshots, copies, STORE results), else ZADD's rule applies.
func applyZAdd(d *shard.DB, r *persistence.Record) {
	e, ok := d.Peek(r.Key, 0)
	if ok && e.Kind != shard.KindZSet {
		d.Delete(r.Key, discard{})
		ok = false
	}
	if !ok {
		var z *ZSet
		if r.Arg > 0 {
			maxLen := 0
			zaddItems(r.Value, func(m []byte, s float64) { maxLen = max(maxLen, len(m)) })
			z = NewZSetSized(int(r.Arg), maxLen)
		} else {
			var first []byte
			zaddItems(r.Value, func(m []byte, s float64) {
				if first == nil {
					first = m
				}
			})
			z = NewZSet(first)
		}
		d.PutObj(r.Key, z, r.ExpireAt)
		e, _ = d.Peek(r.Key, 0)
	}
	z := d.Obj(e).(*ZSet)
	zaddItems(r.Value, func(m []byte, s float64) { z.Set(m, s) })
	d.Changed(r.Key, e, nil)
}

func applyZRem(d *shard.DB, r *persistence.Record) {
	e, ok := d.Peek(r.Key, 0)
	if !ok || e.Kind != shard.KindZSet {
		return
	}
	z := d.Obj(e).(*ZSet)
	persistence.Items(r.Value, func(it []byte) { z.Remove(it) })
	d.Changed(r.Key, e, nil)
}

// Scan continues a ZSCAN at cursor: a packed set is returned whole with
// cursor 0, as Redis does for a listpack.
func (z *ZSet) Scan(cursor uint64, count int, fn func(m []byte, s float64)) uint64 {
	if z.big() == nil {
		z.Walk(0, false, func(m []byte, s float64) bool { fn(m, s); return true })
		return 0
	}
	return z.big().dict.Scan(cursor, count, func(k []byte, e shard.Entry) {
		fn(k, math.Float64frombits(binary.LittleEndian.Uint64(e.Value)))
	})
}

// growPacked returns b with room for extra more bytes. Packed encodings
// are small and many: they grow to the exact size while under 512 bytes
// (a copy that small costs less than the unused room would), by an eighth
// beyond.
func growPacked(b []byte, extra int) []byte {
	need := len(b) + extra
	if need <= cap(b) {
		return b
	}
	c := need
	if need >= 512 {
		c = need + need/8
	}
	nb := allocPacked(len(b), c)
	copy(nb, b)
	return nb
}

// allocPacked is a buffer of length n and capacity at least c: all of the
// size class the allocator rounds c up to (make's capacity would hide the
// rest of it), so a later growth within the class needs no copy and Bytes
// counts what is held.
func allocPacked(n, c int) []byte {
	return slices.Grow([]byte(nil), c)[:n]
}
