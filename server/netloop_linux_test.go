package server

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSeveralEventLoops: with io-threads 3, connections are spread over the
// loops and clients on different loops see each other's writes.
func TestSeveralEventLoops(t *testing.T) {
	ts := startServer(t, "io-threads", "3")
	if got := ts.client(t, 2).ConfigGet(ctx(), "io-threads").Val()["io-threads"]; got != "3" {
		t.Fatalf("CONFIG GET io-threads = %q", got)
	}
	const clients, incrs = 9, 200
	var conns []*rawConn
	for i := 0; i < clients; i++ {
		conns = append(conns, ts.rawConn(t))
	}
	for _, rc := range conns {
		if got := rc.do("PING"); got != "+PONG\r\n" {
			t.Fatalf("PING: %q", got)
		}
	}
	ts.srv.mu.Lock()
	loops := ts.srv.loops
	ts.srv.mu.Unlock()
	want := 3
	if testGoroutines {
		want = 0 // a goroutine per connection: io-threads does not apply
	}
	if len(loops) != want {
		t.Fatalf("%d event loops, want %d", len(loops), want)
	}
	for i, lp := range loops {
		if lp.nclients.Load() == 0 {
			t.Fatalf("loop %d serves no connection of %d", i, clients+1)
		}
	}
	var wg sync.WaitGroup
	for _, rc := range conns {
		wg.Add(1)
		go func(rc *rawConn) {
			defer wg.Done()
			for j := 0; j < incrs; j++ {
				rc.do("INCR", "shared")
			}
		}(rc)
	}
	wg.Wait()
	if got := conns[0].do("GET", "shared"); got != fmt.Sprintf("$%d\r\n%d\r\n", len(fmt.Sprint(clients*incrs)), clients*incrs) {
		t.Fatalf("GET shared = %q, want %d", got, clients*incrs)
	}
}

// TestBigRepliesOnSeveralConnections: connections of one loop that take
// turns sending big replies (the loop lends them one reply buffer, see
// loop.spare), one of them reading slowly (a 4 KB receive buffer, so its
// replies wait for the socket while other connections run), all get
// exactly their own replies.
func TestBigRepliesOnSeveralConnections(t *testing.T) {
	ts := startServer(t)
	b, c := ts.rawConn(t), ts.rawConn(t)
	// 20 rounds of big pipelined replies: under -race on a busy machine
	// this takes longer than rawConn's 10 s deadline for a whole connection
	b.conn.SetDeadline(time.Now().Add(90 * time.Second))
	c.conn.SetDeadline(time.Now().Add(90 * time.Second))
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	nc, err := d.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(90 * time.Second))
	t.Cleanup(func() { nc.Close() })
	a := &rawConn{t: t, conn: nc, br: bufio.NewReaderSize(nc, 512)}
	// and a small send buffer on the server's side of a (the server runs
	// in this process: CLIENT LIST's fd is ours too), so that the kernel
	// takes only a few KB of a's replies at a time
	id := strings.TrimSuffix(strings.TrimPrefix(a.do("CLIENT", "ID"), ":"), "\r\n")
	info := b.do("CLIENT", "LIST", "ID", id)
	var fd int
	if i := strings.Index(info, " fd="); i < 0 {
		t.Fatalf("CLIENT LIST ID %s: %q", id, info)
	} else if _, err := fmt.Sscanf(info[i+4:], "%d", &fd); err != nil {
		t.Fatalf("CLIENT LIST ID %s: %q: %v", id, info, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096); err != nil {
		t.Fatal(err)
	}

	var push []string
	var all strings.Builder
	fmt.Fprintf(&all, "*600\r\n")
	for i := 0; i < 600; i++ {
		e := fmt.Sprintf("e%03d-%s", i, strings.Repeat("x", 59))
		push = append(push, e)
		fmt.Fprintf(&all, "$%d\r\n%s\r\n", len(e), e)
	}
	if got := b.do(append([]string{"RPUSH", "big"}, push...)...); got != ":600\r\n" {
		t.Fatalf("RPUSH: %q", got)
	}
	whole := all.String()
	lines := strings.SplitAfter(whole, "\r\n")
	but1 := "*599\r\n" + strings.Join(lines[3:1201], "") // LRANGE big 1 -1
	first100 := "*100\r\n" + strings.Join(lines[1:201], "")
	pipeline := func(rc *rawConn, n int, args ...string) {
		rc.write(strings.Repeat(encodeCmd(args...), n))
	}
	expect := func(rc *rawConn, n int, want, what string) {
		t.Helper()
		for i := 0; i < n; i++ {
			if got := rc.read(); got != want {
				t.Fatalf("%s reply %d: %d bytes %.40q, want %d bytes %.40q", what, i, len(got), got, len(want), want)
			}
		}
	}
	// c's big pipeline leaves the loop a spare buffer big enough for a's,
	// which a borrows and holds while its replies wait for the socket.
	pipeline(c, 8, "LRANGE", "big", "0", "-1")
	expect(c, 8, whole, "c LRANGE 0 -1")
	pipeline(a, 8, "LRANGE", "big", "0", "-1")
	if _, err := a.br.Peek(1); err != nil { // a's pipeline ran
		t.Fatalf("no reply to a: %v", err)
	}
	for round := 0; round < 20; round++ {
		pipeline(b, 16, "LRANGE", "big", "0", "99")
		b.write(encodeCmd("GET", "nokey"))
		pipeline(c, 8, "LRANGE", "big", "1", "-1")
		c.write(encodeCmd("LLEN", "big"))
		expect(b, 16, first100, "b LRANGE 0 99")
		expect(b, 1, "$-1\r\n", "b GET")
		expect(c, 8, but1, "c LRANGE 1 -1")
		expect(c, 1, ":600\r\n", "c LLEN")
	}
	expect(a, 8, whole, "a LRANGE 0 -1")
	if got := a.do("LLEN", "big"); got != ":600\r\n" {
		t.Fatalf("a LLEN after its big replies: %q", got)
	}
}

// TestInterruptedWaitKeepsWakeups: a signal that interrupts a loop's
// epoll_wait (the runtime's preemption SIGURG does, under load) must not
// leave the loop asleep while marked busy, which made it ignore the
// wake-ups of unblocked clients: a BLPOP whose timeout passed meanwhile
// was never answered.
func TestInterruptedWaitKeepsWakeups(t *testing.T) {
	if testGoroutines {
		t.Skip("event loops only")
	}
	ts := startServer(t)
	rc := ts.rawConn(t)
	for i := 0; i < 10; i++ {
		rc.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		rc.write(encodeCmd("BLPOP", "nokey", "0.1"))
		waitBlocked(t, ts, 1)
		// interrupt every thread's system call, the loop's epoll_wait among
		// them, while the command waits for its timeout
		for j := 0; j < 20; j++ {
			signalThreads(t, unix.SIGURG)
			time.Sleep(time.Millisecond)
		}
		if got := rc.read(); got != "*-1\r\n" {
			t.Fatalf("BLPOP after its timeout: %q", got)
		}
	}
}

// signalThreads sends sig to every thread of this process.
func signalThreads(t *testing.T, sig unix.Signal) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	pid := os.Getpid()
	for _, task := range tasks {
		if tid, err := strconv.Atoi(task.Name()); err == nil {
			unix.Tgkill(pid, tid, sig)
		}
	}
}

// TestBusyPollOnlyWhenSeveralReady: a loop polls before it sleeps only
// after a wait that found several connections ready (loop.wait). A lone
// connection making one request at a time never makes it poll (that would
// spend a core on one client); connections sending at once do.
func TestBusyPollOnlyWhenSeveralReady(t *testing.T) {
	if testGoroutines {
		t.Skip("a goroutine per connection: no event loop")
	}
	ts := startServer(t)
	rc := ts.rawConn(t)
	stats := func() (cycles, polls int64) {
		r := rc.do("INFO", "stats")
		for _, line := range strings.Split(r, "\r\n") {
			k, v, _ := strings.Cut(line, ":")
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "eventloop_cycles":
				cycles = n
			case "eventloop_busy_polls":
				polls = n
			}
		}
		return cycles, polls
	}
	c0, p0 := stats()
	const pings = 500
	for i := 0; i < pings; i++ {
		if got := rc.do("PING"); got != "+PONG\r\n" {
			t.Fatalf("PING: %q", got)
		}
	}
	c1, p1 := stats()
	if c1-c0 < pings {
		t.Fatalf("eventloop_cycles grew by %d over %d requests made one at a time", c1-c0, pings)
	}
	// A wake-up of the loop landing with a request can make one wait hot;
	// a loop that polled after single events would have polled ~500 times.
	if p1-p0 > 20 {
		t.Fatalf("a lone connection made the loop poll before %d of %d waits", p1-p0, c1-c0)
	}

	var conns []*rawConn
	for i := 0; i < 8; i++ {
		conns = append(conns, ts.rawConn(t))
	}
	batch := strings.Repeat(encodeCmd("PING"), 16)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var wg sync.WaitGroup
		errs := make(chan error, len(conns))
		for _, c := range conns {
			wg.Add(1)
			go func(c *rawConn) {
				defer wg.Done()
				for r := 0; r < 50; r++ {
					if _, err := c.conn.Write([]byte(batch)); err != nil {
						errs <- err
						return
					}
					for j := 0; j < 16; j++ {
						if line, err := c.br.ReadString('\n'); err != nil || line != "+PONG\r\n" {
							errs <- fmt.Errorf("reply %q, %v", line, err)
							return
						}
					}
				}
			}(c)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if _, p := stats(); p > p1 {
			return
		}
	}
	t.Fatal("8 connections pipelining at once never made the loop poll before sleeping")
}
