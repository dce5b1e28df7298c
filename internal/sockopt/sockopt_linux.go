//go:build linux

package sockopt

import "golang.org/x/sys/unix"

// Mark sets SO_MARK on the socket fd.
func Mark(fd uintptr, id uint32) error {
	return unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, int(id))
}
