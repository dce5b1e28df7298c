//go:build !unix

package mapfile

import "os"

// Map reads the file at path (mapfile_unix.go maps it).
func Map(path string) ([]byte, func(), error) {
	b, err := os.ReadFile(path)
	return b, func() {}, err
}
