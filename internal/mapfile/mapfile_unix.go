//go:build unix

package mapfile

import (
	"os"
	"syscall"
)

// Map maps the file at path read-only: a Redis RDB file is imported
// from its pages as the kernel reads them in (and may drop them again),
// not from a copy of the whole file on the heap. release unmaps it; what
// the import keeps is copied out before (RESTORE's decoding never keeps
// its payload, which is a connection's buffer there).
func Map(path string) (b []byte, release func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.Size() == 0 {
		return nil, func() {}, nil
	}
	if int64(int(st.Size())) != st.Size() {
		return nil, nil, syscall.EFBIG
	}
	b, err = syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		// not mappable (a pipe, a special file system): read it
		b, err = os.ReadFile(path)
		return b, func() {}, err
	}
	return b, func() { syscall.Munmap(b) }, nil
}
