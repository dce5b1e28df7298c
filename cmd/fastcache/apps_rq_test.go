package main

import (
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// pythonWith returns a python3 that has all of modules: Debian's
// /usr/bin/python3 first (where apt-get install python3-rq puts them), then
// the first python3 on PATH. Modules are looked up, not imported (some, as
// cacheops, need Django's settings to import).
func pythonWith(t *testing.T, pkgs string, modules ...string) string {
	t.Helper()
	candidates := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	check := "import importlib.util, sys\n" +
		"missing = [m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]\n" +
		"print('missing:', missing) if missing else None\n" +
		"sys.exit(1 if missing else 0)\n"
	var lastErr []byte
	for _, py := range candidates {
		out, err := exec.Command(py, append([]string{"-c", check}, modules...)...).CombinedOutput()
		if err == nil {
			return py
		}
		lastErr = out
	}
	appsMissing(t, "no python3 has %v (apt-get install %s): %s", modules, pkgs, lastErr)
	return ""
}

// rqResult is what testdata/apps/rq/app.py prints.
type rqResult struct {
	Errors            map[string]string
	ScheduledBefore   []string
	WorkersRegistered int
	Plain             struct {
		Enqueued, Finished, RanOnce, ResultsOK, LatestResultOK int
	}
	Retries struct {
		FlakyStatus, FlakyResult string
		FlakyRuns                int
		BrokenStatus             string
		BrokenRuns               int
		BrokenExcHasError        bool
		FailedRegistry           []string
		BrokenID                 string `json:"brokenId"`
	}
	Callbacks, CallbacksWant []string
	Dependencies             struct {
		Result int
		Status string
	}
	Scheduled struct {
		Status  []string
		EarlyMs []int
	}
	FinishedRegistry int
	QueuesEmpty      []int
	WorkersExited    []*int
	WorkersAfter     int
}

// TestAppRQ: an RQ application (redis-py underneath; BLPOP for the next job,
// MULTI/EXEC pipelines for state changes, a stream per job for its results,
// a sorted set per registry, pub/sub for worker commands) runs unchanged
// against fastcache: two forking workers with the scheduler run 60 jobs on
// two queues exactly once with their results stored, a retried job succeeds
// on its third run, a failing job lands in the failed registry with its
// traceback, callbacks run, a dependent job runs after its dependencies,
// jobs scheduled in and at a time run no earlier, and the workers stop on
// the shutdown command and deregister.
func TestAppRQ(t *testing.T) {
	py := pythonWith(t, "python3-rq python3-redis", "rq", "redis")
	dir := appDir(t, "rq")
	p := startReady(t, t.TempDir())
	args := func(port int) []string { return []string{"app.py", strconv.Itoa(port)} }
	var r rqResult
	runApp(t, dir, 90*time.Second, p.port, &r, py, args)
	defer func() {
		if t.Failed() {
			alsoAgainstRedis(t, dir, 90*time.Second, py, args)
		}
	}()
	for phase, e := range r.Errors {
		t.Errorf("%s: %s", phase, e)
	}
	if r.WorkersRegistered != 2 {
		t.Errorf("%d workers registered, want 2", r.WorkersRegistered)
	}
	if x := r.Plain; x.Enqueued != 60 || x.Finished != 60 || x.RanOnce != 60 || x.ResultsOK != 60 || x.LatestResultOK != 60 {
		t.Errorf("plain jobs: %+v; want all 60 finished, run once, with their results", x)
	}
	x := r.Retries
	if x.FlakyStatus != "finished" || x.FlakyResult != "ok after 3" || x.FlakyRuns != 3 {
		t.Errorf("retried job: %+v", x)
	}
	if x.BrokenStatus != "failed" || x.BrokenRuns != 2 || !x.BrokenExcHasError || len(x.FailedRegistry) != 1 || x.FailedRegistry[0] != x.BrokenID {
		t.Errorf("failing job: %+v", x)
	}
	if !equalStrings(r.Callbacks, r.CallbacksWant) {
		t.Errorf("callbacks ran for %v, want %v", r.Callbacks, r.CallbacksWant)
	}
	if d := r.Dependencies; d.Result != 25 || d.Status != "finished" {
		t.Errorf("dependent job: %+v; want finished with 9+16", d)
	}
	if !equalStrings(r.ScheduledBefore, []string{"scheduled", "scheduled"}) || !equalStrings(r.Scheduled.Status, []string{"finished", "finished"}) {
		t.Errorf("scheduled jobs: before %v, after %v", r.ScheduledBefore, r.Scheduled.Status)
	}
	for i, ms := range r.Scheduled.EarlyMs {
		if ms > 0 {
			t.Errorf("scheduled job %d ran %d ms early", i, ms)
		}
	}
	if r.FinishedRegistry != 67 || len(r.QueuesEmpty) != 2 || r.QueuesEmpty[0]+r.QueuesEmpty[1] != 0 {
		t.Errorf("finished registries hold %d jobs (want 67), queues hold %v (want empty)", r.FinishedRegistry, r.QueuesEmpty)
	}
	for i, code := range r.WorkersExited {
		if code == nil || *code != 0 {
			t.Errorf("worker %d did not exit cleanly on the shutdown command: exit code %v", i, code)
		}
	}
	if r.WorkersAfter != 0 {
		t.Errorf("%d workers still registered after shutdown", r.WorkersAfter)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
