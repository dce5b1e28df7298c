//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestServerCPUList: with server_cpulist every thread of the server runs
// on the listed CPUs alone, the ones started after start-up too (the event
// loops, the WAL writer, a snapshot's); a list that does not parse is
// logged and pins nothing.
func TestServerCPUList(t *testing.T) {
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil || all.Count() < 2 {
		t.Skip("needs two CPUs")
	}
	p := startReady(t, t.TempDir(), "--server_cpulist", "0", "--bgsave_cpulist", "1")
	c := p.client()
	for i := range 1000 {
		c.Set(ctx(), fmt.Sprint("k", i), i, 0)
	}
	if err := c.Do(ctx(), "SAVE").Err(); err != nil {
		t.Fatal(err)
	}
	threads := cpusOfThreads(t, p.cmd.Process.Pid)
	if len(threads) < 3 {
		t.Fatalf("threads: %v", threads)
	}
	for tid, cpus := range threads {
		// a snapshot's thread (nice 19) still ending runs on bgsave_cpulist's
		if n := niceOf(t, p.cmd.Process.Pid, tid); cpus != "0" && !(cpus == "1" && (n == 19 || n == -100)) {
			t.Errorf("thread %s may run on %q, want 0", tid, cpus)
		}
	}
	if !strings.Contains(p.out.String(), "the server's threads are pinned") {
		t.Errorf("no log line for the pinning:\n%s", p.out.String())
	}

	q := startReady(t, t.TempDir(), "--server_cpulist", "x-1")
	if !strings.Contains(q.out.String(), "the server's threads are not pinned") {
		t.Errorf("a bad list was not logged:\n%s", q.out.String())
	}
	for tid, cpus := range cpusOfThreads(t, q.cmd.Process.Pid) {
		if cpus == "0" {
			t.Errorf("thread %s was pinned by a list that does not parse", tid)
		}
	}
}

// niceOf is thread tid's nice value (/proc/<pid>/task/<tid>/stat, field
// 19); -100 if it ended meanwhile.
func niceOf(t *testing.T, pid int, tid string) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, tid))
	if err != nil {
		return -100
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 17 {
		return -100
	}
	n, _ := strconv.Atoi(f[16])
	return n
}

// cpusOfThreads maps each thread of pid to its Cpus_allowed_list.
func cpusOfThreads(t *testing.T, pid int) map[string]string {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, task := range tasks {
		b, err := os.ReadFile(filepath.Join(dir, task.Name(), "status"))
		if err != nil {
			continue // ended meanwhile
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "Cpus_allowed_list:"); ok {
				out[task.Name()] = strings.TrimSpace(v)
			}
		}
	}
	return out
}
