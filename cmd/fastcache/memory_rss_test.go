package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rssBytes reads the process's resident set size.
func rssBytes(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// Under a sustained write load far beyond maxmemory, evictions keep the
// process's RSS within a small margin of the budget (the Go runtime's own
// ~12 MiB included), for large and then small values.
func TestRSSStaysNearMaxmemory(t *testing.T) {
	const maxmem = 64 << 20
	p := startReady(t, t.TempDir(), "--appendonly", "no", "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru")
	rdb := p.client()
	for _, size := range []int{2000, 100} {
		val := strings.Repeat("v", size)
		total := 0
		for i := 0; total < 3*maxmem; i++ {
			pipe := rdb.Pipeline()
			for j := 0; j < 500; j++ {
				pipe.Set(ctx(), fmt.Sprintf("k:%d:%d:%d", size, i, j), val, 0)
				total += size + 20
			}
			if _, err := pipe.Exec(ctx()); err != nil {
				t.Fatalf("SET under allkeys-lru: %v", err)
			}
		}
		rss := rssBytes(t, p.cmd.Process.Pid)
		used := infoInt(t, rdb, "memory", "used_memory")
		t.Logf("values of %d bytes: RSS %.1f MiB, used_memory %.1f MiB, maxmemory 64 MiB", size, float64(rss)/(1<<20), float64(used)/(1<<20))
		if used > maxmem+64<<10 {
			t.Fatalf("used_memory %d above maxmemory %d", used, maxmem)
		}
		if limit := int64(maxmem)*3/2 + 16<<20; rss > limit {
			t.Fatalf("RSS %d bytes with maxmemory 64mb (limit of this test %d)", rss, limit)
		}
	}
	if n := infoInt(t, rdb, "stats", "evicted_keys"); n == 0 {
		t.Fatal("nothing evicted")
	}
}

// TestRSSFallsWhenIdle: after a load and a FLUSHALL, the memory the data
// held goes back to the operating system once the server is idle (a
// collection and the release of the free pages, gcidle.go), not minutes
// later at the background scavenger's pace: within a few seconds the RSS
// is well below its peak.
func TestRSSFallsWhenIdle(t *testing.T) {
	// no save points: a BGSAVE the load triggers would hold a copy of the
	// data through the idle release (see the closing note of 2026-12-06)
	p := startReady(t, t.TempDir(), "--appendonly", "no", "--save", "")
	rdb := p.client()
	val := strings.Repeat("v", 1000)
	for i := 0; i < 200; i++ { // ~200 MB
		pipe := rdb.Pipeline()
		for j := 0; j < 1000; j++ {
			pipe.Set(ctx(), fmt.Sprintf("k:%d:%d", i, j), val, 0)
		}
		if _, err := pipe.Exec(ctx()); err != nil {
			t.Fatal(err)
		}
	}
	peak := rssBytes(t, p.cmd.Process.Pid)
	if err := rdb.FlushAll(ctx()).Err(); err != nil {
		t.Fatal(err)
	}
	var rss int64
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		if rss = rssBytes(t, p.cmd.Process.Pid); rss < peak/4 {
			break
		}
	}
	t.Logf("RSS %.1f MiB after the load, %.1f MiB idle after FLUSHALL", float64(peak)/(1<<20), float64(rss)/(1<<20))
	if rss >= peak/4 {
		t.Fatalf("RSS still %d bytes 5 s after FLUSHALL (peak %d)", rss, peak)
	}
}

// TestReplicaRSSFallsWhenIdle: a replica frees the memory of what its
// primary flushed once the stream goes quiet, though no client sends it a
// command (idle periods count the records it applies, not only commands).
func TestReplicaRSSFallsWhenIdle(t *testing.T) {
	primary := startReady(t, t.TempDir()) // a primary serves its WAL stream
	replica := startReady(t, t.TempDir(), "--appendonly", "no", "--save", "",
		"--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))
	rdb := primary.client()
	val := strings.Repeat("v", 1000)
	for i := 0; i < 150; i++ { // ~150 MB
		pipe := rdb.Pipeline()
		for j := 0; j < 1000; j++ {
			pipe.Set(ctx(), fmt.Sprintf("k:%d:%d", i, j), val, 0)
		}
		if _, err := pipe.Exec(ctx()); err != nil {
			t.Fatal(err)
		}
	}
	replicaHasAll(t, rdb)
	peak := rssBytes(t, replica.cmd.Process.Pid)
	if err := rdb.FlushAll(ctx()).Err(); err != nil {
		t.Fatal(err)
	}
	replicaHasAll(t, rdb)
	var rss int64
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		if rss = rssBytes(t, replica.cmd.Process.Pid); rss < peak/4 {
			break
		}
	}
	t.Logf("replica RSS %.1f MiB with the data, %.1f MiB idle after the primary's FLUSHALL", float64(peak)/(1<<20), float64(rss)/(1<<20))
	if rss >= peak/4 {
		t.Fatalf("replica RSS still %d bytes 10 s after FLUSHALL (peak %d)", rss, peak)
	}
}
