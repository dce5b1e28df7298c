package server

import (
	"strconv"
	"testing"
)

// BenchmarkDispatchCollections: the command path of the collection writes
// and reads, as BenchmarkDispatch measures strings' (members cycle over
// 1,000 values so the sets stay at a steady size).
func BenchmarkDispatchCollections(b *testing.B) {
	members := make([][]byte, 1000)
	for i := range members {
		members[i] = []byte("member:" + strconv.Itoa(i))
	}
	val := []byte("value-of-thirty-two-bytes-000001")
	for _, bc := range []struct {
		name string
		args func(i int) [][]byte
	}{
		{"SET", func(i int) [][]byte { return [][]byte{[]byte("SET"), members[i%1000], val} }},
		{"HSET", func(i int) [][]byte { return [][]byte{[]byte("HSET"), []byte("h"), members[i%1000], val} }},
		{"HGET", func(i int) [][]byte { return [][]byte{[]byte("HGET"), []byte("h"), members[i%1000]} }},
		{"SADD", func(i int) [][]byte { return [][]byte{[]byte("SADD"), []byte("s"), members[i%1000]} }},
		{"SISMEMBER", func(i int) [][]byte { return [][]byte{[]byte("SISMEMBER"), []byte("s"), members[i%1000]} }},
		{"ZADD", func(i int) [][]byte {
			return [][]byte{[]byte("ZADD"), []byte("z"), []byte(strconv.Itoa(i % 777)), members[i%1000]}
		}},
		{"ZSCORE", func(i int) [][]byte { return [][]byte{[]byte("ZSCORE"), []byte("z"), members[i%1000]} }},
		{"LPUSH+RPOP", func(i int) [][]byte {
			if i%2 == 0 {
				return [][]byte{[]byte("LPUSH"), []byte("l"), val}
			}
			return [][]byte{[]byte("RPOP"), []byte("l")}
		}},
		{"XADD", func(i int) [][]byte {
			return [][]byte{[]byte("XADD"), []byte("x"), []byte("MAXLEN"), []byte("~"), []byte("1000"), []byte("*"), []byte("f"), val}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := benchClient(b)
			for i := 0; i < 2000; i++ {
				c.exec(bc.args(i))
				c.reply.Reset()
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				c.exec(bc.args(i))
				c.reply.Reset()
			}
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkBigZSetPop: ZPOPMIN and ZADD on one sorted set of 100,000
// members with random scores, as redis-benchmark's zadd and zpopmin loads
// build and drain it (each ZPOPMIN is followed by a ZADD of a new member,
// so the set keeps its size).
func BenchmarkBigZSetPop(b *testing.B) {
	c := benchClient(b)
	rnd := uint64(1)
	next := func() []byte {
		rnd = rnd*6364136223846793005 + 1442695040888963407
		return strconv.AppendUint(nil, rnd>>40, 10)
	}
	n := 0
	add := func() {
		n++
		c.exec([][]byte{[]byte("ZADD"), []byte("myzset"), next(), []byte("element:" + strconv.Itoa(n))})
		c.reply.Reset()
	}
	for i := 0; i < 100000; i++ {
		add()
	}
	pop := [][]byte{[]byte("ZPOPMIN"), []byte("myzset")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.exec(pop)
		c.reply.Reset()
		add()
	}
}
