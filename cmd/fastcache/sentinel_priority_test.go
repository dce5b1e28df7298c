package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestSentinelReplicaPriority: Redis Sentinel (redis-server --sentinel)
// watches a fastcache primary with two fastcache replicas, one of them with
// replica-priority 0, which Sentinel reads from INFO replication
// (slave_priority) and never promotes. When the primary is killed (kill -9)
// Sentinel promotes the other replica, which has the primary's data, points
// the priority-0 replica at it, and the new primary's writes reach that
// replica, both replicas refusing stale data meanwhile.
// (TestSentinelFailover: one replica, a failover client, and the old
// primary rejoining.)
func TestSentinelReplicaPriority(t *testing.T) {
	bin := redisServerBin(t)
	primary := startReady(t, t.TempDir())
	of := fmt.Sprintf("127.0.0.1 %d", primary.port)
	// (replica-serve-stale-data no: once the primary is gone the replicas
	// are stale, and Sentinel's MULTI, REPLICAOF, CONFIG REWRITE, CLIENT
	// KILL, EXEC must still pass)
	low := startReady(t, t.TempDir(), "--replicaof", of, "--replica-priority", "0", "--replica-serve-stale-data", "no")
	high := startReady(t, t.TempDir(), "--replicaof", of, "--replica-serve-stale-data", "no")
	prdb, lrdb, hrdb := primary.client(), low.client(), high.client()
	waitInfo(t, lrdb, "replication", "master_link_status", "up")
	waitInfo(t, hrdb, "replication", "master_link_status", "up")
	if v := infoField(t, lrdb, "replication", "slave_priority"); v != "0" {
		t.Fatalf("slave_priority = %s with replica-priority 0", v)
	}
	for i := 0; i < 100; i++ {
		if err := prdb.Set(ctx(), "before:"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := prdb.Wait(ctx(), 2, 30*time.Second).Result(); err != nil || n != 2 {
		t.Fatalf("WAIT 2: %d %v", n, err)
	}

	sport := freePort(t)
	conf := filepath.Join(t.TempDir(), "sentinel.conf") // Sentinel rewrites it
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("port %d\nbind 127.0.0.1\n"+
		"sentinel monitor m 127.0.0.1 %d 1\nsentinel down-after-milliseconds m 1000\nsentinel failover-timeout m 10000\n",
		sport, primary.port)), 0o644); err != nil {
		t.Fatal(err)
	}
	sen := exec.Command(bin, conf, "--sentinel")
	if err := sen.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sen.Process.Kill(); sen.Wait() })
	srdb := redis.NewSentinelClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", sport)})
	defer srdb.Close()
	waitFor(t, "Sentinel to find both replicas", func() bool {
		r, err := srdb.Replicas(ctx(), "m").Result()
		return err == nil && len(r) == 2
	})

	primary.kill()
	var addr []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		addr, _ = srdb.GetMasterAddrByName(ctx(), "m").Result()
		if len(addr) == 2 && addr[1] == strconv.Itoa(high.port) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Sentinel did not fail over to the replica of priority 100 (port %d): it names %v", high.port, addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if role, err := hrdb.Do(ctx(), "ROLE").Slice(); err != nil || role[0] != "master" {
		t.Fatalf("ROLE of the promoted replica: %v %v", role, err)
	}
	for i := 0; i < 100; i++ {
		if v, err := hrdb.Get(ctx(), "before:"+strconv.Itoa(i)).Result(); err != nil || v != strconv.Itoa(i) {
			t.Fatalf("before:%d on the new primary: %q %v", i, v, err)
		}
	}
	if err := hrdb.Set(ctx(), "after", "x", 0).Err(); err != nil {
		t.Fatalf("a write to the new primary: %v", err)
	}
	waitFor(t, "the priority-0 replica to follow the new primary and get its write", func() bool {
		return lrdb.Get(ctx(), "after").Val() == "x" && infoField(t, lrdb, "replication", "master_port") == strconv.Itoa(high.port)
	})
}
