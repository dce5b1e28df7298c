//go:build !amd64

package prefetch

// Supported reports whether Addr and Load do anything on this architecture.
const Supported = false

// Addr does nothing on this architecture.
func Addr(addr uintptr) {}

// Load returns 0 on this architecture.
func Load(addr uintptr) uint64 { return 0 }
