// A small asynq application, run by cmd/fastcache/apps_asynq_test.go
// against fastcache (and, to compare, against redis-server): a client
// enqueues tasks, a server processes them, an inspector reads their state,
// and what a user sees is printed as one JSON object on stdout.
//
// usage: go run . PORT
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

var out = map[string]any{"errors": map[string]string{}}

func fail(step string, err error) {
	out["errors"].(map[string]string)[step] = err.Error()
}

func waitFor(what string, timeout time.Duration, cond func() bool) error {
	end := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(end) {
			return errors.New("timed out: " + what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func main() {
	port, _ := strconv.Atoi(os.Args[1])
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	opt := asynq.RedisClientOpt{Addr: addr, DB: 6} // a numbered database
	raw := redis.NewClient(&redis.Options{Addr: addr, DB: 6})
	ctx := context.Background()
	raw.FlushDB(ctx)
	client := asynq.NewClient(opt)
	defer client.Close()
	insp := asynq.NewInspector(opt)
	defer insp.Close()

	var (
		mu        sync.Mutex
		runs      = map[string]int{}
		ranAt     = map[string]time.Time{}
		flakyRuns atomic.Int32
		batches   [][]string
	)
	mux := asynq.NewServeMux()
	mux.HandleFunc("square", func(ctx context.Context, t *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		mu.Lock()
		runs[id]++
		mu.Unlock()
		n, _ := strconv.Atoi(string(t.Payload()))
		_, err := t.ResultWriter().Write([]byte(strconv.Itoa(n * n)))
		return err
	})
	mux.HandleFunc("flaky", func(ctx context.Context, t *asynq.Task) error {
		if flakyRuns.Add(1) < 3 {
			return errors.New("flaky")
		}
		return nil
	})
	mux.HandleFunc("broken", func(ctx context.Context, t *asynq.Task) error {
		return errors.New("always broken")
	})
	mux.HandleFunc("stamp", func(ctx context.Context, t *asynq.Task) error {
		mu.Lock()
		ranAt[string(t.Payload())] = time.Now()
		mu.Unlock()
		return nil
	})
	mux.HandleFunc("batch", func(ctx context.Context, t *asynq.Task) error {
		var items []string
		json.Unmarshal(t.Payload(), &items)
		sort.Strings(items)
		mu.Lock()
		batches = append(batches, items)
		mu.Unlock()
		return nil
	})
	srv := asynq.NewServer(opt, asynq.Config{
		Concurrency:              5,
		Queues:                   map[string]int{"critical": 6, "default": 3},
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 100 * time.Millisecond },
		DelayedTaskCheckInterval: 200 * time.Millisecond,
		GroupGracePeriod:         time.Second,
		GroupAggregator: asynq.GroupAggregatorFunc(func(group string, tasks []*asynq.Task) *asynq.Task {
			var items []string
			for _, t := range tasks {
				items = append(items, string(t.Payload()))
			}
			b, _ := json.Marshal(items)
			return asynq.NewTask("batch", b)
		}),
		LogLevel: asynq.WarnLevel,
	})
	if err := srv.Start(mux); err != nil {
		fail("start", err)
		emit()
		return
	}
	defer func() { srv.Shutdown() }()

	// plain tasks on two weighted queues, kept with their results
	const n = 100
	type qid struct{ q, id string }
	var ids []qid
	for i := 0; i < n; i++ {
		q := "default"
		if i%4 == 0 {
			q = "critical"
		}
		info, err := client.Enqueue(asynq.NewTask("square", []byte(strconv.Itoa(i))), asynq.Queue(q), asynq.Retention(time.Hour))
		if err != nil {
			fail("enqueue", err)
			break
		}
		ids = append(ids, qid{info.Queue, info.ID})
	}
	err := waitFor("square tasks", 30*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(runs) == n
	})
	if err != nil {
		fail("plain", err)
	}
	resultsOK, once := 0, 0
	for i, t := range ids {
		q, id := t.q, t.id
		info, err := insp.GetTaskInfo(q, id)
		if err == nil && info.State == asynq.TaskStateCompleted && string(info.Result) == strconv.Itoa(i*i) {
			resultsOK++
		}
		mu.Lock()
		if runs[id] == 1 {
			once++
		}
		mu.Unlock()
	}
	out["plain"] = map[string]int{"enqueued": len(ids), "resultsOK": resultsOK, "ranOnce": once}

	// retries, and a task archived after its retries
	if _, err := client.Enqueue(asynq.NewTask("flaky", nil), asynq.MaxRetry(3)); err != nil {
		fail("flaky", err)
	}
	broken, err := client.Enqueue(asynq.NewTask("broken", nil), asynq.MaxRetry(1))
	if err != nil {
		fail("broken", err)
	} else {
		err = waitFor("broken task archived", 20*time.Second, func() bool {
			info, err := insp.GetTaskInfo("default", broken.ID)
			return err == nil && info.State == asynq.TaskStateArchived
		})
		if err != nil {
			fail("archived", err)
		}
		info, _ := insp.GetTaskInfo("default", broken.ID)
		if info != nil {
			out["archived"] = map[string]any{"lastErr": info.LastErr, "retried": info.Retried}
		}
		arch, _ := insp.ListArchivedTasks("default")
		out["archivedList"] = len(arch)
	}
	if err := waitFor("flaky task", 20*time.Second, func() bool { return flakyRuns.Load() >= 3 }); err != nil {
		fail("flaky", err)
	}
	out["flakyRuns"] = flakyRuns.Load()

	// scheduled tasks
	t0 := time.Now()
	if _, err := client.Enqueue(asynq.NewTask("stamp", []byte("in")), asynq.ProcessIn(time.Second)); err != nil {
		fail("scheduled", err)
	}
	if _, err := client.Enqueue(asynq.NewTask("stamp", []byte("at")), asynq.ProcessAt(t0.Add(time.Second))); err != nil {
		fail("scheduled", err)
	}
	// unique tasks and task IDs
	_, err1 := client.Enqueue(asynq.NewTask("stamp", []byte("u")), asynq.Unique(time.Minute), asynq.ProcessIn(time.Hour))
	_, err2 := client.Enqueue(asynq.NewTask("stamp", []byte("u")), asynq.Unique(time.Minute), asynq.ProcessIn(time.Hour))
	_, err3 := client.Enqueue(asynq.NewTask("stamp", []byte("id")), asynq.TaskID("fixed-id"), asynq.ProcessIn(time.Hour))
	_, err4 := client.Enqueue(asynq.NewTask("stamp", []byte("id")), asynq.TaskID("fixed-id"), asynq.ProcessIn(time.Hour))
	out["unique"] = []string{errString(err1), errString(err2), errString(err3), errString(err4)}
	if err := waitFor("scheduled tasks", 20*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return !ranAt["in"].IsZero() && !ranAt["at"].IsZero()
	}); err != nil {
		fail("scheduled", err)
	}
	mu.Lock()
	// asynq keeps a task's time in whole seconds: no task may run before
	// the second it was scheduled in
	due := time.Unix(t0.Add(time.Second).Unix(), 0)
	out["scheduledEarly"] = []bool{ranAt["in"].Before(due), ranAt["at"].Before(due)}
	mu.Unlock()

	// aggregation: tasks of a group are run as one batch
	for _, s := range []string{"a", "b", "c"} {
		if _, err := client.Enqueue(asynq.NewTask("item", []byte(s)), asynq.Group("g1")); err != nil {
			fail("group", err)
		}
	}
	if err := waitFor("aggregated batch", 20*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(batches) > 0
	}); err != nil {
		fail("group", err)
	}
	mu.Lock()
	out["batches"] = batches
	mu.Unlock()

	// the inspector's view; running the archived task again
	queues, err := insp.Queues()
	sort.Strings(queues)
	out["queues"] = queues
	if qi, err := insp.GetQueueInfo("default"); err == nil {
		out["defaultQueue"] = map[string]int{"archived": qi.Archived, "scheduled": qi.Scheduled, "pending": qi.Pending, "active": qi.Active}
	} else {
		fail("queueInfo", err)
	}
	if k, err := insp.RunAllArchivedTasks("default"); err == nil {
		out["rerunArchived"] = k
	} else {
		fail("rerun", err)
	}
	if servers, err := insp.Servers(); err == nil {
		out["servers"] = len(servers)
	} else {
		fail("servers", err)
	}
	emit()
}

func errString(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, asynq.ErrDuplicateTask):
		return "duplicate"
	case errors.Is(err, asynq.ErrTaskIDConflict):
		return "id conflict"
	}
	return err.Error()
}

func emit() {
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
