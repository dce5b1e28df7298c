// Package lowprio runs background work (a snapshot's serialization and
// compression) on an OS thread that the kernel schedules after everything
// else, so that on a machine with few cores the event loops and their
// clients keep the cores while the work takes what is left. SetCPUs pins
// those threads to CPUs of their own (bgsave_cpulist).
package lowprio

import (
	"runtime"
	"sync/atomic"

	"fastcache/internal/affinity"
)

var cpus atomic.Pointer[affinity.Set]

// SetCPUs makes the threads Thread lowers from now on run on the CPUs of
// s alone (nil or empty: wherever the process may run).
func SetCPUs(s affinity.Set) {
	if len(s) == 0 {
		cpus.Store(nil)
		return
	}
	cpus.Store(&s)
}

// Thread locks the calling goroutine to its OS thread and lowers that
// thread's scheduling priority to the lowest (nice 19) where the platform
// allows it, and pins it to SetCPUs's CPUs if set. It never unlocks: the
// thread ends with the goroutine, so no other goroutine ever runs at the
// lowered priority or on those CPUs alone. Call it first thing in a
// goroutine of its own.
func Thread() {
	runtime.LockOSThread()
	lower()
	if s := cpus.Load(); s != nil {
		_ = affinity.Thread(*s) // a failure leaves the thread where it was
	}
}
