//go:build !linux

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
