//go:build !windows

package server

import (
	"syscall"
	"time"
)

// cpuTimes are INFO's used_cpu_* of the process and its children.
func cpuTimes() (sys, user, childSys, childUser time.Duration) {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	d := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return d(self.Stime), d(self.Utime), d(children.Stime), d(children.Utime)
}
