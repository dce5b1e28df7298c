package server

import (
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
