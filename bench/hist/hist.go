// Package hist is a small log-linear latency histogram (in the spirit of
// HdrHistogram): values below 128 are counted exactly, larger values fall into
// one of 64 equal-width sub-buckets per power of two, so a reported percentile
// is at most 1/64 (~1.6%) above the true value. Recording is O(1) with no
// allocation; a Hist is not safe for concurrent use (keep one per goroutine
// and Merge them).
package hist

import (
	"math"
	"math/bits"
)

const (
	subBits  = 6
	subCount = 1 << subBits // sub-buckets per power of two
	// A uint64 has at most 64-subBits-1 shifts, so this covers every value.
	numBuckets = (64-subBits-1)*subCount + 2*subCount
)

// Hist counts values (e.g. latencies in nanoseconds).
type Hist struct {
	counts [numBuckets]uint64
	total  uint64
	sum    float64
	min    uint64
	max    uint64
}

// New returns an empty histogram.
func New() *Hist { return &Hist{min: math.MaxUint64} }

// shiftOf is how many low bits of v a bucket ignores.
func shiftOf(v uint64) uint {
	n := bits.Len64(v)
	if n <= subBits+1 {
		return 0
	}
	return uint(n - subBits - 1)
}

// index maps v to its bucket: v itself below 2*subCount, then subCount
// buckets for each further power of two.
func index(v uint64) int {
	s := shiftOf(v)
	return int(s)*subCount + int(v>>s)
}

// bucketRange is the smallest and the largest value counted in bucket i.
func bucketRange(i int) (lo, hi uint64) {
	if i < 2*subCount {
		return uint64(i), uint64(i)
	}
	s := uint(i/subCount - 1)
	m := uint64(i%subCount + subCount)
	lo = m << s
	return lo, lo + (1 << s) - 1
}

// Record counts one value.
func (h *Hist) Record(v uint64) {
	h.counts[index(v)]++
	h.total++
	h.sum += float64(v)
	if v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
}

// Merge adds o's counts to h.
func (h *Hist) Merge(o *Hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.sum += o.sum
	if o.total > 0 {
		h.min = min(h.min, o.min)
		h.max = max(h.max, o.max)
	}
}

// Count is the number of recorded values.
func (h *Hist) Count() uint64 { return h.total }

// Min is the smallest recorded value (0 when empty).
func (h *Hist) Min() uint64 {
	if h.total == 0 {
		return 0
	}
	return h.min
}

// Max is the largest recorded value.
func (h *Hist) Max() uint64 { return h.max }

// Mean is the exact mean of the recorded values.
func (h *Hist) Mean() float64 {
	if h.total == 0 {
		return 0
	}
	return h.sum / float64(h.total)
}

// Quantile returns the value at quantile q (0..1): the upper end of the
// bucket holding the ceil(q*count)-th smallest value, clamped to
// [Min, Max]. So Quantile(0.5) of 1..100 is 50 and the result is never
// below the true value and at most 1/64 above it.
func (h *Hist) Quantile(q float64) uint64 {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	rank = max(rank, 1)
	rank = min(rank, h.total)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := bucketRange(i)
			return min(max(hi, h.min), h.max)
		}
	}
	return h.max
}
