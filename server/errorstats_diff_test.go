package server

import (
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// diffStatsCounts keeps what INFO errorstats/commandstats/stats say about
// errors: the errorstat lines, each cmdstat's calls, rejected_calls and
// failed_calls (not its times), and total_error_replies; sorted.
func diffStatsCounts(reply string) string {
	usec := regexp.MustCompile(`usec=\d+,usec_per_call=[\d.]+,`)
	var keep []string
	for _, l := range strings.Split(reply, "\r\n") {
		switch {
		case strings.HasPrefix(l, "errorstat_"), strings.HasPrefix(l, "total_error_replies:"):
			keep = append(keep, l)
		case strings.HasPrefix(l, "cmdstat_") && !strings.HasPrefix(l, "cmdstat_info:"):
			keep = append(keep, usec.ReplaceAllString(l, ""))
		}
	}
	sort.Strings(keep)
	return strings.Join(keep, "\n")
}

// TestRedisDiffErrorStats: the errors of a script's commands count once
// in INFO errorstats (when the command replies; not again when the script
// passes them on), errors the script makes itself count when it replies,
// an EVAL whose reply holds an error fails, one that swallowed its
// command's error does not; an error that ends a blocked command counts
// and fails the command (CLIENT UNBLOCK ... ERROR).
func TestRedisDiffErrorStats(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	stats := func() diffStep {
		return c("INFO", "errorstats", "commandstats", "stats").with(diffStatsCounts)
	}
	steps := []diffStep{
		c("SET", "str", "abc"), c("CONFIG", "RESETSTAT"),
		c("EVAL", "return redis.call('incr','str')", "0"),
		c("EVAL", "return redis.pcall('incr','str')", "0"),
		c("EVAL", "return redis.error_reply('MY err')", "0"),
		c("EVAL", "return {err='X y'}", "0"),
		c("EVAL", "error('boom')", "0"),
		stats(),
		c("EVAL", "redis.pcall('incr','str') return 1", "0"),
		c("EVAL", "return {1,redis.pcall('incr','str'),{err='Z n'}}", "0"),
		c("EVAL", "return {redis.pcall('incr','str')}", "0"),
		c("EVAL", "return redis.call('nosuch')", "0"),
		c("EVAL", "local t = redis.pcall('incr','str') return t['ignore_error_stats_update']", "0"),
		c("EVAL", "redis.pcall('XGROUP', 'CREATECONSUMER', 's1', 'mygroup', 'consumer') return", "0"),
		c("EVAL", "a"),
		stats(),
		c("MULTI"), c("INCR", "str"), c("SET", "k", "v"), c("EXEC"),
		stats(),
		c("FUNCTION", "LOAD", "#!lua name=errlib\nredis.register_function('f', function() return redis.call('incr','str') end)"),
		c("FCALL", "f", "0"), c("FUNCTION", "DELETE", "errlib"),
		stats(),
	}
	runDiffScripts(t, []diffScript{{"errorstats", steps}})
}

// TestErrorStatsUnblocked: CLIENT UNBLOCK ... ERROR answers the blocked
// command with -UNBLOCKED, which counts in INFO errorstats and fails the
// command, as in Redis.
func TestErrorStatsUnblocked(t *testing.T) {
	ts := startServer(t)
	rc, blocked := ts.rawConn(t), ts.rawConn(t)
	rc.do("CONFIG", "RESETSTAT")
	id := strings.TrimSpace(strings.TrimPrefix(blocked.do("CLIENT", "ID"), ":"))
	blocked.write(string(diffEncode([]string{"BLPOP", "list1", "0"})))
	waitFor(t, 5*time.Second, "the client blocked", func() bool {
		return strings.Contains(rc.val("INFO", "clients").str, "blocked_clients:1")
	})
	if r := rc.do("CLIENT", "UNBLOCK", id, "ERROR"); r != ":1\r\n" {
		t.Fatalf("CLIENT UNBLOCK: %q", r)
	}
	if r := blocked.read(); r != "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n" {
		t.Fatalf("blocked client: %q", r)
	}
	got := diffStatsCounts(rc.val("INFO", "errorstats", "commandstats", "stats").str)
	for _, want := range []string{"errorstat_UNBLOCKED:count=1", "cmdstat_blpop:calls=1,rejected_calls=0,failed_calls=1", "total_error_replies:1"} {
		if !strings.Contains(got, want) {
			t.Errorf("stats lack %q:\n%s", want, got)
		}
	}
}
