//go:build linux

package affinity

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

func (s Set) mask() *unix.CPUSet {
	var m unix.CPUSet
	for _, c := range s {
		m.Set(c)
	}
	return &m
}

// Process pins every thread of the process to s.
func Process(s Set) error {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	m := s.mask()
	var first error
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, m); err != nil && first == nil && err != unix.ESRCH {
			first = err // a thread that ended meanwhile does not count
		}
	}
	return first
}

// Thread pins the calling thread to s (call it with the goroutine locked
// to its thread).
func Thread(s Set) error { return unix.SchedSetaffinity(0, s.mask()) }
