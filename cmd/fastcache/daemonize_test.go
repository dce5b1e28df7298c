package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sys/unix"
)

// TestDaemonize: with daemonize yes the command returns at once (exit 0)
// and the server goes on detached, as Redis's: in a session of its own,
// writing its pid file and its log file; SHUTDOWN stops it and removes the
// pid file. A redis.conf with "daemonize yes" (Debian's) so starts.
func TestDaemonize(t *testing.T) {
	dir := t.TempDir()
	pidFile, logFile := filepath.Join(dir, "fc.pid"), filepath.Join(dir, "fc.log")
	port := freePort(t)
	conf := filepath.Join(dir, "fc.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("daemonize yes\nport %d\nbind 127.0.0.1\ndir %s\npidfile %s\nlogfile %s\n",
		port, filepath.Join(dir, "data"), pidFile, logFile)), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "data"), 0o755)
	cmd := exec.Command(binary(t), conf)
	done := make(chan error, 1)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the launching process: %v", err)
		}
		t.Logf("the launching process returned after %v", time.Since(start).Round(time.Millisecond))
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the launching process did not return")
	}
	var pid int
	waitFor(t, "the daemon's pid file", func() bool {
		b, err := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	})
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	if pid == cmd.Process.Pid {
		t.Fatalf("the daemon is the launching process (%d)", pid)
	}
	if sid, err := unix.Getsid(pid); err != nil || sid != pid {
		t.Fatalf("the daemon's session %d (%v), want its own (%d)", sid, err, pid)
	}
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), MaxRetries: -1})
	defer rdb.Close()
	waitFor(t, "the daemon to serve", func() bool { return rdb.Set(ctx(), "k", "v", 0).Err() == nil })
	if log, _ := os.ReadFile(logFile); !strings.Contains(string(log), "Ready to accept connections") {
		t.Fatalf("the daemon's log file:\n%s", log)
	}
	rdb.Shutdown(ctx())
	waitFor(t, "the daemon to exit", func() bool { return syscall.Kill(pid, 0) != nil })
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Fatalf("pid file left after SHUTDOWN: %v", err)
	}
}
