package server

import (
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readAllRaw reads what the server sends on conn until it closes it.
func readAllRaw(t *testing.T, conn net.Conn) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(conn)
	if err != nil && !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("reading until the server closes: %v (got %d bytes: %.80q)", err, len(b), b)
	}
	return string(b)
}

// TestOutputLimitNormalClass: a client whose replies pass the normal
// class's hard limit is closed before it reads any of them, the rest of
// its pipeline does not run, a MULTI/EXEC that passed it ran whole, and
// the other clients are not affected (as Redis 7.0's obuf-limits tests).
func TestOutputLimitNormalClass(t *testing.T) {
	ts := startServer(t, "client-output-buffer-limit", "normal 100000 0 0")
	c := ts.client(t, 2)
	item := strings.Repeat("x", 1000)
	for i := 0; i < 150; i++ {
		if err := c.LPush(ctx(), "mylist", item).Err(); err != nil {
			t.Fatal(err)
		}
	}

	// One command whose reply passes the limit: no reply at all, and the
	// command after it in the same write does not run.
	conn := ts.raw(t)
	conn.Write([]byte(encodeCmd("CLIENT", "SETNAME", "mybiglist") + encodeCmd("LRANGE", "mylist", "0", "-1") + encodeCmd("SET", "after", "1")))
	if got := readAllRaw(t, conn); got != "" {
		t.Fatalf("a client over its hard limit read %d bytes: %.80q", len(got), got)
	}
	if n := c.Exists(ctx(), "after").Val(); n != 0 {
		t.Fatal("the command after the one that passed the limit ran")
	}
	if list := c.ClientList(ctx()).Val(); strings.Contains(list, "name=mybiglist") {
		t.Fatalf("the client is still listed:\n%s", list)
	}

	// Small replies under the limit are untouched.
	ok := ts.raw(t)
	ok.Write([]byte(encodeCmd("LRANGE", "mylist", "0", "49")))
	buf := make([]byte, 64)
	if n, err := ok.Read(buf); err != nil || !strings.HasPrefix(string(buf[:n]), "*50\r\n") {
		t.Fatalf("a reply under the limit: %q %v", buf[:n], err)
	}

	// A transaction whose reply passes the limit runs whole.
	c.Set(ctx(), "k1", "v1", 0)
	tx := ts.raw(t)
	tx.Write([]byte(encodeCmd("MULTI") + encodeCmd("SET", "k2", "v2") + encodeCmd("LRANGE", "mylist", "0", "-1") +
		encodeCmd("SET", "k3", "v3") + encodeCmd("DEL", "k1") + encodeCmd("EXEC")))
	if got := readAllRaw(t, tx); got != "" {
		t.Fatalf("the transaction's client read %d bytes", len(got))
	}
	if c.Exists(ctx(), "k1").Val() != 0 || c.Get(ctx(), "k2").Val() != "v2" || c.Get(ctx(), "k3").Val() != "v3" {
		t.Fatal("the transaction that passed the limit did not run whole")
	}

	// A random pick of millions of fields: closed instead of building it
	// (with no limit it is refused with an error).
	c.HSet(ctx(), "myhash", "a", "b")
	big := ts.raw(t)
	big.Write([]byte(encodeCmd("HRANDFIELD", "myhash", "-999999999")))
	if got := readAllRaw(t, big); got != "" {
		t.Fatalf("HRANDFIELD past the limit answered %q", got)
	}
	c.ConfigSet(ctx(), "client-output-buffer-limit", "normal 0 0 0")
	if err := c.Do(ctx(), "HRANDFIELD", "myhash", "-999999999").Err(); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("HRANDFIELD of 999999999 picks without a limit: %v", err)
	}
	if err := c.Ping(ctx()).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestOutputLimitSoftWithoutTraffic: a subscriber that went above its
// soft limit is closed once the limit's seconds have passed, even when
// nothing more is published to it (Redis's clientsCron check).
func TestOutputLimitSoftWithoutTraffic(t *testing.T) {
	ts := startServer(t, "client-output-buffer-limit", "pubsub 0 100000 1")
	c := ts.client(t, 2)
	sub, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	sub.(*net.TCPConn).SetReadBuffer(4096) // it never reads: the socket fills fast
	sub.Write([]byte(encodeCmd("CLIENT", "SETNAME", "slowsub") + encodeCmd("SUBSCRIBE", "foo")))
	waitFor(t, 5*time.Second, "the subscriber", func() bool {
		return c.PubSubNumSub(ctx(), "foo").Val()["foo"] == 1
	})
	omem := regexp.MustCompile(`name=slowsub .*omem=(\d+)`)
	pending := func() int {
		m := omem.FindStringSubmatch(c.ClientList(ctx()).Val())
		if m == nil {
			t.Fatal("the subscriber was closed while messages were still published to it")
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	msg := strings.Repeat("x", 1000)
	over := false
	// Publish until the pending output stays above the soft limit: until
	// the socket's buffers are full, a write in progress may still hand it
	// to the kernel (goroutine network layer). At most 20 MB.
	for i := 0; i < 20000 && !over; i++ {
		c.Publish(ctx(), "foo", msg)
		if i%10 == 0 && pending() > 100000 {
			time.Sleep(100 * time.Millisecond)
			over = pending() > 100000
		}
	}
	if !over {
		t.Fatal("the subscriber's pending output never stayed above 100000 bytes")
	}
	// No more traffic: the cron closes it after its second.
	deadline := time.Now().Add(10 * time.Second)
	for strings.Contains(c.ClientList(ctx()).Val(), "name=slowsub") {
		if time.Now().After(deadline) {
			t.Fatalf("the subscriber over its soft limit is still connected:\n%s", c.ClientList(ctx()).Val())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
