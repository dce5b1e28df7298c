//go:build linux

package persistence

import (
	"os"

	"golang.org/x/sys/unix"
)

// datasync flushes f's data (and the metadata needed to read it back) to
// stable storage: fdatasync(2), as Redis's AOF does on Linux.
func datasync(f *os.File) error {
	return unix.Fdatasync(int(f.Fd()))
}
