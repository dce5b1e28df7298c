package server

import (
	"bufio"
	"strings"
	"testing"
)

// nopSocket is a socket for a client driven by a test itself.
type nopSocket struct{}

func (nopSocket) descriptor() int { return -1 }
func (nopSocket) shutdown()       {}
func (nopSocket) start() bool     { return true }
func (nopSocket) abort()          {}
func (nopSocket) pushWake()       {}
func (nopSocket) unblocked()      {}
func (nopSocket) hungUp() bool    { return false }

// TestReplyOffKeepsPushes: a message pushed to a client while its command
// runs goes before that command's reply; under CLIENT REPLY OFF (or SKIP)
// the reply is dropped, the message is not. (A tracking invalidation or a
// published message was lost when another executor, a TLS connection's
// goroutine or another event loop, pushed it while CLIENT REPLY OFF ran.)
func TestReplyOffKeepsPushes(t *testing.T) {
	ts := startServer(t)
	s := ts.srv
	c := &Client{srv: s, ID: s.nextID.Add(1), authed: true, sock: nopSocket{}}
	c.reply.proto = 3
	c.reply.errs = &s.errStats
	c.ks = s.cache.KeyspaceAt(&c.nowMs).WithErr(&c.kerr).WithOrigin(c)
	c.tick()
	run := func(cmds ...string) string {
		c.reply.Reset()
		var buf []byte
		for _, cmd := range cmds {
			buf = append(buf, encodeCmd(strings.Fields(cmd)...)...)
		}
		var p reqParser
		c.runPipeline(&p, buf)
		return string(c.reply.b)
	}
	run("SUBSCRIBE ch")
	for _, mode := range []string{"OFF", "SKIP"} {
		msg := ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\n" + mode[:2] + "\r\n"
		c.ps.ob.Push([]byte(msg)) // pushed while the next command runs
		if got := run("CLIENT REPLY " + mode); got != msg {
			t.Errorf("CLIENT REPLY %s with a message pushed meanwhile: %q, want the message alone", mode, got)
		}
		run("CLIENT REPLY ON")
	}
	c.ps.ob.Push([]byte(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nOF\r\n"))
	run("CLIENT REPLY OFF")
	c.ps.ob.Push([]byte(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nP2\r\n"))
	if got := run("PING x"); got != ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nP2\r\n" {
		t.Errorf("PING under CLIENT REPLY OFF with a message pushed meanwhile: %q", got)
	}
}

// TestUnblockedReplyBeforeInvalidation: a blocked BLMOVE served by another
// client's push moves an element into a key its client tracks: the
// client gets the BLMOVE's reply first, then the invalidation, as Redis
// orders them (Redis's "Unblocked BLMOVE gets notification after
// response"), with both network layers (the goroutine one has a writer of
// its own for pushed frames).
func TestUnblockedReplyBeforeInvalidation(t *testing.T) {
	ts := startServer(t)
	pusher := ts.client(t, 2)
	conn := ts.raw(t)
	br := bufio.NewReader(conn)
	send := func(args ...string) string {
		t.Helper()
		conn.Write([]byte(encodeCmd(args...)))
		r, err := diffReadReply(br)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	send("HELLO", "3")
	send("CLIENT", "TRACKING", "on")
	for i := range 100 {
		pusher.Del(ctx(), "list1{t}", "list2{t}")
		pusher.RPush(ctx(), "list2{t}", "a")
		send("LRANGE", "list2{t}", "0", "-1") // tracked
		conn.Write([]byte(encodeCmd("BLMOVE", "list1{t}", "list2{t}", "LEFT", "LEFT", "0")))
		waitBlocked(t, ts, 1)
		pusher.RPush(ctx(), "list1{t}", "foo")
		first, err := diffReadReply(br)
		if err != nil {
			t.Fatal(err)
		}
		second, err := diffReadReply(br)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(first, "foo") || !strings.Contains(second, "invalidate") {
			t.Fatalf("round %d (goroutine layer %v): %q then %q, want the BLMOVE's reply, then the invalidation", i, testGoroutines, first, second)
		}
	}
}
