//go:build windows

package server

import (
	"fmt"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// multiplexingAPI is INFO's multiplexing_api: Go's netpoller uses I/O
// completion ports on Windows.
const multiplexingAPI = "iocp"

func uname() (sysname, release, machine string) {
	maj, min, build := windows.RtlGetNtVersionNumbers()
	return "Windows", fmt.Sprintf("%d.%d.%d", maj, min, build), runtime.GOARCH
}

// totalSystemMemory is INFO's total_system_memory (kernel32's
// GlobalMemoryStatusEx; 0 if it does not answer).
func totalSystemMemory() int64 {
	var ms struct {
		length, memoryLoad                  uint32
		totalPhys, availPhys, totalPageFile uint64
		availPageFile, totalVirtual         uint64
		availVirtual, availExtendedVirtual  uint64
	}
	ms.length = uint32(unsafe.Sizeof(ms))
	r, _, _ := globalMemoryStatusEx.Call(uintptr(unsafe.Pointer(&ms)))
	if r == 0 {
		return 0
	}
	return int64(ms.totalPhys)
}

var globalMemoryStatusEx = windows.NewLazySystemDLL("kernel32.dll").NewProc("GlobalMemoryStatusEx")

// peerHungUp: Windows has no non-blocking way to look; a hang-up is seen
// when the connection's goroutine reads.
func peerHungUp(fd int) bool { return false }

// cpuTimes are INFO's used_cpu_* of the process (Windows has no children
// here: fastcache never forks).
func cpuTimes() (sys, user, childSys, childUser time.Duration) {
	var c, e, k, u windows.Filetime
	if windows.GetProcessTimes(windows.CurrentProcess(), &c, &e, &k, &u) != nil {
		return 0, 0, 0, 0
	}
	ft := func(f windows.Filetime) time.Duration {
		return time.Duration(uint64(f.HighDateTime)<<32|uint64(f.LowDateTime)) * 100
	}
	return ft(k), ft(u), 0, 0
}
