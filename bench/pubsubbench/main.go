// Command pubsubbench measures pub/sub fan-out and the cost of keyspace
// notifications, for fastcache and for redis-server side by side.
//
// Rows (each is ROUNDS runs on fresh processes, fastcache and Redis back
// to back in alternating order, no persistence on either):
//
//   - fanout-N: one publisher and N subscribers of one channel (N = 1, 100,
//     1000); the publisher pipelines PUBLISH with at most -window commands
//     in flight for -duration, each payload carrying its send time. The
//     rate is messages delivered to all subscribers per second, from the
//     first PUBLISH to the last message received; latency is from PUBLISH
//     to receipt, p50/p99 over every delivery.
//   - pattern-100: the same with 100 subscribers of the pattern "bench*".
//   - set-kea: 32 connections doing SET (unpipelined) on 100,000 keys with
//     notify-keyspace-events KEA and one subscriber of "__key*__:*"
//     reading every event; SET operations per second.
//   - set-tracking-100: the same SET load while 100 RESP3 clients with
//     CLIENT TRACKING ON cache the 100,000 keys (1,000 each): each reads its
//     keys first, and reads a key again whenever it is invalidated.
//
// The markdown report goes to stdout, progress to stderr; every process it
// started is killed on exit.
//
//	go run ./bench/pubsubbench -fastcache /tmp/fc -rounds 3
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"fastcache/bench/child"
	"fastcache/bench/hist"
)

type options struct {
	fastcache, redis string
	rounds           int
	duration         time.Duration
	window           int
	payload          int
	rows             []string
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func main() {
	var o options
	var rows string
	flag.StringVar(&o.fastcache, "fastcache", "", "fastcache binary (required)")
	flag.StringVar(&o.redis, "redis-server", "redis-server", "redis-server binary")
	flag.IntVar(&o.rounds, "rounds", 3, "runs per row and server")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "publishing (or SET) time per run")
	flag.IntVar(&o.window, "window", 64, "PUBLISH commands in flight")
	flag.IntVar(&o.payload, "payload", 64, "message size in bytes (at least 20)")
	flag.StringVar(&rows, "rows", "fanout-1,fanout-100,fanout-1000,pattern-100,set-kea,set-tracking-100", "rows to run")
	flag.Parse()
	if o.fastcache == "" {
		fmt.Fprintln(os.Stderr, "-fastcache is required")
		os.Exit(2)
	}
	o.rows = strings.Split(rows, ",")
	o.payload = max(o.payload, 20)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() { <-sig; killAll(); os.Exit(1) }()
	defer killAll()

	type cell struct{ fc, redis []result }
	res := map[string]*cell{}
	for round := 0; round < o.rounds; round++ {
		for _, row := range o.rows {
			c := res[row]
			if c == nil {
				c = &cell{}
				res[row] = c
			}
			order := []string{"fastcache", "redis"}
			if round%2 == 1 {
				order = []string{"redis", "fastcache"}
			}
			for _, server := range order {
				r, err := runRow(o, server, row)
				if err != nil {
					logf("%s %s round %d: %v", row, server, round+1, err)
					killAll()
					os.Exit(1)
				}
				logf("%s %s round %d: %s", row, server, round+1, r)
				if server == "fastcache" {
					c.fc = append(c.fc, r)
				} else {
					c.redis = append(c.redis, r)
				}
			}
		}
	}
	fmt.Printf("| row | fastcache | redis | ratio | p50 fc / redis | p99 fc / redis | server CPU per msg fc / redis | subscribers lost fc / redis |\n")
	fmt.Printf("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, row := range o.rows {
		c := res[row]
		f, r := median(c.fc), median(c.redis)
		unit := "msg/s"
		if strings.HasPrefix(row, "set-") {
			unit = "SET/s"
		}
		fmt.Printf("| %s | %.0f %s | %.0f %s | **%.2f** | %s / %s | %s / %s | %.0f / %.0f ns | %d / %d |\n", row, f.rate, unit, r.rate, unit, f.rate/r.rate,
			dur(f.p50), dur(r.p50), dur(f.p99), dur(r.p99), f.cpu, r.cpu, f.lost, r.lost)
	}
	fmt.Printf("\nmedians of %d rounds; rates per round: \n", o.rounds)
	for _, row := range o.rows {
		c := res[row]
		fmt.Printf("- %s: fastcache %s; redis %s\n", row, rates(c.fc), rates(c.redis))
	}
}

func dur(ns uint64) string {
	if ns == 0 {
		return "-"
	}
	return time.Duration(ns).Round(time.Microsecond).String()
}

func rates(rs []result) string {
	var s []string
	for _, r := range rs {
		s = append(s, fmt.Sprintf("%.0f", r.rate))
	}
	return strings.Join(s, " ")
}

// result is one run.
type result struct {
	rate     float64
	p50, p99 uint64  // ns
	lost     int     // subscribers disconnected by the server
	cpu      float64 // server CPU time (user+system) per message or SET, ns
}

func (r result) String() string {
	return fmt.Sprintf("%.0f/s p50 %s p99 %s lost %d cpu %.0f ns", r.rate, dur(r.p50), dur(r.p99), r.lost, r.cpu)
}

// median takes each column's median independently.
func median(rs []result) result {
	if len(rs) == 0 {
		return result{}
	}
	pick := func(f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	return result{
		rate: pick(func(r result) float64 { return r.rate }),
		p50:  uint64(pick(func(r result) float64 { return float64(r.p50) })),
		p99:  uint64(pick(func(r result) float64 { return float64(r.p99) })),
		lost: int(pick(func(r result) float64 { return float64(r.lost) })),
		cpu:  pick(func(r result) float64 { return r.cpu }),
	}
}

func runRow(o options, server, row string) (result, error) {
	p, err := startServer(o, server)
	if err != nil {
		return result{}, err
	}
	defer p.stop()
	var r result
	switch {
	case strings.HasPrefix(row, "fanout-"):
		n, _ := strconv.Atoi(strings.TrimPrefix(row, "fanout-"))
		r, err = fanout(o, p, n, false)
	case strings.HasPrefix(row, "pattern-"):
		n, _ := strconv.Atoi(strings.TrimPrefix(row, "pattern-"))
		r, err = fanout(o, p, n, true)
	case row == "set-kea":
		r, err = setKEA(o, p)
	case strings.HasPrefix(row, "set-tracking-"):
		n, _ := strconv.Atoi(strings.TrimPrefix(row, "set-tracking-"))
		r, err = setTracking(o, p, n)
	default:
		err = fmt.Errorf("unknown row %q", row)
	}
	return r, err
}

// cpuTime is the process's user+system CPU time so far.
func (p *proc) cpuTime() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// ---- processes ----

type proc struct {
	cmd  *exec.Cmd
	addr string
	dir  string
	done chan struct{}
}

var procs = struct {
	sync.Mutex
	m map[*proc]bool
}{m: map[*proc]bool{}}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startServer(o options, server string) (*proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pubsubbench")
	if err != nil {
		return nil, err
	}
	ps := strconv.Itoa(port)
	var cmd *exec.Cmd
	if server == "fastcache" {
		cmd = exec.Command(o.fastcache, "--port", ps, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--loglevel", "warning")
	} else {
		cmd = exec.Command(o.redis, "--port", ps, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--loglevel", "warning")
	}
	lf, _ := os.Create(filepath.Join(dir, "log"))
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = child.Attr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, addr: "127.0.0.1:" + ps, dir: dir, done: make(chan struct{})}
	go func() { cmd.Wait(); lf.Close(); close(p.done) }()
	procs.Lock()
	procs.m[p] = true
	procs.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := dialConn(p.addr)
		if err == nil {
			_, err = c.do("PING")
			c.Close()
			if err == nil {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s did not start: %v", server, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	os.RemoveAll(p.dir)
	procs.Lock()
	delete(procs.m, p)
	procs.Unlock()
}

func killAll() {
	procs.Lock()
	var ps []*proc
	for p := range procs.m {
		ps = append(ps, p)
	}
	procs.Unlock()
	for _, p := range ps {
		p.stop()
	}
}

// ---- a minimal RESP connection ----

type conn struct {
	net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

func dialConn(addr string) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c, br: bufio.NewReaderSize(c, 64<<10), bw: bufio.NewWriterSize(c, 64<<10)}, nil
}

func appendCmd(b []byte, args ...string) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

func (c *conn) do(args ...string) ([]string, error) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := c.bw.Write(appendCmd(nil, args...)); err != nil {
		return nil, err
	}
	if err := c.bw.Flush(); err != nil {
		return nil, err
	}
	return readReply(c.br)
}

// readReply reads one reply, flattened to its strings (an error is an error).
func readReply(br *bufio.Reader) ([]string, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 {
		return nil, errors.New("short line")
	}
	body := string(line[1 : len(line)-2])
	switch line[0] {
	case '+', ':':
		return []string{body}, nil
	case '_':
		return []string{""}, nil
	case '-':
		return nil, errors.New(body)
	case '$':
		n, _ := strconv.Atoi(body)
		if n < 0 {
			return []string{""}, nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, err
		}
		return []string{string(b[:n])}, nil
	case '*', '>', '~', '%':
		n, _ := strconv.Atoi(body)
		if line[0] == '%' {
			n *= 2
		}
		var out []string
		for i := 0; i < n; i++ {
			s, err := readReply(br)
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected %q", line)
}

// ---- fan-out ----

func fanout(o options, p *proc, n int, pattern bool) (result, error) {
	addr := p.addr
	subs := make([]*conn, n)
	for i := range subs {
		c, err := dialConn(addr)
		if err != nil {
			return result{}, err
		}
		defer c.Close()
		var r []string
		if pattern {
			r, err = c.do("PSUBSCRIBE", "bench*")
		} else {
			r, err = c.do("SUBSCRIBE", "bench:ch")
		}
		if err != nil || len(r) != 3 {
			return result{}, fmt.Errorf("subscribe: %v %v", r, err)
		}
		subs[i] = c
	}
	var received atomic.Int64
	var lastRecv atomic.Int64
	lost := atomic.Int64{}
	hists := make([]*hist.Hist, n)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	// Every message is the same frame length (the payload has a fixed size
	// and starts with its 19-digit send time), so a subscriber counts bytes
	// instead of parsing: the client's cost per message stays far below the
	// servers'.
	frame := len(appendFrame(nil, pattern, o.payload))
	tsAt := frame - 2 - o.payload
	for i, c := range subs {
		h := hist.New()
		hists[i] = h
		wg.Add(1)
		go func(c *conn) {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			var pos int64 // bytes received
			for {
				n, err := c.br.Read(buf)
				if n > 0 {
					now := time.Now().UnixNano()
					// the timestamps of the messages that start in this chunk
					first := (pos + int64(frame) - 1) / int64(frame) * int64(frame)
					for m := first; m+int64(tsAt)+19 <= pos+int64(n); m += int64(frame) {
						off := int(m - pos + int64(tsAt))
						if ts, err := strconv.ParseInt(string(buf[off:off+19]), 10, 64); err == nil {
							h.Record(uint64(max(now-ts, 0)))
						}
					}
					before := pos / int64(frame)
					pos += int64(n)
					if d := pos/int64(frame) - before; d > 0 {
						received.Add(d)
						lastRecv.Store(now)
					}
				}
				if err != nil {
					select {
					case <-stop:
					default:
						lost.Add(1)
					}
					return
				}
			}
		}(c)
	}
	pub, err := dialConn(addr)
	if err != nil {
		return result{}, err
	}
	defer pub.Close()
	pad := strings.Repeat("x", o.payload-19)
	sem := make(chan struct{}, o.window)
	var acked, deliveries atomic.Int64
	readerDone := make(chan error, 1)
	go func() {
		for {
			r, err := readReply(pub.br)
			if err != nil {
				readerDone <- err
				return
			}
			d, _ := strconv.ParseInt(r[0], 10, 64)
			deliveries.Add(d)
			acked.Add(1)
			<-sem
		}
	}()
	cpu0 := p.cpuTime()
	start := time.Now()
	end := start.Add(o.duration)
	sent := int64(0)
	buf := make([]byte, 0, 256)
	for time.Now().Before(end) {
		sem <- struct{}{}
		buf = appendCmd(buf[:0], "PUBLISH", "bench:ch", fmt.Sprintf("%019d", time.Now().UnixNano())+pad)
		pub.bw.Write(buf)
		if len(sem) == cap(sem) || pub.bw.Buffered() > 32<<10 {
			pub.bw.Flush()
		} else if len(sem) < 2 {
			pub.bw.Flush()
		}
		sent++
	}
	pub.bw.Flush()
	for acked.Load() < sent {
		select {
		case err := <-readerDone:
			return result{}, fmt.Errorf("publisher: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	want := deliveries.Load()
	drain := time.Now().Add(30 * time.Second)
	for received.Load() < want && time.Now().Before(drain) && lost.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cpu := p.cpuTime() - cpu0
	close(stop)
	for _, c := range subs {
		c.Close()
	}
	wg.Wait()
	got := received.Load()
	elapsed := time.Duration(lastRecv.Load() - start.UnixNano())
	all := hist.New()
	for _, h := range hists {
		all.Merge(h)
	}
	if got < want && lost.Load() == 0 {
		return result{}, fmt.Errorf("received %d of %d messages", got, want)
	}
	return result{rate: float64(got) / elapsed.Seconds(), p50: all.Quantile(0.5), p99: all.Quantile(0.99), lost: int(lost.Load()),
		cpu: float64(cpu) / float64(max(got, 1))}, nil
}

// appendFrame is a delivered message as both servers encode it (RESP2).
func appendFrame(b []byte, pattern bool, payload int) []byte {
	p := strings.Repeat("x", payload)
	if pattern {
		return appendCmd(b, "pmessage", "bench*", "bench:ch", p)
	}
	return appendCmd(b, "message", "bench:ch", p)
}

// ---- SET with keyspace notifications ----

func setKEA(o options, p *proc) (result, error) {
	addr := p.addr
	admin, err := dialConn(addr)
	if err != nil {
		return result{}, err
	}
	defer admin.Close()
	if _, err := admin.do("CONFIG", "SET", "notify-keyspace-events", "KEA"); err != nil {
		return result{}, err
	}
	sub, err := dialConn(addr)
	if err != nil {
		return result{}, err
	}
	defer sub.Close()
	if _, err := sub.do("PSUBSCRIBE", "__key*__:*"); err != nil {
		return result{}, err
	}
	var events atomic.Int64
	go func() {
		for {
			if _, err := readReply(sub.br); err != nil {
				return
			}
			events.Add(1)
		}
	}()
	r, err := setLoad(o, p, 100000)
	if err != nil {
		return r, err
	}
	if events.Load() == 0 {
		return result{}, errors.New("no keyspace events received")
	}
	return r, nil
}

// ---- SET with client-side caching ----

func setTracking(o options, p *proc, n int) (result, error) {
	const keys = 100000
	per := keys / n
	var invalidations atomic.Int64
	done := make(chan struct{})
	for i := 0; i < n; i++ {
		c, err := dialConn(p.addr)
		if err != nil {
			return result{}, err
		}
		defer c.Close()
		if _, err := c.do("HELLO", "3"); err != nil {
			return result{}, err
		}
		if _, err := c.do("CLIENT", "TRACKING", "ON"); err != nil {
			return result{}, err
		}
		var buf []byte
		for k := i * per; k < (i+1)*per; k++ {
			buf = appendCmd(buf, "GET", "key:"+strconv.Itoa(k))
		}
		c.bw.Write(buf)
		c.bw.Flush()
		for k := 0; k < per; k++ {
			if _, err := readReply(c.br); err != nil {
				return result{}, err
			}
		}
		// Read pushes and replies; an invalidated key is read again.
		out := make(chan string, 1024)
		go func(c *conn) {
			defer close(out)
			for {
				r, err := readReply(c.br)
				if err != nil {
					return
				}
				if len(r) >= 2 && r[0] == "invalidate" {
					invalidations.Add(1)
					select {
					case out <- r[1]:
					case <-done:
						return
					}
				}
			}
		}(c)
		go func(c *conn) {
			var buf []byte
			for key := range out {
				buf = appendCmd(buf[:0], "GET", key)
				if _, err := c.bw.Write(buf); err != nil {
					return
				}
				if len(out) == 0 {
					c.bw.Flush()
				}
			}
		}(c)
	}
	r, err := setLoad(o, p, keys)
	close(done)
	if err == nil && invalidations.Load() == 0 {
		err = errors.New("no invalidations received")
	}
	return r, err
}

// setLoad runs 32 connections doing SET on keys key:0..keys-1 for
// o.duration.
func setLoad(o options, p *proc, keys int) (result, error) {
	addr := p.addr
	const clients = 32
	var ops atomic.Int64
	cpu0 := p.cpuTime()
	h := make([]*hist.Hist, clients)
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(o.duration)
	errc := make(chan error, clients)
	for i := 0; i < clients; i++ {
		c, err := dialConn(addr)
		if err != nil {
			return result{}, err
		}
		defer c.Close()
		h[i] = hist.New()
		wg.Add(1)
		go func(i int, c *conn) {
			defer wg.Done()
			val := strings.Repeat("v", 32)
			buf := make([]byte, 0, 128)
			for j := i; time.Now().Before(end); j += clients {
				t0 := time.Now()
				buf = appendCmd(buf[:0], "SET", "key:"+strconv.Itoa(j%keys), val)
				c.bw.Write(buf)
				c.bw.Flush()
				if _, err := readReply(c.br); err != nil {
					errc <- err
					return
				}
				h[i].Record(uint64(time.Since(t0)))
				ops.Add(1)
			}
		}(i, c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := p.cpuTime() - cpu0
	select {
	case err := <-errc:
		return result{}, err
	default:
	}
	all := hist.New()
	for _, x := range h {
		all.Merge(x)
	}
	return result{rate: float64(ops.Load()) / elapsed.Seconds(), p50: all.Quantile(0.5), p99: all.Quantile(0.99),
		cpu: float64(cpu) / float64(max(ops.Load(), 1))}, nil
}
