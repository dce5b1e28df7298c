package server

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestCollectionHeapReport (HEAPREPORT=1 to run; it only reports): the Go
// heap that collections loaded through the command path hold, per member,
// beside used_memory, with the live objects by size class and the
// runtime's memory classes (span descriptors, free and unused span room).
// It is how the per-collection costs behind the memory rows of
// BENCHMARKS.md were found: go test -run TestCollectionHeapReport -v ./server/
func TestCollectionHeapReport(t *testing.T) {
	if os.Getenv("HEAPREPORT") == "" {
		t.Skip("HEAPREPORT=1 to run")
	}
	elem := func(i int) []byte { return []byte(fmt.Sprintf("e%09d", i)) }
	for _, tc := range []struct {
		name          string
		cmds, members int // commands, members in all
		cmd           func(k int) [][]byte
	}{
		{"100,000 sorted sets of 10", 100000, 1e6, func(k int) [][]byte {
			a := [][]byte{[]byte("ZADD"), []byte("zs:" + strconv.Itoa(k))}
			for j := 0; j < 10; j++ {
				a = append(a, []byte(strconv.Itoa(j+1)), []byte("member"+strconv.Itoa(j)))
			}
			return a
		}},
		{"100,000 lists of 10", 100000, 1e6, func(k int) [][]byte {
			a := [][]byte{[]byte("RPUSH"), []byte(fmt.Sprintf("list:%07d", k))}
			for j := 0; j < 10; j++ {
				a = append(a, elem(k*10+j))
			}
			return a
		}},
		{"one list of 10,000,000", 10000, 1e7, func(k int) [][]byte {
			a := [][]byte{[]byte("RPUSH"), []byte("biglist")}
			for j := 0; j < 1000; j++ {
				a = append(a, elem(k*1000+j))
			}
			return a
		}},
		{"10,000 hashes of 100", 10000, 1e6, func(k int) [][]byte {
			a := [][]byte{[]byte("HSET"), []byte(fmt.Sprintf("hash:%011d", k))}
			for j := 0; j < 100; j++ {
				a = append(a, []byte(fmt.Sprintf("field:%010d", j)), []byte("value-of-thirty-two-bytes-000001"))
			}
			return a
		}},
		{"100,000 intsets of 10", 100000, 1e6, func(k int) [][]byte {
			a := [][]byte{[]byte("SADD"), []byte("s:" + strconv.Itoa(k))}
			for j := 0; j < 10; j++ {
				a = append(a, []byte(strconv.Itoa(j*1000+k)))
			}
			return a
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := benchClient(t)
			runtime.GC()
			debug.FreeOSMemory()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			s0 := memoryClasses()
			for k := 0; k < tc.cmds; k++ {
				c.exec(tc.cmd(k))
				c.reply.Reset()
			}
			runtime.GC()
			debug.FreeOSMemory()
			runtime.ReadMemStats(&m1)
			s1 := memoryClasses()
			per := float64(tc.members)
			t.Logf("per member: heap objects %.2f B, heap in use %.2f B, used_memory %.2f B",
				float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/per, float64(int64(m1.HeapInuse)-int64(m0.HeapInuse))/per,
				float64(c.srv.cache.Stats().UsedMemory)/per)
			for i := range s1 {
				if d := int64(s1[i].Value.Uint64()) - int64(s0[i].Value.Uint64()); d > 1<<16 || d < -1<<16 {
					t.Logf("  %-45s %+.2f B", s1[i].Name, float64(d)/per)
				}
			}
			type class struct {
				size uint32
				live int64
			}
			var cs []class
			for i := range m1.BySize {
				d := int64(m1.BySize[i].Mallocs-m1.BySize[i].Frees) - int64(m0.BySize[i].Mallocs-m0.BySize[i].Frees)
				if d > int64(tc.cmds)/20 {
					cs = append(cs, class{m1.BySize[i].Size, d})
				}
			}
			sort.Slice(cs, func(i, j int) bool { return cs[i].size < cs[j].size })
			for _, cl := range cs {
				t.Logf("  size class %5d: %8d live objects (%.2f per command, %.2f B per member)",
					cl.size, cl.live, float64(cl.live)/float64(tc.cmds), float64(cl.live)*float64(cl.size)/per)
			}
		})
	}
}

// memoryClasses reads the runtime's /memory/classes/ metrics.
func memoryClasses() []metrics.Sample {
	var out []metrics.Sample
	for _, d := range metrics.All() {
		if strings.HasPrefix(d.Name, "/memory/classes/") && d.Kind == metrics.KindUint64 {
			out = append(out, metrics.Sample{Name: d.Name})
		}
	}
	metrics.Read(out)
	return out
}
