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

// BenchmarkZSetPopMin pops the lowest member of a 1M-member sorted set, as
// ZPOPMIN does (the set shrinks; b.N is capped by its size).
func BenchmarkZSetPopMin(b *testing.B) {
	z := NewZSetSized(1_000_000, 16)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1_000_000; i++ { // random scores: pops hit members all over the dict
		z.Set([]byte(fmt.Sprintf("m:%012d", i)), float64(r.IntN(1_000_000_000)))
	}
	b.ResetTimer()
	for i := 0; i < b.N && z.Len() > 0; i++ {
		z.PopMin(1, false)
	}
}

// BenchmarkZSetAddRandom updates members of a 100k-member sorted set to
// random scores, as redis-benchmark's ZADD does.
func BenchmarkZSetAddRandom(b *testing.B) {
	z, ms := bigZSet(100_000)
	r := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z.Set(ms[r.IntN(len(ms))], float64(r.IntN(1_000_000)))
	}
}

// BenchmarkSetPop pops random members of a 1M-member set, as SPOP does.
func BenchmarkSetPop(b *testing.B) {
	s := NewSet([]byte("x"))
	for i := 0; i < 1_000_000; i++ {
		s.Add([]byte(fmt.Sprintf("member:%08d", i)))
	}
	b.ResetTimer()
	for i := 0; i < b.N && s.Len() > 0; i++ {
		s.Pop(1)
	}
}

// BenchmarkSetPopOne is BenchmarkSetPop through PopOne, SPOP's path for
// one member: the pick's probe finds the slot the delete needs.
func BenchmarkSetPopOne(b *testing.B) {
	s := NewSet([]byte("x"))
	for i := 0; i < 1_000_000; i++ {
		s.Add([]byte(fmt.Sprintf("member:%08d", i)))
	}
	n := 0
	b.ResetTimer()
	for i := 0; i < b.N && s.Len() > 0; i++ {
		s.PopOne(func(m []byte) { n += len(m) })
	}
}

// BenchmarkZSetReadThenSet: ZADD's read of a member's score and its write,
// as two lookups (Score, then Set) and as one (Find, then SetRef), on a
// sorted set of 100,000 members, random members, random scores.
func BenchmarkZSetReadThenSet(b *testing.B) {
	const n = 100000
	members := make([][]byte, n)
	for i := range members {
		members[i] = fmt.Appendf(nil, "element:%d", i)
	}
	for _, way := range []string{"score-then-set", "find-then-setref"} {
		b.Run(way, func(b *testing.B) {
			z := NewZSetSized(n, 1)
			r := rand.New(rand.NewPCG(1, 2))
			for _, m := range members {
				z.Set(m, float64(r.IntN(n)))
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m, s := members[r.IntN(n)], float64(r.IntN(n))
				if way == "score-then-set" {
					if cur, ok := z.Score(m); !ok || cur != s {
						z.Set(m, s)
					}
				} else {
					if cur, ok, ref := z.Find(m); !ok || cur != s {
						z.SetRef(ref, m, s)
					}
				}
			}
		})
	}
}

// redis-benchmark's loads: ZADD myzset <random score> element:<random>
// (12-digit numbers below 1M) into one set that grows to ~100k members,
// then ZPOPMIN of it to empty. Each rebuilds its set every 100k ops,
// outside the timer.
func benchMembers(n int) ([][]byte, []float64) {
	r := rand.New(rand.NewPCG(3, 4))
	ms := make([][]byte, n)
	ss := make([]float64, n)
	for i := range ms {
		ms[i] = fmt.Appendf(nil, "element:%012d", r.IntN(1_000_000))
		ss[i] = float64(r.IntN(1_000_000))
	}
	return ms, ss
}

func BenchmarkZSetGrow100k(b *testing.B) {
	const n = 100_000
	ms, ss := benchMembers(n)
	var z *ZSet
	for i := 0; i < b.N; i++ {
		if i%n == 0 {
			b.StopTimer()
			z = NewZSet(ms[0])
			for j := 0; j < 200; j++ {
				z.Set(ms[j], ss[j])
			}
			b.StartTimer()
		}
		m, s := ms[i%n], ss[i%n]
		if cur, ok, ref := z.Find(m); !ok || cur != s {
			z.SetRef(ref, m, s)
		}
	}
}

func BenchmarkZSetPopMin100k(b *testing.B) {
	const n = 100_000
	ms, ss := benchMembers(n)
	var z *ZSet
	for i := 0; i < b.N; i++ {
		if z == nil || z.Len() == 0 {
			b.StopTimer()
			z = NewZSet(ms[0])
			for j := range ms {
				z.Set(ms[j], ss[j])
			}
			b.StartTimer()
		}
		z.PopMin(1, false)
	}
}
