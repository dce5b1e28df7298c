package server

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestTCPKeepalive: tcp-keepalive arms TCP keepalive on each client
// connection after that many seconds of silence, as Redis's does (0: off),
// and CONFIG SET changes it for the connections that follow. Read from the
// kernel's view of the server's socket (/proc/net/tcp: timer 2 is the
// keepalive timer, due in clock ticks).
func TestTCPKeepalive(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/net/tcp")
	}
	ts := startServer(t, "tcp-keepalive", "120")
	_, port, _ := net.SplitHostPort(ts.addr)
	check := func(wantSecs int) {
		t.Helper()
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		fmt.Fprint(nc, "PING\r\n")
		if l, err := bufio.NewReader(nc).ReadString('\n'); err != nil || l != "+PONG\r\n" {
			t.Fatalf("PING: %q %v", l, err)
		}
		_, cport, _ := net.SplitHostPort(nc.LocalAddr().String())
		timer, due := serverSocketTimer(t, port, cport)
		if wantSecs == 0 {
			if timer == 2 {
				t.Fatalf("a keepalive timer with tcp-keepalive 0")
			}
			return
		}
		if timer != 2 || due > wantSecs*100 || due < (wantSecs-5)*100 {
			t.Fatalf("server socket timer %d due in %d ticks, want keepalive (2) in about %d s", timer, due, wantSecs)
		}
	}
	check(120)
	rc := ts.rawConn(t)
	if got := rc.do("CONFIG", "SET", "tcp-keepalive", "0"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET: %q", got)
	}
	check(0)
	if got := rc.do("CONFIG", "SET", "tcp-keepalive", "30"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET: %q", got)
	}
	check(30)
}

// serverSocketTimer finds the socket on local port lport connected to
// remote port rport in /proc/net/tcp(6) and returns its timer kind and
// when it is due (clock ticks).
func serverSocketTimer(t *testing.T, lport, rport string) (int, int) {
	t.Helper()
	lp, _ := strconv.Atoi(lport)
	rp, _ := strconv.Atoi(rport)
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) < 6 {
				continue
			}
			l, r := fs[1], fs[2]
			if !strings.HasSuffix(l, fmt.Sprintf(":%04X", lp)) || !strings.HasSuffix(r, fmt.Sprintf(":%04X", rp)) {
				continue
			}
			tr := strings.SplitN(fs[5], ":", 2)
			kind, _ := strconv.Atoi(tr[0])
			due, _ := strconv.ParseInt(tr[1], 16, 64)
			return kind, int(due)
		}
	}
	t.Fatalf("no socket %s <- %s in /proc/net/tcp", lport, rport)
	return 0, 0
}
