//go:build linux

package lowprio

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"fastcache/internal/affinity"
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

// TestThreadCPUs: with SetCPUs, a lowered thread runs on those CPUs alone.
func TestThreadCPUs(t *testing.T) {
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil || all.Count() < 2 {
		t.Skip("needs two CPUs")
	}
	SetCPUs(affinity.Set{1})
	defer SetCPUs(nil)
	got := make(chan bool)
	go func() {
		Thread()
		var m unix.CPUSet
		err := unix.SchedGetaffinity(0, &m)
		got <- err == nil && m.Count() == 1 && m.IsSet(1)
	}()
	if !<-got {
		t.Fatal("the lowered thread is not pinned to CPU 1")
	}
}
