package persistence

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func writeTestSnapshot(t *testing.T, dir, codec string, shards, perShard int) string {
	t.Helper()
	w, err := CreateSnapshot(dir, shards, codec, 7)
	if err != nil {
		t.Fatal(err)
	}
	for s := 0; s < shards; s++ {
		w.SetCut(s, uint64(100+s))
		for i := 0; i < perShard; i++ {
			var exp int64
			if i%3 == 0 {
				exp = int64(1700000000000 + i)
			}
			if err := w.Add(s, 0, []byte(fmt.Sprintf("s%d:key:%08d", s, i)), []byte(fmt.Sprintf("value-%d-%d", s, i)), exp); err != nil {
				t.Fatal(err)
			}
		}
	}
	path, _, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSnapshotRoundTrip(t *testing.T) {
	for _, codec := range []string{"none", "s2", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			dir := t.TempDir()
			path := writeTestSnapshot(t, dir, codec, 4, 30000)
			if filepath.Base(path) != fmt.Sprintf("snap-%020d.fcs", 103) {
				t.Fatalf("name %s", path)
			}
			var mu sync.Mutex
			got := map[string]string{}
			exps := map[string]int64{}
			meta, err := ReadSnapshot(path, 2, func(shard int, r *Record) {
				mu.Lock()
				got[string(r.Key)] = string(r.Value)
				exps[string(r.Key)] = r.ExpireAt
				mu.Unlock()
			})
			if err != nil {
				t.Fatal(err)
			}
			if meta.Keys != 120000 || len(got) != 120000 || meta.WALSegment != 7 || meta.Shards[2].Cut != 102 {
				t.Fatalf("meta %+v, got %d keys", meta, len(got))
			}
			if got["s1:key:00000003"] != "value-1-3" || exps["s1:key:00000003"] != 1700000000003 || exps["s1:key:00000004"] != 0 {
				t.Fatal("entry mismatch")
			}
		})
	}
}

func TestSnapshotDamageDetected(t *testing.T) {
	dir := t.TempDir()
	path := writeTestSnapshot(t, dir, "s2", 2, 5000)
	orig, _ := os.ReadFile(path)
	for _, off := range []int{0, 40, len(orig) / 2, len(orig) - 30, len(orig) - 2} {
		data := append([]byte(nil), orig...)
		data[off] ^= 0x55
		os.WriteFile(path, data, 0o644)
		if _, err := VerifySnapshot(path); err == nil {
			t.Fatalf("flip at %d not detected", off)
		}
	}
	for _, n := range []int{10, len(orig) / 2, len(orig) - 1} {
		os.WriteFile(path, orig[:n], 0o644)
		if _, err := VerifySnapshot(path); err == nil {
			t.Fatalf("truncation at %d not detected", n)
		}
	}
}

func TestSnapshotTempFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	w, err := CreateSnapshot(dir, 1, "none", 1)
	if err != nil {
		t.Fatal(err)
	}
	w.Add(0, 0, []byte("k"), []byte("v"), 0)
	// simulate a crash: the temp file stays behind
	w.bw.Flush()
	path := writeTestSnapshot(t, dir, "none", 1, 10)
	list, err := ListSnapshots(dir)
	if err != nil || len(list) != 1 || list[0] != path {
		t.Fatalf("list %v %v", list, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary file not removed: %v", ents)
	}
}
