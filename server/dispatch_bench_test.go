package server

import (
	"strconv"
	"testing"
)

// The command path without the network: parsing the request in place,
// lookup, arity and admission checks, the handler, the reply encoding. GET
// and SET must not allocate per command in the steady state (issue 6).

func benchClient(tb testing.TB) *Client {
	ts := startServer(tb)
	c := &Client{srv: ts.srv}
	c.setDefaultAuth() // the default user, every permission: ACL's fast path
	c.ks = ts.cache.KeyspaceAt(&c.nowMs)
	c.tick()
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

// An MSET over several shards goes to the WAL as one transaction group; its
// buffers are recycled (before: 16 allocations per MSET of 10 keys). A GC
// may empty the pools mid-run, hence a bound of one rather than zero.
func TestMSetAcrossShardsDoesNotAllocate(t *testing.T) {
	bound := 1.0
	if raceEnabled {
		bound = 8 // -race makes sync.Pool drop a share of its items
	}
	c := benchClient(t)
	mset := [][]byte{[]byte("MSET")}
	for i := 0; i < 10; i++ {
		mset = append(mset, []byte("mkey:"+strconv.Itoa(i)), []byte("value-of-thirty-two-bytes-000001"))
	}
	c.exec(mset)
	if got := string(c.reply.Bytes()); got != "+OK\r\n" {
		t.Fatalf("MSET replied %q", got)
	}
	c.reply.Reset()
	shards := map[int]bool{}
	for i := 1; i < len(mset); i += 2 {
		shards[c.srv.cache.ShardIndex(mset[i])] = true
	}
	if len(shards) < 2 {
		t.Fatalf("the test keys fall in %d shard(s); want several", len(shards))
	}
	allocs := testing.AllocsPerRun(1000, func() {
		c.exec(mset)
		c.reply.Reset()
	})
	if allocs >= bound {
		t.Errorf("MSET of 10 keys allocates %.1f times per command", allocs)
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

// pipeline16 is 16 pipelined copies of one RESP command, as a socket read
// delivers them.
func pipeline16(args ...string) []byte {
	var b []byte
	for i := 0; i < 16; i++ {
		b = append(b, '*')
		b = strconv.AppendInt(b, int64(len(args)), 10)
		b = append(b, "\r\n"...)
		for _, a := range args {
			b = append(b, '$')
			b = strconv.AppendInt(b, int64(len(a)), 10)
			b = append(b, "\r\n"...)
			b = append(b, a...)
			b = append(b, "\r\n"...)
		}
	}
	return b
}

// runPipeline parses and runs every command in buf, as the event loop does.
func runPipeline(c *Client, p *reqParser, buf []byte) int {
	*p = reqParser{marks: p.marks[:0], args: p.args[:0], inline: p.inline}
	c.batch = 0
	c.runPipeline(p, buf) // the event loops' path: parse, dispatch, reply
	return c.batch
}

func TestParseAndDispatchDoNotAllocate(t *testing.T) {
	c := benchClient(t)
	var p reqParser
	for name, buf := range map[string][]byte{
		"SET":  pipeline16("SET", "key:000000000001", "value-of-thirty-two-bytes-000001"),
		"GET":  pipeline16("GET", "key:000000000001"),
		"INCR": pipeline16("INCR", "counter"),
	} {
		if n := runPipeline(c, &p, buf); n != 16 {
			t.Fatalf("%s: parsed %d commands, want 16", name, n)
		}
		c.reply.Reset()
		allocs := testing.AllocsPerRun(200, func() {
			runPipeline(c, &p, buf)
			c.reply.Reset()
		})
		if allocs != 0 {
			t.Errorf("%s: a pipeline of 16 allocates %.1f times", name, allocs)
		}
	}
}

// BenchmarkParseDispatch: ns per command of a 16-command pipeline, parse
// included.
func BenchmarkParseDispatch(b *testing.B) {
	for _, bc := range []struct {
		name string
		buf  []byte
	}{
		{"GET", pipeline16("GET", "key:000000000001")},
		{"SET", pipeline16("SET", "key:000000000001", "value-of-thirty-two-bytes-000001")},
		{"INCR", pipeline16("INCR", "counter")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := benchClient(b)
			c.exec([][]byte{[]byte("SET"), []byte("key:000000000001"), []byte("x")})
			var p reqParser
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += 16 {
				runPipeline(c, &p, bc.buf)
				c.reply.Reset()
			}
		})
	}
}
