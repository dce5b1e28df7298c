// Command restart measures, fastcache against redis-server:
//
//  1. restart time: load -keys keys (16-byte keys, 32-byte values) with
//     pipelined MSETs, snapshot at 90% (fastcache BGSAVE, redis
//     BGREWRITEAOF with an RDB preamble), load the last 10%, wait 2 s for
//     the everysec fsync, kill -9, restart on the same directory and time
//     from process start until DBSIZE == keys (polled every 5 ms).
//  2. snapshot under load: on the restarted (loaded) server, SET/GET from 50
//     connections without and then with a snapshot running (BGSAVE on both;
//     re-issued whenever the previous one finished, so the whole loaded
//     window is covered), throughput, p50, p99.
//
// Hashes (-hashes H -fields F): the keyspace is H hashes of F fields
// (`hash:%011d`, fields `field:%010d`, 32-byte values) loaded with HSETs of
// 100 fields, the same snapshot at 90% of the hashes, restart until DBSIZE
// == H; the loop under load is HSET/HGET of random existing fields. With
// -bighash N a hash of N fields is written into the server after the
// restart, before the loops (so the snapshot under load copies it while the
// loop uses other keys); -skip-restart loads everything and runs the loops
// without the kill -9 and restart.
//
// Rounds alternate fastcache, redis, fastcache, redis, ... one server at a
// time; tables give medians over rounds. Markdown goes to stdout, progress to
// stderr. Run from the repository root (it builds ./cmd/fastcache unless
// -fastcache is given).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"fastcache/internal/rdb"
)

type config struct {
	keys, rounds, conns, ops, loaders int
	hashes, fields, bigHash           int
	skipRestart, skipSnapLoad         bool
	servers                           string
	timeCap, restartTimeout           time.Duration
	fcBin, fc2Bin, redisBin, workDir  string
	keep                              bool
	// during is what runs under the second loop: "bgsave" (snapshots) or
	// "sync" (RDB transfers to a client, as redis-cli --rdb takes them)
	during string
}

type roundResult struct {
	dirBytes   int64
	restart    time.Duration
	restartOK  bool
	restartCPU float64 // CPU seconds (user+system) the restarted server had used when loaded
	lastDBSize int64
	normal     loadResult
	snap       loadResult
	snapStarts int
	snapCover  float64 // fraction of the loaded window with a snapshot in progress
	syncMs     float64 // -during sync: median duration of one transfer
	syncBytes  int64   // -during sync: size of the last file
}

func main() {
	var cfg config
	flag.IntVar(&cfg.keys, "keys", 1000000, "keys to load (16-byte keys, 32-byte values)")
	flag.IntVar(&cfg.rounds, "rounds", 3, "rounds (each: fastcache then redis)")
	flag.IntVar(&cfg.conns, "conns", 50, "connections of the snapshot-under-load SET/GET loop")
	flag.IntVar(&cfg.ops, "ops", 200000, "operations per SET/GET loop (half SET, half GET)")
	flag.IntVar(&cfg.loaders, "loaders", 4, "connections used to load the keys")
	flag.DurationVar(&cfg.timeCap, "timecap", 60*time.Second, "time cap of one SET/GET loop")
	flag.DurationVar(&cfg.restartTimeout, "restart-timeout", 10*time.Minute, "give up waiting for DBSIZE == keys after this")
	flag.StringVar(&cfg.fcBin, "fastcache", "", "fastcache binary (default: go build ./cmd/fastcache into the work dir)")
	flag.StringVar(&cfg.redisBin, "redis", "redis-server", "redis-server binary")
	flag.StringVar(&cfg.workDir, "workdir", "", "parent of the temp work dir (default $TMPDIR)")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the work dir (data dirs, server logs)")
	flag.IntVar(&cfg.hashes, "hashes", 0, "hash mode: load this many hashes of -fields fields instead of -keys strings")
	flag.IntVar(&cfg.fields, "fields", 100, "fields per hash in hash mode")
	flag.IntVar(&cfg.bigHash, "bighash", 0, "write a hash of this many fields after the restart, before the SET/GET loops")
	flag.BoolVar(&cfg.skipRestart, "skip-restart", false, "no snapshot, kill -9 and restart: load, then the loops")
	flag.BoolVar(&cfg.skipSnapLoad, "skip-snapload", false, "skip the loops without and with a snapshot")
	flag.StringVar(&cfg.servers, "servers", "fastcache,redis", "servers to run each round, in order (e.g. fastcache alone with -keep to keep a data dir for profiling; fastcache2 = the -fastcache2 build)")
	flag.StringVar(&cfg.fc2Bin, "fastcache2", "", "a second fastcache build, run as server \"fastcache2\" (A/B of two versions in the same rounds)")
	flag.StringVar(&cfg.during, "during", "bgsave", "what runs under the second loop: bgsave (snapshots, re-issued) or sync (RDB transfers as redis-cli --rdb takes them, back to back)")
	flag.Parse()
	if cfg.during != "bgsave" && cfg.during != "sync" {
		fmt.Fprintln(os.Stderr, "restart: -during is bgsave or sync")
		os.Exit(2)
	}
	for _, k := range reported(cfg) {
		if k != "redis" && k != "fastcache" && !(k == "fastcache2" && cfg.fc2Bin != "") {
			fmt.Fprintf(os.Stderr, "restart: unknown server %q in -servers (fastcache, redis, or fastcache2 with -fastcache2)\n", k)
			os.Exit(2)
		}
	}
	if cfg.hashes > 0 {
		if cfg.hashes < 10 || cfg.fields < 1 {
			fmt.Fprintln(os.Stderr, "restart: need -hashes >= 10 and -fields >= 1")
			os.Exit(2)
		}
		cfg.keys = cfg.hashes // the key count DBSIZE must reach
	}
	if cfg.keys < 10 || cfg.rounds < 1 || cfg.conns < 1 || cfg.ops < cfg.conns {
		fmt.Fprintln(os.Stderr, "restart: need -keys >= 10, -rounds >= 1, -ops >= -conns >= 1")
		os.Exit(2)
	}
	installSignalHandler()
	code := run(cfg, os.Stdout)
	killAll()
	os.Exit(code)
}

func run(cfg config, out io.Writer) int {
	defer killAll()
	work, err := os.MkdirTemp(cfg.workDir, "bench-restart-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if cfg.keep {
		logf("work dir kept: %s", work)
	} else {
		defer os.RemoveAll(work)
		onSignalExit(func() { os.RemoveAll(work) })
	}
	cfg.fcBin, err = buildFastcache(cfg.fcBin, work)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	kinds := strings.Split(cfg.servers, ",")
	results := map[string][]roundResult{}
	for r := 1; r <= cfg.rounds; r++ {
		for _, kind := range kinds {
			logf("round %d/%d: %s", r, cfg.rounds, kind)
			res, err := oneRound(cfg, kind, filepath.Join(work, fmt.Sprintf("%s-r%d", kind, r)))
			if err != nil {
				fmt.Fprintf(os.Stderr, "round %d %s: %v\n", r, kind, err)
				return 1
			}
			results[kind] = append(results[kind], res)
		}
	}
	report(out, cfg, results)
	return 0
}

func persistArgs(kind string) []string {
	// auto-aof-rewrite-percentage 0 on both: the only snapshot is the one
	// this program triggers at 90%, so both restarts replay the same shape
	// (snapshot of 90% + log of the last 10%).
	if isFastcache(kind) {
		return []string{"--appendonly", "yes", "--appendfsync", "everysec", "--auto-aof-rewrite-percentage", "0"}
	}
	// repl-diskless-sync-delay 0: Redis starts a transfer at once (its
	// default waits 5 s for more replicas to share it)
	return []string{"--appendonly", "yes", "--appendfsync", "everysec", "--aof-use-rdb-preamble", "yes",
		"--save", "", "--auto-aof-rewrite-percentage", "0", "--repl-diskless-sync-delay", "0"}
}

// isFastcache: "fastcache", or "fastcache2" (a second build, -fastcache2,
// interleaved in the same rounds for an A/B of two versions).
func isFastcache(kind string) bool { return strings.HasPrefix(kind, "fastcache") }

func binOf(cfg config, kind string) string {
	switch kind {
	case "fastcache":
		return cfg.fcBin
	case "fastcache2":
		return cfg.fc2Bin
	}
	return cfg.redisBin
}

// reported are the servers of the tables: the ones run, in -servers order.
func reported(cfg config) []string { return strings.Split(cfg.servers, ",") }

func oneRound(cfg config, kind, dataDir string) (roundResult, error) {
	var res roundResult
	ctx := context.Background()
	port, err := freePort()
	if err != nil {
		return res, err
	}
	s, err := startServer(kind, binOf(cfg, kind), port, dataDir, persistArgs(kind)...)
	if err != nil {
		return res, err
	}
	defer s.kill9()
	if err := s.waitReady(30 * time.Second); err != nil {
		return res, err
	}
	head := cfg.keys * 9 / 10
	if cfg.skipRestart {
		head = cfg.keys
	}
	t := time.Now()
	if err := load(ctx, cfg, s.addr(), 0, head); err != nil {
		return res, err
	}
	logf("  loaded %d keys in %v", head, time.Since(t).Round(time.Millisecond))
	if cfg.skipRestart {
		return snapLoad(ctx, cfg, s, res)
	}
	c := newClient(s.addr(), 2)
	t = time.Now()
	if isFastcache(kind) {
		if err := c.Do(ctx, "BGSAVE").Err(); err != nil {
			c.Close()
			return res, fmt.Errorf("BGSAVE: %w", err)
		}
		err = waitInfoField(ctx, c, "persistence", "rdb_bgsave_in_progress", "0", 10*time.Minute)
	} else {
		if err := c.Do(ctx, "BGREWRITEAOF").Err(); err != nil {
			c.Close()
			return res, fmt.Errorf("BGREWRITEAOF: %w", err)
		}
		time.Sleep(50 * time.Millisecond) // let a scheduled rewrite start
		err = waitInfoField(ctx, c, "persistence", "aof_rewrite_in_progress", "0", 10*time.Minute)
		if err == nil {
			err = waitInfoField(ctx, c, "persistence", "aof_rewrite_scheduled", "0", 10*time.Minute)
		}
	}
	c.Close()
	if err != nil {
		return res, err
	}
	logf("  snapshot at 90%% took %v", time.Since(t).Round(time.Millisecond))
	if err := load(ctx, cfg, s.addr(), head, cfg.keys); err != nil {
		return res, err
	}
	time.Sleep(2 * time.Second) // everysec fsync of the tail
	s.kill9()
	res.dirBytes = dirSize(dataDir)

	// Restart on the same dir; time from fork/exec until DBSIZE == keys.
	s2, err := startServer(kind, binOf(cfg, kind), port, dataDir, persistArgs(kind)...)
	if err != nil {
		return res, err
	}
	defer s2.kill9()
	res.restart, res.lastDBSize, res.restartOK = waitDBSize(s2, int64(cfg.keys), cfg.restartTimeout)
	res.restartCPU, _ = cpuSeconds(s2.pid())
	logf("  restart: %v (DBSIZE %d, ok=%v, server CPU %.2f s), data dir %s", res.restart.Round(time.Millisecond), res.lastDBSize, res.restartOK, res.restartCPU, mib(float64(res.dirBytes)))
	if !res.restartOK {
		return res, fmt.Errorf("DBSIZE %d != %d after %v (log: %s)", res.lastDBSize, cfg.keys, res.restart, s2.log.Name())
	}
	if cfg.hashes > 0 {
		if err := checkHashes(ctx, cfg, s2.addr()); err != nil {
			return res, err
		}
	}
	return snapLoad(ctx, cfg, s2, res)
}

// load writes keys (hashes in hash mode) [from,to).
func load(ctx context.Context, cfg config, addr string, from, to int) error {
	if cfg.hashes > 0 {
		return loadHashes(ctx, addr, from, to, cfg.fields, cfg.loaders)
	}
	return loadRange(ctx, addr, from, to, cfg.loaders)
}

// checkHashes verifies the restarted server holds every field of the first
// and last hashes.
func checkHashes(ctx context.Context, cfg config, addr string) error {
	c := newClient(addr, 1)
	defer c.Close()
	for _, h := range []int{0, cfg.hashes - 1} {
		if n, err := c.HLen(ctx, hashKeyOf(h)).Result(); err != nil || n != int64(cfg.fields) {
			return fmt.Errorf("after restart HLEN %s = %d (err %v), want %d", hashKeyOf(h), n, err, cfg.fields)
		}
	}
	return nil
}

// snapLoad writes the big hash (-bighash) and runs the loop without and
// with a snapshot in progress, on the loaded server.
func snapLoad(ctx context.Context, cfg config, s *server, res roundResult) (roundResult, error) {
	if cfg.skipSnapLoad {
		return res, nil
	}
	if cfg.bigHash > 0 {
		t := time.Now()
		// Index cfg.hashes: past the hashes of hash mode, "hash:00000000000" otherwise.
		if err := loadHashes(ctx, s.addr(), cfg.hashes, cfg.hashes+1, cfg.bigHash, cfg.loaders); err != nil {
			return res, err
		}
		c := newClient(s.addr(), 1)
		n, err := c.HLen(ctx, hashKeyOf(cfg.hashes)).Result()
		c.Close()
		if err != nil || n != int64(cfg.bigHash) {
			return res, fmt.Errorf("big hash: HLEN %d (err %v), want %d", n, err, cfg.bigHash)
		}
		logf("  wrote a hash of %d fields in %v", cfg.bigHash, time.Since(t).Round(time.Millisecond))
	}
	var err error
	res.normal = runLoad(ctx, s.addr(), cfg.conns, cfg.ops, cfg.timeCap, loopOp(cfg))
	logf("  %s normal:   %.0f ops/s p99 %v", loopName(cfg), res.normal.opsPerSec(), res.normal.p99)
	res.snap, res.snapStarts, res.snapCover, err = loadUnderSnapshot(ctx, cfg, s, &res)
	if err != nil {
		return res, err
	}
	logf("  %s snapshot: %.0f ops/s p99 %v (%d snapshots, %.0f%% covered)", loopName(cfg), res.snap.opsPerSec(), res.snap.p99, res.snapStarts, 100*res.snapCover)
	return res, nil
}

func loopName(cfg config) string {
	if cfg.hashes > 0 {
		return "HSET/HGET"
	}
	return "SET/GET"
}

func loopOp(cfg config) func(ctx context.Context, c *redis.Client, w, i int) error {
	if cfg.hashes > 0 {
		return hsetHGetOp(cfg.hashes, cfg.fields)
	}
	return setGetOp(cfg.keys)
}

// hsetHGetOp alternates HSET and HGET of uniformly random existing fields.
func hsetHGetOp(hashes, fields int) func(ctx context.Context, c *redis.Client, w, i int) error {
	rngs := sync.Map{}
	return func(ctx context.Context, c *redis.Client, w, i int) error {
		v, ok := rngs.Load(w)
		if !ok {
			v, _ = rngs.LoadOrStore(w, rand.New(rand.NewPCG(uint64(w)+1, 42)))
		}
		r := v.(*rand.Rand)
		h, f := r.IntN(hashes), r.IntN(fields)
		if i%2 == 0 {
			return c.HSet(ctx, hashKeyOf(h), hashFieldOf(f), hashValOf(h, f, fields)).Err()
		}
		return c.HGet(ctx, hashKeyOf(h), hashFieldOf(f)).Err()
	}
}

// setGetOp alternates SET and GET of uniformly random existing keys.
func setGetOp(keys int) func(ctx context.Context, c *redis.Client, w, i int) error {
	rngs := sync.Map{}
	return func(ctx context.Context, c *redis.Client, w, i int) error {
		v, ok := rngs.Load(w)
		if !ok {
			v, _ = rngs.LoadOrStore(w, rand.New(rand.NewPCG(uint64(w)+1, 42)))
		}
		k := v.(*rand.Rand).IntN(keys)
		if i%2 == 0 {
			return c.Set(ctx, keyOf(k), valOf(k), 0).Err()
		}
		return c.Get(ctx, keyOf(k)).Err()
	}
}

// loadUnderSnapshot runs the SET/GET loop while a background goroutine keeps
// a BGSAVE in progress (re-issued as soon as the previous one finished).
func loadUnderSnapshot(ctx context.Context, cfg config, s *server, res *roundResult) (loadResult, int, float64, error) {
	if cfg.during == "sync" {
		return loadUnderSync(ctx, cfg, s, res)
	}
	c := newClient(s.addr(), 2)
	defer c.Close()
	if err := c.Do(ctx, "BGSAVE").Err(); err != nil {
		return loadResult{}, 0, 0, fmt.Errorf("BGSAVE: %w", err)
	}
	var starts, polls, busy atomic.Int64
	starts.Store(1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		deadline := time.Now().Add(cfg.timeCap + time.Minute)
		for time.Now().Before(deadline) {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			m, err := info(ctx, c, "persistence")
			if err != nil {
				continue
			}
			polls.Add(1)
			if m["rdb_bgsave_in_progress"] == "1" {
				busy.Add(1)
				continue
			}
			if c.Do(ctx, "BGSAVE").Err() == nil {
				starts.Add(1)
			}
		}
	}()
	r := runLoad(ctx, s.addr(), cfg.conns, cfg.ops, cfg.timeCap, loopOp(cfg))
	close(stop)
	wg.Wait()
	// Let the last snapshot finish before the server is killed.
	_ = waitInfoField(ctx, c, "persistence", "rdb_bgsave_in_progress", "0", 5*time.Minute)
	cover := 0.0
	if p := polls.Load(); p > 0 {
		cover = float64(busy.Load()) / float64(p)
	}
	return r, int(starts.Load()), cover, nil
}

// loadUnderSync runs the loop while a background goroutine takes RDB
// files back to back as redis-cli --rdb does (REPLCONF capa eof, REPLCONF
// rdb-only 1, SYNC, the file read to the server's close and dropped).
func loadUnderSync(ctx context.Context, cfg config, s *server, res *roundResult) (loadResult, int, float64, error) {
	if _, _, err := syncOnce(s.addr()); err != nil { // one before the loop: the file's size, and a check
		return loadResult{}, 0, 0, fmt.Errorf("SYNC: %w", err)
	}
	var starts atomic.Int64
	var mu sync.Mutex
	var times []float64
	var busy atomic.Int64 // ns with a transfer running
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		deadline := time.Now().Add(cfg.timeCap + time.Minute)
		for time.Now().Before(deadline) {
			select {
			case <-stop:
				return
			default:
			}
			starts.Add(1)
			n, d, err := syncOnce(s.addr())
			busy.Add(int64(d))
			if err == nil {
				mu.Lock()
				times = append(times, float64(d)/1e6)
				res.syncBytes = n
				mu.Unlock()
			}
		}
	}()
	t := time.Now()
	r := runLoad(ctx, s.addr(), cfg.conns, cfg.ops, cfg.timeCap, loopOp(cfg))
	close(stop)
	wg.Wait()
	res.syncMs = median(times)
	return r, int(starts.Load()), min(1, float64(busy.Load())/float64(time.Since(t))), nil
}

// syncOnce takes one RDB file from addr as redis-cli --rdb does and
// returns its size and how long the transfer took.
func syncOnce(addr string) (int64, time.Duration, error) {
	t := time.Now()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Minute))
	n, _, err := rdb.Fetch(conn, io.Discard, true)
	return n, time.Since(t), err
}

// waitDBSize polls DBSIZE every 5 ms on one raw connection (redialled on
// error; -LOADING replies mean not yet) until it equals want.
func waitDBSize(s *server, want int64, timeout time.Duration) (time.Duration, int64, bool) {
	var conn net.Conn
	var rd *bufio.Reader
	last := int64(-1)
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	deadline := s.start.Add(timeout)
	for time.Now().Before(deadline) {
		if s.exited() {
			return time.Since(s.start), last, false
		}
		if conn == nil {
			c, err := net.DialTimeout("tcp", s.addr(), 100*time.Millisecond)
			if err != nil {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			conn, rd = c, bufio.NewReader(c)
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, err := io.WriteString(conn, "DBSIZE\r\n")
		var line string
		if err == nil {
			line, err = rd.ReadString('\n')
		}
		now := time.Now()
		if err != nil {
			conn.Close()
			conn = nil
			time.Sleep(5 * time.Millisecond)
			continue
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, ":") {
			if n, err := strconv.ParseInt(line[1:], 10, 64); err == nil {
				last = n
				if n == want {
					return now.Sub(s.start), n, true
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(s.start), last, false
}

func report(w io.Writer, cfg config, results map[string][]roundResult) {
	fmt.Fprintf(w, "# Restart time and snapshot under load: fastcache vs redis-server\n\n")
	printMachine(w, cfg.fcBin, cfg.redisBin)
	fmt.Fprintf(w, "## Setup\n\n")
	what := "keys"
	if cfg.hashes > 0 {
		what = "hashes"
		fmt.Fprintf(w, "- %d hashes (`hash:%%011d`, 16 B) of %d fields (`field:%%010d`, 16 B) with 32-byte values (base64 of pseudo-random bytes): %d fields, loaded with HSETs of 100 fields (10 per pipeline round trip, %d connections).\n", cfg.hashes, cfg.fields, cfg.hashes*cfg.fields, cfg.loaders)
	} else {
		fmt.Fprintf(w, "- %d keys (`key:%%012d`, 16 B) with 32-byte values (base64 of pseudo-random bytes), loaded with pipelined MSET (100 pairs per MSET, 10 per round trip, %d connections).\n", cfg.keys, cfg.loaders)
	}
	if cfg.skipRestart {
		fmt.Fprintf(w, "- No restart: the loops run on the server that was loaded.\n")
	} else {
		fmt.Fprintf(w, "- Snapshot after %d %s (90%%), then the last %d, 2 s wait, `kill -9`, restart on the same dir.\n", cfg.keys*9/10, what, cfg.keys-cfg.keys*9/10)
	}
	if cfg.bigHash > 0 {
		fmt.Fprintf(w, "- Then one hash `%s` of %d fields is written (HSETs of 100 fields, pipelined) before the loops; the loops do not touch it.\n", hashKeyOf(cfg.hashes), cfg.bigHash)
	}
	fmt.Fprintf(w, "- fastcache: `%s` (snapshot: BGSAVE, waits for rdb_bgsave_in_progress:0).\n", strings.Join(persistArgs("fastcache"), " "))
	fmt.Fprintf(w, "- redis: `%s` (snapshot: BGREWRITEAOF, waits for aof_rewrite_in_progress:0).\n", strings.ReplaceAll(strings.Join(persistArgs("redis"), " "), "--save ", "--save '' "))
	if !cfg.skipRestart {
		fmt.Fprintf(w, "- Restart time: from fork/exec of the server until DBSIZE answers %d (polled every 5 ms; connection refused / -LOADING = not yet)%s.\n", cfg.keys,
			map[bool]string{true: "; then HLEN of the first and last hash is checked", false: ""}[cfg.hashes > 0])
	}
	fmt.Fprintf(w, "- Rounds: %d, alternating fastcache then redis, one server at a time; medians over rounds.\n\n", cfg.rounds)

	med := func(kind string, f func(roundResult) float64) float64 {
		var xs []float64
		for _, r := range results[kind] {
			xs = append(xs, f(r))
		}
		return median(xs)
	}
	if !cfg.skipRestart {
		reportRestart(w, cfg, results, med)
	}
	if !cfg.skipSnapLoad {
		reportSnapLoad(w, cfg, results, med)
	}
	fmt.Fprintf(w, "\nThe machine is shared (2 cores, other jobs may run); the load generator runs on the same cores as the server. Values are 32 base64 characters of pseudo-random bytes (little compressible).\n\n")
}

func reportRestart(w io.Writer, cfg config, results map[string][]roundResult, med func(string, func(roundResult) float64) float64) {
	perRoundPairs := func(kind string) string {
		var parts []string
		for _, r := range results[kind] {
			parts = append(parts, fmt.Sprintf("%.2f / %.2f s", r.restart.Seconds(), r.restartCPU))
		}
		return strings.Join(parts, ", ")
	}
	restartS := func(r roundResult) float64 { return r.restart.Seconds() }
	cpuS := func(r roundResult) float64 { return r.restartCPU }
	keysPS := func(r roundResult) float64 { return float64(cfg.keys) / r.restart.Seconds() }
	dirB := func(r roundResult) float64 { return float64(r.dirBytes) }
	unit := "keys"
	if cfg.hashes > 0 {
		fmt.Fprintf(w, "## Restart after kill -9 (%d hashes x %d fields = %d fields)\n\n", cfg.hashes, cfg.fields, cfg.hashes*cfg.fields)
		keysPS = func(r roundResult) float64 { return float64(cfg.hashes*cfg.fields) / r.restart.Seconds() }
		unit = "fields"
	} else {
		fmt.Fprintf(w, "## Restart after kill -9 (%d keys)\n\n", cfg.keys)
	}
	fmt.Fprintf(w, "Server CPU = user + system CPU time of the restarted server (all threads, /proc/<pid>/stat) when DBSIZE first answered the full count: what loading cost, whatever share of a busy machine's cores the server got.\n\n")
	fmt.Fprintf(w, "| server | median restart | %s/s | server CPU | data dir | per round (restart / CPU) |\n|---|---:|---:|---:|---:|---|\n", unit)
	for _, k := range reported(cfg) {
		fmt.Fprintf(w, "| %s | %.3f s | %.0f | %.2f s | %s | %s |\n", k, med(k, restartS), med(k, keysPS), med(k, cpuS),
			mib(med(k, dirB)), perRoundPairs(k))
	}
	fmt.Fprintf(w, "| **fastcache/redis** | **%s** | %s | **%s** | %s | |\n\n",
		ratio(med("fastcache", restartS), med("redis", restartS)),
		ratio(med("fastcache", keysPS), med("redis", keysPS)),
		ratio(med("fastcache", cpuS), med("redis", cpuS)),
		ratio(med("fastcache", dirB), med("redis", dirB)))
}

func reportSnapLoad(w io.Writer, cfg config, results map[string][]roundResult, med func(string, func(roundResult) float64) float64) {
	title := fmt.Sprintf("SET/GET during a snapshot (%d connections, %d ops, 1:1 SET:GET of random existing keys, cap %v)", cfg.conns, cfg.ops, cfg.timeCap)
	if cfg.hashes > 0 {
		title = fmt.Sprintf("HSET/HGET during a snapshot (%d connections, %d ops, 1:1 HSET:HGET of random existing fields of random hashes, cap %v)", cfg.conns, cfg.ops, cfg.timeCap)
	}
	if cfg.bigHash > 0 {
		title += fmt.Sprintf(", with a %d-field hash in the keyspace", cfg.bigHash)
	}
	if cfg.during == "sync" {
		title = strings.Replace(title, "during a snapshot", "during RDB transfers (redis-cli --rdb)", 1)
	}
	fmt.Fprintf(w, "## %s\n\n", title)
	if cfg.during == "sync" {
		fmt.Fprintf(w, "\"snapshot\" = RDB files taken back to back over the whole loop as `redis-cli --rdb` takes them (REPLCONF capa eof, rdb-only 1, SYNC; the file read and dropped): redis forks and streams (diskless, `repl-diskless-sync-delay 0`); fastcache locks every shard, copies each and unlocks it, and streams the copies. \"snapshots\" = transfers started, \"covered\" = share of the loop's time with a transfer running.\n\n")
	} else {
		fmt.Fprintf(w, "Snapshot = BGSAVE on both (redis forks), re-issued whenever the previous one finished so a snapshot runs for the whole loop; \"covered\" = share of 10 ms polls that saw rdb_bgsave_in_progress:1.\n\n")
	}
	fmt.Fprintf(w, "| server | mode | ops/s | p50 | p99 | p99 snapshot/normal | ops/s snapshot/normal | snapshots | covered |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	dms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	for _, k := range reported(cfg) {
		nOps := med(k, func(r roundResult) float64 { return r.normal.opsPerSec() })
		nP50 := med(k, func(r roundResult) float64 { return dms(r.normal.p50) })
		nP99 := med(k, func(r roundResult) float64 { return dms(r.normal.p99) })
		sOps := med(k, func(r roundResult) float64 { return r.snap.opsPerSec() })
		sP50 := med(k, func(r roundResult) float64 { return dms(r.snap.p50) })
		sP99 := med(k, func(r roundResult) float64 { return dms(r.snap.p99) })
		p99r := med(k, func(r roundResult) float64 { return dms(r.snap.p99) / dms(r.normal.p99) })
		opsr := med(k, func(r roundResult) float64 { return r.snap.opsPerSec() / r.normal.opsPerSec() })
		fmt.Fprintf(w, "| %s | normal | %.0f | %s | %s | | | | |\n", k, nOps, ms(nP50), ms(nP99))
		fmt.Fprintf(w, "| %s | snapshot | %.0f | %s | %s | **%.2f** | %.2f | %.0f | %.0f%% |\n", k, sOps, ms(sP50), ms(sP99), p99r, opsr,
			med(k, func(r roundResult) float64 { return float64(r.snapStarts) }),
			100*med(k, func(r roundResult) float64 { return r.snapCover }))
	}
	fcP99 := med("fastcache", func(r roundResult) float64 { return dms(r.snap.p99) })
	rdP99 := med("redis", func(r roundResult) float64 { return dms(r.snap.p99) })
	fmt.Fprintf(w, "\np99 snapshot/normal per round: ")
	for i, k := range reported(cfg) {
		var parts []string
		for _, r := range results[k] {
			parts = append(parts, fmt.Sprintf("%.2f", dms(r.snap.p99)/dms(r.normal.p99)))
		}
		if i > 0 {
			fmt.Fprintf(w, "; ")
		}
		fmt.Fprintf(w, "%s %s", k, strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, ".\n")
	if cfg.during == "sync" {
		fmt.Fprintf(w, "\nOne transfer (median while the loop ran): ")
		for i, k := range reported(cfg) {
			if i > 0 {
				fmt.Fprintf(w, "; ")
			}
			fmt.Fprintf(w, "%s %s for %s", k, ms(med(k, func(r roundResult) float64 { return r.syncMs })), mib(med(k, func(r roundResult) float64 { return float64(r.syncBytes) })))
		}
		fmt.Fprintf(w, "; fastcache/redis time **%s**.\n", ratio(med("fastcache", func(r roundResult) float64 { return r.syncMs }), med("redis", func(r roundResult) float64 { return r.syncMs })))
	}
	fmt.Fprintf(w, "\np99 during snapshot, fastcache/redis: **%s**; ops/s during snapshot, fastcache/redis: %s.\n",
		ratio(fcP99, rdP99), ratio(med("fastcache", func(r roundResult) float64 { return r.snap.opsPerSec() }),
			med("redis", func(r roundResult) float64 { return r.snap.opsPerSec() })))
	var notes []string
	for _, k := range reported(cfg) {
		for i, r := range results[k] {
			for _, lr := range []struct {
				name string
				r    loadResult
			}{{"normal", r.normal}, {"snapshot", r.snap}} {
				if lr.r.capped {
					notes = append(notes, fmt.Sprintf("%s round %d %s loop hit the time cap after %d ops", k, i+1, lr.name, lr.r.ops))
				}
				if lr.r.errors > 0 {
					notes = append(notes, fmt.Sprintf("%s round %d %s loop: %d errors", k, i+1, lr.name, lr.r.errors))
				}
			}
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\nNotes:\n")
		for _, n := range notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
}

// cpuSeconds is the user + system CPU time pid has used (all threads), from
// /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s).
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return (ut + st) / 100, nil
}
