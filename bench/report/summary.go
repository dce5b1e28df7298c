package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// The two servers compared; ratios are always fastcache / redis.
// serverControl is a second redis-server session per round (CONTROL=1 in
// scripts/bench.sh): redis-aa / redis is an A/A ratio, the run-to-run noise
// of the machine for that row, against which fastcache / redis is read.
const (
	serverFC      = "fastcache"
	serverRedis   = "redis"
	serverControl = "redis-aa"
)

// Tools that produce rows: "loadgen" (bench/loadgen, has p99.9) and
// "redis-benchmark" (no p99.9).
const (
	toolLoadgen = "loadgen"
	toolRB      = "redis-benchmark"
)

// Key identifies one comparison row: the same load under the same
// durability setting measured by the same tool.
type Key struct {
	Setting  string
	Tool     string
	Test     string
	Clients  int
	Pipeline int
}

// Label is the row's load, e.g. "set -P16" or "get -c1000".
func (k Key) Label() string {
	s := k.Test
	if k.Test == "mix" {
		s = "mix 1:10"
	}
	if k.Clients != 50 {
		s += fmt.Sprintf(" -c%d", k.Clients)
	}
	return s + fmt.Sprintf(" -P%d", k.Pipeline)
}

// Sample is one run (one round) of one server.
type Sample struct {
	Server         string
	Round          string
	Requests       int64
	Errors         int64
	RPS            float64
	P50, P99, P999 float64 // ms
	HasP999        bool    // redis-benchmark rows have no p99.9
	// CPU is the server's user+system CPU time over the run divided by the
	// requests (µs): what a request costs the server whatever share of a
	// busy machine's cores it got. HasCPU: the row has a cpu_s column.
	CPU    float64
	HasCPU bool
}

// Stats are the medians over rounds of one server's samples.
type Stats struct {
	N              int // rounds
	RPS            float64
	P50, P99, P999 float64
	HasP999        bool
	Errors         int64 // summed over rounds
	MinRequests    int64 // smallest request count of a round (time cap hit if < the target)
	CPU            float64
	HasCPU         bool
}

// Row compares fastcache with redis for one Key.
type Row struct {
	Key       Key
	FC, Redis Stats
	Control   Stats // the A/A redis session; N == 0 without CONTROL=1
}

// ControlRatio is redis-aa/redis throughput: 1 on a quiet machine, and its
// distance from 1 is how far a fastcache/redis ratio moves by noise alone.
func (r Row) ControlRatio() (float64, bool) {
	return Ratio(r.Control.RPS, r.Redis.RPS, r.Control.N > 0 && r.Redis.N > 0)
}

// RPSRatio is fastcache/redis throughput (> 1: fastcache faster).
func (r Row) RPSRatio() (float64, bool) {
	return Ratio(r.FC.RPS, r.Redis.RPS, r.FC.N > 0 && r.Redis.N > 0)
}

// CPURatio is fastcache/redis server CPU per request (< 1: fastcache
// cheaper).
func (r Row) CPURatio() (float64, bool) {
	return Ratio(r.FC.CPU, r.Redis.CPU, r.FC.HasCPU && r.Redis.HasCPU)
}

// P999Ratio is fastcache/redis p99.9 latency (< 1: fastcache better).
func (r Row) P999Ratio() (float64, bool) {
	return Ratio(r.FC.P999, r.Redis.P999, r.FC.HasP999 && r.Redis.HasP999)
}

// P99Ratio is fastcache/redis p99 latency (< 1: fastcache better).
func (r Row) P99Ratio() (float64, bool) {
	return Ratio(r.FC.P99, r.Redis.P99, r.FC.N > 0 && r.Redis.N > 0)
}

// Median of xs (mean of the middle two for an even count); false if empty.
func Median(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m], true
	}
	return (s[m-1] + s[m]) / 2, true
}

// Ratio is a/b; false when either side is missing or b is not positive.
func Ratio(a, b float64, ok bool) (float64, bool) {
	if !ok || b <= 0 {
		return 0, false
	}
	return a / b, true
}

// ReadSamples parses the combined results CSV written by scripts/bench.sh.
// Columns are found by header name; unknown columns are ignored.
func ReadSamples(r io.Reader) (map[Key][]Sample, []Key, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, nil, err
	}
	if len(recs) == 0 {
		return nil, nil, fmt.Errorf("empty results")
	}
	col := map[string]int{}
	for i, name := range recs[0] {
		col[strings.TrimSpace(name)] = i
	}
	for _, need := range []string{"server", "setting", "round", "tool", "test", "clients", "pipeline", "rps", "p50_ms", "p99_ms"} {
		if _, ok := col[need]; !ok {
			return nil, nil, fmt.Errorf("results header lacks column %q", need)
		}
	}
	get := func(rec []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	num := func(rec []string, name string) (float64, bool, error) {
		s := get(rec, name)
		if s == "" {
			return 0, false, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil, err
	}
	samples := map[Key][]Sample{}
	var order []Key
	for line, rec := range recs[1:] {
		bad := func(err error) error { return fmt.Errorf("results line %d: %w", line+2, err) }
		clients, err := strconv.Atoi(get(rec, "clients"))
		if err != nil {
			return nil, nil, bad(err)
		}
		pipeline, err := strconv.Atoi(get(rec, "pipeline"))
		if err != nil {
			return nil, nil, bad(err)
		}
		k := Key{Setting: get(rec, "setting"), Tool: get(rec, "tool"), Test: get(rec, "test"), Clients: clients, Pipeline: pipeline}
		s := Sample{Server: get(rec, "server"), Round: get(rec, "round")}
		var ok bool
		if s.RPS, ok, err = num(rec, "rps"); err != nil || !ok {
			return nil, nil, bad(fmt.Errorf("rps %q", get(rec, "rps")))
		}
		if s.P50, _, err = num(rec, "p50_ms"); err != nil {
			return nil, nil, bad(err)
		}
		if s.P99, _, err = num(rec, "p99_ms"); err != nil {
			return nil, nil, bad(err)
		}
		if s.P999, s.HasP999, err = num(rec, "p999_ms"); err != nil {
			return nil, nil, bad(err)
		}
		if v, ok, _ := num(rec, "errors"); ok {
			s.Errors = int64(v)
		}
		if v, ok, _ := num(rec, "requests"); ok {
			s.Requests = int64(v)
		}
		if v, ok, _ := num(rec, "cpu_s"); ok && s.Requests > 0 {
			s.CPU, s.HasCPU = v/float64(s.Requests)*1e6, true
		}
		if _, seen := samples[k]; !seen {
			order = append(order, k)
		}
		samples[k] = append(samples[k], s)
	}
	return samples, order, nil
}

// Summarize takes the per-round medians of each server for every key, in
// the given order.
func Summarize(samples map[Key][]Sample, order []Key) []Row {
	rows := make([]Row, 0, len(order))
	for _, k := range order {
		rows = append(rows, Row{Key: k, FC: stats(samples[k], serverFC), Redis: stats(samples[k], serverRedis),
			Control: stats(samples[k], serverControl)})
	}
	return rows
}

func stats(ss []Sample, server string) Stats {
	var rps, p50, p99, p999, cpu []float64
	st := Stats{MinRequests: -1}
	for _, s := range ss {
		if s.Server != server {
			continue
		}
		st.N++
		rps = append(rps, s.RPS)
		p50 = append(p50, s.P50)
		p99 = append(p99, s.P99)
		if s.HasP999 {
			p999 = append(p999, s.P999)
		}
		if s.HasCPU {
			cpu = append(cpu, s.CPU)
		}
		st.Errors += s.Errors
		if st.MinRequests < 0 || s.Requests < st.MinRequests {
			st.MinRequests = s.Requests
		}
	}
	st.RPS, _ = Median(rps)
	st.P50, _ = Median(p50)
	st.P99, _ = Median(p99)
	st.P999, st.HasP999 = Median(p999)
	st.CPU, st.HasCPU = Median(cpu)
	return st
}

// Settings lists the durability settings in order of first appearance.
func Settings(rows []Row) []string {
	var out []string
	for _, r := range rows {
		if !slices.Contains(out, r.Key.Setting) {
			out = append(out, r.Key.Setting)
		}
	}
	return out
}
