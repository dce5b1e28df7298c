package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"fastcache/cache"
	"fastcache/config"
	"fastcache/metrics"
	"fastcache/server"
)

// scrapeMetrics GETs url and parses the text exposition.
func scrapeMetrics(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	return fams
}

// sample is the value of the sample of family name whose labels include
// want (ok=false if none).
func sample(fams map[string]*dto.MetricFamily, name string, want ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if have[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Summary != nil:
			return float64(m.Summary.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// callArgs is a call of cmd ("get" or "client|list") that the dispatcher
// counts without doing anything lasting: one argument too many or too few
// for its arity where the arity allows (rejected), else the bare name.
func callArgs(name string, arity int) []string {
	words := strings.Split(strings.ToUpper(name), "|")
	fixed := len(words)
	switch {
	case arity > 0:
		for len(words) < arity+1 {
			words = append(words, "x")
		}
	case -arity-1 >= fixed:
		for len(words) < -arity-1 {
			words = append(words, "x")
		}
	}
	return words
}

// TestMetricsEveryCommand: every command and subcommand of the table shows
// up on /metrics once it was called, without a list to maintain: the
// collector iterates the table.
func TestMetricsEveryCommand(t *testing.T) {
	cfg, err := config.Load([]string{"--port", "0", "--bind", "127.0.0.1", "--appendonly", "no"})
	if err != nil {
		t.Fatal(err)
	}
	c := cache.New(cache.Options{Shards: 4})
	c.Start(10)
	srv := server.New(server.Options{Config: cfg, Cache: c, Log: zerolog.New(io.Discard)})
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close(); c.Close() })
	addr := srv.Addrs()[0].String()

	// COMMAND INFO of every command gives the table with arities.
	all := srv.CommandStats()
	if len(all) < 50 {
		t.Fatalf("only %d commands in the table", len(all))
	}
	arity := commandArities(t, addr)
	for _, st := range all {
		a, ok := arity[st.Name]
		if !ok {
			t.Fatalf("COMMAND INFO does not know %s", st.Name)
		}
		args := callArgs(st.Name, a)
		conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(conn, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(conn, "$%d\r\n%s\r\n", len(a), a)
		}
		// One byte of the reply: the command ran (and was counted) before
		// its reply was flushed.
		if _, err := bufio.NewReader(conn).ReadByte(); err != nil && st.Name != "quit" {
			t.Errorf("%q: no reply: %v", args, err)
		}
		conn.Close()
	}
	reg := metrics.NewRegistry(metrics.Sources{Server: serverSource{srv}})
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range fams {
		if f.GetName() != "fastcache_commands_total" {
			continue
		}
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == "cmd" {
					seen[l.GetValue()] = true
				}
			}
		}
	}
	for _, st := range all {
		if !seen[st.Name] {
			t.Errorf("%s was called but is not on /metrics", st.Name)
		}
	}
}

// commandArities reads every command's and subcommand's arity from
// COMMAND INFO (the table as clients see it).
func commandArities(t *testing.T, addr string) map[string]int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(conn, "*1\r\n$7\r\nCOMMAND\r\n")
	br := bufio.NewReader(conn)
	v, err := readValue(br)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	var walk func(info []any)
	walk = func(info []any) {
		name, _ := info[0].(string)
		ar, _ := info[1].(int64)
		out[name] = int(ar)
		if len(info) > 9 {
			if subs, ok := info[9].([]any); ok {
				for _, s := range subs {
					walk(s.([]any))
				}
			}
		}
	}
	for _, e := range v.([]any) {
		walk(e.([]any))
	}
	return out
}

// readValue reads one RESP2 reply as string, int64, []any or nil.
func readValue(br *bufio.Reader) (any, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	switch line[0] {
	case '+', '-':
		return line[1:], nil
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		out := make([]any, 0, max(n, 0))
		for i := 0; i < n; i++ {
			v, err := readValue(br)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected %q", line)
}

// TestMetricsEndpoint: the real server with metrics-listen; what the test's
// writes did is what /metrics reports.
func TestMetricsEndpoint(t *testing.T) {
	mport := freePort(t)
	p := startReady(t, t.TempDir(), "--metrics-listen", strconv.Itoa(mport), "--appendfsync", "always")
	rdb := p.client()
	db3 := redis.NewClient(&redis.Options{Addr: p.addr(), DB: 3})
	defer db3.Close()
	if err := db3.Set(ctx(), "in-db3", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	rdb.Do(ctx(), "CONFIG", "RESETSTAT")
	const n = 50
	for i := 0; i < n; i++ {
		if err := rdb.Set(ctx(), "key:"+strconv.Itoa(i), "value", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	rdb.Do(ctx(), "EXPIRE", "key:1", "1000")
	rdb.Get(ctx(), "key:1")
	rdb.Do(ctx(), "INCR", "key:2") // ERR value is not an integer
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", mport)
	fams := scrapeMetrics(t, url)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"fastcache_commands_total", []string{"cmd", "set"}, n},
		{"fastcache_commands_total", []string{"cmd", "get"}, 1},
		{"fastcache_command_duration_seconds", []string{"cmd", "set"}, n}, // the histogram's count
		{"fastcache_commands_failed_calls_total", []string{"cmd", "incr"}, 1},
		{"fastcache_errors_total", []string{"prefix", "ERR"}, 1},
		{"fastcache_keys", []string{"db", "0"}, n},
		{"fastcache_keys_expiring", []string{"db", "0"}, 1},
		{"fastcache_keys", []string{"db", "3"}, 1},
		{"fastcache_keys", []string{"db", "1"}, 0},
		{"fastcache_loading", nil, 0},
		{"fastcache_replication_role", []string{"role", "master"}, 1},
	} {
		if got, ok := sample(fams, c.name, c.labels...); !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	// appendfsync always: every acknowledged SET is in the WAL already.
	for _, c := range []struct {
		name string
		min  float64
	}{
		{"fastcache_wal_records_total", n + 1}, {"fastcache_wal_appended_bytes_total", n * 10},
		{"fastcache_wal_frames_total", 1}, {"fastcache_wal_fsyncs_total", 1}, {"fastcache_wal_fsync_duration_seconds", 1},
		{"fastcache_connected_clients", 1}, {"fastcache_memory_used_bytes", 1}, {"process_resident_memory_bytes", 1 << 20},
		{"go_goroutines", 1},
	} {
		if got, ok := sample(fams, c.name); !ok || got < c.min {
			t.Errorf("%s = %v (present %v), want at least %v", c.name, got, ok, c.min)
		}
	}
	if got, _ := sample(fams, "fastcache_wal_last_write_ok"); got != 1 {
		t.Errorf("wal_last_write_ok %v", got)
	}
	// A snapshot shows up in the snapshot families.
	if err := rdb.Do(ctx(), "SAVE").Err(); err != nil {
		t.Fatal(err)
	}
	fams = scrapeMetrics(t, url)
	if got, _ := sample(fams, "fastcache_snapshots_total"); got != 1 {
		t.Errorf("snapshots_total %v", got)
	}
	if got, _ := sample(fams, "fastcache_snapshot_written_bytes_total"); got <= 0 {
		t.Errorf("snapshot_written_bytes_total %v", got)
	}
	if !contains(p.out.String(), "Prometheus metrics endpoint listening") {
		t.Errorf("no log line for the endpoint:\n%s", p.out.String())
	}
}

// TestMetricsOffByDefault: without metrics-listen nothing listens for it.
func TestMetricsOffByDefault(t *testing.T) {
	p := startReady(t, t.TempDir())
	if contains(p.out.String(), "metrics endpoint") {
		t.Errorf("an endpoint was started:\n%s", p.out.String())
	}
	if v := infoField(t, p.client(), "server", "redis_version"); v == "" {
		t.Fatal("server not answering")
	}
}

// TestLogTimeAndDurations: both log formats carry millisecond timestamps,
// and every duration its unit.
func TestLogTimeAndDurations(t *testing.T) {
	p := startReady(t, t.TempDir()) // json (the harness's default)
	p.client().Set(ctx(), "a", "b", 0)
	p.stop()
	out := p.out.String()
	lines := 0
	durations := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		lines++
		ts, _ := ev["time"].(string)
		if _, err := time.Parse("2006-01-02T15:04:05.000Z07:00", ts); err != nil {
			t.Errorf("time %q has no milliseconds: %v", ts, err)
		}
		for k, v := range ev {
			if k == "took" || strings.HasSuffix(k, "_in") {
				durations++
				s, ok := v.(string)
				if !ok {
					t.Errorf("%s=%v has no unit", k, v)
					continue
				}
				if _, err := time.ParseDuration(s); err != nil {
					t.Errorf("%s=%q is not a duration: %v", k, s, err)
				}
			}
		}
	}
	if lines < 4 || durations < 2 {
		t.Errorf("%d lines, %d durations:\n%s", lines, durations, out)
	}

	// Console format to a log file: "2026-01-02 15:04:05.123 INF ... took=1.2ms".
	dir := t.TempDir()
	logf := filepath.Join(dir, "fastcache.log")
	p = startReady(t, dir, "--logformat", "console", "--logfile", logf)
	p.stop()
	data, err := os.ReadFile(logf)
	if err != nil {
		t.Fatal(err)
	}
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} `)
	took := regexp.MustCompile(`took=([^ ]+)`)
	tookSeen := false
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if !stamp.MatchString(line) {
			t.Errorf("console line without a millisecond timestamp: %q", line)
		}
		if m := took.FindStringSubmatch(line); m != nil {
			tookSeen = true
			if _, err := time.ParseDuration(m[1]); err != nil {
				t.Errorf("took=%s is not a duration with its unit", m[1])
			}
		}
	}
	if !tookSeen {
		t.Errorf("no took= in the console log:\n%s", data)
	}
}
