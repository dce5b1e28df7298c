package server

// The `redis` table scripts call: redis.call and redis.pcall run a command
// through the command table with the engine's own client, as Redis's
// scriptCall does (same checks, same error texts), and convert its reply.

import (
	"bytes"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// noScript are the commands (and subcommands, "parent|sub") that Redis 7.0
// flags `noscript`: refused from scripts.
var noScript = map[string]bool{}

// allowBusy are the commands Redis 7.0 flags `allow-busy`: they run while
// a script is busy instead of getting -BUSY.
var allowBusy = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`latency|graph latency|doctor latency|latest latency|histogram latency|history latency|reset
		fcall script|exists script|flush script|kill script|load script|debug bzpopmin blmove unsubscribe shutdown sync
		bgsave auth bzpopmax role module|load module|list module|loadex module|unload brpoplpush psync sunsubscribe reset
		replconf ssubscribe discard unwatch replicaof config|resetstat config|rewrite config|get config|set quit wait
		subscribe monitor eval punsubscribe fcall_ro multi blpop bgrewriteaof save client|list client|pause client|info
		client|kill client|reply client|caching client|setname client|no-evict client|no-touch client|getname client|tracking client|id
		client|unpause client|trackinginfo client|getredir client|unblock client|setinfo hello evalsha_ro exec
		function|restore function|dump function|list function|kill function|load function|delete function|flush function|stats
		debug eval_ro watch evalsha cluster|reset slaveof acl|genpass acl|setuser acl|list acl|log acl|load acl|whoami
		acl|users acl|deluser acl|cat acl|getuser acl|dryrun acl|save psubscribe failover brpop fcsync`) {
		noScript[n] = true
	}
	for _, n := range strings.Fields(`script|kill shutdown auth reset replconf discard unwatch quit multi hello function|kill function|stats watch`) {
		allowBusy[n] = true
	}
}

// commandKey is the name noScript and allowBusy know cmd by: "parent|sub"
// for commands with subcommands.
func commandKey(cmd *Command, args [][]byte) string {
	if cmd.Sub != nil && len(args) > 1 {
		return cmd.Name + "|" + strings.ToLower(string(args[1]))
	}
	return cmd.Name
}

func (e *luaEngine) openRedis(g *lua.LTable) {
	L := e.L
	t := L.NewTable()
	L.SetFuncs(t, map[string]lua.LGFunction{
		"error_reply":        luaErrorReply,
		"status_reply":       luaStatusReply,
		"sha1hex":            luaSha1hex,
		"log":                e.luaLog,
		"setresp":            e.luaSetResp,
		"set_repl":           luaSetRepl,
		"replicate_commands": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		"breakpoint":         func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":              func(L *lua.LState) int { return 0 },
		"acl_check_cmd":      e.luaACLCheck,
	})
	// The same functions the scripts' redis.call lookups were made into
	// (script_callconst.go).
	t.RawSetString("call", luaRedisCallK)
	t.RawSetString("pcall", luaRedisPcallK)
	t.RawSetString("REDIS_VERSION", lua.LString(Version))
	t.RawSetString("REDIS_VERSION_NUM", lua.LNumber(versionNum(Version)))
	t.RawSetString("LOG_DEBUG", lua.LNumber(luaLogDebug))
	t.RawSetString("LOG_VERBOSE", lua.LNumber(luaLogVerbose))
	t.RawSetString("LOG_NOTICE", lua.LNumber(luaLogNotice))
	t.RawSetString("LOG_WARNING", lua.LNumber(luaLogWarning))
	t.RawSetString("REPL_NONE", lua.LNumber(replNone))
	t.RawSetString("REPL_AOF", lua.LNumber(replAOF))
	t.RawSetString("REPL_SLAVE", lua.LNumber(replSlav))
	t.RawSetString("REPL_REPLICA", lua.LNumber(replSlav))
	t.RawSetString("REPL_ALL", lua.LNumber(replAll))
	g.RawSetString("redis", t)
}

// versionNum is Redis's REDIS_VERSION_NUM: 0x00MMmmpp.
func versionNum(v string) int {
	parts := strings.Split(v, ".")
	n := 0
	for i := 0; i < 3; i++ {
		x := 0
		if i < len(parts) {
			for _, c := range parts[i] {
				x = x*10 + int(c-'0')
			}
		}
		n = n<<8 | x
	}
	return n
}

// luaErrorTable is Redis's luaPushErrorBuff: "-CODE msg" keeps its code,
// anything else gets "ERR ".
func luaErrorTable(L *lua.LState, msg string) *lua.LTable {
	code := "ERR"
	if strings.HasPrefix(msg, "-") {
		if i := strings.IndexByte(msg, ' '); i >= 0 {
			code, msg = msg[1:i], msg[i+1:]
		} else {
			msg = msg[1:]
		}
	}
	msg = strings.TrimRight(msg, "\r\n")
	t := L.CreateTable(0, 1)
	t.RawSetString("err", lua.LString(code+" "+msg))
	return t
}

// luaErrorText is the error reply luaErrorTable makes of msg.
func luaErrorText(msg string) string {
	if strings.HasPrefix(msg, "-") {
		return strings.TrimRight(msg[1:], "\r\n")
	}
	return "ERR " + strings.TrimRight(msg, "\r\n")
}

// raise raises Redis's error table for msg (handled by luaErrorHandler).
func raise(L *lua.LState, msg string) int {
	L.Error(luaErrorTable(L, msg), 0)
	return 0
}

func luaErrorReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(luaErrorTable(L, "wrong number or type of arguments"))
		return 1
	}
	msg := string(s)
	if !strings.HasPrefix(msg, "-") {
		msg = "-" + msg
	}
	L.Push(luaErrorTable(L, msg))
	return 1
}

func luaStatusReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(luaErrorTable(L, "wrong number or type of arguments"))
		return 1
	}
	t := L.CreateTable(0, 1)
	t.RawSetString("ok", s)
	L.Push(t)
	return 1
}

func luaSha1hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raise(L, "wrong number of arguments")
	}
	var b []byte
	switch v := L.Get(1).(type) {
	case lua.LString:
		b = []byte(v)
	case lua.LNumber:
		b = []byte(luaNumberString(float64(v)))
	}
	L.Push(lua.LString(sha1hex(b)))
	return 1
}

func (e *luaEngine) luaLog(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 {
		return raise(L, "redis.log() requires two arguments or more.")
	}
	lv, ok := L.Get(1).(lua.LNumber)
	if !ok {
		return raise(L, "First argument must be a number (log level).")
	}
	level := int(lv)
	if level < luaLogDebug || level > luaLogWarning {
		return raise(L, "Invalid debug level.")
	}
	var sb strings.Builder
	for i := 2; i <= n; i++ {
		if i > 2 {
			sb.WriteByte(' ')
		}
		switch v := L.Get(i).(type) {
		case lua.LString:
			sb.WriteString(string(v))
		case lua.LNumber:
			sb.WriteString(luaNumberString(float64(v)))
		}
	}
	log := e.s.log
	switch level {
	case luaLogWarning:
		log.Warn().Str("source", "script").Msg(sb.String())
	case luaLogNotice:
		log.Info().Str("source", "script").Msg(sb.String())
	default:
		log.Debug().Str("source", "script").Msg(sb.String())
	}
	return 0
}

func (e *luaEngine) luaSetResp(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raise(L, "redis.setresp() requires one argument.")
	}
	v, ok := L.Get(1).(lua.LNumber)
	if !ok || (v != 2 && v != 3) {
		return raise(L, "RESP version must be 2 or 3.")
	}
	e.resp = int(v)
	e.caller.reply.proto = int(v)
	return 0
}

func luaSetRepl(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raise(L, "redis.set_repl() requires two arguments.")
	}
	v, ok := L.Get(1).(lua.LNumber)
	if !ok || int(v)&^replAll != 0 {
		return raise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
	}
	return 0
}

// luaACLCheck is redis.acl_check_cmd: whether the script's caller may run
// the command with these arguments (acl_check.go).
func (e *luaEngine) luaACLCheck(L *lua.LState) int {
	n := L.GetTop()
	if n < 1 {
		return raise(L, "Please specify at least one argument for this redis lib call")
	}
	args := make([][]byte, 0, n)
	for i := 1; i <= n; i++ {
		b, ok := luaArg(nil, L.Get(i))
		if !ok {
			return raise(L, "Lua redis lib command arguments must be strings or integers")
		}
		args = append(args, b)
	}
	cmd := commands[strings.ToLower(string(args[0]))]
	if cmd != nil && cmd.Sub != nil && len(args) >= 2 {
		cmd = cmd.Sub[strings.ToLower(string(args[1]))]
	}
	if cmd == nil {
		return raise(L, "Invalid command passed to redis.acl_check_cmd()")
	}
	allowed := true
	if r := e.run; r != nil {
		if res, _ := r.caller.aclPerms().check(cmd, args); res != aclOK {
			allowed = false
		}
	}
	L.Push(lua.LBool(allowed))
	return 1
}

// redisCall is redis.call (raise) and redis.pcall.
func (e *luaEngine) redisCall(L *lua.LState, raiseErr bool) int {
	fail := func(msg string) int {
		t := luaErrorTable(L, msg)
		if raiseErr {
			L.Error(t, 0)
			return 0
		}
		L.Push(t)
		return 1
	}
	n := L.GetTop()
	if n == 0 {
		return fail("Please specify at least one argument for this redis lib call")
	}
	run := e.run
	if run == nil {
		return fail("redis.call can only be called inside a script invocation")
	}
	cl := e.caller
	args := cl.scriptArgs[:0]
	buf := cl.scriptBuf[:0]
	var endsA [8]int
	ends := endsA[:0]
	for i := 1; i <= n; i++ {
		var ok bool
		buf, ok = luaArg(buf, L.Get(i))
		if !ok {
			return fail("Lua redis lib command arguments must be strings or integers")
		}
		ends = append(ends, len(buf))
	}
	start := 0
	for _, end := range ends {
		args = append(args, buf[start:end:end])
		start = end
	}
	cl.scriptArgs, cl.scriptBuf = args, buf
	if msg := run.command(cl, args); msg != "" {
		t := luaErrorTable(L, msg)
		t.RawSetString(ignoreErrStats, lua.LTrue) // counted by command
		if raiseErr {
			L.Error(t, 0)
			return 0
		}
		L.Push(t)
		return 1
	}
	if b := cl.reply.b; len(b) > 3 && b[0] == ':' && b[len(b)-1] == '\n' && bytes.IndexByte(b, '\n') == len(b)-1 {
		// An integer (INCR's, EXISTS's ...): as respToLua makes it, boxed
		// without an allocation.
		if n, ok := parseInt64(b[1 : len(b)-2]); ok {
			L.Push(e.nums.box(lua.LNumber(n)))
			return 1
		}
	}
	v, _ := respToLua(L, cl.reply.b)
	if t, ok := v.(*lua.LTable); ok && raiseErr {
		if _, isErr := t.RawGetString("err").(lua.LString); isErr {
			L.Error(t, 0)
			return 0
		}
	}
	L.Push(v)
	return 1
}
