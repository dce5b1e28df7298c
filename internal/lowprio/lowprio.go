// Package lowprio runs background work (a snapshot's serialization and
// compression) on an OS thread that the kernel schedules after everything
// else, so that on a machine with few cores the event loops and their
// clients keep the cores while the work takes what is left.
package lowprio

import "runtime"

// Thread locks the calling goroutine to its OS thread and lowers that
// thread's scheduling priority to the lowest (nice 19) where the platform
// allows it. It never unlocks: the thread ends with the goroutine, so no
// other goroutine ever runs at the lowered priority. Call it first thing in
// a goroutine of its own.
func Thread() {
	runtime.LockOSThread()
	lower()
}
