package server

import (
	"strings"
	"testing"
	"time"
)

// A blocked command is logged in the SLOWLOG when it is served, not when
// it blocks, as Redis does: a BLPOP served after SLOWLOG RESET is there
// (as itself, not as the LPOP it amounts to), newest.
func TestSlowlogBlockedCommand(t *testing.T) {
	ts := startServer(t)
	rc, blocked := ts.rawConn(t), ts.rawConn(t)
	rc.do("CONFIG", "SET", "slowlog-log-slower-than", "0")
	blocked.write(encodeCmd("BLPOP", "l", "0"))
	waitFor(t, 5*time.Second, "the client blocked", func() bool {
		return strings.Contains(rc.val("INFO", "clients").str, "blocked_clients:1")
	})
	rc.do("MULTI")
	rc.do("LPUSH", "l", "foo")
	rc.do("SLOWLOG", "RESET")
	rc.do("EXEC")
	if r := blocked.read(); r != "*2\r\n$1\r\nl\r\n$3\r\nfoo\r\n" {
		t.Fatalf("BLPOP: %q", r)
	}
	entries := rc.val("SLOWLOG", "GET")
	if len(entries.elems) == 0 {
		t.Fatal("empty slowlog")
	}
	if got := strings.Join(entries.elems[0].elems[3].strs(), " "); got != "BLPOP l 0" {
		t.Errorf("newest slowlog entry: %q, want the BLPOP", got)
	}
}
