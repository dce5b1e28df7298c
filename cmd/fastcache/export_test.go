package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"fastcache/persistence"
	"fastcache/replication"
)

// WAL export tests: real server processes, subscribers over TCP.

// subscriber is a WAL export consumer.
type subscriber struct {
	conn net.Conn
	br   *bufio.Reader
	sr   *replication.StreamReader
}

func subscribe(t *testing.T, addr, token string) (*subscriber, error) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if token != "" {
		io.WriteString(conn, token+"\n")
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReaderSize(conn, 1<<20)
	_, off, err := replication.ReadHello(br)
	if err != nil {
		return nil, err
	}
	return &subscriber{conn: conn, br: br, sr: replication.NewStreamReader(br, off)}, nil
}

// next returns the next frame's records (copied).
func (s *subscriber) next(timeout time.Duration) ([]persistence.Record, error) {
	s.conn.SetReadDeadline(time.Now().Add(timeout))
	recs, _, err := s.sr.Next()
	if err != nil {
		return nil, err
	}
	out := make([]persistence.Record, len(recs))
	for i, r := range recs {
		out[i] = persistence.Record{Op: r.Op, LSN: r.LSN, ExpireAt: r.ExpireAt,
			Key: append([]byte(nil), r.Key...), Value: append([]byte(nil), r.Value...)}
	}
	return out, nil
}

func infoField(t *testing.T, rdb *redis.Client, section, field string) string {
	t.Helper()
	info, err := rdb.Info(ctx(), section).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO %s has no %s:\n%s", section, field, info)
	return ""
}

func infoInt(t *testing.T, rdb *redis.Client, section, field string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(infoField(t, rdb, section, field), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Every write reaches the subscriber, in each key's order, with block.
func TestExportEveryFrameInOrder(t *testing.T) {
	eport := freePort(t)
	p := startReady(t, t.TempDir(), "--wal-export-listen", fmt.Sprintf("127.0.0.1:%d", eport), "--wal-export-on-full", "block")
	sub, err := subscribe(t, fmt.Sprintf("127.0.0.1:%d", eport), "")
	if err != nil {
		t.Fatal(err)
	}
	rdb := p.client()
	const writers, perWriter = 4, 2000
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			key := fmt.Sprintf("counter:%d", w)
			for i := 0; i < perWriter; i++ {
				pipe := rdb.Pipeline()
				pipe.Incr(ctx(), key)
				pipe.Set(ctx(), fmt.Sprintf("k:%d:%d", w, i), i, 0)
				if _, err := pipe.Exec(ctx()); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// Every INCR arrives as the value it produced: 1, 2, ... per counter.
	nextCounter := make([]int, writers)
	sets := 0
	lsns := map[uint64]bool{}
	for sets < writers*perWriter || !countersDone(nextCounter, perWriter) {
		recs, err := sub.next(10 * time.Second)
		if err != nil {
			t.Fatalf("after %d sets, counters %v: %v", sets, nextCounter, err)
		}
		for _, r := range recs {
			if lsns[r.LSN] {
				t.Fatalf("LSN %d delivered twice", r.LSN)
			}
			lsns[r.LSN] = true
			k := string(r.Key)
			if r.Op != persistence.OpSet {
				t.Fatalf("unexpected record %v %s", r.Op, k)
			}
			if w, ok := strings.CutPrefix(k, "counter:"); ok {
				wi, _ := strconv.Atoi(w)
				nextCounter[wi]++
				if string(r.Value) != strconv.Itoa(nextCounter[wi]) {
					t.Fatalf("counter %d: got %s, want %d (out of order or missing)", wi, r.Value, nextCounter[wi])
				}
				continue
			}
			sets++
		}
	}
	if sets != writers*perWriter {
		t.Fatalf("got %d sets, want %d", sets, writers*perWriter)
	}
	if n := infoInt(t, rdb, "wal_export", "wal_export_dropped_frames"); n != 0 {
		t.Fatalf("block mode dropped %d frames", n)
	}
	if n := infoInt(t, rdb, "wal_export", "wal_export_subscribers_active"); n != 1 {
		t.Fatalf("subscribers_active = %d", n)
	}
}

func countersDone(next []int, want int) bool {
	for _, n := range next {
		if n != want {
			return false
		}
	}
	return true
}

// writeBig writes n values of size bytes and reports how long it took.
func writeBig(t *testing.T, rdb *redis.Client, n, size int) time.Duration {
	t.Helper()
	val := strings.Repeat("x", size)
	start := time.Now()
	for i := 0; i < n; i++ {
		if err := rdb.Set(ctx(), fmt.Sprintf("big:%d", i), val, 0).Err(); err != nil {
			t.Fatalf("SET %d: %v", i, err)
		}
	}
	return time.Since(start)
}

// stalled connects as a subscriber and never reads.
func stalled(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetReadBuffer(4096)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// drop: a subscriber that does not read costs writers nothing; drops are counted.
func TestExportDropNeverStalls(t *testing.T) {
	eport := freePort(t)
	eaddr := fmt.Sprintf("127.0.0.1:%d", eport)
	p := startReady(t, t.TempDir(), "--wal-export-listen", eaddr, "--wal-export-on-full", "drop",
		"--wal-export-write-timeout", "3600", "--wal-compression", "none", "--appendfsync", "no")
	stalled(t, eaddr)
	rdb := p.client()
	waitInfo(t, rdb, "wal_export", "wal_export_subscribers_active", "1")
	// 96 MB through a 32 MB queue: writers must get through, frames dropped.
	writeBig(t, rdb, 96, 1<<20)
	if n := infoInt(t, rdb, "wal_export", "wal_export_dropped_frames"); n == 0 {
		t.Fatalf("no frame dropped although the subscriber never reads")
	}
	if n := infoInt(t, rdb, "wal_export", "wal_export_subscribers_active"); n != 1 {
		t.Fatalf("drop mode disconnected the subscriber (active=%d)", n)
	}
}

// block: a subscriber stuck past the write timeout is cut off and the
// writers go on.
func TestExportSlowSubscriberCutOff(t *testing.T) {
	eport := freePort(t)
	eaddr := fmt.Sprintf("127.0.0.1:%d", eport)
	p := startReady(t, t.TempDir(), "--wal-export-listen", eaddr, "--wal-export-on-full", "block",
		"--wal-export-write-timeout", "1", "--wal-compression", "none", "--appendfsync", "no")
	stalled(t, eaddr)
	rdb := p.client()
	waitInfo(t, rdb, "wal_export", "wal_export_subscribers_active", "1")
	writeBig(t, rdb, 96, 1<<20)
	waitInfo(t, rdb, "wal_export", "wal_export_subscribers_active", "0")
	if n := infoInt(t, rdb, "wal_export", "wal_export_dropped_frames"); n != 0 {
		t.Fatalf("block mode dropped %d frames", n)
	}
	if !strings.Contains(p.out.String(), "WAL subscriber disconnected") {
		t.Fatalf("the cut-off is not logged:\n%s", p.out.String())
	}
}

func waitInfo(t *testing.T, rdb *redis.Client, section, field, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := infoField(t, rdb, section, field)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("INFO %s %s = %s, want %s", section, field, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestExportTokenAndLimit(t *testing.T) {
	eport := freePort(t)
	eaddr := fmt.Sprintf("127.0.0.1:%d", eport)
	p := startReady(t, t.TempDir(), "--wal-export-listen", eaddr, "--wal-export-token", "s3cret",
		"--wal-export-max-subscribers", "1")
	rdb := p.client()
	if _, err := subscribe(t, eaddr, "wrong"); err == nil || !strings.Contains(err.Error(), "invalid token") {
		t.Fatalf("wrong token: %v", err)
	}
	if _, err := subscribe(t, eaddr, ""); err == nil || !strings.Contains(err.Error(), "invalid token") {
		t.Fatalf("missing token: %v", err)
	}
	// `fastcache wal tail` with the right token follows the stream.
	tail := exec.Command(binary(t), "wal", "tail", "--addr", eaddr, "--token", "s3cret", "--count", "3")
	var out strings.Builder
	tail.Stdout = &out
	tail.Stderr = &out
	if err := tail.Start(); err != nil {
		t.Fatal(err)
	}
	waitInfo(t, rdb, "wal_export", "wal_export_subscribers_active", "1")
	// Over the limit: refused while tail is attached.
	if _, err := subscribe(t, eaddr, "s3cret"); err == nil || !strings.Contains(err.Error(), "max subscribers") {
		t.Fatalf("subscriber over the limit: %v", err)
	}
	rdb.Set(ctx(), "greeting", "hello", 0)
	rdb.Set(ctx(), "bin", "\xff\x00", time.Hour)
	rdb.Append(ctx(), "greeting", ", world") // logged as the appended bytes (README's example)
	done := make(chan error, 1)
	go func() { done <- tail.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("wal tail: %v\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		tail.Process.Kill()
		t.Fatalf("wal tail did not print 3 records:\n%s", out.String())
	}
	o := out.String()
	if !strings.Contains(o, `"op":"set","key":"greeting","value":"hello"`) ||
		!strings.Contains(o, `"key":"bin","value":"/wA=","value_encoding":"base64","expire_at":`) ||
		!strings.Contains(o, `"op":"setrange","key":"greeting","value":", world","offset":5}`) {
		t.Fatalf("wal tail output:\n%s", o)
	}
	if n := infoInt(t, rdb, "wal_export", "wal_export_subscribers_rejected"); n != 3 {
		t.Fatalf("rejected = %d, want 3", n)
	}
	if !strings.Contains(p.out.String(), "WAL subscriber refused") {
		t.Fatal("refusals are not logged")
	}
}

// collector accepts one pushed stream at a time on addr.
func collect(t *testing.T, ln net.Listener, token string, got chan<- string) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		collectorConns.Lock()
		collectorConns.conns = append(collectorConns.conns, conn)
		collectorConns.Unlock()
		go func() {
			defer conn.Close()
			br := bufio.NewReader(conn)
			line, err := br.ReadString('\n')
			if err != nil || strings.TrimSpace(line) != token {
				t.Errorf("collector: token line %q, %v", line, err)
				return
			}
			_, off, err := replication.ReadHello(br)
			if err != nil {
				t.Errorf("collector: %v", err)
				return
			}
			sr := replication.NewStreamReader(br, off)
			for {
				recs, _, err := sr.Next()
				if err != nil {
					return
				}
				for _, r := range recs {
					got <- string(r.Key)
				}
			}
		}()
	}
}

func waitKey(t *testing.T, got <-chan string, key string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case k := <-got:
			if k == key {
				return
			}
		case <-timeout:
			t.Fatalf("collector never received %s", key)
		}
	}
}

// connect mode: fastcache pushes to a collector and reconnects after the
// collector restarts.
func TestExportConnectSurvivesCollectorRestart(t *testing.T) {
	// not an ephemeral port: the collector listens on it again later
	caddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ln, err := net.Listen("tcp", caddr)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1<<16)
	go collect(t, ln, "tok", got)
	p := startReady(t, t.TempDir(), "--wal-export-connect", caddr, "--wal-export-token", "tok")
	rdb := p.client()
	waitInfo(t, rdb, "wal_export", "wal_export_subscribers_active", "1")
	rdb.Set(ctx(), "before", "1", 0)
	waitKey(t, got, "before")

	// The collector goes away (listener and connection), then comes back.
	ln.Close()
	p2 := infoInt(t, rdb, "wal_export", "wal_export_connect_failures")
	// kill the open connection by making fastcache's next write fail
	for i := 0; i < 50 && infoField(t, rdb, "wal_export", "wal_export_subscribers_active") != "0"; i++ {
		rdb.Set(ctx(), "while-down", "x", 0)
		time.Sleep(50 * time.Millisecond)
		closeCollectorConns()
	}
	time.Sleep(500 * time.Millisecond)
	if n := infoInt(t, rdb, "wal_export", "wal_export_connect_failures"); n <= p2 {
		t.Fatalf("no connect failure counted while the collector was down (%d)", n)
	}
	ln2, err := net.Listen("tcp", caddr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	go collect(t, ln2, "tok", got)
	waitInfo(t, rdb, "wal_export", "wal_export_subscribers_active", "1")
	rdb.Set(ctx(), "after", "1", 0)
	waitKey(t, got, "after")
}

var collectorConns struct {
	sync.Mutex
	conns []net.Conn
}

func closeCollectorConns() {
	collectorConns.Lock()
	defer collectorConns.Unlock()
	for _, c := range collectorConns.conns {
		c.Close()
	}
	collectorConns.conns = nil
}
