package server

import (
	"sort"
	"strings"
	"testing"
)

func TestArgSpecsParse(t *testing.T) {
	for name, spec := range argSpecs {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: %v", name, r)
				}
			}()
			var check func(args []*argDoc)
			check = func(args []*argDoc) {
				for _, a := range args {
					switch a.typ {
					case "key", "string", "integer", "double", "pattern", "unix-time", "pure-token":
						if a.sub != nil {
							t.Errorf("%s: %s has sub-arguments", name, a.name)
						}
					case "oneof", "block":
						if len(a.sub) == 0 {
							t.Errorf("%s: %s has none", name, a.name)
						}
						check(a.sub)
					default:
						t.Errorf("%s: %s has type %q", name, a.name, a.typ)
					}
					if a.name == "" {
						t.Errorf("%s: unnamed argument", name)
					}
				}
			}
			check(parseArgSpec(spec[1]))
		}()
	}
}

// cliParams renders an argument list the way redis-cli 7.0's
// cliConcatArguments/cliAddArgument do, from a COMMAND DOCS reply (RESP2),
// with redis-cli's assertions on the reply types.
func cliParams(t *testing.T, args respVal, sep string) string {
	t.Helper()
	if args.kind != '*' {
		t.Fatalf("arguments is a %c, redis-cli asserts an array", args.kind)
	}
	var parts []string
	for _, a := range args.elems {
		parts = append(parts, cliArg(t, a))
	}
	return strings.Join(parts, sep)
}

func cliArg(t *testing.T, m respVal) string {
	t.Helper()
	var name, typ, token string
	var optional, multiple bool
	var sub respVal
	for i := 0; i+1 < len(m.elems); i += 2 {
		if m.elems[i].kind != '$' {
			t.Fatalf("argument key %+v is not a string", m.elems[i])
		}
		v := m.elems[i+1]
		switch m.elems[i].str {
		case "name", "type", "token":
			if v.kind != '$' {
				t.Fatalf("argument %s is a %c", m.elems[i].str, v.kind)
			}
			switch m.elems[i].str {
			case "name":
				name = v.str
			case "type":
				typ = v.str
			case "token":
				token = v.str
			}
		case "flags":
			for _, f := range v.elems {
				if f.kind != '+' {
					t.Fatalf("argument flag %+v is not a status reply", f)
				}
				optional = optional || f.str == "optional"
				multiple = multiple || f.str == "multiple"
			}
		case "arguments":
			sub = v
		}
	}
	if typ == "" {
		t.Fatalf("argument %q without a type (redis-cli would crash)", name)
	}
	repeat := ""
	switch typ {
	case "oneof":
		repeat = cliParams(t, sub, "|")
	case "block":
		repeat = cliParams(t, sub, " ")
	case "pure-token":
	default:
		repeat = name
	}
	if token != "" && typ != "pure-token" {
		token += " "
	}
	out := ""
	if optional {
		out += "["
	}
	out += token + repeat
	if multiple {
		out += " [" + repeat + " ...]"
	}
	if optional {
		out += "]"
	}
	return out
}

// checkDocsForCLI walks a COMMAND DOCS reply as redis-cli 7.0 does
// (cliInitCommandHelpEntries), asserting the same reply types, and returns
// each command's rendered parameter string.
func checkDocsForCLI(t *testing.T, table respVal) map[string]string {
	t.Helper()
	out := map[string]string{}
	var entry func(name string, specs respVal)
	entry = func(name string, specs respVal) {
		if specs.kind != '*' && specs.kind != '%' {
			t.Fatalf("%s: docs are a %c", name, specs.kind)
		}
		out[name] = ""
		for j := 0; j+1 < len(specs.elems); j += 2 {
			if specs.elems[j].kind != '$' {
				t.Fatalf("%s: key %+v", name, specs.elems[j])
			}
			v := specs.elems[j+1]
			switch specs.elems[j].str {
			case "summary", "since", "group", "complexity":
				if v.kind != '$' || v.str == "" {
					t.Fatalf("%s: %s = %+v", name, specs.elems[j].str, v)
				}
			case "arguments":
				out[name] = cliParams(t, v, " ")
			case "subcommands":
				if v.kind != '*' && v.kind != '%' {
					t.Fatalf("%s: subcommands are a %c", name, v.kind)
				}
				for i := 0; i+1 < len(v.elems); i += 2 {
					if v.elems[i].kind != '$' || !strings.HasPrefix(v.elems[i].str, name+"|") {
						t.Fatalf("%s: subcommand name %+v", name, v.elems[i])
					}
					entry(v.elems[i].str, v.elems[i+1])
				}
			default:
				t.Fatalf("%s: unexpected docs field %q", name, specs.elems[j].str)
			}
		}
	}
	if len(table.elems)%2 != 0 {
		t.Fatal("odd COMMAND DOCS table")
	}
	for i := 0; i < len(table.elems); i += 2 {
		if table.elems[i].kind != '$' {
			t.Fatalf("command name %+v", table.elems[i])
		}
		entry(table.elems[i].str, table.elems[i+1])
	}
	return out
}

func TestCommandDocs(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	all := rc.val("COMMAND", "DOCS")
	if all.kind != '*' || len(all.elems) != 2*len(commands) {
		t.Fatalf("COMMAND DOCS: %c with %d elements for %d commands", all.kind, len(all.elems), len(commands))
	}
	params := checkDocsForCLI(t, all)
	// What redis-cli 7.0 prints as the hint/help line for these commands,
	// rendered from Redis 7.0's own docs.
	want := map[string]string{
		"hello":        "[protover [AUTH username password] [SETNAME clientname]]",
		"client|list":  "[TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]",
		"client|kill":  "ip:port|[ID client-id]|[TYPE NORMAL|MASTER|SLAVE|REPLICA|PUBSUB]|[USER username]|[ADDR ip:port]|[LADDR ip:port]|[SKIPME YES|NO] [[ID client-id]|[TYPE NORMAL|MASTER|SLAVE|REPLICA|PUBSUB]|[USER username]|[ADDR ip:port]|[LADDR ip:port]|[SKIPME YES|NO] ...]",
		"shutdown":     "[NOSAVE|SAVE] [NOW] [FORCE] [ABORT]",
		"config|set":   "parameter value [parameter value ...]",
		"config|get":   "parameter [parameter ...]",
		"command|list": "[FILTERBY MODULE module-name|ACLCAT category|PATTERN pattern]",
		"auth":         "[username] password",
		"ping":         "[message]",
		"watch":        "key [key ...]",
		"info":         "[section [section ...]]",
		"time":         "",
	}
	if commands["set"] != nil {
		want["set"] = "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]"
	}
	if commands["mset"] != nil {
		want["mset"] = "key value [key value ...]"
	}
	for name, w := range want {
		if got, ok := params[name]; !ok || got != w {
			t.Errorf("%s: redis-cli would show %q, want %q", name, got, w)
		}
	}

	// Named lookups: unknown names are left out; subcommands by full name.
	v := rc.val("COMMAND", "DOCS", "client|setname", "nosuch", "ECHO")
	if len(v.elems) != 4 || v.elems[0].str != "client|setname" || v.elems[2].str != "echo" {
		t.Fatalf("COMMAND DOCS names: %v", v.strs())
	}
	echo := v.elems[3]
	for k, want := range map[string]string{"summary": "Echo the given string", "since": "1.0.0", "group": "connection", "complexity": "O(1)"} {
		if f, _ := echo.field(k); f.str != want {
			t.Errorf("echo docs %s = %q, want %q", k, f.str, want)
		}
	}
	client := rc.val("COMMAND", "DOCS", "client").elems[1]
	if subs, ok := client.field("subcommands"); !ok || len(subs.elems) != 2*len(commands["client"].Sub) {
		t.Errorf("client docs subcommands: %+v", subs)
	}

	// RESP3: maps and sets.
	rc.do("HELLO", "3")
	got := rc.do("COMMAND", "DOCS", "ping")
	if !strings.HasPrefix(got, "%1\r\n$4\r\nping\r\n%5\r\n$7\r\nsummary\r\n") ||
		!strings.Contains(got, "$5\r\nflags\r\n~1\r\n+optional\r\n") {
		t.Errorf("RESP3 COMMAND DOCS ping: %q", got)
	}
	for _, proto := range []int{2, 3} {
		if _, err := ts.client(t, proto).Do(ctx(), "COMMAND", "DOCS").Result(); err != nil {
			t.Errorf("go-redis proto %d COMMAND DOCS: %v", proto, err)
		}
	}
}

func TestCommandInfo(t *testing.T) {
	ts := startServer(t)
	for _, proto := range []int{2, 3} {
		rdb := ts.client(t, proto)
		infos, err := rdb.Command(ctx()).Result()
		if err != nil {
			t.Fatalf("proto %d: go-redis COMMAND: %v", proto, err)
		}
		if len(infos) != len(commands) {
			t.Fatalf("proto %d: %d commands, want %d", proto, len(infos), len(commands))
		}
		for name, cmd := range commands {
			ci := infos[name]
			if ci == nil {
				t.Fatalf("proto %d: %s missing", proto, name)
			}
			if int(ci.Arity) != cmd.Arity || int(ci.FirstKeyPos) != cmd.FirstKey || int(ci.LastKeyPos) != cmd.LastKey || int(ci.StepCount) != cmd.Step {
				t.Errorf("proto %d: %s = %+v", proto, name, ci)
			}
		}
		w := infos["watch"]
		if w.FirstKeyPos != 1 || w.LastKeyPos != -1 || w.StepCount != 1 {
			t.Errorf("watch: %+v", w)
		}
		if p := infos["ping"]; strings.Join(p.Flags, ",") != "fast" || strings.Join(p.ACLFlags, ",") != "@fast,@connection" {
			t.Errorf("ping: flags %v acl %v", p.Flags, p.ACLFlags)
		}
		if d := infos["dbsize"]; !d.ReadOnly {
			t.Errorf("dbsize not readonly: %+v", d)
		}
		if g := infos["get"]; commands["get"] != nil && (g.Arity != 2 || g.FirstKeyPos != 1 || g.LastKeyPos != 1 || g.StepCount != 1 || !g.ReadOnly) {
			t.Errorf("get: %+v", g)
		}
	}

	rc := ts.rawConn(t)
	v := rc.val("COMMAND", "INFO", "echo", "nosuch", "client|id", "CLIENT")
	if v.kind != '*' || len(v.elems) != 4 {
		t.Fatalf("COMMAND INFO: %+v", v)
	}
	echo := v.elems[0]
	if len(echo.elems) != 10 || echo.elems[0].str != "echo" || echo.elems[1].n != 2 ||
		strings.Join(echo.elems[2].strs(), ",") != "loading,stale,fast" || echo.elems[3].n != 0 {
		t.Errorf("echo info: %+v", echo)
	}
	if !v.elems[1].null || v.elems[1].kind != '$' {
		t.Errorf("unknown command: %+v", v.elems[1])
	}
	if v.elems[2].elems[0].str != "client|id" || v.elems[2].elems[1].n != 2 {
		t.Errorf("client|id info: %+v", v.elems[2])
	}
	client := v.elems[3]
	if client.elems[1].n != -2 || len(client.elems[2].elems) != 0 || len(client.elems[9].elems) != len(commands["client"].Sub) {
		t.Errorf("client info: %+v", client)
	}
	// COMMAND INFO without names is every command.
	if v := rc.val("COMMAND", "INFO"); len(v.elems) != len(commands) {
		t.Errorf("COMMAND INFO: %d entries", len(v.elems))
	}
	// RESP3: flags, ACL categories and tips are sets; key specs maps.
	rc.do("HELLO", "3")
	got := rc.do("COMMAND", "INFO", "watch")
	want := "*1\r\n*10\r\n$5\r\nwatch\r\n:-2\r\n~"
	if !strings.HasPrefix(got, want) || !strings.Contains(got, ":1\r\n:-1\r\n:1\r\n~") ||
		!strings.Contains(got, "%3\r\n$5\r\nflags\r\n~") || !strings.Contains(got, "$12\r\nbegin_search\r\n%2\r\n") {
		t.Errorf("RESP3 COMMAND INFO watch: %q", got)
	}
}

func TestCommandOtherSubcommands(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	if v := rc.val("COMMAND", "COUNT"); v.kind != ':' || v.n != int64(len(commands)) {
		t.Errorf("COMMAND COUNT: %+v", v)
	}
	names := rc.val("COMMAND", "LIST").strs()
	nsub := 0
	for _, c := range commands {
		nsub += len(c.Sub)
	}
	if len(names) != len(commands)+nsub {
		t.Errorf("COMMAND LIST: %d names, want %d", len(names), len(commands)+nsub)
	}
	has := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}
	if !has(names, "client|list") || !has(names, "ping") {
		t.Errorf("COMMAND LIST lacks client|list or ping")
	}
	pat := rc.val("COMMAND", "LIST", "FILTERBY", "PATTERN", "CLI*")
	got := pat.strs()
	sort.Strings(got)
	if len(got) != 1+len(commands["client"].Sub) || got[0] != "client" {
		t.Errorf("FILTERBY PATTERN cli*: %v", got)
	}
	conn := rc.val("COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection").strs()
	if !has(conn, "ping") || !has(conn, "hello") || has(conn, "info") {
		t.Errorf("FILTERBY ACLCAT connection: %v", conn)
	}
	if v := rc.val("COMMAND", "LIST", "FILTERBY", "MODULE", "x"); len(v.elems) != 0 {
		t.Errorf("FILTERBY MODULE: %v", v.strs())
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"COMMAND", "GETKEYS", "WATCH", "a", "b"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
		{[]string{"COMMAND", "GETKEYS", "nosuch", "a"}, "-ERR Invalid command specified\r\n"},
		{[]string{"COMMAND", "GETKEYS", "PING", "a"}, "-ERR The command has no key arguments\r\n"},
		{[]string{"COMMAND", "GETKEYS", "WATCH"}, "-ERR wrong number of arguments for 'command|getkeys' command\r\n"}, // arity -4 in Redis 7.0
		{[]string{"COMMAND", "GETKEYS", "SET", "k"}, "-ERR Invalid number of arguments specified for command\r\n"},
		{[]string{"COMMAND", "GETKEYS"}, "-ERR wrong number of arguments for 'command|getkeys' command\r\n"},
		{[]string{"COMMAND", "GETKEYSANDFLAGS", "WATCH", "k"}, "*1\r\n*2\r\n$1\r\nk\r\n*1\r\n+RO\r\n"},
		{[]string{"COMMAND", "LIST", "FILTERBY", "FOO", "x"}, "-ERR syntax error\r\n"},
		{[]string{"COMMAND", "LIST", "x"}, "-ERR syntax error\r\n"},
		{[]string{"COMMAND", "COUNT", "x"}, "-ERR wrong number of arguments for 'command|count' command\r\n"},
		{[]string{"COMMAND", "nosuch"}, "-ERR unknown subcommand 'nosuch'. Try COMMAND HELP.\r\n"},
	}
	for _, c := range cases {
		if got := rc.do(c.args...); got != c.want {
			t.Errorf("%q: %q, want %q", c.args, got, c.want)
		}
	}
	if commands["mset"] != nil {
		if got := rc.do("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"); got != "*2\r\n$1\r\na\r\n$1\r\nb\r\n" {
			t.Errorf("GETKEYS MSET: %q", got)
		}
	}
	help := rc.val("COMMAND", "HELP")
	if len(help.elems) < 5 || help.elems[0].str != "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" {
		t.Errorf("COMMAND HELP: %v", help.strs())
	}
	// Every command's summary, group and since are set (COMMAND DOCS, HELP).
	for _, name := range []string{"ping", "echo", "quit", "reset", "hello", "auth", "select", "client", "command",
		"info", "config", "time", "dbsize", "lastsave", "shutdown"} {
		cmd := commands[name]
		if cmd == nil {
			t.Fatalf("%s not registered", name)
		}
		list := append([]*Command{cmd}, sortedSubs(cmd)...)
		for _, c := range list {
			if c.Summary == "" || c.Since == "" || c.Group == "" {
				t.Errorf("%s lacks summary/since/group", c.Name)
			}
			if _, ok := argSpecs[c.Name]; !ok && c.Sub == nil && c.Name != "client" {
				t.Errorf("%s has no argument docs", c.Name)
			}
		}
	}
}
