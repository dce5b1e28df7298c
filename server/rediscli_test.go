package server

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"
)

// Tests driving the real redis-cli binary against fastcache.

// redisCLIPath returns redis-cli's path, skipping the test (or failing it
// with FASTCACHE_REQUIRE_REDIS=1) when it is not installed.
func redisCLIPath(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-cli")
	if err != nil {
		if os.Getenv("FASTCACHE_REQUIRE_REDIS") == "1" {
			t.Fatalf("redis-cli not found on PATH: %v", err)
		}
		t.Skipf("redis-cli not found on PATH: %v", err)
	}
	return bin
}

// runCLI runs redis-cli against ts with args (and stdin when not empty),
// bounded to 10 s, and returns stdout and stderr.
func runCLI(t *testing.T, ts *testServer, stdin string, args ...string) (string, string, error) {
	t.Helper()
	bin := redisCLIPath(t)
	host, port, err := net.SplitHostPort(ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-h", host, "-p", port}, args...)...)
	cmd.Env = append(os.Environ(), "REDISCLI_HISTFILE=/dev/null", "REDISCLI_RCFILE=/dev/null")
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("redis-cli %q timed out (stdout %q, stderr %q)", args, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String(), err
}

// cli is runCLI for commands that must succeed.
func cli(t *testing.T, ts *testServer, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := runCLI(t, ts, stdin, args...)
	if err != nil {
		t.Fatalf("redis-cli %q: %v (stdout %q, stderr %q)", args, err, out, errOut)
	}
	return out
}

func TestRedisCLISetGet(t *testing.T) {
	ts := startServer(t)
	// Without a tty redis-cli prints raw replies.
	if out := cli(t, ts, "", "set", "greeting", "hello world"); out != "OK\n" {
		t.Fatalf("set: %q", out)
	}
	if out := cli(t, ts, "", "get", "greeting"); out != "hello world\n" {
		t.Fatalf("get: %q", out)
	}
	if out := cli(t, ts, "", "get", "missing"); out != "\n" {
		t.Fatalf("get missing (raw): %q", out)
	}
	// --no-raw: the formatted output of an interactive session.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"get", "greeting"}, "\"hello world\"\n"},
		{[]string{"get", "missing"}, "(nil)\n"},
		{[]string{"set", "k", "v"}, "OK\n"},
		{[]string{"exists", "k", "greeting", "missing"}, "(integer) 2\n"},
		{[]string{"mget", "k", "missing"}, "1) \"v\"\n2) (nil)\n"},
		{[]string{"getrange", "k", "5", "9"}, "\"\"\n"},
		{[]string{"incr", "k"}, "(error) ERR value is not an integer or out of range\n"},
		{[]string{"nosuchcommand", "x"}, "(error) ERR unknown command 'nosuchcommand', with args beginning with: 'x' \n"},
		{[]string{"ping"}, "PONG\n"},
		{[]string{"set", "bin", "a\nb"}, "OK\n"},
		{[]string{"get", "bin"}, "\"a\\nb\"\n"},
	} {
		if out := cli(t, ts, "", append([]string{"--no-raw"}, tc.args...)...); out != tc.want {
			t.Errorf("--no-raw %q: got %q, want %q", tc.args, out, tc.want)
		}
	}
}

func TestRedisCLIIncr(t *testing.T) {
	ts := startServer(t)
	for i := 1; i <= 3; i++ {
		if out := cli(t, ts, "", "incr", "counter"); out != fmt.Sprintf("%d\n", i) {
			t.Fatalf("incr #%d: %q", i, out)
		}
	}
	if out := cli(t, ts, "", "incrby", "counter", "10"); out != "13\n" {
		t.Fatalf("incrby: %q", out)
	}
	if out := cli(t, ts, "", "--no-raw", "decr", "counter"); out != "(integer) 12\n" {
		t.Fatalf("decr --no-raw: %q", out)
	}
	if out := cli(t, ts, "", "incrbyfloat", "counter", "0.5"); out != "12.5\n" {
		t.Fatalf("incrbyfloat: %q", out)
	}
	// An error reply in raw mode goes to stdout too, followed by an empty
	// line (redis-cli 7.0 does the same against redis-server), and redis-cli
	// exits 0 for a command given on the command line unless -e is used.
	if out := cli(t, ts, "", "incr", "counter"); out != "ERR value is not an integer or out of range\n\n" {
		t.Fatalf("incr on a float: %q", out)
	}
}

func TestRedisCLIStdinPipe(t *testing.T) {
	ts := startServer(t)
	script := strings.Join([]string{
		"set a 1",
		"incr a",
		"incrby a 5",
		"get a",
		`set "spaced key" "two words"`,
		`get "spaced key"`,
		"mset x 1 y 2",
		"mget x y nope",
		"del a x",
		"exists a x y",
		"multi",
		"incr y",
		"get y",
		"exec",
		"dbsize",
		"",
	}, "\n")
	out := cli(t, ts, script)
	want := strings.Join([]string{
		"OK",
		"2",
		"7",
		"7",
		"OK",
		"two words",
		"OK",
		"1", "2", "",
		"2",
		"1",
		"OK",
		"QUEUED",
		"QUEUED",
		"3", "3",
		"2",
		"",
	}, "\n")
	if out != want {
		t.Fatalf("piped commands:\n got %q\nwant %q", out, want)
	}
	if v, err := ts.client(t, 2).Get(ctx(), "spaced key").Result(); err != nil || v != "two words" {
		t.Fatalf("spaced key: %q, %v", v, err)
	}
}

// TestRedisCLIPipeMode feeds RESP through redis-cli --pipe (mass insertion),
// which ends with an ECHO of a random marker and counts errors and replies.
func TestRedisCLIPipeMode(t *testing.T) {
	ts := startServer(t)
	var in strings.Builder
	for i := 0; i < 500; i++ {
		in.WriteString(encodeCmd("SET", fmt.Sprintf("mass:%d", i), fmt.Sprint(i)))
	}
	in.WriteString(encodeCmd("INCR", "mass:1"))
	in.WriteString(encodeCmd("INCR", "nonint-please"))
	in.WriteString(encodeCmd("SET", "s", "abc"))
	in.WriteString(encodeCmd("INCR", "s")) // one error
	// With errors redis-cli --pipe prints them on stderr and exits 1.
	out, errOut, err := runCLI(t, ts, in.String(), "--pipe")
	if !strings.Contains(out, "errors: 1, replies: 504") ||
		errOut != "ERR value is not an integer or out of range\n" || err == nil {
		t.Fatalf("--pipe: stdout %q, stderr %q, %v", out, errOut, err)
	}
	rdb := ts.client(t, 2)
	if n, err := rdb.DBSize(ctx()).Result(); err != nil || n != 502 {
		t.Fatalf("dbsize after --pipe: %d, %v", n, err)
	}
	if v, err := rdb.Get(ctx(), "mass:1").Result(); err != nil || v != "2" {
		t.Fatalf("mass:1: %q, %v", v, err)
	}
}

func TestRedisCLIScan(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	var want []string
	for i := 0; i < 150; i++ {
		k := fmt.Sprintf("user:%03d", i)
		if err := rdb.Set(ctx(), k, i, 0).Err(); err != nil {
			t.Fatal(err)
		}
		want = append(want, k)
		if err := rdb.Set(ctx(), fmt.Sprintf("session:%03d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	out := cli(t, ts, "", "--scan", "--pattern", "user:*")
	got := strings.Fields(out)
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("--scan --pattern user:*: %d keys, want %d (%q)", len(got), len(want), trunc(out))
	}
	out = cli(t, ts, "", "--scan", "--pattern", "user:00?")
	got = strings.Fields(out)
	sort.Strings(got)
	if strings.Join(got, ",") != "user:000,user:001,user:002,user:003,user:004,user:005,user:006,user:007,user:008,user:009" {
		t.Fatalf("--scan --pattern user:00?: %q", out)
	}
	if out := cli(t, ts, "", "--scan", "--pattern", "nothing*"); out != "" {
		t.Fatalf("--scan with no match: %q", out)
	}
	if n := len(strings.Fields(cli(t, ts, "", "--scan"))); n != 300 {
		t.Fatalf("--scan: %d keys, want 300", n)
	}
}

func TestRedisCLIInfo(t *testing.T) {
	ts := startServer(t)
	out := cli(t, ts, "", "info", "server")
	if !strings.Contains(out, "# Server") || !strings.Contains(out, "redis_version:") {
		t.Fatalf("info server: %q", trunc(out))
	}
	if !strings.Contains(out, "redis_version:"+Version) {
		t.Errorf("info server does not report redis_version:%s: %q", Version, trunc(out))
	}
	if !strings.Contains(out, "tcp_port:") {
		t.Errorf("info server has no tcp_port: %q", trunc(out))
	}
	if strings.Contains(out, "# Keyspace") {
		t.Errorf("info server includes other sections: %q", trunc(out))
	}
}

func TestRedisCLIAuth(t *testing.T) {
	ts := startServer(t, "requirepass", "s3cret")
	// Without a password every data command is refused.
	out, _, err := runCLI(t, ts, "", "get", "k")
	if err != nil {
		t.Fatalf("get without auth: %v", err)
	}
	if out != "NOAUTH Authentication required.\n\n" { // raw error: text and an empty line, as with redis-server
		t.Fatalf("get without auth: %q", out)
	}
	out, _, _ = runCLI(t, ts, "", "--no-raw", "set", "k", "v")
	if out != "(error) NOAUTH Authentication required.\n" {
		t.Fatalf("set without auth --no-raw: %q", out)
	}
	// -a authenticates first.
	if out := cli(t, ts, "", "-a", "s3cret", "--no-auth-warning", "set", "k", "v"); out != "OK\n" {
		t.Fatalf("set with -a: %q", out)
	}
	if out := cli(t, ts, "", "-a", "s3cret", "--no-auth-warning", "get", "k"); out != "v\n" {
		t.Fatalf("get with -a: %q", out)
	}
	// Without --no-auth-warning redis-cli warns on stderr but still works.
	out, errOut, err := runCLI(t, ts, "", "-a", "s3cret", "ping")
	if err != nil || out != "PONG\n" || !strings.Contains(errOut, "Warning") {
		t.Fatalf("ping with -a: %q %q %v", out, errOut, err)
	}
	// --user/--pass with the default user.
	if out := cli(t, ts, "", "--user", "default", "--pass", "s3cret", "--no-auth-warning", "get", "k"); out != "v\n" {
		t.Fatalf("get with --user default: %q", out)
	}
	// A wrong password: AUTH fails (reported on stderr) and the command is refused.
	out, errOut, _ = runCLI(t, ts, "", "-a", "wrong", "--no-auth-warning", "get", "k")
	if !strings.Contains(errOut, "AUTH failed: WRONGPASS invalid username-password pair or user is disabled.") ||
		out != "NOAUTH Authentication required.\n\n" {
		t.Fatalf("wrong password: stdout %q stderr %q", out, errOut)
	}
	// Piped commands authenticated with -a.
	out = cli(t, ts, "incr n\nincr n\nget k\n", "-a", "s3cret", "--no-auth-warning")
	if out != "1\n2\nv\n" {
		t.Fatalf("piped with -a: %q", out)
	}
}
