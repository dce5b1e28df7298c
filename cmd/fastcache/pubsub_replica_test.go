package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"fastcache/replication"
)

// Pub/sub across replication: a PUBLISH (SPUBLISH) on a primary reaches the
// subscribers of its replicas and of their replicas, in order and after the
// writes made before it, without being written to any WAL.

// psSubscriber is one go-redis PubSub and what it must receive.
type psSubscriber struct {
	name string
	ps   *redis.PubSub
}

func psSubscribe(t *testing.T, addr string, proto int, kind string, names ...string) *psSubscriber {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, MaxRetries: -1, DialTimeout: 2 * time.Second})
	t.Cleanup(func() { rdb.Close() })
	var ps *redis.PubSub
	switch kind {
	case "subscribe":
		ps = rdb.Subscribe(ctx(), names...)
	case "psubscribe":
		ps = rdb.PSubscribe(ctx(), names...)
	case "ssubscribe":
		ps = rdb.SSubscribe(ctx(), names...)
	}
	t.Cleanup(func() { ps.Close() })
	for range names { // the confirmations: the server has registered them
		if _, err := ps.Receive(ctx()); err != nil {
			t.Fatalf("%s %v on %s: %v", kind, names, addr, err)
		}
	}
	return &psSubscriber{name: fmt.Sprintf("%s %v on %s (RESP%d)", kind, names, addr, proto), ps: ps}
}

// recv is the next message as "kind channel payload" (kind message,
// pmessage with its pattern, or smessage).
func (s *psSubscriber) recv() (string, error) {
	c, cancel := context.WithTimeout(ctx(), 20*time.Second)
	defer cancel()
	m, err := s.ps.ReceiveMessage(c)
	if err != nil {
		return "", fmt.Errorf("%s: %w", s.name, err)
	}
	kind := "message"
	if m.Pattern != "" {
		kind = "pmessage " + m.Pattern
	}
	if strings.HasPrefix(m.Channel, "shard") {
		kind = "smessage"
	}
	return kind + " " + m.Channel + " " + m.Payload, nil
}

func (s *psSubscriber) next(t *testing.T) string {
	t.Helper()
	m, err := s.recv()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// expect reads want (in order) from s.
func (s *psSubscriber) expect(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		if got := s.next(t); got != w {
			t.Fatalf("%s: got %q, want %q", s.name, got, w)
		}
	}
}

func TestReplicaPubSub(t *testing.T) {
	const n = 300
	noComp := []string{"--wal-compression", "none"}
	primary := startReady(t, t.TempDir(), noComp...)
	replicaArgs := append([]string{"--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port)}, noComp...)
	replica := startReady(t, t.TempDir(), replicaArgs...)
	chained := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", replica.port))
	prdb, rrdb, crdb := primary.client(), replica.client(), chained.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	waitInfo(t, crdb, "replication", "master_link_status", "up")

	local := psSubscribe(t, primary.addr(), 3, "subscribe", "news")
	r2 := psSubscribe(t, replica.addr(), 2, "subscribe", "news")
	r2pat := psSubscribe(t, replica.addr(), 2, "psubscribe", "ne*")
	r3 := psSubscribe(t, replica.addr(), 3, "subscribe", "news")
	r3shard := psSubscribe(t, replica.addr(), 3, "ssubscribe", "shard{1}")
	c3 := psSubscribe(t, chained.addr(), 3, "subscribe", "news")
	c2shard := psSubscribe(t, chained.addr(), 2, "ssubscribe", "shard{1}")

	// Each message names a key written just before it was published: a
	// subscriber on a replica finds it there when the message arrives.
	checkWrites := func(s *psSubscriber, rdb *redis.Client, done chan<- error) {
		for i := 1; i <= n+2; i++ {
			got, err := s.recv()
			if err != nil {
				done <- err
				return
			}
			f := strings.Fields(got)
			idx, key, _ := strings.Cut(f[len(f)-1], ":")
			if idx != strconv.Itoa(i) {
				done <- fmt.Errorf("%s: message %d is %q (out of order)", s.name, i, got)
				return
			}
			if v, err := rdb.Get(ctx(), key).Result(); err != nil || v != idx {
				done <- fmt.Errorf("%s: %q arrived before its write: GET %s = %q, %v", s.name, got, key, v, err)
				return
			}
		}
		done <- nil
	}
	done := make(chan error, 2)
	go checkWrites(r2, rrdb, done)
	go checkWrites(c3, crdb, done)

	for i := 1; i <= n; i++ {
		key := "k" + strconv.Itoa(i)
		if err := prdb.Set(ctx(), key, i, 0).Err(); err != nil {
			t.Fatal(err)
		}
		// Only the primary's own subscriber counts, as in Redis.
		if got, err := prdb.Publish(ctx(), "news", fmt.Sprintf("%d:%s", i, key)).Result(); err != nil || got != 1 {
			t.Fatalf("PUBLISH on the primary = %d, %v; want 1 (its local subscriber)", got, err)
		}
		if got, err := prdb.SPublish(ctx(), "shard{1}", strconv.Itoa(i)).Result(); err != nil || got != 0 {
			t.Fatalf("SPUBLISH on the primary = %d, %v; want 0", got, err)
		}
	}
	// In MULTI/EXEC and in a script, the message follows the transaction's
	// writes too.
	if _, err := prdb.TxPipelined(ctx(), func(p redis.Pipeliner) error {
		p.Publish(ctx(), "news", fmt.Sprintf("%d:tx", n+1))
		p.Set(ctx(), "tx", n+1, 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := prdb.Eval(ctx(), "redis.call('PUBLISH', 'news', ARGV[1]..':ev'); redis.call('SET', 'ev', ARGV[1]); return 1",
		nil, n+2).Err(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= n; i++ {
		msg := fmt.Sprintf("%d:k%d", i, i)
		local.expect(t, "message news "+msg)
		r2pat.expect(t, "pmessage ne* news "+msg)
		r3.expect(t, "message news "+msg)
		r3shard.expect(t, "smessage shard{1} "+strconv.Itoa(i))
		c2shard.expect(t, "smessage shard{1} "+strconv.Itoa(i))
	}
	for _, s := range []*psSubscriber{local, r3} {
		s.expect(t, fmt.Sprintf("message news %d:tx", n+1), fmt.Sprintf("message news %d:ev", n+2))
	}
	r2pat.expect(t, fmt.Sprintf("pmessage ne* news %d:tx", n+1), fmt.Sprintf("pmessage ne* news %d:ev", n+2))

	// PUBLISH on a replica is allowed and delivers locally only: its count
	// is the replica's receivers; neither the primary nor the chained
	// replica sees it.
	if got, err := rrdb.Publish(ctx(), "news", "on-replica").Result(); err != nil || got != 3 {
		t.Fatalf("PUBLISH on the replica = %d, %v; want 3", got, err)
	}
	if err := prdb.Publish(ctx(), "news", "after").Err(); err != nil {
		t.Fatal(err)
	}
	r2.expect(t, "message news on-replica", "message news after")
	r2pat.expect(t, "pmessage ne* news on-replica", "pmessage ne* news after")
	r3.expect(t, "message news on-replica", "message news after")
	local.expect(t, "message news after")
	c3.expect(t, "message news after")

	// A replica restarted (kill -9) resumes from the primary's backlog,
	// with pub/sub taking no part in its offsets, and gets messages again.
	convergeOffsets(t, prdb, rrdb)
	replica.kill()
	replica = startOn(t, replica.port, replica.dir, replicaArgs...)
	replica.waitReady(60 * time.Second)
	rrdb = replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	if v := infoField(t, rrdb, "replication", "replica_full_syncs"); v != "0" {
		t.Fatalf("the restarted replica made %s full resyncs; want a resume\n%s", v, replica.out.String())
	}
	// the chained replica is attached again (it resynchronizes: the
	// restarted replica's stream is a new one)
	waitInfo(t, rrdb, "replication", "connected_slaves", "1")
	r3 = psSubscribe(t, replica.addr(), 3, "subscribe", "news")
	if err := prdb.Set(ctx(), "again", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := prdb.Publish(ctx(), "news", "again").Err(); err != nil {
		t.Fatal(err)
	}
	r3.expect(t, "message news again")
	c3.expect(t, "message news again")
	if v := rrdb.Get(ctx(), "again").Val(); v != "1" {
		t.Fatalf("GET again on the replica = %q", v)
	}
	convergeOffsets(t, prdb, rrdb)
	convergeOffsets(t, rrdb, crdb)

	// Neither WAL segments nor snapshots hold a message: the keys written
	// are there, the payloads not.
	for _, p := range []*proc{primary, replica} {
		p.stop()
		segs, _ := filepath.Glob(filepath.Join(p.dir, "wal", "*.wal"))
		snaps, _ := filepath.Glob(filepath.Join(p.dir, "snapshot", "*.fcs"))
		segs = append(segs, snaps...)
		var all []byte
		for _, s := range segs {
			b, err := os.ReadFile(s)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		if !bytes.Contains(all, []byte("k300")) {
			t.Fatalf("%s: neither the WAL nor a snapshot holds the key k300 (is the scan wrong?)", p.dir)
		}
		for _, payload := range []string{"1:k1", "on-replica", "after", ":tx", ":ev"} {
			if bytes.Contains(all, []byte(payload)) {
				t.Fatalf("%s: the data directory holds the pub/sub payload %q", p.dir, payload)
			}
		}
		out, err := exec.Command(binary(t), "wal", "dump", p.dir).CombinedOutput()
		if err != nil {
			t.Fatalf("wal dump %s: %v\n%s", p.dir, err, out)
		}
		if !bytes.Contains(out, []byte(`"k300"`)) || bytes.Contains(out, []byte("on-replica")) {
			t.Fatalf("wal dump %s:\n%s", p.dir, out)
		}
	}
}

// TestOldReplicaAndExportSeeNoMessages: a replica that does not ask for
// message frames (FCSYNC without "pubsub", as replicas before them sent)
// and a WAL export subscriber get the frames of the writes around a
// PUBLISH and no message, while a current replica's subscriber gets it.
func TestOldReplicaAndExportSeeNoMessages(t *testing.T) {
	eaddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	primary := startReady(t, t.TempDir(), "--wal-export-listen", eaddr)
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))
	prdb := primary.client()
	waitInfo(t, replica.client(), "replication", "master_link_status", "up")
	sub := psSubscribe(t, replica.addr(), 3, "subscribe", "news")

	export, err := subscribe(t, eaddr, "")
	if err != nil {
		t.Fatal(err)
	}
	old, err := net.DialTimeout("tcp", primary.addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	old.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(old, "*4\r\n$6\r\nFCSYNC\r\n$1\r\n?\r\n$1\r\n0\r\n$4\r\n1234\r\n")
	obr := bufio.NewReaderSize(old, 1<<20)
	line, _ := obr.ReadString('\n')
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "+FULLRESYNC" {
		t.Fatalf("FCSYNC: %q", line)
	}
	off, _ := strconv.ParseInt(f[2], 10, 64)
	line, _ = obr.ReadString('\n')
	size, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(line, "$")), 10, 64)
	if err != nil {
		t.Fatalf("snapshot length line %q", line)
	}
	if _, err := io.CopyN(io.Discard, obr, size); err != nil {
		t.Fatal(err)
	}
	waitInfo(t, prdb, "replication", "connected_slaves", "2")

	if err := prdb.Set(ctx(), "before", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := prdb.Publish(ctx(), "news", "hello").Err(); err != nil {
		t.Fatal(err)
	}
	if err := prdb.Set(ctx(), "after", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	sub.expect(t, "message news hello")

	oldSR := replication.NewStreamReader(obr, off)
	for name, sr := range map[string]*replication.StreamReader{"old replica": oldSR, "export subscriber": export.sr} {
		sr.Messages = func(shard bool, ch, msg []byte) {
			t.Errorf("%s got a message frame: %s %s", name, ch, msg)
		}
		var keys []string
		for !slices.Contains(keys, "after") {
			recs, _, err := sr.Next()
			if err != nil {
				t.Fatalf("%s: %v (keys so far %v)", name, err, keys)
			}
			for _, r := range recs {
				keys = append(keys, string(r.Key))
			}
		}
		if !slices.Contains(keys, "before") {
			t.Fatalf("%s: keys %v", name, keys)
		}
	}
}
