package shard

import (
	"fmt"
	"strconv"
	"syscall"
	"testing"

	"fastcache/persistence"
)

type discardRec struct{}

func (discardRec) Record(persistence.Op, int, []byte, []byte, int64) {}

// processCPU is the process's CPU time: on a shared machine the wall time
// per operation mostly measures the neighbours.
func processCPU() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkReadModifyWrite: INCR's work in the shard, read then write,
// with two lookups (Get, then Set) and with one (Find, then SetAt through
// its Slot), on one hot key and over 100,000 keys in a random order.
func BenchmarkReadModifyWrite(b *testing.B) {
	const n = 100000
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key:%d", i*7919%n)
	}
	var rec discardRec
	for _, keysUsed := range []int{1, n} {
		for _, way := range []string{"two-lookups", "slot"} {
			b.Run(fmt.Sprintf("keys=%d/%s", keysUsed, way), func(b *testing.B) {
				d := New(0, 1, nil).DB(0)
				for i := 0; i < keysUsed; i++ {
					d.Set(keys[i], []byte("1"), 0, rec)
				}
				var buf [20]byte
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := processCPU()
				defer func() { b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op") }()
				for i := 0; i < b.N; i++ {
					key := keys[i%keysUsed]
					if way == "slot" {
						e, s, _ := d.Find(key, 0, rec, true)
						v, _ := strconv.Atoi(string(e.Value))
						d.SetAt(s, key, strconv.AppendInt(buf[:0], int64(v+1), 10), e.ExpireAt, rec)
					} else {
						e, _ := d.Get(key, 0, rec, true)
						v, _ := strconv.Atoi(string(e.Value))
						d.Set(key, strconv.AppendInt(buf[:0], int64(v+1), 10), e.ExpireAt, rec)
					}
				}
			})
		}
	}
}
