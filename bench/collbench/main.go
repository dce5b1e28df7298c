// Command collbench compares fastcache with redis-server on sets and
// sorted sets:
//
//	memory (one server at a time: redis, fastcache, redis, ... for -rounds
//	rounds, persistence off): RSS (/proc/<pid>/status VmRSS) and INFO
//	used_memory of a fresh server before and 1 s after loading one data set
//	(pipelined SADD/ZADD of 1000 members per command): a 1M-member set of
//	integers, a 1M-member set of 16-byte strings, a 1M-member sorted set
//	(16-byte members, random scores), and 100,000 sorted sets of 10
//	members; bytes per member.
//	throughput (both servers up at once, redis-benchmark runs alternating
//	between them, -rounds pairs per row; 50 connections, -P 1 and -P 16):
//	ZRANGE ... 0 99 WITHSCORES and ZRANGEBYSCORE ... WITHSCORES (100
//	members) of a 1,000-member sorted set and ZADD and ZRANK of random
//	members of a 1,000,000-member one, persistence off; then redis-benchmark's
//	SADD, SPOP, ZADD and ZPOPMIN tests under each -settings setting.
//
// Medians with fastcache/redis ratios go to stdout as markdown; progress to
// stderr. Run from the repository root (builds ./cmd/fastcache unless
// -fastcache is given).
package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"fastcache/bench/child"
)

type config struct {
	rounds, n, members, small int
	fcBin, redisBin, rbBin    string
	timeout                   time.Duration
	skipMem, skipTput         bool
	settings                  string
	only                      string
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

func main() {
	var cfg config
	flag.IntVar(&cfg.rounds, "rounds", 3, "rounds (each: redis then fastcache)")
	flag.IntVar(&cfg.n, "n", 100000, "requests per redis-benchmark run")
	flag.IntVar(&cfg.members, "members", 1000000, "members of the big sets")
	flag.IntVar(&cfg.small, "small", 100000, "number of small sorted sets")
	flag.StringVar(&cfg.fcBin, "fastcache", "", "fastcache binary (default: build ./cmd/fastcache)")
	flag.StringVar(&cfg.redisBin, "redis", "redis-server", "redis-server binary")
	flag.StringVar(&cfg.rbBin, "redis-benchmark", "redis-benchmark", "redis-benchmark binary")
	flag.DurationVar(&cfg.timeout, "timeout", 180*time.Second, "time limit of one redis-benchmark run")
	flag.BoolVar(&cfg.skipMem, "skip-memory", false, "skip the memory part")
	flag.BoolVar(&cfg.skipTput, "skip-throughput", false, "skip the throughput part")
	flag.StringVar(&cfg.settings, "settings", "none everysec always", "persistence settings of the write loads")
	flag.StringVar(&cfg.only, "only", "", "memory: only the data sets whose name contains this (e.g. \"sorted sets of 10\")")
	flag.Parse()
	work, err := os.MkdirTemp("", "collbench")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(work)
	if cfg.fcBin == "" {
		cfg.fcBin = filepath.Join(work, "fastcache")
		logf("building fastcache")
		if out, err := exec.Command("go", "build", "-o", cfg.fcBin, "./cmd/fastcache").CombinedOutput(); err != nil {
			fatal(fmt.Errorf("go build: %v\n%s", err, out))
		}
	}
	res := results{}
	for r := 1; r <= cfg.rounds && !cfg.skipMem; r++ {
		for _, kind := range []string{"redis", "fastcache"} {
			logf("memory round %d/%d: %s", r, cfg.rounds, kind)
			{
				for _, ds := range datasets(cfg) {
					if err := memory(cfg, kind, work, ds, res); err != nil {
						fatal(err)
					}
				}
			}
		}
	}
	if !cfg.skipTput {
		if err := throughput(cfg, work, res); err != nil {
			fatal(err)
		}
		for _, setting := range strings.Fields(cfg.settings) {
			if err := writes(cfg, work, setting, res); err != nil {
				fatal(err)
			}
		}
	}
	report(os.Stdout, cfg, res)
}

func fatal(err error) {
	logf("error: %v", err)
	os.Exit(1)
}

// results holds every measurement: row name -> server -> values per round.
type results map[string]map[string][]float64

func (r results) add(row, kind string, v float64) {
	if r[row] == nil {
		r[row] = map[string][]float64{}
	}
	r[row][kind] = append(r[row][kind], v)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ---- servers ----

type server struct {
	kind string
	cmd  *exec.Cmd
	port int
	done chan struct{}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func start(cfg config, kind, work string) (*server, error) { return startWith(cfg, kind, work, "none") }

// startWith starts a server with persistence setting none (appendonly no),
// everysec or always.
func startWith(cfg config, kind, work, setting string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(work, kind)
	if err != nil {
		return nil, err
	}
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir}
	switch setting {
	case "none":
		args = append(args, "--appendonly", "no")
	default:
		args = append(args, "--appendonly", "yes", "--appendfsync", setting)
		if kind == "redis" {
			args = append(args, "--aof-use-rdb-preamble", "yes")
		}
	}
	bin := cfg.fcBin
	if kind == "redis" {
		bin = cfg.redisBin
		args = append(args, "--daemonize", "no")
	} else {
		args = append(args, "--loglevel", "warning")
	}
	s := &server{kind: kind, port: port, done: make(chan struct{})}
	s.cmd = exec.Command(bin, args...)
	s.cmd.SysProcAttr = child.Attr()
	logFile, err := os.Create(filepath.Join(work, kind+".log"))
	if err != nil {
		return nil, err
	}
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.cmd.Wait(); logFile.Close(); close(s.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := dial(s.addr()); err == nil {
			rep, err := c.do("PING")
			c.close()
			if err == nil && rep == "+PONG" {
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("%s exited at start", kind)
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.kill()
	return nil, fmt.Errorf("%s not ready", kind)
}

func (s *server) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

func (s *server) kill() {
	_ = syscall.Kill(s.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
	}
}

func (s *server) rss() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS")
}

// ---- a pipelining raw client ----

type conn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

func dial(addr string) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, br: bufio.NewReaderSize(c, 1<<16), bw: bufio.NewWriterSize(c, 1<<16)}, nil
}

func (c *conn) close() { c.c.Close() }

func (c *conn) send(args ...string) {
	fmt.Fprintf(c.bw, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(c.bw, "$%d\r\n%s\r\n", len(a), a)
	}
}

// reply reads one reply and returns its first line (aggregates are read
// whole).
func (c *conn) reply() (string, error) {
	line, err := c.br.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	switch line[0] {
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n >= 0 {
			if _, err := io.CopyN(io.Discard, c.br, int64(n+2)); err != nil {
				return "", err
			}
		}
	case '*':
		n, _ := strconv.Atoi(line[1:])
		for i := 0; i < n; i++ {
			if _, err := c.reply(); err != nil {
				return "", err
			}
		}
	}
	return line, nil
}

func (c *conn) do(args ...string) (string, error) {
	c.send(args...)
	if err := c.bw.Flush(); err != nil {
		return "", err
	}
	c.c.SetReadDeadline(time.Now().Add(60 * time.Second))
	return c.reply()
}

// load sends the commands cmds yields, pipelined 64 at a time, and checks
// the replies are not errors.
func load(addr string, cmds func(emit func(args ...string))) error {
	c, err := dial(addr)
	if err != nil {
		return err
	}
	defer c.close()
	pending := 0
	var failed error
	drain := func() {
		if err := c.bw.Flush(); err != nil && failed == nil {
			failed = err
		}
		c.c.SetReadDeadline(time.Now().Add(60 * time.Second))
		for ; pending > 0; pending-- {
			rep, err := c.reply()
			if err == nil && strings.HasPrefix(rep, "-") {
				err = fmt.Errorf("server error: %s", rep)
			}
			if err != nil && failed == nil {
				failed = err
			}
		}
	}
	cmds(func(args ...string) {
		c.send(args...)
		if pending++; pending == 64 {
			drain()
		}
	})
	drain()
	return failed
}

func info(addr, field string) (int64, error) {
	c, err := dial(addr)
	if err != nil {
		return 0, err
	}
	defer c.close()
	c.send("INFO", "memory")
	c.bw.Flush()
	line, err := c.br.ReadString('\n')
	if err != nil {
		return 0, err
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	body := make([]byte, n+2)
	if _, err := io.ReadFull(c.br, body); err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(body), "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in INFO", field)
}

// ---- memory ----

type dataset struct {
	name    string
	members int
	cmds    func(emit func(args ...string))
}

func datasets(cfg config) []dataset {
	const batch = 1000
	bulk := func(cmd, key string, n int, member func(i int) []string) func(emit func(args ...string)) {
		return func(emit func(args ...string)) {
			for i := 0; i < n; i += batch {
				args := []string{cmd, key}
				for j := i; j < min(i+batch, n); j++ {
					args = append(args, member(j)...)
				}
				emit(args...)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	m := cfg.members
	all := []dataset{
		{fmt.Sprintf("set of %d integers", m), m, bulk("SADD", "ints", m, func(i int) []string { return []string{strconv.Itoa(i * 7)} })},
		{fmt.Sprintf("set of %d 16-byte strings", m), m, bulk("SADD", "strs", m, func(i int) []string { return []string{fmt.Sprintf("m:%014d", i)} })},
		{fmt.Sprintf("sorted set of %d members (16 bytes, random scores)", m), m, bulk("ZADD", "z", m, func(i int) []string {
			return []string{strconv.FormatFloat(r.Float64()*1e6, 'f', -1, 64), fmt.Sprintf("m:%014d", i)}
		})},
		{fmt.Sprintf("%d sorted sets of 10 members", cfg.small), cfg.small * 10, func(emit func(args ...string)) {
			for k := 0; k < cfg.small; k++ {
				args := []string{"ZADD", "zs:" + strconv.Itoa(k)}
				for j := 0; j < 10; j++ {
					args = append(args, strconv.Itoa(j+1), "member"+strconv.Itoa(j))
				}
				emit(args...)
			}
		}},
	}
	var out []dataset
	for _, ds := range all {
		if strings.Contains(ds.name, cfg.only) {
			out = append(out, ds)
		}
	}
	return out
}

func memory(cfg config, kind, work string, ds dataset, res results) error {
	s, err := start(cfg, kind, work)
	if err != nil {
		return err
	}
	defer s.kill()
	time.Sleep(500 * time.Millisecond)
	rss0, err := s.rss()
	if err != nil {
		return err
	}
	used0, err := info(s.addr(), "used_memory")
	if err != nil {
		return err
	}
	t := time.Now()
	if err := load(s.addr(), ds.cmds); err != nil {
		return fmt.Errorf("%s: loading %s: %w", kind, ds.name, err)
	}
	took := time.Since(t)
	time.Sleep(time.Second)
	rss1, err := s.rss()
	if err != nil {
		return err
	}
	used1, err := info(s.addr(), "used_memory")
	if err != nil {
		return err
	}
	per := float64(rss1-rss0) / float64(ds.members)
	res.add("mem-rss|"+ds.name, kind, per)
	res.add("mem-used|"+ds.name, kind, float64(used1-used0)/float64(ds.members))
	logf("  %s: loaded in %v, RSS %.1f MiB -> %.1f MiB: %.1f B/member (used_memory %.1f B/member)",
		ds.name, took.Round(time.Millisecond), float64(rss0)/(1<<20), float64(rss1)/(1<<20), per, float64(used1-used0)/float64(ds.members))
	return nil
}

// ---- throughput ----
//
// Both servers run at once (only the one under load does work) and the
// runs alternate between them, redis first in odd rounds and fastcache
// first in even ones: on a machine whose load drifts, runs minutes apart
// are not comparable, paired runs seconds apart are. Each row reports the
// median rps of each server and the median of the per-round ratios.

func (r results) pair(row string, rps [2]float64) {
	r.add(row, "redis", rps[0])
	r.add(row, "fastcache", rps[1])
	r.add(row, "ratio", rps[1]/rps[0])
}

// both starts redis (0) and fastcache (1) with setting.
func both(cfg config, work, setting string) ([2]*server, error) {
	var ss [2]*server
	for i, kind := range []string{"redis", "fastcache"} {
		s, err := startWith(cfg, kind, work, setting)
		if err != nil {
			if i == 1 {
				ss[0].kill()
			}
			return ss, err
		}
		ss[i] = s
	}
	return ss, nil
}

// order is the servers' order in round r.
func order(r int) []int {
	if r%2 == 1 {
		return []int{0, 1}
	}
	return []int{1, 0}
}

func throughput(cfg config, work string, res results) error {
	ss, err := both(cfg, work, "none")
	if err != nil {
		return err
	}
	defer ss[0].kill()
	defer ss[1].kill()
	for _, s := range ss {
		// a 1,000-member sorted set for the range reads
		err = load(s.addr(), func(emit func(args ...string)) {
			args := []string{"ZADD", "zr"}
			for i := 0; i < 1000; i++ {
				args = append(args, strconv.Itoa(i), fmt.Sprintf("member:%06d", i))
			}
			emit(args...)
		})
		if err != nil {
			return err
		}
		// a 1,000,000-member sorted set whose members are what
		// redis-benchmark's __rand_int__ (12 digits) produces
		err = load(s.addr(), func(emit func(args ...string)) {
			for i := 0; i < 1000000; i += 1000 {
				args := []string{"ZADD", "big"}
				for j := i; j < i+1000; j++ {
					args = append(args, strconv.Itoa(j), fmt.Sprintf("m:%012d", j))
				}
				emit(args...)
			}
		})
		if err != nil {
			return err
		}
	}
	type load struct {
		row  string
		args []string
	}
	loads := []load{
		{"ZRANGE key 0 99 WITHSCORES (1,000 members)", []string{"ZRANGE", "zr", "0", "99", "WITHSCORES"}},
		{"ZRANGEBYSCORE key 100 199 WITHSCORES (1,000 members)", []string{"ZRANGEBYSCORE", "zr", "100", "199", "WITHSCORES"}},
		{"ZADD random member of a 1M-member zset", []string{"ZADD", "big", "__rand_int__", "m:__rand_int__"}},
		{"ZRANK random member of a 1M-member zset", []string{"ZRANK", "big", "m:__rand_int__"}},
	}
	for _, P := range []int{1, 16} {
		for _, l := range loads {
			row := fmt.Sprintf("tput|%s|-P %d", l.row, P)
			for r := 1; r <= cfg.rounds; r++ {
				var rps [2]float64
				for _, i := range order(r) {
					if rps[i], err = redisBenchmark(cfg, ss[i].addr(), P, l.args); err != nil {
						return fmt.Errorf("%s -P %d: %w", l.row, P, err)
					}
				}
				res.pair(row, rps)
				logf("  %-55s -P %-2d round %d: redis %8.0f  fastcache %8.0f rps", l.row, P, r, rps[0], rps[1])
			}
		}
	}
	return nil
}

// writes runs redis-benchmark's SADD, SPOP, ZADD and ZPOPMIN tests (in
// that order, so the pops find members) under a persistence setting.
func writes(cfg config, work, setting string, res results) error {
	ss, err := both(cfg, work, setting)
	if err != nil {
		return err
	}
	defer ss[0].kill()
	defer ss[1].kill()
	for _, P := range []int{1, 16} {
		for r := 1; r <= cfg.rounds; r++ {
			for _, test := range []string{"sadd", "spop", "zadd", "zpopmin"} {
				var rps [2]float64
				for _, i := range order(r) {
					if rps[i], err = redisBenchmarkTest(cfg, ss[i].addr(), P, test); err != nil {
						return fmt.Errorf("%s %s -P %d: %w", setting, test, P, err)
					}
				}
				res.pair(fmt.Sprintf("write|%s|%s|-P %d", setting, strings.ToUpper(test), P), rps)
				logf("  %-8s %-8s -P %-2d round %d: redis %8.0f  fastcache %8.0f rps", setting, test, P, r, rps[0], rps[1])
			}
		}
	}
	return nil
}

// redisBenchmarkTest runs one of redis-benchmark's own tests (-t).
func redisBenchmarkTest(cfg config, addr string, P int, test string) (float64, error) {
	return redisBenchmark(cfg, addr, P, []string{"-t", test})
}

func redisBenchmark(cfg config, addr string, P int, args []string) (float64, error) {
	host, port, _ := net.SplitHostPort(addr)
	a := []string{"-h", host, "-p", port, "--csv", "-q", "-c", "50", "-n", strconv.Itoa(cfg.n), "-P", strconv.Itoa(P), "-r", "1000000"}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cfg.rbBin, append(a, args...)...)
	cmd.SysProcAttr = child.Attr()
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("redis-benchmark: %v", err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	if err != nil {
		return 0, err
	}
	for _, row := range rows {
		if len(row) >= 2 && row[0] != "test" {
			return strconv.ParseFloat(row[1], 64)
		}
	}
	return 0, fmt.Errorf("no result in %q", out)
}

// ---- report ----

func report(w io.Writer, cfg config, res results) {
	fmt.Fprintf(w, "Generated by `go run ./bench/collbench -rounds %d -n %d -members %d -small %d -settings %q` at %s; medians of %d rounds.\n\n",
		cfg.rounds, cfg.n, cfg.members, cfg.small, cfg.settings, time.Now().UTC().Format("2006-01-02 15:04 UTC"), cfg.rounds)
	var rows []string
	for k := range res {
		rows = append(rows, k)
	}
	sort.Strings(rows)
	if !cfg.skipMem {
		fmt.Fprintf(w, "### Memory per member\n\nOne server at a time (redis-server, fastcache, redis-server, ...), persistence off. RSS: VmRSS growth from a fresh server to 1 s after loading (pipelined SADD/ZADD of 1,000 members per command); used_memory: INFO memory growth.\n\n")
		fmt.Fprintf(w, "| data set | redis RSS B/member | fastcache RSS B/member | fastcache/redis | redis used_memory B/member | fastcache used_memory B/member |\n|---|---:|---:|---:|---:|---:|\n")
		for _, ds := range datasets(cfg) {
			rr, rf := median(res["mem-rss|"+ds.name]["redis"]), median(res["mem-rss|"+ds.name]["fastcache"])
			ur, uf := median(res["mem-used|"+ds.name]["redis"]), median(res["mem-used|"+ds.name]["fastcache"])
			fmt.Fprintf(w, "| %s | %.1f | %.1f | %.2f | %.1f | %.1f |\n", ds.name, rr, rf, rf/rr, ur, uf)
		}
		fmt.Fprintln(w)
	}
	if !cfg.skipTput {
		fmt.Fprintf(w, "### Range reads and a 1M-member sorted set (persistence off)\n\nredis-benchmark -c 50 -n %d -r 1000000 with the command given (members of the 1M zset are `m:` and 12 digits, as `__rand_int__` expands); both servers up at once, runs alternating between them, %d rounds.\n\n", cfg.n, cfg.rounds)
		table(w, res, rows, "tput")
		fmt.Fprintf(w, "### SADD, SPOP, ZADD, ZPOPMIN (redis-benchmark -t, per persistence setting)\n\nredis-benchmark -c 50 -n %d -r 1000000 -t sadd, then spop, zadd, zpopmin (the pops drain what the adds added); both servers up at once with the same setting, runs alternating, %d rounds.\n\n", cfg.n, cfg.rounds)
		table(w, res, rows, "write")
	}
}

func table(w io.Writer, res results, rows []string, kind string) {
	fmt.Fprintf(w, "| load | pipeline | redis rps (median) | fastcache rps (median) | fastcache/redis (median of paired ratios) |\n|---|---|---:|---:|---:|\n")
	for _, k := range rows {
		parts := strings.Split(k, "|")
		if parts[0] != kind {
			continue
		}
		name := parts[1]
		if kind == "write" {
			name = parts[2] + " (" + parts[1] + ")"
		}
		fmt.Fprintf(w, "| %s | %s | %.0f | %.0f | %.2f |\n", name, parts[len(parts)-1],
			median(res[k]["redis"]), median(res[k]["fastcache"]), median(res[k]["ratio"]))
	}
	fmt.Fprintln(w)
}
