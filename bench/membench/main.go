// Command membench compares fastcache with redis-server on memory:
//
//	(a) bytes per key: RSS (/proc/<pid>/status VmRSS) of the server before
//	    and after loading -keys keys (16-byte keys, 32-byte values),
//	    persistence off; delta / keys. INFO used_memory delta too.
//	(c) GET latency with those keys loaded: -conns connections, -getops
//	    GETs of uniformly random existing keys, throughput, p50, p99.
//	(b) hit ratio under a Zipf(-zipf, default 0.99) workload over -zipfkeys
//	    keys with maxmemory = -memfrac (0.1) of what fastcache's own INFO
//	    used_memory reports for the full keyspace, the same maxmemory for
//	    redis; allkeys-lru and allkeys-lfu; each op is GET, then SET on a
//	    miss; the first -warmup share of -zipfops ops is not counted.
//	(d) bytes per hash field (-hashes 10000x100,1x1000000): RSS and
//	    used_memory delta of loading H hashes of F fields, / (H x F)
//	    (see hashes.go).
//
// Servers run one at a time, fastcache first; markdown on stdout, progress
// on stderr. Run from the repository root (builds ./cmd/fastcache unless
// -fastcache is given).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

type config struct {
	keys, rounds, conns, getOps, loaders               int
	zipfKeys, zipfOps, zipfConns, zipfBatch, hitRounds int
	zipfS, memFrac, warmup                             float64
	maxMemory                                          int64
	timeCap, zipfTimeCap                               time.Duration
	fcBin, redisBin, workDir                           string
	hashShapes                                         string
	skipA, skipB                                       bool
	keep                                               bool
}

var kinds = []string{"fastcache", "redis"}

func main() {
	var cfg config
	flag.IntVar(&cfg.keys, "keys", 1000000, "keys for bytes/key and GET latency (16-byte keys, 32-byte values)")
	flag.IntVar(&cfg.rounds, "rounds", 3, "rounds of bytes/key + GET latency (each: fastcache then redis)")
	flag.IntVar(&cfg.conns, "conns", 50, "connections of the GET latency loop")
	flag.IntVar(&cfg.getOps, "getops", 200000, "GETs of the latency loop")
	flag.IntVar(&cfg.loaders, "loaders", 4, "connections used to load keys")
	flag.DurationVar(&cfg.timeCap, "timecap", 60*time.Second, "time cap of one GET latency loop")
	flag.IntVar(&cfg.zipfKeys, "zipfkeys", 1000000, "keyspace of the Zipf hit-ratio workload")
	flag.IntVar(&cfg.zipfOps, "zipfops", 2000000, "GETs of one Zipf run (warm-up included)")
	flag.Float64Var(&cfg.warmup, "warmup", 0.5, "share of -zipfops run first and not counted")
	flag.Float64Var(&cfg.zipfS, "zipf", 0.99, "Zipf exponent s (0 < s < 1)")
	flag.IntVar(&cfg.zipfConns, "zipfconns", 8, "connections of the Zipf workload")
	flag.IntVar(&cfg.zipfBatch, "zipfbatch", 32, "GETs per pipeline in the Zipf workload (then one pipeline of SETs for the misses)")
	flag.IntVar(&cfg.hitRounds, "hitrounds", 1, "rounds of the Zipf hit-ratio runs")
	flag.DurationVar(&cfg.zipfTimeCap, "zipftimecap", 5*time.Minute, "time cap of one Zipf phase (warm-up or measured)")
	flag.Float64Var(&cfg.memFrac, "memfrac", 0.1, "maxmemory = memfrac x fastcache used_memory of the full Zipf keyspace")
	flag.Int64Var(&cfg.maxMemory, "maxmemory", 0, "maxmemory in bytes for the Zipf runs (0 = derive with -memfrac)")
	flag.StringVar(&cfg.fcBin, "fastcache", "", "fastcache binary (default: go build ./cmd/fastcache into the work dir)")
	flag.StringVar(&cfg.redisBin, "redis", "redis-server", "redis-server binary")
	flag.StringVar(&cfg.workDir, "workdir", "", "parent of the temp work dir (default $TMPDIR)")
	flag.BoolVar(&cfg.skipA, "skip-bytes", false, "skip bytes/key and GET latency")
	flag.BoolVar(&cfg.skipB, "skip-hit", false, "skip the Zipf hit-ratio runs")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the work dir (server logs)")
	flag.StringVar(&cfg.hashShapes, "hashes", "", "bytes per hash field for these shapes, HASHESxFIELDS comma-separated (e.g. 10000x100,1x1000000); empty: none")
	flag.Parse()
	switch {
	case cfg.keys < 1 || cfg.rounds < 1 || cfg.conns < 1 || cfg.getOps < cfg.conns:
		fmt.Fprintln(os.Stderr, "membench: need -keys, -rounds >= 1 and -getops >= -conns >= 1")
		os.Exit(2)
	case cfg.zipfKeys < 10 || cfg.zipfOps < 2*cfg.zipfConns || cfg.zipfConns < 1 || cfg.zipfBatch < 1 || cfg.hitRounds < 1:
		fmt.Fprintln(os.Stderr, "membench: need -zipfkeys >= 10, -zipfops >= 2 x -zipfconns, -zipfbatch >= 1, -hitrounds >= 1")
		os.Exit(2)
	case cfg.zipfS <= 0 || cfg.zipfS >= 1 || cfg.warmup < 0 || cfg.warmup >= 1 || cfg.memFrac <= 0:
		fmt.Fprintln(os.Stderr, "membench: need 0 < -zipf < 1, 0 <= -warmup < 1, -memfrac > 0")
		os.Exit(2)
	}
	if _, err := parseShapes(cfg.hashShapes); err != nil {
		fmt.Fprintln(os.Stderr, "membench:", err)
		os.Exit(2)
	}
	installSignalHandler()
	code := run(cfg, os.Stdout)
	killAll()
	os.Exit(code)
}

type bytesResult struct {
	rssBefore, rssAfter   int64
	usedBefore, usedAfter int64
	get                   loadResult
}

type hitResult struct {
	gets, hits, sets int64
	setErrs          int64 // SETs refused (e.g. OOM: maxmemory below what the server needs)
	elapsed          time.Duration
	dbsize           int64
	usedMemory       int64
	rss              int64
	evicted          int64
	capped           bool
}

func (h hitResult) ratio() float64 {
	if h.gets == 0 {
		return 0
	}
	return float64(h.hits) / float64(h.gets)
}

func run(cfg config, out io.Writer) int {
	defer killAll()
	work, err := os.MkdirTemp(cfg.workDir, "bench-membench-")
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
	n := 0
	nextDir := func(kind string) string { n++; return filepath.Join(work, fmt.Sprintf("%s-%d", kind, n)) }

	bytesRes := map[string][]bytesResult{}
	if !cfg.skipA {
		for r := 1; r <= cfg.rounds; r++ {
			for _, kind := range kinds {
				logf("bytes/key + GET latency, round %d/%d: %s", r, cfg.rounds, kind)
				res, err := bytesPerKey(cfg, kind, nextDir(kind))
				if err != nil {
					fmt.Fprintf(os.Stderr, "%s: %v\n", kind, err)
					return 1
				}
				bytesRes[kind] = append(bytesRes[kind], res)
			}
		}
	}

	shapes, _ := parseShapes(cfg.hashShapes)
	var hashRes map[string][]hashBytesResult
	if len(shapes) > 0 {
		if hashRes, err = runHashBytes(cfg, shapes, nextDir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}

	var fullUsed int64
	hitRes := map[string][]hitResult{} // "<kind>/<policy>"
	baseline := map[string]int64{}
	if !cfg.skipB {
		maxmem := cfg.maxMemory
		if maxmem == 0 {
			logf("sizing: fastcache used_memory of %d keys", cfg.zipfKeys)
			fullUsed, err = fastcacheUsedMemory(cfg, nextDir("fastcache"))
			if err != nil {
				fmt.Fprintf(os.Stderr, "sizing: %v\n", err)
				return 1
			}
			maxmem = int64(float64(fullUsed) * cfg.memFrac)
		}
		cfg.maxMemory = maxmem
		for r := 1; r <= cfg.hitRounds; r++ {
			for _, policy := range []string{"allkeys-lru", "allkeys-lfu"} {
				for _, kind := range kinds {
					logf("hit ratio round %d/%d: %s %s maxmemory %d", r, cfg.hitRounds, kind, policy, maxmem)
					res, base, err := hitRatio(cfg, kind, policy, nextDir(kind), uint64(r))
					if err != nil {
						fmt.Fprintf(os.Stderr, "%s %s: %v\n", kind, policy, err)
						return 1
					}
					baseline[kind] = base
					logf("  hit ratio %.4f (%d gets, %d keys held, %d evicted)", res.ratio(), res.gets, res.dbsize, res.evicted)
					hitRes[kind+"/"+policy] = append(hitRes[kind+"/"+policy], res)
				}
			}
		}
	}
	report(out, cfg, bytesRes, hitRes, fullUsed, baseline)
	if len(shapes) > 0 {
		reportHashBytes(out, cfg, shapes, hashRes)
	}
	return 0
}

func noPersistArgs(kind string) []string {
	if kind == "fastcache" {
		return []string{"--appendonly", "no"}
	}
	return []string{"--appendonly", "no", "--save", ""}
}

func binOf(cfg config, kind string) string {
	if kind == "fastcache" {
		return cfg.fcBin
	}
	return cfg.redisBin
}

func usedMemory(ctx context.Context, c *redis.Client) (int64, error) {
	m, err := info(ctx, c, "memory")
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(m["used_memory"], 10, 64)
}

func bytesPerKey(cfg config, kind, dir string) (bytesResult, error) {
	var res bytesResult
	ctx := context.Background()
	port, err := freePort()
	if err != nil {
		return res, err
	}
	s, err := startServer(kind, binOf(cfg, kind), port, dir, noPersistArgs(kind)...)
	if err != nil {
		return res, err
	}
	defer s.kill9()
	if err := s.waitReady(30 * time.Second); err != nil {
		return res, err
	}
	c := newClient(s.addr(), 1)
	defer c.Close()
	time.Sleep(500 * time.Millisecond) // let start-up allocations settle
	if res.rssBefore, err = vmRSS(s.pid()); err != nil {
		return res, err
	}
	if res.usedBefore, err = usedMemory(ctx, c); err != nil {
		return res, err
	}
	t := time.Now()
	if err := loadRange(ctx, s.addr(), 0, cfg.keys, cfg.loaders); err != nil {
		return res, err
	}
	logf("  loaded %d keys in %v", cfg.keys, time.Since(t).Round(time.Millisecond))
	if n, err := c.DBSize(ctx).Result(); err != nil || n != int64(cfg.keys) {
		return res, fmt.Errorf("DBSIZE %d (err %v), want %d", n, err, cfg.keys)
	}
	time.Sleep(time.Second)
	if res.rssAfter, err = vmRSS(s.pid()); err != nil {
		return res, err
	}
	if res.usedAfter, err = usedMemory(ctx, c); err != nil {
		return res, err
	}
	logf("  RSS %s -> %s: %.1f B/key", mib(float64(res.rssBefore)), mib(float64(res.rssAfter)),
		float64(res.rssAfter-res.rssBefore)/float64(cfg.keys))
	keys := cfg.keys
	res.get = runLoad(ctx, s.addr(), cfg.conns, cfg.getOps, cfg.timeCap, func(ctx context.Context, c *redis.Client, w, i int) error {
		k := rand.IntN(keys)
		return c.Get(ctx, keyOf(k)).Err()
	})
	logf("  GET: %.0f ops/s p99 %v", res.get.opsPerSec(), res.get.p99)
	return res, nil
}

// fastcacheUsedMemory loads the full Zipf keyspace into an unlimited
// fastcache and returns its INFO used_memory.
func fastcacheUsedMemory(cfg config, dir string) (int64, error) {
	ctx := context.Background()
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	s, err := startServer("fastcache", cfg.fcBin, port, dir, noPersistArgs("fastcache")...)
	if err != nil {
		return 0, err
	}
	defer s.kill9()
	if err := s.waitReady(30 * time.Second); err != nil {
		return 0, err
	}
	if err := loadRange(ctx, s.addr(), 0, cfg.zipfKeys, cfg.loaders); err != nil {
		return 0, err
	}
	c := newClient(s.addr(), 1)
	defer c.Close()
	return usedMemory(ctx, c)
}

func hitRatio(cfg config, kind, policy, dir string, seed uint64) (hitResult, int64, error) {
	var res hitResult
	ctx := context.Background()
	port, err := freePort()
	if err != nil {
		return res, 0, err
	}
	args := append(noPersistArgs(kind), "--maxmemory", strconv.FormatInt(cfg.maxMemory, 10), "--maxmemory-policy", policy)
	s, err := startServer(kind, binOf(cfg, kind), port, dir, args...)
	if err != nil {
		return res, 0, err
	}
	defer s.kill9()
	if err := s.waitReady(30 * time.Second); err != nil {
		return res, 0, err
	}
	c := newClient(s.addr(), 1)
	defer c.Close()
	base, err := usedMemory(ctx, c)
	if err != nil {
		return res, 0, err
	}
	z := newZipfian(cfg.zipfKeys, cfg.zipfS, 12345) // same hot keys for every run
	warm := int64(float64(cfg.zipfOps) * cfg.warmup)
	if warm > 0 {
		if _, err := zipfPhase(ctx, cfg, s.addr(), z, warm, seed*1000); err != nil {
			return res, base, fmt.Errorf("warm-up: %w", err)
		}
	}
	res, err = zipfPhase(ctx, cfg, s.addr(), z, int64(cfg.zipfOps)-warm, seed*1000+500)
	if err != nil {
		return res, base, err
	}
	res.dbsize, _ = c.DBSize(ctx).Result()
	res.usedMemory, _ = usedMemory(ctx, c)
	res.rss, _ = vmRSS(s.pid())
	if m, err := info(ctx, c, "stats"); err == nil {
		res.evicted, _ = strconv.ParseInt(m["evicted_keys"], 10, 64)
	}
	return res, base, nil
}

// zipfPhase runs `gets` GETs of Zipf-distributed keys from cfg.zipfConns
// connections, each pipelining zipfBatch GETs and then SETting the misses.
func zipfPhase(ctx context.Context, cfg config, addr string, z *zipfian, gets int64, seed uint64) (hitResult, error) {
	c := newClient(addr, cfg.zipfConns)
	defer c.Close()
	var issued, hits, sets, setErrs, done atomic.Int64
	var capped atomic.Bool
	var firstErr error
	var errOnce sync.Once
	deadline := time.Now().Add(cfg.zipfTimeCap)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < cfg.zipfConns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed+uint64(w), 0x9e3779b97f4a7c15))
			ids := make([]int, cfg.zipfBatch)
			for {
				if time.Now().After(deadline) {
					capped.Store(true)
					return
				}
				b := int64(cfg.zipfBatch)
				lo := issued.Add(b) - b
				if lo >= gets {
					return
				}
				nb := int(min(b, gets-lo))
				p := c.Pipeline()
				cmds := make([]*redis.StringCmd, nb)
				for i := 0; i < nb; i++ {
					ids[i] = z.next(r)
					cmds[i] = p.Get(ctx, keyOf(ids[i]))
				}
				_, err := p.Exec(ctx)
				if err != nil && !errors.Is(err, redis.Nil) {
					errOnce.Do(func() { firstErr = err })
					return
				}
				var misses []int
				for i, cmd := range cmds {
					if cmd.Err() == nil {
						hits.Add(1)
					} else {
						misses = append(misses, ids[i])
					}
				}
				if len(misses) > 0 {
					p := c.Pipeline()
					for _, id := range misses {
						p.Set(ctx, keyOf(id), valOf(id), 0)
					}
					cmds, err := p.Exec(ctx)
					if err != nil && len(cmds) != len(misses) {
						errOnce.Do(func() { firstErr = fmt.Errorf("SET: %w", err) })
						return
					}
					for _, cmd := range cmds {
						if cmd.Err() != nil {
							setErrs.Add(1) // server replied with an error (OOM): counted, not fatal
						} else {
							sets.Add(1)
						}
					}
				}
				done.Add(int64(nb))
			}
		}(w)
	}
	wg.Wait()
	return hitResult{gets: done.Load(), hits: hits.Load(), sets: sets.Load(), setErrs: setErrs.Load(), elapsed: time.Since(start), capped: capped.Load()}, firstErr
}

func report(w io.Writer, cfg config, bytesRes map[string][]bytesResult, hitRes map[string][]hitResult, fullUsed int64, baseline map[string]int64) {
	fmt.Fprintf(w, "# Memory: fastcache vs redis-server\n\n")
	printMachine(w, cfg.fcBin, cfg.redisBin)
	fmt.Fprintf(w, "Keys are `key:%%012d` (16 B), values 32 bytes (base64 of pseudo-random bytes). Servers run one at a time, fastcache first.\n")
	fmt.Fprintf(w, "Persistence off: fastcache `%s`, redis `--appendonly no --save ''`.\n\n", strings.Join(noPersistArgs("fastcache"), " "))

	if !cfg.skipA {
		med := func(kind string, f func(bytesResult) float64) float64 {
			var xs []float64
			for _, r := range bytesRes[kind] {
				xs = append(xs, f(r))
			}
			return median(xs)
		}
		n := float64(cfg.keys)
		rssPK := func(r bytesResult) float64 { return float64(r.rssAfter-r.rssBefore) / n }
		usedPK := func(r bytesResult) float64 { return float64(r.usedAfter-r.usedBefore) / n }
		rssAfter := func(r bytesResult) float64 { return float64(r.rssAfter) }
		fmt.Fprintf(w, "## Bytes per key (%d keys, medians over %d rounds)\n\n", cfg.keys, cfg.rounds)
		fmt.Fprintf(w, "RSS = VmRSS from /proc/<pid>/status before and 1 s after loading; used_memory = INFO memory before and after.\n\n")
		fmt.Fprintf(w, "| server | RSS bytes/key | used_memory bytes/key | RSS after load |\n|---|---:|---:|---:|\n")
		for _, k := range kinds {
			fmt.Fprintf(w, "| %s | %.1f | %.1f | %s |\n", k, med(k, rssPK), med(k, usedPK), mib(med(k, rssAfter)))
		}
		fmt.Fprintf(w, "| **fastcache/redis** | **%s** | %s | %s |\n\n", ratio(med("fastcache", rssPK), med("redis", rssPK)),
			ratio(med("fastcache", usedPK), med("redis", usedPK)), ratio(med("fastcache", rssAfter), med("redis", rssAfter)))

		dms := func(d time.Duration) float64 { return float64(d) / 1e6 }
		fmt.Fprintf(w, "## GET latency with %d keys loaded (%d connections, %d GETs of uniformly random keys, cap %v; medians over rounds)\n\n", cfg.keys, cfg.conns, cfg.getOps, cfg.timeCap)
		fmt.Fprintf(w, "| server | ops/s | p50 | p99 |\n|---|---:|---:|---:|\n")
		for _, k := range kinds {
			fmt.Fprintf(w, "| %s | %.0f | %s | %s |\n", k, med(k, func(r bytesResult) float64 { return r.get.opsPerSec() }),
				ms(med(k, func(r bytesResult) float64 { return dms(r.get.p50) })), ms(med(k, func(r bytesResult) float64 { return dms(r.get.p99) })))
		}
		fmt.Fprintf(w, "| **fastcache/redis** | %s | %s | **%s** |\n\n",
			ratio(med("fastcache", func(r bytesResult) float64 { return r.get.opsPerSec() }), med("redis", func(r bytesResult) float64 { return r.get.opsPerSec() })),
			ratio(med("fastcache", func(r bytesResult) float64 { return dms(r.get.p50) }), med("redis", func(r bytesResult) float64 { return dms(r.get.p50) })),
			ratio(med("fastcache", func(r bytesResult) float64 { return dms(r.get.p99) }), med("redis", func(r bytesResult) float64 { return dms(r.get.p99) })))
		for _, k := range kinds {
			for i, r := range bytesRes[k] {
				if r.get.capped || r.get.errors > 0 {
					fmt.Fprintf(w, "- note: %s round %d GET loop: %d ops done, capped=%v, %d errors\n", k, i+1, r.get.ops, r.get.capped, r.get.errors)
				}
			}
		}
	}

	if !cfg.skipB {
		warm := int64(float64(cfg.zipfOps) * cfg.warmup)
		fmt.Fprintf(w, "## Hit ratio, Zipf(%.2f) over %d keys\n\n", cfg.zipfS, cfg.zipfKeys)
		if fullUsed > 0 {
			fmt.Fprintf(w, "maxmemory = %.2f x %d B (fastcache used_memory with all %d keys) = **%d B (%s)**, the same for both servers.\n",
				cfg.memFrac, fullUsed, cfg.zipfKeys, cfg.maxMemory, mib(float64(cfg.maxMemory)))
		} else {
			fmt.Fprintf(w, "maxmemory = **%d B (%s)** (given), the same for both servers.\n", cfg.maxMemory, mib(float64(cfg.maxMemory)))
		}
		fmt.Fprintf(w, "Empty-server used_memory (counted against maxmemory): fastcache %d B, redis %d B.\n", baseline["fastcache"], baseline["redis"])
		fmt.Fprintf(w, "Workload: %d GETs per run from %d connections (Gray et al./YCSB zipfian, ranks scrambled by a fixed permutation), pipelines of %d GETs then one pipeline of SETs for the misses; the first %d GETs warm the cache and are not counted. hit ratio = hits / GETs over the remaining %d. Medians over %d round(s).\n\n",
			cfg.zipfOps, cfg.zipfConns, cfg.zipfBatch, warm, int64(cfg.zipfOps)-warm, cfg.hitRounds)
		fmt.Fprintf(w, "| policy | server | hit ratio | keys held at end | used_memory at end | RSS at end | evicted keys | refused SETs | GETs/s |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, policy := range []string{"allkeys-lru", "allkeys-lfu"} {
			med := func(kind string, f func(hitResult) float64) float64 {
				var xs []float64
				for _, r := range hitRes[kind+"/"+policy] {
					xs = append(xs, f(r))
				}
				return median(xs)
			}
			hr := func(r hitResult) float64 { return r.ratio() }
			for _, k := range kinds {
				fmt.Fprintf(w, "| %s | %s | %.4f | %.0f | %s | %s | %.0f | %.0f | %.0f |\n", policy, k, med(k, hr),
					med(k, func(r hitResult) float64 { return float64(r.dbsize) }),
					mib(med(k, func(r hitResult) float64 { return float64(r.usedMemory) })),
					mib(med(k, func(r hitResult) float64 { return float64(r.rss) })),
					med(k, func(r hitResult) float64 { return float64(r.evicted) }),
					med(k, func(r hitResult) float64 { return float64(r.setErrs) }),
					med(k, func(r hitResult) float64 { return float64(r.gets) / r.elapsed.Seconds() }))
			}
			fmt.Fprintf(w, "| %s | **fastcache/redis** | **%s** | %s | | | | | |\n", policy, ratio(med("fastcache", hr), med("redis", hr)),
				ratio(med("fastcache", func(r hitResult) float64 { return float64(r.dbsize) }), med("redis", func(r hitResult) float64 { return float64(r.dbsize) })))
		}
		for key, rs := range hitRes {
			for i, r := range rs {
				if r.capped {
					fmt.Fprintf(w, "- note: %s round %d hit the time cap after %d GETs\n", key, i+1, r.gets)
				}
				if r.setErrs > 0 {
					fmt.Fprintf(w, "- note: %s round %d: %d SETs refused (OOM: maxmemory too small for the server's own footprint; raise -zipfkeys or -memfrac)\n", key, i+1, r.setErrs)
				}
			}
		}
		fmt.Fprintf(w, "\nmaxmemory is enforced against each server's own used_memory accounting, which differ (compare bytes/key above); \"keys held\" shows how many keys each actually kept within the same nominal budget, and most of a hit-ratio gap follows from it.\n\n")
	}
	fmt.Fprintf(w, "The machine is shared (other jobs may run); the load generator runs on the same cores as the server.\n\n")
}
