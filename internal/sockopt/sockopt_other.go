//go:build !linux

package sockopt

// Mark sets the socket's mark.
func Mark(fd uintptr, id uint32) error { return ErrUnsupported }
