package server

import (
	"testing"
)

// The command path without the network: lookup, arity and admission checks,
// the handler, the reply encoding. GET and SET must not allocate per command
// in the steady state (issue 6); redcon's reader, which we do not control,
// is outside this path.

func benchClient(tb testing.TB) *Client {
	ts := startServer(tb)
	c := &Client{srv: ts.srv, ks: ts.cache.Keyspace(), authed: true}
	c.reply.proto = 2
	return c
}

func TestGetSetDoNotAllocate(t *testing.T) {
	c := benchClient(t)
	set := [][]byte{[]byte("SET"), []byte("key:000000000001"), []byte("value-of-thirty-two-bytes-000001")}
	get := [][]byte{[]byte("GET"), []byte("key:000000000001")}
	c.exec(set)
	c.exec(get)
	c.reply.Reset()
	incr := [][]byte{[]byte("INCR"), []byte("counter")}
	for name, args := range map[string][][]byte{"SET": set, "GET": get, "INCR": incr} {
		allocs := testing.AllocsPerRun(1000, func() {
			c.exec(args)
			c.reply.Reset()
		})
		if allocs != 0 {
			t.Errorf("%s allocates %.1f times per command", name, allocs)
		}
	}
}

func BenchmarkDispatch(b *testing.B) {
	for _, bc := range []struct {
		name string
		args [][]byte
	}{
		{"GET", [][]byte{[]byte("GET"), []byte("key:000000000001")}},
		{"SET", [][]byte{[]byte("SET"), []byte("key:000000000001"), []byte("value-of-thirty-two-bytes-000001")}},
		{"INCR", [][]byte{[]byte("INCR"), []byte("counter")}},
		{"MSET10", [][]byte{[]byte("MSET"), []byte("k0"), []byte("v"), []byte("k1"), []byte("v"), []byte("k2"), []byte("v"),
			[]byte("k3"), []byte("v"), []byte("k4"), []byte("v"), []byte("k5"), []byte("v"), []byte("k6"), []byte("v"),
			[]byte("k7"), []byte("v"), []byte("k8"), []byte("v"), []byte("k9"), []byte("v")}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := benchClient(b)
			c.exec([][]byte{[]byte("SET"), []byte("key:000000000001"), []byte("x")})
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.exec(bc.args)
				c.reply.Reset()
			}
		})
	}
}
