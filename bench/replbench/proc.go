package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"fastcache/bench/child"
)

// proc is one server process this program started.
type proc struct {
	name    string
	cmd     *exec.Cmd
	port    int
	dir     string
	logPath string
	done    chan struct{}
}

func (p *proc) addr() string { return fmt.Sprintf("127.0.0.1:%d", p.port) }

// registry holds every process still running, so that exit paths (normal,
// fatal, signal) can kill them all.
var registry = struct {
	sync.Mutex
	procs  map[*proc]struct{}
	closed bool
}{procs: map[*proc]struct{}{}}

// usedPorts avoids handing out a port twice in one run.
var usedPorts = struct {
	sync.Mutex
	m map[int]bool
}{m: map[int]bool{}}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	for i := 0; i < 50; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		usedPorts.Lock()
		seen := usedPorts.m[port]
		usedPorts.m[port] = true
		usedPorts.Unlock()
		if !seen {
			return port, nil
		}
	}
	return 0, errors.New("no free port found")
}

// startProc launches bin with args, output to logPath. The child gets its
// own process group (a terminal ^C reaches only us; we kill it) and
// SIGKILL when this process dies without cleaning up.
func startProc(name, bin string, args []string, port int, dir, logPath string) (*proc, error) {
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = lf
	cmd.Stderr = lf
	cmd.SysProcAttr = child.Attr()
	registry.Lock()
	if registry.closed {
		registry.Unlock()
		lf.Close()
		return nil, errors.New("shutting down")
	}
	if err := cmd.Start(); err != nil {
		registry.Unlock()
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, port: port, dir: dir, logPath: logPath, done: make(chan struct{})}
	registry.procs[p] = struct{}{}
	registry.Unlock()
	go func() {
		cmd.Wait()
		lf.Close()
		close(p.done)
	}()
	logf("started %s (pid %d) on %s", name, cmd.Process.Pid, p.addr())
	return p, nil
}

// stop ends p: SIGTERM, then SIGKILL after a few seconds.
func (p *proc) stop() {
	if p == nil {
		return
	}
	select {
	case <-p.done:
	default:
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			p.cmd.Process.Kill()
			select {
			case <-p.done:
			case <-time.After(5 * time.Second):
				logf("%s (pid %d) did not exit after SIGKILL", p.name, p.cmd.Process.Pid)
			}
		}
	}
	registry.Lock()
	delete(registry.procs, p)
	registry.Unlock()
}

// killAll stops every process still registered and refuses new ones.
func killAll() {
	registry.Lock()
	registry.closed = true
	ps := make([]*proc, 0, len(registry.procs))
	for p := range registry.procs {
		ps = append(ps, p)
	}
	registry.Unlock()
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() { defer wg.Done(); p.stop() }()
	}
	wg.Wait()
}

// logTail returns the last lines of p's log, for error messages.
func (p *proc) logTail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

// waitReady waits until p answers a read command (not LOADING, not a
// refused connection), at most timeout.
func (p *proc) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited during startup:\n%s", p.name, p.logTail())
		default:
		}
		c, err := dial(p.addr(), 2*time.Second)
		if err == nil {
			_, _, err = c.do("GET", "replbench:ready")
			c.Close()
			if err == nil {
				return nil
			}
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %v: %v\n%s", p.name, timeout, last, p.logTail())
}
