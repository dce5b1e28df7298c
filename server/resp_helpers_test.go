package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"fastcache/cache"
	"fastcache/config"
	"fastcache/persistence"
)

// Helpers for byte-level tests: a raw connection that sends commands as RESP
// arrays and reads whole replies (RESP2 or RESP3) back, as raw text or as a
// small tree.

// startServerOpts is startServer with Options the test can adjust
// (Shutdown, Loading, InfoSections).
func startServerOpts(t testing.TB, mod func(*Options), directives ...string) *testServer {
	t.Helper()
	return startServerWAL(t, nil, mod, directives...)
}

// startServerWAL is startServerOpts with the cache logging to wal (nil: no
// log), set before anything runs, as the real start-up does.
func startServerWAL(t testing.TB, wal *persistence.WAL, mod func(*Options), directives ...string) *testServer {
	t.Helper()
	args := []string{"--port", "0", "--bind", "127.0.0.1", "--appendonly", "no"}
	for i := 0; i+1 < len(directives); i += 2 {
		args = append(args, "--"+directives[i], directives[i+1])
	}
	cfg, err := config.Load(args)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	c := cache.New(cache.Options{Shards: 16, MaxMemory: cfg.MaxMemory(), Policy: cfg.MaxMemoryPolicy(), WAL: wal})
	c.Start(10)
	o := Options{Config: cfg, Cache: c, Log: zerolog.New(io.Discard), Goroutines: testGoroutines}
	if mod != nil {
		mod(&o)
	}
	srv := New(o)
	if err := srv.LoadClusterConfig(); err != nil {
		t.Fatalf("cluster config: %v", err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatalf("listen: %v", err)
	}
	go srv.Serve()
	ts := &testServer{srv: srv, cache: c, cfg: cfg, addr: srv.Addrs()[0].String()}
	t.Cleanup(func() { closeOrDump(t, func() { srv.Close(); c.Close() }) })
	return ts
}

// closeOrDump runs closeFn and fails the test with every goroutine's stack if
// it has not returned within two minutes: a server that cannot shut down is
// deadlocked, and the test that left it so is named here instead of the
// whole package running into go test's -timeout.
func closeOrDump(t testing.TB, closeFn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { closeFn(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		buf := make([]byte, 8<<20)
		n := runtime.Stack(buf, true)
		t.Errorf("the server did not shut down within 2m (a deadlock?); every goroutine:\n%s", buf[:n])
	}
}

type rawConn struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
}

func (ts *testServer) rawConn(t testing.TB) *rawConn {
	t.Helper()
	c := ts.raw(t)
	return &rawConn{t: t, conn: c, br: bufio.NewReader(c)}
}

// encodeCmd encodes args as a RESP array of bulk strings.
func encodeCmd(args ...string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&sb, "$%d\r\n%s\r\n", len(a), a)
	}
	return sb.String()
}

func (rc *rawConn) write(s string) {
	rc.t.Helper()
	if _, err := rc.conn.Write([]byte(s)); err != nil {
		rc.t.Fatalf("write: %v", err)
	}
}

// do sends one command and returns its raw reply.
func (rc *rawConn) do(args ...string) string {
	rc.t.Helper()
	rc.write(encodeCmd(args...))
	return rc.read()
}

// read reads one whole reply as raw text.
func (rc *rawConn) read() string {
	rc.t.Helper()
	s, err := readRaw(rc.br)
	if err != nil {
		rc.t.Fatalf("read reply: %v (got %q)", err, s)
	}
	return s
}

// val sends one command and returns its reply as a tree.
func (rc *rawConn) val(args ...string) respVal {
	rc.t.Helper()
	raw := rc.do(args...)
	v, rest, err := parseResp(raw)
	if err != nil || rest != "" {
		rc.t.Fatalf("parse %q: %v", raw, err)
	}
	return v
}

// expectClosed waits until the server closes the connection (reading and
// discarding anything before the EOF, which is returned).
func (rc *rawConn) expectClosed(within time.Duration) string {
	rc.t.Helper()
	rc.conn.SetReadDeadline(time.Now().Add(within))
	data, err := io.ReadAll(rc.br)
	if err != nil {
		rc.t.Fatalf("connection not closed by the server within %v: %v (read %q)", within, err, trunc(string(data)))
	}
	return string(data)
}

func trunc(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

func readRaw(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return line, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return line, fmt.Errorf("bad line %q", line)
	}
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return line, nil
	case '$', '=', '!':
		n, err := strconv.Atoi(line[1 : len(line)-2])
		if err != nil {
			return line, err
		}
		if n < 0 {
			return line, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return line, err
		}
		return line + string(buf), nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(line[1 : len(line)-2])
		if err != nil {
			return line, err
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		out := line
		for i := 0; i < n; i++ {
			s, err := readRaw(br)
			out += s
			if err != nil {
				return out, err
			}
		}
		return out, nil
	}
	return line, fmt.Errorf("unknown type %q", line)
}

// respVal is a parsed reply: kind is the RESP type byte; str holds simple,
// error, bulk and verbatim strings; n integers; elems arrays, sets and maps
// (a map's keys and values alternate).
type respVal struct {
	kind  byte
	str   string
	n     int64
	null  bool
	elems []respVal
}

func parseResp(s string) (respVal, string, error) {
	i := strings.Index(s, "\r\n")
	if i < 1 {
		return respVal{}, s, fmt.Errorf("no line in %q", trunc(s))
	}
	kind, body, rest := s[0], s[1:i], s[i+2:]
	v := respVal{kind: kind}
	switch kind {
	case '+', '-', ',', '#':
		v.str = body
		return v, rest, nil
	case '_':
		v.null = true
		return v, rest, nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		v.n = n
		return v, rest, err
	case '$', '=':
		n, err := strconv.Atoi(body)
		if err != nil {
			return v, rest, err
		}
		if n < 0 {
			v.null = true
			return v, rest, nil
		}
		if len(rest) < n+2 {
			return v, rest, fmt.Errorf("short bulk")
		}
		v.str = rest[:n]
		if kind == '=' { // verbatim: drop the "txt:" format prefix
			if n < 4 || v.str[3] != ':' {
				return v, rest, fmt.Errorf("bad verbatim string %q", trunc(v.str))
			}
			v.str = v.str[4:]
		}
		return v, rest[n+2:], nil
	case '*', '~', '%', '>':
		n, err := strconv.Atoi(body)
		if err != nil {
			return v, rest, err
		}
		if n < 0 {
			v.null = true
			return v, rest, nil
		}
		if kind == '%' {
			n *= 2
		}
		for j := 0; j < n; j++ {
			var e respVal
			e, rest, err = parseResp(rest)
			if err != nil {
				return v, rest, err
			}
			v.elems = append(v.elems, e)
		}
		return v, rest, nil
	}
	return v, rest, fmt.Errorf("unknown type %q", kind)
}

// field returns the value under key in a map (or a RESP2 flat array).
func (v respVal) field(key string) (respVal, bool) {
	for i := 0; i+1 < len(v.elems); i += 2 {
		if v.elems[i].str == key {
			return v.elems[i+1], true
		}
	}
	return respVal{}, false
}

// strs returns the elements' strings.
func (v respVal) strs() []string {
	out := make([]string, len(v.elems))
	for i, e := range v.elems {
		out[i] = e.str
	}
	return out
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
