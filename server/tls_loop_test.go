package server

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"fastcache/internal/testcert"
)

// tlsTestServer starts a server with a plain port and a tls-port and
// returns it with the TLS address and the client configuration.
func tlsTestServer(t *testing.T) (*testServer, string, *tls.Config) {
	t.Helper()
	f, err := testcert.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	free := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}
	port := free()
	ts := startServer(t, "port", strconv.Itoa(free()), "tls-port", strconv.Itoa(port), "tls-cert-file", f.ServerCert, "tls-key-file", f.ServerKey, "tls-ca-cert-file", f.CA)
	return ts, "127.0.0.1:" + strconv.Itoa(port), f.ClientConfig(true)
}

func dialTLS(t *testing.T, addr string, cfg *tls.Config) *tls.Conn {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

// TestTLSStreams: what a TLS client sends and receives in every shape the
// event loops must cope with: commands in the same packet as the
// handshake's end, a pipeline spread over many records and split at
// arbitrary points, a value bigger than a record (and than the loop's read
// buffer), replies the socket does not take at once (a client that reads
// late), pushes, and commands followed at once by the client's
// close_notify (they still run).
func TestTLSStreams(t *testing.T) {
	ts, addr, cfg := tlsTestServer(t)
	admin := ts.client(t, 2)

	t.Run("pipeline in pieces", func(t *testing.T) {
		c := dialTLS(t, addr, cfg)
		var cmds bytes.Buffer
		const n = 3000
		for i := range n {
			fmt.Fprintf(&cmds, "*3\r\n$3\r\nSET\r\n$%d\r\nk%d\r\n$%d\r\nv%d\r\n", len("k"+strconv.Itoa(i)), i, len("v"+strconv.Itoa(i)), i)
		}
		b := cmds.Bytes()
		// writes of odd sizes: commands (and records) cut anywhere
		go func() {
			for off, step := 0, 1; off < len(b); step = step*7%9973 + 1 {
				end := min(off+step, len(b))
				if _, err := c.Write(b[off:end]); err != nil {
					return
				}
				off = end
			}
		}()
		r := bufio.NewReader(c)
		for i := range n {
			line, err := r.ReadString('\n')
			if err != nil || line != "+OK\r\n" {
				t.Fatalf("reply %d: %q %v", i, line, err)
			}
		}
		if v := admin.Get(ctx(), "k2999").Val(); v != "v2999" {
			t.Fatalf("k2999 = %q", v)
		}
	})

	t.Run("big value, late reader", func(t *testing.T) {
		c := dialTLS(t, addr, cfg)
		big := strings.Repeat("abcdefghij", 300_000) // 3 MB: many records, many loop reads
		fmt.Fprintf(c, "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n%s\r\n", len(big), big)
		// ask for it 8 times before reading anything: 24 MB of replies
		// wait for the socket while the client does not read
		for range 8 {
			io.WriteString(c, "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n")
		}
		time.Sleep(200 * time.Millisecond)
		r := bufio.NewReader(c)
		if line, _ := r.ReadString('\n'); line != "+OK\r\n" {
			t.Fatalf("SET: %q", line)
		}
		for i := range 8 {
			line, err := r.ReadString('\n')
			if err != nil || line != "$"+strconv.Itoa(len(big))+"\r\n" {
				t.Fatalf("GET %d: %q %v", i, line, err)
			}
			got := make([]byte, len(big)+2)
			if _, err := io.ReadFull(r, got); err != nil {
				t.Fatal(err)
			}
			if string(got[:len(big)]) != big {
				t.Fatalf("GET %d: value differs", i)
			}
		}
		// and the connection goes on serving
		io.WriteString(c, "PING\r\n")
		if line, _ := r.ReadString('\n'); line != "+PONG\r\n" {
			t.Fatalf("PING: %q", line)
		}
	})

	t.Run("pushes", func(t *testing.T) {
		sub := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: cfg, Protocol: 3})
		defer sub.Close()
		ps := sub.Subscribe(ctx(), "ch")
		defer ps.Close()
		if _, err := ps.Receive(ctx()); err != nil {
			t.Fatal(err)
		}
		for i := range 100 {
			if n := admin.Publish(ctx(), "ch", "m"+strconv.Itoa(i)).Val(); n != 1 {
				t.Fatalf("PUBLISH reached %d", n)
			}
			m, err := ps.ReceiveMessage(ctx())
			if err != nil || m.Payload != "m"+strconv.Itoa(i) {
				t.Fatalf("message %d: %v %v", i, m, err)
			}
		}
	})

	t.Run("commands then close_notify", func(t *testing.T) {
		c := dialTLS(t, addr, cfg)
		io.WriteString(c, "*3\r\n$3\r\nSET\r\n$4\r\nlast\r\n$3\r\nyes\r\n")
		c.CloseWrite() // close_notify right behind the command
		waitFor(t, 5*time.Second, "the command sent just before close_notify", func() bool { return admin.Get(ctx(), "last").Val() == "yes" })
	})

	t.Run("garbage instead of a handshake", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "PING\r\nPING\r\n")
		io.Copy(io.Discard, c) // the server ends it
		if err := admin.Ping(ctx()).Err(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("killed during the handshake", func(t *testing.T) {
		c, err := net.Dial("tcp", addr) // connects, never says hello
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		local := c.LocalAddr().String()
		waitFor(t, 5*time.Second, "the connection in its handshake in CLIENT LIST", func() bool { return strings.Contains(admin.ClientList(ctx()).Val(), "addr="+local) })
		if err := admin.ClientKill(ctx(), local).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("the killed connection is still open")
		}
		waitFor(t, 5*time.Second, "the killed connection to leave CLIENT LIST", func() bool { return !strings.Contains(admin.ClientList(ctx()).Val(), "addr="+local) })
	})
}

// TestTLSCloseDuringHandshake: the server shuts down while a client has
// connected to its tls-port and not finished a handshake.
func TestTLSCloseDuringHandshake(t *testing.T) {
	ts, addr, _ := tlsTestServer(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	local := c.LocalAddr().String()
	admin := ts.client(t, 2)
	waitFor(t, 5*time.Second, "the connection in CLIENT LIST", func() bool { return strings.Contains(admin.ClientList(ctx()).Val(), "addr="+local) })
	done := make(chan struct{})
	go func() { ts.srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waits for a handshake that never ends")
	}
}
