package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// releaseWhenIdle returns the Go heap's free memory to the operating system
// once the server has been idle for half a second after a period of
// activity (activity counts what moves: client commands, and the records
// of changes that come without one, a replica applying its primary's
// stream or the active expiry): a forced collection (cheap: keys and values live in
// pointer-free arenas) and the release of every free page
// (debug.FreeOSMemory). Without it a load, a FLUSHALL or a big DEL leaves
// the process up to GOGC's 25% of uncollected garbage plus freed pages
// above its live data until the runtime's background scavenger returns
// them, slowly. Redis's allocator (jemalloc) purges its dirty pages in the
// background the same way. It runs once per idle period, and only when
// the garbage and free pages are worth it (1 MiB and 1/16 of the live heap),
// so a server that sees one health check a second does not collect each
// second for nothing. The floor was 4 MiB: a load of 100,000 small sorted
// sets (20 MB live) ended with 3.5 MiB of free pages, kept (35 bytes of RSS
// per set, as much as the set's own header and slot), and whether a load
// crossed the floor or not made RSS swing between rounds of the same load.
func releaseWhenIdle(activity func() uint64, stop <-chan struct{}) {
	const tick = 250 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	samples := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	last := activity()
	quiet, armed := 0, true // the first idle period after start-up too: a replay leaves its buffers behind
	var lastGC time.Time
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if n := activity(); n != last {
			last, quiet, armed = n, 0, true
			continue
		}
		quiet++
		if !armed || quiet < 2 {
			continue
		}
		armed = false
		// The live-heap figure is the last collection's: garbage made since
		// (a FLUSHALL of 200 MB with no allocation after it) is invisible to
		// the check below until a collection runs. So an idle period starts
		// with one, at most every 10 s (cheap: pointer-free arenas).
		if time.Since(lastGC) >= 10*time.Second {
			runtime.GC()
			lastGC = time.Now()
		}
		metrics.Read(samples)
		var v [3]uint64
		for i, sm := range samples {
			if sm.Value.Kind() != metrics.KindUint64 {
				return // a runtime without these metrics: leave it to the scavenger
			}
			v[i] = sm.Value.Uint64()
		}
		live, objects, free := v[0], v[1], v[2]
		waste := free
		if objects > live {
			waste += objects - live
		}
		if waste >= max(1<<20, live/16) {
			debug.FreeOSMemory()
		}
	}
}
