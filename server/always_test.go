package server

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fastcache/persistence"
)

// startAlwaysServer starts a server logging to a real WAL under
// appendfsync always; wo adjusts the WAL's options.
func startAlwaysServer(t *testing.T, wo persistence.Options) (*testServer, string) {
	t.Helper()
	wo.Dir = filepath.Join(t.TempDir(), "wal")
	wo.Shards = 16
	wo.Fsync = "always"
	w, err := persistence.Open(wo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return startServerWAL(t, w, nil, "appendonly", "yes", "appendfsync", "always"), wo.Dir
}

// TestAlwaysAcksDurableWrites: under appendfsync always a write's reply
// comes only once the write is fsynced, pipelined or not.
func TestAlwaysAcksDurableWrites(t *testing.T) {
	ts, _ := startAlwaysServer(t, persistence.Options{})
	rc := ts.rawConn(t)
	for i := 0; i < 200; i++ {
		if got := rc.do("INCR", "n"); got != ":"+strconv.Itoa(i+1)+"\r\n" {
			t.Fatalf("INCR: %q", got)
		}
		// This client is the only writer: everything written is durable.
		if d, l := ts.cache.DurableLSN(), ts.cache.LastLSN(); d < l {
			t.Fatalf("INCR %d acknowledged at durable LSN %d < last LSN %d", i+1, d, l)
		}
	}
	var pipe strings.Builder
	for i := 0; i < 50; i++ {
		pipe.WriteString(encodeCmd("SET", "k"+strconv.Itoa(i), "v"))
	}
	rc.write(pipe.String())
	for i := 0; i < 50; i++ {
		if got := rc.read(); got != "+OK\r\n" {
			t.Fatalf("pipelined SET %d: %q", i, got)
		}
	}
	if d, l := ts.cache.DurableLSN(), ts.cache.LastLSN(); d < l {
		t.Fatalf("pipeline acknowledged at durable LSN %d < last LSN %d", d, l)
	}
}

// TestAlwaysWaitsWithoutBlockingReads: while the log cannot finish a write
// (its export subscriber is stuck), the writer's reply waits; other clients'
// reads are answered meanwhile, and the reply comes once the log moves on.
func TestAlwaysWaitsWithoutBlockingReads(t *testing.T) {
	gate := make(chan struct{})
	var stuck atomic.Bool
	ts, _ := startAlwaysServer(t, persistence.Options{
		Export: func([]byte) {
			if stuck.Load() {
				<-gate
			}
		},
		Followed: func() bool { return true },
	})
	var release sync.Once
	open := func() { release.Do(func() { stuck.Store(false); close(gate) }) }
	t.Cleanup(open) // runs before the server's cleanup: Close waits for the writer
	reader := ts.rawConn(t)
	if got := reader.do("SET", "old", "1"); got != "+OK\r\n" {
		t.Fatalf("SET before: %q", got)
	}
	writer := ts.rawConn(t)
	stuck.Store(true)
	writer.write(encodeCmd("SET", "k", "v"))
	// The frame holding k is now stuck in the export (held by the writer
	// goroutine, before its fsync): no reply may come.
	writer.conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if b, err := writer.br.Peek(1); err == nil {
		t.Fatalf("SET acknowledged before its fsync: %q", b)
	}
	writer.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if got := reader.do("GET", "old"); got != "$1\r\n1\r\n" {
		t.Fatalf("GET while a write waits: %q", got)
	}
	open()
	if got := writer.read(); got != "+OK\r\n" {
		t.Fatalf("SET after the log moved on: %q", got)
	}
}

// TestAlwaysLogFailureAnswersMISCONF: when the log fails, the waiting
// pipeline is answered with the MISCONF error for each of its commands (not
// acknowledged), and later writes are refused until the disk recovers.
func TestAlwaysLogFailureAnswersMISCONF(t *testing.T) {
	ts, dir := startAlwaysServer(t, persistence.Options{SegmentSize: 4096})
	rc := ts.rawConn(t)
	if got := rc.do("SET", "a", "1"); got != "+OK\r\n" {
		t.Fatalf("SET: %q", got)
	}
	// The next rotation cannot create its segment.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 8192)
	rc.write(encodeCmd("SET", "b", big) + encodeCmd("INCR", "c"))
	for i := 0; i < 2; i++ {
		if got := rc.read(); !strings.HasPrefix(got, "-MISCONF Errors writing to the WAL; outcome unknown: ") {
			t.Fatalf("reply %d after the log failed: %q", i, got)
		}
	}
	if got := rc.do("SET", "d", "1"); !strings.HasPrefix(got, "-MISCONF Errors writing to the WAL; writes are refused") {
		t.Fatalf("SET while the log is failed: %q", got)
	}
	if got := rc.do("GET", "a"); got != "$1\r\n1\r\n" {
		t.Fatalf("GET while the log is failed: %q", got)
	}
}

// TestAlwaysIncrOutcomeUnknown: an INCR that ran when the log failed is
// answered "outcome unknown" and is in memory (the text says so: a retry
// would count twice); INCRs refused afterwards take no effect.
func TestAlwaysIncrOutcomeUnknown(t *testing.T) {
	ts, dir := startAlwaysServer(t, persistence.Options{SegmentSize: 4096})
	rc := ts.rawConn(t)
	if got := rc.do("INCR", "n"); got != ":1\r\n" {
		t.Fatalf("INCR: %q", got)
	}
	if err := os.RemoveAll(dir); err != nil { // the next rotation fails
		t.Fatal(err)
	}
	rc.write(encodeCmd("SET", "pad", strings.Repeat("x", 8192)) + encodeCmd("INCR", "n"))
	for i := 0; i < 2; i++ {
		if got := rc.read(); !strings.Contains(got, "outcome unknown") || !strings.Contains(got, "retry may apply a write twice") {
			t.Fatalf("reply %d when the log failed: %q", i, got)
		}
	}
	for i := 0; i < 3; i++ {
		if got := rc.do("INCR", "n"); !strings.HasPrefix(got, "-MISCONF Errors writing to the WAL; writes are refused") {
			t.Fatalf("INCR while the log is failed: %q", got)
		}
	}
	if got := rc.do("GET", "n"); got != "$1\r\n2\r\n" {
		t.Fatalf("GET n: %q, want 2 (the INCR of unknown outcome ran, the refused ones did not)", got)
	}
}
