package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCrashTraceInLogfile: a server started with a logfile that crashes
// (DEBUG PANIC, DEBUG SEGFAULT: a panic and a nil pointer write in a
// command) leaves its stack traces in the logfile, not only on a stderr
// nobody kept; and a restart after the crash serves what was written
// before it (appendfsync always).
func TestCrashTraceInLogfile(t *testing.T) {
	for _, c := range []struct{ sub, want string }{
		{"PANIC", "panic: DEBUG PANIC"},
		{"SEGFAULT", "invalid memory address or nil pointer dereference"},
	} {
		t.Run(c.sub, func(t *testing.T) {
			dir := t.TempDir()
			logf := filepath.Join(dir, "fastcache.log")
			args := []string{"--logfile", logf, "--enable-debug-command", "yes", "--appendonly", "yes", "--appendfsync", "always"}
			p := startReady(t, dir, args...)
			rdb := p.client()
			if err := rdb.Set(ctx(), "k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if err := rdb.Do(ctx(), "DEBUG", c.sub).Err(); err == nil {
				t.Fatalf("DEBUG %s answered", c.sub)
			}
			if _, err := p.wait(30 * time.Second); err == nil {
				t.Fatalf("DEBUG %s: the server exited cleanly", c.sub)
			}
			data, err := os.ReadFile(logf)
			if err != nil {
				t.Fatal(err)
			}
			log := string(data)
			for _, w := range []string{"DEBUG " + c.sub + ": crashing the server on request", c.want, "goroutine ", "server/debug.go"} {
				if !contains(log, w) {
					t.Errorf("logfile without %q:\n%s", w, log)
				}
			}
			p2 := startReady(t, dir, args...)
			if v, err := p2.client().Get(ctx(), "k").Result(); err != nil || v != "v" {
				t.Fatalf("after the crash: %q %v", v, err)
			}
		})
	}
}
