package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestReplicaAnnounce: replica-announce-ip and replica-announce-port are
// what the primary shows for the replica in INFO replication and ROLE
// (where Sentinel finds replicas), as Redis's; without them the address
// its connection comes from and its own port.
func TestReplicaAnnounce(t *testing.T) {
	primary := startReady(t, t.TempDir())
	prdb := primary.client()
	of := fmt.Sprintf("127.0.0.1 %d", primary.port)
	plain := startReady(t, t.TempDir(), "--replicaof", of)
	waitInfo(t, plain.client(), "replication", "master_link_status", "up")
	natted := startReady(t, t.TempDir(), "--replicaof", of, "--replica-announce-ip", "10.1.2.3", "--slave-announce-port", "7777")
	waitInfo(t, natted.client(), "replication", "master_link_status", "up")
	info := prdb.Info(ctx(), "replication").Val()
	for _, want := range []string{
		fmt.Sprintf("ip=127.0.0.1,port=%d,state=online", plain.port),
		"ip=10.1.2.3,port=7777,state=online",
	} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO replication of the primary lacks %q:\n%s", want, info)
		}
	}
	role, err := prdb.Do(ctx(), "ROLE").Slice()
	if err != nil || len(role) != 3 {
		t.Fatalf("ROLE: %v %v", role, err)
	}
	if got := fmt.Sprint(role[2]); !strings.Contains(got, "[10.1.2.3 7777 ") || !strings.Contains(got, fmt.Sprintf("[127.0.0.1 %d ", plain.port)) {
		t.Errorf("ROLE's replicas: %s", got)
	}
}
