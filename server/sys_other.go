//go:build !linux && !windows

package server

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// multiplexingAPI is INFO's multiplexing_api: Go's netpoller uses kqueue on
// macOS and the BSDs.
const multiplexingAPI = "kqueue"

func uname() (sysname, release, machine string) {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return runtime.GOOS, "", runtime.GOARCH
	}
	return unix.ByteSliceToString(u.Sysname[:]), unix.ByteSliceToString(u.Release[:]), unix.ByteSliceToString(u.Machine[:])
}

// totalSystemMemory is INFO's total_system_memory (hw.memsize on macOS,
// hw.physmem on the BSDs; 0 when neither answers).
func totalSystemMemory() int64 {
	if v, err := unix.SysctlUint64("hw.memsize"); err == nil {
		return int64(v)
	}
	if v, err := unix.SysctlUint64("hw.physmem"); err == nil {
		return int64(v)
	}
	return 0
}

// peerHungUp reports whether the peer of the socket fd has closed (or
// reset) the connection, without waiting: a hang-up, or an end of file
// next in its input (input not read yet hides a close).
func peerHungUp(fd int) bool {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(pfd, 0)
	if err != nil || n == 0 {
		return false
	}
	if pfd[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0 {
		return true
	}
	var b [1]byte
	m, _, err := unix.Recvfrom(fd, b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
	return err == nil && m == 0
}
