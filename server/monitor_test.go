package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// monitorLineRE matches a monitor line's head: the time, the database and
// the client (ip:port or lua).
var monitorLineRE = regexp.MustCompile(`^\+(\d+)\.(\d{6}) \[(\d+) ([^\]]+)\] `)

// monitorNormalize replaces each monitor line's time by T and its client
// address by the name of the test's connection (lua stays), so the
// transcripts of two servers compare byte for byte.
func monitorNormalize(t *testing.T, item string, names map[string]string) string {
	m := monitorLineRE.FindStringSubmatch(item)
	if m == nil {
		return item
	}
	secs, _ := strconv.ParseInt(m[1], 10, 64)
	if d := time.Since(time.Unix(secs, 0)); d < -time.Minute || d > time.Minute {
		t.Errorf("monitor line time %s.%s is not now", m[1], m[2])
	}
	who := m[4]
	if who != "lua" {
		if n, ok := names[who]; ok {
			who = n
		} else {
			who = "?" + who
		}
	}
	return "+T [" + m[3] + " " + who + "] " + item[len(m[0]):]
}

// TestRedisDiffMonitor runs the same commands on redis-server and fastcache
// from two clients (A, B) and from the monitoring connection itself (M),
// and compares what the monitor receives, byte for byte, with the times
// and client ports normalized: which commands are fed (not the rejected,
// admin or queued ones; EXEC's commands when it runs them; EVAL before its
// script's commands as [db lua]), the quoting of the arguments, the
// redaction of passwords, and what a monitoring client may run itself.
func TestRedisDiffMonitor(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	type step struct {
		on      string // A, B or M
		args    []string
		noReply bool // MONITOR on a monitor: Redis does not answer
		async   bool // sent without waiting for the reply (a blocking command)
		await   bool // read the reply of the connection's async command
		blocked bool // wait until a client is blocked (CLIENT LIST, not fed)
	}
	async := func(on string, args ...string) step { return step{on: on, args: args, async: true} }
	await := func(on string) step { return step{on: on, await: true} }
	blocked := step{blocked: true}
	a := func(args ...string) step { return step{on: "A", args: args} }
	b := func(args ...string) step { return step{on: "B", args: args} }
	m := func(args ...string) step { return step{on: "M", args: args} }
	steps := []step{
		a("SET", "a", "1"), b("GET", "a"), a("INCR", "a"), a("MSET", "k1", "v1", "k2", "v2"), a("DEL", "k1", "nokey"),
		a("ECHO", "\x00\xff\"\\\n\r\t\a\b end é"), b("SET", "", ""),
		a("SELECT", "3"), a("SET", "x", "1"), a("SELECT", "0"),
		// rejected before they run: not fed
		a("NOSUCH", "x"), a("GET"), a("CLIENT", "NOSUCH"), a("CLIENT", "GETNAME", "x"),
		// administrative: not fed
		// (SLOWLOG GET 0 is empty however slow a command of this test ran under -race)
		a("CONFIG", "GET", "maxmemory"), a("CLIENT", "GETREDIR"), a("SLOWLOG", "GET", "0"), a("MONITOR_NOT"),
		// connection commands: fed
		a("CLIENT", "SETNAME", "alpha"), a("CLIENT", "GETNAME"), a("PING"), a("OBJECT", "ENCODING", "a"),
		// a command that runs and fails is fed
		a("LPUSH", "a", "x"), a("INCRBY", "a", "x"),
		// scripts: EVAL first, then its commands as [db lua]
		a("EVAL", "redis.call('set','k',ARGV[1]); return redis.call('get','k')", "1", "k", "v\n1"),
		a("EVAL", "return 1", "-1"), a("EVALSHA", "0000000000000000000000000000000000000000", "0"),
		a("EVAL", "redis.pcall('incr','a','b'); redis.pcall('nosuch'); return redis.pcall('lpush','a','x')", "0"),
		a("EVAL", "redis.call('select','2'); return redis.call('set','z','1')", "0"),
		a("EVAL_RO", "return redis.call('set','a','1')", "0"),
		a("FUNCTION", "LOAD", "#!lua name=mlib\nredis.register_function('mf', function(k, a) return redis.call('incr', k[1]) end)"),
		a("FCALL", "mf", "1", "cnt"), a("FCALL", "nosuch", "0"), a("FUNCTION", "DELETE", "mlib"),
		// transactions: MULTI, then the queued commands when EXEC runs them, then EXEC
		a("MULTI"), a("SET", "a", "2"), a("INCR", "a"), a("EXEC"),
		a("MULTI"), a("SET", "a", "3"), a("INCR"), a("EXEC"),
		a("MULTI"), a("SET", "a", "4"), a("LPUSH", "a", "1"), a("EXEC"),
		a("MULTI"), a("EVAL", "return redis.call('get','a')", "0"), a("EXEC"),
		a("WATCH", "a"), a("MULTI"), a("DISCARD"), a("UNWATCH"),
		// blocking commands are fed once, when they block
		a("RPUSH", "list", "e"), a("BLPOP", "list", "0"), a("BLPOP", "nolist", "0.01"),
		// passwords are redacted
		a("AUTH", "a", "b", "c"), a("AUTH", "pw"), a("AUTH", "user", "pw"),
		a("HELLO", "4", "AUTH", "u", "p"), a("HELLO", "x", "AUTH", "u", "p"), a("HELLO", "3", "bogus", "AUTH", "u", "p"),
		a("HELLO", "2", "AUTH", "u", "p", "bogus"), a("HELLO", "2", "SETNAME", "n", "AUTH", "u", "p"),
		// the monitor itself: keyspace commands refused, others run and are fed to it too
		m("PING"), m("GET", "a"), m("SET", "a", "1"), m("PUBLISH", "ch", "x"), m("EVAL", "return 1", "0"),
		m("OBJECT", "ENCODING", "a"), m("ECHO", "hi"), {on: "M", args: []string{"MONITOR"}, noReply: true}, m("CLIENT", "GETNAME"),
		m("MULTI"), m("PING"), m("EXEC"), m("MULTI"), m("GET", "a"), m("EXEC"),
		// a blocking command is fed when it runs (blocks), not again when
		// it is served, times out or is unblocked (CLIENT UNBLOCK: admin)
		async("B", "BLPOP", "q", "0"), blocked, a("RPUSH", "q", "x"), await("B"),
		async("B", "BLPOP", "q", "0"), blocked, a("CLIENT", "UNBLOCK", "$B", "ERROR"), await("B"),
		async("B", "BLPOP", "q", "0"), blocked, a("CLIENT", "UNBLOCK", "$B"), await("B"),
		async("B", "BLPOP", "q", "0.02"), blocked, await("B"),
		b("SET", "b", "after"),
	}
	names := [2]map[string]string{{}, {}}
	transcripts := [2][]string{}
	replies := [2][]string{}
	for s, addr := range []string{redisAddr, fc.addr} {
		conns := map[string]*diffConn{}
		for _, n := range []string{"M", "A", "B"} {
			conns[n] = diffDial(t, addr)
			names[s][conns[n].conn.LocalAddr().String()] = n
		}
		ids := map[string]string{}
		for n, dc := range conns {
			r, err := dc.do([]string{"CLIENT", "ID"})
			if err != nil {
				t.Fatal(err)
			}
			ids["$"+n] = strings.TrimSpace(strings.TrimPrefix(r, ":"))
		}
		if r, err := conns["M"].do([]string{"MONITOR"}); err != nil || r != "+OK\r\n" {
			t.Fatalf("MONITOR: %q %v", r, err)
		}
		mc := conns["M"]
		mc.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		// readUntil reads the monitor's stream (lines and the replies to its
		// own commands) up to the line of ECHO mark.
		readUntil := func(mark string) {
			for {
				item, err := diffReadReply(mc.br)
				if err != nil {
					t.Fatalf("%s: reading the monitor: %v (after %q)", [2]string{"redis", "fastcache"}[s], err, transcripts[s])
				}
				transcripts[s] = append(transcripts[s], monitorNormalize(t, item, names[s]))
				if strings.Contains(item, `"`+mark+`"`) && strings.HasPrefix(item, "+") {
					return
				}
			}
		}
		for i, st := range steps {
			dc := conns[st.on]
			switch {
			case st.blocked:
				waitFor(t, 5*time.Second, "a blocked client", func() bool {
					r, _ := conns["A"].do([]string{"CLIENT", "LIST"})
					return strings.Contains(r, "flags=b")
				})
				continue
			case st.async:
				dc.conn.Write(diffEncode(st.args))
				continue
			case st.await:
				r, err := diffReadReply(dc.br)
				if err != nil {
					t.Fatal(err)
				}
				replies[s] = append(replies[s], st.on+" (blocked) -> "+r)
				continue
			}
			args := append([]string(nil), st.args...)
			for j, x := range args {
				if id, ok := ids[x]; ok {
					args[j] = id
				}
			}
			label := st.on + " " + strings.Join(st.args, " ")
			st.args = args
			if st.on == "M" {
				// Its reply comes in its stream (read up to it); then an
				// ECHO from B marks the end of what the step produced.
				dc.conn.Write(diffEncode(st.args))
				for !st.noReply {
					item, err := diffReadReply(mc.br)
					if err != nil {
						t.Fatalf("%s: reading the monitor: %v", [2]string{"redis", "fastcache"}[s], err)
					}
					transcripts[s] = append(transcripts[s], monitorNormalize(t, item, names[s]))
					if !monitorLineRE.MatchString(item) {
						break
					}
				}
				mark := "sync-" + strconv.Itoa(i)
				if _, err := conns["B"].do([]string{"ECHO", mark}); err != nil {
					t.Fatal(err)
				}
				readUntil(mark)
				continue
			}
			r, err := dc.do(st.args)
			if err != nil {
				t.Fatalf("%q: %v", st.args, err)
			}
			replies[s] = append(replies[s], label+" -> "+diffNormalizeReply(r))
		}
		if r, err := conns["A"].do([]string{"ECHO", "end-of-test"}); err != nil {
			t.Fatalf("ECHO: %q %v", r, err)
		}
		readUntil("end-of-test")
		// RESET ends monitoring: nothing more arrives.
		if r, err := mc.do([]string{"RESET"}); err != nil || r != "+RESET\r\n" {
			t.Fatalf("RESET: %q %v", r, err)
		}
		conns["A"].do([]string{"SET", "after", "reset"})
		if r, err := mc.do([]string{"PING"}); err != nil || r != "+PONG\r\n" {
			t.Fatalf("PING after RESET: %q %v", r, err)
		}
	}
	for i := 0; i < max(len(replies[0]), len(replies[1])); i++ {
		var r0, r1 string
		if i < len(replies[0]) {
			r0 = replies[0][i]
		}
		if i < len(replies[1]) {
			r1 = replies[1][i]
		}
		if r0 != r1 {
			t.Errorf("reply %d:\n  redis:     %q\n  fastcache: %q", i, r0, r1)
		}
	}
	for i := 0; i < max(len(transcripts[0]), len(transcripts[1])); i++ {
		var r0, r1 string
		if i < len(transcripts[0]) {
			r0 = transcripts[0][i]
		}
		if i < len(transcripts[1]) {
			r1 = transcripts[1][i]
		}
		if r0 != r1 {
			t.Errorf("monitor item %d:\n  redis:     %q\n  fastcache: %q", i, r0, r1)
		}
	}
	if t.Failed() {
		t.Logf("redis transcript:\n%s", strings.Join(transcripts[0], ""))
	}
}

// diffNormalizeReply hides what differs between any two servers in the
// replies of TestRedisDiffMonitor: HELLO's connection id.
func diffNormalizeReply(r string) string {
	return regexp.MustCompile(`\$2\r\nid\r\n:\d+\r\n`).ReplaceAllString(r, "$2\r\nid\r\n:N\r\n")
}

// monitorReader reads a monitoring connection's lines in a goroutine.
type monitorReader struct {
	lines chan string
	done  chan error
}

func readMonitor(t *testing.T, conn net.Conn) *monitorReader {
	t.Helper()
	br := bufio.NewReader(conn)
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write([]byte(encodeCmd("MONITOR"))); err != nil {
		t.Fatal(err)
	}
	if l, err := br.ReadString('\n'); err != nil || l != "+OK\r\n" {
		t.Fatalf("MONITOR: %q %v", l, err)
	}
	mr := &monitorReader{lines: make(chan string, 1<<16), done: make(chan error, 1)}
	go func() {
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				mr.done <- err
				close(mr.lines)
				return
			}
			mr.lines <- l
		}
	}()
	return mr
}

// until collects lines up to (and with) the first one containing mark.
func (mr *monitorReader) until(t *testing.T, mark string) []string {
	t.Helper()
	var out []string
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-mr.lines:
			if !ok {
				t.Fatalf("monitor connection ended before %q (after %d lines)", mark, len(out))
			}
			out = append(out, l)
			if strings.Contains(l, mark) {
				return out
			}
		case <-timeout:
			t.Fatalf("no monitor line with %q within 20s (got %d lines)", mark, len(out))
		}
	}
}

// TestMonitorClients: several clients write concurrently (plain commands,
// transactions, scripts); two monitors each see every command exactly
// once, each client's in the order it ran them, with its address, EXEC's
// commands between MULTI and EXEC and a script's after its EVAL as lua.
func TestMonitorClients(t *testing.T) {
	ts := startServer(t)
	mons := []*monitorReader{readMonitor(t, ts.raw(t)), readMonitor(t, ts.raw(t))}
	const clients, ops = 4, 150
	addrs := make([]string, clients)
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		conn := ts.rawConn(t)
		addrs[i] = conn.conn.LocalAddr().String()
		wg.Add(1)
		go func(i int, rc *rawConn) {
			defer wg.Done()
			for n := 0; n < ops; n++ {
				key := fmt.Sprintf("c%d:%d", i, n)
				var reply string
				switch n % 3 {
				case 0:
					reply = rc.do("SET", key, "v")
				case 1:
					rc.write(encodeCmd("MULTI") + encodeCmd("SET", key, "v") + encodeCmd("INCR", key+"n") + encodeCmd("EXEC"))
					for j := 0; j < 3; j++ {
						rc.read()
					}
					reply = rc.read()
				case 2:
					reply = rc.do("EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", key, "v")
				}
				if strings.HasPrefix(reply, "-") {
					t.Errorf("client %d op %d: %q", i, n, reply)
					return
				}
			}
		}(i, conn)
	}
	wg.Wait()
	end := ts.rawConn(t)
	end.do("ECHO", "end-of-clients")
	for mi, mr := range mons {
		lines := mr.until(t, "end-of-clients")
		// per client: the keys of its SETs in order, and its transaction shape
		next := make([]int, clients)
		var inMulti [clients]bool
		var afterEval [clients]string
		for _, l := range lines {
			m := monitorLineRE.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("monitor %d: not a monitor line: %q", mi, l)
			}
			rest := l[len(m[0]):]
			if m[4] == "lua" {
				// the script's SET: of the key its EVAL named (clients run
				// one script at a time each, so it is the pending one)
				found := false
				for i := range afterEval {
					if afterEval[i] != "" && rest == `"set" "`+afterEval[i]+`" "v"`+"\r\n" {
						afterEval[i], found = "", true
						next[i]++
					}
				}
				if !found {
					t.Fatalf("monitor %d: script line without its EVAL: %q", mi, l)
				}
				continue
			}
			i := -1
			for j, a := range addrs {
				if a == m[4] {
					i = j
				}
			}
			if i < 0 {
				continue // the end mark's client
			}
			want := fmt.Sprintf("c%d:%d", i, next[i])
			switch {
			case rest == `"MULTI"`+"\r\n":
				inMulti[i] = true
			case rest == `"EXEC"`+"\r\n":
				inMulti[i] = false
				next[i]++
			case strings.HasPrefix(rest, `"EVAL" `):
				if !strings.Contains(rest, `"`+want+`"`) {
					t.Fatalf("monitor %d: client %d: %q, want its key %s", mi, i, l, want)
				}
				afterEval[i] = want
			case rest == `"SET" "`+want+`" "v"`+"\r\n":
				if !inMulti[i] {
					next[i]++
				}
			case rest == `"INCR" "`+want+`n"`+"\r\n" && inMulti[i]:
			default:
				t.Fatalf("monitor %d: client %d: unexpected %q (next key %s, in MULTI %v)", mi, i, l, want, inMulti[i])
			}
		}
		for i, n := range next {
			if n != ops {
				t.Errorf("monitor %d: client %d: %d of %d operations seen", mi, i, n, ops)
			}
		}
	}
}

// go-redis's Monitor is not tested here: its MonitorCmd reads the
// connection in a goroutine of its own after handing the connection back to
// the pool (a data race the race detector reports inside go-redis), and
// that reader blocks without a deadline holding a lock that Stop and
// Client.Close wait for, so a test using it can hang until a line arrives.
// MONITOR is tested through redis-cli (TestMonitorRedisCLI) and raw RESP.

// TestMonitorSlowMonitorDisconnected: a monitor that does not read is
// disconnected once its pending output passes client-output-buffer-limit
// (normal class); the clients writing meanwhile are never held up.
func TestMonitorSlowMonitorDisconnected(t *testing.T) {
	ts := startServer(t)
	admin := ts.client(t, 2)
	if err := admin.ConfigSet(ctx(), "client-output-buffer-limit", "normal 1mb 0 0").Err(); err != nil {
		t.Fatal(err)
	}
	slow := ts.rawConn(t)
	slow.do("CLIENT", "SETNAME", "slowmon")
	if r := slow.do("MONITOR"); r != "+OK\r\n" {
		t.Fatalf("MONITOR: %q", r)
	}
	// ~19 MB of lines: more than the socket buffers take in
	const n, size = 600, 32 << 10
	value := strings.Repeat("v", size)
	w := ts.rawConn(t)
	start := time.Now()
	for i := 0; i < n; i += 50 {
		var sb strings.Builder
		for j := i; j < i+50; j++ {
			sb.WriteString(encodeCmd("SET", fmt.Sprintf("big:%d", j), value))
		}
		w.write(sb.String())
		for j := i; j < i+50; j++ {
			if r := w.read(); r != "+OK\r\n" {
				t.Fatalf("SET %d: %q", j, r)
			}
		}
	}
	t.Logf("%d SETs of %d bytes in %v with a stalled monitor", n, size, time.Since(start).Round(time.Millisecond))
	waitFor(t, 10*time.Second, "the stalled monitor to be disconnected", func() bool {
		list, err := admin.ClientList(ctx()).Result()
		return err == nil && !strings.Contains(list, "name=slowmon")
	})
	if r := w.do("PING"); r != "+PONG\r\n" {
		t.Fatalf("PING after: %q", r)
	}
	// what it reads now ends in an end of file or a reset
	slow.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, slow.br)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the stalled monitor's connection is still open")
	}
}

// TestMonitorRESP3: a RESP3 monitor gets the same status lines; its
// keyspace commands are refused, others run.
func TestMonitorRESP3(t *testing.T) {
	ts := startServer(t)
	m := ts.rawConn(t)
	m.do("HELLO", "3")
	if r := m.do("MONITOR"); r != "+OK\r\n" {
		t.Fatalf("MONITOR: %q", r)
	}
	ts.rawConn(t).do("SET", "r3", "x")
	if l := m.read(); !monitorLineRE.MatchString(l) || !strings.HasSuffix(l, `"SET" "r3" "x"`+"\r\n") {
		t.Fatalf("RESP3 monitor line %q", l)
	}
	m.write(encodeCmd("GET", "r3"))
	if r := m.read(); r != "-ERR Replica can't interact with the keyspace\r\n" {
		t.Fatalf("GET on a monitor: %q", r)
	}
}

// TestMonitorRedisCLI: `redis-cli monitor` prints the commands of other
// clients.
func TestMonitorRedisCLI(t *testing.T) {
	bin := redisCLIPath(t)
	ts := startServer(t)
	host, port, _ := net.SplitHostPort(ts.addr)
	cctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, bin, "-h", host, "-p", port, "monitor")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	br := bufio.NewReader(out)
	if l, err := br.ReadString('\n'); err != nil || l != "OK\n" {
		t.Fatalf("redis-cli monitor printed %q %v", l, err)
	}
	rdb := ts.client(t, 2)
	waitFor(t, 10*time.Second, "redis-cli to monitor", func() bool {
		list, _ := rdb.ClientList(ctx()).Result()
		return strings.Contains(list, "flags=O")
	})
	rdb.Set(ctx(), "cli key", "a\"b", 0)
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("redis-cli monitor: %v", err)
		}
		if strings.Contains(l, `"set" "cli key" "a\"b"`) {
			if !regexp.MustCompile(`^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] `).MatchString(l) {
				t.Fatalf("redis-cli printed %q", l)
			}
			return
		}
	}
}
