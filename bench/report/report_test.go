package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
		ok   bool
	}{
		{nil, 0, false},
		{[]float64{7}, 7, true},
		{[]float64{3, 1, 2}, 2, true},
		{[]float64{4, 1, 3, 2}, 2.5, true},
		{[]float64{10, 1000, 20}, 20, true}, // an outlier round does not move it
	} {
		got, ok := Median(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("Median(%v) = %v,%v want %v,%v", c.in, got, ok, c.want, c.ok)
		}
	}
	xs := []float64{3, 1, 2}
	Median(xs)
	if xs[0] != 3 || xs[1] != 1 {
		t.Error("Median reordered its input")
	}
}

func TestRatio(t *testing.T) {
	if r, ok := Ratio(150, 100, true); !ok || r != 1.5 {
		t.Errorf("Ratio(150,100) = %v,%v", r, ok)
	}
	if _, ok := Ratio(1, 0, true); ok {
		t.Error("ratio over 0 should be missing")
	}
	if _, ok := Ratio(1, 2, false); ok {
		t.Error("ratio of missing data should be missing")
	}
}

const sampleCSV = `server,setting,round,tool,test,clients,pipeline,requests,errors,seconds,rps,avg_ms,p50_ms,p99_ms,p999_ms,max_ms
redis,none,1,loadgen,set,50,1,1000,0,1,100,0.5,0.4,1.0,2.0,3
fastcache,none,1,loadgen,set,50,1,1000,0,1,150,0.5,0.3,0.8,1.0,3
redis,none,2,loadgen,set,50,1,1000,0,1,120,0.5,0.5,1.2,4.0,3
fastcache,none,2,loadgen,set,50,1,1000,0,1,90,0.5,0.3,0.9,3.0,3
redis,none,3,loadgen,set,50,1,1000,0,1,110,0.5,0.6,1.1,3.0,3
fastcache,none,3,loadgen,set,50,1,400,2,1,330,0.5,0.2,0.7,1.5,3
redis,none,1,redis-benchmark,set,50,1,1000,,,200,0.5,0.4,1.0,,3
fastcache,none,1,redis-benchmark,set,50,1,1000,,,100,0.5,0.4,1.0,,3
redis,always,1,loadgen,get,1000,16,1000,0,1,50,0.5,0.4,1.0,2.0,3
`

func TestSummarizeMediansAndRatios(t *testing.T) {
	samples, order, err := ReadSamples(strings.NewReader(sampleCSV))
	if err != nil {
		t.Fatal(err)
	}
	rows := Summarize(samples, order)
	if len(rows) != 3 {
		t.Fatalf("got %d rows, want 3", len(rows))
	}
	r := rows[0]
	if r.Key != (Key{"none", "loadgen", "set", 50, 1}) {
		t.Fatalf("first key %+v", r.Key)
	}
	// fastcache rps 150, 90, 330 -> 150; redis 100, 120, 110 -> 110.
	if r.FC.RPS != 150 || r.Redis.RPS != 110 || r.FC.N != 3 || r.Redis.N != 3 {
		t.Errorf("medians fc=%v redis=%v", r.FC.RPS, r.Redis.RPS)
	}
	if got, ok := r.RPSRatio(); !ok || math.Abs(got-150.0/110) > 1e-12 {
		t.Errorf("rps ratio %v", got)
	}
	// p99.9 fastcache 1.0,3.0,1.5 -> 1.5; redis 2,4,3 -> 3: ratio 0.5.
	if got, ok := r.P999Ratio(); !ok || got != 0.5 {
		t.Errorf("p99.9 ratio %v,%v", got, ok)
	}
	if r.FC.Errors != 2 || r.FC.MinRequests != 400 {
		t.Errorf("errors %d minRequests %d", r.FC.Errors, r.FC.MinRequests)
	}
	if m := marks(r, 1000); m != " † ‡" {
		t.Errorf("marks %q", m)
	}
	// redis-benchmark rows have no p99.9, so no p99.9 ratio.
	rb := rows[1]
	if got, ok := rb.RPSRatio(); !ok || got != 0.5 {
		t.Errorf("rb ratio %v", got)
	}
	if _, ok := rb.P999Ratio(); ok {
		t.Error("redis-benchmark row should have no p99.9 ratio")
	}
	// Only redis ran this load: no ratio.
	if _, ok := rows[2].RPSRatio(); ok {
		t.Error("a row without fastcache samples should have no ratio")
	}
	if s := Settings(rows); len(s) != 2 || s[0] != "none" || s[1] != "always" {
		t.Errorf("settings %v", s)
	}

	var md, svg bytes.Buffer
	if err := WriteMarkdown(&md, rows, "# preamble", "chart.svg", 1000); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# preamble", "| set -P1 † ‡ | 150 | 110 | **1.36** | 0.300 / 0.500 | 0.800 / 1.100 | 1.500 / 3.000 | 0.50 | 0.50 |", "get -c1000 -P16", "![fastcache / redis-server ratios](chart.svg)"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	if err := WriteSVG(&svg, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(svg.String(), "<svg") || !strings.Contains(svg.String(), "stroke-dasharray") || !strings.HasSuffix(svg.String(), "</svg>\n") {
		t.Error("svg lacks its frame or parity line")
	}
}

// With a second redis session per round (CONTROL=1) every table gains the
// A/A column, redis-aa / redis; without one the tables keep their shape.
func TestControlColumn(t *testing.T) {
	csv := sampleCSV + `redis-aa,none,1,loadgen,set,50,1,1000,0,1,99,0.5,0.4,1.0,2.0,3
redis-aa,none,2,loadgen,set,50,1,1000,0,1,121,0.5,0.4,1.0,2.0,3
redis-aa,none,3,loadgen,set,50,1,1000,0,1,88,0.5,0.4,1.0,2.0,3
redis-aa,none,1,redis-benchmark,set,50,1,1000,,,190,0.5,0.4,1.0,,3
`
	samples, order, err := ReadSamples(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	rows := Summarize(samples, order)
	// redis-aa 99, 121, 88 -> 99 over redis's median 110.
	if got, ok := rows[0].ControlRatio(); !ok || math.Abs(got-0.9) > 1e-12 {
		t.Errorf("control ratio %v,%v, want 0.9", got, ok)
	}
	// The control does not change the fastcache / redis ratio.
	if got, _ := rows[0].RPSRatio(); math.Abs(got-150.0/110) > 1e-12 {
		t.Errorf("rps ratio %v", got)
	}
	if _, ok := rows[2].ControlRatio(); ok {
		t.Error("a row without a control session has no A/A ratio")
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, rows, "", "", 1000); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| redis-benchmark rps ratio | A/A redis / redis |",
		"| 0.50 | 0.50 | 0.90 |", // loadgen set -P1: p99.9 ratio, rb ratio, A/A
		"| none | set -P1 | 100 | 200 | **0.50** | 0.400 / 0.400 | 1.000 / 1.000 | 1.00 | 0.95 |", // rb row: 190/200
		"| — |\n", // always get: no control
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}

	// Without a control session no A/A column appears.
	samples, order, _ = ReadSamples(strings.NewReader(sampleCSV))
	md.Reset()
	WriteMarkdown(&md, Summarize(samples, order), "", "", 1000)
	if strings.Contains(md.String(), "A/A") {
		t.Error("A/A column without a control run")
	}
}

func TestNiceMax(t *testing.T) {
	for _, c := range []struct{ v, want float64 }{{1.08, 1.5}, {2.2, 2.5}, {0.9, 1}, {40, 5}} {
		if got := niceMax(c.v, 5); got != c.want {
			t.Errorf("niceMax(%v) = %v want %v", c.v, got, c.want)
		}
	}
}

// A cpu_s column (server CPU seconds of the run) gives a per-request CPU
// table: medians over rounds of cpu_s / requests, fastcache / redis.
func TestCPUPerRequest(t *testing.T) {
	csv := `server,setting,round,tool,test,clients,pipeline,requests,errors,seconds,rps,avg_ms,p50_ms,p99_ms,p999_ms,max_ms,cpu_s
redis,none,1,loadgen,hget,50,1,1000,0,1,100,0.5,0.4,1.0,2.0,3,0.010
fastcache,none,1,loadgen,hget,50,1,1000,0,1,150,0.5,0.3,0.8,1.0,3,0.008
redis,none,2,loadgen,hget,50,1,1000,0,1,100,0.5,0.4,1.0,2.0,3,0.012
fastcache,none,2,loadgen,hget,50,1,500,0,1,150,0.5,0.3,0.8,1.0,3,0.006
redis,none,3,loadgen,hget,50,1,1000,0,1,100,0.5,0.4,1.0,2.0,3,0.011
fastcache,none,3,loadgen,hget,50,1,1000,0,1,150,0.5,0.3,0.8,1.0,3,0.020
`
	samples, order, err := ReadSamples(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	rows := Summarize(samples, order)
	// fastcache 8, 12, 20 us/req -> 12; redis 10, 12, 11 -> 11.
	if r := rows[0]; math.Abs(r.FC.CPU-12) > 1e-9 || math.Abs(r.Redis.CPU-11) > 1e-9 {
		t.Fatalf("cpu medians fc=%v redis=%v", r.FC.CPU, r.Redis.CPU)
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, rows, "", "", 1000); err != nil {
		t.Fatal(err)
	}
	if want := "| none | hget -P1 | loadgen | 12.00 | 11.00 | **1.09** |"; !strings.Contains(md.String(), want) {
		t.Errorf("markdown lacks %q:\n%s", want, md.String())
	}
	// Without the column there is no CPU table.
	samples, order, _ = ReadSamples(strings.NewReader(sampleCSV))
	md.Reset()
	WriteMarkdown(&md, Summarize(samples, order), "", "", 1000)
	if strings.Contains(md.String(), "CPU per request") {
		t.Error("CPU table without cpu_s data")
	}
}
