// Command replbench measures what replication costs on the write path, and
// how far behind a follower runs, for fastcache and for redis-server.
//
// Every row is ROUNDS runs of the same load, each on fresh processes and
// fresh data directories: 50 connections doing SET of 64-byte values to
// keys drawn from 1,000,000, a fixed number of requests (capped at 60 s),
// with appendonly yes / appendfsync everysec on every server. Rows:
//
//   - fastcache primary with 0, 1 and 4 WAL export subscribers (goroutines
//     of this process decoding the stream with replication.StreamReader);
//   - fastcache primary with one fastcache replica (--replicaof);
//   - redis-server primary with 0 replicas and with one redis replica.
//
// Within a round, fastcache and redis rows that compare with each other run
// back to back, in alternating order from round to round. Before a load the
// follower must be in sync (link up, offsets equal). During the load the
// primary's master_repl_offset minus the follower's offset is sampled every
// 100 ms (bytes). After the load a marker key is SET last; the time from its
// acknowledgement until the follower's offset reaches the primary's, and
// until the marker is readable on the follower, is the time-based lag.
//
// The markdown report goes to stdout, progress to stderr. All processes it
// started are killed on exit, including on SIGINT/SIGTERM/SIGHUP.
//
//	go run ./bench/replbench -fastcache /tmp/fcr -n 300000 -rounds 3
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

type options struct {
	fastcache, redis string
	n                int64
	rounds           int
	clients          int
	valueSize        int
	keyspace         int
	timeCap          time.Duration
	sample           time.Duration
	syncTimeout      time.Duration
	catchTimeout     time.Duration
	rows             []string
	keep             bool
}

// rowSpec is one line of the report.
type rowSpec struct {
	id      string
	label   string
	server  string // fastcache | redis
	subs    int    // WAL export subscribers (fastcache)
	replica bool
}

var allRows = []rowSpec{
	{id: "fc", label: "fastcache, no followers", server: "fastcache"},
	{id: "redis", label: "redis, no replicas", server: "redis"},
	{id: "fc-export1", label: "fastcache + 1 WAL export subscriber", server: "fastcache", subs: 1},
	{id: "fc-export4", label: "fastcache + 4 WAL export subscribers", server: "fastcache", subs: 4},
	{id: "fc-replica", label: "fastcache + 1 fastcache replica", server: "fastcache", replica: true},
	{id: "redis-replica", label: "redis + 1 redis replica", server: "redis", replica: true},
}

// runResult is one run of a row.
type runResult struct {
	round     int
	load      loadResult
	lag       []int64       // bytes behind, sampled during the load
	toOffset  time.Duration // -1: not measured or not reached
	toMarker  time.Duration
	records   int64 // export rows: records the slowest subscriber decoded
	subsCount int
	err       error
}

var workRoot string

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func fatal(err error) {
	logf("fatal: %v", err)
	cleanup()
	os.Exit(1)
}

func cleanup() {
	killAll()
	if workRoot != "" {
		os.RemoveAll(workRoot)
	}
}

func main() {
	var o options
	var rows string
	flag.StringVar(&o.fastcache, "fastcache", "", "fastcache binary (empty: go build ./cmd/fastcache into a temp dir)")
	flag.StringVar(&o.redis, "redis-server", "redis-server", "redis-server binary")
	flag.Int64Var(&o.n, "n", 300000, "SET requests per run")
	flag.IntVar(&o.rounds, "rounds", 3, "runs per row")
	flag.IntVar(&o.clients, "c", 50, "concurrent connections")
	flag.IntVar(&o.valueSize, "d", 64, "value size in bytes")
	flag.IntVar(&o.keyspace, "r", 1000000, "keys drawn uniformly from [0, r)")
	flag.DurationVar(&o.timeCap, "timecap", 60*time.Second, "stop issuing requests after this long")
	flag.DurationVar(&o.sample, "sample", 100*time.Millisecond, "lag sampling interval during the load")
	flag.DurationVar(&o.syncTimeout, "sync-timeout", 60*time.Second, "longest wait for a follower to be in sync before a load")
	flag.DurationVar(&o.catchTimeout, "catchup-timeout", 30*time.Second, "longest wait for a follower to catch up after a load")
	flag.StringVar(&rows, "rows", "", "comma-separated row ids to run (default all: fc,redis,fc-export1,fc-export4,fc-replica,redis-replica)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temp directory (data and server logs)")
	flag.Parse()
	if o.n <= 0 || o.rounds <= 0 || o.clients <= 0 || o.keyspace <= 0 || o.valueSize < 0 {
		fatal(fmt.Errorf("bad flags"))
	}
	for _, r := range strings.Split(rows, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		if !slices.ContainsFunc(allRows, func(s rowSpec) bool { return s.id == r }) {
			fatal(fmt.Errorf("unknown row %q", r))
		}
		o.rows = append(o.rows, r)
	}

	var err error
	if workRoot, err = os.MkdirTemp("", "replbench-"); err != nil {
		fatal(err)
	}
	if o.keep {
		defer logf("kept %s", workRoot)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sigs
		logf("%v: killing the servers", s)
		killAll()
		if !o.keep {
			os.RemoveAll(workRoot)
		}
		os.Exit(130)
	}()

	if o.fastcache == "" {
		o.fastcache = filepath.Join(workRoot, "fastcache")
		logf("building fastcache")
		out, err := exec.Command("go", "build", "-o", o.fastcache, "./cmd/fastcache").CombinedOutput()
		if err != nil {
			fatal(fmt.Errorf("go build: %v\n%s", err, out))
		}
	}
	for _, bin := range []string{o.fastcache, o.redis} {
		if _, err := exec.LookPath(bin); err != nil {
			fatal(err)
		}
	}

	specs := map[string]rowSpec{}
	var groups [][]string // rows that compare with each other run back to back
	for _, g := range [][]string{{"fc", "redis"}, {"fc-export1"}, {"fc-export4"}, {"fc-replica", "redis-replica"}} {
		var kept []string
		for _, id := range g {
			if len(o.rows) == 0 || slices.Contains(o.rows, id) {
				kept = append(kept, id)
			}
		}
		if len(kept) > 0 {
			groups = append(groups, kept)
		}
	}
	for _, s := range allRows {
		specs[s.id] = s
	}
	results := map[string][]runResult{}
	start := time.Now()
	for round := 1; round <= o.rounds; round++ {
		for _, g := range groups {
			order := slices.Clone(g)
			if round%2 == 0 {
				slices.Reverse(order)
			}
			for _, id := range order {
				spec := specs[id]
				logf("round %d/%d: %s", round, o.rounds, spec.label)
				r := runOne(o, spec, round)
				if r.err != nil {
					logf("  %s round %d failed: %v", id, round, r.err)
				} else {
					logf("  %.0f ops/s, p99 %.2f ms, errors %d, lag samples %d, catch-up offset %v marker %v",
						r.load.opsPerSec(), ms(r.load.h.Quantile(0.99)), r.load.errs, len(r.lag), r.toOffset, r.toMarker)
				}
				results[id] = append(results[id], r)
			}
		}
	}
	killAll()
	report(os.Stdout, o, results, time.Since(start))
	if !o.keep {
		os.RemoveAll(workRoot)
	}
}

// runOne starts the servers for spec, waits for sync, drives the load and
// measures the lag, then stops everything it started.
func runOne(o options, spec rowSpec, round int) (res runResult) {
	res = runResult{round: round, toOffset: -1, toMarker: -1}
	dir, err := os.MkdirTemp(workRoot, spec.id+"-")
	if err != nil {
		res.err = err
		return
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	var primary, replica *proc
	defer func() { replica.stop(); primary.stop() }()
	exportAddr := ""
	if spec.subs > 0 {
		p, err := freePort()
		if err != nil {
			res.err = err
			return
		}
		exportAddr = fmt.Sprintf("127.0.0.1:%d", p)
	}
	if primary, err = startServer(o, spec.server, filepath.Join(dir, "primary"), "", exportAddr); err != nil {
		res.err = err
		return
	}
	pc, err := dial(primary.addr(), 10*time.Second)
	if err != nil {
		res.err = err
		return
	}
	defer pc.Close()

	var f follower
	var marker atomic.Pointer[string]
	var subs []*subscriber
	defer func() {
		for _, s := range subs {
			s.close()
		}
	}()
	switch {
	case spec.replica:
		if replica, err = startServer(o, spec.server, filepath.Join(dir, "replica"), primary.addr(), ""); err != nil {
			res.err = err
			return
		}
		rc, err := dial(replica.addr(), 10*time.Second)
		if err != nil {
			res.err = err
			return
		}
		defer rc.Close()
		f = replicaFollower{rc}
	case spec.subs > 0:
		for i := 0; i < spec.subs; i++ {
			s, err := startSubscriber(exportAddr, &marker)
			if err != nil {
				res.err = err
				return
			}
			subs = append(subs, s)
		}
		f = subsFollower(subs)
	}
	if f != nil {
		if err := waitSync(pc, f, o.syncTimeout); err != nil {
			res.err = err
			return
		}
	}

	stop := make(chan struct{})
	lagDone := make(chan []int64, 1)
	if f != nil {
		// A dedicated connection to the primary: pc is the marker's.
		sc, err := dial(primary.addr(), 10*time.Second)
		if err != nil {
			res.err = err
			return
		}
		defer sc.Close()
		maxSamples := int(o.timeCap/o.sample) + 100
		go func() { lagDone <- sampleLag(sc, f, o.sample, maxSamples, stop) }()
	}
	res.load, err = runLoad(primary.addr(), o.n, o.clients, o.valueSize, o.keyspace, o.timeCap)
	close(stop)
	if err != nil {
		res.err = err
		return
	}
	if f == nil {
		return
	}
	res.lag = <-lagDone
	res.toOffset, res.toMarker, err = catchUp(pc, f, &marker, o.catchTimeout)
	if err != nil {
		res.err = err
		return
	}
	if len(subs) > 0 {
		res.subsCount = len(subs)
		res.records = -1
		for _, s := range subs {
			if n := s.records.Load(); res.records < 0 || n < res.records {
				res.records = n
			}
		}
	}
	return
}

// startServer starts a fastcache or redis-server with appendonly yes,
// appendfsync everysec in dir, as a replica of replicaOf when set, and
// waits until it serves reads. A port taken in the meantime is retried.
func startServer(o options, kind, dir, replicaOf, exportAddr string) (*proc, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	name := kind + " " + filepath.Base(dir)
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		var bin string
		var args []string
		logPath := filepath.Join(dir, fmt.Sprintf("server-%d.log", attempt))
		host, rport, _ := strings.Cut(replicaOf, ":")
		switch kind {
		case "fastcache":
			bin = o.fastcache
			args = []string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir,
				"--appendonly", "yes", "--appendfsync", "everysec", "--logfile", logPath}
			if exportAddr != "" {
				args = append(args, "--wal-export-listen", exportAddr)
			}
			if replicaOf != "" {
				args = append(args, "--replicaof", host+" "+rport)
			}
		default:
			bin = o.redis
			args = []string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir,
				"--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
				"--protected-mode", "no", "--daemonize", "no", "--logfile", logPath,
				"--repl-diskless-sync-delay", "0"}
			if replicaOf != "" {
				args = append(args, "--replicaof", host, rport)
			}
		}
		p, err := startProc(name, bin, args, port, dir, logPath)
		if err != nil {
			return nil, err
		}
		if err := p.waitReady(30 * time.Second); err != nil {
			p.stop()
			last = err
			continue
		}
		return p, nil
	}
	return nil, last
}

func ms(ns uint64) float64 { return float64(ns) / 1e6 }

// machine describes where the numbers come from.
func machine(o options) []string {
	cpu := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel := "unknown"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	version := func(bin string) string {
		out, err := exec.Command(bin, "--version").Output()
		if err != nil {
			return "unknown (" + err.Error() + ")"
		}
		return strings.TrimSpace(string(out))
	}
	return []string{
		fmt.Sprintf("nproc: %d (GOMAXPROCS %d)", runtime.NumCPU(), runtime.GOMAXPROCS(0)),
		"CPU: " + cpu,
		"kernel: " + kernel + ", " + runtime.GOOS + "/" + runtime.GOARCH,
		"fastcache: " + version(o.fastcache),
		"redis-server: " + version(o.redis),
		"Go: " + runtime.Version(),
	}
}
