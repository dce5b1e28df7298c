package main

import (
	"fmt"
	"io"
	"strings"
)

// settingTitle describes a durability setting as the server flags used.
func settingTitle(s string) string {
	switch s {
	case "none":
		return "none — `appendonly no`"
	case "everysec":
		return "everysec — `appendonly yes`, `appendfsync everysec`"
	case "always":
		return "always — `appendonly yes`, `appendfsync always`"
	}
	return s
}

func fmtRPS(st Stats) string {
	if st.N == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f", st.RPS)
}

func fmtCPU(st Stats) string {
	if !st.HasCPU {
		return "—"
	}
	return fmt.Sprintf("%.2f", st.CPU)
}

func fmtRatio(v float64, ok bool) string {
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.2f", v)
}

func fmtPair(fc, redis float64, ok bool) string {
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.3f / %.3f", fc, redis)
}

// marks flags rows whose medians rest on error replies or on runs cut short
// by the time cap (fewer than target requests).
func marks(r Row, target int64) string {
	var m string
	if r.FC.Errors+r.Redis.Errors > 0 {
		m += " †"
	}
	if target > 0 && ((r.FC.N > 0 && r.FC.MinRequests >= 0 && r.FC.MinRequests < target) ||
		(r.Redis.N > 0 && r.Redis.MinRequests >= 0 && r.Redis.MinRequests < target)) {
		m += " ‡"
	}
	return m
}

// WriteMarkdown writes the result tables: per setting, the loadgen rows
// (throughput, p50/p99/p99.9) with the redis-benchmark throughput ratio of the
// same load alongside as a cross-check, then the redis-benchmark rows.
func WriteMarkdown(w io.Writer, rows []Row, preamble string, chartPath string, target int64) error {
	var b strings.Builder
	if preamble != "" {
		b.WriteString(strings.TrimRight(preamble, "\n"))
		b.WriteString("\n\n")
	}
	rounds := 0
	for _, r := range rows {
		rounds = max(rounds, r.FC.N, r.Redis.N)
	}
	b.WriteString("## Results\n\n")
	fmt.Fprintf(&b, "Medians over %d round(s). **Ratio = fastcache / redis-server**: a throughput ratio above 1 means fastcache served more requests per second; a latency ratio below 1 means fastcache answered faster. Latency cells are `fastcache / redis` in milliseconds, measured by `bench/loadgen` (every request recorded in a log-linear histogram, ≤1.6%% bucket error). The last column is the throughput ratio `redis-benchmark` measured for the same load (— where it has no such test).\n\n", rounds)
	if chartPath != "" {
		fmt.Fprintf(&b, "![fastcache / redis-server ratios](%s)\n\n", chartPath)
	}
	rbRatio := map[Key]Row{}
	for _, r := range rows {
		if r.Key.Tool == toolRB {
			k := r.Key
			k.Tool = toolLoadgen
			rbRatio[k] = r
		}
	}
	var control bool
	for _, r := range rows {
		control = control || r.Control.N > 0
	}
	// aa is the A/A column's header and cell, empty without a control run.
	aa := func(r *Row) string {
		if !control {
			return ""
		}
		if r == nil {
			return " A/A redis / redis |"
		}
		return " " + fmtRatio(r.ControlRatio()) + " |"
	}
	aaSep := ""
	if control {
		aaSep = "---:|"
		b.WriteString("**A/A** is the same ratio for a second redis-server session run in each round (`CONTROL=1`) against the first: it would be 1.00 on a quiet machine, and its distance from 1 shows how far a fastcache / redis ratio in that row can move by noise alone.\n\n")
	}
	var anyErr, anyShort bool
	for _, setting := range Settings(rows) {
		fmt.Fprintf(&b, "### %s\n\n", settingTitle(setting))
		b.WriteString("| load | fastcache rps | redis rps | **rps ratio** | p50 ms | p99 ms | p99.9 ms | p99.9 ratio | redis-benchmark rps ratio |" + aa(nil) + "\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|" + aaSep + "\n")
		for _, r := range rows {
			if r.Key.Setting != setting || r.Key.Tool != toolLoadgen {
				continue
			}
			both := r.FC.N > 0 && r.Redis.N > 0
			rr, rok := r.RPSRatio()
			pr, pok := r.P999Ratio()
			rb := "—"
			if x, ok := rbRatio[r.Key]; ok {
				rb = fmtRatio(x.RPSRatio())
			}
			m := marks(r, target)
			anyErr = anyErr || strings.Contains(m, "†")
			anyShort = anyShort || strings.Contains(m, "‡")
			fmt.Fprintf(&b, "| %s%s | %s | %s | **%s** | %s | %s | %s | %s | %s |%s\n",
				r.Key.Label(), m, fmtRPS(r.FC), fmtRPS(r.Redis), fmtRatio(rr, rok),
				fmtPair(r.FC.P50, r.Redis.P50, both), fmtPair(r.FC.P99, r.Redis.P99, both),
				fmtPair(r.FC.P999, r.Redis.P999, r.FC.HasP999 && r.Redis.HasP999), fmtRatio(pr, pok), rb, aa(&r))
		}
		b.WriteString("\n")
	}
	var hasRB bool
	for _, r := range rows {
		hasRB = hasRB || r.Key.Tool == toolRB
	}
	if hasRB {
		b.WriteString("### redis-benchmark (cross-check)\n\n")
		b.WriteString("The same loads driven by `redis-benchmark` (its CSV has no p99.9). Latency cells are `fastcache / redis` in ms.\n\n")
		b.WriteString("| setting | load | fastcache rps | redis rps | **rps ratio** | p50 ms | p99 ms | p99 ratio |" + aa(nil) + "\n")
		b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|" + aaSep + "\n")
		for _, r := range rows {
			if r.Key.Tool != toolRB {
				continue
			}
			both := r.FC.N > 0 && r.Redis.N > 0
			rr, rok := r.RPSRatio()
			pr, pok := r.P99Ratio()
			fmt.Fprintf(&b, "| %s | %s | %s | %s | **%s** | %s | %s | %s |%s\n",
				r.Key.Setting, r.Key.Label(), fmtRPS(r.FC), fmtRPS(r.Redis), fmtRatio(rr, rok),
				fmtPair(r.FC.P50, r.Redis.P50, both), fmtPair(r.FC.P99, r.Redis.P99, both), fmtRatio(pr, pok), aa(&r))
		}
		b.WriteString("\n")
	}
	var hasCPU bool
	for _, r := range rows {
		hasCPU = hasCPU || r.FC.HasCPU || r.Redis.HasCPU
	}
	if hasCPU {
		b.WriteString("### Server CPU per request\n\n")
		b.WriteString("User + system CPU time of the server process (`/proc/<pid>/stat`, every thread: fastcache's event loops, WAL writer and GC; Redis's main thread and its bio threads) over the run, divided by the requests, in µs; medians over rounds. Unlike throughput it does not depend on the share of a busy machine's cores each server got. **CPU ratio < 1: fastcache spends less CPU per request.**\n\n")
		b.WriteString("| setting | load | tool | fastcache µs/req | redis µs/req | **CPU ratio** |\n")
		b.WriteString("|---|---|---|---:|---:|---:|\n")
		for _, r := range rows {
			if !r.FC.HasCPU && !r.Redis.HasCPU {
				continue
			}
			cr, cok := r.CPURatio()
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | **%s** |\n", r.Key.Setting, r.Key.Label(), r.Key.Tool,
				fmtCPU(r.FC), fmtCPU(r.Redis), fmtRatio(cr, cok))
		}
		b.WriteString("\n")
	}
	if anyErr {
		b.WriteString("† some requests got error replies (see the raw CSV's `errors` column).\n\n")
	}
	if anyShort {
		fmt.Fprintf(&b, "‡ at least one round hit the time cap before %d requests; its rate is over the requests it did finish.\n\n", target)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
