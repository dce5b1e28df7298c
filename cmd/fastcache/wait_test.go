package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestWaitReplica: WAIT on a primary with one replica. After writes, WAIT 1
// 0 answers 1 and the replica has them at once; WAIT for more replicas
// than there are answers with the count at its timeout; a WAIT that cannot
// be satisfied blocks only its own client (others are served meanwhile)
// until CLIENT UNBLOCK; a replica refuses WAIT with Redis's error.
func TestWaitReplica(t *testing.T) {
	primary := startReady(t, t.TempDir())
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	prdb := primary.client()

	wctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	for i := 0; i < 50; i++ {
		key := "w" + strconv.Itoa(i%7)
		pipe := prdb.Pipeline()
		pipe.Set(wctx, key, i, 0)
		pipe.HSet(wctx, "wh", key, i)
		wait := pipe.Do(wctx, "WAIT", 1, 0)
		if _, err := pipe.Exec(wctx); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if n, err := wait.Int64(); n != 1 {
			t.Fatalf("round %d: WAIT 1 0 = %d %v", i, n, err)
		}
		// no polling: the replica acknowledged having them
		if v, err := rrdb.Get(ctx(), key).Result(); err != nil || v != strconv.Itoa(i) {
			t.Fatalf("round %d: replica GET %s = %q %v after WAIT", i, key, v, err)
		}
		if v, err := rrdb.HGet(ctx(), "wh", key).Result(); err != nil || v != strconv.Itoa(i) {
			t.Fatalf("round %d: replica HGET wh %s = %q %v after WAIT", i, key, v, err)
		}
	}

	t.Logf("50 rounds of writes + WAIT 1 0 + reads on the replica in %v", time.Since(start).Round(time.Millisecond))

	// more replicas than there are: the count, once the timeout passes
	if n, err := prdb.Wait(wctx, 2, 50*time.Millisecond).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 2 50 = %d %v", n, err)
	}
	// inside MULTI it does not block
	pipe := prdb.TxPipeline()
	w := pipe.Do(wctx, "WAIT", 5, 0)
	if _, err := pipe.Exec(wctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := w.Int64(); n != 1 {
		t.Fatalf("WAIT 5 0 in MULTI = %d", n)
	}

	// a WAIT that blocks forever holds up no one else
	conn, err := net.DialTimeout("tcp", primary.addr(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(conn)
	fmt.Fprintf(conn, "CLIENT ID\r\n")
	idLine, _ := br.ReadString('\n')
	id := strings.TrimSpace(strings.TrimPrefix(idLine, ":"))
	fmt.Fprintf(conn, "SET blocked-writer 1\r\nWAIT 3 0\r\n")
	if l, _ := br.ReadString('\n'); l != "+OK\r\n" {
		t.Fatalf("SET: %q", l)
	}
	waitInfo(t, prdb, "clients", "blocked_clients", "1")
	for i := 0; i < 20; i++ {
		if err := prdb.Set(ctx(), "other", i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := prdb.Do(ctx(), "CLIENT", "UNBLOCK", id).Int(); err != nil || n != 1 {
		t.Fatalf("CLIENT UNBLOCK = %d %v", n, err)
	}
	if l, _ := br.ReadString('\n'); l != ":1\r\n" {
		t.Fatalf("unblocked WAIT 3 0 answered %q, want :1", l)
	}

	// a replica refuses it
	err = rrdb.Wait(ctx(), 0, 0).Err()
	want := "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."
	if err == nil || err.Error() != want {
		t.Fatalf("WAIT on a replica: %v", err)
	}

	// once the replica is gone, WAIT 1 answers 0 at its timeout
	replica.kill()
	waitInfo(t, prdb, "replication", "connected_slaves", "0")
	prdb.Set(ctx(), "after", "1", 0)
	if n, err := prdb.Wait(wctx, 1, 20*time.Millisecond).Result(); err != nil || n != 0 {
		t.Fatalf("WAIT 1 20 without replicas = %d %v", n, err)
	}
}
