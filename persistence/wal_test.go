package persistence

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func openTest(t testing.TB, dir string, policy, codec string, segSize int64, shards int) *WAL {
	t.Helper()
	w, err := Open(Options{Dir: dir, Shards: shards, Fsync: policy, Compression: codec, SegmentSize: segSize, Log: zerolog.New(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func readAll(t testing.TB, dir string, opts ReadOptions) ([]Record, ReadResult, error) {
	t.Helper()
	var out []Record
	opts.Log = zerolog.New(io.Discard)
	res, err := ReadDir(dir, opts, func(r *Record) error {
		c := *r
		c.Key = append([]byte(nil), r.Key...)
		c.Value = append([]byte(nil), r.Value...)
		out = append(out, c)
		return nil
	})
	return out, res, err
}

func TestRecordRoundTrip(t *testing.T) {
	cases := []Record{
		{Op: OpSet, LSN: 1, Key: []byte("k"), Value: []byte("v")},
		{Op: OpSet, LSN: 1 << 40, Key: []byte{}, Value: []byte{}, ExpireAt: 1700000000123},
		{Op: OpDel, LSN: 7, Key: []byte("gone")},
		{Op: OpExpire, LSN: 8, Key: []byte("k"), ExpireAt: -5},
		{Op: OpPersist, LSN: 9, Key: []byte("k")},
		{Op: OpFlush, LSN: 10},
		{Op: OpSetRange, LSN: 11, Key: []byte("log"), Value: []byte("+more"), Offset: 1 << 20},
		{Op: OpSetRange, LSN: 12, Key: []byte("k"), Value: []byte{}, Offset: 0},
	}
	for _, c := range cases {
		b := appendRecord(nil, c.Op, c.LSN, c.DB, c.Key, c.Value, c.Num())
		var r Record
		n, err := decodeRecord(b, &r)
		if err != nil || n != len(b) || r.Op != c.Op || r.LSN != c.LSN || string(r.Key) != string(c.Key) ||
			string(r.Value) != string(c.Value) || r.ExpireAt != c.ExpireAt || r.Offset != c.Offset {
			t.Fatalf("%+v -> %+v (%v)", c, r, err)
		}
		for cut := 0; cut < len(b); cut++ {
			if _, err := decodeRecord(b[:cut], &r); err == nil && cut < len(b) && (c.Op == OpSet || c.Op == OpSetRange) {
				t.Fatalf("truncated record at %d decoded", cut)
			}
		}
	}
}

// TestWriteReadConcurrent: concurrent writers on every shard plus
// multi-shard transactions; every record comes back, per-shard order is LSN
// order, and each transaction sits whole in one frame.
func TestWriteReadConcurrent(t *testing.T) {
	for _, codec := range []string{"none", "s2", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			dir := t.TempDir()
			const shards = 8
			w := openTest(t, dir, "everysec", codec, 16<<10, shards)
			var locks [shards]sync.Mutex
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					for i := 0; i < 2000; i++ {
						s := (g + i) % shards
						if i%50 == 0 {
							// a transaction over shards s and s+1
							a, b := s, (s+1)%shards
							if a > b {
								a, b = b, a
							}
							locks[a].Lock()
							locks[b].Lock()
							tx := w.NewTxn()
							tx.Record(OpSet, 0, []byte(fmt.Sprintf("tx:%d:%d:a", g, i)), []byte("x"), 0)
							tx.Record(OpSet, 0, []byte(fmt.Sprintf("tx:%d:%d:b", g, i)), []byte("x"), 0)
							w.Commit(tx, []int{a, b})
							locks[b].Unlock()
							locks[a].Unlock()
							continue
						}
						locks[s].Lock()
						w.Queue(s).Record(OpSet, 0, []byte(fmt.Sprintf("g%d:%d", g, i)), []byte(fmt.Sprintf("value-%d", i)), 0)
						locks[s].Unlock()
					}
				}(g)
			}
			wg.Wait()
			last := w.LastLSN()
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			recs, res, err := readAll(t, dir, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if uint64(len(recs)) != last || res.MaxLSN != last {
				t.Fatalf("read %d records, max LSN %d; wrote %d", len(recs), res.MaxLSN, last)
			}
			seen := map[uint64]bool{}
			// Each shard's records (its own and its part of transactions)
			// are in the log in the order the shard applied them.
			var lastOfShard [shards]uint64
			for _, r := range recs {
				if seen[r.LSN] {
					t.Fatalf("LSN %d twice", r.LSN)
				}
				seen[r.LSN] = true
				var g, i int
				var part string
				var touched []int
				if _, err := fmt.Sscanf(string(r.Key), "g%d:%d", &g, &i); err == nil {
					touched = []int{(g + i) % shards}
				} else if _, err := fmt.Sscanf(string(r.Key), "tx:%d:%d:%s", &g, &i, &part); err == nil {
					touched = []int{(g + i) % shards, (g + i + 1) % shards}
				} else {
					t.Fatalf("unexpected key %q", r.Key)
				}
				for _, s := range touched {
					if r.LSN < lastOfShard[s] {
						t.Fatalf("shard %d: LSN %d written after %d", s, r.LSN, lastOfShard[s])
					}
					lastOfShard[s] = r.LSN
				}
			}
			if res.Segments < 2 {
				t.Fatalf("expected rotations, got %d segments", res.Segments)
			}
		})
	}
}

// TestTxnInOneFrame: cutting the log inside a transaction's frame drops the
// whole transaction, never half of it.
func TestTxnAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	w := openTest(t, dir, "always", "none", 64<<20, 4)
	w.Queue(0).Record(OpSet, 0, []byte("before"), []byte("1"), 0)
	w.Flush()
	tx := w.NewTxn()
	for i := 0; i < 4; i++ {
		tx.Record(OpSet, 0, []byte(fmt.Sprintf("k%d", i)), []byte("v"), 0)
	}
	w.Commit(tx, []int{0, 1, 2, 3})
	w.Close()
	seg := filepath.Join(dir, segName(1))
	data, _ := os.ReadFile(seg)
	for cut := len(data) - 1; cut > segHeaderSize; cut-- {
		os.WriteFile(seg, data[:cut], 0o644)
		recs, _, err := readAll(t, dir, ReadOptions{})
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		n := 0
		for _, r := range recs {
			if r.Key[0] == 'k' {
				n++
			}
		}
		if n != 0 && n != 4 {
			t.Fatalf("cut at %d replays %d of 4 transaction records", cut, n)
		}
	}
}

// TestTornTailEveryOffset cuts the last segment at every byte of its last
// two frames: the read succeeds, reports the torn bytes and returns every
// record before the cut.
func TestTornTailEveryOffset(t *testing.T) {
	dir := t.TempDir()
	w := openTest(t, dir, "always", "s2", 64<<20, 2)
	for i := 0; i < 50; i++ {
		w.Queue(i%2).Record(OpSet, 0, []byte(fmt.Sprintf("key%03d", i)), []byte("some value that compresses value value"), 0)
		if i%10 == 9 {
			w.Flush()
		}
	}
	w.Close()
	seg := filepath.Join(dir, segName(1))
	data, _ := os.ReadFile(seg)
	full, _, _ := readAll(t, dir, ReadOptions{ReadOnly: true})
	if len(full) != 50 {
		t.Fatalf("got %d records", len(full))
	}
	// frame boundaries
	var bounds []int
	off := segHeaderSize
	var fr frameReader
	for off < len(data) {
		n, _, why := fr.frame(data[off:])
		if why != "" {
			t.Fatal(why)
		}
		bounds = append(bounds, off)
		off += n
	}
	startCut := bounds[len(bounds)-2]
	for cut := startCut; cut < len(data); cut++ {
		os.WriteFile(seg, data[:cut], 0o644)
		recs, res, err := readAll(t, dir, ReadOptions{ReadOnly: true})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if res.TornBytes > int64(cut-startCut) {
			t.Fatalf("cut at %d: %d torn bytes reported", cut, res.TornBytes)
		}
		if len(recs) < 30 || len(recs) > 50 {
			t.Fatalf("cut at %d: %d records", cut, len(recs))
		}
	}
	// zero-filled tail (a preallocated segment's unused end, or power loss
	// after the size was extended): the clean end of the frames, trimmed
	os.WriteFile(seg, append(append([]byte(nil), data...), make([]byte, 4096)...), 0o644)
	recs, res, err := readAll(t, dir, ReadOptions{})
	if err != nil || len(recs) != 50 || res.TornBytes != 0 {
		t.Fatalf("zero tail: %d records, torn %d, %v", len(recs), res.TornBytes, err)
	}
	if st, _ := os.Stat(seg); st.Size() != int64(len(data)) {
		t.Fatalf("zero tail not truncated: %d", st.Size())
	}
}

// TestCorruptionMidLog: a flipped byte before a valid frame, or in a
// non-last segment, is an error naming segment and offset; repair keeps
// every record before the damage.
func TestCorruptionMidLog(t *testing.T) {
	dir := t.TempDir()
	w := openTest(t, dir, "everysec", "none", 8<<10, 1)
	for i := 0; i < 3000; i++ {
		w.Queue(0).Record(OpSet, 0, []byte(fmt.Sprintf("key%05d", i)), []byte("0123456789"), 0)
		if i%100 == 99 {
			w.Flush()
		}
	}
	w.Close()
	segs, _ := listSegments(dir)
	if len(segs) < 3 {
		t.Fatalf("%d segments", len(segs))
	}
	victim := segs[1].path
	data, _ := os.ReadFile(victim)
	data[segHeaderSize+100] ^= 0xFF
	os.WriteFile(victim, data, 0o644)
	_, _, err := readAll(t, dir, ReadOptions{})
	ce, ok := err.(*CorruptError)
	if !ok || ce.Segment != filepath.Base(victim) || ce.Offset != segHeaderSize {
		t.Fatalf("got %v", err)
	}
	recs, res, err := readAll(t, dir, ReadOptions{Repair: true})
	if err != nil || res.RepairedBytes == 0 {
		t.Fatalf("repair: %v %+v", err, res)
	}
	for i, r := range recs {
		if string(r.Key) != fmt.Sprintf("key%05d", i) {
			t.Fatalf("record %d is %s", i, r.Key)
		}
	}
	if _, err := os.Stat(victim + ".broken"); err != nil {
		t.Fatal("no .broken copy")
	}
	// after repair the log reads cleanly
	if _, _, err := readAll(t, dir, ReadOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestCorruptPadding: a frame's padding (zeros up to 8 bytes, outside the
// checksum) with a byte flipped is damage like any other: an error naming
// segment and offset, and repair keeps every record before it.
func TestCorruptPadding(t *testing.T) {
	dir := t.TempDir()
	w := openTest(t, dir, "everysec", "none", 64<<20, 1)
	for i := 0; i < 40; i++ {
		w.Queue(0).Record(OpSet, 0, []byte(fmt.Sprintf("key%03d", i)), []byte("v"), 0)
		w.Flush() // a frame per record
	}
	w.Close()
	seg := filepath.Join(dir, segName(1))
	data, _ := os.ReadFile(seg)
	// the first frame past the middle that has padding
	var fr frameReader
	victim, padAt, kept := -1, -1, 0
	for off := segHeaderSize; off < len(data); {
		n, recs, why := fr.frame(data[off:])
		if why != "" {
			t.Fatal(why)
		}
		stored := int(binary.LittleEndian.Uint32(data[off+4:]))
		if off > len(data)/2 && frameHdrSize+stored < n {
			victim, padAt = off, off+frameHdrSize+stored
			break
		}
		kept += len(recs)
		off += n
	}
	if victim < 0 {
		t.Fatal("no frame with padding")
	}
	data[padAt] = 0x01
	os.WriteFile(seg, data, 0o644)
	_, _, err := readAll(t, dir, ReadOptions{})
	ce, ok := err.(*CorruptError)
	if !ok || ce.Offset != int64(victim) {
		t.Fatalf("a flipped padding byte at %d (frame at %d): %v", padAt, victim, err)
	}
	recs, _, err := readAll(t, dir, ReadOptions{Repair: true})
	if err != nil || len(recs) != kept {
		t.Fatalf("repair: %d records (want the %d before the damage), %v", len(recs), kept, err)
	}
	for i, r := range recs {
		if string(r.Key) != fmt.Sprintf("key%03d", i) {
			t.Fatalf("record %d is %s", i, r.Key)
		}
	}
}

// TestGroupCommit: with always, WaitDurable returns after the fsync, and
// concurrent writers share fsyncs.
func TestGroupCommit(t *testing.T) {
	dir := t.TempDir()
	w := openTest(t, dir, "always", "none", 64<<20, 4)
	var wg sync.WaitGroup
	const writers, each = 16, 100
	var mu sync.Mutex
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				q := w.Queue(g % 4)
				mu.Lock()
				q.Record(OpSet, 0, []byte(fmt.Sprintf("%d:%d", g, i)), []byte("v"), 0)
				mu.Unlock()
				lsn := w.LastLSN()
				if err := w.WaitDurable(lsn, 10*time.Second); err != nil {
					t.Error(err)
					return
				}
				if w.DurableLSN() < lsn {
					t.Error("returned before durable")
				}
			}
		}(g)
	}
	wg.Wait()
	st := w.Stats()
	w.Close()
	if st.Fsyncs >= writers*each {
		t.Fatalf("%d fsyncs for %d writes: no group commit", st.Fsyncs, writers*each)
	}
	t.Logf("%d writes, %d fsyncs", writers*each, st.Fsyncs)
}

func TestBackpressure(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(Options{Dir: dir, Shards: 1, Fsync: "no", QueueBytes: 4096, Log: zerolog.New(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20000; i++ {
		w.Queue(0).WaitRoom()
		w.Queue(0).Record(OpSet, 0, []byte(fmt.Sprintf("k%d", i)), make([]byte, 100), 0)
		if b := w.Queue(0).bytes.Load(); b > 4096+200 {
			t.Fatalf("queue grew to %d bytes past its bound", b)
		}
	}
	w.Close()
	recs, _, err := readAll(t, dir, ReadOptions{})
	if err != nil || len(recs) != 20000 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
}

// TestTxnBackpressure: transactions count against the bound of every queue
// they are committed to, so writers that wait for room (as MSET does) cannot
// pile up transactions faster than the writer drains them, and a long queue
// of transactions is drained whole and in order.
func TestTxnBackpressure(t *testing.T) {
	dir := t.TempDir()
	const shards, bound = 4, 4096
	w, err := Open(Options{Dir: dir, Shards: shards, Fsync: "no", QueueBytes: bound, Log: zerolog.New(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	var locks [shards]sync.Mutex
	var wg sync.WaitGroup
	const writers, each = 4, 5000
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				a, b := (g+i)%shards, (g+i+1)%shards
				if a > b {
					a, b = b, a
				}
				w.Queue(a).WaitRoom()
				w.Queue(b).WaitRoom()
				locks[a].Lock()
				locks[b].Lock()
				tx := w.NewTxn()
				tx.Record(OpSet, 0, []byte(fmt.Sprintf("%d:%d:a", g, i)), make([]byte, 100), 0)
				tx.Record(OpSet, 0, []byte(fmt.Sprintf("%d:%d:b", g, i)), make([]byte, 100), 0)
				w.Commit(tx, []int{a, b})
				locks[b].Unlock()
				locks[a].Unlock()
				// Each transaction is over 100 bytes on each of its queues,
				// so a queue holds at most bound/100 of them, plus one per
				// writer that passed WaitRoom before the others committed.
				for _, qi := range []int{a, b} {
					q := w.Queue(qi)
					q.mu.Lock()
					pending := len(q.marks) - q.mhead
					q.mu.Unlock()
					if pending > bound/100+writers {
						t.Errorf("queue %d holds %d transactions; its bound allows %d", qi, pending, bound/100+writers)
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs, _, err := readAll(t, dir, ReadOptions{})
	if err != nil || len(recs) != 2*writers*each {
		t.Fatalf("%d records (want %d), %v", len(recs), 2*writers*each, err)
	}
	for i := 1; i < len(recs); i += 2 {
		if recs[i].LSN != recs[i-1].LSN+1 || recs[i].Key[len(recs[i].Key)-1] != 'b' {
			t.Fatalf("transaction split: %q (LSN %d) then %q (LSN %d)", recs[i-1].Key, recs[i-1].LSN, recs[i].Key, recs[i].LSN)
		}
	}
}

func FuzzDecodeFrame(f *testing.F) {
	w := &WAL{o: Options{}, codec: codecS2}
	w.payload = appendRecord(nil, OpSet, 5, 0, []byte("key"), []byte("value value value value value value value value value value value value value value value value value value value value value value value value value value value value value value value value value value value value value value value value value value value value value"), 0)
	w.encodeFrame(1, 5, 5)
	f.Add(append([]byte(nil), w.frames...))
	f.Add([]byte{})
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeFrame(b) // must not panic
	})
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(appendRecord(nil, OpSet, 1, 0, []byte("k"), []byte("v"), 123))
	f.Add(appendRecord(nil, OpFlush, 1, 0, nil, nil, 0))
	f.Add(appendRecord(nil, OpSetRange, 2, 0, []byte("k"), []byte("part"), 1<<20))
	f.Add([]byte{1, 0, 0xff, 0xff, 0xff})
	f.Add(appendRecord(nil, OpHSet, 3, 7, []byte("h"), AppendItem(AppendItem(nil, []byte("f")), []byte("v")), 0))
	f.Add(appendRecord(nil, OpSwapDB, 4, 1, nil, nil, 2))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Record
		n, err := decodeRecord(b, &r)
		if err == nil && (n > len(b) || len(r.Key) > len(b)) {
			t.Fatal("decoded past the input")
		}
	})
}

func BenchmarkQueueRecord(b *testing.B) {
	dir := b.TempDir()
	w := openTest(b, dir, "no", "s2", 64<<20, 1)
	defer w.Close()
	key, val := []byte("key:000000001234"), make([]byte, 64)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		w.Queue(0).WaitRoom()
		w.Queue(0).Record(OpSet, 0, key, val, 0)
	}
}

func BenchmarkEncodeFrame(b *testing.B) {
	for _, codec := range []byte{codecNone, codecS2, codecZstd} {
		b.Run(fmt.Sprint(codec), func(b *testing.B) {
			w := &WAL{codec: codec}
			if codec == codecZstd {
				w, _ = Open(Options{Dir: b.TempDir(), Shards: 1, Fsync: "no", Compression: "zstd", Log: zerolog.New(io.Discard)})
				defer w.Close()
			}
			var payload []byte
			for i := 0; i < 1000; i++ {
				payload = appendRecord(payload, OpSet, uint64(i), 0, []byte(fmt.Sprintf("key:%012d", i)), []byte("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), 0)
			}
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				w.payload = append(w.payload[:0], payload...)
				w.frames = w.frames[:0]
				w.encodeFrame(1000, 1, 1000)
			}
			b.ReportMetric(float64(len(w.frames))/float64(len(payload)), "ratio")
		})
	}
}

// TestEndBatchCommitsInline: an event loop that ends its batch with
// connections waiting (appendfsync always) writes and fsyncs the batch
// itself when the writer goroutine is idle, so on return the batch is
// durable without a hand-off; records held during the batch are not lost.
func TestEndBatchCommitsInline(t *testing.T) {
	dir := t.TempDir()
	w := openTest(t, dir, "always", "s2", 64<<20, 4)
	inline := 0
	for batch := 0; batch < 50; batch++ {
		w.HoldSignals()
		for i := 0; i < 4; i++ {
			w.Queue(i).Record(OpSet, 0, []byte(fmt.Sprintf("b%d:%d", batch, i)), []byte("v"), 0)
		}
		last := w.LastLSN()
		fsyncs := w.Stats().Fsyncs
		if w.EndBatch(true) {
			inline++
			if d := w.DurableLSN(); d < last {
				t.Fatalf("batch %d committed inline but durable LSN is %d < %d", batch, d, last)
			}
			if w.Stats().Fsyncs != fsyncs+1 {
				t.Fatalf("batch %d committed inline with %d fsyncs", batch, w.Stats().Fsyncs-fsyncs)
			}
		} else if err := w.WaitDurable(last, 10*time.Second); err != nil {
			t.Fatal(err) // the writer goroutine had the log: it commits the batch
		}
	}
	if inline == 0 {
		t.Fatal("no batch was committed inline")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs, _, err := readAll(t, dir, ReadOptions{})
	if err != nil || len(recs) != 200 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
}

// TestEndBatchNotInlineWhileFollowed: with export subscribers attached a
// publish may block, so the event loop leaves the round to the writer
// goroutine; the batch still becomes durable.
func TestEndBatchNotInlineWhileFollowed(t *testing.T) {
	dir := t.TempDir()
	var exported atomic.Int64
	w, err := Open(Options{Dir: dir, Shards: 2, Fsync: "always", Log: zerolog.New(io.Discard),
		Export:   func(frames []byte) { exported.Add(int64(len(frames))) },
		Followed: func() bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for batch := 0; batch < 20; batch++ {
		w.HoldSignals()
		w.Queue(batch%2).Record(OpSet, 0, []byte(fmt.Sprintf("k%d", batch)), []byte("v"), 0)
		if w.EndBatch(true) {
			t.Fatal("committed on the event loop while followed")
		}
		if err := w.WaitDurable(w.LastLSN(), 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if exported.Load() == 0 {
		t.Fatal("nothing exported")
	}
}

// TestEndBatchConcurrentLoops: several "event loops" commit their own
// batches (inline when they get the log, else through the writer
// goroutine) while others queue single records and transactions; every
// record they waited for is durable when WaitDurable returns, and the log
// holds every record once, each shard's in order.
func TestEndBatchConcurrentLoops(t *testing.T) {
	dir := t.TempDir()
	const shards, loops, batches = 4, 4, 150
	w := openTest(t, dir, "always", "s2", 64<<10, shards)
	var locks [shards]sync.Mutex
	var wg sync.WaitGroup
	var inline atomic.Int64
	for l := 0; l < loops; l++ {
		wg.Add(1)
		go func(l int) {
			defer wg.Done()
			for b := 0; b < batches; b++ {
				w.HoldSignals()
				for i := 0; i < 3; i++ {
					s := (l + b + i) % shards
					locks[s].Lock()
					w.Queue(s).Record(OpSet, 0, []byte(fmt.Sprintf("g%d:%d", l, b*3+i)), []byte("v"), 0)
					locks[s].Unlock()
				}
				if b%10 == 0 {
					a, c := (l+b)%shards, (l+b+1)%shards
					if a > c {
						a, c = c, a
					}
					locks[a].Lock()
					locks[c].Lock()
					tx := w.NewTxn()
					tx.Record(OpSet, 0, []byte(fmt.Sprintf("tx:%d:%d:a", l, b)), []byte("x"), 0)
					tx.Record(OpSet, 0, []byte(fmt.Sprintf("tx:%d:%d:b", l, b)), []byte("x"), 0)
					w.Commit(tx, []int{a, c})
					locks[c].Unlock()
					locks[a].Unlock()
				}
				last := w.LastLSN()
				if w.EndBatch(true) {
					inline.Add(1)
				}
				if err := w.WaitDurable(last, 10*time.Second); err != nil {
					t.Error(err)
					return
				}
			}
		}(l)
	}
	wg.Wait()
	want := w.LastLSN()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs, _, err := readAll(t, dir, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(recs)) != want {
		t.Fatalf("%d records in the log, %d written", len(recs), want)
	}
	seen := map[uint64]bool{}
	for _, r := range recs {
		if seen[r.LSN] {
			t.Fatalf("LSN %d twice", r.LSN)
		}
		seen[r.LSN] = true
	}
	if inline.Load() == 0 {
		t.Fatal("no batch was committed by a loop")
	}
	t.Logf("%d of %d batches committed by their loop", inline.Load(), loops*batches)
}

// Segments covered by a snapshot are removed through a *.wal.removing name
// (truncated in steps, then unlinked); the log after them reads back whole,
// and a *.removing file a crash left behind is deleted at the next start.
func TestRemoveSegmentsGradually(t *testing.T) {
	dir := t.TempDir()
	w := openTest(t, dir, "no", "none", 64<<10, 1)
	for i := 0; i < 3000; i++ {
		w.Queue(0).Record(OpSet, 0, []byte(fmt.Sprintf("k%d", i)), bytes.Repeat([]byte("v"), 100), 0)
		if i%300 == 299 {
			if err := w.Flush(); err != nil { // a frame of ~33 KB: a new segment every two
				t.Fatal(err)
			}
		}
	}
	keep, err := w.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		w.Queue(0).Record(OpSet, 0, []byte(fmt.Sprintf("after%d", i)), []byte("x"), 0)
	}
	before, _ := listSegments(dir)
	n, err := w.RemoveSegmentsBefore(keep)
	if err != nil || n != len(before)-1 || n < 3 {
		t.Fatalf("removed %d of %d segments: %v", n, len(before), err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), removeSuffix) {
			t.Fatalf("%s left behind", e.Name())
		}
	}
	recs, _, err := readAll(t, dir, ReadOptions{})
	if err != nil || len(recs) != 10 || string(recs[0].Key) != "after0" {
		t.Fatalf("log after removal: %d records, err %v", len(recs), err)
	}

	// A removal cut short by a crash: the renamed file is not part of the log
	// and goes away when the log is opened again.
	left := filepath.Join(dir, segName(keep-1)+removeSuffix)
	if err := os.WriteFile(left, bytes.Repeat([]byte{0xAB}, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	if recs, _, err := readAll(t, dir, ReadOptions{}); err != nil || len(recs) != 10 {
		t.Fatalf("log with a leftover: %d records, err %v", len(recs), err)
	}
	w = openTest(t, dir, "no", "none", 64<<10, 1)
	defer w.Close()
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Fatalf("leftover %s still there (%v)", left, err)
	}
}
