package cache

import (
	"runtime/debug"
	"strconv"
	"testing"
)

// BenchmarkPFAdd: one element per PFADD to 10000 small (sparse) keys, and
// to one dense key; PFCOUNT of one key (cache valid) and of two dense keys.
func BenchmarkPFAdd(b *testing.B) {
	c := New(Options{Shards: 8})
	k := c.Keyspace()
	keys := make([][]byte, 10000)
	for i := range keys {
		keys[i] = []byte("hll:" + strconv.Itoa(i))
	}
	el := func(i int) [][]byte { return [][]byte{[]byte("e:" + strconv.Itoa(i*7919))} }
	b.Run("sparse", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			k.PFAdd(keys[i%len(keys)], el(i))
		}
	})
	// one PFADD of 1,000 elements into a new key (it stays sparse): each
	// element splits a run of the sparse value. At the server's GOGC (25,
	// cmd/fastcache) on its small heap, garbage per element is what costs.
	many := make([][]byte, 1000)
	for i := range many {
		many[i] = []byte("m:" + strconv.Itoa(i*104729))
	}
	b.Run("sparse1000", func(b *testing.B) {
		defer debug.SetGCPercent(debug.SetGCPercent(25))
		for i := 0; i < b.N; i++ {
			k.PFAdd([]byte("many:"+strconv.Itoa(i%64)), many)
			k.Del([][]byte{[]byte("many:" + strconv.Itoa(i%64))})
		}
	})
	b.Run("dense", func(b *testing.B) {
		for i := 0; i < 5000; i++ {
			k.PFAdd([]byte("dense"), el(i))
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			k.PFAdd([]byte("dense"), el(i+5000))
		}
	})
	b.Run("count", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			k.PFCount(keys[i%len(keys) : i%len(keys)+1])
		}
	})
	b.Run("count2dense", func(b *testing.B) {
		k.PFMerge([]byte("dense2"), [][]byte{[]byte("dense")})
		k.PFAdd([]byte("dense2"), el(-1))
		two := [][]byte{[]byte("dense"), []byte("dense2")}
		for i := 0; i < b.N; i++ {
			k.PFCount(two)
		}
	})
	b.Run("merge2dense", func(b *testing.B) {
		src := [][]byte{[]byte("dense"), []byte("dense2")}
		for i := 0; i < b.N; i++ {
			k.PFMerge([]byte("m"), src)
		}
	})
}
