package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// replicaPair starts a primary and a replica of it, both ready, with k=1
// on both; then it stops the replica (SIGSTOP) and makes k=2 on the
// primary, which the replica has not applied. The replica resumes at the
// test's end if the test did not resume it.
func replicaPair(t *testing.T, primaryArgs ...string) (primary, replica *proc, prdb, rrdb *redis.Client) {
	t.Helper()
	primary = startReady(t, t.TempDir(), primaryArgs...)
	replica = startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))
	rrdb = replica.client()
	prdb = primary.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	if err := prdb.Set(ctx(), "k", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := prdb.Wait(ctx(), 1, 0).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 0 = %d %v", n, err)
	}
	replica.cmd.Process.Signal(syscall.SIGSTOP)
	t.Cleanup(func() { replica.cmd.Process.Signal(syscall.SIGCONT) })
	waitFor(t, "the replica stopped", func() bool { return procState(replica.cmd.Process.Pid) == "T" })
	if err := prdb.Incr(ctx(), "k").Err(); err != nil {
		t.Fatal(err)
	}
	return primary, replica, prdb, rrdb
}

// procState is the state letter of process pid in /proc (T: stopped).
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	if i := strings.LastIndexByte(string(b), ')'); i >= 0 && i+2 < len(b) {
		return string(b[i+2])
	}
	return ""
}

// shutdownIn is INFO server's shutdown_in_milliseconds ("" when absent).
func shutdownIn(t *testing.T, rdb *redis.Client) string {
	t.Helper()
	info, err := rdb.Info(ctx(), "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, "shutdown_in_milliseconds:"); ok {
			return v
		}
	}
	return ""
}

// waitShutdownPending waits until the primary reports a shutdown waiting
// for its replicas.
func waitShutdownPending(t *testing.T, p *proc) {
	t.Helper()
	rdb := p.client()
	waitFor(t, "shutdown_in_milliseconds in INFO", func() bool {
		info, err := rdb.Info(ctx(), "server").Result()
		if err != nil {
			t.Fatalf("INFO: %v; the primary's log:\n%s", err, p.out.String())
		}
		return strings.Contains(info, "shutdown_in_milliseconds:")
	})
}

// rawCmd opens a connection and sends one inline command without reading.
func rawCmd(t *testing.T, addr, cmd string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	fmt.Fprintf(conn, "%s\r\n", cmd)
	return conn, bufio.NewReader(conn)
}

// TestShutdownWaitsForReplica: as Redis 7.0, a shutdown (SIGTERM or
// SHUTDOWN) with a replica behind waits for it (up to shutdown-timeout),
// writes paused and reads served meanwhile; once the replica has caught
// up, the primary exits and the replica has its last write. The SHUTDOWN
// client gets no reply (its connection closes).
func TestShutdownWaitsForReplica(t *testing.T) {
	for _, how := range []string{"sigterm", "shutdown"} {
		t.Run(how, func(t *testing.T) {
			primary, replica, prdb, rrdb := replicaPair(t, "--shutdown-timeout", "300")
			var shutConn *bufio.Reader
			if how == "sigterm" {
				primary.cmd.Process.Signal(syscall.SIGTERM)
			} else {
				_, shutConn = rawCmd(t, primary.addr(), "SHUTDOWN")
			}
			waitShutdownPending(t, primary)
			// reads are served, writes wait for the end
			if v, err := prdb.Get(ctx(), "k").Result(); err != nil || v != "2" {
				t.Fatalf("GET k during the wait = %q %v", v, err)
			}
			wconn, wr := rawCmd(t, primary.addr(), "SET late 1")
			wconn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			if l, err := wr.ReadString('\n'); err == nil {
				t.Fatalf("a write was served during the wait: %q", l)
			}
			if n, _ := strconv.Atoi(infoField(t, prdb, "clients", "blocked_clients")); how == "shutdown" && n < 1 {
				t.Fatalf("blocked_clients %d with SHUTDOWN waiting", n)
			}
			replica.cmd.Process.Signal(syscall.SIGCONT)
			out, err := primary.wait(60 * time.Second)
			if err != nil {
				t.Fatalf("the primary exited with %v\n%s", err, out)
			}
			if shutConn != nil {
				if l, err := shutConn.ReadString('\n'); err == nil {
					t.Fatalf("SHUTDOWN answered %q", l)
				}
			}
			if v, err := rrdb.Get(ctx(), "k").Result(); err != nil || v != "2" {
				t.Fatalf("the replica has k = %q %v after the primary's shutdown", v, err)
			}
			if !strings.Contains(out, "Waiting for replicas before shutting down.") ||
				!strings.Contains(out, "1 of 1 replicas are in sync when shutting down.") ||
				strings.Contains(out, "Lagging replica") {
				t.Fatalf("the primary's log:\n%s", out)
			}
		})
	}
}

// TestShutdownReplicaTimeout: a replica that does not catch up within
// shutdown-timeout is logged as lagging and the primary exits anyway; a
// second SIGINT ends the wait at once; SHUTDOWN NOW does not wait.
func TestShutdownReplicaTimeout(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		primary, _, _, _ := replicaPair(t, "--shutdown-timeout", "1")
		primary.cmd.Process.Signal(syscall.SIGTERM)
		out, err := primary.wait(60 * time.Second)
		if err != nil {
			t.Fatalf("the primary exited with %v\n%s", err, out)
		}
		if !strings.Contains(out, "Lagging replica 127.0.0.1:") || !strings.Contains(out, "0 of 1 replicas are in sync when shutting down.") {
			t.Fatalf("the primary's log:\n%s", out)
		}
	})
	t.Run("second SIGINT", func(t *testing.T) {
		primary, _, _, _ := replicaPair(t, "--shutdown-timeout", "300")
		primary.cmd.Process.Signal(syscall.SIGINT)
		waitShutdownPending(t, primary)
		primary.cmd.Process.Signal(syscall.SIGINT)
		out, err := primary.wait(60 * time.Second)
		if err != nil {
			t.Fatalf("the primary exited with %v\n%s", err, out)
		}
		if !strings.Contains(out, "You insist... exiting now.") || !strings.Contains(out, "0 of 1 replicas are in sync") {
			t.Fatalf("the primary's log:\n%s", out)
		}
	})
	t.Run("shutdown-on-sigterm now", func(t *testing.T) {
		primary, _, _, _ := replicaPair(t, "--shutdown-timeout", "300", "--shutdown-on-sigterm", "now")
		primary.cmd.Process.Signal(syscall.SIGTERM)
		out, err := primary.wait(60 * time.Second)
		if err != nil {
			t.Fatalf("the primary exited with %v\n%s", err, out)
		}
		if strings.Contains(out, "Waiting for replicas") || !strings.Contains(out, "0 of 1 replicas are in sync") {
			t.Fatalf("the primary's log:\n%s", out)
		}
	})
	t.Run("now", func(t *testing.T) {
		primary, _, _, _ := replicaPair(t, "--shutdown-timeout", "300")
		_, br := rawCmd(t, primary.addr(), "SHUTDOWN NOW")
		if l, err := br.ReadString('\n'); err == nil {
			t.Fatalf("SHUTDOWN NOW answered %q", l)
		}
		out, err := primary.wait(60 * time.Second)
		if err != nil {
			t.Fatalf("the primary exited with %v\n%s", err, out)
		}
		if strings.Contains(out, "Waiting for replicas") || !strings.Contains(out, "0 of 1 replicas are in sync") {
			t.Fatalf("the primary's log:\n%s", out)
		}
	})
}

// TestShutdownAbortWhileWaiting: two SHUTDOWNs wait for a replica behind;
// SHUTDOWN ABORT cancels the shutdown: both get Redis's error, writes
// resume, and the primary keeps serving its replica.
func TestShutdownAbortWhileWaiting(t *testing.T) {
	primary, replica, prdb, rrdb := replicaPair(t, "--shutdown-timeout", "300")
	_, b1 := rawCmd(t, primary.addr(), "SHUTDOWN")
	_, b2 := rawCmd(t, primary.addr(), "SHUTDOWN")
	waitShutdownPending(t, primary)
	waitFor(t, "two blocked SHUTDOWN clients", func() bool {
		return infoField(t, prdb, "clients", "blocked_clients") == "2"
	})
	_, wr := rawCmd(t, primary.addr(), "SET late 1") // paused until the abort
	if got, err := prdb.Do(ctx(), "SHUTDOWN", "ABORT").Result(); err != nil || got != "OK" {
		t.Fatalf("SHUTDOWN ABORT = %v %v", got, err)
	}
	for i, br := range []*bufio.Reader{b1, b2} {
		if l, err := br.ReadString('\n'); err != nil || l != "-ERR Errors trying to SHUTDOWN. Check logs.\r\n" {
			t.Fatalf("SHUTDOWN %d after the abort: %q %v", i+1, l, err)
		}
	}
	if l, err := wr.ReadString('\n'); err != nil || l != "+OK\r\n" {
		t.Fatalf("the paused SET after the abort: %q %v", l, err)
	}
	if v := shutdownIn(t, prdb); v != "" {
		t.Fatalf("shutdown_in_milliseconds %s after the abort", v)
	}
	if err := prdb.Do(ctx(), "SHUTDOWN", "ABORT").Err(); err == nil || err.Error() != "ERR No shutdown in progress." {
		t.Fatalf("a second SHUTDOWN ABORT: %v", err)
	}
	replica.cmd.Process.Signal(syscall.SIGCONT)
	if n, err := prdb.Wait(ctx(), 1, 0).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 0 after the abort = %d %v", n, err)
	}
	if v, err := rrdb.Get(ctx(), "late").Result(); err != nil || v != "1" {
		t.Fatalf("the replica's late = %q %v", v, err)
	}
	if !strings.Contains(primary.out.String(), "Shutdown manually aborted.") {
		t.Fatalf("the primary's log:\n%s", primary.out.String())
	}
}
