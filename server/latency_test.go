package server

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"fastcache/internal/latency"
)

func infoField(t *testing.T, rc *rawConn, section, field string) string {
	t.Helper()
	v := rc.val("INFO", section)
	for _, line := range strings.Split(v.str, "\r\n") {
		if k, val, ok := strings.Cut(line, ":"); ok && k == field {
			return val
		}
	}
	return ""
}

func TestLatencyHistogramAndLatencystats(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	rc.do("CONFIG", "RESETSTAT")
	for i := 0; i < 100; i++ {
		rc.do("SET", "k"+strconv.Itoa(i), "v")
	}
	rc.do("GET", "k1")
	rc.do("CONFIG", "GET", "maxmemory")

	// LATENCY HISTOGRAM SET: {set: {calls: 100, histogram_usec: {...}}}
	v := rc.val("LATENCY", "HISTOGRAM", "set", "nosuch")
	if len(v.elems) != 2 || v.elems[0].str != "set" {
		t.Fatalf("histogram: %+v", v)
	}
	m := v.elems[1]
	if len(m.elems) != 4 || m.elems[0].str != "calls" || m.elems[1].n != 100 || m.elems[2].str != "histogram_usec" {
		t.Fatalf("histogram of set: %+v", m)
	}
	h := m.elems[3].elems
	if len(h) == 0 || len(h)%2 != 0 || h[len(h)-1].n != 100 {
		t.Fatalf("histogram_usec must end at the total: %+v", h)
	}
	for i := 2; i < len(h); i += 2 {
		if h[i].n <= h[i-2].n || h[i+1].n <= h[i-1].n {
			t.Fatalf("histogram_usec must increase: %+v", h)
		}
	}
	// A container brings its subcommands; no argument lists all that ran.
	if v := rc.val("LATENCY", "HISTOGRAM", "config"); len(v.elems) != 4 || v.elems[0].str != "config|get" || v.elems[2].str != "config|resetstat" {
		t.Errorf("LATENCY HISTOGRAM config: %+v", v)
	}
	all := rc.val("LATENCY", "HISTOGRAM")
	names := map[string]bool{}
	for i := 0; i < len(all.elems); i += 2 {
		names[all.elems[i].str] = true
	}
	for _, n := range []string{"set", "get", "config|get", "latency|histogram"} {
		if !names[n] {
			t.Errorf("LATENCY HISTOGRAM lacks %s: %v", n, names)
		}
	}
	// RESP3: maps.
	rc.do("HELLO", "3")
	if raw := rc.do("LATENCY", "HISTOGRAM", "get"); !strings.HasPrefix(raw, "%1\r\n$3\r\nget\r\n%2\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n%") {
		t.Errorf("RESP3 histogram: %q", raw)
	}
	rc.do("HELLO", "2")

	line := infoField(t, rc, "latencystats", "latency_percentiles_usec_set")
	if !regexp.MustCompile(`^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$`).MatchString(line) {
		t.Errorf("latencystats set: %q", line)
	}
	rc.do("CONFIG", "SET", "latency-tracking-info-percentiles", "25 100")
	if line := infoField(t, rc, "latencystats", "latency_percentiles_usec_get"); !regexp.MustCompile(`^p25=\d+\.\d{3},p100=\d+\.\d{3}$`).MatchString(line) {
		t.Errorf("latencystats with 25 100: %q", line)
	}
	// latency-tracking no: the histograms stop growing (and stay shown).
	rc.do("CONFIG", "SET", "latency-tracking", "no")
	rc.do("GET", "k2")
	if v := rc.val("LATENCY", "HISTOGRAM", "get"); v.elems[1].elems[1].n != 1 {
		t.Errorf("tracking off still counts: %+v", v)
	}
	rc.do("CONFIG", "SET", "latency-tracking", "yes")
	// CONFIG RESETSTAT drops them.
	rc.do("CONFIG", "RESETSTAT")
	if v := rc.val("LATENCY", "HISTOGRAM", "set"); len(v.elems) != 0 {
		t.Errorf("after RESETSTAT: %+v", v)
	}
}

func TestLatencyMonitorCommands(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	if got := rc.do("LATENCY", "LATEST"); got != "*0\r\n" {
		t.Errorf("LATEST empty: %q", got)
	}
	if got := rc.val("LATENCY", "DOCTOR").str; !strings.HasPrefix(got, "I'm sorry, Dave, I can't do that.") {
		t.Errorf("DOCTOR while disabled: %q", got)
	}
	rc.do("CONFIG", "SET", "latency-monitor-threshold", "100")
	// (or, as Redis, only the advice about transparent huge pages when the
	// process, here the test binary, has some: the machine's setting)
	if got := rc.val("LATENCY", "DOCTOR").str; !strings.HasPrefix(got, "Dave, no latency spike was observed") &&
		!(strings.Contains(got, "anonymous huge pages") && !strings.Contains(got, "spike")) {
		t.Errorf("DOCTOR without spikes: %q", got)
	}
	mon := ts.srv.LatencyMonitor()
	if mon.Threshold() != 100 {
		t.Fatalf("threshold %d", mon.Threshold())
	}
	mon.Add(latency.EventCommand, 250)
	mon.Add(latency.EventFsync, 120)
	v := rc.val("LATENCY", "LATEST")
	if len(v.elems) != 2 || v.elems[0].elems[0].str != "command" || v.elems[0].elems[2].n != 250 || v.elems[0].elems[3].n != 250 ||
		v.elems[1].elems[0].str != "wal-fsync" {
		t.Errorf("LATEST: %+v", v)
	}
	h := rc.val("LATENCY", "HISTORY", "command")
	if len(h.elems) != 1 || h.elems[0].elems[1].n != 250 {
		t.Errorf("HISTORY: %+v", h)
	}
	if g := rc.val("LATENCY", "GRAPH", "command").str; !strings.HasPrefix(g, "command - high 250 ms, low 250 ms (all time high 250 ms)\n"+strings.Repeat("-", 80)+"\n") {
		t.Errorf("GRAPH: %q", g)
	}
	doc := rc.val("LATENCY", "DOCTOR").str
	for _, want := range []string{"Dave, I have observed latency spikes", "1. command: 1 latency spikes (average 250ms, mean deviation 0ms, period ",
		"2. wal-fsync: 1 latency spikes", "I have a few advices for you:", "Check your Slow Log"} {
		if !strings.Contains(doc, want) {
			t.Errorf("DOCTOR lacks %q:\n%s", want, doc)
		}
	}
	if got := rc.do("LATENCY", "RESET", "COMMAND", "nosuch"); got != ":1\r\n" {
		t.Errorf("RESET command: %q", got)
	}
	if got := rc.do("LATENCY", "RESET"); got != ":1\r\n" {
		t.Errorf("RESET: %q", got)
	}
	if got := rc.do("LATENCY", "HISTORY", "command"); got != "*0\r\n" {
		t.Errorf("HISTORY after RESET: %q", got)
	}
}

func TestErrorStatsPrefixes(t *testing.T) {
	var e errorStats
	e.note("NOAUTH Authentication required.")
	e.note(strings.Repeat("X", 40) + " too long to be a prefix")
	e.note("ERR")
	e.note("WRONGTYPE Operation against a key holding the wrong kind of value")
	e.note("ERR unknown command")
	m := e.snapshot()
	if m["NOAUTH"] != 1 || m["ERR"] != 3 || m["WRONGTYPE"] != 1 || e.total.Load() != 5 {
		t.Fatalf("%v total %d", m, e.total.Load())
	}
	// At most 128 prefixes; one more leaves only ERRORSTATS_DISABLED until
	// a reset, while the total goes on.
	for i := 0; i < 200; i++ {
		e.note("P" + strconv.Itoa(i) + " x")
	}
	m = e.snapshot()
	if len(m) != 1 || m["ERRORSTATS_DISABLED"] != 1 || e.total.Load() != 205 {
		t.Fatalf("after the flood: %v total %d", m, e.total.Load())
	}
	e.reset()
	e.note("ERR x")
	if m := e.snapshot(); len(m) != 1 || m["ERR"] != 1 {
		t.Fatalf("after reset: %v", m)
	}
}

func TestErrorstatsAndTotalErrorReplies(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	rc.do("CONFIG", "RESETSTAT")
	rc.do("NOSUCH")         // unknown: ERR, no command's stats
	rc.do("GET")            // arity: rejected
	rc.do("SET", "s", "x")  //
	rc.do("INCR", "s")      // ran and failed
	rc.do("CONFIG", "nope") // unknown subcommand
	rc.do("MULTI")
	rc.do("GET") // rejected inside MULTI
	rc.do("EXEC")
	stats := rc.val("INFO", "errorstats").str
	if stats != "# Errorstats\r\nerrorstat_ERR:count=5\r\nerrorstat_EXECABORT:count=1\r\n" {
		t.Errorf("errorstats: %q", stats)
	}
	if n := infoField(t, rc, "stats", "total_error_replies"); n != "6" {
		t.Errorf("total_error_replies %s", n)
	}
	if line := infoField(t, rc, "commandstats", "cmdstat_get"); !strings.HasSuffix(line, "rejected_calls=2,failed_calls=0") {
		t.Errorf("cmdstat_get: %q", line)
	}
	if line := infoField(t, rc, "commandstats", "cmdstat_incr"); !strings.HasSuffix(line, "rejected_calls=0,failed_calls=1") {
		t.Errorf("cmdstat_incr: %q", line)
	}
}

// TestRedisDiffLatency: the LATENCY replies and INFO errorstats that do not
// depend on timing are Redis's, byte for byte.
func TestRedisDiffLatency(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	steps := [][]string{
		{"CONFIG", "RESETSTAT"},
		{"LATENCY", "HELP"},
		{"LATENCY", "LATEST"},
		{"LATENCY", "DOCTOR"},
		{"LATENCY", "HISTORY", "command"},
		{"LATENCY", "HISTORY"},
		{"LATENCY", "GRAPH", "command"},
		{"LATENCY", "RESET"},
		{"LATENCY", "RESET", "a", "b"},
		{"LATENCY", "HISTOGRAM", "nosuch"},
		{"LATENCY", "NOPE"},
		{"LATENCY"},
		{"CONFIG", "GET", "latency-tracking"},
		{"CONFIG", "GET", "latency-tracking-info-percentiles"},
		{"CONFIG", "GET", "latency-monitor-threshold"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", "50 abc"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", "101"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", "50.5 99.99 0 100"},
		{"CONFIG", "GET", "latency-tracking-info-percentiles"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", "nan"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", " 1"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", "1  2"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", "1e-400"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", "1e400"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", "1_0"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", "inf"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", "-0 1e-300"},
		{"CONFIG", "GET", "latency-tracking-info-percentiles"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", "0x10 +5 .5 5."},
		{"CONFIG", "GET", "latency-tracking-info-percentiles"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", ""},
		{"CONFIG", "GET", "latency-tracking-info-percentiles"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9"},
		{"CONFIG", "SET", "latency-monitor-threshold", "-1"},
		{"CONFIG", "SET", "latency-tracking", "maybe"},
		{"NOSUCH"},
		{"GET"},
		{"SET", "s", "x"},
		{"INCR", "s"},
		{"MULTI"},
		{"GET"},
		{"EXEC"},
		{"AUTH", "x"},
		{"INFO", "errorstats"},
	}
	for _, args := range steps {
		var replies [2]string
		for i, addr := range []string{redisAddr, fc.addr} {
			dc := diffDial(t, addr)
			r, err := dc.do(args)
			if err != nil {
				t.Fatalf("%q: %v", args, err)
			}
			replies[i] = r
		}
		if replies[0] != replies[1] {
			t.Errorf("%q:\n  redis:     %q\n  fastcache: %q", args, replies[0], replies[1])
		}
	}
}

// BenchmarkDispatchLatencyTracking: what latency-tracking adds to a
// command (its histogram's bucket index and one atomic add), GET and SET
// with tracking on and off.
func BenchmarkDispatchLatencyTracking(b *testing.B) {
	for _, bc := range []struct {
		name string
		args [][]byte
	}{
		{"GET", [][]byte{[]byte("GET"), []byte("key:000000000001")}},
		{"SET", [][]byte{[]byte("SET"), []byte("key:000000000001"), []byte("value-of-thirty-two-bytes-000001")}},
	} {
		for _, on := range []bool{false, true} {
			b.Run(bc.name+"/tracking="+strconv.FormatBool(on), func(b *testing.B) {
				c := benchClient(b)
				c.srv.tracking.Store(on)
				c.exec([][]byte{[]byte("SET"), []byte("key:000000000001"), []byte("x")})
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					c.exec(bc.args)
					c.reply.Reset()
				}
			})
		}
	}
}

// BenchmarkRecord: what a command's bookkeeping costs, with and without
// its latency histogram (the only difference latency-tracking makes).
func BenchmarkRecord(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run("tracking="+strconv.FormatBool(on), func(b *testing.B) {
			cmd := &Command{Name: "bench"}
			for i := 0; i < b.N; i++ {
				cmd.record(time.Duration(300+i&1023), on)
			}
		})
	}
}
