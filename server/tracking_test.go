package server

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// CLIENT TRACKING beyond the differential tests: the table's bound, the
// INFO counters and CLIENT LIST's fields.

func TestTrackingTableMaxKeys(t *testing.T) {
	ts := startServer(t, "tracking-table-max-keys", "10")
	rc := ts.rawConn(t)
	rc.do("HELLO", "3")
	rc.do("CLIENT", "TRACKING", "ON")
	for i := 0; i < 30; i++ {
		rc.write(encodeCmd("GET", fmt.Sprint("key:", i)))
	}
	// 30 replies, and an invalidation for each key pushed out of the table.
	replies, pushes := 0, 0
	for replies < 30 {
		r := rc.read()
		if strings.HasPrefix(r, ">2\r\n$10\r\ninvalidate\r\n") {
			pushes++
		} else {
			replies++
		}
	}
	rdb := ts.client(t, 2)
	info, _ := rdb.Info(ctx(), "stats", "clients").Result()
	if !strings.Contains(info, "tracking_total_keys:10\r\n") || !strings.Contains(info, "tracking_total_items:10\r\n") || !strings.Contains(info, "tracking_clients:1\r\n") {
		t.Errorf("INFO after 30 keys with a limit of 10: %s", info)
	}
	// The pushes may trail the replies: the rest arrive before the next reply.
	if got := rc.do("PING"); got != "+PONG\r\n" {
		for strings.HasPrefix(got, ">2") {
			pushes++
			got = rc.read()
		}
	}
	if pushes != 20 {
		t.Errorf("%d invalidations for keys pushed out of the table, want 20", pushes)
	}
}

func TestTrackingInfoAndClientList(t *testing.T) {
	ts := startServer(t)
	a := ts.rawConn(t)
	a.do("HELLO", "3")
	a.do("CLIENT", "SETNAME", "bcaster")
	a.do("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "x", "PREFIX", "y")
	b := ts.rawConn(t)
	b.do("CLIENT", "SETNAME", "redirector")
	id := strings.TrimSpace(strings.TrimPrefix(a.do("CLIENT", "ID"), ":"))
	if got := b.do("CLIENT", "TRACKING", "ON", "REDIRECT", id); got != "+OK\r\n" {
		t.Fatal(got)
	}
	b.do("GET", "k1")
	b.do("MGET", "k1", "k2")
	rdb := ts.client(t, 2)
	info, _ := rdb.Info(ctx(), "stats", "clients").Result()
	for _, want := range []string{"tracking_clients:2\r\n", "tracking_total_keys:2\r\n", "tracking_total_items:2\r\n", "tracking_total_prefixes:2\r\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO lacks %q", want)
		}
	}
	list, _ := rdb.ClientList(ctx()).Result()
	for name, want := range map[string][]string{"bcaster": {" flags=tB ", " redir=0 "}, "redirector": {" flags=t ", " redir=" + id + " "}} {
		var line string
		for _, l := range strings.Split(list, "\n") {
			if strings.Contains(l, "name="+name+" ") {
				line = l
			}
		}
		for _, w := range want {
			if !strings.Contains(line, w) {
				t.Errorf("CLIENT LIST %s: %q lacks %q", name, line, w)
			}
		}
	}
	// The redirect target goes away: the next invalidation marks the
	// redirect broken (flag R).
	a.conn.Close()
	waitFor(t, 5*time.Second, "client gone", func() bool {
		l, _ := rdb.ClientList(ctx()).Result()
		return !strings.Contains(l, "name=bcaster ")
	})
	rdb.Set(ctx(), "k1", "v", 0)
	waitFor(t, 5*time.Second, "R flag", func() bool {
		l, _ := rdb.ClientList(ctx()).Result()
		return strings.Contains(l, "name=redirector ") && strings.Contains(l, " flags=tR ")
	})
	b.do("CLIENT", "TRACKING", "OFF")
	waitFor(t, 5*time.Second, "tracking off", func() bool {
		info, _ := rdb.Info(ctx(), "stats", "clients").Result()
		return strings.Contains(info, "tracking_clients:0\r\n") && strings.Contains(info, "tracking_total_prefixes:0\r\n")
	})
}

// TestTrackingTableLimitLowered: CONFIG SET tracking-table-max-keys under
// the number of keys tracked invalidates the keys over it, all of them (a
// first round of 100, the rest from the cron), as Redis's "Server is able
// to evacuate enough keys when num of keys surpasses limit".
func TestTrackingTableLimitLowered(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	rc.do("HELLO", "3")
	rc.do("CLIENT", "TRACKING", "ON")
	for i := 0; i < 250; i++ {
		rc.do("GET", fmt.Sprint("key", i))
	}
	ctl := ts.rawConn(t)
	if got := ctl.do("CONFIG", "SET", "tracking-table-max-keys", "1"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	for pushes := 0; pushes < 249; pushes++ {
		rc.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if r := rc.read(); !strings.HasPrefix(r, ">2\r\n$10\r\ninvalidate\r\n") {
			t.Fatalf("after %d invalidations: %q", pushes, r)
		}
	}
	if got := rc.do("PING"); got != "+PONG\r\n" {
		t.Errorf("more than 249 invalidations: %q", got)
	}
}

// TestTrackingFlushClearsTable: FLUSHALL forgets the keys read by clients
// that have stopped tracking too (INFO's counters go to 0), so a later
// change of such a key invalidates nobody.
func TestTrackingFlushClearsTable(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	rc.do("CLIENT", "TRACKING", "ON")
	rc.do("MGET", "a", "b", "c")
	rc.do("CLIENT", "TRACKING", "OFF")
	rc.do("FLUSHALL")
	rdb := ts.client(t, 2)
	info, _ := rdb.Info(ctx(), "stats").Result()
	if !strings.Contains(info, "tracking_total_keys:0\r\n") || !strings.Contains(info, "tracking_total_items:0\r\n") {
		t.Errorf("INFO after FLUSHALL: %s", info)
	}
}

// TestTrackingEvictionBeforeReply: keys evicted to make room before a
// command (a read too, as Redis does before every command) are invalidated
// before that command's reply (tracking.tcl "Tracking invalidation message
// of eviction keys should be before response").
func TestTrackingEvictionBeforeReply(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	rc.do("HELLO", "3")
	rc.do("CLIENT", "TRACKING", "ON")
	rc.do("SETEX", "volatile-key", "10000", "x")
	rc.do("GET", "volatile-key")
	info := rc.do("INFO", "memory")
	var used int64
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, "used_memory:"); ok {
			fmt.Sscan(v, &used)
		}
	}
	if used == 0 {
		t.Fatalf("no used_memory in %q", info)
	}
	rc.do("CONFIG", "SET", "maxmemory", fmt.Sprint(used+100*1024))
	rc.do("CONFIG", "SET", "maxmemory-policy", "volatile-random")
	if got := rc.do("SETBIT", "big-key", "1600000", "0"); got != ":0\r\n" {
		t.Fatalf("SETBIT: %q", got)
	}
	if got := rc.do("GETBIT", "big-key", "0"); got != ">2\r\n$10\r\ninvalidate\r\n*1\r\n$12\r\nvolatile-key\r\n" {
		t.Errorf("GETBIT over maxmemory: %q, want the invalidation of the evicted key first", got)
	}
	if got := rc.read(); got != ":0\r\n" {
		t.Errorf("GETBIT's reply: %q", got)
	}
}

// TestTrackingRedirectToQuitting: a client that ran QUIT is gone for a
// tracking redirect from that moment (Redis frees it before anyone can send
// more), not only once its connection is closed: an invalidation then
// reaches the tracking client as tracking-redir-broken. The QUIT is
// applied to the target's state as the command applies it, with the
// connection kept, to hold the window open.
func TestTrackingRedirectToQuitting(t *testing.T) {
	ts := startServer(t)
	target := ts.rawConn(t)
	id := strings.TrimSpace(strings.TrimPrefix(target.do("CLIENT", "ID"), ":"))
	tracker := ts.rawConn(t)
	tracker.do("HELLO", "3")
	if got := tracker.do("CLIENT", "TRACKING", "ON", "REDIRECT", id); got != "+OK\r\n" {
		t.Fatalf("CLIENT TRACKING ON REDIRECT: %q", got)
	}
	tracker.do("GET", "k")
	n, _ := strconv.ParseInt(id, 10, 64)
	ts.srv.mu.Lock()
	tc := ts.srv.clients[n]
	ts.srv.mu.Unlock()
	if q := (&Client{}); cmdQuitMarks(q) {
		tc.quitting.Store(true) // what QUIT does to its client, the connection kept
	} else {
		t.Fatal("QUIT does not mark its client as quitting")
	}
	ts.client(t, 2).Set(ctx(), "k", "v", 0)
	if got := tracker.do("PING"); !strings.Contains(got, "tracking-redir-broken") {
		t.Fatalf("after the redirect target quit, an invalidation: %q, want a tracking-redir-broken push", got)
	}
}

// cmdQuitMarks runs QUIT on a client of no connection and reports whether
// it marked it as quitting.
func cmdQuitMarks(c *Client) bool {
	cmdQuit(c, nil)
	return c.quitting.Load()
}
