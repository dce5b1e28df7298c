// Package prefetch asks the CPU to start loading memory that is about to be
// read, so that the cache misses of several independent lookups overlap
// instead of following one another.
//
// Both functions work on plain addresses and are written in assembly: they
// never fault, and the race detector does not see them. A caller may
// therefore read memory that another goroutine writes under a lock, as long
// as what it reads is used only to compute the next address to prefetch
// (a stale or torn value costs a useless prefetch, nothing else), and the
// memory stays allocated (the caller keeps a Go pointer to it).
//
// On architectures without an implementation here, Supported is false,
// Addr does nothing and Load returns 0.
package prefetch
