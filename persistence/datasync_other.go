//go:build !linux

package persistence

import "os"

// datasync flushes f to stable storage. Without fdatasync(2) this is a full
// fsync; on macOS Go's File.Sync issues F_FULLFSYNC, which (unlike plain
// fsync there) also flushes the drive's cache, as Redis does on macOS.
func datasync(f *os.File) error {
	return f.Sync()
}
