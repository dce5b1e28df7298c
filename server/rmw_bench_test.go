package server

import (
	"strconv"
	"strings"
	"testing"
)

// BenchmarkDispatchRMW: the command path of the commands that read a key
// and then write it (INCR, APPEND, SET ... GET, HINCRBY, ZADD ...), over
// 100,000 keys (members, for the one big sorted set, hash and set), as
// redis-benchmark -r 100000 drives them. In a command, K is replaced by
// the key of the round and S by a score. cpu-ns/op is the process's CPU
// time per command: on a shared machine the wall time mostly measures the
// neighbours.
func BenchmarkDispatchRMW(b *testing.B) {
	const n = 100000
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = []byte("key:" + strconv.Itoa(i*7919%n))
	}
	scores := make([][]byte, 7777)
	for i := range scores {
		scores[i] = []byte(strconv.Itoa(i))
	}
	for _, bc := range []struct{ name, cmd string }{
		{"INCR", "INCR K"},
		{"INCRBY", "INCRBY K 7"},
		{"INCRBYFLOAT", "INCRBYFLOAT K 1.5"},
		{"SETRANGE", "SETRANGE K 3 abcd"},
		{"APPEND", "APPEND K 1"},
		{"SETGET", "SET K value-of-thirty-two-bytes-000001 GET"},
		{"SETKEEPTTL", "SET K value-of-thirty-two-bytes-000001 KEEPTTL"},
		{"HINCRBY", "HINCRBY K f 1"},
		{"HINCRBYbig", "HINCRBY h K 1"},
		{"SADD", "SADD s K"},
		{"ZADD", "ZADD z S K"},
		{"ZINCRBY", "ZINCRBY z 1 K"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := benchClient(b)
			tmpl := strings.Fields(bc.cmd)
			args := make([][]byte, len(tmpl))
			for j, a := range tmpl {
				args[j] = []byte(a)
			}
			at := func(i int) [][]byte {
				for j, a := range tmpl {
					switch a {
					case "K":
						args[j] = keys[i%n]
					case "S":
						args[j] = scores[i%len(scores)]
					}
				}
				return args
			}
			for i := 0; i < n; i++ { // every key exists, as after the first pass of a long run
				c.exec(at(i))
				c.reply.Reset()
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				c.exec(at(i))
				c.reply.Reset()
			}
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
