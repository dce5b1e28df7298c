// Command streambench compares fastcache with redis-server on streams, the
// two servers run one at a time (redis, then fastcache, each round), each on
// a fresh data directory:
//
//   - XADD s * f1 v1 f2 v2 f3 v3 with redis-benchmark, -c 50, -P 1 and -P 16,
//     under each appendfsync setting (none = appendonly no, everysec, always)
//   - XRANGE r - + COUNT 100 over a 1000-entry stream (redis-benchmark -P 1)
//   - consumer groups: -consume entries loaded, then 10 go-redis consumers
//     loop XREADGROUP GROUP g c<i> COUNT 10 STREAMS q > and XACK what they
//     got, until every entry is delivered and acknowledged: entries/s
//   - memory (appendonly no): INFO used_memory and RSS before and after
//     loading -entries entries of 3 fields into one stream: bytes per entry
//
// Medians over -rounds rounds and the fastcache/redis ratio, as markdown on
// stdout; progress on stderr. Run from the repository root. Besides the
// rate, each load reports the server's CPU time per request (utime+stime
// of the server process from /proc): on a busy machine the rate moves with
// the neighbours' load, the CPU a request costs much less.
package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
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

	"github.com/redis/go-redis/v9"

	"fastcache/bench/child"
)

var (
	rounds    = flag.Int("rounds", 3, "rounds (each: redis, then fastcache)")
	n         = flag.Int("n", 200000, "redis-benchmark requests per XADD run")
	rangeN    = flag.Int("rangen", 50000, "redis-benchmark requests of the XRANGE run")
	consume   = flag.Int("consume", 200000, "entries consumed by the consumer-group run")
	consumers = flag.Int("consumers", 10, "consumers of the consumer-group run")
	entries   = flag.Int("entries", 10000000, "entries loaded for bytes per entry (0: skip)")
	settings  = flag.String("settings", "none,everysec,always", "appendfsync settings (none = appendonly no)")
	fcBin     = flag.String("fastcache", "", "fastcache binary (default: build ./cmd/fastcache)")
	redisBin  = flag.String("redis", "redis-server", "redis-server binary")
	timeout   = flag.Duration("timeout", 5*time.Minute, "bound of any one load")
)

type server struct {
	kind string
	cmd  *exec.Cmd
	port int
	done chan struct{}
}

var (
	work    string
	running sync.Map // pid -> *server, killed on a signal
)

// cpu is the server's CPU time so far (user + system), in seconds.
func (s *server) cpu() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", a...)
}

func start(kind, setting string, port int) *server {
	dir := filepath.Join(work, fmt.Sprintf("%s-%d", kind, port))
	os.RemoveAll(dir)
	os.MkdirAll(dir, 0o755)
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir}
	bin := *fcBin
	if kind == "redis" {
		bin = *redisBin
		args = append(args, "--save", "", "--daemonize", "no", "--logfile", "")
	}
	if setting == "none" {
		args = append(args, "--appendonly", "no")
	} else {
		args = append(args, "--appendonly", "yes", "--appendfsync", setting)
	}
	cmd := exec.Command(bin, args...)
	lf, _ := os.Create(dir + ".log")
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = child.Attr()
	if err := cmd.Start(); err != nil {
		fatal("start %s: %v", kind, err)
	}
	s := &server{kind: kind, cmd: cmd, port: port, done: make(chan struct{})}
	running.Store(cmd.Process.Pid, s)
	go func() { cmd.Wait(); lf.Close(); running.Delete(cmd.Process.Pid); close(s.done) }()
	rdb := s.client(1)
	defer rdb.Close()
	pid := fmt.Sprintf("process_id:%d\r\n", cmd.Process.Pid)
	for deadline := time.Now().Add(60 * time.Second); ; {
		// the server started here answers (not another one on the port)
		if info, err := rdb.Info(context.Background(), "server").Result(); err == nil && strings.Contains(info, pid) {
			break
		}
		select {
		case <-s.done:
			fatal("%s exited at start (see %s.log)", kind, dir)
		default:
		}
		if time.Now().After(deadline) {
			fatal("%s did not start", kind)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

func (s *server) stop() {
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	s.cmd.Process.Kill()
	<-s.done
}

func (s *server) client(pool int) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", s.port), PoolSize: pool, Protocol: 2,
		ReadTimeout: time.Minute, WriteTimeout: time.Minute})
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func fatal(format string, a ...any) {
	logf("error: "+format, a...)
	os.Exit(1)
}

// benchmark runs redis-benchmark and returns its requests per second.
func benchmark(port int, reqs, pipeline int, cmd ...string) float64 {
	args := append([]string{"-p", strconv.Itoa(port), "-c", "50", "-n", strconv.Itoa(reqs), "-P", strconv.Itoa(pipeline), "--csv"}, cmd...)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-benchmark", args...).Output()
	if err != nil {
		fatal("redis-benchmark %v: %v", args, err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	if err != nil || len(recs) < 2 || len(recs[1]) < 2 {
		fatal("redis-benchmark output %q", out)
	}
	v, _ := strconv.ParseFloat(recs[1][1], 64)
	return v
}

func fill(rdb *redis.Client, key string, count int, value func(i int) []any) {
	ctx := context.Background()
	const batch = 1000
	for i := 0; i < count; i += batch {
		pipe := rdb.Pipeline()
		for j := i; j < min(i+batch, count); j++ {
			pipe.Do(ctx, append([]any{"XADD", key, "*"}, value(j)...)...)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			fatal("fill %s: %v", key, err)
		}
	}
}

func entry(i int) []any {
	return []any{"sensor", fmt.Sprintf("s-%05d", i%50000), "value", strconv.Itoa(i % 1000), "ts", strconv.Itoa(1700000000 + i)}
}

// consumeRun loads entries, then consumers read and acknowledge them all.
func consumeRun(s *server) float64 {
	ctx := context.Background()
	rdb := s.client(*consumers + 2)
	defer rdb.Close()
	fill(rdb, "q", *consume, entry)
	if err := rdb.XGroupCreate(ctx, "q", "g", "0").Err(); err != nil {
		fatal("XGROUP CREATE: %v", err)
	}
	var done atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	deadline := t0.Add(*timeout)
	for c := 0; c < *consumers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			name := fmt.Sprintf("c%d", c)
			for done.Load() < int64(*consume) && time.Now().Before(deadline) {
				res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: name, Streams: []string{"q", ">"}, Count: 10, Block: -1}).Result()
				if err == redis.Nil {
					continue
				}
				if err != nil {
					fatal("XREADGROUP: %v", err)
				}
				var ids []string
				for _, st := range res {
					for _, m := range st.Messages {
						ids = append(ids, m.ID)
					}
				}
				if len(ids) == 0 {
					continue
				}
				if err := rdb.XAck(ctx, "q", "g", ids...).Err(); err != nil {
					fatal("XACK: %v", err)
				}
				done.Add(int64(len(ids)))
			}
		}(c)
	}
	wg.Wait()
	return float64(done.Load()) / time.Since(t0).Seconds()
}

func info(rdb *redis.Client, field string) int64 {
	s, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		fatal("INFO: %v", err)
	}
	for _, l := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// results[row][kind] holds one value per round.
type results map[string]map[string][]float64

func (r results) add(row, kind string, v float64) {
	if r[row] == nil {
		r[row] = map[string][]float64{}
	}
	r[row][kind] = append(r[row][kind], v)
}

// summary is the last value of each row for kind (progress on stderr).
func (r results) summary(order []string, kind string) string {
	var b strings.Builder
	for _, name := range order {
		if v := r[name][kind]; len(v) > 0 {
			fmt.Fprintf(&b, "\n    %s: %.0f", name, v[len(v)-1])
		}
	}
	return b.String()
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

func main() {
	flag.Parse()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigs
		running.Range(func(_, v any) bool { v.(*server).stop(); return true })
		os.RemoveAll(work)
		os.Exit(130)
	}()
	var err error
	work, err = os.MkdirTemp("", "streambench")
	if err != nil {
		fatal("%v", err)
	}
	defer os.RemoveAll(work)
	if *fcBin == "" {
		*fcBin = filepath.Join(work, "fastcache")
		if out, err := exec.Command("go", "build", "-o", *fcBin, "./cmd/fastcache").CombinedOutput(); err != nil {
			fatal("build: %v\n%s", err, out)
		}
	}
	res, cpu := results{}, results{}
	var order []string
	row := func(name string) string {
		for _, o := range order {
			if o == name {
				return name
			}
		}
		order = append(order, name)
		return name
	}
	for _, setting := range strings.Split(*settings, ",") {
		for r := 0; r < *rounds; r++ {
			for _, kind := range []string{"redis", "fastcache"} {
				port := freePort()
				s := start(kind, setting, port)
				logf("%s %s round %d", kind, setting, r+1)
				// measure runs a load of ops requests and records its rate and
				// the server's CPU microseconds per request
				measure := func(name string, ops int, load func() float64) {
					c0 := s.cpu()
					rate := load()
					res.add(row(name), kind, rate)
					cpu.add(name, kind, (s.cpu()-c0)/float64(ops)*1e6)
				}
				for _, p := range []int{1, 16} {
					measure(fmt.Sprintf("XADD -P %d (%s)", p, setting), *n, func() float64 {
						return benchmark(port, *n, p, "XADD", "s", "*", "f1", "v1", "f2", "v2", "f3", "v3")
					})
				}
				rdb := s.client(4)
				fill(rdb, "r", 1000, entry)
				rdb.Close()
				measure(fmt.Sprintf("XRANGE r - + COUNT 100 -P 1 (%s)", setting), *rangeN, func() float64 {
					return benchmark(port, *rangeN, 1, "XRANGE", "r", "-", "+", "COUNT", "100")
				})
				measure(fmt.Sprintf("XREADGROUP COUNT 10 + XACK, %d consumers, entries/s (%s)", *consumers, setting), *consume, func() float64 {
					return consumeRun(s)
				})
				s.stop()
				logf("%s", res.summary(order, kind))
			}
		}
	}
	mem := results{}
	if *entries > 0 {
		for r := 0; r < *rounds; r++ {
			for _, kind := range []string{"redis", "fastcache"} {
				s := start(kind, "none", freePort())
				rdb := s.client(2)
				time.Sleep(200 * time.Millisecond)
				u0, r0 := info(rdb, "used_memory"), rss(s.cmd.Process.Pid)
				t0 := time.Now()
				fill(rdb, "m", *entries, entry)
				time.Sleep(time.Second) // RSS 1 s after the load, as the other memory benchmarks read it
				u1, r1 := info(rdb, "used_memory"), rss(s.cmd.Process.Pid)
				logf("%s memory round %d: %d entries in %v", kind, r+1, *entries, time.Since(t0).Round(time.Millisecond))
				mem.add("used_memory bytes/entry", kind, float64(u1-u0)/float64(*entries))
				mem.add("RSS bytes/entry", kind, float64(r1-r0)/float64(*entries))
				logf("%s: used_memory %.1f, RSS %.1f bytes/entry", kind, float64(u1-u0)/float64(*entries), float64(r1-r0)/float64(*entries))
				rdb.Close()
				s.stop()
			}
		}
	}
	fmt.Printf("| load | redis-server /s | fastcache /s | fastcache/redis | redis CPU µs/req | fastcache CPU µs/req | CPU fastcache/redis |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, name := range order {
		rv, fv := median(res[name]["redis"]), median(res[name]["fastcache"])
		rc, fc := median(cpu[name]["redis"]), median(cpu[name]["fastcache"])
		fmt.Printf("| %s | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f |\n", name, rv, fv, fv/rv, rc, fc, fc/rc)
	}
	if *entries > 0 {
		fmt.Printf("\n| %d entries of 3 fields, one stream | redis-server | fastcache | fastcache/redis |\n|---|---:|---:|---:|\n", *entries)
		for _, name := range []string{"used_memory bytes/entry", "RSS bytes/entry"} {
			rv, fv := median(mem[name]["redis"]), median(mem[name]["fastcache"])
			fmt.Printf("| %s | %.1f | %.1f | %.2f |\n", name, rv, fv, fv/rv)
		}
	}
	fmt.Printf("\nrounds: %d; medians over rounds; every value of every round:\n\n", *rounds)
	for _, name := range order {
		fmt.Printf("- %s: redis %v, fastcache %v\n", name, res[name]["redis"], res[name]["fastcache"])
	}
	for _, name := range []string{"used_memory bytes/entry", "RSS bytes/entry"} {
		if mem[name] != nil {
			fmt.Printf("- %s: redis %v, fastcache %v\n", name, mem[name]["redis"], mem[name]["fastcache"])
		}
	}
}
