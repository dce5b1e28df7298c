//go:build linux

package server

import (
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// multiplexingAPI is INFO's multiplexing_api: the event loops' and Go's
// netpoller's mechanism.
const multiplexingAPI = "epoll"

func uname() (sysname, release, machine string) {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return runtime.GOOS, "", runtime.GOARCH
	}
	str := func(a [65]int8) string {
		buf := make([]byte, 0, len(a))
		for _, c := range a {
			if c == 0 {
				break
			}
			buf = append(buf, byte(c))
		}
		return string(buf)
	}
	return str(u.Sysname), str(u.Release), str(u.Machine)
}

func totalSystemMemory() int64 {
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}

// peerHungUp reports whether the peer of the socket fd has closed (or
// reset) the connection, without waiting; input not read yet does not hide
// it.
func peerHungUp(fd int) bool {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
	n, err := unix.Poll(pfd, 0)
	return err == nil && n > 0 && pfd[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR) != 0
}
