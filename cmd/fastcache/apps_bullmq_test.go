package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
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
	Lifecycle struct {
		Paused, PausedAfterResume, DedupSameJob, Touched bool
		Workers, Order                                   []string
		WaitingWhilePaused, MetricsCount, Cleaned        int
		Logs                                             struct {
			Logs  []string
			Count int
		}
		CountsAfter map[string]int
	}
	Stalled struct {
		TakenID       string `json:"takenId"`
		JobID         string `json:"jobId"`
		StateTaken    string
		Ran           int
		Result        string
		StalledEvents bool
	}
}

// TestAppBullMQ: a BullMQ application (Lua scripts for every state change,
// streams for its events, blocking waits for the next job) runs unchanged
// against fastcache, through ioredis, through node-redis, and through
// node-redis speaking RESP3 (without the steps that read events: BullMQ's
// node-redis adapter does not read RESP3 stream replies, against Redis
// either): 200 jobs run exactly once by two workers with their results stored
// and a completed event each, delayed jobs wait their delay, retries with
// backoff end in completed or failed with the reason, priorities order the
// jobs, the rate limiter holds, a job scheduler repeats and is removed, a
// flow's parent sees its children's results, obliterate leaves no key
// behind, pause/resume, LIFO, deduplication, a changed delay, promote, job
// logs, clean and drain behave, the worker list (CLIENT LIST) shows the
// worker, and a stalled job (its lock key expired) is run by another worker.
func TestAppBullMQ(t *testing.T) {
	node, dir := nodeApp(t, "bullmq")
	p := startReady(t, t.TempDir())
	for _, tc := range []struct {
		driver string
		steps  []string
	}{
		{"ioredis", nil},
		{"node-redis", nil},
		{"node-redis-resp3", []string{"delayed", "priorities", "rateLimited", "repeatable", "flows", "lifecycle"}},
	} {
		t.Run(tc.driver, func(t *testing.T) {
			args := func(port int) []string {
				return append([]string{"app.js", strconv.Itoa(port), tc.driver}, tc.steps...)
			}
			var r bullmqResult
			runApp(t, dir, 90*time.Second, p.port, &r, node, args)
			defer func() {
				if t.Failed() {
					alsoAgainstRedis(t, dir, 90*time.Second, node, args)
				}
			}()
			checkBullMQ(t, &r)
		})
	}
}

func checkBullMQ(t *testing.T, r *bullmqResult) {
	t.Helper()
	t.Logf("step times (ms): %v", r.Ms)
	if r.Fatal != "" {
		t.Fatalf("app failed: %s", r.Fatal)
	}
	for step, e := range r.Errors {
		t.Errorf("%s: %s", step, firstLines(e, 6))
	}
	ran := func(step string) bool { _, ok := r.Ms[step]; return ok && r.Errors[step] == "" }
	if b := r.Basic; ran("basic") {
		if b.Processed != b.Added || b.ProcessedTwice != 0 || b.Completed != b.Added || b.ResultsOK != b.Added || b.CompletedEvents != b.Added {
			t.Errorf("basic: %+v; want all %d jobs processed once, completed with their results and an event each", b, b.Added)
		}
		for state, n := range b.Counts {
			if state != "completed" && n != 0 {
				t.Errorf("basic: %d jobs left %s", n, state)
			}
		}
	}
	if d := r.Delayed; ran("delayed") && (d.DelayedBefore != 5 || d.Ran != 5 || d.Early != 0) {
		t.Errorf("delayed: %+v; want 5 delayed, 5 run, none early", d)
	}
	if x := r.Retries; ran("retries") && (x.FlakyAttempts != 3 || x.FlakyState != "completed" || x.FlakyReturn != "ok" ||
		x.BrokenAttempts != 2 || x.BrokenState != "failed" || x.BrokenReason != "always broken" || x.BrokenStacktraces != 2) {
		t.Errorf("retries: %+v", x)
	}
	if o := r.Priorities.Order; ran("priorities") && fmt.Sprint(o) != "[1 2 3 4 5]" {
		t.Errorf("priorities: ran in order %v, want [1 2 3 4 5]", o)
	}
	if l := r.RateLimited; ran("rateLimited") && (l.Completed != 15 || l.MaxInWindow > 5 || l.SpanMs < 1500) {
		t.Errorf("rate limiter (5 per second): %+v", l)
	}
	if x := r.Repeatable; ran("repeatable") && (!x.RunsAtLeast4 || x.Schedulers != 1 || x.SchedulerKey != "tick" || x.SchedulersAfterRemove != 0) {
		t.Errorf("job scheduler: %+v", x)
	}
	if f := r.Flows; ran("flows") && (f.ChildrenSeen != 3 || f.ParentResult != 6) {
		t.Errorf("flow: %+v; want the parent to see 3 children summing to 6", f)
	}
	if w := r.WaitAndClean; ran("waitAndClean") && (w.Result != 42 || w.KeysLeft != 0) {
		t.Errorf("waitUntilFinished/obliterate: %+v; want result 42 and no keys left", w)
	}
	if l := r.Lifecycle; ran("lifecycle") {
		if !l.Paused || l.PausedAfterResume || l.WaitingWhilePaused != 5 {
			t.Errorf("pause/resume: %+v", l)
		}
		if fmt.Sprint(l.Workers) != "[life]" {
			t.Errorf("getWorkers: %v, want the one worker of the queue", l.Workers)
		}
		if !l.DedupSameJob {
			t.Error("deduplication: the second add made a new job")
		}
		// the promoted job and the one whose delay was cut come last, in
		// either order (the latter moves when a worker next looks)
		if got := fmt.Sprint(l.Order); got != "[third first second dedup promoted late]" && got != "[third first second dedup late promoted]" {
			t.Errorf("lifecycle jobs ran in order %s, want the LIFO job first, then in order added", got)
		}
		if l.Logs.Count != 1 || len(l.Logs.Logs) != 1 || !strings.HasPrefix(l.Logs.Logs[0], "started ") || !l.Touched {
			t.Errorf("job log / updateData: %+v", l)
		}
		if l.Cleaned != 6 || l.CountsAfter["completed"]+l.CountsAfter["waiting"]+l.CountsAfter["delayed"]+l.CountsAfter["paused"] != 0 {
			t.Errorf("clean/drain: cleaned %d, left %v", l.Cleaned, l.CountsAfter)
		}
	}
	if s := r.Stalled; ran("stalled") && (s.TakenID != s.JobID || s.StateTaken != "active" || s.Ran != 1 || s.Result != "recovered" || !s.StalledEvents) {
		t.Errorf("stalled job: %+v; want it taken, then run once by the other worker, with a stalled event", s)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// TestAppBullMQCrash: a BullMQ queue survives a kill -9 of fastcache under
// appendfsync always. 300 jobs are added (every add acknowledged), two
// workers are processing them when the server is killed; it is started
// again on the same port and data, BullMQ's clients reconnect by themselves,
// and every job is completed with its result: none lost, none failed, none
// left waiting or active (the jobs that were active at the kill come back
// through BullMQ's stalled-job check, so they may run twice: at least once
// is what BullMQ promises).
func TestAppBullMQCrash(t *testing.T) {
	node, dir := nodeApp(t, "bullmq")
	if testing.Short() {
		t.Skip("-short")
	}
	data := t.TempDir()
	p := startReady(t, data, "--appendfsync", "always")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "crash.js", strconv.Itoa(p.port))
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer func() {
		if t.Failed() {
			t.Logf("node stderr:\n%s", tail([]byte(stderr.String()), 8<<10))
		}
	}()
	var last string
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		if line == "KILL" {
			p.kill()
			p = startOn(t, p.port, data, "--appendfsync", "always")
			p.waitReady(60 * time.Second)
			killed = true
			continue
		}
		last = line
	}
	if !killed {
		t.Fatalf("the app never asked for the kill; last output %q", last)
	}
	var r struct {
		Fatal                                               string
		Added, ResultsOK, Missing, RanAtLeastOnce, RanTwice int
		Counts                                              map[string]int
		ErrorsSeen                                          int
		FirstErrors                                         []string
	}
	if err := json.Unmarshal([]byte(last), &r); err != nil {
		t.Fatalf("no JSON result (%v): %q", err, last)
	}
	t.Logf("result: %+v", r)
	if r.Fatal != "" {
		t.Fatalf("app failed: %s", r.Fatal)
	}
	if r.Added != 300 || r.ResultsOK != 300 || r.Missing != 0 || r.RanAtLeastOnce != 300 {
		t.Errorf("after the crash: %d added, %d completed with their result, %d missing, %d run; want all 300", r.Added, r.ResultsOK, r.Missing, r.RanAtLeastOnce)
	}
	for state, n := range r.Counts {
		if state != "completed" && n != 0 {
			t.Errorf("%d jobs %s after the crash", n, state)
		}
	}
}
