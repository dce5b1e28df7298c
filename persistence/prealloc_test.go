package persistence

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPreallocatedSegments: under appendfsync always the next segment is
// prepared (zero-filled to the segment size) in the background; the log
// moves to it from the plain first segment as soon as it is ready, writes
// over its zeros, and cuts it to its frames when it rotates or closes. A
// copy of the directory taken while a preallocated segment is written (a
// crash) replays every flushed record and trims the zeros; nothing of the
// preparation is left after Close.
func TestPreallocatedSegments(t *testing.T) {
	dir := t.TempDir()
	const segSize = 256 << 10
	w := openTest(t, dir, "always", "none", segSize, 2)
	n := 0
	write := func(k int) {
		for i := 0; i < k; i++ {
			w.Queue(n%2).Record(OpSet, 0, []byte(fmt.Sprintf("key%06d", n)), []byte(strings.Repeat("v", 100)), 0)
			n++
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	write(10)
	deadline := time.Now().Add(30 * time.Second)
	for !w.prepReady(2) {
		if time.Now().After(deadline) {
			t.Fatal("segment 2 not prepared after 30 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	write(10) // the plain segment 1 gives way to the prepared segment 2
	seg2 := filepath.Join(dir, segName(2))
	if st, err := os.Stat(seg2); err != nil || st.Size() != segSize {
		t.Fatalf("segment 2 while written: %v %v, want %d bytes (preallocated)", st, err, segSize)
	}
	if s := w.Slack(); s <= 0 || s >= segSize {
		t.Fatalf("Slack %d", s)
	}

	// a crash now: the copy replays every flushed record, trimming zeros
	crash := t.TempDir()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".wal") {
			data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			os.WriteFile(filepath.Join(crash, e.Name()), data, 0o644)
		}
	}
	recs, res, err := readAll(t, crash, ReadOptions{})
	if err != nil || len(recs) != n || res.TornBytes != 0 {
		t.Fatalf("after the crash: %d of %d records, torn %d, %v", len(recs), n, res.TornBytes, err)
	}
	if st, _ := os.Stat(filepath.Join(crash, segName(2))); st.Size() >= segSize {
		t.Fatalf("the crashed segment kept its zeros: %d bytes", st.Size())
	}

	// past the segment size: segment 2 is cut to its frames at rotation
	for i := 0; i < 30; i++ {
		write(100)
	}
	if st, _ := os.Stat(seg2); st.Size() >= segSize || allZeroTail(t, seg2) {
		t.Fatalf("segment 2 after rotation: %d bytes", st.Size())
	}
	w.Close()
	ents, _ = os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), prepSuffix) {
			t.Fatalf("%s left after Close", e.Name())
		}
		if strings.HasSuffix(e.Name(), ".wal") && allZeroTail(t, filepath.Join(dir, e.Name())) {
			t.Fatalf("%s ends in zeros after Close", e.Name())
		}
	}
	recs, res, err = readAll(t, dir, ReadOptions{ReadOnly: true})
	if err != nil || len(recs) != n || res.Segments < 3 {
		t.Fatalf("after Close: %d of %d records in %d segments, %v", len(recs), n, res.Segments, err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		seen[string(r.Key)] = true
	}
	for i := 0; i < n; i++ {
		if !seen[fmt.Sprintf("key%06d", i)] {
			t.Fatalf("key%06d is missing", i)
		}
	}
}

// allZeroTail reports whether the file's last 8 bytes are zeros.
func allZeroTail(t *testing.T, path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return len(data) >= 8 && allZero(data[len(data)-8:])
}

// TestZeroTailOnlyAtTheEnd: zeros after the frames are the clean end of
// the last segment only; at the end of an earlier segment (which is cut to
// its frames before the next one exists) they are damage, reported with
// the segment and offset.
func TestZeroTailOnlyAtTheEnd(t *testing.T) {
	dir := t.TempDir()
	w := openTest(t, dir, "everysec", "none", 4096, 1)
	for i := 0; i < 200; i++ {
		w.Queue(0).Record(OpSet, 0, []byte(fmt.Sprintf("key%06d", i)), []byte(strings.Repeat("v", 100)), 0)
		if i%20 == 19 {
			w.Flush()
		}
	}
	w.Close()
	first := filepath.Join(dir, segName(1))
	data, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, segName(2))); err != nil {
		t.Fatalf("no second segment: %v", err)
	}
	os.WriteFile(first, append(data, make([]byte, 4096)...), 0o644)
	_, _, err = readAll(t, dir, ReadOptions{ReadOnly: true})
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Segment != segName(1) || ce.Offset != int64(len(data)) {
		t.Fatalf("zeros at the end of segment 1 of several: %v", err)
	}
}
