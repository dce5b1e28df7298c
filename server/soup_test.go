package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestOptionSoup sends every command (as the sweep lists them, plus XREAD
// and XREADGROUP without BLOCK) thousands of argument lists drawn at random
// from its own option words (its COMMAND DOCS tokens), keys of every type
// and small edge values, in any order and number. Option parsers are where
// an index runs past the arguments (XADD k MINID = 0 used to panic: no ID
// after the options); the sweep and the fuzz targets vary the documented
// shapes, this test does not follow them. Each call must get one
// well-formed reply and the server must not panic.
func TestOptionSoup(t *testing.T) {
	perCmd := 1500
	if raceEnabled { // the race detector's ~5x: keep the suite's time
		perCmd = 400
	}
	if testing.Short() {
		perCmd = 150
	}
	keys := []string{"s1", "h1", "l1", "st1", "z1", "x1", "nokey"}
	values := []string{"0", "1", "-1", "2", "5", "100", "*", "=", "~", "$", ">", "+", "-", "(1", "[a", "1-1", "0-0", "a", "f", "v",
		"9223372036854775807", "-9223372036854775808", "inf", "nan", "", "1.5", "#", "g", "c"}
	fixtures := [][]string{
		{"SET", "s1", "10"}, {"HSET", "h1", "f", "v", "g", "2"}, {"RPUSH", "l1", "a", "b", "1"},
		{"SADD", "st1", "a", "1"}, {"ZADD", "z1", "1", "a", "2", "b"}, {"XADD", "x1", "1-1", "f", "v"},
		{"XGROUP", "CREATE", "x1", "g", "0"}, {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "x1", ">"},
	}
	cmds := sweepCommands()
	for _, name := range []string{"xread", "xreadgroup"} {
		c := commands[name]
		cmds = append(cmds, sweepCmd{cmd: c, prefix: []string{strings.ToUpper(name)}, args: sweepSpec(c)})
	}
	r := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	dir := t.TempDir()
	for ci, sc := range cmds {
		var tokens []string
		var walk func(args []*argDoc)
		walk = func(args []*argDoc) {
			for _, a := range args {
				if a.token != "" {
					tokens = append(tokens, a.token)
				}
				walk(a.sub)
			}
		}
		walk(sc.args)
		vocab := append(append(append([]string(nil), tokens...), tokens...), keys...) // tokens twice as likely
		vocab = append(vocab, values...)
		calls := make([][]string, 0, perCmd)
		for len(calls) < perCmd {
			call := append([]string(nil), sc.prefix...)
			if r.IntN(4) != 0 {
				call = append(call, keys[r.IntN(len(keys))])
			}
			for n := r.IntN(9); n > 0; n-- {
				call = append(call, vocab[r.IntN(len(vocab))])
			}
			if soupBlocks(call) {
				continue
			}
			calls = append(calls, call)
		}
		soupRun(t, dir, 2+ci%2, fixtures, calls) // RESP2 and RESP3 in turn
	}
}

// soupBlocks reports whether call could block or stall the connection.
func soupBlocks(call []string) bool {
	for _, a := range call {
		if strings.EqualFold(a, "BLOCK") {
			return true
		}
	}
	return false
}

// soupRun runs each call after the fixtures, on one in-process server
// speaking RESP proto, recovering a panic to name the call that caused it.
func soupRun(t *testing.T, dir string, proto int, fixtures, calls [][]string) {
	t.Helper()
	cl, closeAll := fuzzClient(t, proto, "--save", "", "--dir", dir)
	defer closeAll()
	run := func(args []string) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		cl.reply.Reset()
		var p reqParser
		cl.runPipeline(&p, diffEncode(args))
		cl.finishPipeline()
		br := bufio.NewReader(bytes.NewReader(cl.reply.Bytes()))
		if _, err := diffReadReply(br); err != nil {
			return fmt.Errorf("no well-formed reply: %v", err)
		}
		if rest, _ := io.ReadAll(br); len(rest) > 0 && cl.ps == nil {
			return fmt.Errorf("%d bytes after the reply: %.200q", len(rest), rest)
		}
		return nil
	}
	for _, f := range fixtures {
		if err := run(f); err != nil {
			t.Fatalf("fixture %q: %v", f, err)
		}
	}
	for i, a := range calls {
		if err := run(a); err != nil {
			t.Fatalf("call %d %s: %v", i, sweepShow(a), err)
		}
		if i%200 == 199 { // the state drifts (keys deleted, types changed): start again
			run([]string{"FLUSHALL"})
			for _, f := range fixtures {
				run(f)
			}
		}
	}
}
