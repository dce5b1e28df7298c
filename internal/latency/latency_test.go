package latency

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBucketBounds(t *testing.T) {
	// Every value lands in a bucket whose bounds contain it, within 1/16.
	for _, d := range []time.Duration{0, 1, 127, 128, 129, 500, 1000, 1023, 1024, 1025, 1500,
		time.Microsecond * 7, time.Millisecond, 3*time.Millisecond + 17, time.Second, time.Minute, time.Hour} {
		i := index(d)
		if i < 0 || i >= numBuckets {
			t.Fatalf("index(%v) = %d out of range", d, i)
		}
		if i == 0 || i == numBuckets-1 {
			continue
		}
		lo := upper(i - 1)
		hi := upper(i)
		if uint64(d) < lo || uint64(d) >= hi {
			t.Errorf("%v (%d ns) in bucket %d = [%d, %d)", d, int64(d), i, lo, hi)
		}
		if float64(hi-lo) > float64(d)/16+1 {
			t.Errorf("bucket of %v is %d ns wide, more than 1/16", d, hi-lo)
		}
	}
	// Bounds increase.
	for i := 1; i < numBuckets; i++ {
		if upper(i) <= upper(i-1) {
			t.Fatalf("upper(%d)=%d <= upper(%d)=%d", i, upper(i), i-1, upper(i-1))
		}
	}
}

func TestPercentiles(t *testing.T) {
	var h Histogram
	for i := 1; i <= 1000; i++ {
		h.Observe(time.Duration(i) * time.Microsecond)
	}
	s := h.Snapshot()
	if s.Count() != 1000 {
		t.Fatalf("count %d", s.Count())
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 500 * time.Microsecond}, {99, 990 * time.Microsecond}, {99.9, 999 * time.Microsecond}, {100, 1000 * time.Microsecond}} {
		got := s.Percentile(c.p)
		if got < c.want || float64(got) > float64(c.want)*1.07 {
			t.Errorf("p%v = %v, want %v within 7%%", c.p, got, c.want)
		}
	}
	var empty Histogram
	if p := empty.Snapshot().Percentile(50); p != 0 {
		t.Errorf("empty p50 = %v", p)
	}
}

func TestBucketsAndCumulative(t *testing.T) {
	var h Histogram
	h.Observe(300 * time.Nanosecond) // below 512 ns
	h.Observe(900 * time.Nanosecond) // below 1024 ns
	h.Observe(3 * time.Microsecond)  // below 4096 ns
	h.Observe(2 * time.Minute)       // overflow
	s := h.Snapshot()
	b := s.Buckets()
	if len(b) != len(PromExps) {
		t.Fatalf("%d buckets", len(b))
	}
	for le, want := range map[float64]uint64{256e-9: 0, 512e-9: 1, 1024e-9: 2, 2048e-9: 2, 4096e-9: 3, float64(uint64(1)<<33) / 1e9: 3} {
		if b[le] != want {
			t.Errorf("bucket le=%g: %d, want %d", le, b[le], want)
		}
	}
	usec, count := s.Cumulative()
	// Redis's labels: 1 (<=1024 ns), 2, 4, ... ; only where the count grew,
	// and the last point holds everything.
	if usec[0] != 1 || count[0] != 2 || usec[1] != 4 || count[1] != 3 || count[len(count)-1] != 4 {
		t.Errorf("cumulative %v %v", usec, count)
	}
	for i := 1; i < len(count); i++ {
		if count[i] <= count[i-1] || usec[i] <= usec[i-1] {
			t.Fatalf("not increasing: %v %v", usec, count)
		}
	}
	// The labels of the powers of two are Redis's: 1, 2, 4, 8, 16, 33, 66, 132.
	var all Histogram
	for e := 9; e <= 17; e++ {
		all.Observe(time.Duration(1) << e)
	}
	u, _ := all.Snapshot().Cumulative()
	if got := strings.Trim(strings.Join(strings.Fields(strings.Trim(fmtInts(u), "[]")), ","), ","); got != "1,2,4,8,16,33,66,132,264" {
		t.Errorf("labels %s", got)
	}
	var empty Histogram
	if u, c := empty.Snapshot().Cumulative(); len(u) != 0 || len(c) != 0 {
		t.Errorf("empty: %v %v", u, c)
	}
}

func fmtInts(v []int64) string {
	var b strings.Builder
	for _, x := range v {
		b.WriteString(itoa(x))
		b.WriteByte(' ')
	}
	return b.String()
}

func TestHistogramConcurrent(t *testing.T) {
	var h Histogram
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10000; i++ {
				h.Observe(time.Duration(i) * time.Nanosecond)
			}
		}()
	}
	wg.Wait()
	if n := h.Snapshot().Count(); n != 40000 {
		t.Fatalf("count %d", n)
	}
	h.Reset()
	if n := h.Snapshot().Count(); n != 0 {
		t.Fatalf("after reset %d", n)
	}
}

func TestMonitor(t *testing.T) {
	m := NewMonitor()
	clock := time.Unix(1000, 0)
	m.now = func() time.Time { return clock }
	m.Note(EventCommand, time.Second) // off: nothing
	if len(m.Latest()) != 0 {
		t.Fatal("recorded while off")
	}
	m.SetThreshold(10)
	m.Note(EventCommand, 5*time.Millisecond) // under the threshold
	m.Note(EventCommand, 12*time.Millisecond)
	m.Note(EventCommand, 30*time.Millisecond) // same second: keeps the higher
	m.Note(EventCommand, 11*time.Millisecond)
	clock = clock.Add(2 * time.Second)
	m.Note(EventCommand, 20*time.Millisecond)
	m.Note(EventFsync, 15*time.Millisecond)
	l := m.Latest()
	if len(l) != 2 || l[0] != (Latest{EventCommand, 1002, 20, 30}) || l[1] != (Latest{EventFsync, 1002, 15, 15}) {
		t.Fatalf("latest %+v", l)
	}
	h, ok := m.History(EventCommand)
	if !ok || len(h) != 2 || h[0] != (Sample{1000, 30}) || h[1] != (Sample{1002, 20}) {
		t.Fatalf("history %+v", h)
	}
	if _, ok := m.History("nope"); ok {
		t.Fatal("history of an unknown event")
	}
	st := m.Analyze()
	if st[0].Samples != 2 || st[0].Avg != 25 || st[0].MAD != 5 || st[0].Period != 2 || st[0].AllTimeHigh != 30 {
		t.Fatalf("stats %+v", st[0])
	}
	// The series is a ring of 160 seconds.
	for i := 0; i < 200; i++ {
		clock = clock.Add(time.Second)
		m.Add(EventFsync, int64(i))
	}
	h, _ = m.History(EventFsync)
	if len(h) != seriesLen || h[0].Latency != 40 || h[len(h)-1].Latency != 199 {
		t.Fatalf("ring: %d samples, first %v last %v", len(h), h[0], h[len(h)-1])
	}
	if n := m.Reset("COMMAND", "none"); n != 1 {
		t.Fatalf("reset %d", n)
	}
	if n := m.Reset(); n != 1 {
		t.Fatalf("reset all %d", n)
	}
	var nilMon *Monitor
	nilMon.Note(EventFsync, time.Hour) // must not panic
}

func TestGraph(t *testing.T) {
	m := NewMonitor()
	clock := time.Unix(5000, 0)
	m.now = func() time.Time { return clock }
	for _, v := range []int64{10, 40, 20, 80} {
		m.Add(EventCommand, v)
		clock = clock.Add(time.Second)
	}
	clock = clock.Add(10 * time.Second)
	g, ok := m.Graph(EventCommand)
	if !ok {
		t.Fatal("no graph")
	}
	want := "command - high 80 ms, low 10 ms (all time high 80 ms)\n" +
		strings.Repeat("-", 80) + "\n" +
		"   #\n" +
		"   |\n" +
		" # |\n" +
		"_|o|\n" +
		"    \n" +
		"1111\n" +
		"4321\n" +
		"ssss\n"
	if g != want {
		t.Errorf("graph:\n%q\nwant\n%q", g, want)
	}
	if _, ok := m.Graph("nothing"); ok {
		t.Error("graph of an unknown event")
	}
}

// BenchmarkObserve: the data path's cost of latency-tracking per command.
func BenchmarkObserve(b *testing.B) {
	var h Histogram
	for i := 0; i < b.N; i++ {
		h.Observe(time.Duration(i&0xffff) * 17)
	}
}

// BenchmarkObserveParallel: the same from every core on one histogram.
func BenchmarkObserveParallel(b *testing.B) {
	var h Histogram
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			h.Observe(time.Duration(i&0xffff) * 17)
			i++
		}
	})
}
