package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestWritableReplica: replica-read-only no lets a replica's clients
// write, as Redis's; the writes stay local (the primary never sees them)
// while the primary's keep flowing; CONFIG SET turns it back (either
// name), and INFO shows it. replica-ignore-maxmemory no makes a writable
// replica refuse writes over maxmemory (-OOM) while its primary's writes
// are still applied.
func TestWritableReplica(t *testing.T) {
	primary := startReady(t, t.TempDir())
	prdb := primary.client()
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port), "--replica-read-only", "no")
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	arrives := func(key, want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			v, err := rrdb.Get(ctx(), key).Result()
			if err == nil && v == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the primary's %s never reached the replica: %q %v", key, v, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if err := prdb.Set(ctx(), "p1", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	arrives("p1", "1")

	if v := infoField(t, rrdb, "replication", "slave_read_only"); v != "0" {
		t.Fatalf("slave_read_only = %s with replica-read-only no", v)
	}
	if err := rrdb.Set(ctx(), "local", "x", 0).Err(); err != nil {
		t.Fatalf("SET on a writable replica: %v", err)
	}
	if n, err := rrdb.Incr(ctx(), "p1").Result(); err != nil || n != 2 {
		t.Fatalf("INCR of a replicated key on the replica: %d %v", n, err)
	}
	if v, err := rrdb.Get(ctx(), "local").Result(); err != nil || v != "x" {
		t.Fatalf("GET local on the replica: %q %v", v, err)
	}
	if err := prdb.Get(ctx(), "local").Err(); err != redis.Nil {
		t.Fatalf("the replica's local write reached the primary: %v", err)
	}
	if v, _ := prdb.Get(ctx(), "p1").Result(); v != "1" {
		t.Fatalf("the replica's INCR reached the primary: p1 = %q", v)
	}
	if err := prdb.Set(ctx(), "p2", "2", 0).Err(); err != nil {
		t.Fatal(err)
	}
	arrives("p2", "2")

	// read-only again at run time, by either name
	if err := rrdb.ConfigSet(ctx(), "replica-read-only", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rrdb.Set(ctx(), "local", "y", 0).Err(); err == nil || err.Error() != "READONLY You can't write against a read only replica." {
		t.Fatalf("SET after CONFIG SET replica-read-only yes: %v", err)
	}
	if v := infoField(t, rrdb, "replication", "slave_read_only"); v != "1" {
		t.Fatalf("slave_read_only = %s with replica-read-only yes", v)
	}
	if err := rrdb.ConfigSet(ctx(), "slave-read-only", "no").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rrdb.Set(ctx(), "local", "z", 0).Err(); err != nil {
		t.Fatalf("SET after CONFIG SET slave-read-only no: %v", err)
	}

	// maxmemory on a writable replica: ignored by default, enforced with
	// replica-ignore-maxmemory no
	for _, kv := range [][2]string{{"maxmemory-policy", "noeviction"}, {"maxmemory", "1"}} {
		if err := rrdb.ConfigSet(ctx(), kv[0], kv[1]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rrdb.Set(ctx(), "big", strings.Repeat("b", 1000), 0).Err(); err != nil {
		t.Fatalf("SET over maxmemory with replica-ignore-maxmemory yes: %v", err)
	}
	if err := rrdb.ConfigSet(ctx(), "replica-ignore-maxmemory", "no").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rrdb.Set(ctx(), "big2", "b", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "OOM ") {
		t.Fatalf("SET over maxmemory with replica-ignore-maxmemory no: %v, want OOM", err)
	}
	if err := prdb.Set(ctx(), "p3", "3", 0).Err(); err != nil {
		t.Fatal(err)
	}
	arrives("p3", "3") // the primary's writes are applied whatever the memory

	// promoted: a primary enforces maxmemory whatever the replica settings
	if err := rrdb.ConfigSet(ctx(), "replica-ignore-maxmemory", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rrdb.Do(ctx(), "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rrdb.Set(ctx(), "big3", "b", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "OOM ") {
		t.Fatalf("SET over maxmemory on the promoted replica: %v, want OOM", err)
	}
	if err := rrdb.ConfigSet(ctx(), "maxmemory", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rrdb.Set(ctx(), "big3", "b", 0).Err(); err != nil {
		t.Fatalf("SET on the promoted replica: %v", err)
	}
}
