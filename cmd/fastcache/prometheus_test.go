package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// The tests here run fastcache under the tools operators put in front of
// it: Debian's prometheus scraping metrics-listen, and Debian's
// prometheus-redis-exporter reading INFO as it reads Redis. They skip when
// the tools are not installed, or fail with FASTCACHE_REQUIRE_PROMETHEUS=1
// (.ci/run installs them and sets it).

func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("FASTCACHE_REQUIRE_PROMETHEUS") == "1" {
			t.Fatalf("%s not found on PATH: %v", name, err)
		}
		t.Skipf("%s not found on PATH (apt-get install prometheus prometheus-redis-exporter): %v", name, err)
	}
	return path
}

// startTool runs a tool until the test ends; its output goes to the test
// log on failure.
func startTool(t *testing.T, bin string, args ...string) *syncBuffer {
	t.Helper()
	out := &syncBuffer{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Dir = t.TempDir()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(bin), out.String())
		}
	})
	return out
}

// promQuery runs an instant query through Prometheus's HTTP API and returns
// the value of each series, keyed by its labels.
func promQuery(base, q string) (map[string]float64, error) {
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string
		Error  string
		Data   struct {
			Result []struct {
				Metric map[string]string
				Value  [2]any
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %q: %s", q, r.Error)
	}
	out := map[string]float64{}
	for _, s := range r.Data.Result {
		keys := make([]string, 0, len(s.Metric))
		for k, v := range s.Metric {
			if k != "instance" && k != "job" && k != "__name__" {
				keys = append(keys, k+"="+v)
			}
		}
		sort.Strings(keys)
		v, _ := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
		out[strings.Join(keys, ",")] = v
	}
	return out, nil
}

// TestPrometheusScrapes: Prometheus scrapes a running fastcache every second;
// queries over the WAL and command metrics return what the test's writes did.
func TestPrometheusScrapes(t *testing.T) {
	bin := requireTool(t, "prometheus")
	mport, pport := freePort(t), freePort(t)
	p := startReady(t, t.TempDir(), "--metrics-listen", strconv.Itoa(mport), "--appendfsync", "always")
	rdb := p.client()
	const n = 40
	for i := 0; i < n; i++ {
		if err := rdb.Set(ctx(), "k"+strconv.Itoa(i), strings.Repeat("v", 100), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 7; i++ {
		rdb.Get(ctx(), "k"+strconv.Itoa(i))
	}

	dir := t.TempDir()
	conf := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(conf, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: fastcache
    static_configs:
      - targets: ['127.0.0.1:%d']
`, mport)), 0o644)
	out := startTool(t, bin, "--config.file="+conf, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(pport), "--log.level=warn")
	base := fmt.Sprintf("http://127.0.0.1:%d", pport)

	// Each check polls: Prometheus needs a start and a scrape or two.
	check := func(q string, ok func(map[string]float64) bool) map[string]float64 {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		var last map[string]float64
		var err error
		for time.Now().Before(deadline) {
			if last, err = promQuery(base, q); err == nil && ok(last) {
				return last
			}
			time.Sleep(250 * time.Millisecond)
		}
		t.Fatalf("query %q: %v (last %v)\n%s", q, err, last, out.String())
		return nil
	}
	check(`up{job="fastcache"}`, func(r map[string]float64) bool { return r[""] == 1 })
	check(`fastcache_commands_total{cmd="set"}`, func(r map[string]float64) bool { return r["cmd=set"] == n })
	check(`sum by (cmd) (fastcache_commands_total{cmd=~"set|get"})`, func(r map[string]float64) bool {
		return r["cmd=set"] == n && r["cmd=get"] == 7
	})
	// appendfsync always: all n records (and their 100-byte values) are in
	// the WAL before the SETs were acknowledged.
	check(`fastcache_wal_records_total`, func(r map[string]float64) bool { return r[""] >= n })
	check(`fastcache_wal_raw_bytes_total > 4000`, func(r map[string]float64) bool { return len(r) == 1 })
	check(`fastcache_wal_fsync_duration_seconds_count`, func(r map[string]float64) bool { return r[""] >= 1 })
	check(`histogram_quantile(0.99, fastcache_command_duration_seconds_bucket{cmd="set"})`, func(r map[string]float64) bool {
		v, ok := r["cmd=set"]
		return ok && v > 0 && v < 10
	})
	check(`fastcache_keys{db="0"}`, func(r map[string]float64) bool { return r["db=0"] == n })
}

// TestRedisExporter: Debian's prometheus-redis-exporter pointed at fastcache
// reports redis_up 1, the per-command counters, and (with redis-server
// installed) the same metric families it reports for a Redis 7.0 with
// appendonly yes.
func TestRedisExporter(t *testing.T) {
	bin := requireTool(t, "prometheus-redis-exporter")
	p := startReady(t, t.TempDir())
	rdb := p.client()
	const n = 25
	for i := 0; i < n; i++ {
		rdb.Set(ctx(), "k"+strconv.Itoa(i), "v", time.Hour)
	}
	rdb.Get(ctx(), "k1")
	rdb.Do(ctx(), "INCR", "k1") // an ERR
	// (go-redis's CLIENT SETINFO on connect is an ERR too on a 7.0 server)
	errs, _ := strconv.ParseFloat(strings.TrimPrefix(infoField(t, rdb, "errorstats", "errorstat_ERR"), "count="), 64)
	fams := exporterFamilies(t, bin, p.addr())

	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"redis_up", nil, 1},
		{"redis_commands_total", []string{"cmd", "set"}, n},
		{"redis_commands_total", []string{"cmd", "get"}, 1},
		{"redis_commands_failed_calls_total", []string{"cmd", "incr"}, 1},
		{"redis_errors_total", []string{"err", "ERR"}, errs},
		{"redis_db_keys", []string{"db", "db0"}, n},
		{"redis_db_keys_expiring", []string{"db", "db0"}, n},
		{"redis_aof_enabled", nil, 1},
		{"redis_instance_info", []string{"redis_version", "7.0.15", "role", "master"}, 1},
	} {
		if got, ok := sample(fams, c.name, c.labels...); !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if _, ok := sample(fams, "redis_latency_percentiles_usec", "cmd", "set"); !ok {
		t.Error("no latency percentiles for set (INFO latencystats)")
	}
	if _, ok := sample(fams, "redis_commands_duration_seconds_total", "cmd", "set"); !ok {
		t.Error("no commands duration for set")
	}

	// The same families as for Redis itself.
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("FASTCACHE_REQUIRE_REDIS") == "1" {
			t.Fatal("redis-server not found")
		}
		t.Skip("redis-server not installed: families not compared")
	}
	rport := freePort(t)
	rdir := t.TempDir()
	startTool(t, redisBin, "--port", strconv.Itoa(rport), "--bind", "127.0.0.1", "--dir", rdir,
		"--appendonly", "yes", "--save", "", "--daemonize", "no")
	raddr := fmt.Sprintf("127.0.0.1:%d", rport)
	rc := (&proc{t: t, port: rport}).client()
	deadline := time.Now().Add(10 * time.Second)
	for rc.Ping(ctx()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("redis-server does not answer PING")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := 0; i < n; i++ {
		rc.Set(ctx(), "k"+strconv.Itoa(i), "v", time.Hour)
	}
	rc.Get(ctx(), "k1")
	rc.Do(ctx(), "INCR", "k1")
	redisFams := exporterFamilies(t, bin, raddr)
	var missing []string
	for name := range redisFams {
		if _, ok := fams[name]; !ok {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("families redis_exporter reports for Redis but not for fastcache: %v", missing)
	}
}

// exporterFamilies runs the exporter against addr and scrapes it once it
// has connected (redis_up 1).
func exporterFamilies(t *testing.T, bin, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	eport := freePort(t)
	startTool(t, bin, "-redis.addr", "redis://"+addr, "-web.listen-address", "127.0.0.1:"+strconv.Itoa(eport))
	u := fmt.Sprintf("http://127.0.0.1:%d/metrics", eport)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(u); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			fams := scrapeMetrics(t, u)
			if v, ok := sample(fams, "redis_up"); ok && v == 1 {
				return fams
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the exporter on %s never reported redis_up 1 for %s", u, addr)
	return nil
}
