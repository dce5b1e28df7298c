package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSupervisedSystemd: with supervised systemd (or auto, finding
// NOTIFY_SOCKET) the server sends READY=1 to $NOTIFY_SOCKET once it
// accepts connections, and STOPPING=1 when it shuts down, as a unit of
// Type=notify expects.
func TestSupervisedSystemd(t *testing.T) {
	for _, mode := range []string{"systemd", "auto"} {
		t.Run(mode, func(t *testing.T) {
			sockPath := filepath.Join(t.TempDir(), "notify.sock")
			sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
			if err != nil {
				t.Fatal(err)
			}
			defer sock.Close()
			t.Setenv("NOTIFY_SOCKET", sockPath)
			p := start(t, t.TempDir(), "--supervised", mode)
			read := func() string {
				sock.SetReadDeadline(time.Now().Add(60 * time.Second))
				buf := make([]byte, 4096)
				n, err := sock.Read(buf)
				if err != nil {
					t.Fatalf("nothing on NOTIFY_SOCKET: %v\n%s", err, p.out.String())
				}
				return string(buf[:n])
			}
			if msg := read(); !strings.Contains(msg, "READY=1\n") {
				t.Fatalf("first notification %q, want READY=1", msg)
			}
			// ready means ready: a command is served at once
			if err := p.client().Set(ctx(), "k", "v", 0).Err(); err != nil {
				t.Fatalf("SET after READY=1: %v", err)
			}
			p.stop()
			if msg := read(); msg != "STOPPING=1\n" {
				t.Fatalf("notification at shutdown %q, want STOPPING=1", msg)
			}
		})
	}
}

// TestSupervisedUpstart: with supervised upstart the server stops itself
// (SIGSTOP) once ready, as an upstart job with "expect stop" waits for.
func TestSupervisedUpstart(t *testing.T) {
	t.Setenv("UPSTART_JOB", "fastcache")
	t.Setenv("NOTIFY_SOCKET", "")
	p := start(t, t.TempDir(), "--supervised", "auto")
	t.Cleanup(func() { p.cmd.Process.Signal(syscall.SIGCONT) })
	waitFor(t, "the server to stop itself", func() bool {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/stat")
		f := strings.Fields(string(b))
		return err == nil && len(f) > 2 && f[2] == "T"
	})
	p.cmd.Process.Signal(syscall.SIGCONT)
	p.waitReady(time.Minute)
}
