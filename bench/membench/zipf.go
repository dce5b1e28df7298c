package main

import (
	"math"
	"math/rand/v2"
)

// zipfian draws ranks 0..n-1 with P(rank i) proportional to 1/(i+1)^theta,
// for any theta in (0,1) — math/rand's Zipf needs s > 1. This is the
// generator of Gray et al., "Quickly Generating Billion-Record Synthetic
// Databases" (SIGMOD 1994), as used by YCSB's ZipfianGenerator. Ranks are
// mapped to key ids through a fixed random permutation (YCSB "scrambled"
// zipfian) so the hot keys are spread over the keyspace instead of being
// key:000000000000, key:000000000001, ...
type zipfian struct {
	n                        int
	theta, alpha, zetan, eta float64
	zeta2, halfPowTheta      float64
	perm                     []int32 // rank -> key id
}

func zeta(n int, theta float64) float64 {
	s := 0.0
	for i := 1; i <= n; i++ {
		s += 1 / math.Pow(float64(i), theta)
	}
	return s
}

func newZipfian(n int, theta float64, seed uint64) *zipfian {
	z := &zipfian{n: n, theta: theta}
	z.zetan = zeta(n, theta)
	z.zeta2 = zeta(2, theta)
	z.alpha = 1 / (1 - theta)
	z.eta = (1 - math.Pow(2/float64(n), 1-theta)) / (1 - z.zeta2/z.zetan)
	z.halfPowTheta = 1 + math.Pow(0.5, theta)
	r := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	z.perm = make([]int32, n)
	for i := range z.perm {
		z.perm[i] = int32(i)
	}
	r.Shuffle(n, func(i, j int) { z.perm[i], z.perm[j] = z.perm[j], z.perm[i] })
	return z
}

// rank draws a rank (0 = most popular) from uniform u in [0,1).
func (z *zipfian) rank(u float64) int {
	uz := u * z.zetan
	if uz < 1 {
		return 0
	}
	if uz < z.halfPowTheta {
		return 1
	}
	k := int(float64(z.n) * math.Pow(z.eta*u-z.eta+1, z.alpha))
	if k >= z.n {
		k = z.n - 1
	}
	return k
}

// next draws a key id using r (one *rand.Rand per goroutine).
func (z *zipfian) next(r *rand.Rand) int { return int(z.perm[z.rank(r.Float64())]) }
