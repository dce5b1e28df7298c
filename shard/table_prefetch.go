package shard

import (
	"unsafe"

	"fastcache/internal/prefetch"
)

// Prefetching under the lock, for a collection that knows which of its
// members it will look up next without a command naming them: a sorted
// set's pops delete, one command after another, the members that follow
// in its order, each a random place in the member table (two cache
// misses: the index slot, then the record). Called for the member after
// next with slot, the slot is on its way by the time that member's turn
// comes one call earlier, without slot, when its record is then loaded
// too; the pop finds both in cache.

// Prefetch starts loading what a lookup of key will read: its index slot,
// or (record) the record the slot names, which should then be in cache
// from an earlier call without record.
func (t *ArenaTable) Prefetch(key []byte, record bool) {
	tag := t.tagOf(key)
	if !record {
		prefetch.Addr(uintptr(unsafe.Pointer(&t.slots[tag>>t.shift])))
		if t.old != nil {
			prefetch.Addr(uintptr(unsafe.Pointer(&t.old[tag>>(t.shift+1)])))
		}
		return
	}
	if t.prefetchRecord(t.slots, t.mask, tag>>t.shift, tag) || t.old == nil {
		return
	}
	t.prefetchRecord(t.old, t.oldMask, tag>>(t.shift+1), tag)
}

// prefetchRecord starts loading the record of the first slot of index
// from i on whose tag is tag (a few slots at most); false if none.
func (t *ArenaTable) prefetchRecord(index []uint64, mask, i, tag uint64) bool {
	for range hintProbes {
		s := index[i]
		if s == 0 {
			return false
		}
		if s != tomb && s>>offBits == tag {
			off := s & offMask
			c := t.chunks[off>>chunkShift]
			if c == nil {
				return false
			}
			a := uintptr(unsafe.Pointer(unsafe.SliceData(c))) + uintptr(off&(chunkSize-1))
			prefetch.Addr(a)
			prefetch.Addr(a + 32) // the key often crosses into the next line
			return true
		}
		i = (i + 1) & mask
	}
	return false
}
