package main

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Ranks 0 and 1 are exact in the Gray et al. generator; beyond them it
// approximates the tail (rank 2 is ~18% high at n=10^4), so the test checks
// those two and the mass of the top 10% of ranks.
func TestZipfianFrequencies(t *testing.T) {
	const n, draws, theta = 10000, 2000000, 0.99
	z := newZipfian(n, theta, 1)
	r := rand.New(rand.NewPCG(7, 8))
	counts := make([]int, n)
	for i := 0; i < draws; i++ {
		k := z.rank(r.Float64())
		if k < 0 || k >= n {
			t.Fatalf("rank %d out of range", k)
		}
		counts[k]++
	}
	for _, i := range []int{0, 1} {
		want := 1 / math.Pow(float64(i+1), theta) / z.zetan
		got := float64(counts[i]) / draws
		if math.Abs(got-want)/want > 0.1 {
			t.Errorf("rank %d: frequency %.5f, want %.5f", i, got, want)
		}
	}
	// Share of draws in the top 10% of ranks, against the exact value.
	top, exact := 0, 0.0
	for i := 0; i < n/10; i++ {
		top += counts[i]
		exact += 1 / math.Pow(float64(i+1), theta)
	}
	exact /= z.zetan
	if got := float64(top) / draws; math.Abs(got-exact) > 0.03 {
		t.Errorf("top 10%% share %.3f, want %.3f", got, exact)
	} else {
		t.Logf("top 10%% share %.3f, exact %.3f", got, exact)
	}
	// The permutation is a permutation.
	seen := make([]bool, n)
	for _, p := range z.perm {
		if seen[p] {
			t.Fatalf("perm repeats %d", p)
		}
		seen[p] = true
	}
}
