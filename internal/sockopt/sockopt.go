// Package sockopt sets Redis's socket-mark-id on sockets: SO_MARK on Linux
// (the mark firewall and routing rules match), which needs CAP_NET_ADMIN.
// Elsewhere Mark returns ErrUnsupported.
package sockopt

import (
	"errors"
	"syscall"
)

// ErrUnsupported: the platform has no socket mark.
var ErrUnsupported = errors.New("socket marks are not supported on this platform")

// Control returns a net.ListenConfig / net.Dialer Control function that
// marks each socket with id before it binds or connects (0: none); a
// failure is handed to fail (which may log it) and the socket is used
// unmarked, as Redis does.
func Control(id uint32, fail func(error)) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		if id == 0 {
			return nil
		}
		var err error
		if cerr := c.Control(func(fd uintptr) { err = Mark(fd, id) }); cerr != nil {
			err = cerr
		}
		if err != nil && fail != nil {
			fail(err)
		}
		return nil
	}
}
