package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// durCell formats median / max of the reached durations (ms), noting runs
// that never caught up within the timeout.
func durCell(ds []time.Duration) string {
	var v []float64
	missed := 0
	for _, d := range ds {
		if d < 0 {
			missed++
			continue
		}
		v = append(v, float64(d)/1e6)
	}
	if len(v) == 0 {
		if missed > 0 {
			return "timeout"
		}
		return "–"
	}
	s := fmt.Sprintf("%.1f / %.1f", median(v), slices.Max(v))
	if missed > 0 {
		s += fmt.Sprintf(" (%d timed out)", missed)
	}
	return s
}

func bytesCell(v []float64) string {
	if len(v) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f / %.0f", median(v), slices.Max(v))
}

func report(w io.Writer, o options, results map[string][]runResult, took time.Duration) {
	fmt.Fprintf(w, "# Replication and WAL export: write throughput and follower lag\n\n")
	fmt.Fprintf(w, "Generated %s by `bench/replbench` in %s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), took.Round(time.Second))
	fmt.Fprintf(w, "Machine:\n\n")
	for _, l := range machine(o) {
		fmt.Fprintf(w, "- %s\n", l)
	}
	fmt.Fprintf(w, "\nLoad: %d connections, one request in flight each, SET of %d-byte values to keys drawn uniformly from %d, "+
		"%d requests per run (cap %v), %d round(s) per row; every server runs `appendonly yes`, `appendfsync everysec` "+
		"on a fresh temp directory. The client (and the in-process export subscribers) share the machine with the servers.\n\n",
		o.clients, o.valueSize, o.keyspace, o.n, o.timeCap, o.rounds)

	fmt.Fprintf(w, "| setup | SET ops/s (median) | p50 ms | p99 ms (median) | lag bytes during load (median / max) | catch-up to primary offset, ms (median / max) | marker readable on follower, ms (median / max) | runs ok |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, spec := range allRows {
		runs, ok := results[spec.id]
		if !ok {
			continue
		}
		var tput, p50, p99, lag []float64
		var toOff, toMark []time.Duration
		good := 0
		for _, r := range runs {
			if r.err != nil {
				continue
			}
			good++
			tput = append(tput, r.load.opsPerSec())
			p50 = append(p50, ms(r.load.h.Quantile(0.50)))
			p99 = append(p99, ms(r.load.h.Quantile(0.99)))
			for _, b := range r.lag {
				lag = append(lag, float64(b))
			}
			if spec.replica || spec.subs > 0 {
				toOff = append(toOff, r.toOffset)
				toMark = append(toMark, r.toMarker)
			}
		}
		if good == 0 {
			fmt.Fprintf(w, "| %s | failed | | | | | | 0/%d |\n", spec.label, len(runs))
			continue
		}
		fmt.Fprintf(w, "| %s | %.0f | %.3f | %.3f | %s | %s | %s | %d/%d |\n", spec.label,
			median(tput), median(p50), median(p99), bytesCell(lag), durCell(toOff), durCell(toMark), good, len(runs))
	}

	fmt.Fprintf(w, "\nLag during load: the primary's `master_repl_offset` minus the follower's offset (`slave_repl_offset` of the replica; "+
		"for export rows the slowest subscriber's stream offset), sampled every %v; median and max over all samples of all rounds. "+
		"The byte units differ: fastcache counts WAL frame bytes, redis counts its RESP replication stream, so compare lag bytes "+
		"within a server, and the times across servers. "+
		"Catch-up: after the load a marker key is SET last on the primary; from its acknowledgement, the time until the follower's "+
		"offset reaches the primary's offset read right after that ack, and until the marker is readable on the follower "+
		"(GET on the replica; for export rows, until every subscriber decoded the marker record); median / max over rounds, polled "+
		"about every 0.5 ms; the resolution is a few loopback round trips (~0.1-0.3 ms), and a follower that has it before "+
		"the client saw the ack counts 0. Followers are in sync (link up, offsets equal) before each load. Export subscribers use the default "+
		"`wal-export-on-full block`, so a subscriber that falls behind its queue slows the primary instead of losing frames. "+
		"Rounds alternate the order of the fastcache and redis rows that compare with each other.\n\n", o.sample)

	fmt.Fprintf(w, "## Runs\n\n| setup | round | SET ops/s | p99 ms | requests ok | errors | capped | lag samples | lag max bytes | catch-up offset ms | marker ms | export records (slowest subscriber) | error |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|\n")
	for _, spec := range allRows {
		for _, r := range results[spec.id] {
			if r.err != nil {
				fmt.Fprintf(w, "| %s | %d | | | | | | | | | | | %s |\n", spec.label, r.round, strings.ReplaceAll(r.err.Error(), "\n", " "))
				continue
			}
			lagMax := "–"
			if len(r.lag) > 0 {
				lagMax = fmt.Sprint(slices.Max(r.lag))
			}
			d := func(x time.Duration) string {
				switch {
				case !spec.replica && spec.subs == 0:
					return "–"
				case x < 0:
					return "timeout"
				}
				return fmt.Sprintf("%.1f", float64(x)/1e6)
			}
			recs := "–"
			if r.subsCount > 0 {
				recs = fmt.Sprint(r.records)
			}
			fmt.Fprintf(w, "| %s | %d | %.0f | %.3f | %d | %d | %v | %d | %s | %s | %s | %s | |\n", spec.label, r.round,
				r.load.opsPerSec(), ms(r.load.h.Quantile(0.99)), r.load.ops, r.load.errs, r.load.capped, len(r.lag), lagMax,
				d(r.toOffset), d(r.toMarker), recs)
		}
	}
}
