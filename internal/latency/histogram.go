// Package latency owns fastcache's latency bookkeeping: a fixed-bucket
// histogram of durations cheap enough for every command (one atomic add per
// observation, no lock, no allocation), and the LATENCY monitor's event
// series (latency-monitor-threshold, LATENCY LATEST/HISTORY). Both are read
// by INFO, the LATENCY command and the Prometheus collector.
package latency

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// The histogram is log-linear, like HdrHistogram: each power of two of
// nanoseconds is split into subCount equal buckets, so a value is known to
// within 1/subCount (6%) and the bucket is found with a bit length and a
// shift (no division, no search). Durations below 2^minExp ns share the
// first bucket; from 2^maxExp ns (~68.7 s) on they share the last.
const (
	subBits    = 4
	subCount   = 1 << subBits
	minExp     = 7  // 128 ns
	maxExp     = 36 // 68.7 s
	numBuckets = (maxExp-minExp)*subCount + 1
)

// Histogram counts durations. The zero value is ready; it is safe for
// concurrent use.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
}

// index is the bucket of d.
func index(d time.Duration) int {
	if d < 1<<minExp {
		return 0
	}
	v := uint64(d)
	e := bits.Len64(v) - 1
	if e >= maxExp {
		return numBuckets - 1
	}
	return (e-minExp)<<subBits | int(v>>(e-subBits))&(subCount-1)
}

// upper is the exclusive upper bound of bucket i in ns (the last bucket
// has none: MaxInt64).
func upper(i int) uint64 {
	if i >= numBuckets-1 {
		return 1<<63 - 1
	}
	e := minExp + i>>subBits
	s := uint64(i&(subCount-1)) + 1
	return 1<<e + s<<(e-subBits)
}

// Observe counts one duration.
func (h *Histogram) Observe(d time.Duration) { h.counts[index(d)].Add(1) }

// Reset zeroes the histogram (CONFIG RESETSTAT).
func (h *Histogram) Reset() {
	for i := range h.counts {
		h.counts[i].Store(0)
	}
}

// Snapshot copies the counts (concurrent observations may or may not be
// in it).
func (h *Histogram) Snapshot() *Snapshot {
	s := &Snapshot{}
	for i := range h.counts {
		n := h.counts[i].Load()
		s.counts[i] = n
		s.total += n
	}
	return s
}

// Snapshot is a copy of a Histogram's counts.
type Snapshot struct {
	counts [numBuckets]uint64
	total  uint64
}

// Count is the number of observations.
func (s *Snapshot) Count() uint64 { return s.total }

// Percentile is the duration below which p percent (0..100) of the
// observations fall, as HdrHistogram's value_at_percentile reports it: the
// highest value of the bucket where the rank lands. 0 when empty.
func (s *Snapshot) Percentile(p float64) time.Duration {
	if s.total == 0 {
		return 0
	}
	if p <= 0 { // the lowest value seen, as HdrHistogram answers for p0
		for i, n := range s.counts {
			if n > 0 {
				if i == 0 {
					return 0
				}
				return time.Duration(upper(i - 1))
			}
		}
	}
	rank := uint64(p/100*float64(s.total) + 0.5)
	rank = max(rank, 1)
	var cum uint64
	for i, n := range s.counts {
		cum += n
		if cum >= rank {
			if i == numBuckets-1 {
				return time.Duration(1) << maxExp
			}
			return time.Duration(upper(i) - 1)
		}
	}
	return time.Duration(1) << maxExp
}

// Sum estimates the total of the observations from the buckets (each
// counted at its bucket's middle, within 3%): the exact sum would cost the
// data path another atomic add per observation.
func (s *Snapshot) Sum() time.Duration {
	var sum float64
	for i, n := range s.counts {
		if n == 0 {
			continue
		}
		var mid float64
		switch i {
		case 0:
			mid = float64(upper(0)) / 2
		case numBuckets - 1:
			mid = float64(uint64(1) << maxExp)
		default:
			mid = (float64(upper(i-1)) + float64(upper(i))) / 2
		}
		sum += mid * float64(n)
	}
	return time.Duration(sum)
}

// Below is the number of observations shorter than 2^exp ns (exact when
// exp is between minExp and maxExp; everything above maxExp).
func (s *Snapshot) Below(exp int) uint64 {
	if exp > maxExp {
		return s.total
	}
	if exp <= minExp {
		return 0
	}
	var cum uint64
	for i := 0; i < (exp-minExp)<<subBits; i++ {
		cum += s.counts[i]
	}
	return cum
}

// PromExps are the powers of two of nanoseconds that bound the buckets
// exposed to Prometheus: 256 ns to ~8.6 s, doubling.
var PromExps = func() []int {
	var e []int
	for x := 8; x <= 33; x++ {
		e = append(e, x)
	}
	return e
}()

// Buckets returns the cumulative counts at each bound of PromExps, keyed by
// the bound in seconds (client_golang's const histogram form).
func (s *Snapshot) Buckets() map[float64]uint64 {
	out := make(map[float64]uint64, len(PromExps))
	var cum uint64
	i := 0
	for _, e := range PromExps {
		for ; i < (e-minExp)<<subBits; i++ {
			cum += s.counts[i]
		}
		out[float64(uint64(1)<<e)/1e9] = cum
	}
	return out
}

// Cumulative is the CDF LATENCY HISTOGRAM prints, as Redis 7 derives it
// from its HdrHistogram (log iteration from 1024 ns, doubling): one point
// per power of two from 2^10 ns whose cumulative count grew, labelled in
// microseconds the way Redis labels them (1, 2, 4, 8, 16, 33, 66, 132, ...).
func (s *Snapshot) Cumulative() (usec []int64, count []uint64) {
	var prev uint64
	for e := 10; ; e++ {
		cum := s.Below(e)
		if cum > prev {
			// HdrHistogram (2 significant digits) reports the highest value
			// equivalent to 2^e: 2^e + 2^(e-7) - 1 ns.
			usec = append(usec, int64((uint64(1)<<e+uint64(1)<<(e-7)-1)/1000))
			count = append(count, cum)
			prev = cum
		}
		if cum >= s.total {
			return usec, count
		}
	}
}
