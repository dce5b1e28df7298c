package server

import (
	"fmt"
	"strings"
	"testing"
)

var testLimits = limits{authed: true, maxBulkLen: 512 << 20}

// parseAll parses input fed in pieces of size step (the way it arrives from
// a socket), keeping unconsumed bytes like a connection does.
func parseAll(t testing.TB, input string, step int) (cmds [][]string, perr string) {
	var p reqParser
	var buf []byte
	for off := 0; off < len(input); off += step {
		end := min(off+step, len(input))
		buf = append(buf, input[off:end]...)
		for {
			args, e, ok := p.next(buf, testLimits)
			if e != "" {
				return cmds, e
			}
			if !ok {
				break
			}
			var cmd []string
			for _, a := range args {
				cmd = append(cmd, string(a))
			}
			cmds = append(cmds, cmd)
		}
		shift := p.start
		buf = append(buf[:0], buf[shift:]...)
		p.shift(shift)
	}
	return cmds, ""
}

func TestParserPiecesMatchWhole(t *testing.T) {
	input := "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\n0123456789\r\n" +
		"PING\r\n" +
		"*0\r\n" + // skipped like Redis
		"\r\n" + // blank inline line, skipped
		"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n" +
		"set \"a b\" 'c d'\n" +
		"*1\r\n$4\r\nPING\r\n"
	want, perr := parseAll(t, input, len(input))
	if perr != "" {
		t.Fatal(perr)
	}
	wantStr := "[[SET key 0123456789] [PING] [ECHO ] [set a b c d] [PING]]"
	if got := strings.Join(strings.Fields(strings.ReplaceAll(fmtCmds(want), "\n", " ")), " "); got != wantStr {
		t.Fatalf("whole input parsed as %s, want %s", got, wantStr)
	}
	for step := 1; step < len(input); step++ {
		got, perr := parseAll(t, input, step)
		if perr != "" || fmtCmds(got) != fmtCmds(want) {
			t.Fatalf("in pieces of %d: %s (%q), want %s", step, fmtCmds(got), perr, fmtCmds(want))
		}
	}
}

func fmtCmds(cmds [][]string) string {
	var b strings.Builder
	b.WriteString("[")
	for i, c := range cmds {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString("[" + strings.Join(c, " ") + "]")
	}
	b.WriteString("]")
	return b.String()
}

func TestInlineSplitLikeRedis(t *testing.T) {
	cases := []struct {
		line string
		want []string
		ok   bool
	}{
		{`SET k v`, []string{"SET", "k", "v"}, true},
		{`  SET   k  v  `, []string{"SET", "k", "v"}, true},
		{`SET "a\nb" "\x41\x42"`, []string{"SET", "a\nb", "AB"}, true},
		{`SET "q\"q" 'it\'s'`, []string{"SET", `q"q`, "it's"}, true},
		{`SET "" ''`, []string{"SET", "", ""}, true},
		{`SET "abc`, nil, false},
		{`SET 'abc`, nil, false},
		{`SET "abc"d`, nil, false},
		{`SET 'abc'd`, nil, false},
	}
	for _, c := range cases {
		var p reqParser
		ok := p.splitArgs([]byte(c.line))
		if ok != c.ok {
			t.Fatalf("%q: ok=%v, want %v", c.line, ok, c.ok)
		}
		if !ok {
			continue
		}
		var got []string
		for _, a := range p.args {
			got = append(got, string(a))
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") || len(got) != len(c.want) {
			t.Fatalf("%q: %q, want %q", c.line, got, c.want)
		}
	}
}

func TestParserLimits(t *testing.T) {
	cases := []struct{ in, err string }{
		{"*1\r\n$600000000\r\n", "invalid bulk length"},
		{"*1\r\n$-1\r\n", "invalid bulk length"},
		{"*1\r\n$01\r\n", "invalid bulk length"},
		{"*abc\r\n", "invalid multibulk length"},
		{"*1048577\r\n", "invalid multibulk length"},
		{"*1\r\nx", "expected '$', got 'x'"},
		{"*" + strings.Repeat("1", 70000), "too big mbulk count string"},
		{"*1\r\n$" + strings.Repeat("1", 70000), "too big bulk count string"},
		{strings.Repeat("a", 70000), "too big inline request"},
		{"GET \"x\r\n", "unbalanced quotes in request"},
	}
	for _, c := range cases {
		_, perr := parseAll(t, c.in, len(c.in))
		if perr != c.err {
			t.Errorf("%q: error %q, want %q", trunc(c.in), perr, c.err)
		}
	}
	var p reqParser
	if _, perr, _ := p.next([]byte("*11\r\n"), limits{maxBulkLen: 1 << 20}); perr != "unauthenticated multibulk length" {
		t.Errorf("unauthenticated count: %q", perr)
	}
	p = reqParser{}
	if _, perr, _ := p.next([]byte("*1\r\n$16385\r\n"), limits{maxBulkLen: 1 << 20}); perr != "unauthenticated bulk length" {
		t.Errorf("unauthenticated bulk: %q", perr)
	}
}

// checkPeekKeys: the pipeline's look-ahead (peekKeys) agrees with the
// parser: every command it counts parses, and the keys it names are those
// commands' keys (by the command table), in order.
func checkPeekKeys(t *testing.T, in []byte) {
	t.Helper()
	setMemberArgs()
	keys, members, nmember, cmds := testClient().peekKeys(in, 0, 1<<30, 1<<30, nil, [][]byte{})
	var p reqParser
	var want, wantMembers [][]byte
	for i := 0; i < cmds; i++ {
		args, perr, ok := p.next(in, testLimits)
		if !ok {
			t.Fatalf("peekKeys counted %d commands in %q; the parser stops at #%d (%q)", cmds, in, i, perr)
		}
		if cmd := testClient().srv.lookup(args[0], new([]byte)); cmd != nil {
			first := len(want)
			for a := 1; a < len(args); a++ {
				if cmd.isKey(a, len(args)) {
					want = append(want, args[a])
					wantMembers = append(wantMembers, nil)
				}
			}
			if cmd.Member > 0 && cmd.Member < len(args) && len(want) == first+1 {
				wantMembers[first] = args[cmd.Member]
			}
		}
	}
	if fmt.Sprintf("%q", keys) != fmt.Sprintf("%q", want) {
		t.Fatalf("peekKeys(%q) = %q, want %q", in, keys, want)
	}
	n := 0
	for _, m := range wantMembers {
		if m != nil {
			n++
		}
	}
	if fmt.Sprintf("%q", members) != fmt.Sprintf("%q", wantMembers) || nmember != n {
		t.Fatalf("peekKeys(%q) members = %q (%d), want %q", in, members, nmember, wantMembers)
	}
}

func TestPeekKeys(t *testing.T) {
	get := "*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n"
	set := "*3\r\n$3\r\nSET\r\n$2\r\nk2\r\n$5\r\nhello\r\n"
	ping := "*1\r\n$4\r\nPING\r\n"
	mset := "*5\r\n$4\r\nmSeT\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
	echo := "*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n"
	nosuch := "*2\r\n$6\r\nNOSUCH\r\n$1\r\nq\r\n"
	del := "*4\r\n$3\r\nDEL\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n"
	hset := encodeCmd("HSET", "h", "f1", "v")
	zadd := encodeCmd("ZADD", "z", "1.5", "m1")
	for _, tc := range []struct {
		in         string
		max, mkeys int
		keys       string
		cmds       int
	}{
		{get + set + ping + get, 16, 64, `["k1" "k2" "k1"]`, 4},
		{get + set + get, 2, 64, `["k1" "k2"]`, 2},                             // at most max commands
		{get + mset + del + get, 16, 64, `["k1" "a" "b" "x" "y" "z" "k1"]`, 4}, // every key of MSET and DEL
		{get + del + get, 16, 3, `["k1" "x" "y"]`, 2},                          // at most mkeys keys
		{get + set[:len(set)-3], 16, 64, `["k1"]`, 1},                          // an incomplete command ends the look-ahead
		{get + del[:len(del)-5], 16, 64, `["k1"]`, 1},                          // with none of its keys
		{get + "GET k3\r\n" + get, 16, 64, `["k1"]`, 1},                        // so does an inline one
		{get + "*2\r\n$3\r\nGET\r\n$-1\r\n", 16, 64, `["k1"]`, 1},              // and a malformed one
		{echo + get + nosuch + get, 16, 64, `["k1" "k1"]`, 4},                  // keyless and unknown commands name none
		{"", 16, 64, `[]`, 0},
		{hset + get + zadd, 16, 64, `["h" "k1" "z"]`, 3}, // members: see TestPeekMembers
	} {
		keys, _, _, cmds := testClient().peekKeys([]byte(tc.in), 0, tc.max, tc.mkeys, nil, nil)
		if got := fmt.Sprintf("%q", keys); got != tc.keys || cmds != tc.cmds {
			t.Errorf("peekKeys(%q, %d, %d) = %s, %d; want %s, %d", tc.in, tc.max, tc.mkeys, got, cmds, tc.keys, tc.cmds)
		}
		checkPeekKeys(t, []byte(tc.in))
	}
}

// TestPeekMembers: the look-ahead names, in step with each key, the member
// or field its command looks up first (nil for commands without one).
func TestPeekMembers(t *testing.T) {
	setMemberArgs()
	in := encodeCmd("HSET", "h", "f1", "v") + encodeCmd("GET", "k") + encodeCmd("SISMEMBER", "s", "m") +
		encodeCmd("ZINCRBY", "z", "2", "zm") + encodeCmd("HGET", "h", "f2") + encodeCmd("MGET", "a", "b")
	keys, members, n, cmds := testClient().peekKeys([]byte(in), 0, 16, 64, nil, [][]byte{})
	if got := fmt.Sprintf("%q %q %d %d", keys, members, n, cmds); got != `["h" "k" "s" "z" "h" "a" "b"] ["f1" "" "m" "zm" "f2" "" ""] 4 6` {
		t.Fatalf("peekKeys = %s", got)
	}
	checkPeekKeys(t, []byte(in))
}

// FuzzParser: any input either parses, waits for more, or gives a protocol
// error; it never panics, and feeding it in pieces gives the same commands.
func FuzzParser(f *testing.F) {
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), 3)
	f.Add([]byte("SET \"a\\x41\" 'b'\r\nPING\n"), 1)
	f.Add([]byte("*-1\r\n*1\r\n$0\r\n\r\n"), 2)
	f.Add([]byte("*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nb\r\n"), 7)
	f.Fuzz(func(t *testing.T, in []byte, step int) {
		if step <= 0 || step > len(in) {
			step = len(in) + 1
		}
		checkPeekKeys(t, in)
		whole, e1 := parseAll(t, string(in), len(in)+1)
		pieces, e2 := parseAll(t, string(in), step)
		if e1 == "" && e2 == "" && fmtCmds(whole) != fmtCmds(pieces) {
			t.Fatalf("whole %s, pieces %s", fmtCmds(whole), fmtCmds(pieces))
		}
	})
}

// testClient is a client of a server with the default command table, for
// the tests of the request path that need no running server.
func testClient() *Client { return &Client{srv: &Server{table: commands}} }
