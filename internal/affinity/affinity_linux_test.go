//go:build linux

package affinity

import (
	"os"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestThread: the calling thread is pinned; the others keep their CPUs.
func TestThread(t *testing.T) {
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil || all.Count() < 2 {
		t.Skip("needs two CPUs")
	}
	runtime.LockOSThread() // this thread stays out of the other goroutine's reach
	defer runtime.UnlockOSThread()
	done := make(chan string)
	go func() {
		runtime.LockOSThread() // the thread ends with the goroutine
		if err := Thread(Set{1}); err != nil {
			t.Error(err)
		}
		done <- allowed(t, "thread-self")
	}()
	if got := <-done; got != "1" {
		t.Fatalf("the pinned thread may run on %q, want 1", got)
	}
	if got := allowed(t, "thread-self"); got == "1" {
		t.Fatalf("another thread was pinned too: %q", got)
	}
}

func allowed(t *testing.T, who string) string {
	b, err := os.ReadFile("/proc/" + who + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("no Cpus_allowed_list")
	return ""
}
