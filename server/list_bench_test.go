package server

import (
	"strings"
	"testing"
)

// The list commands' path without the network (as BenchmarkDispatch):
// LPUSH/RPUSH/LPOP/RPOP must not allocate per command; LRANGE of 100 and
// 600 64-byte elements is mostly reply encoding.

func TestListCommandsDoNotAllocate(t *testing.T) {
	c := benchClient(t)
	v := []byte(strings.Repeat("x", 64))
	for name, args := range map[string][][]byte{
		"LPUSH": {[]byte("LPUSH"), []byte("mylist"), v},
		"RPUSH": {[]byte("RPUSH"), []byte("mylist"), v},
		"LPOP":  {[]byte("LPOP"), []byte("mylist")},
		"RPOP":  {[]byte("RPOP"), []byte("mylist")},
	} {
		for i := 0; i < 1000; i++ {
			c.exec([][]byte{[]byte("RPUSH"), []byte("mylist"), v})
		}
		c.reply.Reset()
		allocs := testing.AllocsPerRun(1000, func() {
			c.exec(args)
			c.reply.Reset()
		})
		if allocs > 0.05 { // a new node every ~120 pushes
			t.Errorf("%s allocates %.2f times per command", name, allocs)
		}
	}
}

func BenchmarkListCommands(b *testing.B) {
	c := benchClient(b)
	v := []byte(strings.Repeat("x", 64))
	for i := 0; i < 600; i++ {
		c.exec([][]byte{[]byte("RPUSH"), []byte("mylist"), v})
	}
	c.reply.Reset()
	for _, bc := range []struct {
		name string
		args [][]byte
	}{
		{"LPUSH+RPOP", [][]byte{[]byte("LPUSH"), []byte("q"), v}},
		{"RPUSH", [][]byte{[]byte("RPUSH"), []byte("grow"), v}}, // redis-benchmark's: one list that grows
		{"LPUSH_xxx", [][]byte{[]byte("LPUSH"), []byte("growhead"), []byte("xxx")}},
		{"RPUSH_xxx", [][]byte{[]byte("RPUSH"), []byte("growtail"), []byte("xxx")}},
		{"LRANGE_100", [][]byte{[]byte("LRANGE"), []byte("mylist"), []byte("0"), []byte("99")}},
		{"LRANGE_600", [][]byte{[]byte("LRANGE"), []byte("mylist"), []byte("0"), []byte("599")}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				c.exec(bc.args)
				if bc.name == "LPUSH+RPOP" {
					c.exec([][]byte{[]byte("RPOP"), []byte("q")})
				}
				c.reply.Reset()
			}
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
