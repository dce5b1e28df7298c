package main

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestReplicaServeStaleData: a replica whose primary cannot be reached,
// under replica-serve-stale-data no, answers -MASTERDOWN to what Redis
// refuses on stale data and serves the rest (INFO, PING, CONFIG ...), a
// write on a read-only replica still getting READONLY first, a queued
// command failing its MULTI; CONFIG SET serves the data again. Compared
// reply by reply with redis-server in the same situation.
func TestReplicaServeStaleData(t *testing.T) {
	dead := strconv.Itoa(freePort(t)) // nobody listens there
	fc := startReady(t, t.TempDir(), "--replicaof", "127.0.0.1 "+dead, "--replica-serve-stale-data", "no").client()
	// (redis-server is started serving stale data: startRedisServer waits
	// for PING, which a stale replica refuses)
	rs := redis.NewClient(&redis.Options{Addr: startRedisServer(t, "--save", "", "--replicaof", "127.0.0.1", dead), MaxRetries: -1})
	defer rs.Close()
	if err := rs.ConfigSet(ctx(), "replica-serve-stale-data", "no").Err(); err != nil {
		t.Fatal(err)
	}
	show := func(v any, err error) string {
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("%v", v)
	}
	for _, cmd := range [][]any{
		{"GET", "k"},
		{"SET", "k", "v"}, // READONLY comes first
		{"PING"},
		{"ECHO", "hi"},
		{"EXISTS", "k"},
		// scripts: EVAL is allowed stale, the commands it calls are checked
		// one by one; a script with flags needs allow-stale
		{"EVAL", "return 1", "0"},
		{"EVAL", "return redis.call('GET', 'k')", "0"},
		{"EVAL", "return redis.call('ECHO', 'x')", "0"},
		{"EVAL", "#!lua\nreturn 1", "0"},
		{"EVAL", "#!lua flags=no-writes\nreturn 1", "0"},
		{"EVAL", "#!lua flags=allow-stale,no-writes\nreturn redis.call('ECHO', 'y')", "0"},
		{"EVAL", "#!lua flags=allow-stale,no-writes\nreturn redis.call('GET', 'k')", "0"},
		{"FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)"},
		{"FCALL", "f", "0"},
		// REPLICAOF is allowed stale: how a stale replica is repointed or promoted
		{"REPLICAOF", "127.0.0.1", dead},
		{"CONFIG", "SET", "replica-read-only", "no"},
		{"SET", "k", "v"}, // writable now: MASTERDOWN
		{"DBSIZE"},
		{"CONFIG", "SET", "replica-serve-stale-data", "yes"},
		{"GET", "k"},
		{"SET", "k", "v"},
		{"GET", "k"},
		{"CONFIG", "SET", "slave-serve-stale-data", "no"},
		{"GET", "k"},
	} {
		want := show(rs.Do(ctx(), cmd...).Result())
		got := show(fc.Do(ctx(), cmd...).Result())
		if got != want {
			t.Errorf("%v: fastcache %q, redis %q", cmd, got, want)
		}
	}
	// a command refused when queued fails the transaction
	multi := func(rdb *redis.Client) []string {
		conn := rdb.Conn()
		defer conn.Close()
		var out []string
		for _, cmd := range [][]any{{"MULTI"}, {"GET", "k"}, {"EXEC"}} {
			out = append(out, show(conn.Do(ctx(), cmd...).Result()))
		}
		return out
	}
	want, got := multi(rs), multi(fc)
	if fmt.Sprint(got) != fmt.Sprint(want) || got[1] != "error: MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'." {
		t.Errorf("MULTI GET EXEC on stale data: fastcache %q, redis %q", got, want)
	}
	// once its primary is up and synced, the replica serves its data
	port, _ := strconv.Atoi(dead)
	primary := startOn(t, port, t.TempDir())
	primary.waitReady(time.Minute)
	if err := primary.client().Set(ctx(), "k", "from-primary", 0).Err(); err != nil {
		t.Fatal(err)
	}
	waitInfo(t, fc, "replication", "master_link_status", "up")
	waitFor(t, "the primary's key on the replica", func() bool { return fc.Get(ctx(), "k").Val() == "from-primary" })
}
