package shard

// Prefetching for pipelines. A lookup of a random key among millions costs
// two cache misses, the index slot and then the record it points to, and
// one command's misses cannot overlap with the next command's, because each
// lookup needs the previous one's result before it starts. When a pipeline
// brings many commands at once, the server first names their keys here:
// every key's index slot is prefetched, then (by the time those loads have
// landed) every key's record, so the misses of the whole batch overlap and
// the commands then find their memory in cache. A collection is three more
// hops away (its slot in the table's objs, the object, the buffer its
// commands read first); for keys whose record turns out to hold one, those
// are prefetched in three more rounds the same way (PrefetchObjectSlot,
// PrefetchObject, PrefetchObjectData). A big collection keeps its members
// in a table of its own (a hash's fields, a set's or sorted set's members),
// where a random member costs the same two misses again: for commands that
// name a member (HSET, HGET, SADD, ZADD, ZSCORE ...), the member's slot and
// record there are two more rounds (MemberHint; finding the collection's
// table takes the shard's lock, when it is free).
//
// This runs without the shard's lock, next to writers on other event loops,
// so it reads only a hintView (published atomically by the table whenever
// its index or chunk list is replaced, and holding them alive), and reads the
// slots and chunk pointers themselves with prefetch.Load, a plain load the
// race detector does not see. What it reads only picks addresses to
// prefetch: a value that changed meanwhile costs a useless prefetch, never a
// wrong answer.

import (
	"encoding/binary"
	"unsafe"

	"fastcache/internal/prefetch"
)

// hintView is what the prefetcher may read of a table without its lock.
type hintView struct {
	slots, old []uint64
	chunks     [][]byte
	objs       []objSlot // to its capacity: appends within it are seen without a new view
	shift      uint
	seed       uint64
}

// hintProbes bounds how far a hint follows a probe run: 8 slots are one
// cache line, and at load < 0.8 almost every key is that close to its home.
const hintProbes = 8

// publish makes the table's current index and chunk list visible to
// prefetchers (called whenever one of them is replaced).
func (t *ArenaTable) publish() {
	if t.pub != nil {
		t.pub.Store(&hintView{slots: t.slots, old: t.old, chunks: t.chunks, objs: t.objs[:cap(t.objs)], shift: t.shift, seed: t.seed})
	}
}

// prefetchSlot starts loading the index slot(s) where a key of hash h
// lives.
func (v *hintView) prefetchSlot(h uint64) {
	tag := mixTag(h, v.seed)
	prefetch.Addr(uintptr(unsafe.Pointer(&v.slots[tag>>v.shift])))
	if v.old != nil {
		prefetch.Addr(uintptr(unsafe.Pointer(&v.old[tag>>(v.shift+1)])))
	}
}

// recordAddr is the address of the record of the key of hash h, found as
// lookup would (new index, then old) but by tag only and within hintProbes
// slots, and the end of its chunk (no read may pass it); 0 if not found.
func (v *hintView) recordAddr(h uint64) (a, end uintptr) {
	tag := mixTag(h, v.seed)
	if a, end := v.find(v.slots, tag>>v.shift, tag); a != 0 {
		return a, end
	}
	if v.old != nil {
		return v.find(v.old, tag>>(v.shift+1), tag)
	}
	return 0, 0
}

func (v *hintView) find(index []uint64, i, tag uint64) (a, end uintptr) {
	mask := uint64(len(index) - 1)
	for range hintProbes {
		s := prefetch.Load(uintptr(unsafe.Pointer(&index[i])))
		if s == 0 {
			return 0, 0
		}
		if s != tomb && s>>offBits == tag {
			off := s & offMask
			c := off >> chunkShift
			if c >= uint64(len(v.chunks)) {
				return 0, 0
			}
			// The first word of a slice header is its data pointer; every
			// chunk is chunkSize long.
			base := prefetch.Load(uintptr(unsafe.Pointer(&v.chunks[c])))
			if base == 0 {
				return 0, 0
			}
			return uintptr(base) + uintptr(off&(chunkSize-1)), uintptr(base) + chunkSize
		}
		i = (i + 1) & mask
	}
	return 0, 0
}

// PrefetchSlot starts loading the index slot of the key whose xxhash is h
// (the first stage of Cache.Prefetch). Safe without the lock.
func (s *Shard) PrefetchSlot(h uint64) {
	if v := s.hint.Load(); v != nil {
		v.prefetchSlot(h)
	}
}

// PrefetchRecord starts loading the record of the key whose xxhash is h,
// if its index slot names one (the second stage, once the slot is likely in
// cache), and returns its address and its chunk's end (0: none). Safe
// without the lock.
func (s *Shard) PrefetchRecord(h uint64) (a, end uintptr) {
	if v := s.hint.Load(); v != nil {
		if a, end := v.recordAddr(h); a != 0 {
			prefetch.Addr(a)
			prefetch.Addr(a + 64) // a record often spans two lines: header and key, then the value
			return a, end
		}
	}
	return 0, 0
}

// PrefetchObjectSlot is the third stage: if the record at a (returned by
// PrefetchRecord a round ago, with its chunk's end) refers to a
// collection, it starts loading the collection's slot in the table's objs
// and returns the slot's address (0: not a collection). Safe without the
// lock: it reads the record with plain loads, never past end (the record
// may have been overwritten meanwhile: its lengths are then arbitrary), and
// what it reads only picks addresses.
func (s *Shard) PrefetchObjectSlot(a, end uintptr) uintptr {
	v := s.hint.Load()
	if v == nil || a == 0 || a+hdrExp+2*binary.MaxVarintLen32 > end {
		return 0
	}
	f := loadByte(a)
	if f&(fObj|fBig|fDead|fPad|fPad1) != fObj {
		return 0
	}
	q := a + hdrFixed
	if f&fExp != 0 {
		q = a + hdrExp
	}
	klen, n := loadUvarint(q)
	q += n
	vlen, n := loadUvarint(q)
	if vlen != objVal {
		return 0
	}
	q += n + klen + 1 // the key, then the kind byte
	if klen > chunkSize || q+4 > end {
		return 0
	}
	idx := uintptr(loadByte(q)) | uintptr(loadByte(q+1))<<8 | uintptr(loadByte(q+2))<<16 | uintptr(loadByte(q+3))<<24
	if idx >= uintptr(len(v.objs)) {
		return 0
	}
	slot := uintptr(unsafe.Pointer(unsafe.SliceData(v.objs))) + idx*unsafe.Sizeof(objSlot{})
	prefetch.Addr(slot)
	prefetch.Addr(slot + unsafe.Offsetof(objSlot{}.size)) // a change re-accounts it (ObjResized)
	return slot
}

// PrefetchObject is the fourth stage: it reads the interface value at slot
// (from PrefetchObjectSlot) and starts loading the object it points to. It
// returns the interface's two words (its type word and the object's
// address) for PrefetchObjectData.
func PrefetchObject(slot uintptr) (typ, obj uintptr) {
	if slot == 0 {
		return 0, 0
	}
	typ = uintptr(prefetch.Load(slot))
	obj = uintptr(prefetch.Load(slot + unsafe.Sizeof(uintptr(0))))
	if obj != 0 {
		prefetch.Addr(obj)
	}
	return typ, obj
}

// PrefetchObjectData is the last stage: for an object of a type registered
// with RegisterObjectHint, it starts loading the memory the type's
// commands read first, and returns its address (0: none).
func PrefetchObjectData(typ, obj uintptr) uintptr {
	if obj == 0 {
		return 0
	}
	for _, oh := range objHints {
		if oh.typ == typ {
			if oh.mask != 0 && prefetch.Load(obj+oh.flagOff)&oh.mask == oh.flag {
				return 0 // no packed buffer (see RegisterObjectHintUnless)
			}
			p := uintptr(prefetch.Load(obj + oh.off))
			if p != 0 {
				prefetch.Addr(p)
				prefetch.Addr(p + 64)
			}
			return p
		}
	}
	return 0
}

// objHint names, for one concrete collection type, the offset in its
// struct of the pointer to the memory its commands read first, and when
// that pointer is something else (the word at flagOff, masked, is flag).
type objHint struct {
	typ, off, flagOff uintptr
	mask, flag        uint64
}

// objHints is filled by RegisterObjectHint at init and only read after.
var objHints []objHint

// RegisterObjectHint declares that objects of example's concrete type (a
// pointer to a struct) hold, off bytes into the struct, a pointer to the
// memory their commands read first (the packed buffer of a small
// collection), for PrefetchObjectData. Call it from an init function.
func RegisterObjectHint(example Object, off uintptr) {
	RegisterObjectHintUnless(example, off, 0, 0, 0)
}

// RegisterObjectHintUnless is RegisterObjectHint for a type whose pointer
// at off is the packed buffer only in some objects: those in which the
// 8-byte word at flagOff (8-aligned), masked with mask, is not flag. In the
// others (a big collection whose pointer field points to its tables) there
// is no buffer: PrefetchObjectData returns 0, as for a nil pointer.
func RegisterObjectHintUnless(example Object, off, flagOff uintptr, mask, flag uint64) {
	w := (*[2]uintptr)(unsafe.Pointer(&example))
	objHints = append(objHints, objHint{typ: w[0], off: off, flagOff: flagOff, mask: mask, flag: flag})
}

// loadByte reads the byte at a with an aligned plain load (one the race
// detector does not see, and that never reaches past the 8-byte word
// holding a, so never past the end of its chunk).
func loadByte(a uintptr) byte {
	w := prefetch.Load(a &^ 7)
	return byte(w >> ((a & 7) * 8))
}

// loadUvarint reads a record's length field at a as getUvarint does,
// giving up (0, 1) past five bytes.
func loadUvarint(a uintptr) (uintptr, uintptr) {
	var v uintptr
	for i := uintptr(0); i < 5; i++ {
		b := loadByte(a + i)
		v |= uintptr(b&0x7f) << (7 * i)
		if b < 0x80 {
			return v, i + 1
		}
	}
	return 0, 1
}

// ---- members of big collections ----

// MemberTabler is implemented by the collections whose members (a hash's
// fields, a set's or sorted set's members) live in a table of their own
// once the collection is big (NewNestedTable); MemberTable is nil while it
// is small.
type MemberTabler interface{ MemberTable() *ArenaTable }

// MemberHint is the hint view of a big collection's member table, for
// prefetching the members a pipeline's commands name (zero: none).
type MemberHint struct{ v *hintView }

// MemberHint returns the member-table view of database 0's key, if the key
// holds a big collection. It reads the keyspace, so it takes the shard's
// lock, but only if the lock is free: a hint is never worth a wait. The
// view it returns may be read without the lock (it holds the index and
// chunks it names alive, as the keyspace's own views do).
func (s *Shard) MemberHint(key []byte) MemberHint {
	if !s.mu.TryLock() {
		return MemberHint{}
	}
	defer s.mu.Unlock()
	t := s.dbs[0].t
	if t == nil {
		return MemberHint{}
	}
	e, ok := t.Get(key)
	if !ok || e.Kind == KindString {
		return MemberHint{}
	}
	mt, ok := t.Obj(e).(MemberTabler)
	if !ok {
		return MemberHint{}
	}
	if n := mt.MemberTable(); n != nil && n.pub != nil {
		return MemberHint{n.pub.Load()}
	}
	return MemberHint{}
}

// Valid says whether m names a member table.
func (m MemberHint) Valid() bool { return m.v != nil }

// Slot starts loading the index slot of the member whose xxhash is h.
func (m MemberHint) Slot(h uint64) {
	if m.v != nil {
		m.v.prefetchSlot(h)
	}
}

// Record starts loading the member's record, if its slot (loaded by Slot a
// round before) names one.
func (m MemberHint) Record(h uint64) {
	if m.v == nil {
		return
	}
	if a, _ := m.v.recordAddr(h); a != 0 {
		prefetch.Addr(a)
		prefetch.Addr(a + 64)
	}
}
