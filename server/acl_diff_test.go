package server

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// Differential tests of ACL users against redis-server 7.0: rules, their
// descriptions (GETUSER, LIST), errors, AUTH, NOPERM texts at top level,
// in MULTI/EXEC and in scripts, DRYRUN and ACL LOG, byte for byte.

// diffACLRules sorts the single-command rules ("+get", "-config|set",
// "+select|0") of every rule list in a reply: Redis emits them in the
// order of its command dict, which a random hash seed shuffles per
// process (the categories before them are in a fixed order).
func diffACLRules(reply string) string {
	lines := strings.Split(reply, "\r\n")
	for i, l := range lines {
		if !strings.Contains(l, "@all") {
			continue
		}
		var out []string
		for j, seg := range strings.Split(l, "(") {
			parts := strings.SplitN(seg, ")", 2)
			parts[0] = sortSingleRules(parts[0])
			seg = strings.Join(parts, ")")
			if j > 0 {
				seg = "(" + seg
			}
			out = append(out, seg)
		}
		lines[i] = strings.Join(out, "")
	}
	return strings.Join(lines, "\r\n")
}

func sortSingleRules(s string) string {
	toks := strings.Split(s, " ")
	var idx []int
	var single []string
	for i, t := range toks {
		if len(t) > 1 && (t[0] == '+' || t[0] == '-') && t[1] != '@' {
			idx = append(idx, i)
			single = append(single, t)
		}
	}
	sort.Strings(single)
	for k, i := range idx {
		toks[i] = single[k]
	}
	return strings.Join(toks, " ")
}

// diffACLLog reduces an ACL LOG reply to what both servers must agree on:
// per entry its fields and their reply types, the age only as its type,
// and of the client-info the fields that do not depend on the server
// (cmd, user, flags, db, multi, name).
func diffACLLog(reply string) string {
	v, rest, err := parseResp(reply)
	if err != nil || rest != "" || v.kind != '*' {
		return reply
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d entries\n", len(v.elems))
	for _, e := range v.elems {
		fmt.Fprintf(&b, "%c%d:", e.kind, len(e.elems))
		for i := 0; i+1 < len(e.elems); i += 2 {
			k, val := e.elems[i].str, e.elems[i+1]
			switch k {
			case "age-seconds":
				fmt.Fprintf(&b, " %s=%c", k, val.kind)
			case "client-info":
				var keep []string
				for _, f := range strings.Fields(val.str) {
					name, _, _ := strings.Cut(f, "=")
					switch name {
					case "cmd", "user", "flags", "db", "multi", "name":
						keep = append(keep, f)
					}
				}
				fmt.Fprintf(&b, " %s=%c%q", k, val.kind, strings.Join(keep, " "))
			case "count":
				fmt.Fprintf(&b, " %s=%c%d", k, val.kind, val.n)
			default:
				fmt.Fprintf(&b, " %s=%c%q", k, val.kind, val.str)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestRedisDiffACLUsers(t *testing.T) {
	on2 := func(args ...string) diffStep { return diffStep{on: 1, args: args} }
	rules := func(args ...string) diffStep { return dc(args...).with(diffACLRules) }
	get := func(user string) diffStep { return rules("ACL", "GETUSER", user) }
	list := rules("ACL", "LIST")
	log := dc("ACL", "LOG").with(diffACLLog)
	clean := []diffStep{dc("ACL", "DELUSER", "alice", "bob", "carol", "sel", "u", ""), dc("ACL", "LOG", "RESET")}
	setuser := []diffStep{
		dc("ACL", "SETUSER", "alice"), get("alice"), list, dc("ACL", "USERS"),
		dc("ACL", "SETUSER", "alice", "reset"), get("alice"),
		dc("ACL", "SETUSER", "alice", "on", ">pw", ">pw2", ">pw", "#"+strings.Repeat("ab", 32)), get("alice"),
		dc("ACL", "SETUSER", "alice", "<pw2", "!"+strings.Repeat("ab", 32)), get("alice"),
		dc("ACL", "SETUSER", "alice", "<nope"), dc("ACL", "SETUSER", "alice", "!abc"), dc("ACL", "SETUSER", "alice", "#ABC"),
		dc("ACL", "SETUSER", "alice", "#"+strings.Repeat("AB", 32)), dc("ACL", "SETUSER", "alice", ">"), get("alice"),
		dc("ACL", "SETUSER", "alice", "nopass"), get("alice"), dc("ACL", "SETUSER", "alice", "resetpass"), get("alice"),
		dc("ACL", "SETUSER", "alice", "~foo*", "%R~rd*", "%W~wr*", "%RW~both", "%r~x", "%w~x", "~foo*"), get("alice"), list,
		dc("ACL", "SETUSER", "alice", "%~d"), dc("ACL", "SETUSER", "alice", "%X~d"), dc("ACL", "SETUSER", "alice", "%RR~d"),
		dc("ACL", "SETUSER", "alice", "%"), dc("ACL", "SETUSER", "alice", "%R"), dc("ACL", "SETUSER", "alice", "~a b"),
		dc("ACL", "SETUSER", "alice", "~"), get("alice"),
		dc("ACL", "SETUSER", "alice", "allkeys"), get("alice"), dc("ACL", "SETUSER", "alice", "~more"),
		dc("ACL", "SETUSER", "alice", "resetkeys", "~k1", "~*"), get("alice"), dc("ACL", "SETUSER", "alice", "resetkeys"), get("alice"),
		dc("ACL", "SETUSER", "alice", "&ch*", "&news", "&ch*"), get("alice"), list,
		dc("ACL", "SETUSER", "alice", "allchannels"), dc("ACL", "SETUSER", "alice", "&x"), get("alice"),
		dc("ACL", "SETUSER", "alice", "resetchannels", "&"), get("alice"), dc("ACL", "SETUSER", "alice", "&a b"),
		dc("ACL", "SETUSER", "alice", "+@all"), get("alice"), dc("ACL", "SETUSER", "alice", "-@dangerous"), get("alice"),
		dc("ACL", "SETUSER", "alice", "nocommands", "+@string", "-incr"), get("alice"),
		dc("ACL", "SETUSER", "alice", "-@all", "+@read", "+@write", "-@keyspace"), get("alice"),
		dc("ACL", "SETUSER", "alice", "allcommands", "-@slow", "+keys"), get("alice"),
		dc("ACL", "SETUSER", "alice", "-@all", "+get", "+set", "+hget"), get("alice"), list,
		dc("ACL", "SETUSER", "alice", "+@all", "-config|set"), get("alice"),
		dc("ACL", "SETUSER", "alice", "-@all", "+config|get", "+client"), get("alice"),
		dc("ACL", "SETUSER", "alice", "-@all", "+config", "-config|set"), get("alice"),
		dc("ACL", "SETUSER", "alice", "-@all", "+select|0", "+select|1", "+SELECT|0"), get("alice"),
		dc("ACL", "SETUSER", "alice", "+select"), get("alice"),
		dc("ACL", "SETUSER", "alice", "-@all", "+@pubsub", "+@hash", "+@connection"), get("alice"),
		dc("ACL", "SETUSER", "alice", "+@ALL", "-@PubSub", "+PUBLISH"), get("alice"),
		dc("ACL", "SETUSER", "alice", "-@all", "+@slow"), get("alice"),
		dc("ACL", "SETUSER", "alice", "-@all", "+@fast", "+@blocking", "+@scripting"), get("alice"),
		dc("ACL", "SETUSER", "alice", "+@all", "-@write", "-@admin", "-@dangerous"), get("alice"),
		dc("ACL", "SETUSER", "alice", "+nocmd"), dc("ACL", "SETUSER", "alice", "-select|0"),
		dc("ACL", "SETUSER", "alice", "+@nocat"), dc("ACL", "SETUSER", "alice", "-@nocat"),
		dc("ACL", "SETUSER", "alice", "+config|get|x"), dc("ACL", "SETUSER", "alice", "+config|nosub"),
		dc("ACL", "SETUSER", "alice", "+config|"), dc("ACL", "SETUSER", "alice", "+|"), dc("ACL", "SETUSER", "alice", "+"),
		dc("ACL", "SETUSER", "alice", "-"), dc("ACL", "SETUSER", "alice", "+@"), dc("ACL", "SETUSER", "alice", "bogus"),
		dc("ACL", "SETUSER", "alice", "on", "bogus", "off"), dc("ACL", "SETUSER", "alice", ""), get("alice"),
		dc("ACL", "SETUSER", "alice", ")"), dc("ACL", "SETUSER", "alice", "off", "skip-sanitize-payload"), get("alice"),
		dc("ACL", "SETUSER", "alice", "sanitize-payload", "on"), get("alice"), list,
		dc("ACL", "SETUSER", "a b"), dc("ACL", "SETUSER", "a\x00b"), dc("ACL", "SETUSER", ""), get(""),
		dc("ACL", "USERS"), dc("ACL", "GETUSER", "nobody"), dc("ACL", "DELUSER", "", "nobody"), dc("ACL", "USERS"),
	}
	selectors := []diffStep{
		dc("ACL", "SETUSER", "sel", "on", "nopass", "(~x* +get", "%R~y*)", "(&ch +publish)"), get("sel"), list,
		dc("ACL", "SETUSER", "sel", "(~x*"), dc("ACL", "SETUSER", "sel", "on", "(~x*"), dc("ACL", "SETUSER", "sel", "(~x* bogus)"),
		dc("ACL", "SETUSER", "sel", "(~x* +nocmd)"), dc("ACL", "SETUSER", "sel", "(~x* ~* )"), dc("ACL", "SETUSER", "sel", "(  )"),
		dc("ACL", "SETUSER", "sel", "()"), get("sel"), list,
		dc("ACL", "SETUSER", "sel", "clearselectors"), get("sel"),
		dc("ACL", "SETUSER", "sel", "(+@all allkeys allchannels)", "(-@all +set ~w*)"), get("sel"), list,
		dc("ACL", "SETUSER", "sel", "reset"), get("sel"),
		dc("ACL", "SETUSER", "sel", "on", ">pw", "-@all", "+@connection", "(~x* +get)", "(~w* +set)"),
		on2("AUTH", "sel", "pw"), on2("GET", "x1"), on2("GET", "w1"), on2("SET", "w1", "v"), on2("SET", "x1", "v"),
		on2("DEL", "x1"), on2("PING"),
		dc("ACL", "DRYRUN", "sel", "get", "x1"), dc("ACL", "DRYRUN", "sel", "get", "w1"), dc("ACL", "DRYRUN", "sel", "del", "w1"),
		log,
	}
	perms := []diffStep{
		dc("ACL", "SETUSER", "bob", "on", ">pw", "~k*", "%R~r*", "%W~w*", "&ch*", "-@all", "+@string", "+@keyspace",
			"+@pubsub", "+@connection", "+config|get", "-keys"),
		on2("AUTH", "bob", "pw"), on2("ACL", "WHOAMI"), on2("SET", "k1", "v"), on2("GET", "k1"), on2("SET", "x", "v"),
		on2("GET", "r1"), on2("SET", "r1", "v"), on2("GET", "w1"), on2("SET", "w1", "v"), on2("APPEND", "w1", "v"),
		on2("GETSET", "w1", "v"), on2("SET", "w1", "v", "GET"), on2("COPY", "r1", "w1"), on2("COPY", "w1", "r1"),
		on2("MSET", "k1", "a", "w1", "b"), on2("MSET", "k1", "a", "r1", "b", "x", "c"), on2("EXISTS", "r1", "w1", "k1"),
		on2("EXISTS", "r1", "zz"), on2("DEL", "w1"), on2("DEL", "r1"), on2("STRLEN", "w1"), on2("TYPE", "w1"),
		on2("OBJECT", "ENCODING", "zz"), on2("PUBLISH", "ch1", "x"), on2("PUBLISH", "other", "x"), on2("SPUBLISH", "other", "x"),
		on2("KEYS", "*"), on2("HGET", "k1", "f"), on2("CONFIG", "GET", "maxmemory"), on2("CONFIG", "SET", "maxmemory", "0"),
		on2("CONFIG", "NOSUCH"), on2("CLIENT", "ID").with(func(string) string { return "<id>" }), on2("ACL", "LOG"),
		on2("EVAL", "return 1", "0"), on2("FLUSHALL"), on2("SORT", "k1"), on2("PING"), on2("GET"), on2("NOSUCH"),
		on2("SUBSCRIBE", "ch1", "ch2"), on2("SUBSCRIBE", "ch1", "no", "ch2"), on2("PSUBSCRIBE", "ch*"), on2("PSUBSCRIBE", "ch1*"),
		on2("SSUBSCRIBE", "nope"), on2("UNSUBSCRIBE", "nope"),
		dc("ACL", "DRYRUN", "bob", "set", "x", "v"), dc("ACL", "DRYRUN", "bob", "set", "k1", "v"), dc("ACL", "DRYRUN", "bob", "keys", "*"),
		dc("ACL", "DRYRUN", "bob", "publish", "nope", "x"), dc("ACL", "DRYRUN", "bob", "subscribe", "ch1", "nope"),
		dc("ACL", "DRYRUN", "bob", "config", "get", "x"), dc("ACL", "DRYRUN", "bob", "config", "set", "x", "y"),
		dc("ACL", "DRYRUN", "bob", "config", "nosub"), dc("ACL", "DRYRUN", "bob", "config"), dc("ACL", "DRYRUN", "bob", "get"),
		dc("ACL", "DRYRUN", "bob", "get", "r1"), dc("ACL", "DRYRUN", "bob", "set", "r1", "v"), dc("ACL", "DRYRUN", "bob", "nocmd"),
		dc("ACL", "DRYRUN", "nobody", "get", "x"), dc("ACL", "DRYRUN", "bob", "auth", "x"), dc("ACL", "DRYRUN", "bob", "mset", "k1", "a", "x", "b"),
		log, dc("ACL", "LOG", "2").with(diffACLLog), dc("ACL", "LOG", "0"), dc("ACL", "LOG", "-3"), dc("ACL", "LOG", "RESET"), log,
	}
	auth := []diffStep{
		dc("ACL", "SETUSER", "carol", "off", ">pw"),
		on2("AUTH", "carol", "pw"), on2("AUTH", "carol", "wrong"), on2("AUTH", "nobody", "pw"), on2("auth", "carol", "pw"),
		on2("HELLO", "2", "AUTH", "carol", "pw"), on2("ACL", "WHOAMI"),
		dc("ACL", "SETUSER", "carol", "on"), on2("AUTH", "carol", "wrong"), on2("AUTH", "carol", "pw"), on2("ACL", "WHOAMI"),
		dc("ACL", "SETUSER", "carol", "nopass"), on2("AUTH", "carol", "anything"), on2("AUTH", "anything"),
		on2("HELLO", "2", "AUTH", "carol", "x").with(diffHello), on2("HELLO", "2", "AUTH", "carol", "x", "SETNAME", "me").with(diffHello),
		on2("CLIENT", "GETNAME"), on2("GET", "k"),
		dc("ACL", "SETUSER", "carol", "+@all", "allkeys"), on2("GET", "k"), on2("RESET"), on2("ACL", "WHOAMI"),
		dc("ACL", "SETUSER", "default", "off"), on2("RESET"), on2("GET", "k"), on2("AUTH", "default", "x"),
		on2("AUTH", "carol", "x"), on2("ACL", "WHOAMI"), dc("ACL", "SETUSER", "default", "on"), dc("PING"),
		dc("ACL", "SETUSER", "default", ">s3cret"), on2("RESET"), on2("GET", "k"),
		// protected commands are refused before authentication, as Redis does
		on2("DEBUG", "HELP"), on2("MODULE", "LOAD", "x"), on2("MODULE", "LIST"),
		on2("AUTH", "s3cret"), on2("GET", "k"),
		dc("ACL", "SETUSER", "default", "nopass"), log,
	}
	multi := []diffStep{
		dc("ACL", "SETUSER", "bob", "on", ">pw", "~k*", "&*", "+@all"),
		on2("AUTH", "bob", "pw"), on2("MULTI"), on2("SET", "k1", "1"), on2("SET", "x", "1"), on2("GET", "k1"), on2("EXEC"),
		on2("MULTI"), on2("SET", "k1", "1"), on2("GET", "k1"), on2("PUBLISH", "c", "m"), on2("INCR", "k2"),
		dc("ACL", "SETUSER", "bob", "-set", "resetchannels", "resetkeys", "~k1"), on2("EXEC"),
		on2("MULTI"), on2("GET", "k1"), on2("EXEC"),
		dc("ACL", "SETUSER", "bob", "-exec"), on2("MULTI"), on2("GET", "k1"), on2("EXEC"), on2("DISCARD"),
		dc("ACL", "SETUSER", "bob", "-multi"), on2("MULTI"),
		log,
	}
	scripts := []diffStep{
		dc("FUNCTION", "FLUSH"),
		dc("FUNCTION", "LOAD", "#!lua name=acllib\nredis.register_function('setk', function(keys, args) return redis.call('set', keys[1], args[1]) end)\n"+
			"redis.register_function{function_name='pset', callback=function(keys, args) return redis.pcall('set', keys[1], args[1]) end}"),
		dc("ACL", "SETUSER", "bob", "on", ">pw", "~k*", "&ch*", "-@all", "+@scripting", "+get", "+set", "+publish"),
		on2("AUTH", "bob", "pw"),
		on2("EVAL", "return redis.call('set','k1','v')", "0"), on2("EVAL", "return redis.call('set','x','v')", "0"),
		on2("EVAL", "return redis.pcall('set','x','v')", "0"), on2("EVAL", "local r = redis.pcall('set','x','v'); return r['err']", "0"),
		on2("EVAL", "return redis.call('del','k1')", "0"), on2("EVAL", "return redis.pcall('del','k1')", "0"),
		on2("EVAL", "return redis.call('publish','nope','m')", "0"), on2("EVAL", "return redis.call('publish','ch1','m')", "0"),
		on2("EVAL", "return redis.call('get',KEYS[1])", "1", "x"), on2("EVAL", "return redis.call('get',KEYS[1])", "1", "k1"),
		on2("EVAL", "return redis.acl_check_cmd('set','x','v')", "0"), on2("EVAL", "return redis.acl_check_cmd('set','k1','v')", "0"),
		on2("EVAL", "return redis.acl_check_cmd('del','k1')", "0"), on2("EVAL", "return redis.acl_check_cmd('nocmd')", "0"),
		on2("EVAL", "return redis.acl_check_cmd()", "0"),
		on2("FCALL", "setk", "1", "k2", "v"), on2("FCALL", "setk", "1", "x", "v"), on2("FCALL", "pset", "1", "k3", "v"),
		dc("ACL", "SETUSER", "bob", "-set", "+@all"), on2("FCALL", "setk", "1", "k2", "v"),
		dc("ACL", "SETUSER", "bob", "-@all", "+@scripting", "+get", "%R~r*"), on2("FCALL", "setk", "1", "r2", "v"),
		on2("EVAL", "return redis.call('get','r1')", "0"), on2("EVAL_RO", "return redis.call('get',KEYS[1])", "1", "r1"),
		on2("EVAL", "return redis.call('get',KEYS[1])", "1", "r1"),
		log, dc("FUNCTION", "FLUSH"),
	}
	var scripts2 []diffScript
	for _, sc := range []diffScript{{"setuser", setuser}, {"selectors", selectors}, {"perms", perms}, {"auth", auth},
		{"multi", multi}, {"scripts", scripts}} {
		scripts2 = append(scripts2, diffScript{sc.name, append(append([]diffStep{}, clean...), sc.steps...)})
	}
	runDiffScripts(t, bothProtocols(scripts2))
}

// diffACLNewer renders a reply as a tree, dropping from rule lists the
// commands fastcache has and Redis 7.0 does not (they differ in single
// command rules only because they exist).
func diffACLNewer(reply string) string {
	v, rest, err := parseResp(reply)
	if err != nil || rest != "" {
		return reply
	}
	newer := map[string]bool{}
	for _, c := range aclTable().byID {
		if aclTable().newer[c.aclID] {
			newer[c.Name] = true
		}
	}
	var b strings.Builder
	var walk func(v respVal)
	walk = func(v respVal) {
		if v.elems != nil || v.kind == '*' || v.kind == '%' || v.kind == '~' {
			fmt.Fprintf(&b, "%c[", v.kind)
			for _, e := range v.elems {
				walk(e)
				b.WriteString(" ")
			}
			b.WriteString("]")
			return
		}
		var keep []string
		for _, tok := range strings.Split(v.str, " ") {
			if len(tok) > 1 && (tok[0] == '+' || tok[0] == '-') && newer[tok[1:]] {
				continue
			}
			keep = append(keep, tok)
		}
		fmt.Fprintf(&b, "%c%d%q", v.kind, v.n, strings.Join(keep, " "))
	}
	walk(v)
	return b.String()
}

// TestRedisDiffACLRandom: random ACL SETUSER rule lists (valid and not)
// applied to a few users on both servers; after each, the reply, the
// user's description and ACL DRYRUN of a pool of calls must agree.
func TestRedisDiffACLRandom(t *testing.T) {
	conns := [2]*diffConn{diffDial(t, diffRedisServer(t)), diffDial(t, startServer(t).addr)}
	r := rand.New(rand.NewPCG(21, 7))
	hash := strings.Repeat("0f", 32)
	vocab := []string{"on", "off", "nopass", "resetpass", ">pw", ">pw2", "<pw", "<nope", "#" + hash, "!" + hash, "!bad",
		"~k*", "%R~r*", "%W~w*", "%RW~x*", "%r~k*", "allkeys", "resetkeys", "~*", "&ch*", "&*", "&", "allchannels",
		"resetchannels", "+@all", "-@all", "allcommands", "nocommands", "reset", "clearselectors", "(~s* +get)",
		"(+set ~w* &c*)", "(+@hash allkeys)", "+get", "-get", "+set", "-set", "+config|get", "-config|set", "+config",
		"-config", "+client", "-client|kill", "+select|0", "+select|1", "+acl|whoami", "+publish", "-subscribe",
		"+nocmd", "%X~y", "bogus", "~a b", "", "(", "(~x", "y)", "+get|x", "+config|get|x", "+@nocat", "-@",
		"skip-sanitize-payload", "sanitize-payload"}
	for _, c := range aclOrder {
		vocab = append(vocab, "+"+c, "-"+c)
	}
	calls := [][]string{{"get", "k1"}, {"set", "r1", "v"}, {"set", "w1", "v"}, {"set", "x1", "v", "get"}, {"publish", "ch1", "m"},
		{"subscribe", "nope"}, {"psubscribe", "ch*"}, {"config", "get", "x"}, {"config", "set", "x", "y"}, {"select", "0"},
		{"select", "1"}, {"client", "id"}, {"mget", "k1", "r1"}, {"copy", "r1", "w1"}, {"hget", "s1", "f"}, {"del", "w1"},
		{"exists", "w1", "r1"}, {"eval", "return 1", "1", "x1"}, {"acl", "whoami"}, {"lpush", "w1", "a"}, {"ping"}}
	users := []string{"u1", "u2", "u3"}
	do := func(args ...string) {
		t.Helper()
		var replies [2]string
		for s, dc := range conns {
			rep, err := dc.do(args)
			if err != nil {
				t.Fatalf("%q: %v", args, err)
			}
			replies[s] = diffACLNewer(diffACLRules(rep))
		}
		if replies[0] != replies[1] {
			t.Errorf("%q:\n  redis:     %.400q\n  fastcache: %.400q", args, replies[0], replies[1])
		}
	}
	for i := 0; i < 400 && !t.Failed(); i++ {
		u := users[r.IntN(len(users))]
		args := []string{"ACL", "SETUSER", u}
		for n := r.IntN(6); n >= 0; n-- {
			args = append(args, vocab[r.IntN(len(vocab))])
		}
		do(args...)
		do("ACL", "GETUSER", u)
		for k := 0; k < 3; k++ {
			do(append([]string{"ACL", "DRYRUN", u}, calls[r.IntN(len(calls))]...)...)
		}
		if i%50 == 0 {
			do("ACL", "LIST")
		}
	}
}
