package server

import (
	"fmt"
	"sync"
	"testing"
)

// TestSeveralEventLoops: with io-threads 3, connections are spread over the
// loops and clients on different loops see each other's writes.
func TestSeveralEventLoops(t *testing.T) {
	ts := startServer(t, "io-threads", "3")
	if got := ts.client(t, 2).ConfigGet(ctx(), "io-threads").Val()["io-threads"]; got != "3" {
		t.Fatalf("CONFIG GET io-threads = %q", got)
	}
	const clients, incrs = 9, 200
	var conns []*rawConn
	for i := 0; i < clients; i++ {
		conns = append(conns, ts.rawConn(t))
	}
	for _, rc := range conns {
		if got := rc.do("PING"); got != "+PONG\r\n" {
			t.Fatalf("PING: %q", got)
		}
	}
	ts.srv.mu.Lock()
	loops := ts.srv.loops
	ts.srv.mu.Unlock()
	want := 3
	if testGoroutines {
		want = 0 // a goroutine per connection: io-threads does not apply
	}
	if len(loops) != want {
		t.Fatalf("%d event loops, want %d", len(loops), want)
	}
	for i, lp := range loops {
		if lp.nclients.Load() == 0 {
			t.Fatalf("loop %d serves no connection of %d", i, clients+1)
		}
	}
	var wg sync.WaitGroup
	for _, rc := range conns {
		wg.Add(1)
		go func(rc *rawConn) {
			defer wg.Done()
			for j := 0; j < incrs; j++ {
				rc.do("INCR", "shared")
			}
		}(rc)
	}
	wg.Wait()
	if got := conns[0].do("GET", "shared"); got != fmt.Sprintf("$%d\r\n%d\r\n", len(fmt.Sprint(clients*incrs)), clients*incrs) {
		t.Fatalf("GET shared = %q, want %d", got, clients*incrs)
	}
}
