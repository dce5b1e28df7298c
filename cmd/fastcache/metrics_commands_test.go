package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetricsCoverEveryCommand: every command and subcommand the server
// lists in COMMAND appears in /metrics once a client has called it (as
// fastcache_commands_total when it ran, or with rejected or failed calls
// when its arguments were refused), so a command added to the table is
// covered without a line here. Each is called once with no arguments on a
// connection of its own (the commands that would end the test are left
// out).
func TestMetricsCoverEveryCommand(t *testing.T) {
	mport := freePort(t)
	p := startReady(t, t.TempDir(), "--metrics-listen", strconv.Itoa(mport))
	rdb := p.client()
	infos, err := rdb.Do(ctx(), "COMMAND").Slice()
	if err != nil {
		t.Fatal(err)
	}
	skip := map[string]bool{
		"shutdown": true, "monitor": true, "sync": true, "psync": true, "quit": true, "reset": true,
		"subscribe": true, "psubscribe": true, "ssubscribe": true, "debug": true, "failover": true,
		"replicaof": true, "slaveof": true, "client|kill": true, "client|pause": true, "multi": true,
		"config|resetstat": true, // resets the counters this test reads
	}
	var called []string
	for _, info := range infos {
		fields := info.([]any)
		name := fields[0].(string)
		var calls [][]any
		if subs, _ := fields[len(fields)-1].([]any); len(subs) > 0 && len(fields) >= 10 {
			for _, s := range subs {
				full := s.([]any)[0].(string) // "parent|sub"
				parent, sub, _ := strings.Cut(full, "|")
				if !skip[full] {
					calls = append(calls, []any{parent, sub})
					called = append(called, full)
				}
			}
		} else if !skip[name] {
			calls = append(calls, []any{name})
			called = append(called, name)
		}
		for _, args := range calls {
			c := p.client()
			c.Do(ctx(), args...) // any reply: an error is counted too
			c.Close()
		}
	}
	if len(called) < 200 {
		t.Fatalf("only %d commands listed", len(called))
	}

	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(mport) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("exposition does not parse: %v", err)
	}
	seen := map[string]float64{}
	for _, fam := range []string{"fastcache_commands_total", "fastcache_commands_rejected_calls_total", "fastcache_commands_failed_calls_total"} {
		f := fams[fam]
		if f == nil {
			t.Fatalf("%s missing", fam)
		}
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == "cmd" {
					seen[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	var missing []string
	for _, n := range called {
		if seen[n] < 1 {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d called commands not in /metrics: %v", len(missing), len(called), missing)
	}
	if seen["ping"] < 1 || fams["fastcache_command_duration_seconds"] == nil {
		t.Fatalf("ping %v, duration histogram %v", seen["ping"], fams["fastcache_command_duration_seconds"] != nil)
	}
}
