package object

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Hot paths of the large sorted set (dict + counted B+tree) and set.

func bigZSet(n int) (*ZSet, [][]byte) {
	z := NewZSetSized(n, 16)
	ms := make([][]byte, n)
	for i := range ms {
		ms[i] = []byte(fmt.Sprintf("m:%012d", i))
		z.Set(ms[i], float64(i))
	}
	return z, ms
}

func BenchmarkZSet1M(b *testing.B) {
	z, ms := bigZSet(1_000_000)
	r := rand.New(rand.NewPCG(1, 2))
	b.Run("ZADD-update", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			z.Set(ms[r.IntN(len(ms))], float64(r.IntN(1_000_000)))
		}
	})
	b.Run("ZRANK", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			z.Rank(ms[r.IntN(len(ms))])
		}
	})
	b.Run("ZSCORE", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			z.Score(ms[r.IntN(len(ms))])
		}
	})
	b.Run("walk-100", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			n := 0
			z.Walk(r.IntN(len(ms)-100), false, func([]byte, float64) bool { n++; return n < 100 })
		}
	})
	b.Run("score-bound", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			bound := float64(r.IntN(1_000_000))
			z.CountWhile(func(s float64, _ []byte) bool { return s < bound })
		}
	})
}

func BenchmarkSetAddRemove(b *testing.B) {
	s := NewSet([]byte("x"))
	ms := make([][]byte, 1<<16)
	for i := range ms {
		ms[i] = []byte(fmt.Sprintf("member:%08d", i))
	}
	for i := 0; i < b.N; i++ {
		m := ms[i&(1<<16-1)]
		if !s.Add(m) {
			s.Remove(m)
		}
	}
}
