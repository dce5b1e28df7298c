package server

// Latency and error bookkeeping as Redis 7.0 keeps it: a latency histogram
// per command (latency-tracking, INFO latencystats, LATENCY HISTOGRAM), a
// count of error replies per prefix (INFO errorstats, total_error_replies),
// and the hook of the LATENCY monitor for slow commands.

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fastcache/config"
	"fastcache/internal/latency"
)

// histogram returns cmd's latency histogram, allocating it on first use
// (only commands that ran carry one: ~3.7 KB each).
func (cmd *Command) histogram() *latency.Histogram {
	if h := cmd.hist.Load(); h != nil {
		return h
	}
	cmd.hist.CompareAndSwap(nil, &latency.Histogram{})
	return cmd.hist.Load()
}

// initLatency applies latency-tracking and latency-monitor-threshold and
// follows their CONFIG SET.
func (s *Server) initLatency() {
	s.lat = s.opts.Latency
	if s.lat == nil {
		s.lat = latency.NewMonitor()
	}
	if s.cfg == nil {
		return
	}
	s.tracking.Store(s.cfg.LatencyTracking())
	s.lat.SetThreshold(s.cfg.LatencyMonitorThreshold())
	s.cfg.OnChange("latency-tracking", func(cfg *config.Config) error {
		s.tracking.Store(cfg.LatencyTracking())
		return nil
	})
	s.cfg.OnChange("latency-monitor-threshold", func(cfg *config.Config) error {
		s.lat.SetThreshold(cfg.LatencyMonitorThreshold())
		return nil
	})
}

// LatencyMonitor is the server's LATENCY monitor.
func (s *Server) LatencyMonitor() *latency.Monitor { return s.lat }

// noteCommandLatency gives a command's duration to the LATENCY monitor,
// under Redis's event names (one atomic load when the monitor is off).
func (s *Server) noteCommandLatency(cmd *Command, d time.Duration) {
	if s.lat.Threshold() == 0 {
		return
	}
	ev := latency.EventCommand
	if cmd.Flags&flagFast != 0 {
		ev = latency.EventFastCommand
	}
	s.lat.Note(ev, d)
}

// maxErrorPrefixes is Redis's ERROR_STATS_NUMBER: past this many distinct
// prefixes errorstats shows only ERRORSTATS_DISABLED until CONFIG RESETSTAT.
const maxErrorPrefixes = 128

// errorStats counts error replies: all of them (total_error_replies) and
// per prefix (errorstat_ERR:count=N).
type errorStats struct {
	total    atomic.Int64
	mu       sync.Mutex
	prefix   map[string]int64
	disabled bool
}

// errorPrefix is the prefix Redis files an error under: its first word when
// a space ends it within the first 32 bytes of the reply (the '-'
// included), else ERR.
func errorPrefix(msg string) string {
	if i := strings.IndexByte(msg[:min(len(msg), 31)], ' '); i >= 0 {
		return msg[:i]
	}
	return "ERR"
}

// note counts one error reply whose text (after '-') is msg.
func (e *errorStats) note(msg string) {
	e.total.Add(1)
	p := errorPrefix(msg)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.disabled {
		return
	}
	if e.prefix == nil {
		e.prefix = map[string]int64{}
	}
	if _, ok := e.prefix[p]; !ok && len(e.prefix) >= maxErrorPrefixes {
		e.disabled = true
		e.prefix = map[string]int64{"ERRORSTATS_DISABLED": 1}
		return
	}
	e.prefix[p]++
}

func (e *errorStats) reset() {
	e.total.Store(0)
	e.mu.Lock()
	e.prefix, e.disabled = nil, false
	e.mu.Unlock()
}

// snapshot returns the counts per prefix.
func (e *errorStats) snapshot() map[string]int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int64, len(e.prefix))
	for k, v := range e.prefix {
		out[k] = v
	}
	return out
}

func (s *Server) infoErrorStats(b *strings.Builder) {
	m := s.errStats.snapshot()
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		b.WriteString("errorstat_")
		b.WriteString(k)
		b.WriteString(":count=")
		b.WriteString(strconv.FormatInt(m[k], 10))
		b.WriteString("\r\n")
	}
}

// infoLatencyStats writes latency_percentiles_usec_<cmd>:p50=...,p99=...
// for every command with a histogram.
func (s *Server) infoLatencyStats(b *strings.Builder) {
	ps := s.cfg.LatencyPercentiles()
	each := func(cmd *Command) {
		h := cmd.hist.Load()
		if h == nil {
			return
		}
		snap := h.Snapshot()
		if snap.Count() == 0 {
			return
		}
		b.WriteString("latency_percentiles_usec_")
		b.WriteString(cmd.Name)
		b.WriteByte(':')
		for i, p := range ps {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('p')
			// "%f" without trailing zeros, as Redis names them (p50, p99.9)
			b.WriteString(strings.TrimRight(strings.TrimRight(strconv.FormatFloat(p, 'f', 6, 64), "0"), "."))
			b.WriteByte('=')
			b.WriteString(strconv.FormatFloat(float64(snap.Percentile(p))/1000, 'f', 3, 64))
		}
		b.WriteString("\r\n")
	}
	for _, cmd := range sortedCommands() {
		each(cmd)
		for _, sub := range sortedSubs(cmd) {
			each(sub)
		}
	}
}
