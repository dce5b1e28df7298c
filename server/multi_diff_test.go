package server

import "testing"

// TestRedisDiffMultiAdmission: what Redis refuses when it would queue a
// command (the transaction then fails with EXECABORT): any command but
// EXEC/DISCARD when out of memory, a no-multi command (SAVE, SHUTDOWN).
func TestRedisDiffMultiAdmission(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	c1 := func(args ...string) diffStep { return diffStep{on: 1, args: args} }
	runDiffScripts(t, []diffScript{
		{"oom while queueing", []diffStep{
			c("SET", "data", "some bytes"), // fastcache counts the dataset's memory only
			c("MULTI"),
			c("SET", "foo1", "bar1"),
			c1("CONFIG", "SET", "maxmemory", "1"),
			c("LPUSH", "mylist", "myvalue"),
			c("GET", "data"),
			c1("CONFIG", "SET", "maxmemory", "0"),
			c("SET", "foo2", "bar2"),
			c("EXEC"),
			c("EXISTS", "foo1", "foo2"),
			// DISCARD (and EXEC) are never refused for memory
			c("MULTI"),
			c1("CONFIG", "SET", "maxmemory", "1"),
			c("SET", "x", "1"),
			c("DISCARD"),
			c("MULTI"),
			c("EXEC"),
			c1("CONFIG", "SET", "maxmemory", "0"),
		}},
		{"no-multi commands", []diffStep{
			c("MULTI"),
			c("SAVE"),
			c("SHUTDOWN"),
			c("PING"),
			c("EXEC"),
		}},
	})
}

// TestRedisDiffWatchStaleKeys: a key already expired (but not yet deleted)
// when WATCH ran is logically gone: its deletion by expiry, FLUSHDB,
// FLUSHALL or a SWAPDB that brings no live key is no change, and EXEC
// runs; a key that expires after WATCH fails EXEC; time stands still in
// EXEC (Redis 7.0).
func TestRedisDiffWatchStaleKeys(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	stale := func(key string) []diffStep {
		return []diffStep{c("SET", key, "foo", "PX", "1"), c("DEBUG", "SLEEP", "0.01")}
	}
	var (
		deleted = append(append([]diffStep{c("DEBUG", "SET-ACTIVE-EXPIRE", "0")}, stale("x")...),
			c("WATCH", "x"), c("EXISTS", "x"), c("MULTI"), c("PING"), c("EXEC"))
		flushdb = append(append([]diffStep{c("DEBUG", "SET-ACTIVE-EXPIRE", "0")}, stale("x")...),
			c("WATCH", "x"), c("FLUSHDB"), c("MULTI"), c("PING"), c("EXEC"))
		flushall = append(append([]diffStep{c("DEBUG", "SET-ACTIVE-EXPIRE", "0")}, stale("x")...),
			c("WATCH", "x"), c("FLUSHALL"), c("MULTI"), c("PING"), c("EXEC"))
		overwritten = append(append([]diffStep{c("DEBUG", "SET-ACTIVE-EXPIRE", "0")}, stale("x")...),
			c("WATCH", "x"), c("SET", "x", "new"), c("MULTI"), c("PING"), c("EXEC"))
		swapNoKey = append(append([]diffStep{c("DEBUG", "SET-ACTIVE-EXPIRE", "0"), c("SELECT", "1")}, stale("x")...),
			c("WATCH", "x"), c("SWAPDB", "0", "1"), c("MULTI"), c("PING"), c("EXEC"), c("SELECT", "0"))
		swapToStale = append(append([]diffStep{c("DEBUG", "SET-ACTIVE-EXPIRE", "0")}, stale("x")...),
			c("SELECT", "1"), c("WATCH", "x"), c("SWAPDB", "0", "1"), c("MULTI"), c("PING"), c("EXEC"), c("SELECT", "0"))
		swapStaleStale = []diffStep{c("DEBUG", "SET-ACTIVE-EXPIRE", "0"), c("SELECT", "1"), c("SET", "x", "foo", "PX", "1"),
			c("SELECT", "0"), c("SET", "x", "bar", "PX", "1"), c("DEBUG", "SLEEP", "0.01"), c("SELECT", "1"),
			c("WATCH", "x"), c("SWAPDB", "0", "1"), c("MULTI"), c("PING"), c("EXEC"), c("SELECT", "0")}
		swapLive = []diffStep{c("SELECT", "1"), c("SET", "x", "30"), c("SELECT", "0"), c("WATCH", "x"),
			c("SWAPDB", "0", "1"), c("MULTI"), c("PING"), c("EXEC")}
		flushMissing = []diffStep{c("DEL", "x"), c("WATCH", "x"), c("FLUSHALL"), c("MULTI"), c("PING"), c("EXEC"),
			c("WATCH", "x"), c("FLUSHDB"), c("MULTI"), c("PING"), c("EXEC")}
		expiresAfterWatch = []diffStep{c("SET", "x", "foo", "PX", "5"), c("WATCH", "x"), c("DEBUG", "SLEEP", "0.02"),
			c("MULTI"), c("PING"), c("EXEC")}
		frozenInExec = []diffStep{c("MULTI"), c("SET", "k", "v", "PX", "1"), c("DEBUG", "SLEEP", "0.01"),
			c("GET", "k"), c("EXEC")}
	)
	restore := c("DEBUG", "SET-ACTIVE-EXPIRE", "1")
	var scripts []diffScript
	for _, s := range []struct {
		name  string
		steps []diffStep
	}{
		{"deleted by expiry", deleted}, {"flushdb", flushdb}, {"flushall", flushall}, {"overwritten", overwritten},
		{"swapdb brings no key", swapNoKey}, {"swapdb brings a stale key", swapToStale},
		{"swapdb stale for stale", swapStaleStale}, {"swapdb brings a live key", swapLive},
		{"flush of a missing key", flushMissing}, {"expires after watch", expiresAfterWatch},
		{"time stands still in exec", frozenInExec},
	} {
		scripts = append(scripts, diffScript{s.name, append(s.steps, restore)})
	}
	runDiffScriptsAt(t, diffRedisServer(t, "--enable-debug-command", "yes"), startServer(t, "enable-debug-command", "yes"), scripts)
}
