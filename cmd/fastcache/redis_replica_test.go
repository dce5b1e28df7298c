package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestRedisReplicaOfFastcache: a real redis-server follows fastcache (the
// binary) with REPLICAOF, the way back from fastcache to Redis without
// stopping: the dataset goes over as an RDB file (both framings), then the
// writes as Redis commands while random writes of every family run on
// fastcache (pops, INCRBYFLOAT, scripts, consumer groups, MULTI/EXEC,
// SWAPDB, COPY, MOVE, RENAME of every type, SORT STORE, functions), in four
// databases. After each phase the Redis replica's dataset equals
// fastcache's key by key (DEBUG DIGEST-VALUE against fastcache's dataset
// loaded into another redis-server), WAIT on fastcache counts the Redis
// replica, and after kill -9 and a restart of fastcache the replica
// resynchronizes with what fastcache holds.
func TestRedisReplicaOfFastcache(t *testing.T) {
	for _, diskless := range []string{"yes", "no"} {
		t.Run("repl-diskless-sync="+diskless, func(t *testing.T) { redisReplicaOfFastcache(t, diskless) })
	}
}

func redisReplicaOfFastcache(t *testing.T, diskless string) {
	dir := t.TempDir()
	args := []string{"--appendonly", "yes", "--enable-debug-command", "yes", "--repl-diskless-sync", diskless}
	p := startReady(t, dir, args...)
	fc := p.client()
	w := &primaryLoad{rng: rand.New(rand.NewPCG(21, uint64(time.Now().UnixNano()))), c: fc, t: t}
	w.run(1500)
	if err := fc.Do(ctx(), "FUNCTION", "LOAD", "REPLACE", "#!lua name=plib\nredis.register_function('pset', function(keys, args) return redis.call('SET', keys[1], args[1]) end)").Err(); err != nil {
		t.Fatal(err)
	}

	raddr := startRedisServer(t, "--save", "", "--appendonly", "no", "--enable-debug-command", "yes", "--dir", t.TempDir(),
		"--replicaof", "127.0.0.1", strconv.Itoa(p.port))
	rep := redis.NewClient(&redis.Options{Addr: raddr, MaxRetries: -1})
	defer rep.Close()
	// writes go on while the file is made and sent
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w2 := &primaryLoad{rng: rand.New(rand.NewPCG(22, uint64(time.Now().UnixNano()))), c: fc, t: t, prefix: "b:"}
		w2.run(1500)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(rep.Info(ctx(), "replication").Val(), "master_link_status:up") {
		if time.Now().After(deadline) {
			t.Fatalf("the redis-server replica's link is not up: %s\nfastcache's log:\n%s", rep.Info(ctx(), "replication").Val(), p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	w.run(1500)
	sameAsFastcache(t, p, rep, "after the full resynchronization")
	if v := fc.Do(ctx(), "FCALL", "pset", 1, "viafunction", "v").Err(); v != nil {
		t.Fatal(v)
	}
	if err := rep.Set(ctx(), "x", "1", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "READONLY") {
		t.Fatalf("a write on the redis-server replica: %v", err)
	}
	// The records the load above makes rarely or never, each rendered as
	// Redis commands: positions in lists, every consumer group change, an
	// empty stream, a stream rebuilt by RENAME and COPY (its counters after
	// its entries), infinite scores, functions deleted, FLUSHDB.
	rareArgs := [][]any{
		{"RPUSH", "lx", "a", "b", "c", "b", "d"}, {"LINSERT", "lx", "BEFORE", "b", "X"}, {"LINSERT", "lx", "AFTER", "d", "Y"},
		{"LINSERT", "lx", "BEFORE", "a", "H"}, {"LREM", "lx", 1, "b"}, {"LSET", "lx", 0, "Z"}, {"LSET", "lx", -1, "W"},
		{"XADD", "sx", "1-1", "f", "v"}, {"XADD", "sx", "2-1", "f", "v"}, {"XADD", "sx", "3-1", "f", "v", "g", "w"},
		{"XGROUP", "CREATE", "sx", "g", "0"}, {"XREADGROUP", "GROUP", "g", "c1", "COUNT", 2, "STREAMS", "sx", ">"},
		{"XACK", "sx", "g", "1-1"}, {"XDEL", "sx", "2-1"}, {"XGROUP", "SETID", "sx", "g", "1-1", "ENTRIESREAD", 1},
		{"XGROUP", "CREATECONSUMER", "sx", "g", "c2"}, {"XCLAIM", "sx", "g", "c2", 0, "3-1"}, {"XGROUP", "DELCONSUMER", "sx", "g", "c1"},
		{"XSETID", "sx", "10-1", "ENTRIESADDED", 10, "MAXDELETEDID", "2-1"}, {"XGROUP", "CREATE", "sx", "g2", "$"},
		{"XGROUP", "DESTROY", "sx", "g2"}, {"XGROUP", "CREATE", "sempty", "g", "0", "MKSTREAM"},
		{"RENAME", "sx", "sy"}, {"COPY", "sy", "sz"}, {"XTRIM", "sz", "MAXLEN", 0},
		{"SADD", "st", "a", "b", "c"}, {"SREM", "st", "a"}, {"ZADD", "zt", 1, "a", 2, "b", "inf", "c", "-inf", "d", 1.5e300, "e", 0.1, "f"},
		{"ZREM", "zt", "a"}, {"HSET", "hx", "f", "v", "g", "w"}, {"HDEL", "hx", "f"},
		{"FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function('f2', function() return 1 end)"}, {"FUNCTION", "DELETE", "lib2"},
		{"SELECT", 3}, {"SET", "gone", "v"}, {"FLUSHDB"}, {"SET", "kept", "v"}, {"SELECT", 0},
	}
	pipe := fc.Pipeline() // one connection: SELECT 3 holds for what follows it
	pipe.Do(ctx(), "SELECT", 0)
	var cmds []*redis.Cmd
	for _, q := range rareArgs {
		cmds = append(cmds, pipe.Do(ctx(), q...))
	}
	pipe.Exec(ctx())
	for i, c := range cmds {
		if err := c.Err(); err != nil {
			t.Fatalf("%v: %v", rareArgs[i], err)
		}
	}
	if n, _ := fc.DBSize(ctx()).Result(); n < 20 {
		t.Fatalf("database 0 holds %d keys: the FLUSHDB meant for database 3 went elsewhere", n)
	}
	sameAsFastcache(t, p, rep, "after the rarer records")

	// fastcache's PUBLISH reaches the redis-server replica's subscribers,
	// as a Redis primary's does
	ps := rep.Subscribe(ctx(), "news")
	if _, err := ps.Receive(ctx()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a message published on fastcache", func() bool {
		fc.Publish(ctx(), "news", "hello")
		m, err := ps.ReceiveTimeout(ctx(), 200*time.Millisecond)
		msg, ok := m.(*redis.Message)
		return err == nil && ok && msg.Payload == "hello"
	})
	ps.Close()

	// The link cut: the replica reconnects and continues its stream from
	// where it stopped (+CONTINUE), twice.
	fullBefore := infoField(t, fc, "stats", "sync_full") // (with the RDB files the comparisons took)
	for i := range 2 {
		if err := rep.Do(ctx(), "CLIENT", "KILL", "TYPE", "master").Err(); err != nil {
			t.Fatal(err)
		}
		w.run(500)
		want := strconv.Itoa(i + 1)
		waitFor(t, "a partial resynchronization", func() bool { return infoField(t, fc, "stats", "sync_partial_ok") == want })
	}
	if full := infoField(t, fc, "stats", "sync_full"); full != fullBefore {
		t.Fatalf("sync_full %s after the link was cut: a full resynchronization instead of a partial one", full)
	}
	sameAsFastcache(t, p, rep, "after two partial resynchronizations")

	// Keys that expire on fastcache go on the replica by the DELs fastcache
	// logs for them (a Redis replica never expires keys itself).
	before := rep.DBSize(ctx()).Val()
	for i := range 50 {
		fc.Set(ctx(), "short:"+strconv.Itoa(i), "v", 300*time.Millisecond)
	}
	waitFor(t, "the short keys on the replica", func() bool { return rep.DBSize(ctx()).Val() == before+50 })
	waitFor(t, "the expired keys' DELs on the replica", func() bool { return rep.DBSize(ctx()).Val() == before })

	// kill -9 fastcache: the replica reconnects to the restarted server
	// and takes its dataset (what the log kept) again.
	p.kill()
	p = startOn(t, p.port, dir, args...)
	p.waitReady(60 * time.Second)
	fc = p.client()
	w.c = fc
	waitFor(t, "the replica's link after the restart", func() bool {
		return strings.Contains(rep.Info(ctx(), "replication").Val(), "master_link_status:up")
	})
	w.run(1000)
	sameAsFastcache(t, p, rep, "after kill -9 of fastcache and a restart")
}

// sameAsFastcache waits until the redis-server replica has what fastcache
// wrote (WAIT on fastcache counts it), then compares the datasets.
func sameAsFastcache(t *testing.T, p *proc, rep *redis.Client, when string) {
	t.Helper()
	fc := p.client()
	if n, err := fc.Do(ctx(), "WAIT", 1, 10000).Int(); err != nil || n != 1 {
		t.Fatalf("%s: WAIT 1 on fastcache answered %d %v: the redis-server replica does not acknowledge", when, n, err)
	}
	want := loadedCopy(t, p)
	defer want.Close()
	compareDatasets(t, want, rep, when)
}

// TestRedisReplicaReturnsBeforeCutSeen: a redis-server replica that
// reconnects (PSYNC with its replication ID and offset) while fastcache
// has not yet seen its old connection go continues its stream (+CONTINUE),
// as from a Redis primary, which continues from its backlog whatever the
// old connection's state; before, it got a full resynchronization whenever
// the reconnection won that race (seen in CI under load). The replica is
// played over raw connections here, so that the old one is still open.
func TestRedisReplicaReturnsBeforeCutSeen(t *testing.T) {
	p := startReady(t, t.TempDir(), "--appendonly", "yes", "--repl-diskless-sync", "no")
	fc := p.client()
	fc.Set(ctx(), "before", "1", 0)
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", p.addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(30 * time.Second))
		return c, bufio.NewReader(c)
	}
	line := func(br *bufio.Reader) string {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimRight(l, "\r\n")
	}
	old, obr := dial()
	fmt.Fprint(old, "REPLCONF capa psync2\r\n")
	if l := line(obr); l != "+OK" {
		t.Fatalf("REPLCONF: %s", l)
	}
	fmt.Fprint(old, "PSYNC ? -1\r\n")
	full := strings.Fields(line(obr))
	if len(full) != 3 || full[0] != "+FULLRESYNC" {
		t.Fatalf("PSYNC ? -1: %v", full)
	}
	id := full[1]
	l := line(obr) // (newlines while the file is made, then its length)
	for l == "" {
		l = line(obr)
	}
	size, err := strconv.Atoi(strings.TrimPrefix(l, "$"))
	if err != nil {
		t.Fatalf("file length: %q", l)
	}
	if _, err := io.CopyN(io.Discard, obr, int64(size)); err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(old, "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n")
	// a write streamed to the old connection: the replica's offset moves
	fc.Set(ctx(), "after", "2", 0)
	var got []byte
	buf := make([]byte, 4096)
	for !strings.Contains(string(got), "after") {
		n, err := obr.Read(buf)
		if err != nil {
			t.Fatalf("the stream: %v (so far %q)", err, got)
		}
		got = append(got, buf[:n]...)
	}
	offset := len(got)
	// back on a new connection, the old one still open
	nw, nbr := dial()
	fmt.Fprint(nw, "REPLCONF capa psync2\r\n")
	line(nbr)
	fmt.Fprintf(nw, "PSYNC %s %d\r\n", id, offset+1)
	if l := line(nbr); !strings.HasPrefix(l, "+CONTINUE") {
		t.Fatalf("PSYNC %s %d with the old connection open: %q, want +CONTINUE", id, offset+1, l)
	}
	fc.Set(ctx(), "later", "3", 0)
	got = got[:0]
	for !strings.Contains(string(got), "later") {
		n, err := nbr.Read(buf)
		if err != nil {
			t.Fatalf("the continued stream: %v (so far %q)", err, got)
		}
		got = append(got, buf[:n]...)
	}
	if strings.Contains(string(got), "after") {
		t.Fatalf("the continued stream sent again what the replica had: %q", got)
	}
	if v := infoField(t, fc, "stats", "sync_partial_ok"); v != "1" {
		t.Fatalf("sync_partial_ok %s", v)
	}
}
