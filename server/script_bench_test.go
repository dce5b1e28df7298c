package server

import (
	"bufio"
	"strings"
	"syscall"
	"testing"
)

// BenchmarkEvalSha runs scripts in pipelines of 16 over one connection
// (server and client in this process): EVALSHA of a one-command and of a
// ten-command script, and FCALL of a one-command function (the cases of
// scripts/bench_scripts.sh).
func BenchmarkEvalSha(b *testing.B) {
	ts := startServer(b)
	conn := ts.raw(b)
	br := bufio.NewReader(conn)
	one := "return redis.call('INCR', KEYS[1])"
	ten := "local n = 0 for i = 1, 10 do n = n + redis.call('INCR', KEYS[1]) end return n"
	lib := "#!lua name=benchlib\nredis.register_function('incr1', function(keys, args) return redis.call('INCR', keys[1]) end)"
	for _, c := range [][]string{{"SCRIPT", "LOAD", one}, {"SCRIPT", "LOAD", ten}, {"FUNCTION", "LOAD", "REPLACE", lib}} {
		conn.Write([]byte(encodeCmd(c...)))
		if _, err := diffReadReply(br); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name string
		cmd  []string
	}{
		{"one", []string{"EVALSHA", sha1hex([]byte(one)), "1", "k"}},
		{"ten", []string{"EVALSHA", sha1hex([]byte(ten)), "1", "k"}},
		{"fcall", []string{"FCALL", "incr1", "1", "k"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := []byte(strings.Repeat(encodeCmd(bc.cmd...), 16))
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			defer func() { b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op") }()
			for i := 0; i < b.N; i += 16 {
				conn.Write(req)
				for j := 0; j < 16; j++ {
					r, err := diffReadReply(br)
					if err != nil {
						b.Fatal(err)
					}
					if r[0] != ':' {
						b.Fatalf("reply %q", r)
					}
				}
			}
		})
	}
}

// BenchmarkScriptExec runs the same cases through the dispatcher without
// the network (a client of the benchmark's own, whose pipeline and turn end
// every 16 calls, as an event loop ends them): the server's own cost per
// script, for profiles.
func BenchmarkScriptExec(b *testing.B) {
	ts := startServer(b)
	s := ts.srv
	c := &Client{srv: s, ID: s.nextID.Add(1), authed: true}
	c.reply.proto = 2
	c.reply.errs = &s.errStats
	c.ks = s.cache.KeyspaceAt(&c.nowMs).WithErr(&c.kerr).WithOrigin(c)
	c.tick()
	c.gate = &execGate{}
	s.addGate(c.gate)
	defer s.removeGate(c.gate)
	c.gate.active.Store(1)
	run := func(args ...string) string {
		a := make([][]byte, len(args))
		for i, x := range args {
			a[i] = []byte(x)
		}
		c.reply.Reset()
		c.exec(a)
		return string(c.reply.b)
	}
	one := "return redis.call('INCR', KEYS[1])"
	ten := "local n = 0 for i = 1, 10 do n = n + redis.call('INCR', KEYS[1]) end return n"
	lib := "#!lua name=benchlib\nredis.register_function('incr1', function(keys, args) return redis.call('INCR', keys[1]) end)"
	run("SCRIPT", "LOAD", one)
	run("SCRIPT", "LOAD", ten)
	run("SCRIPT", "LOAD", benchConcatScript)
	run("FUNCTION", "LOAD", "REPLACE", lib)
	c.releaseHeld()
	s.endTurn(c.gate)
	for _, bc := range []struct {
		name string
		cmd  []string
	}{
		{"one", []string{"EVALSHA", sha1hex([]byte(one)), "1", "k"}},
		{"ten", []string{"EVALSHA", sha1hex([]byte(ten)), "1", "k"}},
		{"fcall", []string{"FCALL", "incr1", "1", "k"}},
		{"concat", []string{"EVALSHA", sha1hex([]byte(benchConcatScript)), "1", "k", "field"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			args := make([][]byte, len(bc.cmd))
			for i, x := range bc.cmd {
				args[i] = []byte(x)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				c.reply.Reset()
				c.exec(args)
				if c.reply.b[0] != ':' {
					b.Fatalf("reply %q", c.reply.b)
				}
				if i%16 == 15 { // a pipeline's end, then the batch's
					c.releaseHeld()
					s.endTurn(c.gate)
				}
			}
			c.releaseHeld()
			s.endTurn(c.gate)
			// CPU time of the process per call: on a shared machine the
			// wall time per call mostly measures the neighbours.
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// benchConcatScript builds ten keys with `..` (a string and a number
// operand each, script_concat.go) and runs one command.
const benchConcatScript = "local n = 0 for i = 1, 10 do n = n + #(KEYS[1] .. ':' .. ARGV[1] .. ':' .. i) end return redis.call('INCRBY', KEYS[1], n)"

func processCPU() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
