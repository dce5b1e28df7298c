package latency

import (
	"strconv"
	"strings"
)

// LATENCY GRAPH's drawing, the way Redis's sparkline renders it: each
// sample is a column; its height in rows*3 steps between the series' low
// and high is drawn with "_o#" for the top character of the column and '|'
// below it; under the graph, after one blank line, each column's label is
// written vertically.

const graphCols = 80

var fillChars = [...]byte{'_', 'o', '#'}

// agoLabel is how long ago a sample was: 12s, 5m, 3h, 2d.
func agoLabel(secs int64) string {
	switch {
	case secs < 60:
		return strconv.FormatInt(secs, 10) + "s"
	case secs < 3600:
		return strconv.FormatInt(secs/60, 10) + "m"
	case secs < 86400:
		return strconv.FormatInt(secs/3600, 10) + "h"
	default:
		return strconv.FormatInt(secs/86400, 10) + "d"
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// sparkline renders values in chunks of at most cols columns, separated by
// a newline.
func sparkline(b *strings.Builder, values []float64, labels []string, cols, rows int) {
	if len(values) == 0 {
		return
	}
	lo, hi := values[0], values[0]
	hasLabels := false
	for i, v := range values {
		lo, hi = min(lo, v), max(hi, v)
		if labels[i] != "" {
			hasLabels = true
		}
	}
	for off := 0; off < len(values); off += cols {
		if off != 0 {
			b.WriteByte('\n')
		}
		n := min(cols, len(values)-off)
		sparkRange(b, values[off:off+n], labels[off:off+n], lo, hi, rows, hasLabels)
	}
}

func sparkRange(b *strings.Builder, values []float64, labels []string, lo, hi float64, rows int, hasLabels bool) {
	span := hi - lo
	if span == 0 {
		span = 1
	}
	steps := len(fillChars) * rows
	line := make([]byte, len(values))
	for row := 0; ; row++ {
		more := false
		for j := range line {
			line[j] = ' '
		}
		for j, v := range values {
			if row < rows {
				step := int(float64(int((v-lo)*float64(steps))) / span)
				step = min(max(step, 0), steps-1)
				more = true
				switch c := step - (rows-row-1)*len(fillChars); {
				case c >= 0 && c < len(fillChars):
					line[j] = fillChars[c]
				case c >= len(fillChars):
					line[j] = '|'
				}
				continue
			}
			if hasLabels && row == rows { // one blank line before the labels
				more = true
				break
			}
			if k := row - rows - 1; k < len(labels[j]) {
				more = true
				line[j] = labels[j][k]
			}
		}
		if !more {
			return
		}
		b.Write(line)
		b.WriteByte('\n')
	}
}
