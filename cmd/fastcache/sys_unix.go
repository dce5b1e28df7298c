//go:build !windows

package main

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on f without waiting (flock).
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// stopSelf stops the process (upstart's readiness signal).
func stopSelf() { syscall.Kill(os.Getpid(), syscall.SIGSTOP) }

// newSessionAttr makes a daemonized child the leader of a new session.
func newSessionAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
