package persistence

import (
	"fmt"
	"os"
	"time"
)

// The everysec fsync runs on a goroutine of its own, as Redis runs it on a
// background thread (bio): the writer keeps encoding, writing and exporting
// frames while the disk works, so a slow fdatasync (seconds on a busy
// disk) no longer holds back replicas, export subscribers and WAIT, nor
// fills the shard queues until clients meet backpressure.
//
// The rules that keep it as safe as the inline fsync:
//   - The watermark a background fsync publishes is the one of the bytes in
//     the file when it began: the writer reads it (after the round that
//     wrote them) and the segment size before starting it, so everything it
//     publishes was written before the fsync was issued.
//   - One fsync at a time on a segment. Whoever else needs one (always,
//     rotation, recovery, Flush, Close) first collects the background one,
//     waiting if need be: the kernel reports a writeback error only once
//     per open file, so two concurrent fsyncs could hide an error from the
//     one whose bytes it concerned.
//   - The segment is never truncated below the background fsync's size nor
//     closed under it: recovery and an explicit Rotate collect it first; the
//     rotation at the segment size waits until it has finished (the
//     segment grows past its size meanwhile), then fsyncs the rest inline,
//     so a later segment never holds a frame before an earlier one is
//     durable whole.
//   - A failed background fsync refuses writes (MISCONF) at once and puts
//     the writer in its error state when collected, exactly as an inline
//     failure: its bytes and every byte written since stay in w.undurable,
//     and recovery rewrites them into a fresh segment.

// bgSync is one background fsync of the active segment.
type bgSync struct {
	f     *os.File
	size  int64     // segment bytes written when it began
	g     uint64    // every LSN <= g is in those bytes
	start time.Time // when it began
	dur   time.Duration
	err   error
	done  chan struct{} // closed when it returns; then dur and err are set
}

// delayedAfter is how long a background fsync may run before each round
// that writes anyway counts as a delayed fsync (Redis's aof_delayed_fsync).
const delayedAfter = 2 * time.Second

// datasync is the segment's fsync (Options.fdatasync in tests).
func (w *WAL) datasync(f *os.File) error {
	if w.o.fdatasync != nil {
		return w.o.fdatasync(f)
	}
	return datasync(f)
}

// syncInBackground starts the everysec fsync when a second has passed since
// the last one began and none is running; wrote says this round wrote
// frames. It never waits for the disk.
func (w *WAL) syncInBackground(g uint64, wrote bool) {
	if w.bg != nil {
		if wrote && time.Since(w.bg.start) >= delayedAfter {
			// Redis would write anyway here too, and count it
			w.stats.delayedFsyncs.Add(1)
		}
		return
	}
	if time.Since(w.lastSync) < time.Second {
		return
	}
	b := &bgSync{f: w.f, size: w.segSize, g: max(g, w.undurG), start: time.Now(), done: make(chan struct{})}
	w.bg = b
	w.bgRunning.Store(true)
	go func() {
		err := w.datasync(b.f)
		b.dur = time.Since(b.start)
		b.err = err
		if err == nil {
			// durable now, whatever the writer is doing (it never cuts the
			// segment below b.size while b runs)
			w.publish(b.g)
		} else {
			// refuse writes now, not when the writer gets to it
			w.refuse(fmt.Errorf("fsync: %w", err))
		}
		close(b.done)
		select {
		case w.bgDone <- struct{}{}:
		default:
		}
	}()
}

// collectSync takes in the result of the background fsync, if one ran:
// waiting for it if wait is set, otherwise only if it has finished. It
// must be called by whoever holds w.writing.
func (w *WAL) collectSync(wait bool) {
	b := w.bg
	if b == nil {
		return
	}
	if wait {
		<-b.done
	} else {
		select {
		case <-b.done:
		default:
			return
		}
	}
	w.bg = nil
	w.bgRunning.Store(false)
	if b.err != nil {
		w.fail(fmt.Errorf("fsync: %w", b.err))
		return
	}
	w.noteSync(b.dur)
	// The next one is due a second after this one began (Redis's
	// aof_last_fsync): after a slow fsync, the next starts at once.
	w.lastSync = b.start
	if b.f != w.f || b.size <= w.syncedSize {
		return
	}
	// b.size bytes of the segment are durable: drop them from the copy kept
	// for a rewrite (it holds the segment's bytes from syncedSize on, then
	// any written only to memory while the log was failing).
	n := int(b.size - w.syncedSize)
	n = min(n, len(w.undurable))
	w.undurable = w.undurable[:copy(w.undurable, w.undurable[n:])]
	if len(w.undurable) == 0 && cap(w.undurable) > 16<<20 {
		w.undurable = nil
	}
	w.undurExp = max(w.undurExp-n, 0)
	w.syncedSize = b.size
}

// refuse makes write commands fail with MISCONF from now on (the writer's
// fail, for the background syncer: the rest is done when it is collected).
func (w *WAL) refuse(err error) {
	e := fmt.Errorf("MISCONF Errors writing to the WAL; writes are refused until the disk is writable again: %w", err)
	w.errp.Store(&e)
	w.wakeWaiters()
}
