package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestRedisTestSuite runs a subset of Redis 7.0.15's own Tcl test suite
// against the fastcache binary through scripts/redis-testsuite.sh (see the
// README's "Redis's own test suite"), and fails with the name of every test
// that failed. It needs tclsh, redis-cli and Redis's source, which
// `scripts/redis-testsuite.sh --fetch` downloads into $REDIS_SRC_CACHE
// (default ~/.cache/fastcache); without them it skips, or fails with
// FASTCACHE_REQUIRE_REDIS_SUITE=1 (.ci/run provides them and sets it).
//
// The units are those that run the same every time, also with the CPU busy;
// tests in them that depend on timing are in scripts/redis-testsuite.skip.
// Each lane is one run of the script (its units one after another, each on a
// fresh server); the lanes run in parallel on their own ports.
var redisSuiteLanes = []struct {
	spawn bool   // SPAWN=1: the suite starts each test group's own server
	extra string // FCEXTRA: flags for every server of the lane
	tls   bool   // the suite's --tls: every server and client over TLS
	units []string
}{
	// Over TLS (the suite's servers on tls-port alone, with client
	// certificates, tls-replication and tls-cluster: MIGRATE in dump.tcl).
	// pubsub too: two of its tests PUBLISH from one connection right after
	// an UNSUBSCRIBE without arguments on another whose reply they do not
	// wait for, which only a server running both connections on one
	// thread orders (TLS connections are served by the event loops).
	{spawn: true, tls: true, units: []string{"type/string", "type/set", "type/stream", "tracking",
		"acl", "info", "keyspace", "protocol", "dump", "introspection", "pubsub"}},
	// The fuzzers geo, hyperloglog and type/list-3 take about a minute each
	// (most of it in the Tcl client: redis-server takes as long), one per lane.
	{units: []string{"type/zset", "type/hash", "type/incr", "bitops", "bitfield", "keyspace", "multi", "geo"}},
	{units: []string{"dump", "expire", "type/string", "scan", "sort", "hyperloglog"}},
	{units: []string{"type/stream", "type/stream-cgroups", "pubsub", "protocol",
		"introspection-2", "latency-monitor", "tracking", "lazyfree", "functions"}},
	{units: []string{"type/list", "type/list-2", "type/set", "type/list-3", "scripting"}},
	// auth.tcl, pubsubshard.tcl and networking.tcl make replicas:
	// fastcache's primaries serve replicas from the WAL, which the suite's
	// config turns off; other.tcl's DEBUG LOADAOF needs the WAL too.
	{spawn: true, extra: "--appendonly yes",
		units: []string{"info", "acl", "acl-v2", "auth", "slowlog", "pause", "info-command", "wait"}},
	{spawn: true, extra: "--appendonly yes", units: []string{"pubsubshard", "networking", "other", "limits", "maxmemory"}},
	// introspection with its own servers: config files, CONFIG REWRITE and
	// restarts, rename-command, command-line parsing (whose tests an
	// appended "--appendonly yes" would change)
	// obuf-limits and oom-score-adj are tagged external:skip (their own servers)
	// (shutdown.tcl is left out: its one test that applies sends SIGTERM and
	// SHUTDOWN ABORT 10 ms apart, less than a busy machine may take to hand
	// the signal to Go's handler; TestShutdownAbortSignal tests it.)
	// integration/: redis-cli and redis-benchmark against fastcache, and a
	// start next to Redis's own old RDB files (zipmap, ziplist encodings).
	{spawn: true, units: []string{"introspection", "obuf-limits", "oom-score-adj", "quit", "memefficiency", "violations",
		"integration/redis-cli", "integration/redis-benchmark", "integration/convert-zipmap-hash-on-load",
		"integration/convert-ziplist-hash-on-load", "integration/convert-ziplist-zset-on-load"}},
	// corrupt DUMP payloads (those Redis's fuzzer found, then 20 s of the
	// fuzzer itself: RESTOREs of randomly corrupted payloads, each accepted
	// one followed by a second of random commands on its key)
	{spawn: true, units: []string{"integration/corrupt-dump", "integration/corrupt-dump-fuzzer", "client-eviction"}},
}

func TestRedisTestSuite(t *testing.T) {
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("FASTCACHE_REQUIRE_REDIS_SUITE") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	for _, tool := range []string{"tclsh", "redis-cli"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing("%s is not installed (apt-get install -y tcl redis-tools)", tool)
		}
	}
	cache := os.Getenv("REDIS_SRC_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			missing("no home directory for Redis's source: %v", err)
		}
		cache = filepath.Join(home, ".cache", "fastcache")
	}
	if _, err := os.Stat(filepath.Join(cache, "redis-7.0.15", "runtest")); err != nil {
		missing("Redis 7.0.15's source is not in %s: scripts/redis-testsuite.sh --fetch downloads it", cache)
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "redis-testsuite.sh"))
	if err != nil {
		t.Fatal(err)
	}
	bin := binary(t)

	// The suite's own ports: its test client listens on one of the 32 below
	// BASEPORT, and the servers it spawns take ports from BASEPORT up (each
	// also checks port+10000 is free). They are taken under the range that
	// freePort hands out to the servers of the other tests.
	low, _ := portRange()
	base := low - 250*(len(redisSuiteLanes)+2) + 250*rand.IntN(3) // a lane's 250 ports each

	type result struct {
		out    string
		failed []string
		err    error
	}
	results := make([]result, len(redisSuiteLanes))
	start := time.Now()
	var wg sync.WaitGroup
	tclTLS := exec.Command("tclsh")
	tclTLS.Stdin = strings.NewReader("package require tls\n")
	haveTLS := tclTLS.Run() == nil
	for i, lane := range redisSuiteLanes {
		if lane.tls && !haveTLS {
			if os.Getenv("FASTCACHE_REQUIRE_REDIS_SUITE") == "1" {
				t.Errorf("lane %d runs over TLS: Tcl's tls package is missing (apt-get install -y tcl-tls)", i)
			} else {
				t.Logf("lane %d skipped: Tcl's tls package is missing (apt-get install -y tcl-tls)", i)
			}
			continue
		}
		dir := t.TempDir()
		// --no-latency: the latency monitor's tests do not check the
		// measured milliseconds (DEBUG SLEEP 0.3 within 250-450 ms), which a
		// busy machine stretches.
		extra := "--no-latency"
		if lane.tls {
			extra += " --tls"
		}
		env := append(os.Environ(), "REDIS_SRC_CACHE="+cache, "FC="+bin, "OUT="+dir, "TMO=600", "EXTRA="+extra,
			fmt.Sprintf("PORT=%d", freePort(t)), fmt.Sprintf("BASEPORT=%d", base+i*250+32))
		if lane.spawn {
			env = append(env, "SPAWN=1")
		}
		if lane.extra != "" {
			env = append(env, "FCEXTRA="+lane.extra)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := runSuiteLane(script, env, lane.units, 20*time.Minute)
			results[i] = result{out: out, failed: suiteFailures(dir, lane.units), err: err}
		}()
	}
	wg.Wait()
	t.Logf("%d lanes in %v", len(redisSuiteLanes), time.Since(start).Round(time.Second))
	for i, r := range results {
		t.Logf("lane %d:\n%s", i, r.out)
		if len(r.failed) > 0 {
			t.Errorf("Redis's test suite, lane %d: %d failed:\n%s", i, len(r.failed), strings.Join(r.failed, "\n"))
		} else if r.err != nil {
			t.Errorf("Redis's test suite, lane %d: %v", i, r.err)
		}
	}
}

// runSuiteLane runs the script on units in its own process group, which it
// kills after timeout (the script's servers and tclsh processes with it).
func runSuiteLane(script string, env, units []string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{script}, units...)...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("still running after %v: %w", timeout, err)
	}
	return string(out), err
}

// suiteFailures reads each unit's log in dir: the [err] and [exception]
// lines with the line that follows (what was expected), and a unit that
// did not finish or ran no test.
func suiteFailures(dir string, units []string) []string {
	var failed []string
	for _, u := range units {
		f, err := os.Open(filepath.Join(dir, strings.ReplaceAll(u, "/", "_")+".log"))
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: no log: %v", u, err))
			continue
		}
		var ok, done bool
		next := false
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case next:
				failed[len(failed)-1] += "\n        " + truncate(line, 300)
				next = false
			case strings.HasPrefix(line, "[err]") || strings.HasPrefix(line, "[exception]"):
				failed = append(failed, fmt.Sprintf("%s: %s", u, truncate(line, 300)))
				next = true
			case strings.HasPrefix(line, "[ok]"):
				ok = true
			case strings.Contains(line, "All tests passed") || strings.Contains(line, "[1/1 done]"):
				done = true
			}
		}
		f.Close()
		if !done {
			failed = append(failed, u+": did not finish")
		} else if !ok {
			failed = append(failed, u+": ran no test")
		}
	}
	return failed
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
