package server

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func masterRun(t *testing.T, m *MasterClient, args ...string) error {
	t.Helper()
	a := make([][]byte, len(args))
	for i, s := range args {
		a[i] = []byte(s)
	}
	return m.Run(a)
}

// TestMasterClient: the client that runs a redis-server primary's stream
// on a read-only replica writes where the replica's own clients get
// READONLY, keeps its database across commands, applies a MULTI/EXEC
// whole, finds a key whose TTL passed (the primary has not deleted it
// yet) while the replica's clients do not see it, and returns its
// commands' errors. Other clients read meanwhile (under -race).
func TestMasterClient(t *testing.T) {
	ts := startServer(t)
	ts.cache.SetReadOnly(true)
	ts.cache.ExpireByPrimary(true)
	defer ts.cache.ExpireByPrimary(false)
	rc := ts.client(t, 2)
	bg := context.Background()
	m := ts.srv.NewMasterClient()
	defer m.Close()

	if err := rc.Set(bg, "k", "v", 0).Err(); err == nil || err.Error() != "READONLY You can't write against a read only replica." {
		t.Fatalf("a client's write on the read-only replica: %v", err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // a reader meanwhile
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			rc.MGet(bg, "c", "k0", "k1")
		}
	}()
	for i := range 200 {
		if err := masterRun(t, m, "INCR", "c"); err != nil {
			t.Fatal(err)
		}
		if err := masterRun(t, m, "SET", "k"+strconv.Itoa(i%3), fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if v := rc.Get(bg, "c").Val(); v != "200" {
		t.Fatalf("c = %q after 200 INCRs of the stream", v)
	}

	// the database stays selected; a transaction applies at EXEC
	for _, c := range [][]string{{"SELECT", "2"}, {"MULTI"}, {"SET", "a", "1"}, {"LPUSH", "l", "x", "y"}} {
		if err := masterRun(t, m, c...); err != nil {
			t.Fatal(c, err)
		}
	}
	if !m.InTransaction() {
		t.Fatal("InTransaction false after MULTI")
	}
	rc2 := redis.NewClient(&redis.Options{Addr: ts.addr, DB: 2})
	defer rc2.Close()
	if n := rc2.Exists(bg, "a", "l").Val(); n != 0 {
		t.Fatalf("%d keys of an open transaction visible", n)
	}
	if err := masterRun(t, m, "EXEC"); err != nil || m.InTransaction() {
		t.Fatal(err, m.InTransaction())
	}
	if v := rc2.LRange(bg, "l", 0, -1).Val(); fmt.Sprint(v) != "[y x]" || rc2.Get(bg, "a").Val() != "1" {
		t.Fatalf("after EXEC: l %v a %q", v, rc2.Get(bg, "a").Val())
	}
	// a transaction the link cut is discarded
	masterRun(t, m, "MULTI")
	masterRun(t, m, "SET", "cut", "1")
	m.Reset(-1)
	if err := masterRun(t, m, "SET", "after", "1"); err != nil || rc2.Exists(bg, "cut").Val() != 0 || rc2.Get(bg, "after").Val() != "1" {
		t.Fatalf("after a Reset within MULTI: %v, cut %d", err, rc2.Exists(bg, "cut").Val())
	}
	m.Reset(0)

	// a key past its TTL: missing to clients, there for the stream
	past := time.Now().Add(-time.Second).UnixMilli()
	if err := masterRun(t, m, "SET", "old", "v", "PXAT", strconv.FormatInt(past, 10)); err != nil {
		t.Fatal(err)
	}
	if err := rc.Get(bg, "old").Err(); err != redis.Nil {
		t.Fatalf("GET of a key past its TTL: %v", err)
	}
	if err := masterRun(t, m, "APPEND", "old", "w"); err != nil {
		t.Fatal(err)
	}
	if err := masterRun(t, m, "PERSIST", "old"); err != nil {
		t.Fatal(err)
	}
	if v := rc.Get(bg, "old").Val(); v != "vw" {
		t.Fatalf("the stream's APPEND to a key past its TTL gave %q, want vw (the key was there for it)", v)
	}
	// errors come back
	masterRun(t, m, "SET", "s", "x")
	if err := masterRun(t, m, "INCR", "s"); err == nil || err.Error() != "ERR value is not an integer or out of range" {
		t.Fatalf("INCR of a string: %v", err)
	}
}
