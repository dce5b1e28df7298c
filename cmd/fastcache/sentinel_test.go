package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestSentinelFailover: Redis's own Sentinel (redis-server --sentinel, what
// Debian's redis-sentinel runs) monitors a fastcache primary with a
// fastcache replica. It discovers the replica and keeps its links up (INFO
// replication, the __sentinel__:hello channel); after a kill -9 of the
// primary it promotes the replica (MULTI / REPLICAOF NO ONE / CONFIG
// REWRITE / CLIENT KILL / EXEC); a go-redis failover client writes to the
// promoted replica within Sentinel's timeouts, every write acknowledged
// under appendfsync always before the failover is there, and the old
// primary rejoins as a replica when it comes back.
func TestSentinelFailover(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("FASTCACHE_REQUIRE_REDIS") == "1" {
			t.Fatalf("redis-server not found on PATH: %v", err)
		}
		t.Skipf("redis-server not found on PATH: %v", err)
	}
	if testing.Short() {
		t.Skip("-short")
	}
	root := t.TempDir()
	primary := startReady(t, filepath.Join(root, "p"), "--appendfsync", "always")
	replica := startReady(t, filepath.Join(root, "r"), "--appendfsync", "always", "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))
	waitLink(t, replica, 30*time.Second)

	// down-after-milliseconds: how long a server may not answer Sentinel's
	// PINGs before it counts as down. At 1000 a full `go test -race ./...`
	// on 2 cores once saw the just-promoted replica miss PINGs for 1.1 s,
	// and Sentinel failed over a second time, back to the old primary.
	const downAfter, failoverTimeout = 3000, 10000
	sport := freePort(t)
	conf := filepath.Join(root, "sentinel.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n"+
		"sentinel monitor mymaster 127.0.0.1 %d 1\n"+
		"sentinel down-after-milliseconds mymaster %d\n"+
		"sentinel failover-timeout mymaster %d\n", sport, root, primary.port, downAfter, failoverTimeout)), 0o644)
	sentinel := exec.Command(bin, conf, "--sentinel")
	var slog syncBuffer
	sentinel.Stdout, sentinel.Stderr = &slog, &slog
	if err := sentinel.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sentinel.Process.Kill(); sentinel.Wait() })
	saddr := fmt.Sprintf("127.0.0.1:%d", sport)
	sc := redis.NewSentinelClient(&redis.Options{Addr: saddr, MaxRetries: -1})
	defer sc.Close()

	// Sentinel sees the primary and its replica, with working links.
	pollUntil(t, 30*time.Second, "sentinel to discover the replica with its links up", func() string {
		m, err := sc.Master(ctx(), "mymaster").Result()
		if err != nil {
			return err.Error()
		}
		reps, err := sc.Replicas(ctx(), "mymaster").Result()
		if err != nil || len(reps) != 1 {
			return fmt.Sprintf("replicas %v %v", reps, err)
		}
		if m["flags"] != "master" || reps[0]["flags"] != "slave" || reps[0]["master-link-status"] != "ok" {
			return fmt.Sprintf("master flags %q, replica %v", m["flags"], reps[0])
		}
		return ""
	}, &slog)

	fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: []string{saddr},
		MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
	defer fc.Close()
	const n = 2000
	for i := 0; i < n; i++ {
		if err := fc.Set(ctx(), fmt.Sprint("acked:", i), i, 0).Err(); err != nil {
			t.Fatalf("write %d before the failover: %v", i, err)
		}
	}

	// Replication is asynchronous, as Redis's: a write the replica has not
	// received when the primary dies is lost by a failover (WAIT is Redis's
	// answer; fastcache has none yet). The kill comes once the replica has
	// the last acknowledged write.
	pollUntil(t, 30*time.Second, "the replica to catch up", func() string {
		v, err := replica.client().Get(ctx(), fmt.Sprint("acked:", n-1)).Result()
		if err != nil {
			return err.Error()
		}
		return strings.TrimPrefix(v, fmt.Sprint(n-1))
	}, nil)
	primary.kill()
	killed := time.Now()
	var took time.Duration
	for {
		err := fc.Set(ctx(), "after-failover", "yes", 0).Err()
		if err == nil {
			took = time.Since(killed)
			break
		}
		if time.Since(killed) > time.Duration(downAfter+failoverTimeout)*time.Millisecond+10*time.Second {
			t.Fatalf("no write accepted %v after the primary died: %v\nsentinel log:\n%s", time.Since(killed), err, slog.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("writes accepted again %v after kill -9 of the primary", took)
	if role, _ := replica.client().Do(ctx(), "ROLE").Slice(); len(role) == 0 || role[0] != "master" {
		t.Fatalf("the replica was not promoted: ROLE %v", role)
	}
	rc := replica.client()
	for i := 0; i < n; i++ {
		v, err := rc.Get(ctx(), fmt.Sprint("acked:", i)).Result()
		if err != nil || v != fmt.Sprint(i) {
			t.Fatalf("acknowledged write acked:%d on the promoted replica: %q %v", i, v, err)
		}
	}

	// The old primary comes back and Sentinel makes it a replica of the new one.
	old := startOn(t, primary.port, primary.dir, "--appendfsync", "always")
	old.waitReady(60 * time.Second)
	pollUntil(t, 60*time.Second, "the old primary to rejoin as a replica", func() string {
		info, err := old.client().Info(ctx(), "replication").Result()
		if err != nil {
			return err.Error()
		}
		if !contains(info, "role:slave") || !contains(info, fmt.Sprintf("master_port:%d", replica.port)) || !contains(info, "master_link_status:up") {
			return info
		}
		return ""
	}, &slog)
	if err := fc.Set(ctx(), "after-rejoin", "yes", 0).Err(); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, 30*time.Second, "the rejoined replica to follow", func() string {
		v, err := old.client().Get(ctx(), "after-rejoin").Result()
		if err != nil || v != "yes" {
			return fmt.Sprintf("%q %v", v, err)
		}
		return ""
	}, &slog)
}

// waitLink waits until a replica's link to its primary is up.
func waitLink(t *testing.T, p *proc, within time.Duration) {
	t.Helper()
	pollUntil(t, within, "replica link up", func() string {
		info, err := p.client().Info(ctx(), "replication").Result()
		if err != nil || !strings.Contains(info, "master_link_status:up") {
			return fmt.Sprint(info, err)
		}
		return ""
	}, nil)
}

// pollUntil calls cond until it returns "" (its last answer is reported on
// timeout, with the log).
func pollUntil(t *testing.T, within time.Duration, what string, cond func() string, log *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		last := cond()
		if last == "" {
			return
		}
		if time.Now().After(deadline) {
			l := ""
			if log != nil {
				l = log.String()
			}
			t.Fatalf("waiting for %s: %s\n%s", what, last, l)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
