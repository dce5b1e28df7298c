package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestReplicaMasterUser: a replica authenticates as the primary's ACL user
// masteruser with masterauth as its password, and that user needs only
// what Redis's documentation gives a replica's user (+psync +replconf
// +ping): FCSYNC, fastcache's PSYNC, is allowed to whoever may run PSYNC.
// A user without +psync is refused (NOPERM in replica_last_error).
func TestReplicaMasterUser(t *testing.T) {
	primary := startReady(t, t.TempDir(), "--requirepass", "adminpw")
	prdb := redis.NewClient(&redis.Options{Addr: primary.addr(), Password: "adminpw", MaxRetries: -1})
	defer prdb.Close()
	for _, rule := range [][]any{
		{"ACL", "SETUSER", "repl", "on", ">replpw", "+psync", "+replconf", "+ping"},
		{"ACL", "SETUSER", "nopsync", "on", ">replpw", "+replconf", "+ping"},
	} {
		if err := prdb.Do(ctx(), rule...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := prdb.Set(ctx(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	of := fmt.Sprintf("127.0.0.1 %d", primary.port)
	replica := startReady(t, t.TempDir(), "--replicaof", of, "--masteruser", "repl", "--masterauth", "replpw")
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	waitFor(t, "the primary's key on the replica", func() bool { return rrdb.Get(ctx(), "k").Val() == "v" })

	denied := startReady(t, t.TempDir(), "--replicaof", of, "--masteruser", "nopsync", "--masterauth", "replpw")
	drdb := denied.client()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(infoLine(t, drdb, "replica_last_error"), "NOPERM") {
		if time.Now().After(deadline) {
			t.Fatalf("a user without +psync replicated, or failed otherwise:\n%s", drdb.Info(ctx(), "replication").Val())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v := infoField(t, drdb, "replication", "master_link_status"); v != "down" {
		t.Fatalf("link %s for a user without +psync", v)
	}
}
