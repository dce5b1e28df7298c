package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The apps_*_test.go tests run real applications built on ordinary Redis
// client libraries (job queues on ioredis, redis-py, ...) against the
// fastcache binary, unchanged, and check what their users see. Each driver
// program lives in testdata/apps/<library>/ and prints one JSON object on its
// last line of output. The tests skip when the library's runtime or packages
// are missing, or fail with FASTCACHE_REQUIRE_APPS=1 (.ci/run installs them
// and sets it). FASTCACHE_APPS_ALSO_REDIS=1 runs each program against
// redis-server too and logs its output, to tell a fastcache difference from
// a program's own mistake.

// appsMissing skips or fails the test for a missing tool or package.
func appsMissing(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("FASTCACHE_REQUIRE_APPS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// appDir is testdata/apps/<name> as an absolute path.
func appDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "apps", name))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// runApp runs a driver program (bin with args(port)) in dir against the
// server on port, bounded by timeout, and decodes the JSON object it prints
// last into v. Its output goes to the test log when the test fails.
func runApp(t *testing.T, dir string, timeout time.Duration, port int, v any, bin string, args func(port int) []string) {
	t.Helper()
	argv := args(port)
	out, errOut, err := execApp(dir, timeout, bin, argv)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s stdout:\n%s\nstderr (last 8 KiB):\n%s", bin, out, tail(errOut, 8<<10))
		}
	})
	if err != nil {
		t.Fatalf("%s %v: %v", bin, argv, err)
	}
	if err := json.Unmarshal(lastLine(out), v); err != nil {
		t.Fatalf("%s printed no JSON result: %v", bin, err)
	}
}

func execApp(dir string, timeout time.Duration, bin string, args []string) ([]byte, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("still running after %v: %w", timeout, err)
	}
	return stdout.Bytes(), stderr.Bytes(), err
}

// alsoAgainstRedis runs the same program against a redis-server, when
// FASTCACHE_APPS_ALSO_REDIS=1, and logs what it printed.
func alsoAgainstRedis(t *testing.T, dir string, timeout time.Duration, bin string, args func(port int) []string) {
	t.Helper()
	if os.Getenv("FASTCACHE_APPS_ALSO_REDIS") != "1" {
		return
	}
	rs, err := exec.LookPath("redis-server")
	if err != nil {
		t.Logf("redis-server not found: %v", err)
		return
	}
	port := freePort(t)
	cmd := exec.Command(rs, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	cmd.Dir = t.TempDir()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	out, errOut, err := execApp(dir, timeout, bin, args(port))
	t.Logf("against redis-server: err=%v\nstdout:\n%s\nstderr (last 4 KiB):\n%s", err, out, tail(errOut, 4<<10))
}

func lastLine(b []byte) []byte {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return []byte(lines[len(lines)-1])
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// checkAppJSON compares each part of a program's result with the JSON it
// wants (what the program prints against redis-server), and fails on any
// error the program reports.
func checkAppJSON(t *testing.T, r map[string]json.RawMessage, want map[string]string) {
	t.Helper()
	if e := string(r["errors"]); e != "{}" {
		t.Errorf("errors: %s", e)
	}
	for name, w := range want {
		var got, exp any
		if err := json.Unmarshal(r[name], &got); err != nil {
			t.Errorf("%s: no result (%v)", name, err)
			continue
		}
		if err := json.Unmarshal([]byte(w), &exp); err != nil {
			t.Fatalf("%s: bad wanted JSON: %v", name, err)
		}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("%s:\n got  %s\n want %s", name, r[name], w)
		}
	}
}
