package server

import (
	"bufio"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestScriptRunReuse: a client's run state is reused from one script to
// the next (Client.newRun) while other clients look at the running script
// (SCRIPT KILL, FUNCTION STATS, the -BUSY check): every script still runs
// once and whole, a killed script's state does not reach the client's next
// one, and kills still find the script in progress.
func TestScriptRunReuse(t *testing.T) {
	ts := startServer(t)
	other := ts.client(t, 3)
	lib := "#!lua name=rl\n" +
		"redis.register_function('inc', function(keys) return redis.call('INCR', keys[1]) end)\n" +
		"redis.register_function('spin', function() while true do end end)"
	if err := other.FunctionLoad(ctx(), lib).Err(); err != nil {
		t.Fatal(err)
	}
	sha := other.ScriptLoad(ctx(), "return redis.call('INCR', KEYS[1])").Val()

	conn := ts.raw(t)
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	br := bufio.NewReader(conn)
	var next int64 = 1
	pipeline := func(n int) {
		t.Helper()
		var sb strings.Builder
		for i := 0; i < n; i++ {
			if i%2 == 0 {
				sb.WriteString(encodeCmd("EVALSHA", sha, "1", "rk"))
			} else {
				sb.WriteString(encodeCmd("FCALL", "inc", "1", "rk"))
			}
		}
		if _, err := conn.Write([]byte(sb.String())); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			r, err := diffReadReply(br)
			if err != nil {
				t.Fatal(err)
			}
			if want := ":" + strconv.FormatInt(next, 10) + "\r\n"; r != want {
				t.Fatalf("reply %q, want %q", r, want)
			}
			next++
		}
	}

	// Other clients look at the running script while this one runs many.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 2000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// Scripts here are short: nothing is busy, unless the machine
			// stalls a script past busy-reply-threshold (then it wrote).
			if err := other.Do(ctx(), "SCRIPT", "KILL").Err(); err == nil ||
				(!strings.HasPrefix(err.Error(), "NOTBUSY") && !strings.HasPrefix(err.Error(), "UNKILLABLE")) {
				errs <- fmt.Errorf("SCRIPT KILL: %v", err)
				return
			}
			st, err := other.Do(ctx(), "FUNCTION", "STATS").Result()
			if err != nil {
				errs <- fmt.Errorf("FUNCTION STATS: %v", err)
				return
			}
			if s := fmt.Sprint(st); !strings.Contains(s, "running_script:<nil>") && !strings.Contains(s, " name:inc]") {
				errs <- fmt.Errorf("FUNCTION STATS: %s", s)
				return
			}
		}
	}()
	for i := 0; i < 40; i++ {
		pipeline(50)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// A busy script after many reused runs: seen, killed; the client's next
	// scripts run as usual (not killed again).
	if err := other.ConfigSet(ctx(), "busy-reply-threshold", "100").Err(); err != nil {
		t.Fatal(err)
	}
	kill := func(call []string, killCmd []string, wantStats, wantReply string) {
		t.Helper()
		if _, err := conn.Write([]byte(encodeCmd(call...))); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			err := other.Get(ctx(), "x").Err()
			if err != nil && strings.HasPrefix(err.Error(), "BUSY") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q: no -BUSY (%v)", call, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
		st := fmt.Sprint(other.Do(ctx(), "FUNCTION", "STATS").Val())
		if err := other.Do(ctx(), killCmd[0], killCmd[1]).Err(); err != nil {
			t.Fatalf("%q: %v", killCmd, err)
		}
		if !strings.Contains(st, wantStats) {
			t.Fatalf("FUNCTION STATS: %s", st)
		}
		r, err := diffReadReply(br)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(r, wantReply) {
			t.Fatalf("%q replied %q", call, r)
		}
		pipeline(10)
	}
	for i := 0; i < 2; i++ {
		kill([]string{"FCALL", "spin", "0"}, []string{"FUNCTION", "KILL"},
			"[FCALL spin 0]", "-ERR Script killed by user with FUNCTION KILL...") // the call, under both network layers
		kill([]string{"EVAL", "while true do end", "0"}, []string{"SCRIPT", "KILL"},
			"running_script:<nil>", "-ERR Script killed by user with SCRIPT KILL...")
	}
}

// TestScriptIntegerRepliesKept: integer replies of redis.call are boxed
// from shared blocks (numBox); values a script keeps stay what they were
// while the Go collector runs, and across scripts.
func TestScriptIntegerRepliesKept(t *testing.T) {
	ts := startServer(t)
	// scripts slowed down by the collections below (and -race): a read
	// timeout of their own
	rdb := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 2, MaxRetries: -1, ReadTimeout: time.Minute})
	t.Cleanup(func() { rdb.Close() })
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 2000; i++ {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	body := "local t = {} for i = 1, 300 do t[i] = redis.call('INCRBY', KEYS[1], ARGV[1]) end " +
		"local small = {} for i = 1, 100 do small[i] = redis.call('EXISTS', KEYS[1]) end " +
		"local n = 0 for i = 1, 100 do n = n + small[i] end t[301] = n return t"
	var cur int64
	for round, step := range []int64{-7, 1, 300, 1 << 40, -(1 << 41), 3} {
		got, err := rdb.Eval(ctx(), body, []string{"nk"}, step).Int64Slice()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 301 {
			t.Fatalf("round %d: %d values", round, len(got))
		}
		for i := 0; i < 300; i++ {
			cur += step
			if got[i] != cur {
				t.Fatalf("round %d: value %d = %d, want %d", round, i+1, got[i], cur)
			}
		}
		if got[300] != 100 {
			t.Fatalf("round %d: sum of EXISTS = %d", round, got[300])
		}
	}
}
