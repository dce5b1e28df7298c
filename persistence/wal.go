package persistence

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/rs/zerolog"

	"fastcache/internal/latency"
)

// Options configure the WAL.
type Options struct {
	Dir         string // <datadir>/wal
	Shards      int
	Fsync       string // always | everysec | no
	Compression string // none | s2 | zstd
	SegmentSize int64  // rotation size, default 64 MiB
	QueueBytes  int    // per-shard queue bound, default 4 MiB
	// Export, when set, receives the exact on-disk bytes of whole frames,
	// in log order, right after they are written (valid only during the
	// call; the writer goroutine waits for it to return). Every frame is
	// exported exactly once, also when a write error forced it to be
	// rewritten into a new segment.
	Export func(frames []byte)
	// Followed, when set, reports whether Export may block (subscribers are
	// attached); rounds then stay on the writer goroutine and off the
	// event loops (see EndBatch), so a slow subscriber cannot stall reads.
	Followed func() bool
	// Exported, when set, is called at the end of every round that left
	// the log healthy (on the goroutine that ran the round; it must not
	// block) with the round's LSN watermark: every record with an LSN at
	// or below it has been passed to Export. The replication hub uses it to
	// send a PUBLISH to replicas after the writes that preceded it.
	Exported func(lsn uint64)
	Log      zerolog.Logger
	// Latency, when set, is the LATENCY monitor fsyncs, writes and
	// segment removals are noted in (latency-monitor-threshold).
	Latency *latency.Monitor

	// fdatasync replaces datasync for the segment's fsyncs (tests only:
	// a slow or failing disk).
	fdatasync func(*os.File) error
}

const (
	segMagic      = 0x4C574346 // "FCWL"
	segVersion    = 1
	segHeaderSize = 32
	frameMagic    = 0xFC57
	frameVersion  = 2
	frameHdrSize  = 40
	maxFrameRaw   = 1 << 30 // a frame's raw payload: one huge value fits
	targetFrame   = 1 << 20 // the writer cuts frames at about this raw size
	codecNone     = 0
	codecS2       = 1
	codecZstd     = 2
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// WAL is the write-ahead log: per-shard queues drained by one writer
// goroutine into checksummed frames appended to segment files.
type WAL struct {
	o        Options
	disabled bool
	lsn      atomic.Uint64
	queues   []*Queue
	codec    byte
	zenc     *zstd.Encoder

	wake        chan struct{}
	writing     sync.Mutex   // held by whoever runs a round: the writer goroutine or an event loop (EndBatch)
	holds       atomic.Int32 // event loops in the middle of a batch (HoldSignals)
	held        atomic.Bool  // a wake-up was held back for the end of a batch
	rotateC     chan chan rotateResult
	flushC      chan chan error
	closing     chan struct{}
	done        chan struct{}
	closed      atomic.Bool
	waits       atomic.Int64 // times a writer waited for room in a queue
	loopCommits atomic.Int64

	policy atomic.Pointer[string]

	// durability
	dmu       sync.Mutex
	notify    atomic.Pointer[func()]
	durable   atomic.Uint64
	durableCh chan struct{}

	// writer state (writer goroutine only)
	f          *os.File
	segID      uint64
	segSize    int64 // bytes in the current segment
	fileSize   int64 // the current segment file's size (over segSize: preallocated zeros)
	plain      bool  // the current segment was not preallocated (prealloc.go)
	syncedSize int64 // size at the last successful fsync
	undurable  []byte
	undurG     uint64 // watermark covered by undurable bytes once synced
	undurExp   int    // bytes at the start of undurable already exported
	blocked    []*Txn
	work       []int // round's worklist
	payload    []byte
	frames     []byte
	comp       []byte
	lastSync   time.Time // when the last fsync completed (a background one: when it began)
	failing    error
	bg         *bgSync // the everysec fsync running in the background, if any

	errp atomic.Pointer[error]

	bgRunning atomic.Bool   // bg != nil, for INFO (aof_pending_bio_fsync)
	prep      preparer      // the next segment, made in the background (prealloc.go)
	slack     atomic.Int64  // zeros after the current segment's frames
	bgDone    chan struct{} // a background fsync finished: the writer collects it

	stats walStats
}

type rotateResult struct {
	id  uint64
	err error
}

type walStats struct {
	records, bytes, rawBytes, frames atomic.Int64
	segments, rotations              atomic.Int64
	fsyncs, lastFsyncMicros          atomic.Int64
	lastFsyncUnix, delayedFsyncs     atomic.Int64
	slowFsyncs                       atomic.Int64 // fsyncs that took over 2 s
	fsyncNanos                       atomic.Int64 // all fsyncs' time, for the histogram's sum
	writeErrors                      atomic.Int64 // failed writes and fsyncs
	fsyncHist                        latency.Histogram
	segID                            atomic.Uint64
	lastErr                          atomic.Pointer[string]
}

// NewDisabled returns a WAL that only numbers records (appendonly no).
func NewDisabled(shards int) *WAL {
	w := &WAL{disabled: true}
	p := "no"
	w.policy.Store(&p)
	for i := 0; i < shards; i++ {
		w.queues = append(w.queues, newQueue(w))
	}
	return w
}

// Open starts the WAL in o.Dir: it begins a new segment after the existing
// ones (replay has already read them) and starts the writer goroutine.
func Open(o Options) (*WAL, error) {
	if o.SegmentSize <= 0 {
		o.SegmentSize = 64 << 20
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = 4 << 20
	}
	w := &WAL{o: o, wake: make(chan struct{}, 1), rotateC: make(chan chan rotateResult), flushC: make(chan chan error),
		closing: make(chan struct{}), done: make(chan struct{}), durableCh: make(chan struct{}), lastSync: time.Now(),
		bgDone: make(chan struct{}, 1)}
	switch o.Compression {
	case "", "none":
		w.codec = codecNone
	case "s2":
		w.codec = codecS2
	case "zstd":
		w.codec = codecZstd
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		w.zenc = enc
	default:
		return nil, fmt.Errorf("unknown wal-compression %q", o.Compression)
	}
	if err := w.SetPolicy(o.Fsync); err != nil {
		return nil, err
	}
	for i := 0; i < o.Shards; i++ {
		w.queues = append(w.queues, newQueue(w))
	}
	w.blocked = make([]*Txn, o.Shards)
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	removeLeftovers(o.Dir)
	removePrepLeftovers(o.Dir)
	segs, err := listSegments(o.Dir)
	if err != nil {
		return nil, err
	}
	w.segID = 1
	if len(segs) > 0 {
		w.segID = segs[len(segs)-1].id + 1
	}
	w.stats.segments.Store(int64(len(segs)))
	if err := w.openSegment(w.segID); err != nil {
		return nil, err
	}
	go w.run()
	return w, nil
}

// SetPolicy changes appendfsync at run time.
func (w *WAL) SetPolicy(p string) error {
	switch p {
	case "always", "everysec", "no":
	default:
		return fmt.Errorf("unknown appendfsync policy %q", p)
	}
	w.policy.Store(&p)
	return nil
}

// Policy is the current appendfsync policy.
func (w *WAL) Policy() string { return *w.policy.Load() }

// Queue returns shard i's queue.
func (w *WAL) Queue(i int) *Queue { return w.queues[i] }

// SetLastLSN continues numbering after the highest replayed LSN (or the
// last LSN of the log this one takes over from). A queue that has logged
// nothing yet reports it as its LastLSN: a snapshot's cut for its shard.
func (w *WAL) SetLastLSN(lsn uint64) {
	if lsn > w.lsn.Load() {
		w.lsn.Store(lsn)
	}
	w.durable.Store(max(w.durable.Load(), lsn))
	for _, q := range w.queues {
		q.mu.Lock()
		q.lastLSN = max(q.lastLSN, lsn)
		q.mu.Unlock()
	}
}

// LastLSN is the highest LSN assigned.
func (w *WAL) LastLSN() uint64 { return w.lsn.Load() }

// DurableLSN is the highest LSN known durable (every lower one is too).
func (w *WAL) DurableLSN() uint64 {
	if w.disabled {
		return w.lsn.Load()
	}
	return w.durable.Load()
}

// Err is non-nil while writes must be refused because the log cannot be written.
func (w *WAL) Err() error {
	if p := w.errp.Load(); p != nil {
		return *p
	}
	return nil
}

// Kick wakes the writer for a round even if no record is queued (a
// pending Exported watermark is wanted).
func (w *WAL) Kick() { w.signal() }

func (w *WAL) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// wakeWriter wakes the writer for new records, unless an event loop is in the
// middle of a batch: then the wake-up waits for the batch's end
// (EndBatch). The order (set held, then read holds; EndBatch drops its
// hold, then takes held) means some caller always sends it.
func (w *WAL) wakeWriter() {
	w.held.Store(true)
	if w.holds.Load() == 0 && w.held.Swap(false) {
		w.signal()
	}
}

// HoldSignals and EndBatch bracket one batch of an event loop (the
// commands of every connection ready at once): its records wake the writer
// once, at the end, so under appendfsync always the whole batch shares one
// fsync, as Redis fsyncs once per event-loop iteration. Without them, the
// writer woke on the batch's first record and fsynced it nearly alone while
// the rest of the batch waited for the next fsync.
func (w *WAL) HoldSignals() { w.holds.Add(1) }

// EndBatch ends a batch begun with HoldSignals. With commit set (the loop
// has connections waiting for appendfsync always), the caller writes and
// fsyncs the queued records itself when the writer goroutine is idle, as
// Redis does in its event loop: that saves the two thread hand-offs (loop
// to writer, writer back to loop) of a group commit. It reports whether it
// did. Not while export subscribers are attached (Options.Followed).
func (w *WAL) EndBatch(commit bool) bool {
	w.holds.Add(-1)
	if commit && w.Policy() == "always" && (w.o.Followed == nil || !w.o.Followed()) &&
		w.writing.TryLock() {
		// Under the lock: once Close has begun, the writer goroutine owns
		// the final round (and may have closed the segment).
		if w.failing == nil && !w.closed.Load() {
			// Records queued after this point set held again.
			w.held.Store(false)
			w.round(false)
			w.writing.Unlock()
			w.loopCommits.Add(1)
			return true
		}
		w.writing.Unlock()
	}
	if w.held.Swap(false) {
		w.signal()
	}
	return false
}

// WaitDurable blocks until every record up to lsn is durable (group commit),
// or fails after timeout.
func (w *WAL) WaitDurable(lsn uint64, timeout time.Duration) error {
	if w.disabled {
		return nil
	}
	var timer *time.Timer
	for {
		if w.durable.Load() >= lsn {
			return nil
		}
		w.dmu.Lock()
		ch := w.durableCh
		w.dmu.Unlock()
		if w.durable.Load() >= lsn {
			return nil
		}
		if err := w.Err(); err != nil {
			return err
		}
		w.signal()
		if timer == nil {
			timer = time.NewTimer(timeout)
			defer timer.Stop()
		}
		select {
		case <-ch:
			if w.durable.Load() < lsn {
				if err := w.Err(); err != nil {
					// The log cannot be written: the caller reports MISCONF
					// now instead of holding the client until the disk recovers.
					return err
				}
			}
		case <-timer.C:
			if err := w.Err(); err != nil {
				return err
			}
			return errors.New("timed out waiting for the WAL fsync")
		case <-w.done:
			if w.durable.Load() >= lsn {
				return nil
			}
			return errors.New("WAL closed")
		}
	}
}

// publish raises the durable watermark to g. The writer and the background
// syncer both call it, so it only ever moves up.
func (w *WAL) publish(g uint64) {
	for {
		d := w.durable.Load()
		if g <= d {
			return
		}
		if w.durable.CompareAndSwap(d, g) {
			break
		}
	}
	w.wakeWaiters()
}

// wakeWaiters wakes every WaitDurable and the notify function: the durable
// LSN moved, or the log failed.
func (w *WAL) wakeWaiters() {
	w.dmu.Lock()
	close(w.durableCh)
	w.durableCh = make(chan struct{})
	w.dmu.Unlock()
	if fn := w.notify.Load(); fn != nil {
		(*fn)()
	}
}

// SetNotify sets a function the writer calls each time the durable LSN
// advances or the log fails (it must not block): event loops wait for
// durability without a goroutine per wait.
func (w *WAL) SetNotify(fn func()) { w.notify.Store(&fn) }

// Flush writes and fsyncs everything queued so far.
func (w *WAL) Flush() error {
	if w.disabled {
		return nil
	}
	ch := make(chan error, 1)
	select {
	case w.flushC <- ch:
		return <-ch
	case <-w.done:
		return errors.New("WAL closed")
	}
}

// Rotate closes the current segment and starts a new one, returning its id:
// every record written so far is in segments before it.
func (w *WAL) Rotate() (uint64, error) {
	ch := make(chan rotateResult, 1)
	select {
	case w.rotateC <- ch:
		r := <-ch
		return r.id, r.err
	case <-w.done:
		return 0, errors.New("WAL closed")
	}
}

// RemoveSegmentsBefore deletes the segments with an id below id (covered by
// a snapshot). It never removes the active segment.
func (w *WAL) RemoveSegmentsBefore(id uint64) (int, error) {
	segs, err := listSegments(w.o.Dir)
	if err != nil {
		return 0, err
	}
	active := w.stats.segID.Load()
	n := 0
	for _, s := range segs {
		if s.id < id && s.id != active {
			start := time.Now()
			err := removeGradually(s.path)
			w.o.Latency.Note(latency.EventSegmentPrune, time.Since(start))
			if err != nil {
				return n, err
			}
			n++
		}
	}
	if n > 0 {
		w.stats.segments.Add(int64(-n))
		syncDir(w.o.Dir)
	}
	return n, nil
}

// Removing a segment frees its 64 MiB of extents in one filesystem journal
// transaction, and under appendfsync always the next WAL fdatasync commits
// that journal: measured, one fsync of 20 ms (against ~0.1 ms) right after
// a snapshot removed two segments. So a segment is first renamed out of the
// log (one atomic step: listSegments no longer sees it, and a crash leaves
// only a *.wal.removing file, deleted at the next start), then truncated a
// few MiB at a time with pauses, then unlinked.
const (
	removeSuffix = ".removing"
	removeStep   = 4 << 20
	removePause  = 2 * time.Millisecond
)

func removeGradually(path string) error {
	tmp := path + removeSuffix
	if err := os.Rename(path, tmp); err != nil {
		return err
	}
	if f, err := os.OpenFile(tmp, os.O_WRONLY, 0); err == nil {
		if st, err := f.Stat(); err == nil {
			for size := st.Size() - removeStep; size > 0; size -= removeStep {
				if f.Truncate(size) != nil {
					break
				}
				time.Sleep(removePause)
			}
		}
		f.Close()
	}
	return os.Remove(tmp)
}

// removeLeftovers deletes segments a crash left half removed.
func removeLeftovers(dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".wal"+removeSuffix) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// Close drains every queue, writes, fsyncs and stops the writer.
func (w *WAL) Close() error {
	if w.disabled || !w.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(w.closing)
	<-w.done
	w.stopPrep()
	for _, q := range w.queues {
		q.mu.Lock()
		q.room.Broadcast()
		q.mu.Unlock()
	}
	if w.zenc != nil {
		w.zenc.Close()
	}
	return w.Err()
}

// coalesceDelay is how long the writer lets records gather after a wake-up
// under everysec and no: fewer, larger rounds instead of one cross-thread
// wake-up per batch of client commands (that wake-up was ~10% of the CPU of
// unpipelined SETs). Those policies promise no durability at
// acknowledgement. appendfsync always does not wait: its clients do. Nor
// does the writer wait while export subscribers or replicas follow the
// stream (Options.Followed): they would see every write that much later.
const coalesceDelay = time.Millisecond

// run is the writer goroutine.
func (w *WAL) run() {
	defer close(w.done)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	for {
		var flushReq chan error
		var rotReq chan rotateResult
		closing := false
		select {
		case <-w.wake:
			// (w.failing belongs to whoever holds w.writing; Err is its atomic mirror)
			if w.Policy() != "always" && w.Err() == nil && (w.o.Followed == nil || !w.o.Followed()) {
				gather.Reset(coalesceDelay)
				select {
				case <-gather.C:
				case flushReq = <-w.flushC:
					gather.Stop()
				case rotReq = <-w.rotateC:
					gather.Stop()
				case <-w.closing:
					gather.Stop()
					closing = true
				}
			}
		case <-tick.C:
		case <-w.bgDone:
			// a background fsync finished: the round collects it (and, after
			// a slow one, starts the next at once if a second has passed)
		case flushReq = <-w.flushC:
		case rotReq = <-w.rotateC:
		case <-w.closing:
			closing = true
		}
		w.writing.Lock()
		w.round(flushReq != nil || closing)
		if flushReq != nil {
			flushReq <- w.failing
		}
		if rotReq != nil {
			id, err := w.rotate()
			rotReq <- rotateResult{id, err}
		}
		if closing {
			w.round(true)
			if w.failing != nil {
				// last attempts to get everything down before exiting
				for i := 0; i < 3 && w.failing != nil; i++ {
					time.Sleep(200 * time.Millisecond)
					w.recover()
				}
			}
			w.collectSync(true) // (already done by the round's fsync; never close under it)
			if w.f != nil {
				if w.fileSize > w.segSize {
					w.trimSegment() // its zeros go: only a crash leaves them
					w.datasync(w.f)
				}
				w.f.Close()
			}
			w.writing.Unlock()
			return
		}
		w.writing.Unlock()
	}
}

// round drains every queue into frames, writes them, and fsyncs by policy.
// G, the LSN counter read before draining, becomes the durable watermark once
// the round is fsynced: every LSN <= G was assigned and queued (atomically,
// under its queue's mutex) before the read, so it is in this round or an
// earlier one.
func (w *WAL) round(forceSync bool) {
	w.collectSync(false)
	g := w.lsn.Load()
	w.frames = w.frames[:0]
	w.payload = w.payload[:0]
	var recs int
	var min, max uint64
	addRange := func(n int, mn, mx uint64) {
		if n == 0 {
			return
		}
		recs += n
		if min == 0 || (mn != 0 && mn < min) {
			min = mn
		}
		if mx > max {
			max = mx
		}
	}
	// A worklist of queues to drain: a queue leaves it when drained or when
	// it reaches a transaction's mark; it comes back when that transaction
	// has reached the marks on all its queues (it is then written, whole).
	// Every LSN <= g is taken by the end: transactions complete in commit
	// order, as each places its marks on all its queues at once.
	work := w.work[:0]
	for i := len(w.queues) - 1; i >= 0; i-- {
		work = append(work, i)
	}
	for len(work) > 0 {
		i := work[len(work)-1]
		work = work[:len(work)-1]
		if w.blocked[i] != nil {
			continue
		}
		out, n, mn, mx, t := w.queues[i].take(w.payload)
		w.payload = out
		addRange(n, mn, mx)
		if t != nil {
			t.arrived++
			w.blocked[i] = t
			if t.arrived == t.parts {
				w.payload = append(w.payload, t.encoded...)
				addRange(len(t.recs), t.min, t.max)
				for _, j := range t.shards {
					w.blocked[j] = nil
					work = append(work, j)
				}
				t.release()
			}
		}
		if len(w.payload) >= targetFrame {
			w.encodeFrame(recs, min, max)
			recs, min, max = 0, 0, 0
		}
	}
	w.work = work
	if recs > 0 {
		w.encodeFrame(recs, min, max)
	}
	if len(w.frames) > 0 {
		w.write(w.frames, g)
	}
	if w.failing != nil {
		if time.Since(w.lastSync) >= time.Second || forceSync {
			w.recover()
		}
		w.exported(g)
		return
	}
	pol := w.Policy()
	switch {
	case len(w.undurable) == 0 && w.durable.Load() >= g && !forceSync:
	case pol == "always" || forceSync:
		w.sync(g)
	case pol == "everysec":
		w.syncInBackground(g, len(w.frames) > 0)
	}
	w.exported(g)
}

// exported reports g to Options.Exported when every record up to it went
// to Export: the log is healthy (a failing log exports its frames only
// once it recovers; an fsync that failed after the export is conservatively
// not reported either).
func (w *WAL) exported(g uint64) {
	if w.o.Exported != nil && w.failing == nil {
		w.o.Exported(g)
	}
}

// encodeFrame appends a frame holding w.payload to w.frames.
func (w *WAL) encodeFrame(recs int, min, max uint64) {
	raw := w.payload
	stored, codec := raw, byte(codecNone)
	if w.codec != codecNone && len(raw) >= 256 {
		var c []byte
		switch w.codec {
		case codecS2:
			c = s2.Encode(w.comp[:cap(w.comp)], raw)
		case codecZstd:
			c = w.zenc.EncodeAll(raw, w.comp[:0])
		}
		w.comp = c
		if len(c) < len(raw)*95/100 {
			stored, codec = c, w.codec
		}
	}
	start := len(w.frames)
	var h [frameHdrSize]byte
	binary.LittleEndian.PutUint16(h[0:], frameMagic)
	h[2] = frameVersion
	h[3] = codec
	binary.LittleEndian.PutUint32(h[4:], uint32(len(stored)))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(raw)))
	binary.LittleEndian.PutUint32(h[12:], uint32(recs))
	binary.LittleEndian.PutUint64(h[16:], min)
	binary.LittleEndian.PutUint64(h[24:], max)
	crc := crc32.Update(crc32.Checksum(h[:32], crcTable), crcTable, stored)
	binary.LittleEndian.PutUint32(h[32:], crc)
	w.frames = append(w.frames, h[:]...)
	w.frames = append(w.frames, stored...)
	for (len(w.frames)-start)%8 != 0 {
		w.frames = append(w.frames, 0)
	}
	w.stats.records.Add(int64(recs))
	w.stats.rawBytes.Add(int64(len(raw)))
	w.stats.frames.Add(1)
	w.payload = w.payload[:0]
}

// write appends frames to the segment (rotating first if they would pass
// the segment size). On failure it enters the error state: the bytes are
// kept in memory until recover() writes them.
func (w *WAL) write(frames []byte, g uint64) {
	if w.failing != nil {
		w.undurable = append(w.undurable, frames...)
		w.undurG = g
		return
	}
	// While a background fsync runs, the segment grows past its size: the
	// rotation (which must wait for it, then fsync the rest) comes in the
	// first round after it, so the writer never waits for two fsyncs.
	// A plain segment gives way to the prepared one as soon as it is ready
	// (the first segment after a start is plain: prealloc.go).
	if w.bg == nil && (w.segSize > segHeaderSize && w.segSize+int64(len(frames)) > w.o.SegmentSize ||
		w.plain && w.segSize > segHeaderSize && w.prepReady(w.segID+1)) {
		if _, err := w.rotate(); err != nil {
			w.fail(err)
			w.undurable = append(w.undurable, frames...)
			w.undurG = g
			return
		}
	}
	wstart := time.Now()
	n, err := w.f.Write(frames)
	w.o.Latency.Note(latency.EventWALWrite, time.Since(wstart))
	if err != nil || n != len(frames) {
		if err == nil {
			err = errors.New("short write")
		}
		// never leave a half frame: cut back to the last complete one
		w.f.Truncate(w.segSize)
		w.f.Seek(w.segSize, 0)
		w.fileSize = w.segSize
		w.slack.Store(0)
		w.fail(err)
		w.undurable = append(w.undurable, frames...)
		w.undurG = g
		return
	}
	w.segSize += int64(n)
	w.fileSize = max(w.fileSize, w.segSize)
	w.slack.Store(w.fileSize - w.segSize)
	if !w.plain && w.segSize-int64(n) <= w.o.SegmentSize/2 && w.segSize > w.o.SegmentSize/2 && w.Policy() == "always" {
		// half full: the next segment is prepared meanwhile (not at once, so
		// a log that grows slowly does not hold 64 MiB of zeros for nothing)
		w.startPrep(w.segID + 1)
	}
	w.undurG = g
	if w.Policy() != "no" {
		// kept until the fsync that covers them, to rewrite them elsewhere
		// if that fsync fails ("no" never fsyncs before a rotation)
		w.undurable = append(w.undurable, frames...)
	}
	w.stats.bytes.Add(int64(n))
	w.undurExp = len(w.undurable)
	if w.o.Export != nil {
		w.o.Export(frames)
	}
}

// clearUndurable forgets the bytes kept for a rewrite once they are durable.
func (w *WAL) clearUndurable() {
	w.undurable = w.undurable[:0]
	if cap(w.undurable) > 16<<20 {
		w.undurable = nil
	}
	w.undurExp = 0
}

// sync fsyncs the segment and publishes the watermark.
func (w *WAL) sync(g uint64) {
	if w.bg != nil {
		// one fsync at a time on a segment: a concurrent one could take
		// the other's error report (the kernel reports a writeback error
		// once per open file)
		if w.collectSync(true); w.failing != nil {
			return
		}
	}
	start := time.Now()
	err := w.datasync(w.f)
	d := time.Since(start)
	if err != nil {
		w.fail(fmt.Errorf("fsync: %w", err))
		return
	}
	w.noteSync(d)
	w.syncedSize = w.segSize
	w.clearUndurable()
	w.publish(max(g, w.undurG))
}

func (w *WAL) noteSync(d time.Duration) {
	w.lastSync = time.Now()
	w.stats.fsyncs.Add(1)
	w.stats.lastFsyncMicros.Store(d.Microseconds())
	w.stats.lastFsyncUnix.Store(w.lastSync.Unix())
	w.stats.fsyncNanos.Add(int64(d))
	w.stats.fsyncHist.Observe(d)
	w.o.Latency.Note(latency.EventFsync, d)
	if d > 2*time.Second {
		w.stats.slowFsyncs.Add(1)
		w.o.Log.Warn().Dur("took", d.Round(time.Microsecond)).Msg("WAL fsync is taking too long (disk is busy?)")
	}
}

func (w *WAL) fail(err error) {
	if w.failing == nil {
		w.o.Log.Error().Err(err).Str("segment", segName(w.segID)).
			Msg("WAL write failed: refusing writes until the log can be written again")
	}
	w.failing = err
	w.stats.writeErrors.Add(1)
	e := fmt.Errorf("MISCONF Errors writing to the WAL; writes are refused until the disk is writable again: %w", err)
	w.errp.Store(&e)
	msg := err.Error()
	w.stats.lastErr.Store(&msg)
	w.lastSync = time.Now()
	w.wakeWaiters()
}

// recover retries after a write or fsync error: the current segment is cut
// back to its last fsynced size (an fsync that failed is never trusted
// again), and every byte written since goes to a fresh segment, fsynced.
func (w *WAL) recover() {
	w.collectSync(true) // (a failed write may have come while one ran)
	w.lastSync = time.Now()
	if w.f != nil {
		// "no" keeps no copy of what it wrote (it trusts the page cache), so
		// only the frames whose write failed are cut and rewritten.
		keep := w.syncedSize
		if w.Policy() == "no" {
			keep = w.segSize
		}
		w.f.Truncate(keep)
		w.datasync(w.f)
		w.f.Close()
		w.f = nil
		w.slack.Store(0)
	}
	id := w.segID + 1
	// the prepared segment if there is one: its space is taken already,
	// so a disk that filled up can still hold what is rewritten there
	if err := w.openNext(id); err != nil {
		w.failing = err
		w.stats.writeErrors.Add(1)
		msg := err.Error()
		w.stats.lastErr.Store(&msg)
		return
	}
	if len(w.undurable) > 0 {
		n, err := w.f.Write(w.undurable)
		if err != nil || n != len(w.undurable) {
			w.f.Close()
			os.Remove(filepath.Join(w.o.Dir, segName(id)))
			w.f = nil
			if err == nil {
				err = errors.New("short write")
			}
			w.failing = err
			w.stats.writeErrors.Add(1)
			msg := err.Error()
			w.stats.lastErr.Store(&msg)
			return
		}
		w.segSize += int64(n)
		w.stats.bytes.Add(int64(n))
		if w.o.Export != nil && w.undurExp < len(w.undurable) {
			w.o.Export(w.undurable[w.undurExp:])
		}
		w.undurExp = len(w.undurable)
	}
	start := time.Now()
	if err := w.datasync(w.f); err != nil {
		w.failing = err
		w.stats.writeErrors.Add(1)
		return
	}
	w.noteSync(time.Since(start))
	w.syncedSize = w.segSize
	w.failing = nil
	w.errp.Store(nil)
	w.stats.lastErr.Store(nil)
	w.clearUndurable()
	w.publish(w.undurG)
	w.o.Log.Warn().Str("segment", segName(id)).Msg("WAL write error looks solved, writes are accepted again")
}

// rotate fsyncs and closes the current segment and opens the next one.
func (w *WAL) rotate() (uint64, error) {
	if w.failing != nil {
		return 0, w.failing
	}
	// the segment is never closed under the background syncer: it is
	// collected first, and the rest of the segment fsynced here
	if w.collectSync(true); w.failing != nil {
		return 0, w.failing
	}
	if w.f != nil {
		w.trimSegment() // a preallocated segment keeps its frames only
		start := time.Now()
		if err := w.datasync(w.f); err != nil {
			w.fail(fmt.Errorf("fsync: %w", err))
			return 0, err
		}
		w.noteSync(time.Since(start))
		w.f.Close()
		w.f = nil
		w.clearUndurable()
		w.publish(w.undurG)
	}
	if err := w.openNext(w.segID + 1); err != nil {
		w.fail(err)
		return 0, err
	}
	w.stats.rotations.Add(1)
	return w.segID, nil
}

// openSegment creates segment id with its header, fsyncs it and the directory.
func (w *WAL) openSegment(id uint64) error {
	path := filepath.Join(w.o.Dir, segName(id))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	h := segHeader(id, w.o.Shards)
	if _, err := f.Write(h[:]); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := datasync(f); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := syncDir(w.o.Dir); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	w.f, w.segID, w.segSize, w.syncedSize = f, id, segHeaderSize, segHeaderSize
	w.fileSize, w.plain = segHeaderSize, true
	w.slack.Store(0)
	w.stats.segID.Store(id)
	w.stats.segments.Add(1)
	if w.Policy() == "always" {
		w.startPrep(id + 1)
	}
	return nil
}

// openNext makes segment id the current one: the prepared one if it is
// ready (prealloc.go), else a plain one.
func (w *WAL) openNext(id uint64) error {
	f, size := w.takePrep(id)
	if f == nil {
		return w.openSegment(id)
	}
	w.f, w.segID, w.segSize, w.syncedSize = f, id, segHeaderSize, segHeaderSize
	w.fileSize, w.plain = size, false
	w.slack.Store(size - segHeaderSize)
	w.stats.segID.Store(id)
	w.stats.segments.Add(1)
	return nil // the next is prepared once this one is half full
}

// Slack is the unused preallocated space at the end of the current
// segment (INFO's aof_current_size leaves it out).
func (w *WAL) Slack() int64 {
	if w == nil || w.disabled {
		return 0
	}
	return w.slack.Load()
}

// NextSegment is the id the next segment in dir would get (Open starts
// there): a snapshot taken without a WAL names it as its first uncovered
// segment, so a later replay skips every older segment, which the snapshot
// supersedes.
func NextSegment(dir string) (uint64, error) {
	segs, err := listSegments(dir)
	if err != nil || len(segs) == 0 {
		return 1, err
	}
	return segs[len(segs)-1].id + 1, nil
}

func segName(id uint64) string { return fmt.Sprintf("%020d.wal", id) }

type segFile struct {
	id   uint64
	path string
}

func listSegments(dir string) ([]segFile, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []segFile
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".wal") {
			continue
		}
		id, err := strconv.ParseUint(strings.TrimSuffix(n, ".wal"), 10, 64)
		if err != nil {
			continue
		}
		out = append(out, segFile{id, filepath.Join(dir, n)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out, nil
}

// Stats are the figures INFO persistence shows.
type Stats struct {
	Enabled                                bool
	Policy, Compression                    string
	Records, Bytes, RawBytes, Frames       int64
	Segment                                uint64
	Segments, Rotations                    int64
	Fsyncs, LastFsyncMicros, LastFsyncUnix int64
	DelayedFsyncs                          int64 // rounds written while a background fsync had run for over 2 s
	SlowFsyncs                             int64 // fsyncs that took over 2 s
	PendingFsync                           bool  // the everysec fsync is running in the background
	QueueBytes, QueueRecords, Pending      int64
	QueueWaits                             int64 // times a writer waited for room in a full queue
	LoopCommits                            int64 // rounds written and fsynced by an event loop (EndBatch)
	LastLSN, DurableLSN                    uint64
	LastError                              string
	FsyncNanos                             int64 // time spent in fsync, all fsyncs
	WriteErrors                            int64 // failed writes and fsyncs
}

// FsyncLatency is the histogram of fsync durations.
func (w *WAL) FsyncLatency() *latency.Snapshot { return w.stats.fsyncHist.Snapshot() }

// Stats returns the WAL's counters.
func (w *WAL) Stats() Stats {
	st := Stats{Enabled: !w.disabled, Policy: w.Policy(), Compression: w.o.Compression,
		Records: w.stats.records.Load(), Bytes: w.stats.bytes.Load(), RawBytes: w.stats.rawBytes.Load(),
		Frames: w.stats.frames.Load(), Segment: w.stats.segID.Load(), Segments: w.stats.segments.Load(),
		Rotations: w.stats.rotations.Load(), Fsyncs: w.stats.fsyncs.Load(), LastFsyncMicros: w.stats.lastFsyncMicros.Load(),
		LastFsyncUnix: w.stats.lastFsyncUnix.Load(), DelayedFsyncs: w.stats.delayedFsyncs.Load(), PendingFsync: w.bgRunning.Load(), SlowFsyncs: w.stats.slowFsyncs.Load(),
		LastLSN: w.lsn.Load(), DurableLSN: w.DurableLSN(), QueueWaits: w.waits.Load(),
		LoopCommits: w.loopCommits.Load(), FsyncNanos: w.stats.fsyncNanos.Load(), WriteErrors: w.stats.writeErrors.Load()}
	if st.Compression == "" {
		st.Compression = "none"
	}
	for _, q := range w.queues {
		st.QueueBytes += q.bytes.Load()
		st.QueueRecords += q.recs.Load()
	}
	st.Pending = int64(st.LastLSN - st.DurableLSN)
	if p := w.stats.lastErr.Load(); p != nil {
		st.LastError = *p
	}
	return st
}
