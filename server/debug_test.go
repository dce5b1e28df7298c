package server

import (
	"strings"
	"testing"
	"time"
)

// DEBUG SET-ACTIVE-EXPIRE 0 stops the active expiry cycle (an expired key
// stays counted until it is touched); 1 starts it again.
func TestDebugSetActiveExpire(t *testing.T) {
	ts := startServer(t, "enable-debug-command", "yes")
	rc := ts.rawConn(t)
	if got := rc.do("DEBUG", "SET-ACTIVE-EXPIRE", "0"); got != "+OK\r\n" {
		t.Fatalf("SET-ACTIVE-EXPIRE 0: %q", got)
	}
	rc.do("SET", "k", "v", "PX", "1")
	// Ten cycles of the default 10 Hz would have removed it.
	time.Sleep(time.Second)
	if got := rc.do("DBSIZE"); got != ":1\r\n" {
		t.Fatalf("with active expiry off, DBSIZE = %q, want the expired key still counted", got)
	}
	rc.do("DEBUG", "SET-ACTIVE-EXPIRE", "1")
	waitFor(t, 5*time.Second, "active expiry to remove the key", func() bool { return rc.do("DBSIZE") == ":0\r\n" })
}

// DEBUG PAUSE-CRON 1 pauses the once-a-second work: an idle client outlives
// the timeout until PAUSE-CRON 0 (Redis's tracking.tcl pauses it so that the
// tracking table's limit applies at the next command, not in the cron).
func TestDebugPauseCron(t *testing.T) {
	ts := startServer(t, "enable-debug-command", "yes", "timeout", "1")
	rc := ts.rawConn(t)
	if got := rc.do("DEBUG", "PAUSE-CRON", "1"); got != "+OK\r\n" {
		t.Fatalf("PAUSE-CRON 1: %q", got)
	}
	idle := ts.rawConn(t)
	idle.do("PING")
	// Two cron rounds with the client idle past the timeout.
	time.Sleep(2500 * time.Millisecond)
	if got := idle.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("with the cron paused the idle client was closed: %q", got)
	}
	if got := rc.do("DEBUG", "PAUSE-CRON", "0"); got != "+OK\r\n" {
		t.Fatalf("PAUSE-CRON 0: %q", got)
	}
	idle.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := idle.br.Read(make([]byte, 64)); err == nil || n != 0 {
		t.Fatalf("the idle client was not closed after PAUSE-CRON 0: %d bytes, %v", n, err)
	}
}

// enable-debug-command local: DEBUG runs from a loopback connection; no
// (the default) refuses it everywhere.
func TestDebugEnableLocal(t *testing.T) {
	ts := startServer(t, "enable-debug-command", "local")
	rc := ts.rawConn(t)
	if got := rc.do("DEBUG", "PROTOCOL", "integer"); got != ":12345\r\n" {
		t.Fatalf("local from loopback: %q", got)
	}
	if got := rc.do("CONFIG", "SET", "enable-debug-command", "no"); !strings.Contains(got, "can't set immutable config") {
		t.Fatalf("CONFIG SET: %q", got)
	}
	off := startServer(t).rawConn(t)
	if got := off.do("DEBUG", "PROTOCOL", "integer"); got != "-"+errDebugNotAllowed+"\r\n" {
		t.Fatalf("default: %q", got)
	}
}
