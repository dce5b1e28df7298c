package cache

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// BenchmarkPipelineGet times a batch of 16 GETs of random keys among
// 1,000,000, as a -P16 pipeline runs them, with and without Prefetch first
// (ns/op is per batch). The gap is what overlapping the batch's cache misses
// buys without the network around it.
func BenchmarkPipelineGet(b *testing.B) {
	const n, batch = 1_000_000, 16
	c := New(Options{Shards: 16})
	b.Cleanup(c.Close)
	ks := c.Keyspace()
	keys := make([][]byte, n)
	val := make([]byte, 64)
	for i := range keys {
		keys[i] = []byte("key:" + strconv.Itoa(i))
		ks.Set(keys[i], val, SetOptions{}, nil)
	}
	for _, prefetch := range []bool{false, true} {
		name := "plain"
		if prefetch {
			name = "prefetch"
		}
		b.Run(name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			pick := make([][]byte, batch)
			hs := make([]uint64, batch)
			dst := make([]byte, 0, 128)
			for b.Loop() {
				for j := range pick {
					pick[j] = keys[rng.IntN(n)]
				}
				if prefetch {
					c.Prefetch(pick, nil, hs)
				}
				for _, k := range pick {
					if _, ok := ks.Get(k, dst[:0]); !ok {
						b.Fatal("missing key")
					}
				}
			}
		})
	}
}
