//go:build linux

package lowprio

import "golang.org/x/sys/unix"

// lower sets the calling thread's nice value to 19 (Linux's priorities are
// per thread); a failure leaves the priority as it was.
func lower() {
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), 19)
}
