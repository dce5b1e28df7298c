package server

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The event loop's system calls that never sleep (reads and writes of its
// non-blocking sockets, the busy poll's epoll_wait with a zero timeout) go
// straight to the kernel, without the Go scheduler's bookkeeping around a
// call that may block (entersyscall / exitsyscall, which let another
// thread take the loop's P meanwhile). At -P1, three such calls per
// request: server CPU per request -3% (redis-benchmark GET and HGET -P1
// -c50, 5 rounds, medians: 4.80 -> 4.65 us, 5.60 -> 5.45 us; Redis 4.45 and
// 5.10). The sleeping epoll_wait stays a normal system call.

// rawRead is read(2) on a non-blocking descriptor; -1 and the errno on error.
func rawRead(fd int, p []byte) (int, error) { return rawIO(unix.SYS_READ, fd, p) }

// rawWrite is write(2) on a non-blocking descriptor; -1 and the errno on error.
func rawWrite(fd int, p []byte) (int, error) { return rawIO(unix.SYS_WRITE, fd, p) }

func rawIO(trap uintptr, fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, e := syscall.RawSyscall(trap, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

// rawPoll is epoll_wait(2) with a zero timeout; 0 and the errno on error.
func rawPoll(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, e := syscall.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
