//go:build !windows && !plan9

package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fastcache/config"
)

// TestSyslog: with syslog-enabled yes the log goes to syslog too, under
// syslog-ident and syslog-facility, at each line's level (here a socket
// of the test's own in place of the local syslog daemon's).
func TestSyslog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.sock")
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	saved := syslogAddr
	syslogAddr = [2]string{"unixgram", path}
	defer func() { syslogAddr = saved }()
	// (no logfile: newLogger would make it this test process's crash output)
	cfg, err := config.Load([]string{"--syslog-enabled", "yes", "--syslog-ident", "fc-test", "--syslog-facility", "local3",
		"--logformat", "json"})
	if err != nil {
		t.Fatal(err)
	}
	log, closeLog, err := newLogger(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer closeLog()
	read := func() string {
		sock.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 8192)
		n, err := sock.Read(buf)
		if err != nil {
			t.Fatalf("nothing reached syslog: %v", err)
		}
		return string(buf[:n])
	}
	log.Info().Msg("hello syslog")
	// <priority>: facility local3 (19) * 8 + level
	if m := read(); !strings.HasPrefix(m, "<158>") || !strings.Contains(m, fmt.Sprintf("fc-test[%d]", os.Getpid())) || !strings.Contains(m, "hello syslog") {
		t.Fatalf("the info line in syslog: %q", m)
	}
	log.Warn().Msg("careful")
	if m := read(); !strings.HasPrefix(m, "<156>") || !strings.Contains(m, "careful") {
		t.Fatalf("the warning in syslog: %q", m)
	}
}
