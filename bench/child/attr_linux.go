//go:build linux

// Package child holds what the benchmark programs need to start servers as
// child processes that never outlive them.
package child

import "syscall"

// Attr puts a child in its own process group (so a group kill reaches
// everything it started) and kills it if the benchmark program dies.
func Attr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
