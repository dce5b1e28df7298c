package main

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

// celeryResult is what testdata/apps/celery/app.py prints.
type celeryResult struct {
	Errors map[string]string
	Ms     map[string]int
	Ping   int
	Plain  struct {
		Sent, ResultsOK, RanOnce int
		States                   []string
	}
	Flaky struct {
		Result, State string
	}
	Broken struct {
		Raised, Message, State string
	}
	Countdown struct {
		EarlyMs int
	}
	Chain      int
	Group      []int
	Chord      int
	Revoked    string
	Registered []string
	WorkerExit *int
}

// TestAppCelery: a Celery application with the Redis broker and result
// backend (kombu and redis-py underneath: BRPOP on the queues, MULTI/EXEC,
// the unacked hash and sorted set, redis-py's Lua lock, pub/sub for the
// broadcast control channel and for results), on database 3, runs unchanged
// against fastcache: a prefork worker answers a ping, runs 100 tasks once
// each with their results, a retried task succeeds on its third run, a
// failing task raises its exception in the caller, a countdown task runs no
// earlier, a chain, a group and a chord give their results, a revoked task
// never runs, inspect lists the worker's tasks, and the worker stops on the
// shutdown broadcast.
func TestAppCelery(t *testing.T) {
	py := pythonWith(t, "python3-celery python3-redis", "celery", "redis")
	dir := appDir(t, "celery")
	p := startReady(t, t.TempDir())
	args := func(port int) []string { return []string{"app.py", strconv.Itoa(port)} }
	var r celeryResult
	runApp(t, dir, 90*time.Second, p.port, &r, py, args)
	defer func() {
		if t.Failed() {
			alsoAgainstRedis(t, dir, 90*time.Second, py, args)
		}
	}()
	t.Logf("step times (ms since start): %v", r.Ms)
	for step, e := range r.Errors {
		t.Errorf("%s: %s", step, e)
	}
	if r.Ping != 1 {
		t.Errorf("%d workers answered the ping, want 1", r.Ping)
	}
	if x := r.Plain; x.Sent != 100 || x.ResultsOK != 100 || x.RanOnce != 100 || fmt.Sprint(x.States) != "[SUCCESS]" {
		t.Errorf("plain tasks: %+v; want 100 run once with their results", x)
	}
	if r.Flaky.Result != "ok after 3" || r.Flaky.State != "SUCCESS" {
		t.Errorf("retried task: %+v", r.Flaky)
	}
	if b := r.Broken; b.Raised != "ValueError" || b.Message != "always broken" || b.State != "FAILURE" {
		t.Errorf("failing task: %+v", b)
	}
	if r.Countdown.EarlyMs > 0 {
		t.Errorf("countdown task ran %d ms early", r.Countdown.EarlyMs)
	}
	if r.Chain != 10 || fmt.Sprint(r.Group) != "[1 2 3 4 5 6 7 8 9 10]" || r.Chord != 90 {
		t.Errorf("canvas: chain %d (want 10), group %v, chord %d (want 90)", r.Chain, r.Group, r.Chord)
	}
	if r.Revoked != "TaskRevokedError" {
		t.Errorf("revoked task: %s, want TaskRevokedError", r.Revoked)
	}
	if fmt.Sprint(r.Registered) != "[tasks.add tasks.broken tasks.flaky tasks.stamp tasks.tsum]" {
		t.Errorf("inspect registered: %v", r.Registered)
	}
	if r.WorkerExit == nil || *r.WorkerExit != 0 {
		t.Errorf("worker did not exit cleanly on the shutdown broadcast: %v", r.WorkerExit)
	}
}
