package shard

// Prefetching for pipelines. A lookup of a random key among millions costs
// two cache misses, the index slot and then the record it points to, and
// one command's misses cannot overlap with the next command's, because each
// lookup needs the previous one's result before it starts. When a pipeline
// brings many commands at once, the server first names their keys here:
// every key's index slot is prefetched, then (by the time those loads have
// landed) every key's record, so the misses of the whole batch overlap and
// the commands then find their memory in cache.
//
// This runs without the shard's lock, next to writers on other event loops,
// so it reads only a hintView (published atomically by the table whenever
// its index or chunk list is replaced, and holding them alive), and reads the
// slots and chunk pointers themselves with prefetch.Load, a plain load the
// race detector does not see. What it reads only picks addresses to
// prefetch: a value that changed meanwhile costs a useless prefetch, never a
// wrong answer.

import (
	"unsafe"

	"fastcache/internal/prefetch"
)

// hintView is what the prefetcher may read of a table without its lock.
type hintView struct {
	slots, old []uint64
	chunks     [][]byte
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
		t.pub.Store(&hintView{slots: t.slots, old: t.old, chunks: t.chunks, shift: t.shift, seed: t.seed})
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
// slots; 0 if not found.
func (v *hintView) recordAddr(h uint64) uintptr {
	tag := mixTag(h, v.seed)
	if a := v.find(v.slots, tag>>v.shift, tag); a != 0 {
		return a
	}
	if v.old != nil {
		return v.find(v.old, tag>>(v.shift+1), tag)
	}
	return 0
}

func (v *hintView) find(index []uint64, i, tag uint64) uintptr {
	mask := uint64(len(index) - 1)
	for range hintProbes {
		s := prefetch.Load(uintptr(unsafe.Pointer(&index[i])))
		if s == 0 {
			return 0
		}
		if s != tomb && s>>offBits == tag {
			off := s & offMask
			c := off >> chunkShift
			if c >= uint64(len(v.chunks)) {
				return 0
			}
			// The first word of a slice header is its data pointer.
			base := prefetch.Load(uintptr(unsafe.Pointer(&v.chunks[c])))
			if base == 0 {
				return 0
			}
			return uintptr(base) + uintptr(off&(chunkSize-1))
		}
		i = (i + 1) & mask
	}
	return 0
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
// cache). Safe without the lock.
func (s *Shard) PrefetchRecord(h uint64) {
	if v := s.hint.Load(); v != nil {
		if a := v.recordAddr(h); a != 0 {
			prefetch.Addr(a)
			prefetch.Addr(a + 64) // a record often spans two lines: header and key, then the value
		}
	}
}
