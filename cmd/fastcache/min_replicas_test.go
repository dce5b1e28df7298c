package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestMinReplicasToWrite: a primary with min-replicas-to-write 1 refuses
// writes (-NOREPLICAS) until a replica follows it and acknowledges, takes
// them while it does, and refuses them again once the replica is gone for
// longer than min-replicas-max-lag.
func TestMinReplicasToWrite(t *testing.T) {
	primary := startReady(t, t.TempDir(), "--min-replicas-to-write", "1", "--min-replicas-max-lag", "2")
	prdb := primary.client()
	if err := prdb.Set(ctx(), "k", "v", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOREPLICAS ") {
		t.Fatalf("SET with no replica: %v, want NOREPLICAS", err)
	}
	if err := prdb.Get(ctx(), "k").Err(); err == nil || err.Error() != "redis: nil" {
		t.Fatalf("GET with no replica: %v", err)
	}
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))
	waitInfo(t, replica.client(), "replication", "master_link_status", "up")
	poll := func(what string, ok func(error) bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			err := prdb.Eval(ctx(), "return redis.call('SET', KEYS[1], 'v')", []string{"k"}).Err()
			if ok(err) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: last EVAL: %v", what, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	poll("writes with a good replica", func(err error) bool { return err == nil })
	replica.kill()
	poll("writes after the replica left", func(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "NOREPLICAS ") })
}
