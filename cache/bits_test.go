package cache

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestBitCountBitPosWordPaths: BITCOUNT and BITPOS, which work eight and 32
// bytes at a time on long values, agree with a bit-by-bit reference on
// values long enough to take those paths (runs of 0x00 and 0xFF with a
// flipped bit here and there), for ranges in bytes and in bits.
func TestBitCountBitPosWordPaths(t *testing.T) {
	c := New(Options{Shards: 1})
	defer c.Close()
	ks := c.Keyspace()
	r := rand.New(rand.NewPCG(15, 2))
	for iter := 0; iter < 300; iter++ {
		n := r.IntN(300)
		v := make([]byte, n)
		fill := byte(0)
		if r.IntN(2) == 0 {
			fill = 0xFF
		}
		for i := range v {
			v[i] = fill
		}
		for k := r.IntN(4); k > 0 && n > 0; k-- {
			i := r.IntN(n * 8)
			v[i/8] ^= 0x80 >> (i % 8)
		}
		if r.IntN(5) == 0 {
			for i := range v {
				v[i] = byte(r.Uint32())
			}
		}
		key := []byte(fmt.Sprint("b", iter))
		ks.Set(key, v, SetOptions{}, nil)
		bitAt := func(i int64) int { return int(v[i/8]>>(7-i%8)) & 1 }
		total := int64(n) * 8
		for q := 0; q < 20; q++ {
			bitUnit := r.IntN(2) == 0
			units := int64(n)
			if bitUnit {
				units = total
			}
			start := r.Int64N(units+10) - 5
			end := r.Int64N(units+10) - 5
			ranged := r.IntN(4) > 0
			s, e := int64(0), units-1
			if ranged {
				s, e = redisRange(start, end, units)
			}
			first, last := s, e
			if !bitUnit {
				first, last = s*8, e*8+7
			}
			// BITCOUNT
			if !(ranged && start < 0 && end < 0 && start > end) {
				want := int64(0)
				for i := first; i <= last && s <= e; i++ {
					want += int64(bitAt(i))
				}
				if got := ks.BitCount(key, ranged, start, end, bitUnit); got != want {
					t.Fatalf("BITCOUNT %x %d %d bit=%v ranged=%v: %d, want %d", v, start, end, bitUnit, ranged, got, want)
				}
			}
			// BITPOS with an explicit end
			for bit := 0; bit <= 1; bit++ {
				want := int64(-1)
				for i := first; i <= last && s <= e; i++ {
					if bitAt(i) == bit {
						want = i
						break
					}
				}
				if !ranged && bit == 0 && want == -1 && s <= e {
					want = total // the zeros after the value
				}
				if got := ks.BitPos(key, bit, ranged, start, end, ranged, bitUnit); got != want {
					t.Fatalf("BITPOS %x %d %d %d bit=%v ranged=%v: %d, want %d", v, bit, start, end, bitUnit, ranged, got, want)
				}
			}
		}
	}
}
