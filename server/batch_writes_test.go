package server

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// TestBusyScriptSendsBatchReplies: a reply that waits for the end of its
// event loop's batch (replies go out together) is not held back by a script
// that runs past busy-reply-threshold in the same batch: the stand-in that
// serves the loop meanwhile sends it. DEBUG SLEEP stalls the loop while a
// GET and then a long script arrive, so both are in the loop's next batch.
func TestBusyScriptSendsBatchReplies(t *testing.T) {
	ts := startServer(t, "busy-reply-threshold", "100", "enable-debug-command", "yes")
	sleeper, reader, scripter := ts.raw(t), ts.raw(t), ts.raw(t)
	for _, c := range []net.Conn{sleeper, reader, scripter} { // each registered with the loop
		c.Write([]byte(encodeCmd("PING")))
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if r, err := diffReadReply(bufio.NewReader(c)); err != nil || r != "+PONG\r\n" {
			t.Fatalf("PING: %q, %v", r, err)
		}
	}
	if _, err := sleeper.Write([]byte(encodeCmd("DEBUG", "SLEEP", "0.3"))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the loop is asleep in DEBUG SLEEP
	if _, err := reader.Write([]byte(encodeCmd("GET", "k"))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	// runs about 1.5 s without writing
	script := "local t0 = redis.call('TIME') local s = t0[1] * 1e6 + t0[2] " +
		"while true do local t = redis.call('TIME') if t[1] * 1e6 + t[2] - s > 1500000 then break end end return 1"
	if _, err := scripter.Write([]byte(encodeCmd("EVAL", script, "0"))); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	reader.SetReadDeadline(time.Now().Add(10 * time.Second))
	r, err := diffReadReply(bufio.NewReader(reader))
	if err != nil {
		t.Fatal(err)
	}
	if r != "$-1\r\n" {
		t.Fatalf("GET replied %q", r)
	}
	waited := time.Since(sent)
	if waited > time.Second {
		t.Fatalf("the GET's reply came %v after the script was sent: it waited for the script's end", waited)
	}
	scripter.SetReadDeadline(time.Now().Add(10 * time.Second))
	if r, err := diffReadReply(bufio.NewReader(scripter)); err != nil || r != ":1\r\n" {
		t.Fatalf("script replied %q, %v", r, err)
	}
}
