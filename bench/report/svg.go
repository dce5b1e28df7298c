package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strings"
)

var settingColors = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#af7aa1"}

// panel is one bar chart: groups of bars (one group per load, one bar per
// setting) of a fastcache/redis ratio, with the 1.0 parity line.
type panel struct {
	title string
	value func(Row) (float64, bool)
}

// niceMax rounds v up to 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k, then
// clamps to capAt (taller bars are cut and labelled with their value).
func niceMax(v, capAt float64) float64 {
	if v <= 0 {
		return 1
	}
	exp := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*exp >= v-1e-12 {
			return min(m*exp, capAt)
		}
	}
	return capAt
}

func tickStep(top float64) float64 {
	raw := top / 5
	exp := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*exp >= raw-1e-12 {
			return m * exp
		}
	}
	return raw
}

// WriteSVG draws the loadgen rows: throughput ratio and p99.9 ratio panels.
func WriteSVG(w io.Writer, rows []Row) error {
	var lg []Row
	for _, r := range rows {
		if r.Key.Tool == toolLoadgen {
			lg = append(lg, r)
		}
	}
	settings := Settings(lg)
	var loads []string
	byCell := map[[2]string]Row{}
	for _, r := range lg {
		l := r.Key.Label()
		if !slices.Contains(loads, l) {
			loads = append(loads, l)
		}
		byCell[[2]string{l, r.Key.Setting}] = r
	}
	panels := []panel{
		{"Throughput, fastcache / redis-server (above 1: fastcache faster)", Row.RPSRatio},
		{"p99.9 latency, fastcache / redis-server (below 1: fastcache better)", Row.P999Ratio},
	}

	const (
		left, right, top = 64.0, 36.0, 56.0
		panelH, labelH   = 220.0, 96.0
		barW, groupGap   = 16.0, 14.0
	)
	nSet := max(len(settings), 1)
	groupW := float64(nSet)*barW + groupGap
	plotW := max(float64(len(loads))*groupW, 360)
	width := left + plotW + right
	height := top + float64(len(panels))*(panelH+labelH+40)

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="11">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="20" font-size="15" font-weight="bold">fastcache vs redis-server (medians over rounds, bench/loadgen)</text>`+"\n", left)
	// Legend.
	x := left
	for i, s := range settings {
		fmt.Fprintf(&b, `<rect x="%.1f" y="30" width="12" height="12" fill="%s"/><text x="%.1f" y="40">%s</text>`+"\n",
			x, settingColors[i%len(settingColors)], x+16, html.EscapeString(s))
		x += 24 + 7*float64(len(s))
	}

	for pi, p := range panels {
		y0 := top + float64(pi)*(panelH+labelH+40) + 24 // top of plot area
		base := y0 + panelH                             // y of ratio 0
		maxV := 1.0
		for _, r := range lg {
			if v, ok := p.value(r); ok {
				maxV = max(maxV, v)
			}
		}
		yMax := niceMax(maxV*1.08, 5)
		scale := panelH / yMax
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-size="13" font-weight="bold">%s</text>`+"\n", left, y0-8, html.EscapeString(p.title))
		step := tickStep(yMax)
		for t := 0.0; t <= yMax+1e-9; t += step {
			y := base - t*scale
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="end">%g</text>`+"\n",
				left, y, left+plotW, y, left-6, y+4, math.Round(t*100)/100)
		}
		for gi, l := range loads {
			gx := left + float64(gi)*groupW + groupGap/2
			for si, s := range settings {
				r, ok := byCell[[2]string{l, s}]
				if !ok {
					continue
				}
				v, ok := p.value(r)
				if !ok {
					continue
				}
				h := min(v, yMax) * scale
				bx := gx + float64(si)*barW
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %.2f</title></rect>`+"\n",
					bx, base-h, barW-2, h, settingColors[si%len(settingColors)], html.EscapeString(l), html.EscapeString(s), v)
				if v > yMax { // cut bar: value written inside its top, in white
					fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="8" fill="white" text-anchor="end" transform="rotate(-90 %.1f %.1f)">▲%.1f</text>`+"\n",
						bx+barW/2+2, base-h+3, bx+barW/2+2, base-h+3, v)
				} else {
					fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="8" text-anchor="start" transform="rotate(-90 %.1f %.1f)">%.2f</text>`+"\n",
						bx+barW/2+2, base-h-3, bx+barW/2+2, base-h-3, v)
				}
			}
			lx := gx + float64(nSet)*barW/2
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" transform="rotate(-40 %.1f %.1f)">%s</text>`+"\n",
				lx, base+14, lx, base+14, html.EscapeString(l))
		}
		// Parity line and axes.
		y1 := base - 1*scale
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black" stroke-width="1.5" stroke-dasharray="6 3"/><text x="%.1f" y="%.1f" font-weight="bold">1.0</text>`+"\n",
			left, y1, left+plotW, y1, left+plotW+4, y1+4)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", left, base, left+plotW, base)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", left, y0, left, base)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
