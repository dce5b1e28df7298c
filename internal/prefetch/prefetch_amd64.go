package prefetch

// Supported reports whether Addr and Load do anything on this architecture.
const Supported = true

// Addr starts loading the cache line holding addr into every cache level
// (PREFETCHT0). Any value is allowed: the prefetch of an unmapped address is
// dropped.
//
//go:noescape
func Addr(addr uintptr)

// Load reads the 8-byte word at addr, which must be mapped and 8-aligned,
// with one plain load (atomic on amd64; see the package comment).
//
//go:noescape
func Load(addr uintptr) uint64
