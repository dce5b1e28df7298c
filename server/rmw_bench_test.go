package server

import (
	"strconv"
	"testing"
)

// BenchmarkDispatchRMW: the command path of the commands that read a key
// and then write it (INCR, APPEND, SET ... GET, HINCRBY, ZADD ...), over
// 100,000 keys (members, for the one big sorted set and the one big hash),
// as redis-benchmark -r 100000 drives them. cpu-ns/op is the process's CPU
// time per command: on a shared machine the wall time mostly measures the
// neighbours.
func BenchmarkDispatchRMW(b *testing.B) {
	const n = 100000
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = []byte("key:" + strconv.Itoa(i*7919%n))
	}
	one, val := []byte("1"), []byte("value-of-thirty-two-bytes-000001")
	for _, bc := range []struct {
		name string
		args func(i int) [][]byte
	}{
		{"INCR", func(i int) [][]byte { return [][]byte{[]byte("INCR"), keys[i%n]} }},
		{"INCRBY", func(i int) [][]byte { return [][]byte{[]byte("INCRBY"), keys[i%n], []byte("7")} }},
		{"INCRBYFLOAT", func(i int) [][]byte { return [][]byte{[]byte("INCRBYFLOAT"), keys[i%n], []byte("1.5")} }},
		{"SETRANGE", func(i int) [][]byte { return [][]byte{[]byte("SETRANGE"), keys[i%n], []byte("3"), []byte("abcd")} }},
		{"APPEND", func(i int) [][]byte { return [][]byte{[]byte("APPEND"), keys[i%n], one} }},
		{"SETGET", func(i int) [][]byte { return [][]byte{[]byte("SET"), keys[i%n], val, []byte("GET")} }},
		{"SETXX", func(i int) [][]byte { return [][]byte{[]byte("SET"), keys[i%n], val, []byte("XX")} }},
		{"HINCRBY", func(i int) [][]byte { return [][]byte{[]byte("HINCRBY"), keys[i%n], []byte("f"), one} }},
		{"HINCRBYbig", func(i int) [][]byte { return [][]byte{[]byte("HINCRBY"), []byte("h"), keys[i%n], one} }},
		{"SADD", func(i int) [][]byte { return [][]byte{[]byte("SADD"), []byte("s"), keys[i%n]} }},
		{"ZADD", func(i int) [][]byte {
			return [][]byte{[]byte("ZADD"), []byte("z"), []byte(strconv.Itoa(i % 7777)), keys[i%n]}
		}},
		{"ZINCRBY", func(i int) [][]byte { return [][]byte{[]byte("ZINCRBY"), []byte("z"), one, keys[i%n]} }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := benchClient(b)
			for i := 0; i < n; i++ { // every key exists, as after the first pass of a long run
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
