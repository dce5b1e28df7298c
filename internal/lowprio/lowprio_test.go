//go:build linux

package lowprio

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestThread: the goroutine's thread runs at nice 19; another goroutine's
// thread keeps its priority.
func TestThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	type prio struct{ tid, prio int }
	got := make(chan prio)
	go func() {
		Thread()
		p, err := unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid())
		if err != nil {
			t.Error(err)
		}
		got <- prio{unix.Gettid(), p}
	}()
	low := <-got
	// getpriority returns 20 - nice on Linux.
	if low.prio != 20-19 {
		t.Fatalf("thread priority %d, want nice 19 (%d)", low.prio, 20-19)
	}
	own, err := unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	if unix.Gettid() == low.tid || own != 20 {
		t.Fatalf("this goroutine's thread %d: priority %d, want 20 (nice 0); lowered thread %d", unix.Gettid(), own, low.tid)
	}
}
