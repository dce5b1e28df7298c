package server

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestPingEchoWire(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "+PONG\r\n"},
		{[]string{"ping", "hello world"}, "$11\r\nhello world\r\n"},
		{[]string{"PING", "a", "b"}, "-ERR wrong number of arguments for 'ping' command\r\n"},
		{[]string{"ECHO", "x\r\ny"}, "$4\r\nx\r\ny\r\n"},
		{[]string{"ECHO", ""}, "$0\r\n\r\n"},
		{[]string{"ECHO"}, "-ERR wrong number of arguments for 'echo' command\r\n"},
		{[]string{"ECHO", "a", "b"}, "-ERR wrong number of arguments for 'echo' command\r\n"},
	}
	for _, c := range cases {
		if got := rc.do(c.args...); got != c.want {
			t.Errorf("%q: got %q, want %q", c.args, got, c.want)
		}
	}
}

func TestPingEchoGoRedis(t *testing.T) {
	ts := startServer(t)
	for _, proto := range []int{2, 3} {
		rdb := ts.client(t, proto)
		if v, err := rdb.Ping(ctx()).Result(); err != nil || v != "PONG" {
			t.Fatalf("proto %d: PING = %q, %v", proto, v, err)
		}
		if v, err := rdb.Echo(ctx(), "héllo").Result(); err != nil || v != "héllo" {
			t.Fatalf("proto %d: ECHO = %q, %v", proto, v, err)
		}
		if v, err := rdb.Do(ctx(), "PING", "msg").Text(); err != nil || v != "msg" {
			t.Fatalf("proto %d: PING msg = %q, %v", proto, v, err)
		}
	}
}

func TestInlineCommands(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	rc.write("PING\r\n")
	if got := rc.read(); got != "+PONG\r\n" {
		t.Fatalf("inline PING: %q", got)
	}
	rc.write("ECHO \"b c\"\r\n")
	if got := rc.read(); got != "$3\r\nb c\r\n" {
		t.Fatalf("inline ECHO with quotes: %q", got)
	}
	rc.write("\r\nping\n")
	if got := rc.read(); got != "+PONG\r\n" {
		t.Fatalf("inline ping with a bare LF after an empty line: %q", got)
	}
	if commands["set"] != nil && commands["get"] != nil {
		rc.write("SET a \"b c\"\r\n")
		if got := rc.read(); got != "+OK\r\n" {
			t.Fatalf("inline SET: %q", got)
		}
		rc.write("GET a\r\n")
		if got := rc.read(); got != "$3\r\nb c\r\n" {
			t.Fatalf("inline GET: %q", got)
		}
	}
}

func TestQuit(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	rc.write(encodeCmd("QUIT") + encodeCmd("PING"))
	if got := rc.expectClosed(5 * time.Second); got != "+OK\r\n" {
		t.Fatalf("QUIT then PING in one write: got %q, want just +OK and a close", got)
	}
	// QUIT inside MULTI is not queued.
	rc = ts.rawConn(t)
	rc.do("MULTI")
	rc.write(encodeCmd("QUIT"))
	if got := rc.expectClosed(5 * time.Second); got != "+OK\r\n" {
		t.Fatalf("QUIT in MULTI: %q", got)
	}
	// go-redis's Quit is gone in v9, but a raw QUIT through Do still works.
	rdb := ts.client(t, 2)
	if err := rdb.Do(ctx(), "QUIT").Err(); err != nil {
		t.Fatalf("go-redis QUIT: %v", err)
	}
}

func TestReset(t *testing.T) {
	ts := startServer(t, "requirepass", "pw")
	rc := ts.rawConn(t)
	if got := rc.do("HELLO", "3", "AUTH", "default", "pw", "SETNAME", "me"); !strings.HasPrefix(got, "%7\r\n") {
		t.Fatalf("HELLO 3: %q", got)
	}
	rc.do("CLIENT", "NO-EVICT", "on")
	rc.do("MULTI")
	if got := rc.do("RESET"); got != "+RESET\r\n" {
		t.Fatalf("RESET: %q", got)
	}
	// Back to RESP2, unauthenticated, no name, no transaction.
	if got := rc.do("PING"); got != "-NOAUTH Authentication required.\r\n" {
		t.Fatalf("after RESET: %q", got)
	}
	rc.do("AUTH", "pw")
	if got := rc.do("CLIENT", "GETNAME"); got != "$-1\r\n" {
		t.Fatalf("GETNAME after RESET (RESP2 null): %q", got)
	}
	if got := rc.do("EXEC"); got != "-ERR EXEC without MULTI\r\n" {
		t.Fatalf("EXEC after RESET: %q", got)
	}
	info := rc.val("CLIENT", "INFO").str
	if !strings.Contains(info, " flags=N ") || !strings.Contains(info, " resp=2 ") {
		t.Fatalf("CLIENT INFO after RESET: %q", info)
	}
	// RESET is allowed before AUTH.
	rc2 := ts.rawConn(t)
	if got := rc2.do("RESET"); got != "+RESET\r\n" {
		t.Fatalf("RESET before AUTH: %q", got)
	}
}

func TestHelloWire(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	id := rc.val("CLIENT", "ID").n
	want := fmt.Sprintf("%%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"+
		"$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:%d\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n"+
		"$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n", id)
	if got := rc.do("HELLO", "3"); got != want {
		t.Fatalf("HELLO 3:\n got %q\nwant %q", got, want)
	}
	// RESP3 types from now on: null, map, verbatim.
	if got := rc.do("CLIENT", "GETNAME"); got != "_\r\n" {
		t.Fatalf("RESP3 null: %q", got)
	}
	if got := rc.do("HELLO"); !strings.HasPrefix(got, "%7\r\n") || !strings.Contains(got, "proto\r\n:3\r\n") {
		t.Fatalf("HELLO without version keeps the protocol: %q", got)
	}
	if got := rc.do("CLIENT", "INFO"); !strings.HasPrefix(got, "=") || !strings.Contains(got, "\r\ntxt:id=") {
		t.Fatalf("CLIENT INFO in RESP3 is a verbatim string: %q", got)
	}
	if got := rc.do("HELLO", "2"); !strings.HasPrefix(got, "*14\r\n") || !strings.Contains(got, "proto\r\n:2\r\n") {
		t.Fatalf("HELLO 2: %q", got)
	}
	if got := rc.do("CLIENT", "GETNAME"); got != "$-1\r\n" {
		t.Fatalf("RESP2 null: %q", got)
	}

	errs := []struct {
		args []string
		want string
	}{
		{[]string{"HELLO", "4"}, "-NOPROTO unsupported protocol version\r\n"},
		{[]string{"HELLO", "1"}, "-NOPROTO unsupported protocol version\r\n"},
		{[]string{"HELLO", "abc"}, "-ERR Protocol version is not an integer or out of range\r\n"},
		{[]string{"HELLO", "3", "FOO"}, "-ERR Syntax error in HELLO option 'FOO'\r\n"},
		{[]string{"HELLO", "3", "AUTH", "default"}, "-ERR Syntax error in HELLO option 'AUTH'\r\n"},
		{[]string{"HELLO", "3", "SETNAME", "a b"}, "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"},
		{[]string{"HELLO", "3", "AUTH", "bob", "x"}, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
	}
	for _, e := range errs {
		if got := rc.do(e.args...); got != e.want {
			t.Errorf("%q: got %q, want %q", e.args, got, e.want)
		}
	}
	// A failed HELLO changes nothing: still RESP2.
	if got := rc.do("CLIENT", "GETNAME"); got != "$-1\r\n" {
		t.Fatalf("after failed HELLOs: %q", got)
	}
	// SETNAME; AUTH default with no requirepass is accepted (nopass user).
	if got := rc.do("HELLO", "3", "AUTH", "default", "anything", "SETNAME", "app1"); !strings.HasPrefix(got, "%7") {
		t.Fatalf("HELLO 3 AUTH SETNAME: %q", got)
	}
	if got := rc.do("CLIENT", "GETNAME"); got != "$4\r\napp1\r\n" {
		t.Fatalf("name set by HELLO: %q", got)
	}
}

func TestHelloGoRedis(t *testing.T) {
	ts := startServer(t)
	for _, proto := range []int{2, 3} {
		rdb := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: proto, ClientName: "gr" + strconv.Itoa(proto)})
		defer rdb.Close()
		conn := rdb.Conn()
		defer conn.Close()
		m, err := conn.Hello(ctx(), proto, "", "", "").Result()
		if err != nil {
			t.Fatalf("proto %d HELLO: %v", proto, err)
		}
		if m["server"] != "redis" || m["version"] != Version || m["mode"] != "standalone" || m["role"] != "master" {
			t.Fatalf("proto %d HELLO map: %v", proto, m)
		}
		if fmt.Sprint(m["proto"]) != strconv.Itoa(proto) {
			t.Fatalf("proto %d: HELLO proto = %v", proto, m["proto"])
		}
		info, err := rdb.ClientInfo(ctx()).Result()
		if err != nil {
			t.Fatalf("proto %d CLIENT INFO: %v", proto, err)
		}
		if info.Resp != proto || info.Name != "gr"+strconv.Itoa(proto) || !strings.HasPrefix(info.LibName, "go-redis") || info.LibVer == "" {
			t.Fatalf("proto %d: go-redis handshake not seen in CLIENT INFO: %+v", proto, info)
		}
	}
}

func TestAuthWire(t *testing.T) {
	ts := startServer(t, "requirepass", "s3cret")
	rc := ts.rawConn(t)
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "-NOAUTH Authentication required.\r\n"},
		{[]string{"CLIENT", "ID"}, "-NOAUTH Authentication required.\r\n"},
		{[]string{"HELLO", "3"}, "-" + errHelloAuth + "\r\n"},
		{[]string{"AUTH", "wrong"}, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{[]string{"AUTH", "bob", "s3cret"}, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{[]string{"AUTH", "a", "b", "c"}, "-ERR syntax error\r\n"},
		{[]string{"AUTH"}, "-ERR wrong number of arguments for 'auth' command\r\n"},
		{[]string{"HELLO", "3", "AUTH", "default", "nope"}, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{[]string{"PING"}, "-NOAUTH Authentication required.\r\n"},
		{[]string{"AUTH", "s3cret"}, "+OK\r\n"},
		{[]string{"PING"}, "+PONG\r\n"},
		{[]string{"AUTH", "default", "s3cret"}, "+OK\r\n"},
		{[]string{"AUTH", "wrong"}, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{[]string{"PING"}, "+PONG\r\n"}, // a failed AUTH does not log the client out
	}
	for _, s := range steps {
		if got := rc.do(s.args...); got != s.want {
			t.Fatalf("%q: got %q, want %q", s.args, got, s.want)
		}
	}
	// HELLO with AUTH authenticates and switches protocol at once.
	rc2 := ts.rawConn(t)
	if got := rc2.do("HELLO", "3", "AUTH", "default", "s3cret"); !strings.HasPrefix(got, "%7\r\n") {
		t.Fatalf("HELLO 3 AUTH: %q", got)
	}
	if got := rc2.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING after HELLO AUTH: %q", got)
	}
	// QUIT is allowed before AUTH.
	rc3 := ts.rawConn(t)
	rc3.write(encodeCmd("QUIT"))
	if got := rc3.expectClosed(5 * time.Second); got != "+OK\r\n" {
		t.Fatalf("QUIT before AUTH: %q", got)
	}
}

func TestAuthNoPassword(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	if got := rc.do("AUTH", "x"); got != "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n" {
		t.Fatalf("AUTH without requirepass: %q", got)
	}
	if got := rc.do("AUTH", "default", "x"); got != "+OK\r\n" {
		t.Fatalf("AUTH default x without requirepass: %q", got)
	}
	if got := rc.do("AUTH", "bob", "x"); got != "-WRONGPASS invalid username-password pair or user is disabled.\r\n" {
		t.Fatalf("AUTH bob x: %q", got)
	}
}

func TestAuthGoRedis(t *testing.T) {
	ts := startServer(t, "requirepass", "s3cret")
	for _, proto := range []int{2, 3} {
		// With the password go-redis authenticates inside HELLO: the
		// connection ends up in the protocol it asked for.
		rdb := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: proto, Password: "s3cret"})
		defer rdb.Close()
		if err := rdb.Ping(ctx()).Err(); err != nil {
			t.Fatalf("proto %d with password: %v", proto, err)
		}
		info, err := rdb.ClientInfo(ctx()).Result()
		if err != nil || info.Resp != proto {
			t.Fatalf("proto %d: CLIENT INFO %+v, %v", proto, info, err)
		}
		bad := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: proto, Password: "wrong", MaxRetries: -1})
		defer bad.Close()
		if err := bad.Ping(ctx()).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
			t.Fatalf("proto %d wrong password: %v", proto, err)
		}
		none := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: proto, MaxRetries: -1})
		defer none.Close()
		if err := none.Ping(ctx()).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
			t.Fatalf("proto %d without password: %v", proto, err)
		}
	}
}

func TestSelect(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	for _, c := range []struct{ arg, want string }{
		{"0", "+OK\r\n"},
		{"1", "+OK\r\n"},
		{"-1", "-ERR DB index is out of range\r\n"},
		{"15", "+OK\r\n"},
		{"16", "-ERR DB index is out of range\r\n"},
		{"x", "-ERR value is not an integer or out of range\r\n"},
		{"99999999999", "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"},
		{"99999999999999999999999", "-ERR value is not an integer or out of range\r\n"},
	} {
		if got := rc.do("SELECT", c.arg); got != c.want {
			t.Errorf("SELECT %s: %q, want %q", c.arg, got, c.want)
		}
	}
	ok := redis.NewClient(&redis.Options{Addr: ts.addr, DB: 0})
	defer ok.Close()
	if err := ok.Ping(ctx()).Err(); err != nil {
		t.Fatal(err)
	}
	// go-redis with DB 3 selects it on connect: its keys are its own.
	db3 := redis.NewClient(&redis.Options{Addr: ts.addr, DB: 3})
	defer db3.Close()
	if err := db3.Set(ctx(), "k", "three", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := ok.Get(ctx(), "k").Result(); err != redis.Nil {
		t.Fatalf("db 0 sees db 3's key: %q %v", v, err)
	}
	if v, _ := db3.Get(ctx(), "k").Result(); v != "three" {
		t.Fatalf("db 3: %q", v)
	}
	bad := redis.NewClient(&redis.Options{Addr: ts.addr, DB: 16, MaxRetries: -1})
	defer bad.Close()
	if err := bad.Ping(ctx()).Err(); err == nil || !strings.Contains(err.Error(), "DB index is out of range") {
		t.Fatalf("go-redis with DB 16: %v", err)
	}
}

func TestClientBasics(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	cases := []struct {
		args []string
		want string // exact, or a regexp when it starts with ^
	}{
		{[]string{"CLIENT", "ID"}, `^:\d+\r\n$`},
		{[]string{"CLIENT", "GETNAME"}, "$-1\r\n"},
		{[]string{"CLIENT", "SETNAME", "worker-1"}, "+OK\r\n"},
		{[]string{"client", "getname"}, "$8\r\nworker-1\r\n"},
		{[]string{"CLIENT", "SETNAME", "a b"}, "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"},
		{[]string{"CLIENT", "SETNAME", "a\nb"}, "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"},
		{[]string{"CLIENT", "SETNAME", "é"}, "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"},
		{[]string{"CLIENT", "GETNAME"}, "$8\r\nworker-1\r\n"},
		{[]string{"CLIENT", "SETNAME", ""}, "+OK\r\n"},
		{[]string{"CLIENT", "GETNAME"}, "$-1\r\n"},
		{[]string{"CLIENT", "SETNAME"}, "-ERR wrong number of arguments for 'client|setname' command\r\n"},
		{[]string{"CLIENT", "SETNAME", "a", "b"}, "-ERR wrong number of arguments for 'client|setname' command\r\n"},
		{[]string{"CLIENT", "ID", "x"}, "-ERR wrong number of arguments for 'client|id' command\r\n"},
		{[]string{"CLIENT"}, "-ERR wrong number of arguments for 'client' command\r\n"},
		{[]string{"CLIENT", "maint_notifications", "on", "moving-endpoint-type", "internal-ip"}, "-ERR unknown subcommand 'maint_notifications'. Try CLIENT HELP.\r\n"},
		{[]string{"CLIENT", "SETINFO", "LIB-NAME", "go-redis(,go1.26.8)"}, "+OK\r\n"},
		{[]string{"CLIENT", "SETINFO", "lib-ver", "9.23.0"}, "+OK\r\n"},
		{[]string{"CLIENT", "SETINFO", "LIB-NAME", "a b"}, "-ERR LIB-NAME cannot contain spaces, newlines or special characters.\r\n"},
		{[]string{"CLIENT", "SETINFO", "foo", "x"}, "-ERR Unrecognized option 'foo'\r\n"},
		{[]string{"CLIENT", "SETINFO", "lib-name"}, "-ERR wrong number of arguments for 'client|setinfo' command\r\n"},
		{[]string{"CLIENT", "NO-EVICT", "on"}, "+OK\r\n"},
		{[]string{"CLIENT", "NO-EVICT", "maybe"}, "-ERR syntax error\r\n"},
		{[]string{"CLIENT", "NO-TOUCH", "ON"}, "+OK\r\n"},
		{[]string{"CLIENT", "NO-TOUCH", "x"}, "-ERR syntax error\r\n"},
	}
	for _, c := range cases {
		got := rc.do(c.args...)
		if strings.HasPrefix(c.want, "^") {
			if !regexp.MustCompile(c.want).MatchString(got) {
				t.Errorf("%q: got %q, want /%s/", c.args, got, c.want)
			}
		} else if got != c.want {
			t.Errorf("%q: got %q, want %q", c.args, got, c.want)
		}
	}
	info := rc.val("CLIENT", "INFO").str
	for _, f := range []string{" flags=eT ", " lib-name=go-redis(,go1.26.8) ", " lib-ver=9.23.0\n", " cmd=client|info "} {
		if !strings.Contains(info, f) {
			t.Errorf("CLIENT INFO %q lacks %q", info, f)
		}
	}
	rc.do("CLIENT", "NO-EVICT", "off")
	rc.do("CLIENT", "NO-TOUCH", "off")
	if info := rc.val("CLIENT", "INFO").str; !strings.Contains(info, " flags=N ") {
		t.Errorf("CLIENT INFO after NO-EVICT/NO-TOUCH off: %q", info)
	}
	help := rc.val("CLIENT", "HELP")
	if help.kind != '*' || len(help.elems) < 10 || help.elems[0].kind != '+' ||
		help.elems[0].str != "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" ||
		help.elems[len(help.elems)-2].str != "HELP" {
		t.Fatalf("CLIENT HELP: %+v", help)
	}
}

// clientLineRe is the shape of a CLIENT LIST / CLIENT INFO line, in field order.
var clientLineRe = regexp.MustCompile(`^id=(\d+) addr=(\S+) laddr=(\S+) fd=(\d+) name=(\S*) age=(\d+) idle=(\d+) flags=(\S+) db=0 sub=0 psub=0 ssub=0 multi=(-?\d+) qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ multi-mem=\d+ rbs=\d+ rbp=\d+ obl=\d+ oll=\d+ omem=\d+ tot-mem=\d+ events=r cmd=(\S+) user=default redir=-1 resp=(\d) lib-name=(\S*) lib-ver=(\S*)$`)

// clientLines parses CLIENT LIST output into id -> fields.
func clientLines(t *testing.T, s string) map[string][]string {
	t.Helper()
	if s != "" && !strings.HasSuffix(s, "\n") {
		t.Fatalf("CLIENT LIST output must end with a newline: %q", s)
	}
	out := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if line == "" {
			continue
		}
		m := clientLineRe.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("bad CLIENT LIST line %q", line)
		}
		out[m[1]] = m
	}
	return out
}

func TestClientList(t *testing.T) {
	ts := startServer(t)
	a := ts.rawConn(t)
	b := ts.rawConn(t)
	a.do("CLIENT", "SETNAME", "alpha")
	b.do("HELLO", "3", "SETNAME", "beta")
	b.do("MULTI")
	b.do("PING")
	b.do("ECHO", "x")
	idA := strconv.FormatInt(a.val("CLIENT", "ID").n, 10)
	idB := "" // b is in MULTI: CLIENT ID would be queued; find it by name
	lines := clientLines(t, a.val("CLIENT", "LIST").str)
	if len(lines) != 2 {
		t.Fatalf("want 2 clients, got %v", lines)
	}
	for id, m := range lines {
		if m[5] == "beta" {
			idB = id
		}
	}
	la, lb := lines[idA], lines[idB]
	if la == nil || lb == nil {
		t.Fatalf("clients not found: %v", lines)
	}
	if la[5] != "alpha" || la[8] != "N" || la[9] != "-1" || la[10] != "client|list" || la[11] != "2" {
		t.Errorf("own line: %q", la[0])
	}
	if lb[8] != "x" || lb[9] != "2" || lb[11] != "3" {
		t.Errorf("other client's line (in MULTI with 2 queued, RESP3): %q", lb[0])
	}
	if la[3] != lb[3] || la[2] == lb[2] {
		t.Errorf("laddr should be the server's address and addr the peers': %q / %q", la[0], lb[0])
	}
	if la[3] != ts.addr {
		t.Errorf("laddr=%s, want %s", la[3], ts.addr)
	}
	b.do("DISCARD")

	if got := clientLines(t, a.val("CLIENT", "LIST", "TYPE", "normal").str); len(got) != 2 {
		t.Errorf("TYPE normal: %v", got)
	}
	for _, typ := range []string{"pubsub", "master", "replica", "slave"} {
		if got := a.do("CLIENT", "LIST", "TYPE", typ); got != "$0\r\n\r\n" {
			t.Errorf("TYPE %s: %q", typ, got)
		}
	}
	if got := clientLines(t, a.val("CLIENT", "LIST", "ID", idB, "99999").str); len(got) != 1 || got[idB] == nil {
		t.Errorf("LIST ID: %v", got)
	}
	errs := []struct {
		args []string
		want string
	}{
		{[]string{"CLIENT", "LIST", "TYPE", "bogus"}, "-ERR Unknown client type 'bogus'\r\n"},
		{[]string{"CLIENT", "LIST", "ID", "abc"}, "-ERR Invalid client ID\r\n"},
		{[]string{"CLIENT", "LIST", "foo"}, "-ERR syntax error\r\n"},
		{[]string{"CLIENT", "LIST", "TYPE"}, "-ERR syntax error\r\n"},
	}
	for _, e := range errs {
		if got := a.do(e.args...); got != e.want {
			t.Errorf("%q: %q, want %q", e.args, got, e.want)
		}
	}
	// RESP3: a verbatim string.
	if got := b.do("CLIENT", "LIST"); !strings.HasPrefix(got, "=") || !strings.Contains(got, "\r\ntxt:id=") {
		t.Errorf("RESP3 CLIENT LIST: %q", got)
	}
	// go-redis parses it.
	rdb := ts.client(t, 3)
	s, err := rdb.ClientList(ctx()).Result()
	if err != nil || strings.Count(s, "\n") != 3 {
		t.Fatalf("go-redis CLIENT LIST: %q, %v", s, err)
	}
}

// TestClientKill checks every form of CLIENT KILL and that the target's
// connection is really closed while its goroutine is blocked reading.
func TestClientKill(t *testing.T) {
	ts := startServer(t)
	admin := ts.rawConn(t)
	selfID := strconv.FormatInt(admin.val("CLIENT", "ID").n, 10)

	victim := func() (*rawConn, string, string) {
		v := ts.rawConn(t)
		id := strconv.FormatInt(v.val("CLIENT", "ID").n, 10)
		return v, id, v.conn.LocalAddr().String()
	}
	gone := func(id string) {
		t.Helper()
		waitFor(t, 5*time.Second, "client "+id+" to leave CLIENT LIST", func() bool {
			_, ok := clientLines(t, admin.val("CLIENT", "LIST").str)[id]
			return !ok
		})
	}

	// Old form: CLIENT KILL addr.
	v, id, addr := victim()
	if got := admin.do("CLIENT", "KILL", addr); got != "+OK\r\n" {
		t.Fatalf("CLIENT KILL addr: %q", got)
	}
	if got := v.expectClosed(5 * time.Second); got != "" {
		t.Fatalf("killed client got %q", got)
	}
	gone(id)
	if got := admin.do("CLIENT", "KILL", addr); got != "-ERR No such client\r\n" {
		t.Fatalf("CLIENT KILL of a gone addr: %q", got)
	}
	if got := admin.do("CLIENT", "KILL", "1.2.3.4:5"); got != "-ERR No such client\r\n" {
		t.Fatalf("CLIENT KILL unknown addr: %q", got)
	}

	// New forms: ID, ADDR, LADDR, TYPE, USER, SKIPME.
	v, id, _ = victim()
	if got := admin.do("CLIENT", "KILL", "ID", id); got != ":1\r\n" {
		t.Fatalf("CLIENT KILL ID: %q", got)
	}
	v.expectClosed(5 * time.Second)
	gone(id)
	if got := admin.do("CLIENT", "KILL", "ID", id); got != ":0\r\n" {
		t.Fatalf("CLIENT KILL ID of a gone client: %q", got)
	}
	v, id, addr = victim()
	if got := admin.do("CLIENT", "KILL", "ADDR", addr, "SKIPME", "yes"); got != ":1\r\n" {
		t.Fatalf("CLIENT KILL ADDR: %q", got)
	}
	v.expectClosed(5 * time.Second)
	gone(id) // the client side sees the close before the server forgets it

	v1, id1, _ := victim()
	v2, id2, _ := victim()
	// LADDR matches every client (the same listener): with SKIPME (default
	// yes) all but the caller.
	if got := admin.do("CLIENT", "KILL", "LADDR", ts.addr); got != ":2\r\n" {
		t.Fatalf("CLIENT KILL LADDR: %q", got)
	}
	v1.expectClosed(5 * time.Second)
	v2.expectClosed(5 * time.Second)
	gone(id1)
	gone(id2)

	v, _, _ = victim()
	if got := admin.do("CLIENT", "KILL", "TYPE", "pubsub"); got != ":0\r\n" {
		t.Fatalf("CLIENT KILL TYPE pubsub: %q", got)
	}
	if got := admin.do("CLIENT", "KILL", "TYPE", "normal", "USER", "default"); got != ":1\r\n" {
		t.Fatalf("CLIENT KILL TYPE normal USER default: %q", got)
	}
	v.expectClosed(5 * time.Second)

	errs := []struct {
		args []string
		want string
	}{
		{[]string{"CLIENT", "KILL", "ID", "0"}, "-ERR client-id should be greater than 0\r\n"},
		{[]string{"CLIENT", "KILL", "ID", "abc"}, "-ERR client-id should be greater than 0\r\n"},
		{[]string{"CLIENT", "KILL", "TYPE", "bogus"}, "-ERR Unknown client type 'bogus'\r\n"},
		{[]string{"CLIENT", "KILL", "USER", "bob"}, "-ERR No such user 'bob'\r\n"},
		{[]string{"CLIENT", "KILL", "SKIPME", "maybe"}, "-ERR syntax error\r\n"},
		{[]string{"CLIENT", "KILL", "FOO", "bar"}, "-ERR syntax error\r\n"},
		{[]string{"CLIENT", "KILL", "ID", "1", "SKIPME"}, "-ERR syntax error\r\n"},
		{[]string{"CLIENT", "KILL"}, "-ERR wrong number of arguments for 'client|kill' command\r\n"},
	}
	for _, e := range errs {
		if got := admin.do(e.args...); got != e.want {
			t.Errorf("%q: %q, want %q", e.args, got, e.want)
		}
	}

	// SKIPME yes spares the caller; SKIPME no kills it after the reply.
	if got := admin.do("CLIENT", "KILL", "ID", selfID); got != ":0\r\n" {
		t.Fatalf("CLIENT KILL own ID (SKIPME yes): %q", got)
	}
	admin.write(encodeCmd("CLIENT", "KILL", "ID", selfID, "SKIPME", "no") + encodeCmd("PING"))
	if got := admin.expectClosed(5 * time.Second); got != ":1\r\n" {
		t.Fatalf("CLIENT KILL own ID SKIPME no: %q", got)
	}

	// go-redis: ClientKillByFilter.
	rdb := ts.client(t, 3)
	v, id, _ = victim()
	if n, err := rdb.ClientKillByFilter(ctx(), "ID", id).Result(); err != nil || n != 1 {
		t.Fatalf("go-redis ClientKillByFilter: %d, %v", n, err)
	}
	v.expectClosed(5 * time.Second)
	if err := rdb.Ping(ctx()).Err(); err != nil {
		t.Fatalf("the killer still works: %v", err)
	}
}

// CLIENT LIST/INFO qbuf and argv-mem: the caller's line shows the query
// buffer holding its command (26 bytes for CLIENT INFO, as redis-server
// shows) and its arguments' size; another client's, the bytes of the
// command it has only partly sent.
func TestClientListQueryBuffer(t *testing.T) {
	ts := startServer(t)
	rc, partial := ts.rawConn(t), ts.rawConn(t)
	info := rc.val("CLIENT", "INFO").str
	if !strings.Contains(info, " qbuf=26 ") || !strings.Contains(info, " argv-mem=10 ") {
		t.Errorf("CLIENT INFO: %q", info)
	}
	partial.do("CLIENT", "SETNAME", "partial")
	part := "*3\r\n$3\r\nset\r\n$1\r\na\r\n$10\r\nabc"
	partial.write(part)
	want := " qbuf=" + strconv.Itoa(len(part)) + " "
	waitFor(t, 5*time.Second, "the partial command's qbuf", func() bool {
		for _, l := range strings.Split(rc.val("CLIENT", "LIST").str, "\n") {
			if strings.Contains(l, "name=partial ") {
				return strings.Contains(l, want)
			}
		}
		return false
	})
	partial.write("defghij\r\n")
	if r := partial.read(); r != "+OK\r\n" {
		t.Fatalf("the completed SET: %q", r)
	}
	for _, l := range strings.Split(rc.val("CLIENT", "LIST").str, "\n") {
		if strings.Contains(l, "name=partial ") && !strings.Contains(l, " qbuf=0 ") {
			t.Errorf("after the command ran: %q", l)
		}
	}
}
