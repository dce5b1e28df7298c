package server

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// Differential tests of the set commands against redis-server: every
// script runs in RESP2 and again in RESP3, and the raw replies must be
// equal byte for byte (sorted only where Redis's order is its hash table's).

// runDiffScriptsResp23 runs scripts on a fresh redis-server and fastcache, each
// once per protocol.
func runDiffScriptsResp23(t *testing.T, scripts []diffScript) {
	t.Helper()
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	for _, proto := range []int{2, 3} {
		for _, sc := range scripts {
			t.Run(fmt.Sprintf("%s/resp%d", sc.name, proto), func(t *testing.T) {
				var conns [2][2]*diffConn // [server][connection]
				addrs := [2]string{redisAddr, fc.addr}
				for s := range addrs {
					for i := range conns[s] {
						conns[s][i] = diffDial(t, addrs[s])
					}
				}
				steps := []diffStep{{args: []string{"FLUSHALL"}}}
				if proto == 3 {
					steps = append(steps, diffStep{args: []string{"HELLO", "3"}, norm: diffHello},
						diffStep{on: 1, args: []string{"HELLO", "3"}, norm: diffHello})
				}
				steps = append(steps, sc.steps...)
				for i, st := range steps {
					var replies [2]string
					for s := range addrs {
						r, err := conns[s][st.on].do(st.args)
						if err != nil {
							t.Fatalf("step %d %.200q: %s: %v (read %q)", i, st.args, [2]string{"redis", "fastcache"}[s], err, r)
						}
						if st.norm != nil {
							r = st.norm(r)
						}
						replies[s] = r
					}
					if replies[0] != replies[1] {
						t.Errorf("step %d %.300q:\n  redis:     %.500q\n  fastcache: %.500q", i, st.args, replies[0], replies[1])
					}
				}
			})
		}
	}
}

// seq is "prefix<from>" .. "prefix<to-1>".
func seq(prefix string, from, to int) []string {
	out := make([]string, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, prefix+strconv.Itoa(i))
	}
	return out
}

// cmd builds a command from words and lists of words.
func cmd(parts ...any) []string {
	var out []string
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			out = append(out, v)
		case []string:
			out = append(out, v...)
		case int:
			out = append(out, strconv.Itoa(v))
		default:
			panic(fmt.Sprintf("cmd: %T", p))
		}
	}
	return out
}

// diffCount reduces an array reply to its length (random members).
func diffCount(reply string) string {
	v, rest, err := parseResp(reply)
	if err != nil || rest != "" || v.null || (v.kind != '*' && v.kind != '~') {
		return reply
	}
	return fmt.Sprintf("%c%d elements", v.kind, len(v.elems))
}

// diffBulkKind reduces a bulk reply to "bulk" (one random member).
func diffBulkKind(reply string) string {
	if strings.HasPrefix(reply, "$") && !strings.HasPrefix(reply, "$-1") {
		return "bulk"
	}
	return reply
}

func setScripts() []diffScript {
	c := func(parts ...any) diffStep { return diffStep{args: cmd(parts...)} }
	sorted := func(parts ...any) diffStep { return c(parts...).with(diffSorted) }
	count := func(parts ...any) diffStep { return c(parts...).with(diffCount) }
	long := strings.Repeat("L", 65)
	return []diffScript{
		{"sadd-srem-encodings", []diffStep{
			c("SADD", "s", "1", "2", "3", "2"),
			c("OBJECT", "ENCODING", "s"),
			c("SMEMBERS", "s"),
			c("SADD", "s", "-5", "70000", "-9223372036854775808", "9223372036854775807"),
			c("SMEMBERS", "s"),
			c("OBJECT", "ENCODING", "s"),
			c("SADD", "s", "01"),
			c("OBJECT", "ENCODING", "s"),
			sorted("SMEMBERS", "s"),
			c("SISMEMBER", "s", "01"),
			c("SISMEMBER", "s", "1"),
			c("SREM", "s", "1", "01", "nope"),
			c("SCARD", "s"),
			c("SADD", "i", seq("", 0, 512)),
			c("OBJECT", "ENCODING", "i"),
			c("SADD", "i", "512"),
			c("OBJECT", "ENCODING", "i"),
			c("SCARD", "i"),
			c("SREM", "i", seq("", 0, 500)),
			c("OBJECT", "ENCODING", "i"),
			sorted("SMEMBERS", "i"),
			c("SADD", "t", "a", "b"),
			c("OBJECT", "ENCODING", "t"),
			c("SADD", "t", seq("m", 0, 200)),
			c("SCARD", "t"),
			c("SADD", "t", long),
			c("SISMEMBER", "t", long),
			c("SREM", "t", seq("m", 0, 200), "a", "b", long),
			c("EXISTS", "t"),
			c("SADD", "e", ""),
			c("SISMEMBER", "e", ""),
			c("SMEMBERS", "e"),
			c("SADD", "bin", "a\x00b", "\r\n"),
			sorted("SMEMBERS", "bin"),
			c("SMISMEMBER", "bin", "a\x00b", "a", "\r\n"),
			c("SMISMEMBER", "nokey", "a", "b"),
			c("SISMEMBER", "nokey", "a"),
			c("SCARD", "nokey"),
			c("SMEMBERS", "nokey"),
			c("SREM", "nokey", "a"),
			c("SET", "str", "x"),
			c("SADD", "str", "a"),
			c("SREM", "str", "a"),
			c("SISMEMBER", "str", "a"),
			c("SMISMEMBER", "str", "a"),
			c("SMEMBERS", "str"),
			c("SCARD", "str"),
			c("SADD", "s"),
			c("SREM", "s"),
			c("SISMEMBER", "s"),
			c("SMISMEMBER", "s"),
			c("SCARD"),
			c("SMEMBERS", "s", "x"),
			c("CONFIG", "SET", "set-max-intset-entries", "4"),
			c("SADD", "small", "1", "2", "3", "4"),
			c("OBJECT", "ENCODING", "small"),
			c("SADD", "small", "5"),
			c("OBJECT", "ENCODING", "small"),
			c("CONFIG", "SET", "set-max-intset-entries", "512"),
			c("TYPE", "small"),
		}},
		{"spop-srandmember", []diffStep{
			c("SADD", "s", "1", "2", "3"),
			c("SPOP", "s", "-1"),
			c("SPOP", "s", "abc"),
			c("SPOP", "s", "1.5"),
			c("SPOP", "s", "0"),
			c("SPOP", "s", "1", "2"),
			c("SPOP", "nokey"),
			c("SPOP", "nokey", "3"),
			c("SPOP", "nokey", "-1"),
			c("SRANDMEMBER", "nokey"),
			c("SRANDMEMBER", "nokey", "5"),
			c("SRANDMEMBER", "nokey", "-5"),
			c("SRANDMEMBER", "s", "abc"),
			c("SRANDMEMBER", "s", "-9223372036854775808"),
			c("SRANDMEMBER", "s", "9223372036854775807"),
			c("SRANDMEMBER", "s", "3"),
			c("SRANDMEMBER", "s", "0"),
			count("SRANDMEMBER", "s", "-7"),
			count("SRANDMEMBER", "s", "2"),
			c("SRANDMEMBER", "s", "1", "2"),
			c("SRANDMEMBER", "s").with(diffBulkKind),
			c("SPOP", "s").with(diffBulkKind),
			c("SCARD", "s"),
			count("SPOP", "s", "1"),
			c("SCARD", "s"),
			c("DEL", "s"),
			c("SADD", "s", "7", "8"),
			c("SPOP", "s", "10"),
			c("EXISTS", "s"),
			c("SADD", "t", "a", "b", "c"),
			sorted("SPOP", "t", "3"),
			c("EXISTS", "t"),
			c("SADD", "big", seq("", 0, 600)),
			count("SPOP", "big", "550"),
			c("SCARD", "big"),
			c("OBJECT", "ENCODING", "big"),
			c("SADD", "big2", seq("", 0, 600)),
			count("SPOP", "big2", "400"),
			c("OBJECT", "ENCODING", "big2"),
			c("SET", "str", "x"),
			c("SPOP", "str"),
			c("SPOP", "str", "0"),
			c("SRANDMEMBER", "str"),
			c("SRANDMEMBER", "str", "1"),
			c("SPOP"),
		}},
		{"smove", []diffStep{
			c("SADD", "a", "1", "2", "x"),
			c("SADD", "b", "3"),
			c("SMOVE", "a", "b", "1"),
			sorted("SMEMBERS", "a"),
			c("SMEMBERS", "b"),
			c("SMOVE", "a", "b", "nope"),
			c("SMOVE", "a", "a", "2"),
			c("SMOVE", "a", "a", "9"),
			c("SMOVE", "nokey", "b", "1"),
			c("SMOVE", "a", "new", "2"),
			c("OBJECT", "ENCODING", "new"),
			c("SMOVE", "a", "new2", "x"),
			c("OBJECT", "ENCODING", "new2"),
			c("EXISTS", "a"),
			c("SADD", "c", "3"),
			c("SMOVE", "c", "b", "3"),
			c("EXISTS", "c"),
			c("SMEMBERS", "b"),
			c("SET", "str", "v"),
			c("SMOVE", "str", "b", "3"),
			c("SMOVE", "b", "str", "3"),
			c("SMOVE", "nokey", "str", "3"),
			c("SMEMBERS", "b"),
			c("SMOVE", "a", "b"),
		}},
		{"algebra", []diffStep{
			c("SADD", "a", "1", "2", "3", "4", "5"),
			c("SADD", "b", "4", "5", "6"),
			c("SADD", "c", "5", "6", "7", "x"),
			c("SINTER", "a", "b"),
			c("SINTER", "a", "b", "c"),
			c("SINTER", "a", "nokey"),
			c("SINTER", "a"),
			c("SUNION", "a", "b"),
			sorted("SUNION", "a", "c"),
			c("SUNION", "nokey"),
			c("SDIFF", "a", "b"),
			c("SDIFF", "a", "b", "c"),
			c("SDIFF", "nokey", "a"),
			c("SDIFF", "a", "nokey"),
			c("SDIFF", "a", "a"),
			c("SINTERSTORE", "d", "a", "b"),
			c("SMEMBERS", "d"),
			c("OBJECT", "ENCODING", "d"),
			c("SINTERSTORE", "d", "a", "nokey"),
			c("EXISTS", "d"),
			c("SUNIONSTORE", "d", "a", "c"),
			sorted("SMEMBERS", "d"),
			c("OBJECT", "ENCODING", "d"),
			c("SDIFFSTORE", "d", "a", "b"),
			c("SMEMBERS", "d"),
			c("SET", "str", "x"),
			c("EXPIRE", "d", "100"),
			c("SUNIONSTORE", "d", "b"),
			c("TTL", "d"),
			c("SUNIONSTORE", "str", "b"),
			c("TYPE", "str"),
			c("SET", "str", "x"),
			c("SDIFFSTORE", "a", "a", "b"),
			c("SMEMBERS", "a"),
			c("SINTER", "nokey", "str"),
			c("SINTER", "a", "str"),
			c("SUNION", "a", "str"),
			c("SDIFF", "str", "nokey"),
			c("SDIFF", "nokey", "str"),
			c("SINTERSTORE", "d", "nokey", "str"),
			c("SUNIONSTORE", "d", "str"),
			c("SDIFFSTORE", "d"),
			c("SINTER"),
			c("SINTERCARD", "2", "a", "b"),
			c("SINTERCARD", "2", "a", "b", "LIMIT", "0"),
			c("SINTERCARD", "3", "a", "b", "c"),
			c("SINTERCARD", "1", "c", "limit", "2"),
			c("SINTERCARD", "1", "c", "LIMIT", "1", "LIMIT", "3"),
			c("SINTERCARD", "0", "a"),
			c("SINTERCARD", "-1", "a"),
			c("SINTERCARD", "x", "a"),
			c("SINTERCARD", "99999999999999999999", "a"),
			c("SINTERCARD", "3", "a", "b"),
			c("SINTERCARD", "1", "a", "LIMIT", "-1"),
			c("SINTERCARD", "1", "a", "LIMIT", "x"),
			c("SINTERCARD", "1", "a", "LIMIT"),
			c("SINTERCARD", "1", "a", "FOO", "1"),
			c("SINTERCARD", "2", "nokey", "str"),
			c("SINTERCARD", "1", "nokey"),
			c("SINTERCARD", "1"),
			c("SADD", "h1", seq("k", 0, 300)),
			c("SADD", "h2", seq("k", 150, 400)),
			c("SINTERCARD", "2", "h1", "h2"),
			c("SINTERSTORE", "hd", "h1", "h2"),
			c("OBJECT", "ENCODING", "hd"),
			c("SDIFFSTORE", "hd", "h1", "h2"),
			c("SCARD", "hd"),
			c("SUNIONSTORE", "hd", "h1", "h2"),
			c("SCARD", "hd"),
			c("SADD", "n1", seq("", 0, 400)),
			c("SADD", "n2", seq("", 300, 700)),
			c("SUNIONSTORE", "nd", "n1", "n2"),
			c("OBJECT", "ENCODING", "nd"),
			c("SINTER", "n1", "n2"),
			c("SDIFF", "n2", "n1"),
		}},
		{"sscan", []diffStep{
			c("SADD", "i", "1", "2", "3", "10"),
			c("SSCAN", "i", "0"),
			c("SSCAN", "i", "0", "MATCH", "1*"),
			c("SSCAN", "i", "0", "COUNT", "1"),
			c("SSCAN", "i", "0", "COUNT", "0"),
			c("SSCAN", "i", "0", "COUNT", "x"),
			c("SSCAN", "i", "0", "MATCH"),
			c("SSCAN", "i", "0", "FOO", "x"),
			c("SSCAN", "i", "x"),
			c("SSCAN", "i", "18446744073709551615"),
			c("SSCAN", "i", "18446744073709551616"),
			c("SSCAN", "i", "-1"),
			c("SSCAN", "nokey", "0"),
			c("SSCAN", "nokey", "0", "COUNT", "0"),
			c("SSCAN", "nokey", "x"),
			c("SADD", "t", "apple", "banana", "avocado"),
			c("SSCAN", "t", "0", "MATCH", "a*").with(diffScanSorted),
			c("SET", "str", "x"),
			c("SSCAN", "str", "0"),
			c("SSCAN", "str", "0", "COUNT", "0"),
			c("SSCAN", "i"),
		}},
	}
}

func TestRedisDiffSets(t *testing.T) { runDiffScriptsResp23(t, setScripts()) }
