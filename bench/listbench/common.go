package main

// Shared helpers (the same file lives in bench/restart, bench/membench and bench/listbench so
// each program stays one self-contained package main): child-server
// lifecycle with cleanup on exit and on signals, key loading, a bounded
// concurrent latency loop, INFO parsing, machine description.

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"fastcache/bench/child"
)

// ---- child processes --------------------------------------------------------

var (
	procMu sync.Mutex
	procs  = map[int]*exec.Cmd{} // pid -> running child
	// cleanups run on a signal exit (deferred functions do not run then).
	cleanups []func()
)

// onSignalExit registers f (e.g. removing the work dir) for a signal exit.
func onSignalExit(f func()) {
	procMu.Lock()
	cleanups = append(cleanups, f)
	procMu.Unlock()
}

// server is one started child process (fastcache or redis-server).
type server struct {
	kind  string // "fastcache" | "redis"
	cmd   *exec.Cmd
	port  int
	dir   string
	log   *os.File
	start time.Time // just before fork/exec
	done  chan struct{}
}

func (s *server) addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }
func (s *server) pid() int     { return s.cmd.Process.Pid }

// installSignalHandler kills every child on SIGINT/SIGTERM/SIGHUP and exits.
func installSignalHandler() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-ch
		fmt.Fprintf(os.Stderr, "\nsignal %v: stopping child servers\n", sig)
		killAll()
		procMu.Lock()
		for _, f := range cleanups {
			f()
		}
		procMu.Unlock()
		os.Exit(130)
	}()
}

// killAll SIGKILLs every child still running (each in its own process group).
func killAll() {
	procMu.Lock()
	defer procMu.Unlock()
	for pid := range procs {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts kind on port with data dir dir plus extra directives.
// Output goes to dir/../<kind>-<port>.log.
func startServer(kind, bin string, port int, dir string, extra ...string) (*server, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir}
	if kind == "redis" {
		args = append(args, "--daemonize", "no", "--protected-mode", "no", "--logfile", "")
	}
	args = append(args, extra...)
	logPath := filepath.Join(filepath.Dir(dir), fmt.Sprintf("%s-%d.log", kind, port))
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = child.Attr()
	s := &server{kind: kind, cmd: cmd, port: port, dir: dir, log: lf, done: make(chan struct{})}
	procMu.Lock()
	s.start = time.Now()
	err = cmd.Start()
	if err == nil {
		procs[cmd.Process.Pid] = cmd
	}
	procMu.Unlock()
	if err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", kind, err)
	}
	go func() {
		_ = cmd.Wait()
		procMu.Lock()
		delete(procs, cmd.Process.Pid)
		procMu.Unlock()
		lf.Close()
		close(s.done)
	}()
	return s, nil
}

// kill9 SIGKILLs the server and waits (bounded) until it is reaped.
func (s *server) kill9() {
	if s.exited() {
		return
	}
	_ = syscall.Kill(-s.pid(), syscall.SIGKILL)
	_ = syscall.Kill(s.pid(), syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
	}
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// waitReady polls PING (raw RESP) every 5 ms until +PONG, up to timeout.
func (s *server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if s.exited() {
			return fmt.Errorf("%s exited during start (see %s)", s.kind, s.log.Name())
		}
		if r, err := rawCommand(s.addr(), "PING"); err == nil && r == "+PONG" {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("%s on %s not ready after %v", s.kind, s.addr(), timeout)
}

// rawCommand sends one inline command on a fresh connection and returns the
// first reply line (no go-redis: its pool backs off after dial errors).
func rawCommand(addr, cmd string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, cmd+"\r\n"); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}

// ---- clients and loading ----------------------------------------------------

func newClient(addr string, pool int) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, Protocol: 2, DisableIdentity: true,
		PoolSize: pool, MinIdleConns: 0, MaxRetries: -1,
		DialTimeout: 2 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
	})
}

func keyOf(i int) string { return fmt.Sprintf("key:%012d", i) } // 16 bytes

// valOf is a deterministic 32-byte value of key i: base64 of 24 pseudo-random
// bytes, so snapshot/log compression cannot shrink it much (6 bits per byte).
func valOf(i int) string {
	var b [24]byte
	x := uint64(i)
	for j := 0; j < 3; j++ {
		x += 0x9e3779b97f4a7c15 // splitmix64
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		binary.LittleEndian.PutUint64(b[8*j:], z^(z>>31))
	}
	return base64.RawStdEncoding.EncodeToString(b[:])
}

// loadRange writes keys [from,to) with pipelined MSET batches (100 pairs per
// MSET, 10 MSETs per pipeline round trip) over `workers` connections.
func loadRange(ctx context.Context, addr string, from, to, workers int) error {
	const perMSet, perPipe = 100, 10
	c := newClient(addr, workers)
	defer c.Close()
	chunk := perMSet * perPipe
	var next atomic.Int64
	next.Store(int64(from))
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= to {
					return
				}
				hi := min(lo+chunk, to)
				p := c.Pipeline()
				for b := lo; b < hi; b += perMSet {
					e := min(b+perMSet, hi)
					pairs := make([]interface{}, 0, 2*(e-b))
					for i := b; i < e; i++ {
						pairs = append(pairs, keyOf(i), valOf(i))
					}
					p.MSet(ctx, pairs...)
				}
				if _, err := p.Exec(ctx); err != nil {
					errc <- fmt.Errorf("MSET batch at %d: %w", lo, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// info returns the fields of INFO section as a map.
func info(ctx context.Context, c *redis.Client, section string) (map[string]string, error) {
	s, err := c.Info(ctx, section).Result()
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			m[k] = v
		}
	}
	return m, nil
}

// waitInfoField polls INFO section every 20 ms until field == want.
func waitInfoField(ctx context.Context, c *redis.Client, section, field, want string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		m, err := info(ctx, c, section)
		if err == nil && m[field] == want {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("INFO %s %s never became %s within %v", section, field, want, timeout)
}

// ---- bounded latency loop ---------------------------------------------------

type loadResult struct {
	ops     int
	elapsed time.Duration
	errors  int
	p50     time.Duration
	p99     time.Duration
	capped  bool // the time cap stopped the loop before ops were done
}

func (r loadResult) opsPerSec() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ops) / r.elapsed.Seconds()
}

// runLoad issues `ops` operations from `conns` goroutines (one connection
// each), op(i) choosing the command for the i-th op of a worker; stops early
// at timeCap. Each op's latency is recorded; p50/p99 over all of them.
func runLoad(ctx context.Context, addr string, conns, ops int, timeCap time.Duration,
	op func(ctx context.Context, c *redis.Client, worker, i int) error) loadResult {
	c := newClient(addr, conns)
	defer c.Close()
	// Open the connections before the clock starts.
	var wg sync.WaitGroup
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() { defer wg.Done(); _ = c.Ping(ctx).Err() }()
	}
	wg.Wait()
	per := ops / conns
	lats := make([][]time.Duration, conns)
	var errs atomic.Int64
	var capped atomic.Bool
	deadline := time.Now().Add(timeCap)
	start := time.Now()
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			l := make([]time.Duration, 0, per)
			for i := 0; i < per; i++ {
				t := time.Now()
				if t.After(deadline) {
					capped.Store(true)
					break
				}
				if err := op(ctx, c, w, i); err != nil && !errors.Is(err, redis.Nil) {
					errs.Add(1)
				}
				l = append(l, time.Since(t))
			}
			lats[w] = l
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := loadResult{ops: len(all), elapsed: elapsed, errors: int(errs.Load()), capped: capped.Load()}
	if len(all) > 0 {
		r.p50 = all[len(all)*50/100]
		r.p99 = all[min(len(all)-1, len(all)*99/100)]
	}
	return r
}

// ---- small utilities --------------------------------------------------------

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func ms(d float64) string { return fmt.Sprintf("%.3f ms", d) }

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

// dirSize sums the sizes of the regular files under dir.
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// vmRSS reads VmRSS (bytes) of pid from /proc/<pid>/status.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, err := strconv.ParseInt(f[1], 10, 64)
				return kb * 1024, err
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// buildFastcache builds ./cmd/fastcache into dir when no binary was given.
func buildFastcache(bin, dir string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	out := filepath.Join(dir, "fastcache")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/fastcache")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/fastcache (run from the repo root or pass -fastcache): %w", err)
	}
	return out, nil
}

func cmdOutput(name string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return strings.TrimSpace(string(out))
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			if _, v, ok := strings.Cut(line, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown"
}

// printMachine writes the machine/version header of the report.
func printMachine(w io.Writer, fcBin, redisBin string) {
	fmt.Fprintf(w, "## Machine\n\n")
	fmt.Fprintf(w, "| item | value |\n|---|---|\n")
	fmt.Fprintf(w, "| date | %s |\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "| nproc | %d (GOMAXPROCS of this program: %d) |\n", runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "| CPU | %s |\n", cpuModel())
	fmt.Fprintf(w, "| kernel | %s |\n", cmdOutput("uname", "-sr"))
	fmt.Fprintf(w, "| Go | %s |\n", runtime.Version())
	fmt.Fprintf(w, "| fastcache | %s |\n", cmdOutput(fcBin, "--version"))
	fmt.Fprintf(w, "| redis-server | %s |\n", cmdOutput(redisBin, "--version"))
	fmt.Fprintf(w, "| load average at start | %s |\n\n", loadAvg())
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
