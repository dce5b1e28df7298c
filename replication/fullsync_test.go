package replication

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"fastcache/cache"
	"fastcache/persistence"
)

// A full resync attaches the replica to the stream at the current offset,
// then cuts the snapshot, then starts the stream. Writes can land in each
// gap: after the attach and before the cut (they are in the snapshot and
// in the stream: the cut filters them out on the replica), while the
// shards are being copied (each shard's cut decides), and after the cut
// before the stream starts (only in the stream). The test puts writes
// before and after the cut through the primary's Snapshot hook, and runs
// a writer for the whole cut, then checks that the replica ends with
// exactly the primary's keyspace. (A cut read after its shard's copy, or
// a paused replica queue that drops frames, makes it fail.)

// replNode is one in-process server's replication parts: a cache logging
// into a WAL whose frames feed a hub, a snapshotter, and a Manager.
type replNode struct {
	c   *cache.Cache
	w   *persistence.WAL
	hub *Hub
	sn  *persistence.Snapshotter
	m   *Manager
}

func newReplNode(t *testing.T, shards int, snapshot func(sn *persistence.Snapshotter) (*os.File, int64, error)) *replNode {
	t.Helper()
	dir := t.TempDir()
	log := zerolog.New(io.Discard)
	n := &replNode{hub: NewHub(HubOptions{Log: log})}
	n.c = cache.New(cache.Options{Shards: shards, Log: log})
	w, err := persistence.Open(persistence.Options{Dir: filepath.Join(dir, "wal"), Shards: shards, Fsync: "everysec",
		Export: n.hub.Publish, Followed: n.hub.Followed, Exported: n.hub.Exported, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	n.w = w
	n.hub.SetLog(w)
	n.c.SetWAL(w)
	n.sn = persistence.NewSnapshotter(persistence.SnapshotterOptions{Dir: filepath.Join(dir, "snapshot"), Source: n.c, Log: w, Logger: log})
	n.m = NewManager(ManagerOptions{Cache: n.c, Hub: n.hub, Dir: dir, MasterAuth: func() string { return "" }, Log: log,
		Snapshot: func() (*os.File, int64, error) { return snapshot(n.sn) }})
	t.Cleanup(func() {
		n.m.Close()
		n.c.Close()
		w.Close()
	})
	return n
}

// serve accepts replicas on loopback and hands each FCSYNC to the
// primary's Manager, as the server does; it returns the port.
func (n *replNode) serve(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			args, err := readRESPArray(bufio.NewReader(conn)) // the replica waits for the answer: nothing is left buffered
			if err != nil || len(args) < 4 || !strings.EqualFold(args[0], "FCSYNC") {
				conn.Close()
				continue
			}
			off, _ := strconv.ParseInt(args[2], 10, 64)
			port, _ := strconv.Atoi(args[3])
			wg.Add(1)
			go func() {
				defer wg.Done()
				n.m.ServeReplica(conn, args[1], off, port, args[4:])
			}()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// readRESPArray reads one command: an array of bulk strings.
func readRESPArray(br *bufio.Reader) ([]string, error) {
	line, err := readLine(br, 64)
	if err != nil || !strings.HasPrefix(line, "*") {
		return nil, errors.New("not an array")
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n < 0 || n > 16 {
		return nil, errors.New("bad array length")
	}
	out := make([]string, n)
	for i := range out {
		line, err := readLine(br, 64)
		if err != nil || !strings.HasPrefix(line, "$") {
			return nil, errors.New("not a bulk string")
		}
		l, err := strconv.Atoi(line[1:])
		if err != nil || l < 0 || l > 4096 {
			return nil, errors.New("bad bulk length")
		}
		b := make([]byte, l+2)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, err
		}
		out[i] = string(b[:l])
	}
	return out, nil
}

// fullSyncWrites writes, under keys named after phase, strings (SET,
// APPEND, INCRBY: a duplicate or a gap shows), a cross-shard MSET group,
// HyperLogLogs, and deletes a key of the preload.
func fullSyncWrites(t *testing.T, c *cache.Cache, phase string, n int) {
	k := c.Keyspace()
	for i := 0; i < n; i++ {
		key := []byte(fmt.Sprintf("%s:%d", phase, i))
		k.Set(key, []byte("v"+strconv.Itoa(i)), cache.SetOptions{}, nil)
		if _, err := k.Append(key, []byte("+a")); err != nil {
			t.Error(err)
		}
		if _, err := k.IncrBy([]byte(fmt.Sprintf("ctr:%d", i%7)), 1); err != nil {
			t.Error(err)
		}
		k.MSet([][]byte{[]byte(phase + ":m" + strconv.Itoa(i)), []byte("x"), []byte(fmt.Sprintf("pre:%d", i+1000)), []byte(phase)})
		if _, err := k.PFAdd([]byte(fmt.Sprintf("hll:%d", i%5)), [][]byte{[]byte(phase + strconv.Itoa(i))}); err != nil {
			t.Error(err)
		}
		k.Del([][]byte{[]byte(fmt.Sprintf("pre:%d", i))})
	}
}

// TestFullSyncWritesInEveryGap: three full resyncs of a replica while the
// primary writes after the attach and before the snapshot's cut, while
// the snapshot is cut (a writer runs during the whole cut), and after the
// cut before the stream starts; then writes go on in the stream. After
// each resync the replica's keyspace is the primary's (DEBUG DIGEST), key
// by key for the keys written in the gaps, and the replica's offset is
// the primary's.
func TestFullSyncWritesInEveryGap(t *testing.T) {
	var primary *replNode
	var round atomic.Int32
	primary = newReplNode(t, 16, func(sn *persistence.Snapshotter) (*os.File, int64, error) {
		r := round.Load()
		fullSyncWrites(t, primary.c, fmt.Sprintf("r%d-before-cut", r), 300)
		stop, done := make(chan struct{}), make(chan struct{})
		go func() { // writes while the shards are copied
			defer close(done)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				fullSyncWrites(t, primary.c, fmt.Sprintf("r%d-during-cut-%d", r, i), 20)
			}
		}()
		f, size, err := sn.SaveOpen()
		close(stop)
		<-done
		fullSyncWrites(t, primary.c, fmt.Sprintf("r%d-after-cut", r), 300)
		return f, size, err
	})
	port := primary.serve(t)
	for i := 0; i < 3000; i++ {
		primary.c.Keyspace().Set([]byte(fmt.Sprintf("pre:%d", i)), []byte("p"), cache.SetOptions{}, nil)
	}
	replica := newReplNode(t, 8, func(*persistence.Snapshotter) (*os.File, int64, error) { return nil, 0, errors.New("a replica") })

	for r := int32(0); r < 3; r++ {
		round.Store(r)
		if r > 0 {
			replica.m.ReplicaOf("", "") // then a new REPLICAOF: a full resync again
		}
		if _, err := replica.m.ReplicaOf("127.0.0.1", port); err != nil {
			t.Fatal(err)
		}
		fullSyncWrites(t, primary.c, fmt.Sprintf("r%d-stream", r), 200)
		// every write above is exported; the replica acknowledged it
		deadline := time.Now().Add(60 * time.Second)
		for {
			target, ok := primary.hub.AckTarget(primary.c.LastLSN())
			if ok && primary.hub.Acked(target) == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the replica did not acknowledge the primary's writes:\n%s", r, replica.m.Info())
			}
			primary.w.Kick()
			time.Sleep(time.Millisecond)
		}
		if full, _, _ := primary.m.SyncStats(); full != int64(r+1) {
			t.Fatalf("round %d: %d full resyncs served", r, full)
		}
		if po, ro := primary.hub.Offset(), replica.m.Role().Offset; po != ro {
			t.Fatalf("round %d: primary offset %d, replica offset %d", r, po, ro)
		}
		pk, rk := primary.c.Keyspace(), replica.c.Keyspace()
		for _, phase := range []string{"before-cut", "after-cut", "stream"} {
			for i := 0; i < 200; i++ {
				key := []byte(fmt.Sprintf("r%d-%s:%d", r, phase, i))
				want, _ := pk.Get(key, nil)
				got, ok := rk.Get(key, nil)
				if !ok || string(got) != string(want) {
					t.Fatalf("round %d: %s is %q (%v) on the replica, %q on the primary", r, key, got, ok, want)
				}
			}
		}
		for i := 0; i < 7; i++ {
			key := []byte(fmt.Sprintf("ctr:%d", i))
			want, _ := pk.Get(key, nil)
			if got, _ := rk.Get(key, nil); string(got) != string(want) {
				t.Fatalf("round %d: %s is %q on the replica, %q on the primary", r, key, got, want)
			}
		}
		if pd, rd := primary.c.Digest(false), replica.c.Digest(false); pd != rd {
			t.Fatalf("round %d: the replica's keyspace differs from the primary's (%d keys, %d keys)", r, primary.c.DBSize(0), replica.c.DBSize(0))
		}
		t.Logf("round %d: %d keys identical", r, primary.c.DBSize(0))
	}
}
