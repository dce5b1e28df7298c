package server

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Differential tests of the commands a standalone Redis 7.0 answers without
// doing anything (CLUSTER, MODULE, FAILOVER, DEBUG, ACL for the default
// user, RESTORE-ASKING): byte-identical replies in RESP2 and RESP3.

// bothProtocols runs each script as it is and again after HELLO 3.
func bothProtocols(scripts []diffScript) []diffScript {
	var out []diffScript
	for _, sc := range scripts {
		out = append(out, diffScript{sc.name + " resp2", sc.steps})
		steps := append([]diffStep{{args: []string{"HELLO", "3"}, norm: diffHello}}, sc.steps...)
		out = append(out, diffScript{sc.name + " resp3", steps})
	}
	return out
}

func dc(args ...string) diffStep { return diffStep{args: args} }

func TestRedisDiffCluster(t *testing.T) {
	var steps []diffStep
	for _, sub := range clusterSubNames() {
		steps = append(steps, dc("CLUSTER", sub), dc("CLUSTER", strings.ToUpper(sub), "a", "b", "c", "d"))
	}
	steps = append(steps, dc("CLUSTER"), dc("CLUSTER", "foo"), dc("CLUSTER", "info", "x"), dc("CLUSTER", "KEYSLOT", "k"),
		dc("READONLY"), dc("READWRITE"), dc("ASKING"), dc("MULTI"), dc("CLUSTER", "INFO"), dc("EXEC"))
	runDiffScripts(t, bothProtocols([]diffScript{{"cluster", steps}}))
}

func TestRedisDiffModuleFailover(t *testing.T) {
	steps := []diffStep{
		dc("MODULE", "LIST"), dc("MODULE", "HELP"), dc("module", "help", "x"), dc("MODULE", "LOAD", "/nonexistent.so"),
		dc("MODULE", "LOAD", "/nonexistent.so", "a", "b"), dc("MODULE", "LOADEX", "/x.so"),
		dc("MODULE", "LOADEX", "/x.so", "CONFIG", "a", "b", "ARGS", "x"), dc("MODULE", "UNLOAD", "foo"),
		dc("MODULE", "UNLOAD"), dc("MODULE", "LOAD"), dc("MODULE", "foo"), dc("MODULE"), dc("MODULE", "LIST", "x"),
		dc("FAILOVER"), dc("FAILOVER", "ABORT"), dc("failover", "abort", "x"), dc("FAILOVER", "TO", "h", "1"),
		dc("FAILOVER", "TO", "h"), dc("FAILOVER", "FORCE"), dc("FAILOVER", "TIMEOUT", "10"), dc("FAILOVER", "TIMEOUT", "-1"),
		dc("FAILOVER", "TIMEOUT", "0"), dc("FAILOVER", "TIMEOUT", "x"), dc("FAILOVER", "TO", "h", "1", "FORCE"),
		dc("FAILOVER", "TO", "h", "1", "FORCE", "TIMEOUT", "10"), dc("FAILOVER", "foo"), dc("FAILOVER", "TO", "h", "x"),
		dc("FAILOVER", "FORCE", "FORCE"), dc("FAILOVER", "TIMEOUT", "5", "TIMEOUT", "6"), dc("FAILOVER", "TO", "a", "1", "TO", "b", "2"),
		dc("FAILOVER", "TIMEOUT"), dc("FAILOVER", "TO", "h", "99999999999999999999"), dc("FAILOVER", "ABORT", "FORCE"),
		dc("FAILOVER", "TIMEOUT", "9223372036854775807", "TO", "h", "-1", "FORCE"),
	}
	runDiffScripts(t, bothProtocols([]diffScript{{"module and failover", steps}}))
}

// debugObjectNorm blanks what differs between any two runs of one server:
// the object's address and the LRU clock readings.
func debugObjectNorm(s string) string {
	s = regexp.MustCompile(`Value at:0x[0-9a-f]+`).ReplaceAllString(s, "Value at:ADDR")
	s = regexp.MustCompile(`lru:\d+`).ReplaceAllString(s, "lru:N")
	return regexp.MustCompile(`lru_seconds_idle:\d+`).ReplaceAllString(s, "lru_seconds_idle:N")
}

func TestRedisDiffDebugRefused(t *testing.T) {
	steps := []diffStep{
		dc("DEBUG", "HELP"), dc("DEBUG", "SLEEP", "0"), dc("DEBUG", "foo"), dc("DEBUG"), dc("DEBUG", "PROTOCOL", "string"),
		dc("CONFIG", "GET", "enable-debug-command"), dc("CONFIG", "SET", "enable-debug-command", "yes"),
		dc("CONFIG", "SET", "enable-debug-command", "no"), dc("CONFIG", "GET", "enable-debug-*"),
	}
	runDiffScripts(t, bothProtocols([]diffScript{{"debug refused", steps}}))
}

func TestRedisDiffDebugEnabled(t *testing.T) {
	redisAddr := diffRedisServer(t, "--enable-debug-command", "yes")
	fc := startServer(t, "enable-debug-command", "yes")
	var steps []diffStep
	for _, p := range []string{"string", "integer", "double", "bignum", "null", "array", "set", "map",
		"verbatim", "true", "false", "TRUE", "foo", ""} {
		steps = append(steps, dc("DEBUG", "PROTOCOL", p))
	}
	steps = append(steps, dc("DEBUG", "PROTOCOL"), dc("DEBUG", "PROTOCOL", "string", "x"),
		dc("DEBUG", "SLEEP", "0"), dc("DEBUG", "SLEEP", "x"), dc("DEBUG", "SLEEP", "-1"), dc("DEBUG", "SLEEP", "0.001"),
		dc("DEBUG", "SLEEP"), dc("DEBUG", "SLEEP", "0", "1"),
		dc("DEBUG", "SET-ACTIVE-EXPIRE", "0"), dc("DEBUG", "SET-ACTIVE-EXPIRE", "x"), dc("DEBUG", "SET-ACTIVE-EXPIRE", "1"),
		dc("DEBUG", "SET-ACTIVE-EXPIRE"), dc("DEBUG", "PAUSE-CRON", "1"), dc("DEBUG", "PAUSE-CRON", "x"),
		dc("DEBUG", "PAUSE-CRON", "0"), dc("DEBUG", "PAUSE-CRON"), dc("DEBUG", "PAUSE-CRON", "0", "1"),
		dc("DEBUG", "CONFIG-REWRITE-FORCE-ALL"), dc("DEBUG", "CONFIG-REWRITE-FORCE-ALL", "x"),
		dc("DEBUG", "ERROR", "foo bar"), dc("DEBUG", "ERROR", "-X y"), dc("DEBUG", "ERROR"),
		dc("DEBUG", "LOG", "hello from the diff test"), dc("DEBUG", "foo"), dc("DEBUG", "JMAP"), dc("DEBUG", "foo", "bar"),
		dc("DEBUG", "OBJECT", "nokey"), dc("DEBUG", "OBJECT"), dc("DEBUG", "OBJECT", "a", "b"),
		dc("CONFIG", "GET", "enable-debug-command"), dc("CONFIG", "SET", "enable-debug-command", "no"))
	for _, kv := range [][]string{
		{"SET", "s", "v"}, {"SET", "n", "123"}, {"SET", "big", "99999"}, {"SET", "neg", "-5"},
		{"SET", "raw", strings.Repeat("r", 60)}, {"HSET", "h", "a", "1", "b", "2"}, {"SADD", "si", "1", "2", "3"},
		{"SADD", "ss", "a", "b"}, {"ZADD", "z", "1", "a", "2.5", "b"},
	} {
		steps = append(steps, dc(kv...), dc("DEBUG", "OBJECT", kv[1]).with(debugObjectNorm))
	}
	runDiffScriptsAt(t, redisAddr, fc, bothProtocols([]diffScript{{"debug", steps}}))
}

// DEBUG HELP lists the subcommands served here with Redis's own lines, in
// Redis's order.
func TestRedisDiffDebugHelp(t *testing.T) {
	redisAddr := diffRedisServer(t, "--enable-debug-command", "yes")
	fc := startServer(t, "enable-debug-command", "local")
	red, ours := diffDial(t, redisAddr), diffDial(t, fc.addr)
	want, err := red.do([]string{"DEBUG", "HELP"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ours.do([]string{"DEBUG", "HELP"})
	if err != nil {
		t.Fatal(err)
	}
	wl, gl := strings.Split(want, "\r\n")[1:], strings.Split(got, "\r\n")[1:]
	i := 0
	for _, l := range gl {
		for i < len(wl) && wl[i] != l {
			i++
		}
		if i == len(wl) {
			t.Fatalf("DEBUG HELP line %q is not in Redis's, in order:\n%s", l, got)
		}
	}
	if len(gl) < 10 {
		t.Fatalf("DEBUG HELP: %q", got)
	}
}

// DEBUG PROTOCOL attrib and push: in RESP3 the attribute or push comes
// before the reply, so both are read.
func TestRedisDiffDebugProtocolOutOfBand(t *testing.T) {
	redisAddr := diffRedisServer(t, "--enable-debug-command", "yes")
	fc := startServer(t, "enable-debug-command", "yes")
	for _, proto := range []string{"2", "3"} {
		for _, typ := range []string{"attrib", "push"} {
			var got [2]string
			for i, addr := range []string{redisAddr, fc.addr} {
				conn := diffDial(t, addr)
				if _, err := conn.do([]string{"HELLO", proto}); err != nil {
					t.Fatal(err)
				}
				r, err := conn.do([]string{"DEBUG", "PROTOCOL", typ})
				if err != nil {
					t.Fatal(err)
				}
				if proto == "3" && typ == "push" {
					more, err := diffReadReply(conn.br)
					if err != nil {
						t.Fatal(err)
					}
					r += more
				}
				got[i] = r
			}
			if got[0] != got[1] {
				t.Errorf("RESP%s DEBUG PROTOCOL %s:\n  redis:     %q\n  fastcache: %q", proto, typ, got[0], got[1])
			}
		}
	}
}

// RESTORE-ASKING is RESTORE under another name: payloads, options, errors.
func TestRedisDiffRestoreAsking(t *testing.T) {
	steps := []diffStep{
		dc("SET", "src", "hello"), dc("RPUSH", "l", "a", "b", "1"), dc("HSET", "h", "f", "v"),
		dc("RESTORE-ASKING", "k", "0", "x"), dc("RESTORE-ASKING", "k"), dc("RESTORE-ASKING", "k", "x", "y"),
		dc("RESTORE-ASKING", "k", "-1", "x"), dc("DUMP", "src"),
		// a string payload of Redis 7.0 (RDB 10): "hello"
		dc("RESTORE-ASKING", "k", "0", "\x00\x05hello\x0a\x00cr\xdfve4 \x0a"),
		dc("GET", "k"), dc("RESTORE-ASKING", "k", "0", "\x00\x05hello\x0a\x00cr\xdfve4 \x0a"),
		dc("RESTORE-ASKING", "k", "100000", "\x00\x05hello\x0a\x00cr\xdfve4 \x0a", "REPLACE"),
		dc("PTTL", "k").with(diffPositive), dc("OBJECT", "ENCODING", "k"),
		dc("RESTORE-ASKING", "k", "0", "\x00\x05hello\x0a\x00cr\xdfve4 \x0a", "REPLACE", "BADOPT"),
		dc("RESTORE-ASKING", "k", "0", "\x00\x05hello\x0a\x00cr\xdfve4 \x0a", "REPLACE", "IDLETIME", "-1"),
		dc("COMMAND", "GETKEYS", "RESTORE-ASKING", "k", "0", "x"),
	}
	runDiffScripts(t, bothProtocols([]diffScript{{"restore-asking", steps}}))
}

// genpassNorm checks an ACL GENPASS reply's format (n hex digits) and
// replaces the random digits.
func genpassNorm(n int) func(string) string {
	re := regexp.MustCompile(`^\$(\d+)\r\n([0-9a-f]*)\r\n$`)
	return func(s string) string {
		m := re.FindStringSubmatch(s)
		if m == nil || len(m[2]) != n || m[1] != strconv.Itoa(n) {
			return "bad GENPASS reply " + s
		}
		return "hex" + m[1]
	}
}

func TestRedisDiffACL(t *testing.T) {
	on2 := func(args ...string) diffStep { return diffStep{on: 1, args: args} }
	intro := []diffStep{
		dc("ACL", "LOG", "RESET"), dc("ACL", "WHOAMI"), dc("ACL", "WHOAMI", "x"), dc("ACL", "USERS"), dc("ACL", "LIST"), dc("ACL", "GETUSER", "default"),
		dc("ACL", "GETUSER", "nope"), dc("ACL", "GETUSER", "Default"), dc("ACL", "GETUSER"), dc("ACL", "CAT"), dc("ACL", "CAT", "nope"),
		dc("ACL", "CAT", "a", "b"),
		dc("ACL", "GENPASS").with(genpassNorm(64)), dc("ACL", "GENPASS", "5").with(genpassNorm(2)),
		dc("ACL", "GENPASS", "1").with(genpassNorm(1)), dc("ACL", "GENPASS", "4096").with(genpassNorm(1024)),
		dc("ACL", "GENPASS", "0"), dc("ACL", "GENPASS", "-3"), dc("ACL", "GENPASS", "4097"), dc("ACL", "GENPASS", "x"),
		dc("ACL", "GENPASS", "1", "2"),
		dc("ACL", "LOG"), dc("ACL", "LOG", "RESET"), dc("ACL", "LOG", "5"), dc("ACL", "LOG", "-1"), dc("ACL", "LOG", "x"),
		dc("ACL", "LOG", "1", "2"), dc("ACL", "SAVE"), dc("ACL", "LOAD"), dc("ACL", "SAVE", "x"),
		dc("ACL", "DELUSER", "default"), dc("ACL", "DELUSER", "foo"), dc("ACL", "DELUSER", "foo", "bar"),
		dc("ACL", "DELUSER", "foo", "default"), dc("ACL", "DELUSER"),
		dc("ACL", "DRYRUN", "default", "get", "k"), dc("ACL", "DRYRUN", "default", "foo"), dc("ACL", "DRYRUN", "nope", "get", "k"),
		dc("ACL", "DRYRUN", "default", "get"), dc("ACL", "DRYRUN", "default", "GET", "a", "b"), dc("ACL", "DRYRUN", "default", "client"),
		dc("ACL", "DRYRUN", "default", "client", "foo"), dc("ACL", "DRYRUN", "default", "CLIENT", "LIST", "x"),
		dc("ACL", "DRYRUN", "default", "config", "get"), dc("ACL", "DRYRUN", "default", "set", "k", "v", "EX", "10"),
		dc("ACL", "DRYRUN", "default"),
		dc("ACL", "HELP"), dc("ACL", "HELP", "x"), dc("ACL"), dc("ACL", "foo"),
		dc("ACL", "SETUSER", "default"), dc("ACL", "SETUSER", "default", "on", "nopass"),
		dc("ACL", "SETUSER", "default", "on", "nopass", "~*", "&*", "+@all"), dc("ACL", "SETUSER", "default", "foo"),
		dc("ACL", "SETUSER", "default", "ON", "bogus", "off"), dc("ACL", "SETUSER"), dc("ACL", "LIST"),
		dc("AUTH", "foo", "bar"), dc("AUTH", "default", "anything"), dc("AUTH", "x"),
		dc("HELLO", "2", "AUTH", "default", "x").with(diffHello), dc("HELLO", "2", "AUTH", "nope", "x"),
	}
	passwords := []diffStep{
		dc("ACL", "SETUSER", "default", ">s3cret"), dc("ACL", "LIST"), dc("ACL", "GETUSER", "default"), dc("ACL", "WHOAMI"),
		on2("ACL", "WHOAMI"), on2("GET", "k"), on2("AUTH", "default", "wrong"), on2("AUTH", "foo", "s3cret"),
		on2("AUTH", "s3cret"), on2("ACL", "WHOAMI"), on2("AUTH", "default", "s3cret"),
		on2("HELLO", "2", "AUTH", "default", "s3cret").with(diffHello), on2("HELLO", "2", "AUTH", "nope", "s3cret"),
		dc("ACL", "SETUSER", "default", "nopass"), dc("ACL", "LIST"), dc("ACL", "GETUSER", "default"),
		dc("CONFIG", "SET", "requirepass", "other"), dc("ACL", "LIST"), dc("ACL", "GETUSER", "default"),
		on2("AUTH", "default", "other"), dc("CONFIG", "SET", "requirepass", ""), dc("ACL", "LIST"),
		dc("ACL", "SETUSER", "default", "on", ">pw", "~*", "&*", "+@all"), dc("ACL", "LIST"),
		dc("ACL", "SETUSER", "default", "nopass"),
	}
	runDiffScripts(t, bothProtocols([]diffScript{{"acl", intro}, {"acl passwords", passwords}}))
}

// ACL CAT <category> lists the commands of the category: every command
// both servers have is listed by both or by neither (the order is each
// server's hash table's).
func TestRedisDiffACLCat(t *testing.T) {
	red, fc := diffDial(t, diffRedisServer(t)), diffDial(t, startServer(t).addr)
	names := func(c *diffConn, args ...string) map[string]bool {
		t.Helper()
		r, err := c.do(args)
		if err != nil {
			t.Fatal(err)
		}
		v, _, err := parseResp(r)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, s := range v.strs() {
			out[s] = true
		}
		return out
	}
	// redisKnows: whether redis-server has the command (COMMAND INFO
	// answers null for names it lacks, such as 7.2's CLIENT SETINFO).
	redisKnows := func(name string) bool {
		r, err := red.do([]string{"COMMAND", "INFO", name})
		return err == nil && r != "*1\r\n$-1\r\n"
	}
	for cat := range names(red, "ACL", "CAT") {
		want, got := names(red, "ACL", "CAT", cat), names(fc, "ACL", "CAT", strings.ToUpper(cat))
		if len(got) == 0 {
			t.Errorf("ACL CAT %s: empty", cat)
		}
		for n := range got {
			if redisKnows(n) && !want[n] {
				t.Errorf("ACL CAT %s: fastcache lists %s, redis does not", cat, n)
			}
		}
		for n := range want {
			if lookupFullName([]byte(n)) != nil && !got[n] {
				t.Errorf("ACL CAT %s: redis lists %s, fastcache does not", cat, n)
			}
		}
	}
}

// XGROUP SETID/CREATE with options that parse but a length that does not
// fit: the key and group are checked first, as in Redis (the sweep found
// it once the command table grew).
func TestRedisDiffXGroupLateSyntax(t *testing.T) {
	steps := []diffStep{
		dc("XGROUP", "SETID", "k1", "g", "$", "ENTRIESREAD", "1", "ENTRIESREAD", "1"),
		dc("XGROUP", "SETID", "k1", "g", "$", "ENTRIESREAD"), dc("XGROUP", "SETID", "k1", "g", "$", "BAD", "1"),
		dc("XGROUP", "CREATE", "k1", "g", "$", "ENTRIESREAD", "1", "ENTRIESREAD", "2"),
		dc("XADD", "k1", "1-1", "f", "v"),
		dc("XGROUP", "SETID", "k1", "g", "$", "ENTRIESREAD", "1", "ENTRIESREAD", "1"),
		dc("XGROUP", "CREATE", "k1", "g", "$"),
		dc("XGROUP", "SETID", "k1", "g", "$", "ENTRIESREAD", "1", "ENTRIESREAD", "1"),
		dc("XGROUP", "SETID", "k1", "g", "0", "ENTRIESREAD", "x", "ENTRIESREAD", "1"),
		dc("XGROUP", "SETID", "k1", "g", "0", "ENTRIESREAD", "-5"),
		dc("XGROUP", "SETID", "k1", "g", "0", "ENTRIESREAD", "1"), dc("XINFO", "GROUPS", "k1"),
		dc("XGROUP", "CREATE", "k1", "g2", "$", "ENTRIESREAD", "1", "ENTRIESREAD", "2", "MKSTREAM"),
		dc("XGROUP", "CREATE", "k1", "g2", "$", "MKSTREAM", "ENTRIESREAD", "1", "ENTRIESREAD", "2"),
		dc("XGROUP", "CREATE", "k2", "g2", "$", "MKSTREAM", "ENTRIESREAD", "1", "ENTRIESREAD", "2"), dc("EXISTS", "k2"),
	}
	runDiffScripts(t, []diffScript{{"xgroup late syntax", steps}})
}
