package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nodeApp returns node's path and the app's folder with its npm packages
// installed (npm ci from the committed package-lock.json, if node_modules
// is missing).
func nodeApp(t *testing.T, name string) (string, string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		appsMissing(t, "node not found on PATH (apt-get install nodejs npm): %v", err)
	}
	dir := appDir(t, name)
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			appsMissing(t, "%s/node_modules missing and npm not found on PATH: %v", dir, err)
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			appsMissing(t, "npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	return node, dir
}

// bullmqResult is what testdata/apps/bullmq/app.js prints.
type bullmqResult struct {
	Fatal  string
	Errors map[string]string
	Ms     map[string]int
	Basic  struct {
		Added, Processed, ProcessedTwice, Completed, ResultsOK, CompletedEvents int
		Counts                                                                  map[string]int
	}
	Delayed struct {
		DelayedBefore, Ran, Early int
	}
	Retries struct {
		FlakyAttempts             int
		FlakyState, FlakyReturn   string
		BrokenAttempts            int
		BrokenState, BrokenReason string
		BrokenStacktraces         int
	}
	Priorities struct {
		Order []int
	}
	RateLimited struct {
		Completed, MaxInWindow, SpanMs int
	}
	Repeatable struct {
		RunsAtLeast4          bool
		Schedulers            int
		SchedulerKey          string
		SchedulersAfterRemove int
	}
	Flows struct {
		ChildrenSeen, ParentResult int
	}
	WaitAndClean struct {
		Result, KeysLeft int
	}
}

// TestAppBullMQ: a BullMQ application (ioredis underneath; Lua scripts for
// every state change, streams for its events, BZPOPMIN/BLMOVE-style blocking
// waits for the next job) runs unchanged against fastcache: 200 jobs run
// exactly once by two workers with their results stored and a completed
// event each, delayed jobs wait their delay, retries with backoff end in
// completed or failed with the reason, priorities order the jobs, the rate
// limiter holds, a job scheduler repeats and is removed, a flow's parent sees
// its children's results, and obliterate leaves no key behind.
func TestAppBullMQ(t *testing.T) {
	node, dir := nodeApp(t, "bullmq")
	p := startReady(t, t.TempDir())
	args := func(port int) []string { return []string{"app.js", strconv.Itoa(port)} }
	var r bullmqResult
	runApp(t, dir, 90*time.Second, p.port, &r, node, args)
	defer func() {
		if t.Failed() {
			alsoAgainstRedis(t, dir, 90*time.Second, node, args)
		}
	}()
	t.Logf("phase times (ms): %v", r.Ms)
	if r.Fatal != "" {
		t.Fatalf("app failed: %s", r.Fatal)
	}
	for phase, e := range r.Errors {
		t.Errorf("%s: %s", phase, firstLines(e, 6))
	}
	b := r.Basic
	if b.Processed != b.Added || b.ProcessedTwice != 0 || b.Completed != b.Added || b.ResultsOK != b.Added || b.CompletedEvents != b.Added {
		t.Errorf("basic: %+v; want all %d jobs processed once, completed with their results and an event each", b, b.Added)
	}
	for state, n := range b.Counts {
		if state != "completed" && n != 0 {
			t.Errorf("basic: %d jobs left %s", n, state)
		}
	}
	if d := r.Delayed; d.DelayedBefore != 5 || d.Ran != 5 || d.Early != 0 {
		t.Errorf("delayed: %+v; want 5 delayed, 5 run, none early", d)
	}
	if x := r.Retries; x.FlakyAttempts != 3 || x.FlakyState != "completed" || x.FlakyReturn != "ok" ||
		x.BrokenAttempts != 2 || x.BrokenState != "failed" || x.BrokenReason != "always broken" || x.BrokenStacktraces != 2 {
		t.Errorf("retries: %+v", x)
	}
	if o := r.Priorities.Order; len(o) != 5 || o[0] != 1 || o[1] != 2 || o[2] != 3 || o[3] != 4 || o[4] != 5 {
		t.Errorf("priorities: ran in order %v, want [1 2 3 4 5]", o)
	}
	if l := r.RateLimited; l.Completed != 15 || l.MaxInWindow > 5 || l.SpanMs < 1500 {
		t.Errorf("rate limiter (5 per second): %+v", l)
	}
	if x := r.Repeatable; !x.RunsAtLeast4 || x.Schedulers != 1 || x.SchedulerKey != "tick" || x.SchedulersAfterRemove != 0 {
		t.Errorf("job scheduler: %+v", x)
	}
	if f := r.Flows; f.ChildrenSeen != 3 || f.ParentResult != 6 {
		t.Errorf("flow: %+v; want the parent to see 3 children summing to 6", f)
	}
	if w := r.WaitAndClean; w.Result != 42 || w.KeysLeft != 0 {
		t.Errorf("waitUntilFinished/obliterate: %+v; want result 42 and no keys left", w)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
