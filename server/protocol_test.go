package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Protocol limits (limits.go) and wire behaviour: every bad input gets
// Redis's error text, the connection is closed, and other clients are
// still served.

// closedAfter reads until the server closes the connection and returns what
// came before. A reset counts as closed.
func closedAfter(t *testing.T, rc *rawConn, within time.Duration) string {
	t.Helper()
	rc.conn.SetReadDeadline(time.Now().Add(within))
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := rc.br.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("connection still open after %v (read %q)", within, trunc(sb.String()))
			}
			return sb.String()
		}
	}
}

func servedStill(t *testing.T, ts *testServer) {
	t.Helper()
	if got := ts.rawConn(t).do("PING"); got != "+PONG\r\n" {
		t.Fatalf("another client is not served: %q", got)
	}
}

func TestProtocolErrors(t *testing.T) {
	ts := startServer(t)
	cases := []struct {
		name, send, want string
	}{
		{"bulk over proto-max-bulk-len", "*1\r\n$600000000\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"negative bulk length", "*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"non-numeric bulk length", "*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"multibulk count over the limit", "*1048577\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"non-numeric multibulk count", "*x\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"expected $", "*1\r\nx", "-ERR Protocol error: expected '$', got 'x'\r\n"},
		{"inline over 64 KB", strings.Repeat("a", 70<<10), "-ERR Protocol error: too big inline request\r\n"},
		{"inline over 64 KB in pieces", strings.Repeat("PING ", 14000), "-ERR Protocol error: too big inline request\r\n"},
		{"replies before the bad command", "PING\r\n" + encodeCmd("ECHO", "a") + "*1\r\n$999999999999\r\n",
			"+PONG\r\n$1\r\na\r\n-ERR Protocol error: invalid bulk length\r\n"},
		{"unbalanced quotes", "ECHO \"abc\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
		{"multibulk count -0", "*-0\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"bulk length -0", "*1\r\n$-0\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"multibulk count with a leading zero", "*01\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc := ts.rawConn(t)
			rc.write(c.send)
			if got := closedAfter(t, rc, 5*time.Second); got != c.want {
				t.Fatalf("got %q, want %q and a close", trunc(got), c.want)
			}
			servedStill(t, ts)
		})
	}
}

func TestProtocolUnauthenticatedLimits(t *testing.T) {
	ts := startServer(t, "requirepass", "pw")
	cases := []struct {
		name, send, want string
	}{
		{"multibulk", "*11\r\n", "-ERR Protocol error: unauthenticated multibulk length\r\n"},
		{"bulk", "*2\r\n$4\r\nAUTH\r\n$16385\r\n", "-ERR Protocol error: unauthenticated bulk length\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc := ts.rawConn(t)
			rc.write(c.send)
			if got := closedAfter(t, rc, 5*time.Second); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			other := ts.rawConn(t)
			if got := other.do("AUTH", "pw"); got != "+OK\r\n" {
				t.Fatalf("another client: %q", got)
			}
		})
	}
	// Small commands are fine before AUTH, and the limits lift after it.
	rc := ts.rawConn(t)
	if got := rc.do("PING"); got != "-NOAUTH Authentication required.\r\n" {
		t.Fatalf("PING: %q", got)
	}
	rc.do("AUTH", "pw")
	args := []string{"COMMAND", "GETKEYS", "WATCH"}
	for i := 0; i < 20; i++ {
		args = append(args, "k"+strconv.Itoa(i))
	}
	if got := rc.val(args...); len(got.elems) != 20 {
		t.Fatalf("23 arguments after AUTH: %+v", got)
	}
	big := strings.Repeat("x", 100<<10)
	if got := rc.val("ECHO", big); got.str != big {
		t.Fatal("100 KB bulk after AUTH")
	}
}

func TestQueryBufferLimit(t *testing.T) {
	ts := startServer(t, "client-query-buffer-limit", "1mb")
	rc := ts.rawConn(t)
	// A command that never ends: its declared bulk is 10 MB (allowed by
	// proto-max-bulk-len) but the buffered part passes 1 MB.
	rc.write("*2\r\n$4\r\nECHO\r\n$10000000\r\n")
	chunk := []byte(strings.Repeat("z", 64<<10))
	rc.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	for i := 0; i < 64; i++ { // up to 4 MB
		if _, err := rc.conn.Write(chunk); err != nil {
			break // the server closed the connection
		}
	}
	if got := closedAfter(t, rc, 5*time.Second); got != "" {
		t.Fatalf("client over the query buffer limit got %q", trunc(got))
	}
	servedStill(t, ts)
	// Below the limit a big command still works.
	v := ts.rawConn(t).val("ECHO", strings.Repeat("y", 900<<10))
	if len(v.str) != 900<<10 {
		t.Fatalf("900 KB ECHO under a 1 MB limit: %d bytes", len(v.str))
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestDeclaredLengthDoesNotAllocate: a client declaring a 500 MB argument
// and sending only a little of it does not make the server allocate 500 MB.
func TestDeclaredLengthDoesNotAllocate(t *testing.T) {
	ts := startServer(t)
	before := heapInUse()
	var conns []*rawConn
	for i := 0; i < 4; i++ {
		rc := ts.rawConn(t)
		rc.write("*3\r\n$4\r\nECHO\r\n$1\r\na\r\n$500000000\r\n" + strings.Repeat("q", 4096))
		conns = append(conns, rc)
	}
	// Let the server read what was sent.
	time.Sleep(200 * time.Millisecond)
	servedStill(t, ts)
	after := heapInUse()
	if after > before && after-before > 64<<20 {
		t.Fatalf("heap grew by %d MB for 4 declared 500 MB arguments", (after-before)>>20)
	}
	for _, rc := range conns {
		rc.conn.Close()
	}
}

func TestPipelining(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	var sb strings.Builder
	for i := 0; i < 1000; i++ {
		sb.WriteString(encodeCmd("ECHO", "v"+strconv.Itoa(i)))
	}
	rc.write(sb.String())
	for i := 0; i < 1000; i++ {
		want := "v" + strconv.Itoa(i)
		if got := rc.read(); got != fmt.Sprintf("$%d\r\n%s\r\n", len(want), want) {
			t.Fatalf("reply %d: %q", i, got)
		}
	}
	// Inline and RESP mixed in one write, with a transaction.
	rc.write("PING\r\n" + encodeCmd("MULTI") + encodeCmd("ECHO", "x") + "ECHO y\r\n" + encodeCmd("EXEC"))
	for _, want := range []string{"+PONG\r\n", "+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "*2\r\n$1\r\nx\r\n$1\r\ny\r\n"} {
		if got := rc.read(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	// A go-redis pipeline.
	rdb := ts.client(t, 3)
	pipe := rdb.Pipeline()
	for i := 0; i < 1000; i++ {
		pipe.Echo(ctx(), i)
	}
	cmds, err := pipe.Exec(ctx())
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cmds {
		if v := c.(*redis.StringCmd).Val(); v != strconv.Itoa(i) {
			t.Fatalf("go-redis pipeline reply %d = %q", i, v)
		}
	}
}

// TestPipelinedKeyCommands: big go-redis pipelines of single- and multi-key
// commands on a growing keyspace (index doublings happen mid-pipeline, so the
// look-ahead's prefetch runs against indexes being replaced) give exactly
// the replies of running the commands one by one.
func TestPipelinedKeyCommands(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	model := map[string]string{}
	counters := map[string]int64{}
	rng := uint64(1)
	next := func(n int) int {
		rng = rng*6364136223846793005 + 1442695040888963407
		return int(rng>>33) % n
	}
	key := func() string { return "k:" + strconv.Itoa(next(30000)) }
	for round := 0; round < 6; round++ {
		pipe := rdb.Pipeline()
		var checks []func(redis.Cmder) string
		for i := 0; i < 3000; i++ {
			switch i % 6 {
			case 0, 1:
				k, v := key(), "v"+strconv.Itoa(i)
				pipe.Set(ctx(), k, v, 0)
				model[k] = v
				checks = append(checks, nil)
			case 2:
				k := "n:" + strconv.Itoa(next(5000))
				counters[k]++
				want := counters[k]
				pipe.Incr(ctx(), k)
				checks = append(checks, func(c redis.Cmder) string {
					if got := c.(*redis.IntCmd).Val(); got != want {
						return fmt.Sprintf("INCR %s = %d, want %d", k, got, want)
					}
					return ""
				})
			case 3:
				a, b, c := key(), key(), key()
				pipe.MSet(ctx(), a, "m1", b, "m2", c, "m3")
				model[a], model[b], model[c] = "m1", "m2", "m3"
				checks = append(checks, nil)
			case 4:
				a, b := key(), key()
				want := 0
				if _, ok := model[a]; ok {
					want++
				}
				delete(model, a)
				if _, ok := model[b]; ok {
					want++
				}
				delete(model, b)
				pipe.Del(ctx(), a, b)
				checks = append(checks, func(c redis.Cmder) string {
					if got := c.(*redis.IntCmd).Val(); got != int64(want) {
						return fmt.Sprintf("DEL %s %s = %d, want %d", a, b, got, want)
					}
					return ""
				})
			case 5:
				ks := []string{key(), key(), key(), key()}
				want := fmt.Sprint(model[ks[0]], model[ks[1]], model[ks[2]], model[ks[3]])
				pipe.MGet(ctx(), ks...)
				checks = append(checks, func(c redis.Cmder) string {
					vals := c.(*redis.SliceCmd).Val()
					got := make([]string, len(vals))
					for j, v := range vals {
						if v != nil {
							got[j] = v.(string)
						}
					}
					if g := fmt.Sprint(got[0], got[1], got[2], got[3]); g != want {
						return fmt.Sprintf("MGET %v = %q, want %q", ks, g, want)
					}
					return ""
				})
			}
		}
		cmds, err := pipe.Exec(ctx())
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for i, c := range cmds {
			if checks[i] != nil {
				if msg := checks[i](c); msg != "" {
					t.Fatalf("round %d, command %d: %s", round, i, msg)
				}
			}
		}
	}
	if n, err := rdb.DBSize(ctx()).Result(); err != nil || n != int64(len(model)+len(counters)) {
		t.Fatalf("DBSIZE = %d (%v), want %d", n, err, len(model)+len(counters))
	}
}

func TestManyConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 connections")
	}
	const n = 2000
	ts := startServer(t)
	var (
		wg      sync.WaitGroup
		ready   sync.WaitGroup
		release = make(chan struct{})
		errs    = make(chan error, n)
	)
	ready.Add(n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var conn net.Conn
			var err error
			for try := 0; try < 50; try++ {
				if conn, err = net.DialTimeout("tcp", ts.addr, 5*time.Second); err == nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err != nil {
				ready.Done()
				errs <- err
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(60 * time.Second))
			msg := "c" + strconv.Itoa(i)
			if _, err := conn.Write([]byte(encodeCmd("PING", msg))); err != nil {
				ready.Done()
				errs <- err
				return
			}
			want := fmt.Sprintf("$%d\r\n%s\r\n", len(msg), msg)
			buf := make([]byte, len(want))
			_, err = io.ReadFull(conn, buf)
			ready.Done()
			if err != nil || string(buf) != want {
				errs <- fmt.Errorf("client %d: %q, %v", i, buf, err)
				return
			}
			<-release // stay connected until every client got its reply
		}(i)
	}
	ready.Wait()
	rc := ts.rawConn(t)
	_, secs := infoSections(t, rc.val("INFO", "clients").str)
	got := secs["clients"]["connected_clients"]
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got != strconv.Itoa(n+1) {
		t.Errorf("connected_clients = %s with %d connections open", got, n+1)
	}
	waitFor(t, 10*time.Second, "clients to go", func() bool {
		_, secs := infoSections(t, rc.val("INFO", "clients").str)
		return secs["clients"]["connected_clients"] == "1"
	})
}
