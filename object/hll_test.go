package object

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"
)

// registersOf decodes any valid HyperLogLog into its 16384 registers.
func registersOf(t testing.TB, v []byte) []byte {
	t.Helper()
	regs := make([]byte, HLLRegisters)
	if !HLLMax(regs, v) {
		t.Fatalf("value does not decode: % x", v[:min(len(v), 64)])
	}
	return regs
}

// checkSparse checks the invariants of a sparse value Redis's updates keep:
// the runs cover exactly the registers and no two adjacent VAL opcodes of
// the same value could be one.
func checkSparse(t testing.TB, v []byte) {
	t.Helper()
	if !IsHLL(v) || v[4] != hllSparse {
		t.Fatalf("not a sparse HyperLogLog")
	}
	var h [64]int
	if !sparseHisto(v, &h) {
		t.Fatalf("runs do not cover the registers")
	}
}

// TestHLLSparseMatchesDense adds the same elements to a sparse and a dense
// HyperLogLog: both must hold the same registers and give the same count,
// before and after the sparse one is promoted.
func TestHLLSparseMatchesDense(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, maxBytes := range []int64{0, 40, 300, 3000, 20000} {
		sp := NewHLL()
		dense := make([]byte, HLLDenseSize)
		copy(dense, "HYLL")
		for i := 0; i < 6000; i++ {
			ele := []byte("x" + strconv.Itoa(r.IntN(20000)))
			var res int
			sp, res = HLLAdd(sp, ele, maxBytes, nil)
			if res < 0 {
				t.Fatalf("max %d: add %d: corrupted", maxBytes, i)
			}
			if HLLDenseAdd(dense, ele, nil) != (res == 1) {
				t.Fatalf("max %d: add %d: sparse says %d, dense disagrees", maxBytes, i, res)
			}
			if sp[4] == hllSparse {
				checkSparse(t, sp)
				if int64(len(sp)) > max(maxBytes, int64(HLLHdrSize+2)) {
					t.Fatalf("max %d: sparse value of %d bytes", maxBytes, len(sp))
				}
			}
			if i%500 == 0 || i < 50 {
				if !bytes.Equal(registersOf(t, sp), registersOf(t, dense)) {
					t.Fatalf("max %d: add %d: registers differ", maxBytes, i)
				}
				a, ok1 := HLLCount(sp)
				b, ok2 := HLLCount(dense)
				if !ok1 || !ok2 || a != b {
					t.Fatalf("max %d: add %d: counts %d %v, %d %v", maxBytes, i, a, ok1, b, ok2)
				}
			}
		}
	}
}

// TestHLLEstimate checks the estimate against the true count (Redis's
// error bound: 1.04/sqrt(16384), 0.81%; within 5 of it here).
func TestHLLEstimate(t *testing.T) {
	v := NewHLL()
	n := 0
	for _, target := range []int{1, 10, 100, 1000, 10000, 100000} {
		for ; n < target; n++ {
			v, _ = HLLAdd(v, []byte("element:"+strconv.Itoa(n)), 3000, nil)
		}
		c, ok := HLLCount(v)
		if !ok {
			t.Fatal("corrupted")
		}
		if d := float64(c) - float64(n); d*d > (0.0081*5*float64(n)+1)*(0.0081*5*float64(n)+1) {
			t.Errorf("count %d after %d elements", c, n)
		}
	}
}

// TestHLLCache: the cached cardinality round-trips and its stale bit.
func TestHLLCache(t *testing.T) {
	v := NewHLL()
	if c, ok := HLLCachedCard(v); !ok || c != 0 {
		t.Fatalf("new: %d %v", c, ok)
	}
	HLLPutCard(v, 0x0123456789ab)
	if c, ok := HLLCachedCard(v); !ok || c != 0x0123456789ab {
		t.Fatalf("put: %x %v", c, ok)
	}
	HLLInvalidate(v)
	if _, ok := HLLCachedCard(v); ok {
		t.Fatal("stale cache read as valid")
	}
}

func TestHLLPatchesRanges(t *testing.T) {
	var p Patches
	for _, o := range []int{40, 3, 4, 5, 15, 41, 100, 5, 9} {
		p.Add(o, 1)
	}
	var got [][2]int
	p.Ranges(4, func(s, e int) { got = append(got, [2]int{s, e}) })
	want := [][2]int{{3, 10}, {15, 16}, {40, 42}, {100, 101}} // 6..9: 3 bytes apart, joined
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	p.Reset()
	p.Add(10, 2)
	p.Add(13, 1)
	got = got[:0]
	p.Ranges(2, func(s, e int) { got = append(got, [2]int{s, e}) })
	if len(got) != 1 || got[0] != [2]int{10, 14} {
		t.Fatalf("gap 2: %v", got)
	}
}

// FuzzHLLValue runs every HyperLogLog operation over arbitrary bytes taken
// for a value (a client can SET anything): none may panic, and a sparse
// value that an add accepted must still decode.
func FuzzHLLValue(f *testing.F) {
	hdr := string(NewHLL()[:HLLHdrSize])
	for _, s := range []string{
		string(NewHLL()),
		hdr,
		hdr + "\x7f",
		hdr + "\x40",
		hdr + "\x7f\xff\x7f\xff",
		hdr + "\x83\x83\x7f\xfa",
		hdr + "\x00\x3f\x8b\x7f\x00",
		"HYLL\x00" + string(make([]byte, HLLDenseSize-5)),
		"HYLL\x02" + string(make([]byte, 20)),
	} {
		f.Add([]byte(s), []byte("a"), uint16(0), uint8(1), int16(3000))
	}
	f.Fuzz(func(t *testing.T, v, ele []byte, reg uint16, count uint8, maxBytes int16) {
		if !IsHLL(v) {
			return
		}
		orig := append([]byte(nil), v...)
		HLLCachedCard(v)
		HLLCount(v)
		regs := make([]byte, HLLRegisters)
		HLLMax(regs, v)
		HLLCountMax(regs)
		if v[4] == hllSparse {
			HLLDecode(v)
			HLLToDense(v)
		} else {
			HLLDenseRegisters(v, nil)
		}
		w := append([]byte(nil), v...)
		w, res := HLLAdd(w, ele, int64(maxBytes), nil)
		if res >= 0 && w[4] == hllSparse && HLLMax(make([]byte, HLLRegisters), orig) {
			if !HLLMax(make([]byte, HLLRegisters), w) {
				t.Fatalf("a valid value no longer decodes after an add")
			}
		}
		w = append([]byte(nil), orig...)
		HLLSet(w, int(reg)%HLLRegisters, 1+count%51, int64(maxBytes), new(Patches))
	})
}

// TestHLLDenseRaise: raising a dense value to merged registers equals
// setting them one by one, and the patches cover every changed byte.
func TestHLLDenseRaise(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 20; round++ {
		v := make([]byte, HLLDenseSize)
		copy(v, "HYLL")
		for i := 0; i < HLLRegisters; i++ {
			if r.IntN(3) == 0 {
				denseSet(v[HLLHdrSize:], i, uint8(r.IntN(64)))
			}
		}
		max := make([]byte, HLLRegisters)
		for i := range max {
			if r.IntN(4) == 0 {
				max[i] = uint8(r.IntN(64))
			}
		}
		want := append([]byte(nil), v...)
		for i, m := range max {
			if m != 0 {
				HLLSet(want, i, m, 3000, nil)
			}
		}
		got := append([]byte(nil), v...)
		var p Patches
		HLLDenseRaise(got, max, &p)
		if !bytes.Equal(got, want) {
			t.Fatal("HLLDenseRaise differs from HLLSet register by register")
		}
		patched := append([]byte(nil), v...)
		p.Ranges(8, func(s, e int) { copy(patched[s:e], got[s:e]) })
		if !bytes.Equal(patched, got) {
			t.Fatal("the patches miss changed bytes")
		}
		regs := make([]byte, HLLRegisters)
		HLLMax(regs, got)
		for i := range regs {
			if regs[i] != denseGet(got[HLLHdrSize:], i) {
				t.Fatalf("HLLMax register %d: %d, want %d", i, regs[i], denseGet(got[HLLHdrSize:], i))
			}
		}
	}
}
