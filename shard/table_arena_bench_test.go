package shard

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"
)

// benchKeys returns n keys "key:%012d" (16 bytes), as the memory anchor uses.
func benchKeys(n int) [][]byte {
	keys := make([][]byte, n)
	buf := make([]byte, 0, 16*n)
	for i := range keys {
		s := len(buf)
		buf = fmt.Appendf(buf, "key:%012d", i)
		keys[i] = buf[s:len(buf):len(buf)]
	}
	return keys
}

var value32 = []byte("0123456789abcdef0123456789abcdef")

func filledArena(keys [][]byte) *ArenaTable {
	a := NewArenaTable()
	for _, k := range keys {
		a.Put(k, value32, 0, 0)
	}
	return a
}

func BenchmarkArenaGet(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		keys := benchKeys(n)
		a := filledArena(keys)
		// Look keys up in random order, not in insertion (= arena) order.
		rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		b.Run(fmt.Sprintf("hit/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, ok := a.Get(keys[i%n]); !ok {
					b.Fatal("miss")
				}
			}
		})
		miss := benchKeys(2 * n)[n:]
		b.Run(fmt.Sprintf("miss/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, ok := a.Get(miss[i%n]); ok {
					b.Fatal("hit")
				}
			}
		})
		m := make(map[string][]byte, n)
		for _, k := range keys {
			m[string(k)] = slices.Clone(value32)
		}
		b.Run(fmt.Sprintf("gomap-hit/%d", n), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, ok := m[string(keys[i%n])]; !ok {
					b.Fatal("miss")
				}
			}
		})
		// Each lookup's key depends on the previous result, so misses do
		// not overlap: latency, as a server sees it, rather than throughput.
		b.Run(fmt.Sprintf("hit-dependent/%d", n), func(b *testing.B) {
			j := 0
			for i := 0; b.Loop(); i++ {
				e, _ := a.Get(keys[j])
				j = (i*7919 + int(e.Value[0]) - '0') % n
			}
		})
		b.Run(fmt.Sprintf("gomap-hit-dependent/%d", n), func(b *testing.B) {
			j := 0
			for i := 0; b.Loop(); i++ {
				v := m[string(keys[j])]
				j = (i*7919 + int(v[0]) - '0') % n
			}
		})
	}
}

func BenchmarkArenaPut(b *testing.B) {
	const n = 1_000_000
	keys := benchKeys(n)
	b.Run("new", func(b *testing.B) {
		b.ReportAllocs()
		a := NewArenaTable()
		for i := 0; b.Loop(); i++ {
			if i%n == 0 && i > 0 {
				a.Clear()
			}
			a.Put(keys[i%n], value32, 0, 0)
		}
	})
	a := filledArena(keys[:100_000])
	b.Run("overwrite-same-size", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			a.Put(keys[i%100_000], value32, 0, uint32(i))
		}
	})
	b.Run("overwrite-other-size", func(b *testing.B) {
		// Alternating sizes: in place when smaller, relocated when bigger,
		// so dead bytes accrue and compaction runs.
		b.ReportAllocs()
		v := make([]byte, 64)
		for i := 0; b.Loop(); i++ {
			a.Put(keys[i%100_000], v[:16+i%48], 0, 0)
		}
	})
	b.Run("set-expire", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			a.SetExpire(keys[i%100_000], int64(i&1)*int64(i))
		}
	})
	b.Run("gomap-new", func(b *testing.B) {
		m := make(map[string][]byte)
		for i := 0; b.Loop(); i++ {
			if i%n == 0 && i > 0 {
				m = make(map[string][]byte)
			}
			m[string(keys[i%n])] = slices.Clone(value32)
		}
	})
}

func BenchmarkArenaDelete(b *testing.B) {
	const n = 100_000
	keys := benchKeys(n)
	a := filledArena(keys)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := keys[i%n]
		if !a.Delete(k) {
			b.Fatal("missing")
		}
		a.Put(k, value32, 0, 0) // keep the table at n keys
	}
}

func BenchmarkArenaSample(b *testing.B) {
	keys := benchKeys(100_000)
	a := filledArena(keys)
	for i := 0; i < 1000; i++ {
		a.SetExpire(keys[i*100], 1)
	}
	for _, vol := range []bool{false, true} {
		b.Run(fmt.Sprint("volatile=", vol), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a.Sample(20, vol, func([]byte, Entry) {})
			}
		})
	}
}

func BenchmarkArenaClone(b *testing.B) {
	a := filledArena(benchKeys(100_000))
	b.ReportAllocs()
	b.SetBytes(a.Bytes())
	for b.Loop() {
		_ = a.Clone()
	}
}

// heapInuse returns HeapInuse after a full collection.
func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// gcTime is the median duration of a forced full collection.
func gcTime() time.Duration {
	var ds []time.Duration
	for range 5 {
		t0 := time.Now()
		runtime.GC()
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// BenchmarkArenaMemory reports the heap held per key (HeapInuse delta after
// GC) and the duration of a full GC with the data live, for ArenaTable (one
// table, and split over 16 shards by the low hash bits as the cache does)
// against a map[string][]byte holding the same. 10M runs only with
// -bench 'ArenaMemory/.*10M' -benchtime 1x (it needs ~4 GB for the map).
//
//	go test ./shard -run '^$' -bench ArenaMemory -benchtime 1x
func BenchmarkArenaMemory(b *testing.B) {
	for _, n := range []int{1_000_000, 10_000_000} {
		for _, kind := range []string{"arena", "arena-16shards", "gomap"} {
			name := fmt.Sprintf("%s/%dM", kind, n/1_000_000)
			b.Run(name, func(b *testing.B) {
				// Keys are formatted into one scratch buffer, so nothing but
				// the table is live (a [][]byte of keys would hold n pointers).
				var kb []byte
				key := func(i int) []byte { kb = fmt.Appendf(kb[:0], "key:%012d", i); return kb }
				base := heapInuse()
				baseGC := gcTime()
				var keep any
				var tableBytes int64
				switch kind {
				case "arena":
					a := NewArenaTable()
					for i := range n {
						a.Put(key(i), value32, 0, 0)
					}
					tableBytes = a.Bytes()
					keep = a
				case "arena-16shards":
					ts := make([]*ArenaTable, 16)
					for i := range ts {
						ts[i] = NewArenaTable()
					}
					for i := range n {
						k := key(i)
						ts[xxhash.Sum64(k)&15].Put(k, value32, 0, 0)
					}
					for _, t := range ts {
						tableBytes += t.Bytes()
					}
					keep = ts
				case "gomap":
					m := make(map[string][]byte)
					for i := range n {
						m[string(key(i))] = slices.Clone(value32)
					}
					keep = m
				}
				inuse := heapInuse()
				gc := gcTime()
				b.ReportMetric(float64(inuse-base)/float64(n), "heap-B/key")
				if tableBytes > 0 {
					b.ReportMetric(float64(tableBytes)/float64(n), "Bytes()-B/key")
				}
				b.ReportMetric(float64(gc.Microseconds())/1000, "gc-ms")
				b.ReportMetric(float64(baseGC.Microseconds())/1000, "gc-empty-ms")
				runtime.KeepAlive(keep)
			})
		}
	}
}

// BenchmarkArenaCompactionPause measures the longest single mutation on a
// 100k-key table under churn that makes compaction run all the time (values
// resized at random, keys deleted and re-inserted), and, directly, the time
// to evacuate the fullest (least dead) chunk a compaction step can pick.
//
//	go test ./shard -run '^$' -bench ArenaCompactionPause -benchtime 1x
func BenchmarkArenaCompactionPause(b *testing.B) {
	const n = 100_000
	keys := benchKeys(110_000)[:n]
	r := rand.New(rand.NewPCG(1, 1))
	a := NewArenaTable()
	vals := make([]byte, 256)
	for _, k := range keys {
		a.Put(k, vals[:r.IntN(64)], 0, 0)
	}
	var lat, evLat []time.Duration
	for b.Loop() {
		lat, evLat = lat[:0], evLat[:0]
		for i := 0; i < 1_000_000; i++ {
			k := keys[r.IntN(n)]
			dead := a.deadSum
			t0 := time.Now()
			if r.IntN(4) == 0 {
				a.Delete(k)
			} else {
				a.Put(k, vals[:r.IntN(64)], 0, 0)
			}
			d := time.Since(t0)
			if a.deadSum < dead { // a chunk was evacuated or freed
				evLat = append(evLat, d)
			} else {
				lat = append(lat, d)
			}
		}
	}
	slices.Sort(lat)
	slices.Sort(evLat)
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-plain-op-µs")
	b.ReportMetric(float64(lat[len(lat)*999/1000].Nanoseconds()), "p99.9-plain-op-ns")
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-plain-op-ns")
	b.ReportMetric(float64(len(evLat)), "compacting-ops")
	b.ReportMetric(float64(evLat[len(evLat)/2].Microseconds()), "p50-compacting-op-µs")
	b.ReportMetric(float64(evLat[len(evLat)*99/100].Microseconds()), "p99-compacting-op-µs")
	b.ReportMetric(float64(evLat[len(evLat)-1].Microseconds()), "max-compacting-op-µs")

	// Direct: evacuate a chunk that is only 1/4 dead (the worst a
	// compaction step can meet), small records, 100k keys.
	a = filledArena(keys)
	var c uint32 = 2
	var dead []int
	p := 0
	for p < int(a.info[c].used) {
		rec := parse(a.chunks[c], p)
		dead = append(dead, p)
		p += rec.size()
	}
	for i, p := range dead {
		if i%4 == 0 {
			rec := parse(a.chunks[c], p)
			a.Delete(a.keyOf(&rec))
		}
	}
	t0 := time.Now()
	if a.chunks[c] != nil {
		a.evacuate(c)
	}
	b.ReportMetric(float64(time.Since(t0).Microseconds()), "evacuate-75%-live-chunk-µs")

	// Index doubling of a 100k-key table (the other O(n) step).
	a = filledArena(keys[:104857:104857]) // at the growth threshold of 131072 slots
	t0 = time.Now()
	a.Put([]byte("one more key...."), value32, 0, 0)
	b.ReportMetric(float64(time.Since(t0).Microseconds()), "grow-131072-slots-µs")
}

// BenchmarkArenaGrowPause reports the longest single Put while 1,000,000
// keys are inserted into an empty table (every doubling of the index happens
// on the way): with incremental doubling that is bounded by allocating the
// new index, not by moving every slot of the old one.
func BenchmarkArenaGrowPause(b *testing.B) {
	const n = 1_000_000
	keys := benchKeys(n)
	var worst time.Duration
	for b.Loop() {
		a := NewArenaTable()
		for _, k := range keys {
			t0 := time.Now()
			a.Put(k, value32, 0, 0)
			worst = max(worst, time.Since(t0))
		}
	}
	b.ReportMetric(float64(worst.Microseconds()), "max-put-us")
}
