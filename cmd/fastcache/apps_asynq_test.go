package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestAppAsynq: an asynq application (Go, go-redis underneath; a Lua script
// for every state change, sorted sets for scheduled, retry, archived and
// group tasks, hashes for task messages and results) on database 6 runs
// unchanged against fastcache, and what it shows its user is what it shows
// against Redis 7.0 (the wanted values are redis-server 7.0.15's): 100
// tasks on two weighted queues run once with their results kept, a flaky
// task succeeds on its third run, a failing task is archived with its error
// and can be run again, scheduled tasks run no earlier, unique tasks and
// task IDs refuse duplicates, a group is aggregated into one batch, and the
// inspector lists the queues, their counts and the server.
func TestAppAsynq(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		appsMissing(t, "go not found on PATH: %v", err)
	}
	dir := appDir(t, "asynq")
	bin := filepath.Join(t.TempDir(), "asynqapp")
	build := exec.Command(gobin, "build", "-o", bin, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		appsMissing(t, "go build in %s (its modules come from the Go module proxy): %v\n%s", dir, err, out)
	}
	p := startReady(t, t.TempDir())
	args := func(port int) []string { return []string{strconv.Itoa(port)} }
	var r map[string]json.RawMessage
	runApp(t, dir, 60*time.Second, p.port, &r, bin, args)
	defer func() {
		if t.Failed() {
			alsoAgainstRedis(t, dir, 60*time.Second, bin, args)
		}
	}()
	checkAppJSON(t, r, map[string]string{
		"plain":          `{"enqueued":100,"ranOnce":100,"resultsOK":100}`,
		"flakyRuns":      `3`,
		"archived":       `{"lastErr":"always broken","retried":1}`,
		"archivedList":   `1`,
		"scheduledEarly": `[false,false]`,
		"unique":         `["ok","duplicate","ok","id conflict"]`,
		"batches":        `[["a","b","c"]]`,
		"queues":         `["critical","default"]`,
		"defaultQueue":   `{"active":0,"archived":1,"pending":0,"scheduled":2}`,
		"rerunArchived":  `1`,
		"servers":        `1`,
	})
}
