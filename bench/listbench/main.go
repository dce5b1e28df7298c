// Command listbench compares fastcache with redis-server on lists:
//
//	(a) BLPOP hand-off latency: -consumers connections wait in BLPOP on one
//	    list; a producer RPUSHes one element at a time and waits until a
//	    consumer has it; the latency of each hand-off is from the RPUSH's
//	    write to the consumer's reading of the BLPOP reply (one process, one
//	    monotonic clock). -handoffs per run, under each appendfsync setting.
//	(b) bytes per element: RSS (/proc/<pid>/status VmRSS) and INFO
//	    used_memory before and after loading one list of -bigelems elements,
//	    then -lists lists of -listlen elements (values "e" + 9 digits: 10
//	    bytes, not integers), persistence off; delta / elements.
//
// Servers run one at a time, fastcache first, for -rounds rounds; markdown
// (medians over rounds, ratios fastcache/redis) on stdout, progress on
// stderr. Run from the repository root (builds ./cmd/fastcache unless
// -fastcache is given).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

type config struct {
	rounds, consumers, handoffs     int
	bigElems, lists, listLen, batch int
	settings                        []string
	timeCap                         time.Duration
	fcBin, redisBin, workDir        string
	skipHandoff, skipMemory, keep   bool
	settingsFlag                    string
}

var kinds = []string{"fastcache", "redis"}

func main() { os.Exit(run()) }

func run() int {
	var cfg config
	flag.IntVar(&cfg.rounds, "rounds", 3, "rounds (each: fastcache then redis)")
	flag.IntVar(&cfg.consumers, "consumers", 50, "connections waiting in BLPOP")
	flag.IntVar(&cfg.handoffs, "handoffs", 5000, "hand-offs per run")
	flag.DurationVar(&cfg.timeCap, "timecap", 30*time.Second, "time cap of one hand-off run")
	flag.StringVar(&cfg.settingsFlag, "settings", "none everysec always", "appendfsync settings of the hand-off runs (none = appendonly no)")
	flag.IntVar(&cfg.bigElems, "bigelems", 10_000_000, "elements of the one big list")
	flag.IntVar(&cfg.lists, "lists", 100_000, "small lists")
	flag.IntVar(&cfg.listLen, "listlen", 10, "elements per small list")
	flag.IntVar(&cfg.batch, "batch", 1000, "elements per RPUSH while loading")
	flag.StringVar(&cfg.fcBin, "fastcache", "", "fastcache binary (default: build ./cmd/fastcache)")
	flag.StringVar(&cfg.redisBin, "redis", "redis-server", "redis-server binary")
	flag.StringVar(&cfg.workDir, "dir", "", "work directory (default: a temporary one)")
	flag.BoolVar(&cfg.skipHandoff, "skip-handoff", false, "skip (a)")
	flag.BoolVar(&cfg.skipMemory, "skip-memory", false, "skip (b)")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the work directory")
	flag.Parse()
	cfg.settings = strings.Fields(cfg.settingsFlag)
	installSignalHandler()
	defer killAll()
	work := cfg.workDir
	var err error
	if work == "" {
		if work, err = os.MkdirTemp("", "listbench-"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if cfg.keep {
		logf("work dir kept: %s", work)
	} else {
		defer os.RemoveAll(work)
		onSignalExit(func() { os.RemoveAll(work) })
	}
	if cfg.fcBin, err = buildFastcache(cfg.fcBin, work); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	n := 0
	nextDir := func(kind string) string { n++; return filepath.Join(work, fmt.Sprintf("%s-%d", kind, n)) }

	hand := map[string][]handoffResult{} // setting|kind
	if !cfg.skipHandoff {
		for _, setting := range cfg.settings {
			for r := 1; r <= cfg.rounds; r++ {
				for _, kind := range kinds {
					logf("hand-off %s round %d/%d: %s", setting, r, cfg.rounds, kind)
					res, err := handoff(cfg, kind, setting, nextDir(kind))
					if err != nil {
						fmt.Fprintln(os.Stderr, err)
						return 1
					}
					logf("  %d hand-offs in %v: p50 %.3f ms p99 %.3f ms", res.n, res.took.Round(time.Millisecond), res.p50, res.p99)
					hand[setting+"|"+kind] = append(hand[setting+"|"+kind], res)
				}
			}
		}
	}
	mem := map[string][]memResult{}
	if !cfg.skipMemory {
		for r := 1; r <= cfg.rounds; r++ {
			for _, kind := range kinds {
				logf("memory round %d/%d: %s", r, cfg.rounds, kind)
				res, err := memory(cfg, kind, nextDir)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					return 1
				}
				mem[kind] = append(mem[kind], res)
			}
		}
	}
	report(os.Stdout, cfg, hand, mem)
	return 0
}

func persistArgs(kind, setting string) []string {
	switch setting {
	case "none":
		if kind == "fastcache" {
			return []string{"--appendonly", "no"}
		}
		return []string{"--appendonly", "no", "--save", ""}
	default:
		a := []string{"--appendonly", "yes", "--appendfsync", setting}
		if kind == "redis" {
			a = append(a, "--save", "")
		}
		return a
	}
}

func binOf(cfg config, kind string) string {
	if kind == "fastcache" {
		return cfg.fcBin
	}
	return cfg.redisBin
}

// ---- (a) hand-off latency ----------------------------------------------------

type handoffResult struct {
	n        int
	took     time.Duration
	p50, p99 float64 // ms
}

// respConn is a raw RESP connection (no client library between the clock
// and the socket).
type respConn struct {
	c  net.Conn
	br *bufio.Reader
}

func dial(addr string) (*respConn, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	return &respConn{c: c, br: bufio.NewReader(c)}, nil
}

func encode(args ...string) []byte {
	var b []byte
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

// readReply reads one reply and returns its flattened lines (enough for
// +OK, :n, $bulk and arrays of bulks).
func (rc *respConn) readReply() ([]string, error) {
	line, err := rc.br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimRight(line, "\r\n")
	switch line[0] {
	case '*':
		n, _ := strconv.Atoi(line[1:])
		var out []string
		for i := 0; i < n; i++ {
			sub, err := rc.readReply()
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		}
		return out, nil
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rc.br, buf); err != nil {
			return nil, err
		}
		return []string{string(buf[:n])}, nil
	case '-':
		return nil, fmt.Errorf("server error: %s", line)
	}
	return []string{line}, nil
}

func handoff(cfg config, kind, setting, dir string) (handoffResult, error) {
	var res handoffResult
	port, err := freePort()
	if err != nil {
		return res, err
	}
	s, err := startServer(kind, binOf(cfg, kind), port, dir, persistArgs(kind, setting)...)
	if err != nil {
		return res, err
	}
	defer s.kill9()
	if err := s.waitReady(30 * time.Second); err != nil {
		return res, err
	}
	base := time.Now()
	sent := make([]int64, cfg.handoffs) // ns since base of each push's write
	got := make(chan int, cfg.handoffs)
	lat := make([]float64, cfg.handoffs)
	var wg sync.WaitGroup
	var conns []*respConn
	for i := 0; i < cfg.consumers; i++ {
		rc, err := dial(s.addr())
		if err != nil {
			return res, err
		}
		conns = append(conns, rc)
		wg.Add(1)
		go func(rc *respConn) {
			defer wg.Done()
			for {
				if _, err := rc.c.Write(encode("BLPOP", "q", "0")); err != nil {
					return
				}
				r, err := rc.readReply()
				at := time.Since(base).Nanoseconds()
				if err != nil || len(r) != 2 {
					return
				}
				seq, _ := strconv.Atoi(r[1])
				lat[seq] = float64(at-sent[seq]) / 1e6
				got <- seq
			}
		}(rc)
	}
	defer func() {
		for _, rc := range conns {
			rc.c.Close()
		}
		wg.Wait()
	}()
	// wait until every consumer is blocked
	prod, err := dial(s.addr())
	if err != nil {
		return res, err
	}
	defer prod.c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		prod.c.Write(encode("INFO", "clients"))
		r, err := prod.readReply()
		if err != nil {
			return res, err
		}
		if len(r) == 1 && strings.Contains(r[0], "blocked_clients:"+strconv.Itoa(cfg.consumers)+"\r\n") {
			break
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("%s: consumers not blocked: %q", kind, r)
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	n := 0
	for ; n < cfg.handoffs && time.Since(start) < cfg.timeCap; n++ {
		msg := encode("RPUSH", "q", strconv.Itoa(n))
		sent[n] = time.Since(base).Nanoseconds()
		if _, err := prod.c.Write(msg); err != nil {
			return res, err
		}
		if _, err := prod.readReply(); err != nil {
			return res, err
		}
		select {
		case <-got:
		case <-time.After(10 * time.Second):
			return res, fmt.Errorf("%s: hand-off %d never arrived", kind, n)
		}
	}
	res.n, res.took = n, time.Since(start)
	l := append([]float64(nil), lat[:n]...)
	sort.Float64s(l)
	res.p50, res.p99 = pct(l, 0.50), pct(l, 0.99)
	return res, nil
}

func pct(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// ---- (b) bytes per element ------------------------------------------------

type memResult struct {
	bigRSS, bigUsed     float64 // bytes per element
	smallRSS, smallUsed float64
}

func elem(i int) string { return fmt.Sprintf("e%09d", i) }

// memory measures one server for the big list, and a fresh one for the
// small lists (memory freed by one load would flatter the next).
func memory(cfg config, kind string, nextDir func(string) string) (memResult, error) {
	var res memResult
	var err error
	res.bigRSS, res.bigUsed, err = measure(cfg, kind, nextDir(kind), cfg.bigElems, func(ctx context.Context, c *redis.Client) error {
		for i := 0; i < cfg.bigElems; i += cfg.batch {
			args := []any{}
			for j := i; j < min(i+cfg.batch, cfg.bigElems); j++ {
				args = append(args, elem(j))
			}
			if err := c.RPush(ctx, "biglist", args...).Err(); err != nil {
				return err
			}
		}
		if n := c.LLen(ctx, "biglist").Val(); n != int64(cfg.bigElems) {
			return fmt.Errorf("LLEN %d, want %d", n, cfg.bigElems)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	logf("  %s one list of %d: %.2f B/element RSS, %.2f used_memory", kind, cfg.bigElems, res.bigRSS, res.bigUsed)
	res.smallRSS, res.smallUsed, err = measure(cfg, kind, nextDir(kind), cfg.lists*cfg.listLen, func(ctx context.Context, c *redis.Client) error {
		p := c.Pipeline()
		for i := 0; i < cfg.lists; i++ {
			args := []any{}
			for j := 0; j < cfg.listLen; j++ {
				args = append(args, elem(i*cfg.listLen+j))
			}
			p.RPush(ctx, fmt.Sprintf("list:%07d", i), args...)
			if p.Len() == 1000 {
				if _, err := p.Exec(ctx); err != nil {
					return err
				}
			}
		}
		if _, err := p.Exec(ctx); err != nil {
			return err
		}
		if n := c.DBSize(ctx).Val(); n != int64(cfg.lists) {
			return fmt.Errorf("DBSIZE %d, want %d", n, cfg.lists)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	logf("  %s %d lists of %d: %.2f B/element RSS, %.2f used_memory", kind, cfg.lists, cfg.listLen, res.smallRSS, res.smallUsed)
	return res, nil
}

// measure starts kind (persistence off), runs load, and returns the RSS
// and used_memory growth per element.
func measure(cfg config, kind, dir string, elems int, load func(ctx context.Context, c *redis.Client) error) (rssPer, usedPer float64, err error) {
	port, err := freePort()
	if err != nil {
		return 0, 0, err
	}
	s, err := startServer(kind, binOf(cfg, kind), port, dir, persistArgs(kind, "none")...)
	if err != nil {
		return 0, 0, err
	}
	defer s.kill9()
	if err := s.waitReady(30 * time.Second); err != nil {
		return 0, 0, err
	}
	ctx := context.Background()
	c := newClient(s.addr(), 2)
	defer c.Close()
	time.Sleep(500 * time.Millisecond) // let start-up allocations settle
	rss0, err := vmRSS(s.pid())
	if err != nil {
		return 0, 0, err
	}
	used0, err := usedMemory(ctx, c)
	if err != nil {
		return 0, 0, err
	}
	t := time.Now()
	if err := load(ctx, c); err != nil {
		return 0, 0, err
	}
	logf("  loaded %d elements in %v", elems, time.Since(t).Round(time.Millisecond))
	time.Sleep(time.Second)
	rss1, err := vmRSS(s.pid())
	if err != nil {
		return 0, 0, err
	}
	used1, err := usedMemory(ctx, c)
	if err != nil {
		return 0, 0, err
	}
	return float64(rss1-rss0) / float64(elems), float64(used1-used0) / float64(elems), nil
}

func usedMemory(ctx context.Context, c *redis.Client) (int64, error) {
	m, err := info(ctx, c, "memory")
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(m["used_memory"], 10, 64)
}

// ---- report -------------------------------------------------------------------

func report(w io.Writer, cfg config, hand map[string][]handoffResult, mem map[string][]memResult) {
	fmt.Fprintf(w, "## Lists (bench/listbench)\n\n")
	printMachine(w, cfg.fcBin, cfg.redisBin)
	fmt.Fprintf(w, "\n`go run ./bench/listbench -rounds %d -consumers %d -handoffs %d -settings %q -bigelems %d -lists %d -listlen %d`; medians over %d rounds, servers one at a time (fastcache, then redis-server).\n\n",
		cfg.rounds, cfg.consumers, cfg.handoffs, cfg.settingsFlag, cfg.bigElems, cfg.lists, cfg.listLen, cfg.rounds)
	if len(hand) > 0 {
		fmt.Fprintf(w, "### BLPOP hand-off latency (%d consumers waiting in BLPOP; one RPUSH at a time; RPUSH write to BLPOP reply read)\n\n", cfg.consumers)
		fmt.Fprintf(w, "| setting | fastcache p50 | redis p50 | p50 ratio | fastcache p99 | redis p99 | p99 ratio |\n|---|---:|---:|---:|---:|---:|---:|\n")
		for _, setting := range cfg.settings {
			f, r := hand[setting+"|fastcache"], hand[setting+"|redis"]
			if len(f) == 0 || len(r) == 0 {
				continue
			}
			med := func(rs []handoffResult, p99 bool) float64 {
				var xs []float64
				for _, x := range rs {
					if p99 {
						xs = append(xs, x.p99)
					} else {
						xs = append(xs, x.p50)
					}
				}
				return median(xs)
			}
			f50, r50, f99, r99 := med(f, false), med(r, false), med(f, true), med(r, true)
			fmt.Fprintf(w, "| %s | %s | %s | **%s** | %s | %s | **%s** |\n", setting, ms(f50), ms(r50), ratio(f50, r50), ms(f99), ms(r99), ratio(f99, r99))
		}
		fmt.Fprintln(w)
	}
	if len(mem["fastcache"]) > 0 && len(mem["redis"]) > 0 {
		fmt.Fprintf(w, "### Bytes per element (10-byte elements, persistence off)\n\n")
		fmt.Fprintf(w, "RSS = VmRSS growth over the load / elements; used_memory = INFO memory growth / elements.\n\n")
		fmt.Fprintf(w, "| data | fastcache RSS | redis RSS | RSS ratio | fastcache used_memory | redis used_memory |\n|---|---:|---:|---:|---:|---:|\n")
		pick := func(rs []memResult, f func(memResult) float64) float64 {
			var xs []float64
			for _, x := range rs {
				xs = append(xs, f(x))
			}
			return median(xs)
		}
		for _, row := range []struct {
			name      string
			rss, used func(memResult) float64
		}{
			{fmt.Sprintf("one list of %d", cfg.bigElems), func(m memResult) float64 { return m.bigRSS }, func(m memResult) float64 { return m.bigUsed }},
			{fmt.Sprintf("%d lists of %d", cfg.lists, cfg.listLen), func(m memResult) float64 { return m.smallRSS }, func(m memResult) float64 { return m.smallUsed }},
		} {
			f, r := pick(mem["fastcache"], row.rss), pick(mem["redis"], row.rss)
			fmt.Fprintf(w, "| %s | %.2f | %.2f | **%s** | %.2f | %.2f |\n", row.name, f, r, ratio(f, r),
				pick(mem["fastcache"], row.used), pick(mem["redis"], row.used))
		}
		fmt.Fprintln(w)
	}
}
