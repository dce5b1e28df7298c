package main

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

// TestAppNodeQueues: Bull 4 and Bee-Queue 2 (ioredis and node_redis 3
// underneath, Lua scripts for their state changes, BRPOPLPUSH for the next
// job, pub/sub for events) run unchanged against fastcache, and what each
// shows its user is what it shows against Redis 7.0 (the wanted values are
// redis-server 7.0.15's): jobs run once with their results and progress and
// a global completed event each, a retried job completes on its second run,
// a failing one fails with its reason, delayed jobs wait, repeatable jobs
// repeat, priorities order jobs added while paused, the worker list shows
// the worker, clean and obliterate/destroy leave no key behind.
func TestAppNodeQueues(t *testing.T) {
	node, dir := nodeApp(t, "nodequeues")
	p := startReady(t, t.TempDir())
	args := func(port int) []string { return []string{"app.js", strconv.Itoa(port)} }
	var r map[string]json.RawMessage
	runApp(t, dir, 90*time.Second, p.port, &r, node, args)
	defer func() {
		if t.Failed() {
			alsoAgainstRedis(t, dir, 90*time.Second, node, args)
		}
	}()
	checkAppJSON(t, r, map[string]string{
		"bull":     `{"plainOK":50,"retried":{"runs":2,"state":"completed"},"broken":{"state":"failed","reason":"always broken"},"delayedEarly":false,"repeatRuns":true,"repeatable":1,"workers":1,"priorityOrder":[1,2,3],"completedAfterClean":0,"keysLeft":0}`,
		"beeQueue": `{"resultsOK":30,"retriedRuns":2,"delayedRan":true,"health":{"waiting":0,"active":0,"succeeded":32,"failed":1,"delayed":0},"failedReason":["Error: bee broken"],"keysLeft":0}`,
	})
}
