package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func snapshotFiles(t *testing.T, dir string) []string {
	t.Helper()
	s, _ := filepath.Glob(filepath.Join(dir, "snapshot", "snap-*.fcs"))
	sort.Strings(s)
	return s
}

func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// TestSnapshotWhileWriting takes BGSAVEs while writers run, then restarts
// after kill -9 and compares with what the clients acknowledged; segments
// covered by the oldest kept snapshot are gone.
func TestSnapshotWhileWriting(t *testing.T) {
	dir := t.TempDir()
	m := newModel()
	p := startReady(t, dir, "--appendfsync", "always", "--wal-segment-size", "64kb", "--snapshot-keep", "2")
	rdb := p.client()
	stop := make(chan struct{})
	wg := m.drive(rdb, 8, stop)
	for i := 0; i < 3; i++ {
		time.Sleep(300 * time.Millisecond)
		if err := rdb.BgSave(ctx()).Err(); err != nil && !strings.Contains(err.Error(), "in progress") {
			t.Fatal(err)
		}
		waitSaved(t, p, i+1)
	}
	time.Sleep(200 * time.Millisecond)
	p.kill()
	close(stop)
	wg.Wait()
	snaps := snapshotFiles(t, dir)
	if len(snaps) != 2 {
		t.Fatalf("want 2 kept snapshots, have %v", snaps)
	}
	p2 := startReady(t, dir)
	m.verify(t, p2.client(), time.Time{})
	if !strings.Contains(p2.out.String(), "snapshot loaded") {
		t.Fatalf("restart did not load the snapshot:\n%s", p2.out.String())
	}
}

func waitSaved(t *testing.T, p *proc, n int) {
	t.Helper()
	rdb := p.client()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		info, err := rdb.Info(ctx(), "persistence").Result()
		if err == nil && strings.Contains(info, fmt.Sprintf("snapshot_saves:%d\r\n", n)) && strings.Contains(info, "rdb_bgsave_in_progress:0") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("snapshot %d did not finish", n)
}

// TestKillDuringBGSave kills the server at random moments of a BGSAVE of a
// large keyspace; every restart starts and holds every acknowledged key.
func TestKillDuringBGSave(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendfsync", "always")
	rdb := p.client()
	pipe := rdb.Pipeline()
	const n = 200000
	for i := 0; i < n; i++ {
		pipe.Set(ctx(), fmt.Sprintf("key:%08d", i), strings.Repeat("v", 32), 0)
		if i%5000 == 4999 {
			if _, err := pipe.Exec(ctx()); err != nil {
				t.Fatal(err)
			}
		}
	}
	pipe.Exec(ctx())
	kills := 6
	for i := 0; i < kills; i++ {
		if err := rdb.BgSave(ctx()).Err(); err != nil && !strings.Contains(err.Error(), "in progress") {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rand.IntN(150)) * time.Millisecond)
		p.kill()
		p = startReady(t, dir, "--appendfsync", "always")
		rdb = p.client()
		got, err := rdb.DBSize(ctx()).Result()
		if err != nil || got != n {
			t.Fatalf("after kill %d during BGSAVE: DBSIZE %d (%v), want %d\n%s", i, got, err, n, p.out.String())
		}
	}
	if v, _ := rdb.Get(ctx(), "key:00012345").Result(); v != strings.Repeat("v", 32) {
		t.Fatal("value lost")
	}
	tmp, _ := filepath.Glob(filepath.Join(dir, "snapshot", "*.tmp"))
	if len(tmp) != 0 {
		t.Fatalf("temporary snapshot files left behind: %v", tmp)
	}
}

// TestDamagedSnapshotFallsBack corrupts the newest snapshot: the start falls
// back to the previous snapshot plus the log, with a warning, and loses nothing.
func TestDamagedSnapshotFallsBack(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--snapshot-keep", "2", "--snapshot-on-shutdown", "no")
	rdb := p.client()
	for i := 0; i < 1000; i++ {
		rdb.Set(ctx(), fmt.Sprintf("a%d", i), "1", 0)
	}
	if err := rdb.Save(ctx()).Err(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		rdb.Set(ctx(), fmt.Sprintf("b%d", i), "2", 0)
	}
	rdb.Del(ctx(), "a5")
	if err := rdb.Save(ctx()).Err(); err != nil {
		t.Fatal(err)
	}
	rdb.Set(ctx(), "after", "3", 0)
	p.stop()
	snaps := snapshotFiles(t, dir)
	if len(snaps) != 2 {
		t.Fatalf("snapshots: %v", snaps)
	}
	newest := snaps[len(snaps)-1]
	data, _ := os.ReadFile(newest)
	data[len(data)/2] ^= 0xFF
	os.WriteFile(newest, data, 0o644)
	p2 := startReady(t, dir)
	rdb2 := p2.client()
	if n, _ := rdb2.DBSize(ctx()).Result(); n != 1999+1 {
		t.Fatalf("DBSIZE %d after fallback, want 2000", n)
	}
	if n, _ := rdb2.Exists(ctx(), "a5").Result(); n != 0 {
		t.Fatal("deleted key came back")
	}
	if !strings.Contains(p2.out.String(), "falling back") {
		t.Fatalf("no fallback warning:\n%s", p2.out.String())
	}
}

// TestCompactionBoundsDisk: an overwrite-heavy workload keeps the data
// directory within about twice the live data once snapshots have run. With
// snapshot-keep 1: each kept snapshot beyond the first also keeps the log
// written since it (for the fallback), about two more live-data sizes.
func TestCompactionBoundsDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1,000,000 records")
	}
	dir := t.TempDir()
	p := startReady(t, dir, "--auto-aof-rewrite-min-size", "1mb", "--wal-segment-size", "1mb", "--wal-compression", "none", "--snapshot-keep", "1")
	rdb := p.client()
	val := strings.Repeat("x", 32)
	for round := 0; round < 10; round++ {
		pipe := rdb.Pipeline()
		for i := 0; i < 100000; i++ {
			pipe.Set(ctx(), fmt.Sprintf("key:%012d", i), val, 0)
			if i%10000 == 9999 {
				if _, err := pipe.Exec(ctx()); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// live data: 100,000 keys x (16 B key + 32 B value)
	live := int64(100000 * 48)
	deadline := time.Now().Add(30 * time.Second)
	var size int64
	for time.Now().Before(deadline) {
		size = dirSize(t, dir)
		if size <= 2*live+2<<20 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if size > 2*live+2<<20 {
		t.Fatalf("data directory holds %d bytes for %d bytes of live data", size, live)
	}
	t.Logf("data directory %d bytes, live data %d bytes (%.2fx)", size, live, float64(size)/float64(live))
}
