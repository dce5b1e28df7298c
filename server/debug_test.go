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
