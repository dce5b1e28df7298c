package object

import (
	"testing"
	"unsafe"
)

// TestHintLayout: the look-ahead reads the word at a ZSet's n and a Set's n
// to tell a big collection from a packed one (prefetch.go): both must be
// 8-aligned and hold the field it tests.
func TestHintLayout(t *testing.T) {
	if off := unsafe.Offsetof(ZSet{}.n); off%8 != 0 || unsafe.Offsetof(ZSet{}.c) != off+4 {
		t.Errorf("ZSet: n at %d, c at %d", off, unsafe.Offsetof(ZSet{}.c))
	}
	if off := unsafe.Offsetof(Set{}.n); off%8 != 0 || unsafe.Offsetof(Set{}.enc)-off >= 8 {
		t.Errorf("Set: n at %d, enc at %d", off, unsafe.Offsetof(Set{}.enc))
	}
	for name, size := range map[string]uintptr{"ZSet": unsafe.Sizeof(ZSet{}), "Set": unsafe.Sizeof(Set{}), "List": unsafe.Sizeof(List{})} {
		t.Logf("%s: %d bytes", name, size)
	}
	if unsafe.Sizeof(ZSet{}) != 16 || unsafe.Sizeof(Set{}) != 24 || unsafe.Sizeof(List{}) > 48 {
		t.Errorf("sizes: ZSet %d (want 16), Set %d (want 24), List %d (want <= 48)", unsafe.Sizeof(ZSet{}), unsafe.Sizeof(Set{}), unsafe.Sizeof(List{}))
	}
}
