package server

import (
	"strconv"
	"testing"
)

// BenchmarkDispatchSmallCollections: the command path on many small
// collections (packed encodings, one list node), the shape the memory rows
// of 100,000 sorted sets and lists of 10 measure: 1,000 keys of each kind,
// 10 members each, commands spread over them.
func BenchmarkDispatchSmallCollections(b *testing.B) {
	const keys = 1000
	key := func(prefix string, i int) []byte { return []byte(prefix + strconv.Itoa(i%keys)) }
	member := func(i int) []byte { return []byte("member" + strconv.Itoa(i%10)) }
	val := []byte("value-of-thirty-two-bytes-000001")
	for _, bc := range []struct {
		name string
		args func(i int) [][]byte
	}{
		{"ZADD", func(i int) [][]byte {
			return [][]byte{[]byte("ZADD"), key("z:", i), []byte(strconv.Itoa(i % 97)), member(i / keys)}
		}},
		{"ZSCORE", func(i int) [][]byte { return [][]byte{[]byte("ZSCORE"), key("z:", i), member(i / keys)} }},
		{"ZRANGE", func(i int) [][]byte {
			return [][]byte{[]byte("ZRANGE"), key("z:", i), []byte("0"), []byte("-1"), []byte("WITHSCORES")}
		}},
		{"RPUSH+LPOP", func(i int) [][]byte {
			if i%2 == 0 {
				return [][]byte{[]byte("RPUSH"), key("l:", i/2), val}
			}
			return [][]byte{[]byte("LPOP"), key("l:", i/2)}
		}},
		{"LRANGE", func(i int) [][]byte { return [][]byte{[]byte("LRANGE"), key("l:", i), []byte("0"), []byte("-1")} }},
		{"HSET", func(i int) [][]byte { return [][]byte{[]byte("HSET"), key("h:", i), member(i / keys), val} }},
		{"HGET", func(i int) [][]byte { return [][]byte{[]byte("HGET"), key("h:", i), member(i / keys)} }},
		{"SADD", func(i int) [][]byte { return [][]byte{[]byte("SADD"), key("s:", i), member(i / keys)} }},
		{"SISMEMBER", func(i int) [][]byte { return [][]byte{[]byte("SISMEMBER"), key("s:", i), member(i / keys)} }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := benchClient(b)
			for i := 0; i < 10*keys; i++ {
				for _, a := range [][][]byte{
					{[]byte("ZADD"), key("z:", i), []byte(strconv.Itoa(i % 97)), member(i / keys)},
					{[]byte("RPUSH"), key("l:", i), val},
					{[]byte("HSET"), key("h:", i), member(i / keys), val},
					{[]byte("SADD"), key("s:", i), member(i / keys)},
				} {
					c.exec(a)
				}
				c.reply.Reset()
			}
			cmds := make([][][]byte, 20*keys) // precomputed: the loop measures the server only
			for i := range cmds {
				cmds[i] = bc.args(i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				c.exec(cmds[i%len(cmds)])
				c.reply.Reset()
			}
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
