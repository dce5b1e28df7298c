package server

import (
	"sync"
	"testing"
	"time"
)

// TestRedisDiffWait: WAIT's replies and errors on a server without
// replicas, as redis-server gives them.
func TestRedisDiffWait(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	runDiffScripts(t, []diffScript{{"wait", []diffStep{
		c("WAIT", "0", "0"), c("WAIT", "-1", "0"), c("WAIT", "1", "-1"), c("WAIT", "x", "0"), c("WAIT", "1", "x"),
		c("WAIT", "1", "1.5"), c("WAIT", "1", ""), c("WAIT", "9223372036854775808", "0"),
		c("WAIT", "1", "-9223372036854775808"), c("WAIT", "1", "10"), c("WAIT", "1"), c("WAIT", "1", "2", "3"),
		c("SET", "k", "v"), c("WAIT", "0", "0"), c("WAIT", "1", "5"),
		c("MULTI"), c("WAIT", "1", "0"), c("WAIT", "x", "0"), c("EXEC"),
	}}})
}

// fakeAcks is a primary whose replicas' acknowledgements the test sets.
type fakeAcks struct {
	fakeRepl
	mu      sync.Mutex
	replica bool
	acked   int
	onAck   func()
}

func (f *fakeAcks) IsReplica() bool                    { f.mu.Lock(); defer f.mu.Unlock(); return f.replica }
func (f *fakeAcks) AckTarget(lsn uint64) (int64, bool) { return int64(lsn), true }
func (f *fakeAcks) Acked(offset int64) int             { f.mu.Lock(); defer f.mu.Unlock(); return f.acked }
func (f *fakeAcks) OnAck(fn func())                    { f.mu.Lock(); f.onAck = fn; f.mu.Unlock() }

// ack sets how many replicas acknowledged and signals it.
func (f *fakeAcks) ack(n int) {
	f.mu.Lock()
	f.acked = n
	fn := f.onAck
	f.mu.Unlock()
	fn()
}

// TestWaitWakesOnAcks: a blocked WAIT is answered by the acknowledgement
// that makes enough replicas, not before; it answers the count at its
// timeout, CLIENT UNBLOCK answers the count too (ERROR: the error), a
// client that disconnects while waiting leaves nothing behind, and clients
// are served meanwhile.
func TestWaitWakesOnAcks(t *testing.T) {
	f := &fakeAcks{}
	ts := startServerOpts(t, func(o *Options) { o.Replication = f })
	rc := ts.rawConn(t)
	rc.write(encodeCmd("WAIT", "2", "0") + encodeCmd("PING"))
	waitBlocked(t, ts, 1)
	f.ack(1)
	other := ts.rawConn(t)
	if r := other.do("SET", "k", "v"); r != "+OK\r\n" {
		t.Fatalf("another client while WAIT blocks: %q", r)
	}
	f.ack(2)
	if r := rc.read(); r != ":2\r\n" {
		t.Fatalf("WAIT 2 0 answered %q", r)
	}
	if r := rc.read(); r != "+PONG\r\n" {
		t.Fatalf("the next command answered %q", r)
	}
	waitBlocked(t, ts, 0)

	// the count at the timeout
	f.ack(0)
	start := time.Now()
	if r := rc.do("WAIT", "1", "30"); r != ":0\r\n" {
		t.Fatalf("WAIT 1 30 = %q", r)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("WAIT 1 30 answered after %v", d)
	}

	// CLIENT UNBLOCK: the count, or the error
	id := rc.do("CLIENT", "ID")
	id = id[1 : len(id)-2]
	for _, tc := range []struct{ how, want string }{{"TIMEOUT", ":0\r\n"}, {"ERROR", "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"}} {
		rc.write(encodeCmd("WAIT", "1", "0"))
		waitBlocked(t, ts, 1)
		if r := other.do("CLIENT", "UNBLOCK", id, tc.how); r != ":1\r\n" {
			t.Fatalf("CLIENT UNBLOCK %s = %q", tc.how, r)
		}
		if r := rc.read(); r != tc.want {
			t.Fatalf("WAIT after CLIENT UNBLOCK %s: %q", tc.how, r)
		}
	}

	// a client that goes away while waiting
	gone := ts.rawConn(t)
	gone.write(encodeCmd("WAIT", "3", "0"))
	waitBlocked(t, ts, 1)
	gone.conn.Close()
	waitBlocked(t, ts, 0)
	f.ack(3)
	ts.srv.blk.mu.Lock()
	queues := len(ts.srv.blk.queues)
	ts.srv.blk.mu.Unlock()
	if queues != 0 {
		t.Fatalf("%d wait queues left", queues)
	}

	// a replica refuses WAIT
	f.mu.Lock()
	f.replica = true
	f.mu.Unlock()
	if r := rc.do("WAIT", "0", "0"); r != "-"+errWaitReplica+"\r\n" {
		t.Fatalf("WAIT on a replica: %q", r)
	}
}
