package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestOOMScoreAdj: oom-score-adj sets the process's Linux OOM score from
// oom-score-adj-values by role, relative to the score it started with or
// absolute, and turning it off restores that score (Redis 7.0's
// oom-score-adj.tcl, without its fork child).
func TestOOMScoreAdj(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("oom_score_adj is Linux's")
	}
	p := startReady(t, t.TempDir(), "--appendonly", "no")
	file := fmt.Sprintf("/proc/%d/oom_score_adj", p.cmd.Process.Pid)
	score := func() int {
		t.Helper()
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	setScore := func(n int) {
		t.Helper()
		if err := os.WriteFile(file, []byte(strconv.Itoa(n)), 0); err != nil {
			t.Skipf("cannot set the test server's oom_score_adj: %v", err)
		}
	}
	c := p.client()
	set := func(kv ...string) {
		t.Helper()
		args := []any{"CONFIG", "SET"}
		for _, s := range kv {
			args = append(args, s)
		}
		if err := c.Do(ctx(), args...).Err(); err != nil {
			t.Fatalf("CONFIG SET %v: %v", kv, err)
		}
	}

	setScore(22)
	set("oom-score-adj-values", "10 20 30") // off: the score is left alone
	if got := score(); got != 22 {
		t.Fatalf("oom-score-adj-values changed the score while off: %d", got)
	}
	set("oom-score-adj", "yes")
	if got := score(); got != 32 {
		t.Fatalf("relative to 22 with 10: %d", got)
	}
	set("oom-score-adj-values", "15 20 30")
	if got := score(); got != 37 {
		t.Fatalf("after changing the primary's value to 15: %d", got)
	}
	// a replica takes the second value; REPLICAOF NO ONE the first again
	if err := c.Do(ctx(), "REPLICAOF", "127.0.0.1", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if got := score(); got != 42 {
		t.Fatalf("as a replica (20): %d", got)
	}
	if err := c.Do(ctx(), "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	if got := score(); got != 37 {
		t.Fatalf("a primary again (15): %d", got)
	}
	set("oom-score-adj", "absolute")
	if got := score(); got != 15 {
		t.Fatalf("absolute 15: %d", got)
	}
	set("oom-score-adj-values", "2000 2000 2000")
	if got := score(); got != 1000 {
		t.Fatalf("clamped to 1000: %d", got)
	}
	set("oom-score-adj", "no")
	if got := score(); got != 22 {
		t.Fatalf("off again: the score from before, 22, is restored; got %d", got)
	}
	if err := c.Do(ctx(), "CONFIG", "SET", "oom-score-adj-values", "2001 0 0").Err(); err == nil ||
		!strings.Contains(err.Error(), "must be between -2000 and 2000") {
		t.Fatalf("out of range: %v", err)
	}
}
