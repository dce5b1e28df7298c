package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Heartbeats and repl-timeout on the replication link, with the real
// binary: a silent peer (SIGSTOP) is dropped by the other side, an idle
// link is not, and WAIT counts the calling client's own last write.

// pause stops p (SIGSTOP) until resume; the test's end resumes it anyway.
// It returns once every thread of p has stopped: the kernel stops the
// other threads of a process only when the one that took the signal runs,
// and on a busy machine they went on meanwhile (a "stopped" replica
// acknowledged writes sent after the signal; seen with Redis's wait.tcl).
func (p *proc) pause() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { p.cmd.Process.Signal(syscall.SIGCONT) })
	waitStopped(p.t, p.cmd.Process.Pid)
}

// waitStopped waits until every thread of process pid is stopped (state T
// in /proc/pid/task/*/stat).
func waitStopped(t testing.TB, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
		stopped := len(tasks) > 0
		for _, f := range tasks {
			b, err := os.ReadFile(f)
			if err != nil {
				continue // the thread exited
			}
			// pid (comm) state ...: the state follows the last ')'
			if i := bytes.LastIndexByte(b, ')'); i < 0 || i+2 >= len(b) || b[i+2] != 'T' {
				stopped = false
				break
			}
		}
		if stopped {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d: not every thread stopped 10 s after SIGSTOP", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (p *proc) resume() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		p.t.Fatal(err)
	}
}

// replPair starts a primary and a replica with the given heartbeat period
// and repl-timeout (seconds) and waits for the link.
func replPair(t *testing.T, period, timeout int) (primary, replica *proc, prdb, rrdb *redis.Client) {
	hb := []string{"--repl-ping-replica-period", strconv.Itoa(period), "--repl-timeout", strconv.Itoa(timeout)}
	primary = startReady(t, t.TempDir(), hb...)
	replica = startReady(t, t.TempDir(), append(hb, "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))...)
	prdb, rrdb = primary.client(), replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	return
}

// TestReplHeartbeatKeepsIdleLink: with a 1 s heartbeat and a 2 s
// repl-timeout, a link with no writes stays up for several timeouts: no
// reconnect, no resync on either side, and the offsets still match.
func TestReplHeartbeatKeepsIdleLink(t *testing.T) {
	_, _, prdb, rrdb := replPair(t, 1, 2)
	for i := range 20 {
		prdb.Set(ctx(), "k"+strconv.Itoa(i), i, 0)
	}
	converge(t, prdb, rrdb)
	counters := func() string {
		return fmt.Sprintf("sync_full=%s sync_partial_ok=%s replica_full_syncs=%s connected_slaves=%s",
			infoField(t, prdb, "stats", "sync_full"), infoField(t, prdb, "stats", "sync_partial_ok"),
			infoField(t, rrdb, "replication", "replica_full_syncs"), infoField(t, prdb, "replication", "connected_slaves"))
	}
	before := counters()
	if before != "sync_full=1 sync_partial_ok=0 replica_full_syncs=1 connected_slaves=1" {
		t.Fatalf("after the first sync: %s", before)
	}
	// idle for three repl-timeouts: without heartbeats the replica would
	// drop the link after 2 s and resume (sync_partial_ok would grow)
	for end := time.Now().Add(6 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if s := infoField(t, rrdb, "replication", "master_link_status"); s != "up" {
			t.Fatalf("idle link went %s: %s", s, infoField(t, rrdb, "replication", "replica_last_error"))
		}
		if io := infoInt(t, rrdb, "replication", "master_last_io_seconds_ago"); io < 0 || io > 2 {
			t.Fatalf("master_last_io_seconds_ago:%d on an up link with 1 s heartbeats", io)
		}
	}
	if after := counters(); after != before {
		t.Fatalf("counters moved while idle: %s, then %s", before, after)
	}
	// heartbeats have no offset: both sides agree, and a write still flows
	po := infoInt(t, prdb, "replication", "master_repl_offset")
	if ro := infoInt(t, rrdb, "replication", "slave_repl_offset"); ro != po {
		t.Fatalf("after heartbeats: primary offset %d, replica offset %d", po, ro)
	}
	prdb.Set(ctx(), "after-idle", "1", 0)
	if n, err := prdb.Wait(ctx(), 1, 0).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 0 after idling = %d %v", n, err)
	}
	converge(t, prdb, rrdb)
	if after := counters(); after != before {
		t.Fatalf("counters moved: %s, then %s", before, after)
	}
}

// TestReplTimeoutStoppedPrimary: a replica whose primary stops answering
// (SIGSTOP: the socket stays open) reports the link down within
// repl-timeout, and once the primary runs again reconnects, resumes from
// the backlog (no full resync) and converges.
func TestReplTimeoutStoppedPrimary(t *testing.T) {
	primary, _, prdb, rrdb := replPair(t, 1, 2)
	for i := range 100 {
		prdb.Set(ctx(), "k"+strconv.Itoa(i), i, 0)
	}
	converge(t, prdb, rrdb)
	primary.pause()
	waitInfo(t, rrdb, "replication", "master_link_status", "down")
	if io := infoField(t, rrdb, "replication", "master_last_io_seconds_ago"); io != "-1" {
		t.Fatalf("master_last_io_seconds_ago:%s with the link down", io)
	}
	primary.resume()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	for i := range 100 {
		prdb.Set(ctx(), "k"+strconv.Itoa(i), -i, 0)
	}
	converge(t, prdb, rrdb)
	if n := infoField(t, rrdb, "replication", "replica_full_syncs"); n != "1" {
		t.Fatalf("replica_full_syncs:%s after the primary came back (want a resume)", n)
	}
	if n := infoInt(t, prdb, "stats", "sync_partial_ok"); n < 1 {
		t.Fatalf("sync_partial_ok:%d", n)
	}
}

// TestReplTimeoutStoppedReplica: a primary drops a replica that stopped
// acknowledging (SIGSTOP) after repl-timeout, and lists it again once it
// runs: it reconnects by itself and gets what was written meanwhile.
func TestReplTimeoutStoppedReplica(t *testing.T) {
	_, replica, prdb, rrdb := replPair(t, 1, 2)
	prdb.Set(ctx(), "a", "1", 0)
	converge(t, prdb, rrdb)
	waitInfo(t, prdb, "replication", "connected_slaves", "1")
	replica.pause()
	waitInfo(t, prdb, "replication", "connected_slaves", "0")
	for i := range 50 {
		prdb.Set(ctx(), "while-stopped"+strconv.Itoa(i), i, 0)
	}
	replica.resume()
	waitInfo(t, prdb, "replication", "connected_slaves", "1")
	converge(t, prdb, rrdb)
	if n, err := prdb.Wait(ctx(), 1, 0).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 0 once it is back = %d %v", n, err)
	}
}

// TestWaitCountsOwnWrites: WAIT waits for the calling client's last write,
// not for writes other clients made after it. With the replica stopped
// (still listed: repl-timeout is long), A's write was acknowledged before,
// so A's WAIT answers 1 at once, while B's later write cannot be, and B's
// WAIT answers 0 at its timeout; once the replica runs, B's WAIT gets it.
func TestWaitCountsOwnWrites(t *testing.T) {
	_, replica, prdb, _ := replPair(t, 10, 60)
	a, b := prdb.Conn(), prdb.Conn()
	defer a.Close()
	defer b.Close()
	if err := a.Set(ctx(), "a", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := a.Wait(ctx(), 1, 0).Result(); err != nil || n != 1 {
		t.Fatalf("A: WAIT 1 0 = %d %v", n, err)
	}
	replica.pause()
	if err := b.Set(ctx(), "b", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// A's WAIT does not block: a 0 timeout would hang the test if it did
	cctx, cancel := context.WithTimeout(ctx(), 20*time.Second)
	defer cancel()
	if n, err := a.Wait(cctx, 1, 0).Result(); err != nil || n != 1 {
		t.Fatalf("A: WAIT 1 0 after B's write = %d %v", n, err)
	}
	if n, err := b.Wait(ctx(), 1, 100*time.Millisecond).Result(); err != nil || n != 0 {
		t.Fatalf("B: WAIT 1 100 with the replica stopped = %d %v", n, err)
	}
	// a client that never wrote counts the replicas at once
	c := prdb.Conn()
	defer c.Close()
	if n, err := c.Wait(cctx, 1, 0).Result(); err != nil || n != 1 {
		t.Fatalf("C (no writes): WAIT 1 0 = %d %v", n, err)
	}
	replica.resume()
	if n, err := b.Wait(cctx, 1, 0).Result(); err != nil || n != 1 {
		t.Fatalf("B: WAIT 1 0 once the replica runs = %d %v", n, err)
	}
}
