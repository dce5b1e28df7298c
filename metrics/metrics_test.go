package metrics

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"fastcache/internal/latency"
)

// fakeServer is a ServerSource with fixed figures.
type fakeServer struct{ cmds []Command }

func (f fakeServer) Commands() []Command { return f.cmds }
func (f fakeServer) Errors() (map[string]int64, int64) {
	return map[string]int64{"ERR": 3, "WRONGTYPE": 1}, 4
}
func (f fakeServer) Clients() Clients {
	return Clients{Connected: 2, ConnectionsReceived: 10, CommandsProcessed: 12}
}

func snapshotOf(ds ...time.Duration) *latency.Snapshot {
	var h latency.Histogram
	for _, d := range ds {
		h.Observe(d)
	}
	return h.Snapshot()
}

func fakeSources() Sources {
	return Sources{
		Version: "0.1.0", RedisVersion: "7.0.15",
		Server: fakeServer{cmds: []Command{
			{Name: "set", Calls: 5, Usec: 50, Latency: snapshotOf(time.Microsecond, 2*time.Microsecond, 3*time.Microsecond, 4*time.Microsecond, time.Millisecond)},
			{Name: "get", Calls: 2, Usec: 3, Failed: 1, Latency: snapshotOf(500*time.Nanosecond, 700*time.Nanosecond)},
			{Name: "client|list", Calls: 1, Usec: 9},
			{Name: "del"}, // never ran: left out
			{Name: "incr", Rejected: 1},
		}},
		Keyspace: KeyspaceFunc(func() Keyspace {
			return Keyspace{DBs: []DB{{Index: 0, Keys: 7, Expires: 2}}, Hits: 4, Misses: 1, UsedMemory: 1 << 20}
		}),
		WAL: WALFunc(func() (WAL, bool) {
			return WAL{Records: 5, Bytes: 400, RawBytes: 300, Frames: 3, Fsyncs: 2, FsyncTime: 3 * time.Millisecond,
				FsyncLatency: snapshotOf(time.Millisecond, 2*time.Millisecond), LastWriteOK: true, Segments: 1, Segment: 1,
				LastLSN: 5, DurableLSN: 5}, true
		}),
		Snapshots: SnapshotFunc(func() (Snapshots, bool) {
			return Snapshots{Saves: 1, TotalTime: 20 * time.Millisecond, TotalBytes: 1000, LastSize: 1000}, true
		}),
		Export: ExportFunc(func() []ExportClass {
			return []ExportClass{{Class: "export", SentFrames: 3}, {Class: "replica"}}
		}),
		Replication: ReplicationFunc(func() Replication {
			return Replication{Master: true, Offset: 400, Replicas: []Replica{{Addr: "127.0.0.1:7001", Offset: 300, LagBytes: 100, Lag: time.Second}}}
		}),
		Loading: LoadingFunc(func() Loading { return Loading{TotalBytes: 400, LoadedBytes: 400} }),
	}
}

// TestCollectorLint: every metric follows Prometheus's naming conventions
// (promlint: base units, _total on counters, no reserved suffixes misused).
func TestCollectorLint(t *testing.T) {
	problems, err := testutil.CollectAndLint(NewCollector(fakeSources()))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// scrape serves the registry over HTTP and parses the text exposition.
func scrape(t *testing.T, src Sources) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(Handler(NewRegistry(src)))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("exposition does not parse: %v", err)
	}
	return fams
}

// value finds the sample of family name whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) (*dto.Metric, bool) {
	t.Helper()
	f := fams[name]
	if f == nil {
		return nil, false
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		return m, true
	}
	return nil, false
}

func TestExpositionParses(t *testing.T) {
	fams := scrape(t, fakeSources())
	num := func(name string, labels map[string]string) float64 {
		t.Helper()
		m, ok := value(t, fams, name, labels)
		if !ok {
			t.Fatalf("%s%v missing", name, labels)
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Untyped != nil:
			return m.Untyped.GetValue()
		}
		t.Fatalf("%s is not a number", name)
		return 0
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"fastcache_commands_total", map[string]string{"cmd": "set"}, 5},
		{"fastcache_commands_total", map[string]string{"cmd": "client|list"}, 1},
		{"fastcache_commands_failed_calls_total", map[string]string{"cmd": "get"}, 1},
		{"fastcache_commands_rejected_calls_total", map[string]string{"cmd": "incr"}, 1},
		{"fastcache_commands_duration_seconds_total", map[string]string{"cmd": "set"}, 50e-6},
		{"fastcache_commands_processed_total", nil, 12},
		{"fastcache_errors_total", map[string]string{"prefix": "WRONGTYPE"}, 1},
		{"fastcache_error_replies_total", nil, 4},
		{"fastcache_connected_clients", nil, 2},
		{"fastcache_keys", map[string]string{"db": "0"}, 7},
		{"fastcache_keys_expiring", map[string]string{"db": "0"}, 2},
		{"fastcache_memory_used_bytes", nil, 1 << 20},
		{"fastcache_wal_records_total", nil, 5},
		{"fastcache_wal_appended_bytes_total", nil, 400},
		{"fastcache_wal_fsyncs_total", nil, 2},
		{"fastcache_wal_last_write_ok", nil, 1},
		{"fastcache_snapshots_total", nil, 1},
		{"fastcache_snapshot_written_bytes_total", nil, 1000},
		{"fastcache_export_sent_frames_total", map[string]string{"class": "export"}, 3},
		{"fastcache_replication_role", map[string]string{"role": "master"}, 1},
		{"fastcache_replication_role", map[string]string{"role": "replica"}, 0},
		{"fastcache_replication_replica_lag_bytes", map[string]string{"replica": "127.0.0.1:7001"}, 100},
		{"fastcache_loading", nil, 0},
		{"fastcache_build_info", map[string]string{"version": "0.1.0", "redis_version": "7.0.15"}, 1},
	} {
		if got := num(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if _, ok := value(t, fams, "fastcache_commands_total", map[string]string{"cmd": "del"}); ok {
		t.Error("a command that never ran is exposed")
	}
	// The per-command histogram: cumulative buckets in seconds, its count.
	m, ok := value(t, fams, "fastcache_command_duration_seconds", map[string]string{"cmd": "set"})
	if !ok || m.Histogram == nil {
		t.Fatal("fastcache_command_duration_seconds{cmd=set} missing")
	}
	if m.Histogram.GetSampleCount() != 5 {
		t.Errorf("set histogram count %d", m.Histogram.GetSampleCount())
	}
	var below4us, prev uint64
	for _, b := range m.Histogram.Bucket {
		if b.GetCumulativeCount() < prev {
			t.Fatalf("buckets not cumulative")
		}
		prev = b.GetCumulativeCount()
		if b.GetUpperBound() == 4.096e-06 {
			below4us = b.GetCumulativeCount()
		}
	}
	if below4us != 4 { // 1, 2, 3 and 4 us are under 4.096 us; 1 ms is not
		t.Errorf("bucket le=4.096e-06: %d", below4us)
	}
	if s := m.Histogram.GetSampleSum(); s < 0.00095 || s > 0.00115 {
		t.Errorf("set histogram sum %v", s)
	}
	if _, ok := value(t, fams, "fastcache_wal_fsync_duration_seconds", nil); !ok {
		t.Error("fsync histogram missing")
	}
	// The Go runtime and process collectors are there.
	for _, n := range []string{"go_goroutines", "go_memstats_heap_inuse_bytes", "process_resident_memory_bytes", "process_cpu_seconds_total"} {
		if fams[n] == nil {
			t.Errorf("%s missing", n)
		}
	}
}

// TestOptionalSources: a collector with no source (or a WAL not there yet)
// still serves a valid exposition.
func TestOptionalSources(t *testing.T) {
	fams := scrape(t, Sources{WAL: WALFunc(func() (WAL, bool) { return WAL{}, false })})
	if fams["fastcache_build_info"] == nil {
		t.Error("build_info missing")
	}
	if fams["fastcache_wal_records_total"] != nil {
		t.Error("WAL metrics without a WAL")
	}
}

func TestHandlerPaths(t *testing.T) {
	srv := httptest.NewServer(Handler(NewRegistry(Sources{})))
	defer srv.Close()
	for path, code := range map[string]int{"/": 200, "/metrics": 200, "/nope": 404} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, code)
		}
	}
	resp, err := http.Post(srv.URL+"/metrics", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %d", resp.StatusCode)
	}
}

func TestListenAddr(t *testing.T) {
	for in, want := range map[string]string{
		"9121": "127.0.0.1:9121", ":9121": "127.0.0.1:9121", "0.0.0.0:9121": "0.0.0.0:9121", "[::1]:9121": "[::1]:9121",
	} {
		if got := ListenAddr(in); got != want {
			t.Errorf("ListenAddr(%q) = %q, want %q", in, got, want)
		}
	}
	s, err := Listen("0", NewRegistry(Sources{}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.Addr().String(), "127.0.0.1:") {
		t.Errorf("bound %s", s.Addr())
	}
	resp, err := http.Get("http://" + s.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
}

// TestGrafanaDashboard: the dashboard in the repository is valid JSON and
// every fastcache metric its queries use exists.
func TestGrafanaDashboard(t *testing.T) {
	data, err := os.ReadFile("grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	known := map[string]bool{}
	ch := make(chan *prometheus.Desc, 200)
	NewCollector(Sources{}).Describe(ch)
	close(ch)
	name := regexp.MustCompile(`fqName: "([a-z_]+)"`)
	for d := range ch {
		if m := name.FindStringSubmatch(d.String()); m != nil {
			known[m[1]] = true
		}
	}
	ref := regexp.MustCompile(`fastcache_[a-z_]+`)
	n := 0
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, m := range ref.FindAllString(tg.Expr, -1) {
				n++
				base := m
				for _, suf := range []string{"_bucket", "_count", "_sum"} {
					if b := strings.TrimSuffix(m, suf); b != m && known[b] {
						base = b
					}
				}
				if !known[base] {
					t.Errorf("panel %q uses %s, which the collector does not export", p.Title, m)
				}
			}
		}
	}
	if len(dash.Panels) < 8 || n < 10 {
		t.Errorf("%d panels, %d metric references", len(dash.Panels), n)
	}
}
