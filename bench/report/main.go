// Command report turns the raw results CSV of scripts/bench.sh into a
// markdown table and an SVG bar chart comparing fastcache with redis-server:
// for every (setting, tool, load) it takes the median over rounds of each
// server's throughput and latency percentiles and the fastcache/redis ratio.
//
//	report -in bench/out/results.csv -md bench/out/results.md -svg bench/out/chart.svg \
//	       -preamble bench/out/preamble.md -n 200000
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	in := flag.String("in", "bench/out/results.csv", "combined results CSV")
	mdPath := flag.String("md", "", "write the markdown report here (empty: stdout)")
	svgPath := flag.String("svg", "", "write the SVG chart here (empty: no chart)")
	preamble := flag.String("preamble", "", "markdown file put at the top of the report (commands, machine)")
	target := flag.Int64("n", 0, "requests each run was asked for (rows with fewer are marked as time-capped)")
	flag.Parse()

	f, err := os.Open(*in)
	if err != nil {
		fatal(err)
	}
	samples, order, err := ReadSamples(f)
	f.Close()
	if err != nil {
		fatal(err)
	}
	rows := Summarize(samples, order)

	var pre string
	if *preamble != "" {
		b, err := os.ReadFile(*preamble)
		if err != nil {
			fatal(err)
		}
		pre = string(b)
	}
	chartRef := ""
	if *svgPath != "" {
		var buf bytes.Buffer
		if err := WriteSVG(&buf, rows); err != nil {
			fatal(err)
		}
		if err := os.WriteFile(*svgPath, buf.Bytes(), 0o644); err != nil {
			fatal(err)
		}
		chartRef = *svgPath
		if *mdPath != "" {
			if rel, err := filepath.Rel(filepath.Dir(*mdPath), *svgPath); err == nil {
				chartRef = rel
			}
		}
	}
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, rows, pre, chartRef, *target); err != nil {
		fatal(err)
	}
	if *mdPath == "" {
		os.Stdout.Write(buf.Bytes())
		return
	}
	if err := os.WriteFile(*mdPath, buf.Bytes(), 0o644); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "report:", err)
	os.Exit(1)
}
