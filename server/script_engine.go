package server

// The Lua engine behind EVAL and FCALL: one gopher-lua state (Lua 5.1, as
// Redis's) per engine, sandboxed the way Redis 7.0 sandboxes its own: only
// the globals on Redis's allow list exist, the globals table and the library
// tables are read-only, reading a global that does not exist is an error,
// and errors carry Redis's "user_script:<line>" frames. The `redis` table
// (redis.call and friends) dispatches through the server's command table
// with a client of the engine's own whose replies are converted to Lua
// values (script_conv.go).

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Redis's log levels for redis.log.
const (
	luaLogDebug   = 0
	luaLogVerbose = 1
	luaLogNotice  = 2
	luaLogWarning = 3
)

// Replication flags of redis.set_repl (accepted, effects are always what is logged).
const (
	replNone = 0
	replAOF  = 1
	replSlav = 2
	replAll  = 3
)

// luaEngine is one Lua state and what scripts may reach in it.
type luaEngine struct {
	s       *Server
	L       *lua.LState
	globals *lua.LTable // the real globals, behind env
	env     *lua.LTable // what scripts see as _G: read-only
	envMeta *lua.LTable // getmetatable(_G): a read-only view of its metatable
	errh    *lua.LFunction
	caller  *Client // the engine's client for redis.call (never connected)
	ctx     *killCtx
	run     *scriptRun // the run in progress (nil between runs)
	resp    int        // redis.setresp
	// functions: while a library loads, register_function adds to it
	loading *libraryLoad
	// EVAL's KEYS and ARGV tables of the last run (reuseStrings)
	keys, argv *lua.LTable
	// the command redis.call ran last, by the name it was given (script.go)
	lastCmd      *Command
	lastName     string
	lastNoScript bool
	nums         numBox // integer replies of redis.call as Lua values
	// the time the running script's keyspace judges expiry by: frozen at
	// its start, as Redis's (a key cannot expire in the middle of a script)
	startMs int64
}

// killCtx is the context gopher-lua checks before every instruction: SCRIPT
// KILL closes its channel, so even a loop that never calls redis.call stops
// (and a pcall cannot swallow it: every next instruction raises again).
type killCtx struct {
	ch  chan struct{}
	eng *luaEngine // the engine whose state checks it (redisCallK)
}

func (k *killCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (k *killCtx) Done() <-chan struct{}       { return k.ch }
func (k *killCtx) Err() error {
	select {
	case <-k.ch:
		return errScriptKilled
	default:
		return nil
	}
}
func (k *killCtx) Value(key any) any {
	if _, ok := key.(engineKey); ok {
		return k.eng
	}
	return nil
}

var _ context.Context = (*killCtx)(nil)

type scriptKilledError struct{}

func (scriptKilledError) Error() string { return "Script killed by user with SCRIPT KILL..." }

var errScriptKilled = scriptKilledError{}

// A Lua state's call stack (frames) and registry (values) are allocated up
// front at these sizes; INFO's used_memory_vm_* report that (script_info.go).
const (
	luaCallStack = 1024
	luaRegistry  = 1024 * 20
)

// newLuaEngine builds a sandboxed state. functions selects the FUNCTION
// flavour (redis.register_function exists while a library loads).
func newLuaEngine(s *Server) *luaEngine {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: luaCallStack, RegistrySize: luaRegistry, RegistryMaxSize: 1024 * 256})
	e := &luaEngine{s: s, L: L, resp: 2}
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	raw := L.Get(lua.GlobalsIndex).(*lua.LTable)

	// Redis's own libraries.
	// Numbers made strings, and strings numbers, as Lua 5.1 makes them
	// (script_strlib.go).
	patchLuaLibs(L, raw)
	openLuaBit(L, raw)
	openLuaCjson(L, raw)
	openLuaStruct(L, raw)
	openLuaCmsgpack(L, raw)
	e.openRedis(raw)
	// math.random and math.randomseed as Redis's: its own rand48 (a fixed
	// sequence from the server's start), so scripts behave the same on
	// every server.
	if m, ok := raw.RawGetString("math").(*lua.LTable); ok {
		m.RawSetString("random", L.NewFunction(luaMathRandom))
		m.RawSetString("randomseed", L.NewFunction(luaMathRandomSeed))
		// math.huge is C's HUGE_VAL, infinity (gopher-lua has the largest
		// float): a score of math.huge is "inf", as scripts mean it.
		m.RawSetString("huge", lua.LNumber(math.Inf(1)))
	}

	// The globals scripts see: Redis 7.0's allow list, nothing else.
	g := L.NewTable()
	for _, name := range []string{
		"assert", "collectgarbage", "error", "getmetatable", "load", "loadstring", "next", "pcall",
		"rawequal", "rawget", "select", "setmetatable", "tonumber", "tostring", "type", "unpack",
		"xpcall", "ipairs", "pairs", "gcinfo", "_VERSION",
		"coroutine", "string", "table", "math", "bit", "cjson", "struct", "cmsgpack", "redis",
	} {
		v := raw.RawGetString(name)
		if name == "gcinfo" {
			v = L.NewFunction(func(L *lua.LState) int { L.Push(lua.LNumber(0)); return 1 })
		}
		if name == "_VERSION" {
			v = lua.LString("Lua 5.1")
		}
		if v == lua.LNil {
			continue
		}
		if t, ok := v.(*lua.LTable); ok {
			v = e.readOnly(t)
		}
		g.RawSetString(name, v)
	}
	g.RawSetString("tostring", L.NewFunction(luaToString))
	g.RawSetString("loadstring", L.NewFunction(e.luaLoadString))
	g.RawSetString("load", L.NewFunction(e.luaLoad))
	// What rewritten chunks call when patchConcatCalls could not make the
	// lookup a constant.
	raw.RawSetString(concatFnName, luaConcatFn)
	raw.RawSetString(concatNamedFnName, luaConcatNamedFn)
	g.RawSetString(concatFnName, luaConcatFn)
	g.RawSetString(concatNamedFnName, luaConcatNamedFn)
	g.RawSetString("pcall", L.NewFunction(luaPcall))
	g.RawSetString("error", L.NewFunction(luaErrorFn))
	g.RawSetString("xpcall", L.NewFunction(luaXpcall))
	g.RawSetString("tonumber", L.NewFunction(luaToNumber))
	g.RawSetString("rawset", L.NewFunction(luaRawSet))
	// Strings' metatable is read-only too, as in Redis: its __index is the
	// read-only string library, getmetatable of a string gives a read-only
	// view of it, and setmetatable takes tables only (gopher-lua's would
	// replace the metatable of every string), never a read-only one. A
	// script has no place left to keep anything for the next run.
	if smt, ok := L.GetMetatable(lua.LString("")).(*lua.LTable); ok {
		smt.RawSetString("__index", g.RawGetString("string"))
		view := e.readOnly(smt)
		getmt := raw.RawGetString("getmetatable").(*lua.LFunction).GFunction
		g.RawSetString("getmetatable", L.NewFunction(func(L *lua.LState) int {
			switch v := L.Get(1).(type) {
			case lua.LString:
				L.Push(view)
				return 1
			case *lua.LTable:
				// A read-only table is one in Redis, not a proxy: a
				// library has no metatable, _G a read-only one whose
				// __index refuses undeclared globals.
				if isReadOnly(v) {
					if v == e.env {
						L.Push(e.envMeta)
					} else {
						L.Push(lua.LNil)
					}
					return 1
				}
			}
			return getmt(L)
		}))
	}
	setmt := raw.RawGetString("setmetatable").(*lua.LFunction).GFunction
	g.RawSetString("setmetatable", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		if isReadOnly(t) {
			L.Error(lua.LString("Attempt to modify a readonly table"), 0)
			return 0
		}
		return setmt(L)
	}))
	e.globals = g
	e.env = e.readOnly(g)
	// A missing global is an error, as in Redis.
	gm := L.NewTable()
	gm.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(L.Get(2)))
		return 0
	}))
	L.SetMetatable(g, gm)
	e.envMeta = e.readOnly(gm)
	g.RawSetString("_G", e.env)
	L.Env = e.env
	L.G.Global = e.env
	e.errh = L.NewFunction(luaErrorHandler)
	e.ctx = &killCtx{ch: make(chan struct{}), eng: e}
	L.SetContext(e.ctx)
	L.G.Registry.RawSetString(engineRegistryKey, &lua.LUserData{Value: e, Metatable: lua.LNil})
	return e
}

// readOnlyMarker tags the metatables of read-only proxies (luaRawSet).
var readOnlyMarker = lua.LString("fastcache-readonly")

// readOnly returns an empty proxy that reads through to t and refuses
// writes with Redis's "Attempt to modify a readonly table".
func (e *luaEngine) readOnly(t *lua.LTable) *lua.LTable {
	L := e.L
	p := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	}))
	mt.RawSetString("__metatable", lua.LFalse)
	mt.RawSetString("__readonly", readOnlyMarker)
	L.SetMetatable(p, mt)
	return p
}

func isReadOnly(t *lua.LTable) bool {
	mt, ok := t.Metatable.(*lua.LTable)
	return ok && mt.RawGetString("__readonly") == readOnlyMarker
}

func luaRawSet(L *lua.LState) int {
	t := L.CheckTable(1)
	if isReadOnly(t) {
		L.Push(lua.LString("Attempt to modify a readonly table"))
		L.Error(L.Get(-1), 0)
		return 0
	}
	L.RawSet(t, L.CheckAny(2), L.CheckAny(3))
	L.Push(t)
	return 1
}

// luaToString is tostring with Lua 5.1's number format (%.14g), which
// gopher-lua's own does not use.
func luaToString(L *lua.LState) int {
	v := L.CheckAny(1)
	if n, ok := v.(lua.LNumber); ok {
		L.Push(lua.LString(luaNumberString(float64(n))))
		return 1
	}
	L.Push(lua.LString(L.ToStringMeta(v).String()))
	return 1
}

// luaPcall is Redis 7.0's pcall (luaRedisPcall): Lua's pcall, except that
// when what was raised is a table with an err field (what redis.call and
// error(redis.error_reply(...)) raise), the script gets that field, the
// error string, not the table: libraries test it with string.find (the
// BUSYGROUP of an XGROUP CREATE that ran before). xpcall's handler and
// redis.pcall's return still see the table, as in Redis.
func luaPcall(L *lua.LState) int {
	if L.GetTop() == 0 {
		// Redis calls the placeholder of its result, a boolean
		L.Push(lua.LFalse)
		L.Push(lua.LString("attempt to call a boolean value"))
		return 2
	}
	v := L.Get(1)
	if v.Type() != lua.LTFunction && L.GetMetaField(v, "__call").Type() != lua.LTFunction {
		L.Push(lua.LFalse)
		L.Push(lua.LString("attempt to call a " + v.Type().String() + " value"))
		return 2
	}
	err := L.PCall(L.GetTop()-1, lua.MultRet, pcallHandler())
	if err == nil {
		L.Insert(lua.LTrue, 1)
		return L.GetTop()
	}
	var obj lua.LValue = lua.LString(err.Error())
	if aerr, ok := err.(*lua.ApiError); ok {
		obj = aerr.Object
	}
	if t, ok := obj.(*lua.LTable); ok {
		switch e := L.GetField(t, "err").(type) {
		case lua.LString, lua.LNumber:
			obj = e
		}
	}
	if m, ok := obj.(lua.LString); ok {
		obj = lua.LString(quoteArgErrorName(string(m)))
	}
	L.Push(lua.LFalse)
	L.Push(obj)
	return 2
}

// quoteArgErrorName puts the function's name of gopher-lua's "bad argument
// #1 to sub (...)" in quotes, as Lua 5.1's luaL_argerror words it.
func quoteArgErrorName(msg string) string {
	i := strings.Index(msg, "bad argument #")
	if i < 0 {
		return msg
	}
	j := i + len("bad argument #")
	for j < len(msg) && msg[j] >= '0' && msg[j] <= '9' {
		j++
	}
	if !strings.HasPrefix(msg[j:], " to ") || strings.HasPrefix(msg[j+4:], "'") {
		return msg
	}
	j += 4
	k := strings.Index(msg[j:], " (")
	if k <= 0 || strings.ContainsAny(msg[j:j+k], " '") {
		return msg
	}
	return msg[:j] + "'" + msg[j:j+k] + "'" + msg[j+k:]
}

// luaErrorHandler turns what a script raised into Redis's error table
// {err=..., source=..., line=...}: a string becomes "ERR <text>", and the
// frame is where the error happened (the caller when it was raised by a
// Go function such as redis.call).
func luaErrorHandler(L *lua.LState) int {
	v := L.Get(1)
	t, ok := v.(*lua.LTable)
	if !ok {
		t = L.NewTable()
		s := "nil"
		switch x := v.(type) {
		case lua.LString:
			s = quoteArgErrorName(lua51ErrorText(L, 1, string(x)))
		case lua.LNumber:
			s = luaNumberString(float64(x))
		default:
			if v != lua.LNil {
				s = v.String()
			}
		}
		t.RawSetString("err", lua.LString("ERR "+s))
	}
	for level := 1; level < 8; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			break
		}
		if dbg.What == "G" || dbg.CurrentLine < 0 {
			continue
		}
		t.RawSetString("source", lua.LString("@"+dbg.Source))
		t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
		break
	}
	L.Push(t)
	return 1
}

// compileLua compiles a script body into a function prototype named
// name ("user_script" for EVAL, as Redis names it).
func compileLua(body, name string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(strings.NewReader(body), name)
	if err != nil {
		return nil, &luaSourceError{err, body}
	}
	// `..` as Lua 5.1's (script_concat.go), and no nesting deep enough to
	// overflow the compiler's stack
	if err := rewriteConcat(chunk); err != nil {
		if d, ok := err.(errTooDeep); ok {
			return nil, fmt.Errorf("%s:%d: %w", name, d.line, err)
		}
		return nil, err
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, &luaSourceError{err, body}
	}
	patchConcatCalls(proto)
	// gopher-lua marks a main chunk as needing Lua 5.0's implicit `arg`
	// table and builds one on every call; Lua 5.1's parser (Redis's) never
	// gives the main chunk one, and gopher-lua names no local for it there
	// either, so the table is unreachable: building it only cost every run
	// a table and a map.
	proto.IsVarArg &^= lua.VarArgNeedsArg
	return proto, nil
}

// luaLoadString is loadstring with the chunk compiled as scripts are
// (compileLua), named as Lua 5.1 names it: [string "first line..."].
func (e *luaEngine) luaLoadString(L *lua.LState) int {
	src := luaCheckString(L, 1, "loadstring")
	name := src
	if L.Get(2) != lua.LNil {
		name = luaCheckString(L, 2, "loadstring")
	}
	return e.loadChunk(L, src, name)
}

// luaLoad is load(func [, chunkname]): the chunk is what func returns,
// piece by piece, until nil or an empty string.
func (e *luaEngine) luaLoad(L *lua.LState) int {
	fn, ok := L.Get(1).(*lua.LFunction)
	if !ok {
		luaArgError(L, 1, "load", "function expected, got "+luaTypeName(L, 1))
	}
	name := "=(load)"
	if L.Get(2) != lua.LNil {
		name = luaCheckString(L, 2, "load")
	}
	var sb strings.Builder
	for {
		L.Push(fn)
		L.Call(0, 1)
		v := L.Get(-1)
		L.Pop(1)
		if v == lua.LNil {
			break
		}
		s, ok := v.(lua.LString)
		if !ok {
			L.Push(lua.LNil)
			L.Push(lua.LString("reader function must return a string"))
			return 2
		}
		if len(s) == 0 {
			break
		}
		sb.WriteString(string(s))
	}
	return e.loadChunk(L, sb.String(), name)
}

func (e *luaEngine) loadChunk(L *lua.LState, src, name string) int {
	if strings.HasPrefix(src, "\x1b") {
		// A binary chunk (string.dump's) is refused, as Redis refuses
		// them: its Lua reads it as text.
		L.Push(lua.LNil)
		L.Push(lua.LString(luaChunkID(name, 80) + ":1: unexpected symbol near 'char(27)'"))
		return 2
	}
	// Lua 5.1 names a chunk in up to 60 bytes at run time, 80 in the
	// parser's messages
	proto, err := compileLua(src, luaChunkID(name, 60))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(compileError(err, luaChunkID(name, 80), strings.Count(src, "\n")+1)))
		return 2
	}
	fn := L.NewFunctionFromProto(proto)
	fn.Env = e.env
	L.Push(fn)
	return 1
}

// luaChunkID is luaO_chunkid: how Lua 5.1 names a chunk in messages.
func luaChunkID(source string, idSize int) string {
	if i := strings.IndexByte(source, 0); i >= 0 {
		source = source[:i] // a C string
	}
	switch {
	case strings.HasPrefix(source, "="):
		s := source[1:]
		if len(s) > idSize-1 {
			s = s[:idSize-1]
		}
		return s
	case strings.HasPrefix(source, "@"):
		s := source[1:]
		if n := idSize - 8; len(s) > n {
			s = "..." + s[len(s)-n:]
		}
		return s
	}
	n := strings.IndexAny(source, "\n\r")
	if n < 0 {
		n = len(source)
	}
	limit := idSize - 17
	if n > limit {
		n = limit
	}
	if n < len(source) {
		return `[string "` + source[:n] + `..."]`
	}
	return `[string "` + source + `"]`
}

// setsGlobals reports whether p or a function defined in it assigns a
// global. One that never does runs with the globals table itself as its
// environment, not the read-only proxy in front of it: each global it reads
// is then one lookup instead of three (proxy, metatable, table), and it has
// no way to write one (_G and rawset still meet the proxy, loadstring's
// chunks get it too), so the sandbox is the same.
func setsGlobals(p *lua.FunctionProto) bool {
	for _, inst := range p.Code {
		if int(inst>>26) == lua.OP_SETGLOBAL {
			return true
		}
	}
	for _, c := range p.FunctionPrototypes {
		if setsGlobals(c) {
			return true
		}
	}
	return false
}

// envFor is the environment a function of proto p runs in (setsGlobals).
func (e *luaEngine) envFor(p *lua.FunctionProto) *lua.LTable {
	if p == nil || setsGlobals(p) {
		return e.env
	}
	return e.globals
}

// compileError formats a gopher-lua compile error the way Redis's Lua
// reports them: "user_script:<line>: <message>".
func compileError(err error, name string, lastLine int) string {
	if se, ok := err.(*luaSourceError); ok {
		// Lua 5.1's own words, when its reading finds the error
		if msg := lua51SyntaxCheck(se.src, name); msg != "" {
			return msg
		}
		err = se.err
	}
	msg := err.Error()
	if pe, ok := err.(*parse.Error); ok {
		tok := pe.Token
		if tok == "" || tok == "EOF" {
			tok = "<eof>"
		}
		line := pe.Pos.Line
		if line < 1 { // at the end of the input
			line = max(lastLine, 1)
		}
		return name + ":" + itoa(line) + ": " + strings.TrimSpace(pe.Message) + " near '" + tok + "'"
	}
	return strings.ReplaceAll(msg, "\n", " ")
}

func sha1hex(b []byte) string {
	h := sha1.Sum(b)
	return hex.EncodeToString(h[:])
}

// kill stops the script in progress at its next instruction.
func (e *luaEngine) kill() { e.ctx.close() }

var killMu sync.Mutex

func (k *killCtx) close() {
	killMu.Lock()
	defer killMu.Unlock()
	select {
	case <-k.ch:
	default:
		close(k.ch)
	}
}

// rearm gives the state a fresh context after a killed run.
func (e *luaEngine) rearm() {
	select {
	case <-e.ctx.ch:
		e.ctx = &killCtx{ch: make(chan struct{}), eng: e}
		e.L.SetContext(e.ctx)
	default:
	}
}

// ---- math.random as Redis's (rand48) ----

var luaRand48 uint64 = 0x1234ABCD330E

func redisLrand48() int32 {
	luaRand48 = (0x5DEECE66D*luaRand48 + 0xB) & (1<<48 - 1)
	return int32(luaRand48 >> 17)
}

// luaCheckInt is luaL_checkint: luaL_checknumber cast to a C int.
func luaCheckInt(L *lua.LState, n int, fn string) int {
	f := luaCheckNumber(L, n, fn)
	if f != f || f >= 2147483648 || f < -2147483648 {
		return math.MinInt32
	}
	return int(int32(f))
}

func luaMathRandom(L *lua.LState) int {
	const maxR = 2147483647
	r := float64(int64(redisLrand48())%maxR) / maxR
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := luaCheckInt(L, 1, "random")
		if u < 1 {
			luaArgError(L, 1, "random", "interval is empty")
		}
		L.Push(lua.LNumber(floor(r*float64(u)) + 1))
	case 2:
		l, u := luaCheckInt(L, 1, "random"), luaCheckInt(L, 2, "random")
		if l > u {
			luaArgError(L, 2, "random", "interval is empty")
		}
		L.Push(lua.LNumber(floor(r*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

func luaMathRandomSeed(L *lua.LState) int {
	seed := int32(luaCheckInt(L, 1, "randomseed"))
	luaRand48 = uint64(uint32(seed))<<16 | 0x330E
	return 0
}
