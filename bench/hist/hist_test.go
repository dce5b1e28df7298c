package hist

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBucketsCoverEveryValue(t *testing.T) {
	// Every value lands in a bucket whose range contains it, and the
	// ranges are contiguous and increasing.
	var prevHi uint64
	for i := 0; i < numBuckets; i++ {
		lo, hi := bucketRange(i)
		if i > 0 && lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", i, lo, prevHi)
		}
		if index(lo) != i || index(hi) != i {
			t.Fatalf("bucket %d [%d,%d]: index(lo)=%d index(hi)=%d", i, lo, hi, index(lo), index(hi))
		}
		if lo >= 2*subCount && float64(hi-lo+1)/float64(lo) > 1.0/subCount+1e-12 {
			t.Fatalf("bucket %d [%d,%d] wider than 1/%d of its value", i, lo, hi, subCount)
		}
		prevHi = hi
		if hi == ^uint64(0) {
			return
		}
	}
	t.Fatalf("buckets end at %d, not at MaxUint64", prevHi)
}

func TestQuantileExactForSmallValues(t *testing.T) {
	h := New()
	for v := uint64(1); v <= 100; v++ {
		h.Record(v)
	}
	for _, c := range []struct {
		q    float64
		want uint64
	}{{0, 1}, {0.01, 1}, {0.5, 50}, {0.99, 99}, {0.999, 100}, {1, 100}} {
		if got := h.Quantile(c.q); got != c.want {
			t.Errorf("Quantile(%v) = %d, want %d", c.q, got, c.want)
		}
	}
	if h.Mean() != 50.5 || h.Min() != 1 || h.Max() != 100 || h.Count() != 100 {
		t.Errorf("mean/min/max/count = %v/%d/%d/%d", h.Mean(), h.Min(), h.Max(), h.Count())
	}
}

func TestQuantileTail(t *testing.T) {
	// 9990 fast requests and 10 slow ones: p99.9 is still fast, p99.95 slow.
	h := New()
	for i := 0; i < 9990; i++ {
		h.Record(100_000) // 100 µs
	}
	for i := 0; i < 10; i++ {
		h.Record(50_000_000) // 50 ms
	}
	if got := h.Quantile(0.999); got < 100_000 || got > 100_000+100_000/subCount {
		t.Errorf("p99.9 = %d, want ~100000", got)
	}
	if got := h.Quantile(0.9995); got != 50_000_000 { // clamped to max
		t.Errorf("p99.95 = %d, want 50000000", got)
	}
}

func TestQuantileRelativeErrorAgainstSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a, b := New(), New()
	var all []uint64
	for i := 0; i < 200_000; i++ {
		v := uint64(r.ExpFloat64()*300_000) + 20_000 // ns, long tail
		all = append(all, v)
		if i%2 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	a.Merge(b)
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := all[int(q*float64(len(all))+0.999999)-1]
		got := a.Quantile(q)
		if got < exact || float64(got-exact) > float64(exact)/subCount {
			t.Errorf("q=%v: got %d, exact %d", q, got, exact)
		}
	}
	if a.Count() != uint64(len(all)) || a.Min() != all[0] || a.Max() != all[len(all)-1] {
		t.Errorf("merged count/min/max wrong")
	}
}

func TestEmpty(t *testing.T) {
	h := New()
	if h.Quantile(0.99) != 0 || h.Mean() != 0 || h.Min() != 0 || h.Max() != 0 {
		t.Fatal("empty histogram should report zeros")
	}
	h.Merge(New())
	if h.Count() != 0 || h.Min() != 0 {
		t.Fatal("merging empty changed h")
	}
}
