package server

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// CLIENT PAUSE / UNPAUSE / REPLY and REPLICAOF inside MULTI (pause.go,
// multi.go): what clients see, over both network layers (TestMain runs the
// package twice), and against redis-server where the replies can be
// compared.

// noReplyWithin asserts that nothing arrives on rc for a while (a paused
// command must not be answered).
func noReplyWithin(t *testing.T, rc *rawConn, d time.Duration) {
	t.Helper()
	rc.conn.SetReadDeadline(time.Now().Add(d))
	b, err := rc.br.Peek(1)
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("got %q (%v) while the command should wait for the pause", b, err)
	}
	rc.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
}

func TestClientPauseWrite(t *testing.T) {
	ts := startServer(t)
	admin, writer, reader := ts.rawConn(t), ts.rawConn(t), ts.rawConn(t)
	if got := admin.do("SET", "k", "old"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := admin.do("CLIENT", "PAUSE", "100000", "WRITE"); got != "+OK\r\n" {
		t.Fatalf("CLIENT PAUSE: %q", got)
	}
	// A pipeline: the GET before the write is answered, the write and all
	// after it wait.
	writer.write(encodeCmd("GET", "k") + encodeCmd("SET", "k", "new") + encodeCmd("GET", "k"))
	if got := writer.read(); got != "$3\r\nold\r\n" {
		t.Fatalf("GET before the paused write: %q", got)
	}
	noReplyWithin(t, writer, 300*time.Millisecond)
	// Reads from other clients go on; errors are answered at once.
	if got := reader.do("GET", "k"); got != "$3\r\nold\r\n" {
		t.Fatalf("GET during WRITE pause: %q", got)
	}
	if got := reader.do("SET", "k"); got != "-ERR wrong number of arguments for 'set' command\r\n" {
		t.Fatalf("arity error during pause: %q", got)
	}
	// MULTI queues reads; an EXEC with a write waits.
	reader.do("MULTI")
	if got := reader.do("GET", "k"); got != "+QUEUED\r\n" {
		t.Fatalf("GET in MULTI: %q", got)
	}
	if got := reader.do("EXEC"); got != "*1\r\n$3\r\nold\r\n" {
		t.Fatalf("read-only EXEC during WRITE pause: %q", got)
	}
	if got := admin.do("CLIENT", "UNPAUSE"); got != "+OK\r\n" {
		t.Fatalf("CLIENT UNPAUSE: %q", got)
	}
	if got := writer.read(); got != "+OK\r\n" {
		t.Fatalf("paused SET after UNPAUSE: %q", got)
	}
	if got := writer.read(); got != "$3\r\nnew\r\n" {
		t.Fatalf("GET after the paused SET: %q", got)
	}
}

func TestClientPauseAllEnds(t *testing.T) {
	ts := startServer(t)
	admin, other := ts.rawConn(t), ts.rawConn(t)
	if got := admin.do("CLIENT", "PAUSE", "400"); got != "+OK\r\n" {
		t.Fatalf("CLIENT PAUSE: %q", got)
	}
	start := time.Now()
	// With ALL every command waits, CLIENT UNPAUSE included (as Redis).
	other.write(encodeCmd("PING"))
	if got := other.read(); got != "+PONG\r\n" {
		t.Fatalf("PING after the pause: %q", got)
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Fatalf("PING answered after %v, within a 400 ms pause", time.Since(start))
	}
	// A later pause only extends; an overflowing timeout is no pause.
	if got := admin.do("CLIENT", "PAUSE", "9223372036854775807"); got != "+OK\r\n" {
		t.Fatalf("CLIENT PAUSE LLONG_MAX: %q", got)
	}
	if got := other.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING after an overflowing pause: %q", got)
	}
}

// TestRedisDiffClientPauseReply: the replies (and errors) of CLIENT PAUSE,
// UNPAUSE and REPLY, and REPLICAOF queued in MULTI, byte for byte against
// redis-server. Each script is written at once and its replies read back
// (CLIENT REPLY drops some).
func TestRedisDiffClientPauseReply(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	scripts := []struct {
		cmds    [][]string
		replies int
	}{
		{[][]string{{"CLIENT", "PAUSE"}, {"CLIENT", "PAUSE", "1", "2", "3"}, {"CLIENT", "PAUSE", "x"}, {"CLIENT", "PAUSE", "-1"},
			{"CLIENT", "PAUSE", "1", "x"}, {"CLIENT", "PAUSE", "x", "x"}, {"CLIENT", "PAUSE", "1e3"}, {"CLIENT", "PAUSE", "0", "WRITE"},
			{"CLIENT", "PAUSE", "0", "all"}, {"CLIENT", "UNPAUSE"}, {"CLIENT", "UNPAUSE", "x"}}, 11},
		{[][]string{{"CLIENT", "REPLY"}, {"CLIENT", "REPLY", "x"}, {"CLIENT", "REPLY", "on", "x"}, {"CLIENT", "REPLY", "ON"},
			{"CLIENT", "REPLY", "SKIP"}, {"SET", "a", "1"}, {"GET", "a"},
			{"CLIENT", "REPLY", "OFF"}, {"SET", "b", "2"}, {"GET", "nosuch", "x"}, {"CLIENT", "REPLY", "SKIP"}, {"GET", "b"},
			{"CLIENT", "REPLY", "ON"}, {"GET", "b"}, {"CLIENT", "REPLY", "SKIP"}, {"CLIENT", "REPLY", "SKIP"}, {"PING"}, {"ECHO", "x"}}, 8},
		{[][]string{{"MULTI"}, {"REPLICAOF", "NO", "ONE"}, {"SET", "r", "1"}, {"SLAVEOF", "NO", "ONE"}, {"GET", "r"}, {"EXEC"},
			{"MULTI"}, {"REPLICAOF", "NO"}, {"EXEC"}}, 9},
	}
	for i, sc := range scripts {
		var got [2]string
		for s, addr := range []string{redisAddr, fc.addr} {
			dc := diffDial(t, addr)
			var in []byte
			for _, c := range sc.cmds {
				in = append(in, diffEncode(c)...)
			}
			dc.conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := dc.conn.Write(in); err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			for k := 0; k < sc.replies; k++ {
				r, err := diffReadReply(dc.br)
				if err != nil {
					t.Fatalf("script %d on %s: reply %d: %v (so far %q)", i, sweepSide[s], k, err, out.String())
				}
				out.WriteString(r)
			}
			// nothing more: send a PING and expect exactly its reply
			if r, err := dc.do([]string{"PING"}); err != nil || r != "+PONG\r\n" {
				t.Fatalf("script %d on %s: after the replies: %q %v", i, sweepSide[s], r, err)
			}
			got[s] = out.String()
		}
		if got[0] != got[1] {
			t.Errorf("script %d:\n  redis:     %q\n  fastcache: %q", i, got[0], got[1])
		}
	}
}

// A client whose command a pause holds counts in INFO blocked_clients and
// shows flag b, as in Redis (BLOCKED_POSTPONE), until its command runs or
// it goes; a WRITE pause holds the read-only commands that may replicate
// (PFCOUNT, PUBLISH, SPUBLISH, an EXEC of them) too.
func TestClientPauseBlockedClients(t *testing.T) {
	ts := startServer(t)
	admin := ts.rawConn(t)
	admin.do("PFADD", "hll", "a")
	blocked := func() string {
		for _, l := range strings.Split(admin.val("INFO", "clients").str, "\r\n") {
			if strings.HasPrefix(l, "blocked_clients:") {
				return l
			}
		}
		return ""
	}
	admin.do("CLIENT", "PAUSE", "100000", "WRITE")
	var held []*rawConn
	for i, cmd := range [][]string{{"SET", "k", "v"}, {"PFCOUNT", "hll"}, {"PUBLISH", "ch", "m"}, {"SPUBLISH", "ch", "m"}} {
		rc := ts.rawConn(t)
		rc.do("CLIENT", "SETNAME", "held"+cmd[0])
		rc.write(encodeCmd(cmd...))
		want := "blocked_clients:" + strconv.Itoa(i+1)
		waitFor(t, 5*time.Second, want, func() bool { return blocked() == want })
		held = append(held, rc)
	}
	if list := admin.val("CLIENT", "LIST").str; strings.Count(list, "flags=b ") != 4 {
		t.Errorf("CLIENT LIST during the pause:\n%s", list)
	}
	// a client that goes while held no longer counts (the event loops see
	// it go; a goroutine-served client notices when its command resumes)
	held[3].conn.Close()
	if !testGoroutines {
		waitFor(t, 5*time.Second, "blocked_clients:3", func() bool { return blocked() == "blocked_clients:3" })
	}
	admin.do("CLIENT", "UNPAUSE")
	for i, want := range []string{"+OK\r\n", ":1\r\n", ":0\r\n"} {
		if got := held[i].read(); got != want {
			t.Errorf("held %d after UNPAUSE: %q, want %q", i, got, want)
		}
	}
	waitFor(t, 5*time.Second, "blocked_clients:0", func() bool { return blocked() == "blocked_clients:0" })
}

// TestRedisDiffMayReplicateInROScripts: a read-only script (EVAL_RO, or
// flags=no-writes) may not call the may-replicate commands (PUBLISH,
// SPUBLISH, PFCOUNT), as Redis counts them as writes there; other scripts may.
func TestRedisDiffMayReplicateInROScripts(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	steps := []diffStep{
		c("PFADD", "h", "a"),
		c("EVAL_RO", "return redis.call('publish','ch','msg')", "0"),
		c("EVAL_RO", "return redis.call('spublish','ch','msg')", "0"),
		c("EVAL_RO", "return redis.call('pfcount','h')", "1", "h"),
		c("EVAL_RO", "return redis.pcall('publish','ch','msg')", "0"),
		c("EVAL", "#!lua flags=no-writes\nreturn redis.call('publish','ch','msg')", "0"),
		c("EVAL", "return redis.call('publish','ch','msg')", "0"),
		c("EVAL", "return redis.call('pfcount','h')", "1", "h"),
		c("EVAL_RO", "return redis.call('get','h') ~= nil", "1", "h"),
	}
	runDiffScripts(t, []diffScript{{"may-replicate-ro-scripts", steps}})
}

// During a pause no key expires, neither on access nor by the active
// cycle: expired keys are missing to reads but stay (expired_keys does not
// move); once the pause ends they expire, as in Redis.
func TestClientPauseHoldsExpiry(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	expired := func() string {
		for _, l := range strings.Split(rc.val("INFO", "stats").str, "\r\n") {
			if strings.HasPrefix(l, "expired_keys:") {
				return l
			}
		}
		return ""
	}
	before := expired()
	rc.do("MULTI")
	rc.do("SET", "foo", "bar", "PX", "10")
	rc.do("SET", "bar", "foo", "PX", "10")
	rc.do("CLIENT", "PAUSE", "50000", "WRITE")
	rc.do("EXEC")
	waitFor(t, 5*time.Second, "the keys to be past their expiry", func() bool {
		return rc.do("GET", "foo") == "$-1\r\n" && rc.do("GET", "bar") == "$-1\r\n"
	})
	time.Sleep(300 * time.Millisecond) // a few active expiry cycles (hz 10): none may expire them
	if got := expired(); got != before {
		t.Fatalf("expired during the pause: %s, before %s", got, before)
	}
	if got := rc.do("DBSIZE"); got != ":2\r\n" {
		t.Errorf("DBSIZE during the pause: %q (the keys stay)", got)
	}
	rc.do("CLIENT", "UNPAUSE")
	rc.do("GET", "foo")
	rc.do("GET", "bar")
	n, _ := strconv.Atoi(strings.TrimPrefix(before, "expired_keys:"))
	if got, want := expired(), "expired_keys:"+strconv.Itoa(n+2); got != want {
		t.Errorf("after UNPAUSE: %s, want %s", got, want)
	}
}
