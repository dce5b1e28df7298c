// Package replay rebuilds the keyspace at start-up: the newest valid
// snapshot first (snapshot.go), then the WAL records after it, verifying
// every frame, cutting off a torn tail, and reporting progress for INFO
// (loading:1, percent, ETA) and the log.
package replay

import (
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"fastcache/persistence"
)

// Applier applies replayed records without logging them (the cache).
type Applier interface {
	Target
	LoadSnapshotEntry(r *persistence.Record)
}

// Progress is readable while replay runs (INFO persistence).
type Progress struct {
	Start      atomic.Int64 // unix ms
	TotalBytes atomic.Int64
	Bytes      atomic.Int64
	Records    atomic.Int64
}

// Options configure Run.
type Options struct {
	Repair   bool
	Log      zerolog.Logger
	Progress *Progress
	Cut      *Cut // records already in the loaded snapshot
	// ReadOnly reads a WAL that is open for writing (DEBUG LOADAOF): a torn
	// tail is skipped, never cut off.
	ReadOnly bool
}

// Result summarises a replay.
type Result struct {
	Records, Skipped, Bytes int64
	Segments                int
	MaxLSN                  uint64
	TornBytes               int64
	Duration                time.Duration
}

// Run replays the WAL in dir into target.
func Run(dir string, target Applier, o Options) (Result, error) {
	start := time.Now()
	p := o.Progress
	if p == nil {
		p = &Progress{}
	}
	p.Start.Store(start.UnixMilli())
	p.TotalBytes.Store(persistence.TotalBytes(dir, o.Cut.StartSegment()))
	var res Result
	lastLog := start
	rr, err := persistence.ReadDir(dir, persistence.ReadOptions{
		Repair: o.Repair, StartSegment: o.Cut.StartSegment(), Log: o.Log, ReadOnly: o.ReadOnly,
		Progress: func(b int64) {
			p.Bytes.Store(b)
			if now := time.Now(); now.Sub(lastLog) >= time.Second {
				lastLog = now
				el := now.Sub(start).Seconds()
				total := p.TotalBytes.Load()
				ev := o.Log.Info().Int64("records", p.Records.Load()).Int64("bytes", b).
					Float64("records_per_sec", float64(p.Records.Load())/el)
				if total > 0 {
					ev = ev.Float64("percent", 100*float64(b)/float64(total))
				}
				ev.Msg("replaying the WAL")
			}
		},
	}, func(r *persistence.Record) error {
		res.MaxLSN = max(res.MaxLSN, r.LSN)
		if o.Cut.ApplyAfter(r, target) {
			res.Skipped++
			if r.Op != persistence.OpFlush && r.Op != persistence.OpSwapDB {
				return nil
			}
		}
		res.Records++
		p.Records.Add(1)
		return nil
	})
	res.Bytes, res.Segments, res.TornBytes = rr.Bytes, rr.Segments, rr.TornBytes
	res.Duration = time.Since(start)
	p.Bytes.Store(rr.Bytes)
	return res, err
}
