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
	shard.RegisterObjectHint(&Set{}, unsafe.Offsetof(Set{}.b))
	shard.RegisterObjectHint(&ZSet{}, unsafe.Offsetof(ZSet{}.lp))
}
