package latency

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Event names of the LATENCY monitor. Redis's names where the stall is the
// same thing; fastcache's own where it has no Redis equivalent.
const (
	EventCommand      = "command"      // a command that is not flagged fast
	EventFastCommand  = "fast-command" // an O(1) / O(log n) command
	EventFsync        = "wal-fsync"    // one fsync of the WAL (any policy)
	EventWALWrite     = "wal-write"    // one write(2) of frames to the WAL
	EventSnapshot     = "snapshot"     // a whole snapshot (SAVE, BGSAVE, automatic)
	EventSegmentPrune = "wal-segment-remove"
	EventExpireCycle  = "expire-cycle"   // one round of active expiry
	EventEviction     = "eviction-cycle" // one round of eviction to get under maxmemory
)

// seriesLen is how many samples an event keeps (Redis's LATENCY_TS_LEN).
const seriesLen = 160

// Sample is one point of an event's series: the unix second and the
// highest latency in that second, in milliseconds.
type Sample struct {
	Time, Latency int64
}

type series struct {
	samples [seriesLen]Sample
	idx     int   // next slot
	max     int64 // all-time high (ms)
}

// Monitor is the LATENCY monitor: per event, the last 160 seconds in which
// it took at least latency-monitor-threshold milliseconds. A nil *Monitor
// records nothing, so libraries can take one optionally.
type Monitor struct {
	threshold atomic.Int64 // ms; 0 = off
	mu        sync.Mutex
	events    map[string]*series
	now       func() time.Time // tests
}

// NewMonitor returns a monitor that is off (threshold 0).
func NewMonitor() *Monitor {
	return &Monitor{events: map[string]*series{}, now: time.Now}
}

// SetThreshold sets latency-monitor-threshold (ms; 0 turns the monitor off).
func (m *Monitor) SetThreshold(ms int64) {
	if m != nil {
		m.threshold.Store(max(ms, 0))
	}
}

// Threshold is latency-monitor-threshold in milliseconds (0: off).
func (m *Monitor) Threshold() int64 {
	if m == nil {
		return 0
	}
	return m.threshold.Load()
}

// Note records that event took d if the monitor is on and d reaches the
// threshold. Off, it costs one atomic load.
func (m *Monitor) Note(event string, d time.Duration) {
	if m == nil {
		return
	}
	t := m.threshold.Load()
	if t <= 0 {
		return
	}
	if ms := d.Milliseconds(); ms >= t {
		m.Add(event, ms)
	}
}

// Add records a sample of ms milliseconds for event now, whatever the
// threshold. Two samples in the same second keep the higher one.
func (m *Monitor) Add(event string, ms int64) {
	now := m.now().Unix()
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := m.events[event]
	if ts == nil {
		ts = &series{}
		m.events[event] = ts
	}
	ts.max = max(ts.max, ms)
	prev := &ts.samples[(ts.idx+seriesLen-1)%seriesLen]
	if prev.Time == now {
		prev.Latency = max(prev.Latency, ms)
		return
	}
	ts.samples[ts.idx] = Sample{Time: now, Latency: ms}
	ts.idx = (ts.idx + 1) % seriesLen
}

// Latest is one line of LATENCY LATEST.
type Latest struct {
	Event              string
	Time, Latency, Max int64
}

// Latest returns the newest sample and the all-time high of every event,
// by event name.
func (m *Monitor) Latest() []Latest {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Latest, 0, len(m.events))
	for name, ts := range m.events {
		last := ts.samples[(ts.idx+seriesLen-1)%seriesLen]
		out = append(out, Latest{Event: name, Time: last.Time, Latency: last.Latency, Max: ts.max})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Event < out[j].Event })
	return out
}

// History returns an event's samples, oldest first, and whether the event
// has a series at all.
func (m *Monitor) History(event string) ([]Sample, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := m.events[event]
	if ts == nil {
		return nil, false
	}
	return ts.history(), true
}

func (ts *series) history() []Sample {
	var out []Sample
	for j := range seriesLen {
		s := ts.samples[(ts.idx+j)%seriesLen]
		if s.Time != 0 {
			out = append(out, s)
		}
	}
	return out
}

// Reset drops the series of the named events (case-insensitively), or of
// all events when none is named, and says how many it dropped.
func (m *Monitor) Reset(events ...string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(events) == 0 {
		n := len(m.events)
		clear(m.events)
		return n
	}
	n := 0
	for _, e := range events {
		for name := range m.events {
			if strings.EqualFold(name, e) {
				delete(m.events, name)
				n++
			}
		}
	}
	return n
}

// Stats is what LATENCY DOCTOR says of one event.
type Stats struct {
	Event              string
	Samples            int
	Avg, MAD, Min, Max int64 // over the kept samples (ms)
	AllTimeHigh        int64
	Period             int64 // seconds from the oldest kept sample to now (at least 1)
}

// Analyze returns the statistics of every event, by event name.
func (m *Monitor) Analyze() []Stats {
	now := m.now().Unix()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Stats, 0, len(m.events))
	for name, ts := range m.events {
		st := Stats{Event: name, AllTimeHigh: ts.max}
		var sum, oldest int64
		h := ts.history()
		for i, s := range h {
			if i == 0 {
				st.Min, st.Max = s.Latency, s.Latency
			}
			st.Min, st.Max = min(st.Min, s.Latency), max(st.Max, s.Latency)
			sum += s.Latency
			if oldest == 0 || s.Time < oldest {
				oldest = s.Time
			}
		}
		if st.Samples = len(h); st.Samples > 0 {
			st.Avg = sum / int64(st.Samples)
			st.Period = max(now-oldest, 1)
			var dev int64
			for _, s := range h {
				d := st.Avg - s.Latency
				dev += max(d, -d)
			}
			st.MAD = dev / int64(st.Samples)
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Event < out[j].Event })
	return out
}

// Graph renders LATENCY GRAPH for event as Redis does (an 80-column, 4-row
// filled sparkline labelled with how long ago each sample was), or ok=false
// when the event has no samples.
func (m *Monitor) Graph(event string) (string, bool) {
	now := m.now().Unix()
	m.mu.Lock()
	ts := m.events[event]
	var h []Sample
	var allTime int64
	if ts != nil {
		h, allTime = ts.history(), ts.max
	}
	m.mu.Unlock()
	if ts == nil {
		return "", false
	}
	var lo, hi int64
	values := make([]float64, len(h))
	labels := make([]string, len(h))
	for i, s := range h {
		if i == 0 {
			lo, hi = s.Latency, s.Latency
		}
		lo, hi = min(lo, s.Latency), max(hi, s.Latency)
		values[i] = float64(s.Latency)
		labels[i] = agoLabel(now - s.Time)
	}
	var b strings.Builder
	b.WriteString(event)
	b.WriteString(" - high ")
	b.WriteString(itoa(hi))
	b.WriteString(" ms, low ")
	b.WriteString(itoa(lo))
	b.WriteString(" ms (all time high ")
	b.WriteString(itoa(allTime))
	b.WriteString(" ms)\n")
	b.WriteString(strings.Repeat("-", graphCols))
	b.WriteString("\n")
	sparkline(&b, values, labels, graphCols, 4)
	return b.String(), true
}
