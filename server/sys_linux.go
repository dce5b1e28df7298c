//go:build linux

package server

import (
	"runtime"
	"syscall"
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
