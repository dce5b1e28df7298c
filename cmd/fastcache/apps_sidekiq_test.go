package main

import (
	"fmt"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// sidekiqResult is what testdata/apps/sidekiq/app.rb prints.
type sidekiqResult struct {
	Errors map[string]string
	Ms     map[string]int
	Queued struct {
		Default, Critical, Scheduled int
		Queues                       []string
	}
	Processes [][]string
	Plain     struct {
		Pushed, ResultsOK, RanOnce int
	}
	RetrySet struct {
		Jid          bool
		Error, Class string
		Count        int
	}
	Flaky struct {
		Runs, RetrySetAfter int
	}
	Dead struct {
		Jid          bool
		Error, Class string
	}
	Scheduled struct {
		EarlyMs, ScheduledSetAfter int
		Jid                        bool
	}
	Stats struct {
		Processed, Failed, Enqueued, DeadSize int
	}
	ServerExit     *int
	ProcessesAfter int
}

// TestAppSidekiq: a Sidekiq 6 application (redis-rb underneath: BRPOP over
// weighted queues, MULTI/EXEC pushes, sorted sets for the schedule, retry
// and dead sets popped by a Lua script, hashes for the heartbeat and stats)
// on database 5 runs unchanged against fastcache: the server process's
// heartbeat shows, 120 jobs pushed one by one and in bulk on two queues run
// once each, a failing job waits in the retry set with its error and runs
// again on "retry now", a job without retries lands in the dead set, a
// scheduled job runs no earlier, the stats add up, and the server
// deregisters on TERM.
func TestAppSidekiq(t *testing.T) {
	ruby, err := exec.LookPath("ruby")
	if err != nil {
		appsMissing(t, "ruby not found on PATH (apt-get install ruby-sidekiq): %v", err)
	}
	if out, err := exec.Command(ruby, "-e", `require "sidekiq"; require "sidekiq/api"`).CombinedOutput(); err != nil {
		appsMissing(t, "ruby cannot load sidekiq (apt-get install ruby-sidekiq): %v\n%s", err, out)
	}
	if _, err := exec.LookPath("sidekiq"); err != nil {
		appsMissing(t, "sidekiq not found on PATH (apt-get install ruby-sidekiq): %v", err)
	}
	dir := appDir(t, "sidekiq")
	p := startReady(t, t.TempDir())
	args := func(port int) []string { return []string{"app.rb", strconv.Itoa(port)} }
	var r sidekiqResult
	runApp(t, dir, 90*time.Second, p.port, &r, ruby, args)
	defer func() {
		if t.Failed() {
			alsoAgainstRedis(t, dir, 90*time.Second, ruby, args)
		}
	}()
	t.Logf("step times (ms since start): %v", r.Ms)
	for step, e := range r.Errors {
		t.Errorf("%s: %s", step, e)
	}
	if q := r.Queued; q.Default != 102 || q.Critical != 20 || q.Scheduled != 1 || fmt.Sprint(q.Queues) != "[critical default]" {
		t.Errorf("queued before the server started: %+v", q)
	}
	if fmt.Sprint(r.Processes) != "[[critical default]]" {
		t.Errorf("process set: %v, want one process on critical and default", r.Processes)
	}
	if x := r.Plain; x.Pushed != 120 || x.ResultsOK != 120 || x.RanOnce != 120 {
		t.Errorf("plain jobs: %+v; want 120 run once with their results", x)
	}
	if x := r.RetrySet; !x.Jid || x.Error != "flaky run 1" || x.Class != "RuntimeError" || x.Count != 0 {
		t.Errorf("retry set entry: %+v", x)
	}
	if r.Flaky.Runs != 2 || r.Flaky.RetrySetAfter != 0 {
		t.Errorf("retried job: %+v; want 2 runs and an empty retry set", r.Flaky)
	}
	if d := r.Dead; !d.Jid || d.Error != "always broken" || d.Class != "ArgumentError" {
		t.Errorf("dead set entry: %+v", d)
	}
	if s := r.Scheduled; s.EarlyMs > 0 || s.ScheduledSetAfter != 0 || !s.Jid {
		t.Errorf("scheduled job: %+v", s)
	}
	if s := r.Stats; s.Processed != 124 || s.Failed != 2 || s.Enqueued != 0 || s.DeadSize != 1 {
		t.Errorf("stats: %+v; want 124 processed, 2 failed, none enqueued, 1 dead", s)
	}
	if r.ServerExit == nil || *r.ServerExit != 0 || r.ProcessesAfter != 0 {
		t.Errorf("after TERM: exit %v, %d processes still registered", r.ServerExit, r.ProcessesAfter)
	}
}
