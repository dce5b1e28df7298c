package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// renameLines are the rename-command lines both servers get in
// TestRenameCommandDiff: a command removed, two renamed (one of them the
// CONFIG container), and one renamed to a name of different case.
var renameLines = []string{
	`rename-command flushall ""`,
	`rename-command config myconfig`,
	`rename-command get fetch`,
	`rename-command DEL Remove`,
}

// rawReplies sends every command of steps in one pipeline and reads one
// whole RESP2 reply per command (arrays included), each as its raw bytes.
func rawReplies(t *testing.T, addr string, steps [][]string) []string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	var raw strings.Builder
	for _, f := range steps {
		fmt.Fprintf(&raw, "*%d\r\n", len(f))
		for _, a := range f {
			fmt.Fprintf(&raw, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	if _, err := c.Write([]byte(raw.String())); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	var read func() string
	read = func() string {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading a reply: %v", err)
		}
		switch l[0] {
		case '$':
			n, _ := strconv.Atoi(strings.TrimSpace(l[1:]))
			if n < 0 {
				return l
			}
			b := make([]byte, n+2)
			if _, err := io.ReadFull(r, b); err != nil {
				t.Fatal(err)
			}
			return l + string(b)
		case '*':
			n, _ := strconv.Atoi(strings.TrimSpace(l[1:]))
			for i := 0; i < n; i++ {
				l += read()
			}
		}
		return l
	}
	out := make([]string, len(steps))
	for i := range steps {
		out[i] = read()
	}
	return out
}

// TestRenameCommandDiff: rename-command lines in the config file rename or
// remove commands as in redis-server, byte for byte: the old names are
// unknown commands (also right after the new name in one pipeline, and
// inside scripts), the new names work in any case, and scripts call the new
// names. CONFIG REWRITE keeps the lines.
func TestRenameCommandDiff(t *testing.T) {
	conf := func(dir string, extra ...string) string {
		f := filepath.Join(dir, "server.conf")
		body := strings.Join(append(append([]string(nil), renameLines...), extra...), "\n") + "\n"
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	rdir := t.TempDir()
	raddr := startRedisServer(t, conf(rdir), "--save", "", "--appendonly", "no", "--dir", rdir)

	fdir := t.TempDir()
	fconf := conf(fdir)
	p := startReady(t, fdir, fconf, "--appendonly", "no", "--save", "")

	steps := [][]string{
		{"SET", "k", "v"},
		{"fetch", "k"}, {"GET", "k"}, {"FETCH", "k"}, {"get", "k"},
		{"FLUSHALL"}, {"flushall", "async"},
		{"myconfig", "get", "maxmemory-policy"}, {"CONFIG", "GET", "maxmemory-policy"},
		{"MYCONFIG", "SET", "maxmemory-policy", "allkeys-lru"}, {"myconfig", "get", "maxmemory-policy"},
		{"remove", "k"}, {"del", "k"}, {"EXISTS", "k"},
		{"SET", "k", "v2"},
		{"EVAL", "return redis.call('fetch', KEYS[1])", "1", "k"},
		{"EVAL", "return redis.call('get', KEYS[1])", "1", "k"},
		{"EVAL", "return redis.pcall('flushall')", "0"},
		{"MULTI"}, {"fetch", "k"}, {"get", "k"}, {"EXEC"},
		{"myconfig", "rewrite"},
	}
	want := rawReplies(t, raddr, steps)
	got := rawReplies(t, p.addr(), steps)
	for i := range steps {
		if got[i] != want[i] {
			t.Errorf("%q: fastcache %q, redis-server %q", steps[i], got[i], want[i])
		}
	}
	// CONFIG REWRITE kept the rename-command lines.
	data, err := os.ReadFile(fconf)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range renameLines {
		if !strings.Contains(string(data), l) {
			t.Errorf("CONFIG REWRITE dropped %q:\n%s", l, data)
		}
	}
}

// TestRenameCommandBadConfig: a rename-command of an unknown command, or to
// a name taken, stops the start with Redis's reason.
func TestRenameCommandBadConfig(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{`rename-command nosuchcommand foo`, "No such command in rename-command"},
		{`rename-command get set`, "Target command name already exists"},
		{`rename-command get`, "wrong number of arguments"},
	} {
		dir := t.TempDir()
		f := filepath.Join(dir, "server.conf")
		if err := os.WriteFile(f, []byte(tc.line+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(binary(t), f, "--port", strconv.Itoa(freePort(t)), "--dir", dir).CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("%s: exit %v, want an error with %q:\n%s", tc.line, err, tc.want, out)
		}
	}
}
