package object

import (
	"unsafe"

	"fastcache/shard"
)

// The buffers a pipeline's look-ahead prefetches for the small collections
// (shard/hint.go): a small hash's, set's or sorted set's packed entries are
// what its commands read first.
func init() {
	shard.RegisterObjectHint(&Hash{}, unsafe.Offsetof(Hash{}.lp))
	// p is a big set's table when enc, a byte of the word at n, is setBig
	encShift := 8 * (unsafe.Offsetof(Set{}.enc) - unsafe.Offsetof(Set{}.n))
	shard.RegisterObjectHintUnless(&Set{}, unsafe.Offsetof(Set{}.p), unsafe.Offsetof(Set{}.n), 0xFF<<encShift, setBig<<encShift)
	// p is a big sorted set's *zbig when c (the high half of the word
	// holding n and c) is zbigMark
	shard.RegisterObjectHintUnless(&ZSet{}, unsafe.Offsetof(ZSet{}.p), unsafe.Offsetof(ZSet{}.n), zbigMark<<32, zbigMark<<32)
}

// MemberTable is the table of a big hash's fields (nil while small), for
// the look-ahead's member prefetch (shard.MemberHint).
func (h *Hash) MemberTable() *shard.ArenaTable { return h.big }

// MemberTable is the table of a big set's members (nil while small).
func (s *Set) MemberTable() *shard.ArenaTable { return s.table() }

// MemberTable is the member -> score table of a big sorted set (nil while
// small).
func (z *ZSet) MemberTable() *shard.ArenaTable {
	b := z.big()
	if b == nil {
		return nil
	}
	return b.dict
}
