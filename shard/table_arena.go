package shard

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"unsafe"

	"github.com/cespare/xxhash/v2"

	"fastcache/internal/prefetch"
)

// ArenaTable is a shard's key/value store laid out so that the garbage
// collector has (almost) nothing to look at, following the reasoning of
// VictoriaMetrics/fastcache: a Go map[string][]byte holds three pointers per
// entry (the key string, the value slice, and the map's own storage of both),
// so a heap of 10M entries is 30M pointers that every GC cycle must trace,
// and each entry pays for two allocations rounded up to size classes plus the
// headers (~440 B/key measured for 16 B keys and 32 B values with a redcon
// server). Here an entry is bytes inside big pointer-free blocks and an
// integer in an index; the GC sees one pointer per 64 KiB of data.
//
// Layout:
//
//   - index: an open-addressing table of uint64 slots, linear probing,
//     backward-shift deletion (tombstones only in the old index while it is
//     being moved, see below), load factor < 0.8, power-of-two
//     size. A slot is tag<<36 | offset; 0 means empty. The tag is 28 bits of a
//     seeded mix of xxhash(key), taken from the TOP bits so it is independent
//     of the low bits the cache uses to pick the shard. A key's home bucket is
//     the top k bits of its tag (k = log2 of the index size), so the index is
//     rebuilt on resize from the slots alone, without touching the arena, and
//     the remaining 28-k tag bits filter out almost every non-matching probe
//     before the arena is read.
//
//   - arena: 64 KiB chunks ([]byte, allocated when needed; chunk number 0 is
//     never used so that no slot is 0). The offset is chunk<<16 | position,
//     36 bits: up to 64 GiB of small entries per shard. A record is
//
//     flags u8 | meta u32 | [expireAt i64 | volIdx u32] | uvarint klen | uvarint vlen | key | value
//
//     where the bracketed part is present only when fExp is set. Two bits
//     of flags hold the value's Enc (0 for almost every record). A record
//     larger than 8 KiB keeps only a stub in the arena (the header and a u32
//     index into bigs, a side slice of []byte holding key and value): those
//     are the only per-entry pointers and there are few of them.
//
//   - vols: the arena offsets of the keys with an expiry, a dense slice whose
//     index is stored in the record (volIdx), so Sample(volatileOnly) is O(1)
//     per sample however few keys are volatile, and removal is a swap.
//
// Memory for 16 B keys and 32 B values: record = 1+4+1+1+16+32 = 55 B; the
// index costs 8 B / load, i.e. 10-20 B per key (load 0.4-0.8 between
// doublings); the chunk tail wasted is < 1 record per 64 KiB. Total ~65-75 B
// per key (see BenchmarkArenaMemory), against ~145 B/key for Redis 7. An
// expiry adds 12 B to the record and 8 B in vols.
//
// Writes: an overwrite whose value is no longer than the old one and whose
// header layout is unchanged is done in place (the freed tail becomes a pad
// record); anything else appends a new record and marks the old one dead.
// Dead bytes are reclaimed incrementally: after a mutation, if dead bytes
// exceed 1/4 of the sealed chunks, the sealed chunk with the most dead bytes
// is evacuated (its live records are copied to the head chunk and their slots
// re-pointed; the chunk is freed). Because that chunk is at least 1/4 dead, at
// most 3 bytes are copied per byte freed, and one chunk per mutation is
// enough to keep up with the dead bytes a mutation can create (< 8 KiB). So
// the arena holds at most ~1/3 more than its live data (a collection's
// nested table, NewNestedTable, compacts at 1/3: at most 1.5x), and the pause of any
// one Put or Delete is bounded by evacuating one 64 KiB chunk (~1,000 small
// records, each re-hashed and re-pointed: ~80 us median, ~200 us p99 on these
// machines, see BenchmarkArenaCompactionPause), not by the table size. A chunk
// found entirely dead is freed at once. Doubling the index is incremental:
// the new index is allocated, and the old one's slots move over 64 per
// mutation (lookups meanwhile look in both, new keys go to the new one), as
// Redis rehashes its dict. A stop-the-world copy stalled the writer for
// ~0.7 ms per 32k-slot shard and 23-30 ms at 1M keys (BenchmarkArenaGrowPause;
// now 2-7 ms, the allocation of the new index), and since the shards of a
// cache fill evenly, all of them used to double within milliseconds of each
// other. Shrinking (after mass deletes) still rebuilds the index at once.
//
// Measured (BenchmarkArenaMemory, HeapInuse after GC): 72 B/key for 1M keys
// (68 B/key for 10M) against 150 (132) for a map[string][]byte; a forced GC
// takes 2 ms (7.6 ms) with the table live against 148 ms (3.5 s) for the map.
//
// Entry.Value and the keys passed to callbacks alias the arena: they are
// valid only until the next mutation, and they are capped (len == cap) so
// append on them copies instead of overwriting the next record.
//
// ArenaTable is not safe for concurrent use; the shard's mutex protects it.
type ArenaTable struct {
	slots  []uint64
	mask   uint64
	shift  uint // home(tag) = tag >> shift
	hshift uint // home(slot) = slot >> hshift
	count  int
	growAt int // the index doubles beyond this many keys (setSlots)

	// While the index doubles, old is the previous index: its slots move
	// to the new one a few per mutation (growStep), in index order; moved
	// is how many have been visited. A moved or deleted slot of old holds
	// tomb, so old's probe runs keep their length; new keys go to slots.
	old     []uint64
	oldMask uint64
	moved   uint64

	chunks   [][]byte // chunks[0] is always nil
	info     []chunkInfo
	freeIdx  []uint32 // chunk numbers whose slot in chunks is nil
	spare    []byte   // one freed chunk kept for reuse
	head     uint32   // chunk being appended to; 0 = none yet
	nchunks  int      // chunks holding memory (not counting spare)
	usedSum  int64    // sum of info[].used
	deadSum  int64    // sum of info[].dead
	bigs     [][]byte
	bigFree  []uint32
	bigBytes int64

	vols []uint64 // arena offsets of records with a non-zero expiry

	// objs holds the collections (hashes, sets, ...) whose records carry
	// fObj; their value is kind u8 | u32 index here. These are the table's
	// only per-key pointers besides bigs.
	objs     []objSlot
	objFree  []uint32
	objBytes int64 // sum of objs[].size

	seed uint64 // hash seed

	// pub is where the table publishes its hintView for lock-free
	// prefetching (the owning Shard's; nil for a table of its own).
	pub   *atomic.Pointer[hintView]
	rng   uint64 // Sample's generator state
	loose bool   // compact at 1/3 dead, not 1/4 (NewNestedTable)

	// gen counts the changes that may move a slot or a record (every
	// write, delete, doubling step, shrink and compaction): a Slot is
	// valid while gen is what it was when Find returned it (slot.go).
	gen uint64
}

type chunkInfo struct {
	used uint32 // bytes of records written (the head's fill level)
	dead uint32 // bytes of dead records and pads among them
}

const (
	tomb     = 1 // a slot of the old index that was moved or deleted (chunk 0 is never used, so no record has this offset)
	oldPos   = 1 << 63
	growStep = 64 // old index slots moved per mutation while the index doubles

	chunkShift   = 16
	chunkSize    = 1 << chunkShift
	offBits      = 36
	offMask      = 1<<offBits - 1
	tagBits      = 64 - offBits
	maxSlotBits  = tagBits // home buckets come from the tag
	minSlotBits  = 3
	bigThreshold = 8 << 10 // records larger than this live in bigs

	fExp  = 1 << 0 // expireAt and volIdx present
	fBig  = 1 << 1 // stub: key and value are in bigs[u32]
	fDead = 1 << 2 // deleted or moved
	fPad  = 1 << 3 // dead filler: flags, uvarint total size
	fPad1 = 1 << 4 // dead filler of one byte

	encShift = 5
	fEnc     = 3 << encShift // the value's Enc; kept by SetExpire and moves, cleared by a new value
	fObj     = 1 << 7        // the value is objVal: kind u8 | u32 index into objs (a collection)
	objVal   = 5

	hdrFixed = 5  // flags + meta
	hdrExp   = 17 // flags + meta + expireAt + volIdx
)

var le = binary.LittleEndian

// tagOf mixes xxhash(key) with the table's random seed, so that placement is
// unpredictable from outside and crafted keys cannot pile into one probe run
// (Redis seeds siphash for the same reason); the multiply spreads every bit
// of the hash into the top bits kept.
func (t *ArenaTable) tagOf(key []byte) uint64 {
	return mixTag(xxhash.Sum64(key), t.seed)
}

// mixTag is the tag of a key whose xxhash is h in a table seeded with seed.
func mixTag(h, seed uint64) uint64 { return ((h ^ seed) * 0x9E3779B97F4A7C15) >> offBits }

// NewArenaTable returns an empty table.
func NewArenaTable() *ArenaTable { return newArenaTableSeed(rand.Uint64()) }

// NewNestedTable is a table for the members or fields of one collection: it
// compacts once dead bytes exceed 1/3 of its sealed chunks, not 1/4. Pops
// and removals from a big collection (ZPOPMIN, SPOP, HDEL) kill records
// spread evenly over the arena, so every chunk nears the threshold together
// and, at 1/4, each removal paid for copying about three live records, each
// with a cache-missing index lookup (~26% of a ZPOPMIN on a 1M-member set,
// BenchmarkZSetPopMin: 1.17 us a pop, 0.88 us at 1/3 and 0.87 us at 1/2).
// At 1/3 at most two records are copied per record freed, and the arena
// holds at most 1.5x its live records under churn (1.48x measured by
// TestArenaCompactionBoundsMemory; 1.95x at 1/2).
//
// A nested table publishes its hint view (its own, not a shard's), so that
// a pipeline's look-ahead can prefetch the members its commands name
// (Shard.MemberHint).
func NewNestedTable() *ArenaTable {
	t := NewArenaTable()
	t.loose = true
	t.pub = new(atomic.Pointer[hintView])
	t.publish()
	return t
}

func newArenaTableSeed(seed uint64) *ArenaTable {
	t := &ArenaTable{seed: seed, rng: seed ^ 0x5851F42D4C957F2D}
	t.reset()
	return t
}

func (t *ArenaTable) reset() {
	seed, rng, pub, loose, gen := t.seed, t.rng, t.pub, t.loose, t.gen
	*t = ArenaTable{seed: seed, rng: rng, pub: pub, loose: loose, gen: gen + 1} // a Slot from before a Clear stays invalid
	t.chunks = [][]byte{nil}
	t.info = []chunkInfo{{}}
	t.setSlots(make([]uint64, 1<<minSlotBits))
}

func (t *ArenaTable) setSlots(s []uint64) {
	t.gen++
	t.slots = s
	t.mask = uint64(len(s) - 1)
	t.shift = uint(tagBits - bits.TrailingZeros(uint(len(s))))
	t.hshift = t.shift + offBits
	// The index doubles when it passes a load drawn at random in
	// [0.7, 0.8): the shards of a cache fill at the same pace (keys are
	// spread evenly), so with one fixed threshold all of them would double
	// within a few milliseconds of each other, and the event loop running
	// those writes would stall for the sum of the copies (measured: 16
	// shards of 32k keys, a 4-6 ms stall and INCR -P16's p99 at 1.7x
	// Redis's). Drawn apart, they double one at a time.
	t.growAt = len(s) * (7168 + int(t.rand()%1024)) / 10240
	t.publish()
}

// Len is the number of keys.
func (t *ArenaTable) Len() int { return t.count }

// Volatile is the number of keys with an expiry.
func (t *ArenaTable) Volatile() int { return len(t.vols) }

// ---- records ----

// arec is a parsed record header.
type arec struct {
	c          []byte // its chunk
	p          int    // record start in c
	f          byte
	klen, vlen int
	kv         int // start of key (or of the bigs index for a stub) in c
}

func uvarintLen(v int) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func getUvarint(b []byte) (int, int) {
	if b[0] < 0x80 {
		return int(b[0]), 1
	}
	v, n := binary.Uvarint(b)
	return int(v), n
}

func hdrSize(hasExp bool, klen, vlen int) int {
	n := hdrFixed
	if hasExp {
		n = hdrExp
	}
	return n + uvarintLen(klen) + uvarintLen(vlen)
}

func parse(c []byte, p int) arec {
	f := c[p]
	q := p + hdrFixed
	if f&fExp != 0 {
		q = p + hdrExp
	}
	klen, n := getUvarint(c[q:])
	q += n
	vlen, n := getUvarint(c[q:])
	q += n
	return arec{c: c, p: p, f: f, klen: klen, vlen: vlen, kv: q}
}

// padSize is the size of the filler at c[p] (flags has fPad or fPad1).
func padSize(c []byte, p int) int {
	if c[p]&fPad1 != 0 {
		return 1
	}
	n, _ := getUvarint(c[p+1:])
	return n
}

func putPad(b []byte) {
	if len(b) == 1 {
		b[0] = fPad1 | fDead
		return
	}
	b[0] = fPad | fDead
	binary.PutUvarint(b[1:], uint64(len(b)))
}

func (r *arec) size() int {
	if r.f&fBig != 0 {
		return r.kv + 4 - r.p
	}
	return r.kv + r.klen + r.vlen - r.p
}

func (r *arec) meta() uint32 { return le.Uint32(r.c[r.p+1:]) }

func (r *arec) expire() int64 {
	if r.f&fExp == 0 {
		return 0
	}
	return int64(le.Uint64(r.c[r.p+5:]))
}

func (r *arec) volIdx() uint32 { return le.Uint32(r.c[r.p+13:]) }

func (r *arec) volatile() bool { return r.f&fExp != 0 && le.Uint64(r.c[r.p+5:]) != 0 }

func (t *ArenaTable) rec(off uint64) arec {
	return parse(t.chunks[off>>chunkShift], int(off&(chunkSize-1)))
}

func (t *ArenaTable) keyOf(r *arec) []byte {
	if r.f&fBig != 0 {
		return t.bigs[le.Uint32(r.c[r.kv:])][:r.klen:r.klen]
	}
	return r.c[r.kv : r.kv+r.klen : r.kv+r.klen]
}

func (t *ArenaTable) kvOf(r *arec) (k, v []byte) {
	b, s := r.c, r.kv
	if r.f&fBig != 0 {
		b, s = t.bigs[le.Uint32(r.c[r.kv:])], 0
	}
	e := s + r.klen
	return b[s:e:e], b[e : e+r.vlen : e+r.vlen]
}

func (t *ArenaTable) entry(r *arec) (k []byte, e Entry) {
	k, v := t.kvOf(r)
	e = Entry{Value: v, ExpireAt: r.expire(), Meta: r.meta()}
	if r.f&fObj != 0 {
		e.Kind = Kind(v[0])
	}
	return k, e
}

// objOf is the collection a record with fObj refers to.
func (t *ArenaTable) objOf(v []byte) Object { return t.objs[le.Uint32(v[1:])].o }

// objSlot is one collection of a table and its memory as last accounted
// (o.Bytes()); together, so that a change's re-accounting (ObjResized)
// finds the size in the cache line the lookup brought in.
type objSlot struct {
	o    Object
	size int64
}

// newObj stores o and returns the record value that refers to it.
func (t *ArenaTable) newObj(o Object, dst *[objVal]byte) []byte {
	var i uint32
	if k := len(t.objFree); k > 0 {
		i = t.objFree[k-1]
		t.objFree = t.objFree[:k-1]
	} else {
		i = uint32(len(t.objs))
		grown := len(t.objs) == cap(t.objs)
		t.objs = append(t.objs, objSlot{})
		if grown {
			t.publish() // prefetchers find collections in the new array
		}
	}
	t.objs[i] = objSlot{o: o, size: o.Bytes()}
	t.objBytes += t.objs[i].size
	dst[0] = byte(o.Kind())
	le.PutUint32(dst[1:], i)
	return dst[:]
}

func (t *ArenaTable) freeObj(v []byte) {
	i := le.Uint32(v[1:])
	t.objBytes -= t.objs[i].size
	t.objs[i] = objSlot{}
	t.objFree = append(t.objFree, i)
}

// ---- arena ----

// alloc reserves n bytes at the head and returns their offset and memory.
func (t *ArenaTable) alloc(n int) (uint64, []byte) {
	if t.head == 0 || int(t.info[t.head].used)+n > chunkSize {
		t.newHead()
	}
	ci := &t.info[t.head]
	p := int(ci.used)
	ci.used += uint32(n)
	t.usedSum += int64(n)
	return uint64(t.head)<<chunkShift | uint64(p), t.chunks[t.head][p : p+n]
}

func (t *ArenaTable) newHead() {
	old := t.head
	var c uint32
	if n := len(t.freeIdx); n > 0 {
		c = t.freeIdx[n-1]
		t.freeIdx = t.freeIdx[:n-1]
	} else {
		c = uint32(len(t.chunks))
		if uint64(c) >= 1<<(offBits-chunkShift) {
			panic("shard: arena table exceeds 64 GiB")
		}
		t.chunks = append(t.chunks, nil)
		t.info = append(t.info, chunkInfo{})
		t.publish() // the view's chunks must reach the new one
	}
	mem := t.spare
	t.spare = nil
	if mem == nil {
		mem = make([]byte, chunkSize)
	}
	t.chunks[c] = mem
	t.nchunks++
	t.head = c
	if old != 0 && t.info[old].dead == t.info[old].used {
		t.freeChunk(old)
	}
}

func (t *ArenaTable) freeChunk(c uint32) {
	ci := &t.info[c]
	t.usedSum -= int64(ci.used)
	t.deadSum -= int64(ci.dead)
	*ci = chunkInfo{}
	if t.spare == nil {
		t.spare = t.chunks[c]
	}
	t.chunks[c] = nil
	t.nchunks--
	t.freeIdx = append(t.freeIdx, c)
}

func (t *ArenaTable) addDead(off uint64, n int) {
	c := uint32(off >> chunkShift)
	ci := &t.info[c]
	ci.dead += uint32(n)
	t.deadSum += int64(n)
	if c != t.head && ci.dead == ci.used {
		t.freeChunk(c)
	}
}

// kill marks the record at off dead; with freeBig its big buffer is released.
func (t *ArenaTable) kill(off uint64, r *arec, freeBig bool) {
	r.c[r.p] |= fDead
	if freeBig && r.f&fObj != 0 {
		_, v := t.kvOf(r)
		t.freeObj(v)
	}
	if freeBig && r.f&fBig != 0 {
		t.freeBig(le.Uint32(r.c[r.kv:]))
	}
	t.addDead(off, r.size())
}

func (t *ArenaTable) newBig(n int) (uint32, []byte) {
	buf := make([]byte, n)
	var i uint32
	if k := len(t.bigFree); k > 0 {
		i = t.bigFree[k-1]
		t.bigFree = t.bigFree[:k-1]
		t.bigs[i] = buf
	} else {
		i = uint32(len(t.bigs))
		t.bigs = append(t.bigs, buf)
	}
	t.bigBytes += int64(cap(buf))
	return i, buf
}

func (t *ArenaTable) freeBig(i uint32) {
	t.bigBytes -= int64(cap(t.bigs[i])) // WriteAt may leave spare capacity
	t.bigs[i] = nil
	t.bigFree = append(t.bigFree, i)
}

func putHeader(b []byte, f byte, meta uint32, exp int64, vi uint32, klen, vlen int) int {
	b[0] = f
	le.PutUint32(b[1:], meta)
	q := hdrFixed
	if f&fExp != 0 {
		le.PutUint64(b[5:], uint64(exp))
		le.PutUint32(b[13:], vi)
		q = hdrExp
	}
	q += binary.PutUvarint(b[q:], uint64(klen))
	q += binary.PutUvarint(b[q:], uint64(vlen))
	return q
}

// writeRecord appends a record and returns its offset. With big >= 0 the
// record is a stub for the existing bigs[big] (whose value is vlen bytes) and
// value is ignored.
func (t *ArenaTable) writeRecord(key, value []byte, vlen int, hasExp bool, exp int64, vi, meta uint32, big int64, f byte) uint64 {
	klen := len(key)
	h := hdrSize(hasExp, klen, vlen)
	if hasExp {
		f |= fExp
	}
	if big < 0 && h+klen+vlen > bigThreshold {
		i, buf := t.newBig(klen + vlen)
		copy(buf, key)
		copy(buf[klen:], value)
		big = int64(i)
	}
	if big >= 0 {
		off, dst := t.alloc(h + 4)
		q := putHeader(dst, f|fBig, meta, exp, vi, klen, vlen)
		le.PutUint32(dst[q:], uint32(big))
		return off
	}
	off, dst := t.alloc(h + klen + vlen)
	q := putHeader(dst, f, meta, exp, vi, klen, vlen)
	copy(dst[q:], key)
	copy(dst[q+klen:], value)
	return off
}

// ---- volatile keys ----

func (t *ArenaTable) volAdd(off uint64) {
	c := t.chunks[off>>chunkShift]
	le.PutUint32(c[int(off&(chunkSize-1))+13:], uint32(len(t.vols)))
	t.vols = append(t.vols, off)
}

func (t *ArenaTable) volDel(i uint32) {
	last := len(t.vols) - 1
	if int(i) != last {
		mv := t.vols[last]
		t.vols[i] = mv
		c := t.chunks[mv>>chunkShift]
		le.PutUint32(c[int(mv&(chunkSize-1))+13:], i)
	}
	t.vols = t.vols[:last]
	if cap(t.vols) > 256 && len(t.vols) < cap(t.vols)/4 {
		t.vols = slices.Clip(slices.Clone(t.vols))
	}
}

// ---- index ----

// lookup returns the slot position of key (or of the empty slot ending its
// probe run in the current index, where it would be inserted) and, when
// found, its record. While the index doubles, a key not yet moved is found
// in the old index: its position then carries oldPos (see slotAt).
func (t *ArenaTable) lookup(key []byte, tag uint64) (uint64, arec, bool) {
	i := tag >> t.shift
	for {
		s := t.slots[i]
		if s == 0 {
			break
		}
		if s>>offBits == tag {
			r := t.rec(s & offMask)
			if r.klen == len(key) && bytes.Equal(t.keyOf(&r), key) {
				return i, r, true
			}
		}
		i = (i + 1) & t.mask
	}
	if t.old == nil {
		return i, arec{}, false
	}
	j := tag >> (t.shift + 1)
	for {
		s := t.old[j]
		if s == 0 {
			return i, arec{}, false
		}
		if s != tomb && s>>offBits == tag {
			r := t.rec(s & offMask)
			if r.klen == len(key) && bytes.Equal(t.keyOf(&r), key) {
				return j | oldPos, r, true
			}
		}
		j = (j + 1) & t.oldMask
	}
}

// slotAt is the slot at a position lookup returned.
func (t *ArenaTable) slotAt(pos uint64) *uint64 {
	if pos&oldPos != 0 {
		return &t.old[pos&^oldPos]
	}
	return &t.slots[pos]
}

// slotOf is the slot holding exactly want (a record's tag and offset).
func (t *ArenaTable) slotOf(tag, want uint64) *uint64 {
	for i := tag >> t.shift; t.slots[i] != 0; i = (i + 1) & t.mask {
		if t.slots[i] == want {
			return &t.slots[i]
		}
	}
	if t.old != nil {
		for j := tag >> (t.shift + 1); t.old[j] != 0; j = (j + 1) & t.oldMask {
			if t.old[j] == want {
				return &t.old[j]
			}
		}
	}
	panic("shard: arena record without a slot")
}

// grow starts doubling the index: the new one is allocated now, and the
// old one's slots move over a few per mutation (migrate), so no single
// write pays for copying the whole index (that copy took ~0.7 ms for a
// 32k-slot shard and ~10 ms for 1M slots, stalling every client of the
// event loop). Lookups meanwhile look in both.
func (t *ArenaTable) grow() {
	t.finishGrow()
	slotBits := bits.TrailingZeros(uint(len(t.slots))) + 1
	if slotBits > maxSlotBits {
		panic("shard: arena table index full")
	}
	t.old, t.oldMask, t.moved = t.slots, t.mask, 0
	t.setSlots(make([]uint64, 1<<slotBits))
}

// migrate moves up to n slots of the old index into the current one.
func (t *ArenaTable) migrate(n int) {
	t.gen++
	for ; n > 0 && t.moved < uint64(len(t.old)); n-- {
		if s := t.old[t.moved]; s != 0 && s != tomb {
			i := s >> t.hshift
			for t.slots[i] != 0 {
				i = (i + 1) & t.mask
			}
			t.slots[i] = s
			t.old[t.moved] = tomb
		}
		t.moved++
	}
	if t.old != nil && t.moved == uint64(len(t.old)) {
		t.old, t.oldMask, t.moved = nil, 0, 0
		t.publish() // and the old index can be freed
	}
}

// finishGrow completes a doubling in progress (before operations that walk
// the index: Scan, Sample, a shrink, the next doubling).
func (t *ArenaTable) finishGrow() {
	if t.old != nil {
		t.migrate(len(t.old))
	}
}

// resize rebuilds the index at 1<<slotBits slots at once (a shrink).
func (t *ArenaTable) resize(slotBits int) {
	t.finishGrow()
	old := t.slots
	t.setSlots(make([]uint64, 1<<slotBits))
	for _, s := range old {
		if s != 0 {
			i := s >> t.hshift
			for t.slots[i] != 0 {
				i = (i + 1) & t.mask
			}
			t.slots[i] = s
		}
	}
}

// slotBitsFor is the index size for n keys at load <= 0.4.
func slotBitsFor(n int) int {
	b := minSlotBits
	for n*5 > (1<<b)*2 {
		b++
	}
	return b
}

// deleteSlot empties slot i by shifting back the following entries of its
// probe run that may move closer to their home.
func (t *ArenaTable) deleteSlot(i uint64) {
	j := i
	for {
		j = (j + 1) & t.mask
		s := t.slots[j]
		if s == 0 {
			break
		}
		h := s >> t.hshift
		// The entry at j can fill the hole at i unless its home lies
		// cyclically in (i, j].
		if i <= j {
			if i < h && h <= j {
				continue
			}
		} else if i < h || h <= j {
			continue
		}
		t.slots[i] = s
		i = j
	}
	t.slots[i] = 0
}

// ---- API ----

// Get returns the entry of key.
func (t *ArenaTable) Get(key []byte) (Entry, bool) {
	_, r, ok := t.lookup(key, t.tagOf(key))
	if !ok {
		return Entry{}, false
	}
	_, e := t.entry(&r)
	return e, true
}

// Put inserts or overwrites key; key and value are copied (they may alias
// the table's own memory, e.g. an Entry.Value just read).
func (t *ArenaTable) Put(key, value []byte, expireAt int64, meta uint32) {
	t.put(key, value, expireAt, meta, false, 0, 0)
}

// PutIsNew is Put(key, value, 0, 0) that reports whether key was new: one
// lookup where Get then Put take two (a big hash's HSET, a big set's SADD).
func (t *ArenaTable) PutIsNew(key, value []byte) bool {
	n := t.count
	t.put(key, value, 0, 0, false, 0, 0)
	return t.count > n
}

// PutObj inserts or overwrites key with the collection o (see objs).
func (t *ArenaTable) PutObj(key []byte, o Object, expireAt int64, meta uint32) {
	var b [objVal]byte
	t.put(key, t.newObj(o, &b), expireAt, meta, false, 0, fObj)
}

// Obj is the collection an Entry of a non-string Kind refers to.
func (t *ArenaTable) Obj(e Entry) Object { return t.objOf(e.Value) }

// SetObj replaces the collection an Entry refers to (copy-on-write after
// a Clone) without touching its record.
func (t *ArenaTable) SetObj(e Entry, o Object) { t.objs[le.Uint32(e.Value[1:])].o = o }

// ObjResized re-accounts the memory of the collection e refers to, after a
// change to it.
func (t *ArenaTable) ObjResized(e Entry) {
	i := le.Uint32(e.Value[1:])
	n := t.objs[i].o.Bytes()
	t.objBytes += n - t.objs[i].size
	t.objs[i].size = n
}

// Upsert is Put that keeps an existing key's access metadata (meta is the
// metadata of a new key): one lookup where Get then Put takes two. An
// existing entry that had expired by now is replaced like a missing one;
// expired reports it.
func (t *ArenaTable) Upsert(key, value []byte, expireAt int64, meta uint32, now int64) (expired bool) {
	return t.put(key, value, expireAt, meta, true, now, 0)
}

func (t *ArenaTable) put(key, value []byte, expireAt int64, meta uint32, keepMeta bool, now int64, obj byte) (expired bool) {
	tag := t.tagOf(key)
	pos, r, ok := t.lookup(key, tag)
	if ok {
		return t.putFound(pos, tag, &r, key, value, expireAt, meta, keepMeta, now, obj)
	}
	t.putNew(pos, tag, key, value, expireAt, meta, obj)
	return false
}

// putFound is put for a key found at pos (its record r); see put.
func (t *ArenaTable) putFound(pos, tag uint64, r *arec, key, value []byte, expireAt int64, meta uint32, keepMeta bool, now int64, obj byte) (expired bool) {
	t.gen++
	if exp := r.expire(); exp != 0 && exp <= now {
		expired = true
	} else if keepMeta {
		meta = r.meta()
	}
	t.overwrite(pos, tag, r, key, value, expireAt, meta, obj)
	t.maybeCompact()
	if t.old != nil {
		t.migrate(growStep)
	}
	return expired
}

// putNew is put for a missing key, pos being the empty slot lookup
// returned for it. It returns the position of the key's slot (in the
// current index: it stays there until the table next changes).
func (t *ArenaTable) putNew(pos, tag uint64, key, value []byte, expireAt int64, meta uint32, obj byte) uint64 {
	t.gen++
	if t.count+1 > t.growAt {
		t.grow()
		pos, _, _ = t.lookup(key, tag)
	}
	var vi uint32
	if expireAt != 0 {
		vi = uint32(len(t.vols))
	}
	off := t.writeRecord(key, value, len(value), expireAt != 0, expireAt, vi, meta, -1, obj)
	if expireAt != 0 {
		t.vols = append(t.vols, off)
	}
	t.slots[pos] = tag<<offBits | off
	t.count++
	if t.old != nil {
		t.migrate(growStep)
	}
	return pos
}

func (t *ArenaTable) overwrite(pos, tag uint64, r *arec, key, value []byte, exp int64, meta uint32, obj byte) {
	oldOff := *t.slotAt(pos) & offMask
	if r.f&fObj != 0 { // the old collection goes; its record is rewritten below
		_, v := t.kvOf(r)
		t.freeObj(v)
		r.c[r.p] &^= fObj
		r.f &^= fObj
	}
	oldVol, newVol := r.volatile(), exp != 0
	hasExp := r.f&fExp != 0
	klen, vlen := len(key), len(value)
	if (hasExp || !newVol) && uvarintLen(vlen) == uvarintLen(r.vlen) {
		// Same header layout: the record can stay where it is.
		hdr := r.kv - r.p
		small := hdr+klen+vlen <= bigThreshold
		inPlace := false
		switch {
		case r.f&fBig == 0 && small && vlen <= r.vlen:
			copy(r.c[r.kv+klen:], value)
			if rem := r.vlen - vlen; rem > 0 {
				putPad(r.c[r.kv+klen+vlen : r.kv+klen+r.vlen])
				t.addDead(oldOff, rem)
			}
			inPlace = true
		case r.f&fBig != 0 && !small:
			bi := le.Uint32(r.c[r.kv:])
			buf := t.bigs[bi]
			if len(buf) == klen+vlen {
				copy(buf[klen:], value)
			} else {
				nb := make([]byte, klen+vlen)
				copy(nb, buf[:klen])
				copy(nb[klen:], value)
				t.bigBytes += int64(cap(nb) - cap(buf))
				t.bigs[bi] = nb
			}
			inPlace = true
		}
		if inPlace {
			if r.f&(fEnc|fObj) != obj { // a new value: its encoding is its own again
				r.c[r.p] = r.f&^(fEnc|fObj) | obj
			}
			binary.PutUvarint(r.c[r.kv-uvarintLen(vlen):], uint64(vlen))
			le.PutUint32(r.c[r.p+1:], meta)
			if hasExp {
				le.PutUint64(r.c[r.p+5:], uint64(exp))
			}
			switch {
			case oldVol && !newVol:
				t.volDel(r.volIdx())
			case !oldVol && newVol:
				t.volAdd(oldOff)
			}
			return
		}
	}
	var vi uint32
	if oldVol {
		vi = r.volIdx()
	}
	off := t.writeRecord(key, value, vlen, newVol, exp, vi, meta, -1, obj)
	switch {
	case oldVol && newVol:
		t.vols[vi] = off
	case oldVol:
		t.volDel(vi)
	case newVol:
		t.volAdd(off)
	}
	*t.slotAt(pos) = tag<<offBits | off
	t.kill(oldOff, r, true)
}

// SetExpire sets key's expiry (0 removes it); false if key is missing.
func (t *ArenaTable) SetExpire(key []byte, expireAt int64) bool {
	t.gen++
	tag := t.tagOf(key)
	pos, r, ok := t.lookup(key, tag)
	if !ok {
		return false
	}
	off := *t.slotAt(pos) & offMask
	if r.f&fExp != 0 {
		oldVol := r.volatile()
		le.PutUint64(r.c[r.p+5:], uint64(expireAt))
		switch {
		case oldVol && expireAt == 0:
			t.volDel(r.volIdx())
		case !oldVol && expireAt != 0:
			t.volAdd(off)
		}
		return true
	}
	if expireAt == 0 {
		return true
	}
	// The record has no room for an expiry: rewrite it with one.
	big := int64(-1)
	if r.f&fBig != 0 {
		big = int64(le.Uint32(r.c[r.kv:]))
	}
	k, v := t.kvOf(&r)
	noff := t.writeRecord(k, v, r.vlen, true, expireAt, uint32(len(t.vols)), r.meta(), big, r.f&(fEnc|fObj))
	t.vols = append(t.vols, noff)
	*t.slotAt(pos) = tag<<offBits | noff
	t.kill(off, &r, false)
	t.maybeCompact()
	return true
}

// MetaRef is where a found entry's access metadata lives, valid until the
// table next changes: reads update it in place without a second lookup.
type MetaRef []byte

// Set stores meta.
func (m MetaRef) Set(meta uint32) { le.PutUint32(m, meta) }

// Lookup is Get that also returns where the entry's metadata lives.
func (t *ArenaTable) Lookup(key []byte) (Entry, MetaRef, bool) {
	_, r, ok := t.lookup(key, t.tagOf(key))
	if !ok {
		return Entry{}, nil, false
	}
	_, e := t.entry(&r)
	return e, MetaRef(r.c[r.p+1 : r.p+5]), true
}

// SetEnc records how Redis would hold key's current value (until the next
// Put of the key); false if key is missing.
func (t *ArenaTable) SetEnc(key []byte, enc Enc) bool {
	_, r, ok := t.lookup(key, t.tagOf(key))
	if ok {
		r.c[r.p] = r.f&^fEnc | byte(enc&3)<<encShift
	}
	return ok
}

// Enc is key's encoding as recorded by SetEnc (EncAuto if none, or if key
// is missing). It is not part of Entry: one more result would push
// Lookup's results, on GET's path, out of registers.
func (t *ArenaTable) Enc(key []byte) Enc {
	_, r, ok := t.lookup(key, t.tagOf(key))
	if !ok {
		return EncAuto
	}
	return Enc(r.f >> encShift & 3)
}

// SetMeta replaces key's access metadata; false if key is missing.
func (t *ArenaTable) SetMeta(key []byte, meta uint32) bool {
	_, r, ok := t.lookup(key, t.tagOf(key))
	if ok {
		le.PutUint32(r.c[r.p+1:], meta)
	}
	return ok
}

// Delete removes key; false if it was missing.
func (t *ArenaTable) Delete(key []byte) bool {
	pos, r, ok := t.lookup(key, t.tagOf(key))
	if !ok {
		return false
	}
	t.deleteAt(pos, &r)
	return true
}

// Clear removes every key and releases the memory.
func (t *ArenaTable) Clear() { t.reset() }

// Range calls fn for every key, in arena order, until fn returns false. fn
// must not mutate the table.
func (t *ArenaTable) Range(fn func(key []byte, e Entry) bool) {
	for c := 1; c < len(t.chunks); c++ {
		mem := t.chunks[c]
		if mem == nil {
			continue
		}
		used := int(t.info[c].used)
		for p := 0; p < used; {
			if mem[p]&(fPad|fPad1) != 0 {
				p += padSize(mem, p)
				continue
			}
			r := parse(mem, p)
			p += r.size()
			if r.f&fDead == 0 {
				if !fn(t.entry(&r)) {
					return
				}
			}
		}
	}
}

// Scan visits the keys of one or more home buckets starting at cursor and
// returns the next cursor (0 = finished). It visits whole buckets until at
// least count keys were visited or the table is exhausted. Every key present
// for the whole scan is visited at least once, even if the table grows or
// shrinks between calls: the cursor is a position in the 28-bit tag space
// (keys are visited in increasing tag order, a key's home bucket being a
// prefix of its tag), so it stays meaningful at any index size; after a
// shrink the bucket containing the cursor is revisited, which may repeat some
// keys, as Redis's SCAN may. This is what Redis's reverse-binary cursor
// achieves for buckets chosen by the low bits of the hash; taking the high
// bits makes the plain increasing cursor work. Cursors are < 1<<28. fn must
// not mutate the table.
func (t *ArenaTable) Scan(cursor uint64, count int, fn func(key []byte, e Entry)) uint64 {
	if cursor >= 1<<tagBits || t.count == 0 {
		return 0
	}
	t.finishGrow()
	count = min(max(count, 1), t.count)
	size := uint64(len(t.slots))
	b := cursor >> t.shift
	visited := 0
	for visited < count && b < size {
		span := uint64(count-visited) * size / uint64(t.count)
		span = min(max(span, 1), size-b)
		visited += t.scanBuckets(b, b+span, fn)
		b += span
	}
	if b >= size {
		return 0
	}
	return b << t.shift
}

// scanBuckets visits the keys whose home bucket is in [b, e). Such a key sits
// between its home and the first empty slot after it, so the walk covers
// [b, e) and then the rest of the probe run that crosses e-1 (wrapping).
func (t *ArenaTable) scanBuckets(b, e uint64, fn func(key []byte, e Entry)) int {
	n := 0
	for i := b; ; i++ {
		pos := i & t.mask
		s := t.slots[pos]
		if s == 0 {
			if i >= e {
				return n
			}
			continue
		}
		// Visit an entry only at its unwrapped position h + distance from
		// home, so one that wrapped around the end is seen once, past size.
		if h := s >> t.hshift; h >= b && h < e && h+((pos-h)&t.mask) == i {
			r := t.rec(s & offMask)
			fn(t.entry(&r))
			n++
		}
	}
}

func (t *ArenaTable) rand() uint64 {
	t.rng += 0x9E3779B97F4A7C15
	z := t.rng
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// Sample calls fn for up to n distinct pseudo-random entries (all of them
// when n >= the number of candidates). All keys: index slots are probed along
// an arithmetic progression with a random start and a random odd step (which
// visits every slot once), so each key is about equally likely, at ~1/load
// probes per sample. A run of consecutive slots, as Redis's dictGetSomeKeys
// takes, would be cheaper but favours keys that follow empty slots ~3x.
// volatileOnly: random picks from the dense list of keys with an expiry, O(n)
// however few they are. fn must not mutate the table.
func (t *ArenaTable) Sample(n int, volatileOnly bool, fn func(key []byte, e Entry)) {
	if n <= 0 {
		return
	}
	if volatileOnly {
		t.sampleVolatile(n, fn)
		return
	}
	if t.count == 0 {
		return
	}
	t.finishGrow()
	i := t.rand() & t.mask
	step := (t.rand() | 1) & t.mask
	for seen := 0; seen < len(t.slots) && n > 0; seen++ {
		if s := t.slots[i]; s != 0 {
			r := t.rec(s & offMask)
			fn(t.entry(&r))
			n--
		}
		i = (i + step) & t.mask
	}
}

// PopRandom removes an entry picked as Sample(1, false) picks one, after
// calling fn with its key (valid only during the call, which must not
// change the table); false if the table is empty. The pick's own probe
// finds the slot: the delete needs no second lookup (SPOP).
func (t *ArenaTable) PopRandom(fn func(key []byte)) bool {
	if t.count == 0 {
		return false
	}
	t.finishGrow()
	i := t.rand() & t.mask
	step := (t.rand() | 1) & t.mask
	for seen := 0; seen < len(t.slots); seen++ {
		if s := t.slots[i]; s != 0 {
			r := t.rec(s & offMask)
			fn(t.keyOf(&r))
			t.deleteAt(i, &r)
			return true
		}
		i = (i + step) & t.mask
	}
	return false
}

func (t *ArenaTable) sampleVolatile(n int, fn func(key []byte, e Entry)) {
	nv := uint64(len(t.vols))
	if uint64(n) >= nv {
		for _, off := range t.vols {
			r := t.rec(off)
			fn(t.entry(&r))
		}
		return
	}
	if n <= 64 {
		// Independent picks, skipping repeats (at most 2n tries).
		var picked [64]uint64
		k := 0
	try:
		for tries := 0; tries < 2*n && k < n; tries++ {
			j, _ := bits.Mul64(t.rand(), nv)
			for _, p := range picked[:k] {
				if p == j {
					continue try
				}
			}
			picked[k] = j
			k++
			r := t.rec(t.vols[j])
			fn(t.entry(&r))
		}
		return
	}
	// Large samples: a progression with a step coprime to nv.
	j, _ := bits.Mul64(t.rand(), nv)
	var step uint64
	for {
		step, _ = bits.Mul64(t.rand(), nv)
		if step != 0 && gcd(step, nv) == 1 {
			break
		}
	}
	for ; n > 0; n-- {
		r := t.rec(t.vols[j])
		fn(t.entry(&r))
		j = (j + step) % nv
	}
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Bytes is the memory held by the table: index, chunks (including the spare
// one and unused tails), big values, the volatile list and bookkeeping.
func (t *ArenaTable) Bytes() int64 {
	chunks := int64(t.nchunks)
	if t.spare != nil {
		chunks++
	}
	return t.otherBytes() + chunks*chunkSize
}

// LiveBytes is what used_memory and maxmemory count: Bytes, but of the
// head chunk (the one being appended to) only its live records, not its
// unwritten tail or its dead records. A small table lives in its head
// chunk, so a key deleted or evicted there stops counting at once, as
// Redis's allocations (its allocator's free space is not in used_memory);
// counting the whole chunk, which is freed only when all of it is dead, a
// CONFIG SET maxmemory 40 KB under the memory in use evicted every key of a
// small dataset, and its first key counted 64 KiB. The sealed chunks count
// whole: their dead bytes are freed by compaction (at 1/4 dead), and the
// Go heap's soft limit is set from maxmemory on that assumption (tuneGC).
func (t *ArenaTable) LiveBytes() int64 {
	n := t.Bytes()
	if t.head != 0 {
		h := t.info[t.head]
		n -= chunkSize - int64(h.used-h.dead)
	}
	return n
}

// otherBytes is Bytes but the chunks.
func (t *ArenaTable) otherBytes() int64 {
	n := int64(unsafe.Sizeof(*t))
	n += int64(len(t.slots)+len(t.old)) * 8
	n += t.bigBytes + int64(cap(t.bigs))*24 + int64(cap(t.bigFree))*4
	n += int64(cap(t.vols)) * 8
	n += t.objBytes + int64(cap(t.objs))*24 + int64(cap(t.objFree))*4
	n += int64(cap(t.chunks))*24 + int64(cap(t.info))*8 + int64(cap(t.freeIdx))*4
	return n
}

// EntryBytes estimates the memory key uses: its record, its big buffer, its
// share of the index and its place in the volatile list (0 if missing).
func (t *ArenaTable) EntryBytes(key []byte) int64 {
	_, r, ok := t.lookup(key, t.tagOf(key))
	if !ok {
		return 0
	}
	n := int64(r.size()) + int64(len(t.slots))*8/int64(t.count)
	if r.f&fBig != 0 {
		n += int64(cap(t.bigs[le.Uint32(r.c[r.kv:])])) + 24
	}
	if r.f&fObj != 0 {
		_, v := t.kvOf(&r)
		n += t.objOf(v).Bytes() + 32
	}
	if r.volatile() {
		n += 8
	}
	return n
}

// Clone returns a deep, independent copy: one copy of the index, one per
// 64 KiB chunk, one per big value; no per-entry work.
func (t *ArenaTable) Clone() *ArenaTable {
	c := *t
	c.slots = slices.Clone(t.slots)
	c.old = slices.Clone(t.old)
	c.chunks = make([][]byte, len(t.chunks))
	for i, mem := range t.chunks {
		if mem != nil {
			c.chunks[i] = slices.Clone(mem)
		}
	}
	c.spare = nil
	c.info = slices.Clone(t.info)
	c.freeIdx = slices.Clone(t.freeIdx)
	c.bigs = make([][]byte, len(t.bigs))
	c.bigBytes = 0
	for i, b := range t.bigs {
		if b != nil {
			c.bigs[i] = append(make([]byte, 0, len(b)), b...) // without WriteAt's spare capacity
			c.bigBytes += int64(len(b))
		}
	}
	c.bigFree = slices.Clone(t.bigFree)
	c.objs = make([]objSlot, len(t.objs))
	for i, os := range t.objs {
		if os.o != nil {
			c.objs[i] = objSlot{o: os.o.Clone(), size: os.size}
		}
	}
	c.objFree = slices.Clone(t.objFree)
	c.vols = slices.Clone(t.vols)
	c.rng = t.rng*0x9E3779B97F4A7C15 + 1 // Clone must not mutate t
	c.pub = nil                          // a clone is nobody's live table
	if t.loose {                         // but a nested table publishes its own view
		c.pub = new(atomic.Pointer[hintView])
		c.publish()
	}
	return &c
}

// ReleaseObjects releases the collections of a Clone that is no longer
// read (a snapshot's copy, written out): those sharing memory with the
// live ones since the Clone (a big hash's table) give up their share, so
// the live one's next write need not copy it. The clone must not be used
// afterwards.
func (t *ArenaTable) ReleaseObjects() {
	for _, os := range t.objs {
		if r, ok := os.o.(interface{ Release() }); ok {
			r.Release()
		}
	}
}

// ---- compaction ----

// maybeCompact evacuates one sealed chunk when dead bytes exceed 1/4 of the
// sealed chunks' contents (1/3 for a loose table).
func (t *ArenaTable) maybeCompact() {
	hi := t.info[t.head]
	dead := t.deadSum - int64(hi.dead)
	div := int64(4)
	if t.loose {
		div = 3
	}
	if dead == 0 || dead*div <= t.usedSum-int64(hi.used) {
		return
	}
	best, bestDead := uint32(0), uint32(0)
	for c := 1; c < len(t.info); c++ {
		if d := t.info[c].dead; d > bestDead && uint32(c) != t.head {
			best, bestDead = uint32(c), d
		}
	}
	if best != 0 {
		t.evacuate(best)
	}
}

// evacuate copies the live records of chunk c to the head and frees c.
// Each move re-points the record's index slot, a random place in the index
// (a cache miss, ~half of a compaction's time when each waited for its
// own): the slots are prefetched evacAhead records ahead of their moves,
// so that their misses overlap.
func (t *ArenaTable) evacuate(c uint32) {
	t.gen++
	mem := t.chunks[c]
	used := int(t.info[c].used)
	var ring [evacAhead]evacRec
	head, n := 0, 0
	for p := 0; p < used; {
		if mem[p]&(fPad|fPad1) != 0 {
			p += padSize(mem, p)
			continue
		}
		r := parse(mem, p)
		size := r.size()
		if r.f&fDead == 0 {
			tag := t.tagOf(t.keyOf(&r))
			prefetch.Addr(uintptr(unsafe.Pointer(&t.slots[tag>>t.shift])))
			if t.old != nil {
				prefetch.Addr(uintptr(unsafe.Pointer(&t.old[tag>>(t.shift+1)])))
			}
			if n == evacAhead {
				t.move(c, mem, ring[head])
				ring[head] = evacRec{p, size, tag}
				head = (head + 1) % evacAhead
			} else {
				ring[n] = evacRec{p, size, tag}
				n++
			}
		}
		p += size
	}
	for i := 0; i < n; i++ {
		t.move(c, mem, ring[(head+i)%evacAhead])
	}
	t.freeChunk(c)
}

// evacAhead is how many records ahead evacuate prefetches index slots.
const evacAhead = 8

// evacRec is a live record of a chunk being evacuated: its position and
// size in the chunk, and its tag.
type evacRec struct {
	p, size int
	tag     uint64
}

// move copies the live record e of chunk c (memory mem) to the head and
// re-points its slot (and its place in vols).
func (t *ArenaTable) move(c uint32, mem []byte, e evacRec) {
	off := uint64(c)<<chunkShift | uint64(e.p)
	slot := t.slotOf(e.tag, e.tag<<offBits|off)
	noff, dst := t.alloc(e.size)
	copy(dst, mem[e.p:e.p+e.size])
	*slot = e.tag<<offBits | noff
	if f := mem[e.p]; f&fExp != 0 && le.Uint64(mem[e.p+5:]) != 0 { // volatile: its place in vols
		t.vols[le.Uint32(mem[e.p+13:])] = noff
	}
}

// RangeVolatile calls fn for every key with an expiry until fn returns
// false. fn must not mutate the table.
func (t *ArenaTable) RangeVolatile(fn func(key []byte, e Entry) bool) {
	for _, off := range t.vols {
		r := t.rec(off)
		if !fn(t.entry(&r)) {
			return
		}
	}
}
