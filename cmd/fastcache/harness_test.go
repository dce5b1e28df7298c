package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The tests in this package run the real fastcache binary, built once per
// test run, on loopback ports, and talk to it with go-redis.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fastcache-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "fastcache")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freePort(t testing.TB) int {
	t.Helper()
	ports.Lock()
	defer ports.Unlock()
	if ports.next == 0 {
		ports.low, ports.high = portRange()
		ports.next = ports.low + rand.IntN(ports.high-ports.low)
	}
	for range ports.high - ports.low {
		p := ports.next
		if ports.next++; ports.next >= ports.high {
			ports.next = ports.low
		}
		if ports.used[p] {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		ln.Close()
		ports.used[p] = true
		return p
	}
	t.Fatalf("no free loopback port in %d-%d", ports.low, ports.high)
	return 0
}

// ports hands each test port out once per test process, from below the
// kernel's ephemeral range: a port asked of the kernel with :0 can come back
// on the next call, and an ephemeral port can be taken by any outgoing
// connection between the check and the server's bind (CI saw the export
// port and the server port come out equal).
var ports = struct {
	sync.Mutex
	next, low, high int
	used            map[int]bool
}{used: map[int]bool{}}

// portRange is a span of ports under the ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default).
func portRange() (int, int) {
	high := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				high = n
			}
		}
	}
	if high < 12000 {
		high = 12000
	}
	return high - 10000, high
}

// proc is one running fastcache process.
type proc struct {
	t    testing.TB
	cmd  *exec.Cmd
	port int
	dir  string
	out  *syncBuffer
	done chan struct{}
	err  error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start launches the binary on dir with extra directives and does not wait
// for it to be ready.
func start(t testing.TB, dir string, directives ...string) *proc {
	t.Helper()
	return startOn(t, freePort(t), dir, directives...)
}

// startOn is start on a given port (a restart that peers find again).
func startOn(t testing.TB, port int, dir string, directives ...string) *proc {
	t.Helper()
	args := []string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir, "--logformat", "json"}
	if len(directives) > 0 && strings.HasSuffix(directives[0], ".conf") {
		// a config file: first on the command line, as redis-server's
		args = append([]string{directives[0]}, args...)
		directives = directives[1:]
	}
	for _, d := range directives {
		args = append(args, d)
	}
	p := &proc{t: t, port: port, dir: dir, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binary(t), args...)
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

// startReady launches the binary and waits until it serves data commands.
func startReady(t testing.TB, dir string, directives ...string) *proc {
	t.Helper()
	p := start(t, dir, directives...)
	p.waitReady(60 * time.Second)
	return p
}

func (p *proc) addr() string { return fmt.Sprintf("127.0.0.1:%d", p.port) }

func (p *proc) client() *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: -1, DialTimeout: 2 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, PoolSize: 64})
	p.t.Cleanup(func() { rdb.Close() })
	return rdb
}

// waitReady polls until DBSIZE answers (not -LOADING) or the process exits.
func (p *proc) waitReady(timeout time.Duration) {
	p.t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			p.t.Fatalf("fastcache exited before it was ready: %v\n%s", p.err, p.out.String())
		default:
		}
		// NOAUTH also means the dataset is loaded (LOADING is checked
		// first); MASTERDOWN, a replica refusing stale data, that it serves
		if err := rdb.DBSize(context.Background()).Err(); err == nil || strings.HasPrefix(err.Error(), "NOAUTH") || strings.HasPrefix(err.Error(), "MASTERDOWN") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("fastcache not ready after %v\n%s", timeout, p.out.String())
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	if p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		p.t.Fatalf("fastcache did not stop on SIGTERM\n%s", p.out.String())
	}
	if p.err != nil {
		p.t.Fatalf("fastcache exited with %v after SIGTERM\n%s", p.err, p.out.String())
	}
}

// wait waits for the process to exit by itself and returns its output.
func (p *proc) wait(timeout time.Duration) (string, error) {
	select {
	case <-p.done:
		return p.out.String(), p.err
	case <-time.After(timeout):
		p.t.Fatalf("fastcache still running after %v\n%s", timeout, p.out.String())
	}
	return "", nil
}

func ctx() context.Context { return context.Background() }

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// redisServerBin is redis-server's path; without it the test is skipped, or
// fails with FASTCACHE_REQUIRE_REDIS=1.
func redisServerBin(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("FASTCACHE_REQUIRE_REDIS") == "1" {
			t.Fatalf("redis-server not found: %v", err)
		}
		t.Skipf("redis-server not found: %v", err)
	}
	return bin
}

// startRedisServer starts a redis-server on a free loopback port with the
// given arguments (a config file first, if any) and returns its address once
// it answers PING; without redis-server the test is skipped, or fails with
// FASTCACHE_REQUIRE_REDIS=1. For the tests that compare fastcache with it.
func startRedisServer(t *testing.T, args ...string) string {
	t.Helper()
	bin := redisServerBin(t)
	port := freePort(t)
	rs := exec.Command(bin, append(args, "--port", strconv.Itoa(port), "--bind", "127.0.0.1")...)
	if err := rs.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Process.Kill(); rs.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	rc := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rc.Close()
	waitFor(t, "redis-server", func() bool { return rc.Ping(ctx()).Err() == nil })
	return addr
}
