package prefetch

import (
	"testing"
	"unsafe"
)

func TestLoad(t *testing.T) {
	if !Supported {
		t.Skip("no prefetch on this architecture")
	}
	words := []uint64{0, 0x0123456789abcdef, ^uint64(0)}
	for i, w := range words {
		if got := Load(uintptr(unsafe.Pointer(&words[i]))); got != w {
			t.Errorf("Load(&words[%d]) = %#x, want %#x", i, got, w)
		}
	}
	// Prefetching any address, mapped or not, must not fault.
	Addr(0)
	Addr(^uintptr(0))
	Addr(uintptr(unsafe.Pointer(&words[1])))
}
