package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestReplBacklogSize: repl-backlog-size sets how much of its stream a
// primary keeps for a replica to continue from after a break (at least 64
// MiB: Redis's 1 MB default gives that). A replica killed while 80 MB of
// writes go by continues without a full resync from a primary keeping
// 200 MB, and needs one from a primary keeping the default.
func TestReplBacklogSize(t *testing.T) {
	if testing.Short() {
		t.Skip("80 MB of writes, twice")
	}
	for _, c := range []struct {
		backlog    string
		info       string
		fullResync bool
	}{{"1mb", "67108864", true}, {"200mb", "209715200", false}} {
		t.Run(c.backlog, func(t *testing.T) {
			primary := startReady(t, t.TempDir())
			prdb := primary.client()
			if err := prdb.ConfigSet(ctx(), "repl-backlog-size", c.backlog).Err(); err != nil {
				t.Fatal(err)
			}
			if v := infoField(t, prdb, "replication", "repl_backlog_size"); v != c.info {
				t.Fatalf("repl_backlog_size = %s with repl-backlog-size %s, want %s", v, c.backlog, c.info)
			}
			rport, rdir := freePort(t), t.TempDir()
			// (always: the position of the replica's last frame is on its disk when it is killed)
			of := []string{"--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port), "--appendfsync", "always"}
			replica := startOn(t, rport, rdir, of...)
			replica.waitReady(time.Minute)
			waitInfo(t, replica.client(), "replication", "master_link_status", "up")
			if err := prdb.Set(ctx(), "first", "1", 0).Err(); err != nil {
				t.Fatal(err)
			}
			replicaHasAll(t, prdb)
			walDurable(t, replica.client())
			replica.kill()
			// 80 MB of values that do not compress
			nkeys := 20_000
			if s := os.Getenv("BACKLOG_KEYS"); s != "" {
				nkeys, _ = strconv.Atoi(s)
			}
			val := make([]byte, 4096)
			for i := 0; i < nkeys; i += 100 {
				pipe := prdb.Pipeline()
				for j := i; j < i+100; j++ {
					rand.Read(val)
					pipe.Set(ctx(), "k"+strconv.Itoa(j), string(val), 0)
				}
				if _, err := pipe.Exec(ctx()); err != nil {
					t.Fatal(err)
				}
			}
			replica = startOn(t, rport, rdir, of...)
			replica.waitReady(time.Minute)
			rrdb := replica.client()
			waitInfo(t, rrdb, "replication", "master_link_status", "up")
			replicaHasAll(t, prdb) // (WAIT on the connection of a write of its own)
			if v := rrdb.Get(ctx(), "k"+strconv.Itoa(nkeys-1)).Val(); len(v) != 4096 {
				t.Fatalf("the last write is not on the replica (%d bytes)", len(v))
			}
			full := infoField(t, rrdb, "replication", "replica_full_syncs")
			if got := full != "0"; got != c.fullResync {
				t.Fatalf("repl-backlog-size %s: replica_full_syncs %s after 80 MB behind, want a full resync: %v\n%s\nprimary:\n%s", c.backlog, full, c.fullResync, replica.out.String(), primary.out.String())
			}
		})
	}
}

// TestReplBacklogTTL: a primary frees its backlog repl-backlog-ttl seconds
// after its last replica left (INFO repl_backlog_active:0), as Redis's; a
// replica that comes back later gets a full resync.
func TestReplBacklogTTL(t *testing.T) {
	primary := startReady(t, t.TempDir())
	prdb := primary.client()
	if err := prdb.ConfigSet(ctx(), "repl-backlog-ttl", "1").Err(); err != nil {
		t.Fatal(err)
	}
	rport, rdir := freePort(t), t.TempDir()
	of := []string{"--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port), "--appendfsync", "always"}
	replica := startOn(t, rport, rdir, of...)
	replica.waitReady(time.Minute)
	waitInfo(t, replica.client(), "replication", "master_link_status", "up")
	if err := prdb.Set(ctx(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	replicaHasAll(t, prdb)
	walDurable(t, replica.client())
	if v := infoField(t, prdb, "replication", "repl_backlog_active"); v != "1" {
		t.Fatalf("repl_backlog_active = %s with a replica", v)
	}
	replica.kill()
	waitFor(t, "the primary to free its backlog 1 s after the replica left", func() bool {
		return infoField(t, prdb, "replication", "repl_backlog_active") == "0"
	})
	// a write after it: the replica can no longer continue from its position
	if err := prdb.Set(ctx(), "k2", "v2", 0).Err(); err != nil {
		t.Fatal(err)
	}
	replica = startOn(t, rport, rdir, of...)
	replica.waitReady(time.Minute)
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	if v := infoField(t, rrdb, "replication", "replica_full_syncs"); v != "1" {
		t.Fatalf("replica_full_syncs = %s after the backlog was freed, want 1", v)
	}
	if v := rrdb.Get(ctx(), "k2").Val(); v != "v2" {
		t.Fatalf("k2 on the replica after its full resync: %q", v)
	}
}

// walDurable waits until every record in rdb's server's log is on its disk
// (a replica acknowledges a frame once applied, not once durable: killed
// before, it restarts from an older position).
func walDurable(t *testing.T, rdb *redis.Client) {
	t.Helper()
	waitFor(t, "the log to be durable", func() bool { return infoField(t, rdb, "persistence", "wal_pending_records") == "0" })
}

// TestReplicaCleanRestartResumes: a replica stopped cleanly (SIGTERM, its
// shutdown snapshot taken) continues from its position at the restart,
// from the primary's backlog, without a full resync, as Redis's replica
// does from the replication id and offset in its RDB file; the writes made
// while it was down reach it.
func TestReplicaCleanRestartResumes(t *testing.T) {
	primary := startReady(t, t.TempDir())
	prdb := primary.client()
	rport, rdir := freePort(t), t.TempDir()
	of := []string{"--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port)}
	replica := startOn(t, rport, rdir, of...)
	replica.waitReady(time.Minute)
	waitInfo(t, replica.client(), "replication", "master_link_status", "up")
	load(t, prdb, 20_000)
	replicaHasAll(t, prdb)
	replica.stop() // SIGTERM: the shutdown snapshot, then the position after it
	if err := prdb.Set(ctx(), "while-down", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	replica = startOn(t, rport, rdir, of...)
	replica.waitReady(time.Minute)
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	if v := infoField(t, rrdb, "replication", "replica_full_syncs"); v != "0" {
		t.Fatalf("replica_full_syncs = %s after a clean restart, want 0 (continued from the backlog)\n%s", v, replica.out.String())
	}
	if n := converge(t, prdb, rrdb); n < 20_001 {
		t.Fatalf("only %d keys converged", n)
	}
}
