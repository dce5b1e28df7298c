package persistence

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// slowDisk is a disk whose segment fsyncs block until the test lets each
// one through (release: one token per fsync, its error; free: closed, every
// fsync passes).
type slowDisk struct {
	entered chan struct{} // one per fsync that began
	release chan error
	free    chan struct{}
	calls   atomic.Int64
}

func newSlowDisk() *slowDisk {
	return &slowDisk{entered: make(chan struct{}, 100), release: make(chan error), free: make(chan struct{})}
}

func (d *slowDisk) fdatasync(f *os.File) error {
	d.calls.Add(1)
	select {
	case d.entered <- struct{}{}:
	default:
	}
	select {
	case err := <-d.release:
		if err != nil {
			return err
		}
	case <-d.free:
	}
	return datasync(f)
}

func (d *slowDisk) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-d.entered:
	case <-time.After(20 * time.Second):
		t.Fatal("no fsync began")
	}
}

// exportLog counts what the WAL exported: records (from the frame
// headers) and the Exported watermark, as the replication hub sees them.
type exportLog struct {
	mu      sync.Mutex
	records int
	mark    atomic.Uint64
}

func (e *exportLog) export(frames []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(frames) >= frameHdrSize {
		stored := int(binary.LittleEndian.Uint32(frames[4:]))
		e.records += int(binary.LittleEndian.Uint32(frames[12:]))
		n := (frameHdrSize + stored + 7) &^ 7
		frames = frames[n:]
	}
}

func (e *exportLog) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.records
}

func openSlow(t *testing.T, dir string, d *slowDisk, e *exportLog, segSize int64) *WAL {
	t.Helper()
	w, err := Open(Options{Dir: dir, Shards: 2, Fsync: "everysec", SegmentSize: segSize, Log: zerolog.New(io.Discard),
		Export: e.export, Exported: func(lsn uint64) { e.mark.Store(max(e.mark.Load(), lsn)) }, fdatasync: d.fdatasync})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func record(w *WAL, key string, size int) uint64 {
	w.Queue(len(key)%2).Record(OpSet, 0, []byte(key), []byte(strings.Repeat("v", size)), 0)
	return w.LastLSN()
}

func checkKeys(t *testing.T, dir string, want []string) {
	t.Helper()
	recs, _, err := readAll(t, dir, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, string(r.Key))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("log holds %v, want %v", got, want)
	}
}

// TestEverysecWritesDuringSlowFsync: under everysec the fsync runs in the
// background: while it is in progress, later frames are written to the
// segment and exported (replicas and export subscribers get them), and the
// durable LSN never passes what was written before the fsync began.
func TestEverysecWritesDuringSlowFsync(t *testing.T) {
	dir := t.TempDir()
	d, e := newSlowDisk(), &exportLog{}
	w := openSlow(t, dir, d, e, 64<<20)
	lsnA := record(w, "a", 10)
	d.waitEntered(t) // the first everysec fsync, covering a
	if !w.Stats().PendingFsync {
		t.Fatal("Stats().PendingFsync is false while the fsync runs")
	}
	var keys = []string{"a"}
	var lsnB uint64
	for i := 0; i < 50; i++ {
		k := fmt.Sprintf("b%d", i)
		lsnB = record(w, k, 100)
		keys = append(keys, k)
	}
	waitFor(t, "the frames written during the fsync to be exported", func() bool { return e.mark.Load() >= lsnB })
	if n := e.count(); n != len(keys) {
		t.Fatalf("%d records exported, want %d", n, len(keys))
	}
	checkKeys(t, dir, keys) // in the segment, not only in memory
	if got := w.DurableLSN(); got != 0 {
		t.Fatalf("DurableLSN %d while the only fsync is still running", got)
	}

	d.release <- nil
	waitFor(t, "the fsync to publish a", func() bool { return w.DurableLSN() >= lsnA })
	// The next fsync (a second after the first began) waits for a token:
	// nothing written after the first one began may count as durable.
	if got := w.DurableLSN(); got >= lsnA+1 {
		t.Fatalf("DurableLSN %d passed what was written before the fsync began (%d)", got, lsnA)
	}
	d.waitEntered(t)
	if got := w.DurableLSN(); got != lsnA {
		t.Fatalf("DurableLSN %d during the second fsync, want %d", got, lsnA)
	}
	close(d.free)
	waitFor(t, "the second fsync to publish the b keys", func() bool { return w.DurableLSN() >= lsnB })
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Stats().PendingFsync {
		t.Fatal("an fsync is still pending after Close")
	}
	checkKeys(t, dir, keys)
}

// TestEverysecBackgroundFsyncFails: a failed background fsync refuses
// writes (MISCONF) as an inline one did; the writer recovers by rewriting
// every frame since the last good fsync (those written during the failed
// one too) into a fresh segment, each exported once, and writes come back.
func TestEverysecBackgroundFsyncFails(t *testing.T) {
	dir := t.TempDir()
	d, e := newSlowDisk(), &exportLog{}
	w := openSlow(t, dir, d, e, 64<<20)
	record(w, "a", 10)
	d.waitEntered(t)
	lsnB := record(w, "b", 10)
	waitFor(t, "b to be exported", func() bool { return e.mark.Load() >= lsnB })
	d.release <- errors.New("injected EIO")
	waitFor(t, "MISCONF", func() bool { return w.Err() != nil })
	if err := w.Err(); !strings.HasPrefix(err.Error(), "MISCONF ") || !strings.Contains(err.Error(), "injected EIO") {
		t.Fatalf("Err() = %v", err)
	}
	if got := w.DurableLSN(); got != 0 {
		t.Fatalf("DurableLSN %d after the only fsync failed", got)
	}
	close(d.free)
	waitFor(t, "writes to come back", func() bool { return w.Err() == nil })
	if got := w.DurableLSN(); got < lsnB {
		t.Fatalf("DurableLSN %d after recovery, want >= %d", got, lsnB)
	}
	lsnC := record(w, "c", 10)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.DurableLSN() < lsnC {
		t.Fatalf("DurableLSN %d after Close, want %d", w.DurableLSN(), lsnC)
	}
	if n := e.count(); n != 3 {
		t.Fatalf("%d records exported, want 3 (each once)", n)
	}
	checkKeys(t, dir, []string{"a", "b", "c"})
	if st := w.Stats(); st.WriteErrors == 0 {
		t.Fatal("the failed fsync is not counted in WriteErrors")
	}
}

// TestEverysecRotateDuringFsync: the segment is never closed under the
// background fsync: past its size, it grows while the fsync runs (frames
// keep being written and exported) and rotates after it.
func TestEverysecRotateDuringFsync(t *testing.T) {
	dir := t.TempDir()
	d, e := newSlowDisk(), &exportLog{}
	w := openSlow(t, dir, d, e, 4096)
	record(w, "a", 10)
	d.waitEntered(t)
	keys := []string{"a"}
	var last uint64
	for i := 0; i < 6; i++ { // past the segment size
		k := fmt.Sprintf("big%d", i)
		last = record(w, k, 2000)
		keys = append(keys, k)
	}
	waitFor(t, "the frames past the segment size to be exported", func() bool { return e.mark.Load() >= last })
	if n := w.Stats().Rotations; n != 0 {
		t.Fatalf("%d rotations while the fsync ran", n)
	}
	checkKeys(t, dir, keys)
	d.release <- nil
	close(d.free)
	for i := 0; w.Stats().Rotations == 0; i++ {
		if i == 100 {
			t.Fatal("no rotation after the fsync")
		}
		k := fmt.Sprintf("after%d", i)
		last = record(w, k, 2000)
		keys = append(keys, k)
		waitFor(t, k+" to be exported", func() bool { return e.count() == len(keys) })
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.DurableLSN() < last {
		t.Fatalf("DurableLSN %d after Close, want %d", w.DurableLSN(), last)
	}
	checkKeys(t, dir, keys)
}

// TestEverysecToAlwaysWaitsForBackgroundFsync: switched to always while a
// background fsync runs, a write is acknowledged only after an fsync of its
// own that began once the background one was done (never two at once).
func TestEverysecToAlwaysWaitsForBackgroundFsync(t *testing.T) {
	dir := t.TempDir()
	d, e := newSlowDisk(), &exportLog{}
	w := openSlow(t, dir, d, e, 64<<20)
	lsnA := record(w, "a", 10)
	d.waitEntered(t)
	if err := w.SetPolicy("always"); err != nil {
		t.Fatal(err)
	}
	lsnB := record(w, "b", 10)
	acked := make(chan error, 1)
	go func() { acked <- w.WaitDurable(lsnB, 20*time.Second) }()
	// (always exports before its fsync, and reports the watermark after it)
	waitFor(t, "b to be exported", func() bool { return e.count() == 2 })
	select {
	case err := <-acked:
		t.Fatalf("b acknowledged (%v) while the only fsync, begun before it was written, still runs", err)
	default:
	}
	if n := d.calls.Load(); n != 1 {
		t.Fatalf("%d fsyncs began while the background one ran", n)
	}
	d.release <- nil // the background one: a only
	waitFor(t, "a to be durable", func() bool { return w.DurableLSN() >= lsnA })
	d.waitEntered(t) // always's own fsync, after the background one
	if got := w.DurableLSN(); got >= lsnB {
		t.Fatalf("DurableLSN %d covers b before its fsync returned", got)
	}
	d.release <- nil
	if err := <-acked; err != nil {
		t.Fatal(err)
	}
	close(d.free)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, dir, []string{"a", "b"})
}
