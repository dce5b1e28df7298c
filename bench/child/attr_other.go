//go:build unix && !linux

// Package child holds what the benchmark programs need to start servers as
// child processes that never outlive them.
package child

import "syscall"

// Attr puts a child in its own process group (so a group kill reaches
// everything it started). Without Linux's parent-death signal, a benchmark
// program killed with SIGKILL leaves its servers running.
func Attr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
