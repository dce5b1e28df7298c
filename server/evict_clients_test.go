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

// clientField is field of the client named name in CLIENT LIST ("" if the
// client is gone).
func clientField(rc *rawConn, name, field string) string {
	for _, l := range strings.Split(rc.val("CLIENT", "LIST").str, "\n") {
		if strings.Contains(l, " name="+name+" ") {
			if m := regexp.MustCompile(" " + field + `=(\S*)`).FindStringSubmatch(l); m != nil {
				return m[1]
			}
		}
	}
	return ""
}

func evictedClients(rc *rawConn) int {
	m := regexp.MustCompile(`evicted_clients:(\d+)`).FindStringSubmatch(rc.val("INFO", "stats").str)
	n, _ := strconv.Atoi(m[1])
	return n
}

// expectEvicted waits until the server closes rc: an end of file, or a
// reset (it closed the socket with input unread), within 5 s.
func expectEvicted(t *testing.T, rc *rawConn) {
	t.Helper()
	rc.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, rc.br)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the connection is still open after 5 s")
	}
}

// fill sends a command whose last argument (n bytes) never completes: the
// client then holds n bytes of query buffer.
func fill(rc *rawConn, n int) {
	rc.write("*2\r\n$" + strconv.Itoa(n) + "\r\n" + strings.Repeat("v", n))
}

// TestClientEviction: maxmemory-clients closes the largest clients, as
// Redis 7.0's client eviction, until the clients' memory is below it;
// CLIENT NO-EVICT exempts a client, whose memory still counts.
func TestClientEviction(t *testing.T) {
	ts := startServer(t)
	ctl := ts.rawConn(t)
	ctl.do("CLIENT", "SETNAME", "control")
	ctl.do("CLIENT", "NO-EVICT", "on")

	// Without a limit, nobody is evicted however big. c2 and c3 are
	// exempt (CLIENT NO-EVICT on), their memory still counts.
	sizes := []int{200 << 10, 200 << 10, 600 << 10, 600 << 10, 1500 << 10}
	var conns []*rawConn
	for i, n := range sizes {
		rc := ts.rawConn(t)
		name := "c" + strconv.Itoa(i)
		rc.do("CLIENT", "SETNAME", name)
		if i == 2 || i == 3 {
			rc.do("CLIENT", "NO-EVICT", "on")
		}
		fill(rc, n)
		conns = append(conns, rc)
		waitFor(t, 5*time.Second, name+"'s query buffer", func() bool {
			m, _ := strconv.Atoi(clientField(ctl, name, "tot-mem"))
			return m >= n
		})
	}
	mem := make([]int, len(sizes))
	total := 0
	for i := range sizes {
		mem[i], _ = strconv.Atoi(clientField(ctl, "c"+strconv.Itoa(i), "tot-mem"))
		total += mem[i]
	}
	// A limit that fits all but the largest client: it alone goes.
	ctl.do("CONFIG", "SET", "maxmemory-clients", strconv.Itoa(total-mem[4]/2))
	expectEvicted(t, conns[4])
	for i := 0; i < 4; i++ {
		if clientField(ctl, "c"+strconv.Itoa(i), "name") == "" {
			t.Fatalf("c%d was evicted with the largest one enough", i)
		}
	}
	if n := evictedClients(ctl); n != 1 {
		t.Fatalf("evicted_clients %d, want 1", n)
	}
	// A limit below the exempt two takes every other client.
	ctl.do("CONFIG", "SET", "maxmemory-clients", strconv.Itoa(mem[2]+mem[3]))
	for _, i := range []int{0, 1} {
		expectEvicted(t, conns[i])
	}
	if clientField(ctl, "c2", "name") == "" || clientField(ctl, "c3", "name") == "" {
		t.Fatal("a client with CLIENT NO-EVICT on was evicted")
	}
	if n := evictedClients(ctl); n != 3 {
		t.Fatalf("evicted_clients %d, want 3", n)
	}

	// A client whose own query buffer passes the limit goes as it grows
	// (its big argument counts from its header on, as Redis allocates it);
	// the rest are not touched.
	ctl.do("CONFIG", "SET", "maxmemory-clients", "4mb")
	big := ts.rawConn(t)
	big.write("*2\r\n$" + strconv.Itoa(5<<20) + "\r\n")
	expectEvicted(t, big)
	if clientField(ctl, "c2", "name") == "" {
		t.Fatal("an exempt client went with the big one")
	}
	if r := ctl.do("PING"); r != "+PONG\r\n" {
		t.Fatalf("control after the evictions: %q", r)
	}
}

// TestClientEvictionGrowth: the memory a client builds up with commands
// (MULTI's queue, WATCHed keys, subscriptions, replies it does not read)
// counts, and passing the limit closes it.
func TestClientEvictionGrowth(t *testing.T) {
	ts := startServer(t)
	ctl := ts.rawConn(t)
	ctl.do("CLIENT", "NO-EVICT", "on")
	ctl.do("CONFIG", "SET", "maxmemory-clients", "200000")
	ctl.do("SET", "big", strings.Repeat("x", 100000))
	// send writes cmd n times (until the server closes the connection)
	// and expects the connection closed.
	send := func(t *testing.T, n int, cmd func(i int) string) {
		rc := ts.rawConn(t)
		for i := 0; i < n; i++ {
			if _, err := rc.conn.Write([]byte(cmd(i))); err != nil {
				break
			}
		}
		expectEvicted(t, rc)
	}
	t.Run("multi", func(t *testing.T) {
		send(t, 11, func(i int) string {
			if i == 0 {
				return encodeCmd("MULTI")
			}
			return encodeCmd("SET", "k", strings.Repeat("v", 40000))
		})
	})
	t.Run("watch", func(t *testing.T) {
		send(t, 10000, func(i int) string { return encodeCmd("WATCH", "key:"+strconv.Itoa(i)) })
	})
	t.Run("subscriptions", func(t *testing.T) {
		send(t, 10000, func(i int) string { return encodeCmd("SUBSCRIBE", "ch:"+strconv.Itoa(i)) })
	})
	t.Run("unread replies", func(t *testing.T) {
		// GETs of 100 KB in one pipeline: their replies pass the limit
		// before any is read.
		send(t, 1, func(int) string { return strings.Repeat(encodeCmd("GET", "big"), 5) })
	})
	if n := evictedClients(ctl); n != 4 {
		t.Fatalf("evicted_clients %d, want 4", n)
	}
	// under the limit, all is served
	rc := ts.rawConn(t)
	if r := rc.do("GET", "big"); len(r) < 100000 {
		t.Fatalf("GET under the limit: %d bytes", len(r))
	}
}

// TestMaxMemoryClientsPercent: a percent is of maxmemory (and off while
// maxmemory is 0), and the effective limit is at least 128 KB.
func TestMaxMemoryClientsPercent(t *testing.T) {
	ts := startServer(t)
	ctl := ts.rawConn(t)
	ctl.do("CLIENT", "NO-EVICT", "on")
	ctl.do("CONFIG", "SET", "maxmemory-clients", "10%")
	rc := ts.rawConn(t)
	fill(rc, 300<<10)
	waitFor(t, 5*time.Second, "the 300 KB query buffer", func() bool {
		for _, l := range strings.Split(ctl.val("CLIENT", "LIST").str, "\n") {
			if m := regexp.MustCompile(` tot-mem=(\d+)`).FindStringSubmatch(l); m != nil {
				if n, _ := strconv.Atoi(m[1]); n >= 300<<10 {
					return true
				}
			}
		}
		return false
	})
	if n := evictedClients(ctl); n != 0 {
		t.Fatalf("%d evicted with maxmemory 0 (a percent of nothing: off)", n)
	}
	m := regexp.MustCompile(`mem_clients_normal:(\d+)`).FindStringSubmatch(ctl.val("INFO", "memory").str)
	if n, _ := strconv.Atoi(m[1]); n < 300<<10 || n > 400<<10 {
		t.Fatalf("mem_clients_normal %d with a 300 KB query buffer", n)
	}
	ctl.do("CONFIG", "SET", "maxmemory", strconv.Itoa(2<<20)) // 10% = 200 KB: the 300 KB client goes
	expectEvicted(t, rc)
	ctl.do("CONFIG", "SET", "maxmemory", "0")
	ctl.do("CONFIG", "SET", "maxmemory-clients", "1") // 128 KB in effect
	small := ts.rawConn(t)
	fill(small, 64<<10)
	time.Sleep(100 * time.Millisecond)
	if n := evictedClients(ctl); n != 1 {
		t.Fatalf("evicted_clients %d with a 64 KB client under maxmemory-clients 1 (128 KB in effect), want 1", n)
	}
	fill(ts.rawConn(t), 200<<10)
	waitFor(t, 5*time.Second, "the 200 KB client's eviction", func() bool { return evictedClients(ctl) == 2 })
}

// TestClientEvictionClosedPeer: a client that closed its connection holds
// nothing, even before its event loop has read the end of file. A client
// exempt from eviction that held most of maxmemory-clients and hung up
// must not get the next client evicted in its place (Redis reads the end
// of file first; fastcache's event loops run in parallel, and the one
// serving the closed client may not have run yet).
func TestClientEvictionClosedPeer(t *testing.T) {
	ts := startServer(t)
	ctl := ts.rawConn(t)
	ctl.do("CLIENT", "SETNAME", "control")
	ctl.do("CLIENT", "NO-EVICT", "on")
	ctl.do("CONFIG", "SET", "maxmemory-clients", "1mb")
	const n = 1<<20 + 1
	for i := range 30 {
		big := ts.rawConn(t)
		big.do("CLIENT", "SETNAME", "big")
		big.do("CLIENT", "NO-EVICT", "on")
		fill(big, n)
		waitFor(t, 5*time.Second, "big's query buffer", func() bool {
			return clientField(ctl, "big", "qbuf") == strconv.Itoa(n)
		})
		big.conn.Close()
		next := ts.rawConn(t)
		if got := next.do("CLIENT", "SETNAME", "next"); got != "+OK\r\n" {
			t.Fatalf("round %d: the client after the closed one got %q", i, got)
		}
		if got := next.do("PING"); got != "+PONG\r\n" {
			t.Fatalf("round %d: PING got %q", i, got)
		}
		next.conn.Close()
		waitFor(t, 5*time.Second, "the clients gone", func() bool {
			return clientField(ctl, "big", "qbuf") == "" && clientField(ctl, "next", "qbuf") == ""
		})
	}
	if n := evictedClients(ctl); n != 0 {
		t.Fatalf("evicted_clients %d, want 0", n)
	}
}
