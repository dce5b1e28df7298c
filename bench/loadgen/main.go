// Command loadgen drives a Redis-protocol server with a fixed number of
// requests over C connections at pipeline depth P, records the latency of
// every request in a log-linear histogram (fastcache/bench/hist) and prints
// one CSV row: throughput and p50/p99/p99.9.
//
// It speaks raw RESP over net.Conn (no client library) and mimics
// redis-benchmark's workloads: keys "key:%012d" / "counter:%012d" drawn
// uniformly from [0, -r), values of -d bytes, MSET of 10 keys per command.
// A request's latency is measured like redis-benchmark does it: from the write
// of the pipelined batch it belongs to until its reply has been parsed.
//
// Tests: set, get, incr, mset, and mix (SET and GET interleaved per connection
// in the ratio given by -mix, default 1:10 — something redis-benchmark cannot
// do in one run). Hash tests: hset is redis-benchmark's `-t hset` (HSET
// myhash element:__rand_int__ <value>: one hash that grows to -r fields);
// hget, hincrby and hgetall read or change a random 10-field hash
// "h:%012d" from [0, -r) (HGET h f1, HINCRBY h f10 1, HGETALL h), which
// hload writes first: request i sets hash i (in order, not at random) to
// fields f1..f9 = <value> and f10 = 0.
//
//	loadgen -addr 127.0.0.1:6379 -t mix -c 50 -P 16 -n 200000
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fastcache/bench/hist"
)

// Header is the CSV header of a result row (after any -tag columns).
const Header = "test,clients,pipeline,requests,errors,seconds,rps,avg_ms,p50_ms,p99_ms,p999_ms,max_ms"

type config struct {
	addr     string
	test     string
	clients  int
	pipeline int
	requests int64
	dataSize int
	keyspace int
	mixSet   int
	mixGet   int
	timeCap  time.Duration
}

func main() {
	var c config
	var mix, tag string
	var header bool
	var procs int
	flag.StringVar(&c.addr, "addr", "127.0.0.1:6379", "server host:port")
	flag.StringVar(&c.test, "t", "set", "test: set|get|incr|mset|mix|hset|hget|hincrby|hgetall|hload")
	flag.IntVar(&c.clients, "c", 50, "connections")
	flag.IntVar(&c.pipeline, "P", 1, "pipeline depth (requests in flight per connection)")
	flag.Int64Var(&c.requests, "n", 100000, "total requests")
	flag.IntVar(&c.dataSize, "d", 64, "value size in bytes")
	flag.IntVar(&c.keyspace, "r", 1000000, "random keys drawn from [0, r)")
	flag.StringVar(&mix, "mix", "1:10", "SET:GET ratio of the mix test")
	flag.DurationVar(&c.timeCap, "timecap", 60*time.Second, "stop issuing requests after this long (the row then counts fewer requests)")
	flag.StringVar(&tag, "tag", "", "comma-separated values prepended to the CSV row")
	flag.BoolVar(&header, "header", false, "print the CSV header first")
	flag.IntVar(&procs, "procs", 1, "GOMAXPROCS for the client (1 = single-threaded like redis-benchmark; 0 = all cores)")
	flag.Parse()

	if procs > 0 {
		runtime.GOMAXPROCS(procs)
	}
	var err error
	if c.mixSet, c.mixGet, err = parseMix(mix); err != nil {
		fatal(err)
	}
	switch c.test {
	case "set", "get", "incr", "mset", "mix", "hset", "hget", "hincrby", "hgetall", "hload":
	default:
		fatal(fmt.Errorf("unknown test %q", c.test))
	}
	if c.clients < 1 || c.pipeline < 1 || c.requests < 1 || c.keyspace < 1 {
		fatal(errors.New("-c, -P, -n and -r must be positive"))
	}

	res, err := run(c)
	if err != nil {
		fatal(err)
	}
	if header {
		if tag != "" {
			fmt.Print(strings.Repeat(",", strings.Count(tag, ",")+1)) // unnamed tag columns
		}
		fmt.Println(Header)
	}
	if tag != "" {
		fmt.Print(tag, ",")
	}
	fmt.Println(res.csv(c))
	if res.errors > 0 {
		fmt.Fprintf(os.Stderr, "loadgen: %d error replies, first: %s\n", res.errors, res.firstErr)
	}
	if res.done < c.requests {
		fmt.Fprintf(os.Stderr, "loadgen: time cap %v hit after %d of %d requests\n", c.timeCap, res.done, c.requests)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	os.Exit(1)
}

func parseMix(s string) (set, get int, err error) {
	a, b, ok := strings.Cut(s, ":")
	if ok {
		set, err = strconv.Atoi(a)
		if err == nil {
			get, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || set < 0 || get < 0 || set+get == 0 {
		return 0, 0, fmt.Errorf("bad -mix %q, want SET:GET like 1:10", s)
	}
	return set, get, nil
}

type result struct {
	h        *hist.Hist
	done     int64
	errors   int64
	firstErr string
	elapsed  time.Duration
}

func ms(ns uint64) float64 { return float64(ns) / 1e6 }

func (r *result) csv(c config) string {
	secs := r.elapsed.Seconds()
	rps := 0.0
	if secs > 0 {
		rps = float64(r.done) / secs
	}
	return fmt.Sprintf("%s,%d,%d,%d,%d,%.3f,%.2f,%.3f,%.3f,%.3f,%.3f,%.3f",
		c.test, c.clients, c.pipeline, r.done, r.errors, secs, rps,
		r.h.Mean()/1e6, ms(r.h.Quantile(0.50)), ms(r.h.Quantile(0.99)), ms(r.h.Quantile(0.999)), ms(r.h.Max()))
}

// run connects every client first (so connection setup is not timed), then
// starts them together and waits until the request budget or the time cap is
// used up.
func run(c config) (*result, error) {
	conns := make([]net.Conn, c.clients)
	for i := range conns {
		conn, err := net.DialTimeout("tcp", c.addr, 10*time.Second)
		if err != nil {
			for _, cc := range conns[:i] {
				cc.Close()
			}
			return nil, fmt.Errorf("connection %d: %w", i, err)
		}
		conns[i] = conn
	}
	defer func() {
		for _, conn := range conns {
			conn.Close()
		}
	}()

	var issued atomic.Int64
	// claim reserves up to want requests of the budget, numbered from first;
	// n == 0 means stop.
	claim := func(want int) (first int64, n int) {
		prev := issued.Add(int64(want)) - int64(want)
		if prev >= c.requests {
			return 0, 0
		}
		return prev, int(min(int64(want), c.requests-prev))
	}

	start := time.Now()
	deadline := start.Add(c.timeCap)
	workers := make([]*worker, c.clients)
	var wg sync.WaitGroup
	for i, conn := range conns {
		w := newWorker(c, i, conn)
		workers[i] = w
		conn.SetDeadline(deadline.Add(30 * time.Second)) // never hang on a dead server
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(claim, deadline)
		}()
	}
	wg.Wait()
	res := &result{h: hist.New(), elapsed: time.Since(start)}
	for _, w := range workers {
		if w.err != nil {
			return nil, w.err
		}
		res.h.Merge(w.h)
		res.done += w.done
		res.errors += w.errors
		if res.firstErr == "" {
			res.firstErr = w.firstErr
		}
	}
	return res, nil
}

type worker struct {
	c        config
	conn     net.Conn
	br       *bufio.Reader
	rng      *rand.Rand
	h        *hist.Hist
	buf      []byte
	value    string
	seq      int // commands generated on this connection (drives the mix)
	done     int64
	errors   int64
	firstErr string
	err      error
}

func newWorker(c config, i int, conn net.Conn) *worker {
	return &worker{
		c:     c,
		conn:  conn,
		br:    bufio.NewReaderSize(conn, 64<<10),
		rng:   rand.New(rand.NewPCG(uint64(i)+1, 0x9e3779b97f4a7c15)),
		h:     hist.New(),
		value: strings.Repeat("x", c.dataSize),
	}
}

func (w *worker) loop(claim func(int) (int64, int), deadline time.Time) {
	for {
		if !time.Now().Before(deadline) {
			return
		}
		first, k := claim(w.c.pipeline)
		if k == 0 {
			return
		}
		w.buf = w.buf[:0]
		for i := range k {
			w.appendCommand(first + int64(i))
		}
		start := time.Now()
		if _, err := w.conn.Write(w.buf); err != nil {
			w.err = err
			return
		}
		for range k {
			isErr, msg, err := readReply(w.br)
			if err != nil {
				w.err = fmt.Errorf("reading reply: %w", err)
				return
			}
			w.h.Record(uint64(time.Since(start)))
			w.done++
			if isErr {
				w.errors++
				if w.firstErr == "" {
					w.firstErr = msg
				}
			}
		}
	}
}

// appendKey appends the bulk string prefix + n as 12 zero-padded digits
// (redis-benchmark's __rand_int__), without allocating.
func appendKey(b []byte, prefix string, n int) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(prefix)+12), 10)
	b = append(b, '\r', '\n')
	b = append(b, prefix...)
	var d [12]byte
	for i := len(d) - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	b = append(b, d[:]...)
	return append(b, '\r', '\n')
}

func appendBulk(b []byte, s string) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

func appendHeader(b []byte, args int) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(args), 10)
	return append(b, '\r', '\n')
}

// appendCommand appends the command of request number seq (of the whole run).
func (w *worker) appendCommand(seq int64) {
	test := w.c.test
	if test == "mix" {
		if w.seq%(w.c.mixSet+w.c.mixGet) < w.c.mixSet {
			test = "set"
		} else {
			test = "get"
		}
	}
	w.seq++
	b := w.buf
	switch test {
	case "set":
		b = appendHeader(b, 3)
		b = appendBulk(b, "SET")
		b = appendKey(b, "key:", w.rng.IntN(w.c.keyspace))
		b = appendBulk(b, w.value)
	case "get":
		b = appendHeader(b, 2)
		b = appendBulk(b, "GET")
		b = appendKey(b, "key:", w.rng.IntN(w.c.keyspace))
	case "incr":
		b = appendHeader(b, 2)
		b = appendBulk(b, "INCR")
		b = appendKey(b, "counter:", w.rng.IntN(w.c.keyspace))
	case "mset":
		b = appendHeader(b, 21)
		b = appendBulk(b, "MSET")
		for range 10 {
			b = appendKey(b, "key:{tag}:", w.rng.IntN(w.c.keyspace))
			b = appendBulk(b, w.value)
		}
	case "hset":
		b = appendHeader(b, 4)
		b = appendBulk(b, "HSET")
		b = appendBulk(b, "myhash")
		b = appendKey(b, "element:", w.rng.IntN(w.c.keyspace))
		b = appendBulk(b, w.value)
	case "hget":
		b = appendHeader(b, 3)
		b = appendBulk(b, "HGET")
		b = appendKey(b, "h:", w.rng.IntN(w.c.keyspace))
		b = appendBulk(b, "f1")
	case "hincrby":
		b = appendHeader(b, 4)
		b = appendBulk(b, "HINCRBY")
		b = appendKey(b, "h:", w.rng.IntN(w.c.keyspace))
		b = appendBulk(b, "f10")
		b = appendBulk(b, "1")
	case "hgetall":
		b = appendHeader(b, 2)
		b = appendBulk(b, "HGETALL")
		b = appendKey(b, "h:", w.rng.IntN(w.c.keyspace))
	case "hload":
		b = appendHeader(b, 22)
		b = appendBulk(b, "HSET")
		b = appendKey(b, "h:", int(seq%int64(w.c.keyspace)))
		for f := 1; f <= 9; f++ {
			b = appendBulk(b, hashFields[f])
			b = appendBulk(b, w.value)
		}
		b = appendBulk(b, "f10")
		b = appendBulk(b, "0")
	}
	w.buf = b
}

// hashFields are the field names of the hload hashes (index 1..10).
var hashFields = [...]string{"", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10"}

// readReply consumes one RESP2/RESP3 reply and says whether it was an error.
func readReply(br *bufio.Reader) (isErr bool, msg string, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return false, "", err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return false, "", fmt.Errorf("malformed reply line %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', ':', '_', ',', '#', '(':
		return false, "", nil
	case '-':
		return true, string(body), nil
	case '!':
		n, err := strconv.Atoi(string(body))
		if err != nil {
			return false, "", err
		}
		b := make([]byte, n+2)
		_, err = io.ReadFull(br, b)
		return true, string(b[:n]), err
	case '$', '=':
		n, err := strconv.Atoi(string(body))
		if err != nil || n < 0 {
			return false, "", err // $-1: nil
		}
		_, err = br.Discard(n + 2)
		return false, "", err
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(string(body))
		if err != nil || n < 0 {
			return false, "", err
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for range n {
			e, m, err := readReply(br)
			if err != nil {
				return false, "", err
			}
			if e && !isErr {
				isErr, msg = true, m
			}
		}
		return isErr, msg, nil
	}
	return false, "", fmt.Errorf("unknown reply type %q", line[0])
}
