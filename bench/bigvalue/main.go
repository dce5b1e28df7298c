// Command bigvalue measures string and bitmap commands on one large value
// (100 MB by default) against redis-server and fastcache side by side: the
// work of APPEND, SETRANGE, GETRANGE, SETBIT, GETBIT, BITFIELD, BITCOUNT and BITPOS
// must follow their arguments, not the value's size, where Redis's does
// (issue 15: APPEND k "" on 512 MB took ~1 s, Redis 38 us).
//
//	go build -o /tmp/fastcache ./cmd/fastcache
//	go run ./bench/bigvalue -fastcache /tmp/fastcache [-size 100mb] [-reps 21]
//
// Each row is the median latency of -reps calls (one connection, one call
// in flight) and fastcache/redis. Both servers run without persistence
// (appendonly no, save "") on loopback ports, one after the other.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"fastcache/bench/child"
)

func main() {
	fc := flag.String("fastcache", "", "fastcache binary (required)")
	redis := flag.String("redis", "redis-server", "redis-server binary")
	sizeArg := flag.String("size", "100mb", "value size (b, kb, mb)")
	reps := flag.Int("reps", 21, "calls per row (the median is reported)")
	rounds := flag.Int("rounds", 3, "rounds, each server in turn (the median of the rounds' medians is reported)")
	flag.Parse()
	if *fc == "" {
		fmt.Fprintln(os.Stderr, "bigvalue: -fastcache <binary> is required")
		os.Exit(2)
	}
	size := parseSize(*sizeArg)
	rows := ops(size)
	all := [2][][]time.Duration{} // [server][row][round]
	for s := range all {
		all[s] = make([][]time.Duration, len(rows))
	}
	for r := 0; r < *rounds; r++ {
		for i, srv := range []string{"redis", "fastcache"} {
			bin := *redis
			if srv == "fastcache" {
				bin = *fc
			}
			d, err := run(srv, bin, size, rows, *reps)
			if err != nil {
				fmt.Fprintf(os.Stderr, "bigvalue: %s: %v\n", srv, err)
				os.Exit(1)
			}
			for k := range rows {
				all[i][k] = append(all[i][k], d[k])
			}
		}
	}
	var res [2][]time.Duration
	for s := range all {
		for _, ds := range all[s] {
			sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
			res[s] = append(res[s], ds[len(ds)/2])
		}
	}
	fmt.Printf("### One %s value (median over %d rounds of the median of %d calls, one connection)\n\n", *sizeArg, *rounds, *reps)
	fmt.Println("| command | redis | fastcache | fastcache/redis |")
	fmt.Println("|---|---:|---:|---:|")
	for i, r := range rows {
		fmt.Printf("| `%s` | %s | %s | %.2f |\n", r.show, fmtDur(res[0][i]), fmtDur(res[1][i]), float64(res[1][i])/float64(max(res[0][i], 1)))
	}
}

type op struct {
	show string
	args func(size int) []string
}

// ops are the rows; size is the value's length when each runs (the writes
// keep it within a few bytes of the start).
func ops(size int) []op {
	mid := strconv.Itoa(size / 2)
	return []op{
		{`APPEND k ""`, func(int) []string { return []string{"APPEND", "k", ""} }},
		{`APPEND k <10 bytes>`, func(int) []string { return []string{"APPEND", "k", "0123456789"} }},
		{`SETRANGE k <middle> <10 bytes>`, func(int) []string { return []string{"SETRANGE", "k", mid, "0123456789"} }},
		{`SETRANGE k <end> x (grows by 1)`, func(n int) []string { return []string{"SETRANGE", "k", strconv.Itoa(n), "x"} }},
		{`GETRANGE k <middle> +10`, func(int) []string { return []string{"GETRANGE", "k", mid, strconv.Itoa(size/2 + 9)} }},
		{`STRLEN k`, func(int) []string { return []string{"STRLEN", "k"} }},
		{`BITPOS k 1 <middle> (scans half)`, func(int) []string { return []string{"BITPOS", "k", "1", strconv.Itoa(size/2 + 16)} }},
		{`BITPOS k 0 (first byte)`, func(int) []string { return []string{"BITPOS", "k", "0"} }},
		{`SETBIT k <middle> 1`, func(int) []string { return []string{"SETBIT", "k", strconv.Itoa(size * 4), "1"} }},
		{`SETBIT k <past the end> 1 (grows by 1)`, func(n int) []string { return []string{"SETBIT", "k", strconv.Itoa(n*8 + 7), "1"} }},
		{`GETBIT k <middle>`, func(int) []string { return []string{"GETBIT", "k", strconv.Itoa(size * 4)} }},
		{`BITFIELD k SET u8 <middle> 1 INCRBY i64 <middle+64> 1`, func(int) []string {
			return []string{"BITFIELD", "k", "SET", "u8", strconv.Itoa(size * 4), "1", "INCRBY", "i64", strconv.Itoa(size*4 + 64), "1"}
		}},
		{`BITFIELD k INCRBY u16 <past the end> 1 (grows by 2)`, func(n int) []string {
			return []string{"BITFIELD", "k", "INCRBY", "u16", strconv.Itoa(n * 8), "1"}
		}},
		{`BITFIELD_RO k GET u32 <middle>`, func(int) []string { return []string{"BITFIELD_RO", "k", "GET", "u32", strconv.Itoa(size * 4)} }},
		{`BITCOUNT k 0 9`, func(int) []string { return []string{"BITCOUNT", "k", "0", "9"} }},
		{`BITCOUNT k (whole value)`, func(int) []string { return []string{"BITCOUNT", "k"} }},
	}
}

// run starts one server, loads the value and times every row.
func run(name, bin string, size int, rows []op, reps int) ([]time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir, err := os.MkdirTemp("", "bigvalue-"+name)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--appendonly", "no", "--save", "", "--dir", dir}
	if name == "redis" {
		args = append(args, "--daemonize", "no")
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = child.Attr()
	logf, _ := os.Create(filepath.Join(dir, "log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var c *client
	for i := 0; i < 100; i++ {
		if c, err = dial(fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return nil, err
	}
	// The value: zero bytes but a set bit in the last byte, so BITPOS 1
	// scans the second half and BITCOUNT has something to count.
	if _, err := c.do("SETRANGE", "k", strconv.Itoa(size-1), "\x01"); err != nil {
		return nil, err
	}
	var out []time.Duration
	n := size
	for _, r := range rows {
		var ds []time.Duration
		for i := 0; i < reps; i++ {
			a := r.args(n)
			start := time.Now()
			rep, err := c.do(a...)
			ds = append(ds, time.Since(start))
			if err != nil {
				return nil, fmt.Errorf("%q: %v", a, err)
			}
			if strings.HasPrefix(rep, "-") {
				return nil, fmt.Errorf("%q: %s", a, rep)
			}
			if l, err := c.do("STRLEN", "k"); err == nil {
				n, _ = strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(l), ":"))
			}
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		out = append(out, ds[len(ds)/2])
	}
	return out, nil
}

type client struct {
	c net.Conn
	r *bufio.Reader
}

func dial(addr string) (*client, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil, err
	}
	return &client{c: c, r: bufio.NewReaderSize(c, 1<<20)}, nil
}

// do sends one command and returns its reply's first line (a bulk's
// payload is read and dropped).
func (c *client) do(args ...string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	c.c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.WriteString(c.c, b.String()); err != nil {
		return "", err
	}
	return c.read()
}

// read reads one reply and returns its first line (a bulk's payload and an
// array's elements are read and dropped).
func (c *client) read() (string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return line, err
	}
	switch line[0] {
	case '$':
		if n, _ := strconv.Atoi(strings.TrimSpace(line[1:])); n >= 0 {
			if _, err := c.r.Discard(n + 2); err != nil {
				return line, err
			}
		}
	case '*':
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		for i := 0; i < n; i++ {
			if _, err := c.read(); err != nil {
				return line, err
			}
		}
	}
	return line, nil
}

func parseSize(s string) int {
	s = strings.ToLower(s)
	mul := 1
	for _, u := range []struct {
		suf string
		m   int
	}{{"mb", 1 << 20}, {"kb", 1 << 10}, {"b", 1}} {
		if strings.HasSuffix(s, u.suf) {
			s, mul = strings.TrimSuffix(s, u.suf), u.m
			break
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		fmt.Fprintln(os.Stderr, "bigvalue: bad -size", s)
		os.Exit(2)
	}
	return n * mul
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.1f us", float64(d)/1e3)
	}
}
