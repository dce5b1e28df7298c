package server

// FUNCTION and FCALL: libraries of Lua functions ("#!lua name=<lib>")
// that register their functions with redis.register_function when loaded.
// They run in a Lua state of their own and the same way as EVAL scripts
// (atomically, one WAL group). Libraries are part of the data: every
// change is logged and snapshotted (function_persist.go), so they come
// back after a restart and reach replicas.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc64"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"fastcache/cache"
	"fastcache/internal/glob"
	"fastcache/internal/rdb"
)

// functions is the FUNCTION state, guarded by scripting.runMu.
type functions struct {
	eng   *luaEngine
	libs  map[string]*luaLibrary
	funcs map[string]*luaFunction
	// counts for FUNCTION STATS and INFO, readable while a function runs;
	// bytes: the libraries' names and code (INFO used_memory_functions)
	nlibs, nfuncs, bytes atomic.Int64
	// gen counts changes of funcs; last is FCALL's last lookup (fcall)
	gen  atomic.Uint64
	last atomic.Pointer[fnLookup]
}

// fnLookup is a function found by name while funcs was at generation gen.
type fnLookup struct {
	gen  uint64
	name string
	fn   *luaFunction
}

func (f *functions) init() {
	f.libs = map[string]*luaLibrary{}
	f.funcs = map[string]*luaFunction{}
	f.gen.Add(1)
}

// luaLibrary is one loaded library.
type luaLibrary struct {
	name  string
	code  string
	funcs map[string]*luaFunction
	eng   *luaEngine // the state its functions live in
}

// luaFunction is one registered function.
type luaFunction struct {
	name  string
	desc  *string
	flags scriptFlags
	fn    *lua.LFunction
	lib   *luaLibrary
	// keys and args of the last call, refilled by the next one when the
	// function never lets them out (paramsStayLocal; runMu held)
	reuse      bool
	keys, args *lua.LTable
	// it ends within a few thousand instructions (script_bounded.go)
	bounded bool
}

// libraryLoad collects what a library registers while it loads.
type libraryLoad struct {
	lib *luaLibrary
	err string
}

// functionEngine returns the functions' Lua state (runMu held by callers
// that run code in it).
func (s *Server) functionEngine() *luaEngine {
	s.scr.mu.Lock()
	defer s.scr.mu.Unlock()
	if s.scr.fn.eng == nil {
		e := newLuaEngine(s)
		e.caller = s.newScriptClient()
		s.scr.fn.eng = e
	}
	return s.scr.fn.eng
}

func init() {
	fnCmd := func(name string, arity int, since, summary string, h func(*Client, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Group: "scripting", Since: since, Summary: summary, Handler: h}
	}
	function := &Command{Name: "function", Arity: -2, Group: "scripting", Since: "7.0.0",
		Summary: "A container for function commands"}
	function.Handler = func(c *Client, args [][]byte) { runSub(c, function, args) }
	function.Sub = subTable(
		fnCmd("function|load", -3, "7.0.0", "Creates a library.", functionLoad).with(flagWrite|flagDenyOOM),
		fnCmd("function|delete", 3, "7.0.0", "Deletes a library and its functions.", functionDelete).with(flagWrite),
		fnCmd("function|flush", -2, "7.0.0", "Deletes all libraries and functions.", functionFlush).with(flagWrite),
		fnCmd("function|list", -2, "7.0.0", "Returns information about all libraries.", functionList),
		fnCmd("function|dump", 2, "7.0.0", "Dumps all libraries into a serialized binary payload.", functionDump),
		fnCmd("function|restore", -3, "7.0.0", "Restores all libraries from a payload.", functionRestore).with(flagWrite|flagDenyOOM),
		fnCmd("function|stats", 2, "7.0.0", "Returns information about a function during execution.", functionStats),
		fnCmd("function|kill", 2, "7.0.0", "Terminates a function during execution.", func(c *Client, _ [][]byte) { killScript(c, false) }),
		fnCmd("function|help", 2, "7.0.0", "Returns helpful text about the different subcommands.", functionHelp).with(flagLoading),
	)
	register(
		fnCmd("fcall", -3, "7.0.0", "Invokes a function.", func(c *Client, a [][]byte) { fcall(c, a, false) }),
		fnCmd("fcall_ro", -3, "7.0.0", "Invokes a read-only function.", func(c *Client, a [][]byte) { fcall(c, a, true) }),
		function,
	)
	commands["fcall_ro"].Flags |= flagReadOnly | flagScriptRO
}

// fnKey is a function's key in the server's map of functions: Redis's is
// case-insensitive (FCALL TEST runs test); a library's own map is not.
func fnKey(name []byte) string { return strings.ToLower(string(name)) }

func fcall(c *Client, args [][]byte, ro bool) {
	s := c.srv
	// A client calls the same function over and over: the last lookup is
	// kept while the functions stay as they were.
	var f *luaFunction
	if l := s.scr.fn.last.Load(); l != nil && l.name == string(args[1]) && l.gen == s.scr.fn.gen.Load() {
		f = l.fn
	} else {
		s.scr.runMu.Lock()
		f = s.scr.fn.funcs[fnKey(args[1])]
		if f != nil {
			s.scr.fn.last.Store(&fnLookup{gen: s.scr.fn.gen.Load(), name: string(args[1]), fn: f})
		}
		s.scr.runMu.Unlock()
	}
	if f == nil {
		c.reply.Error("ERR Function not found")
		return
	}
	if _, ok := parseInt64(args[2]); !ok {
		c.reply.Error("ERR Bad number of keys provided") // FCALL's own text
		return
	}
	numkeys, ok := parseScriptNumKeys(c, args)
	if !ok {
		return
	}
	if msg := s.scriptAdmission(f.flags, ro); msg != "" {
		c.reply.Error(msg)
		return
	}
	s.runScript(c, scriptCall{fn: f, args: args, name: f.name, flags: f.flags, ro: ro}, args[3:3+numkeys], args[3+numkeys:])
}

// validName is Redis's rule for library and function names.
func validFunctionName(s string) bool {
	if s == "" {
		return false
	}
	for _, ch := range s {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}

// parseLibraryHeader reads "#!lua name=<lib>".
func parseLibraryHeader(code string) (name, body, msg string) {
	if !strings.HasPrefix(code, "#!") {
		return "", "", "ERR Missing library metadata"
	}
	end := strings.IndexByte(code, '\n')
	if end < 0 {
		end = len(code)
	}
	parts, ok := splitArgs(code[:end])
	if !ok || len(parts) == 0 {
		return "", "", "ERR Invalid library metadata"
	}
	engine := strings.TrimPrefix(parts[0], "#!")
	if !strings.EqualFold(engine, "lua") {
		return "", "", "ERR Engine '" + engine + "' not found"
	}
	given := false
	for _, p := range parts[1:] {
		if len(p) < 5 || !strings.EqualFold(p[:5], "name=") {
			return "", "", "ERR Invalid metadata value given: " + p
		}
		if given {
			return "", "", "ERR Invalid metadata value, name argument was given multiple times"
		}
		name, given = p[len("name="):], true
	}
	if !given {
		return "", "", "ERR Library name was not given"
	}
	if !validFunctionName(name) {
		return "", "", "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
	}
	return name, "--" + strings.Repeat(" ", max(end-2, 0)) + code[end:], ""
}

// functionLoadTimeout bounds FUNCTION LOAD's run of a library's code
// (Redis's LOAD_TIMEOUT_MS): it only registers functions.
const functionLoadTimeout = 500 * time.Millisecond

// errLoadTimeout is what stops a library's code that runs too long.
var errLoadTimeout = errors.New("FUNCTION LOAD timeout")

// loadTimeoutCtx stops the load's Lua at its deadline with errLoadTimeout.
type loadTimeoutCtx struct {
	context.Context
	eng *luaEngine // (redisCallK)
}

func (c loadTimeoutCtx) Value(key any) any {
	if _, ok := key.(engineKey); ok {
		return c.eng
	}
	return c.Context.Value(key)
}

func (c loadTimeoutCtx) Err() error {
	if c.Context.Err() != nil {
		return errLoadTimeout
	}
	return nil
}

// compileLibrary runs a library's code in the functions engine and returns
// what it registered (runMu held); a run longer than timeout (0: none, for
// FUNCTION RESTORE and the log's replay, as Redis's) fails.
func (s *Server) compileLibrary(code string, timeout time.Duration) (*luaLibrary, string) {
	name, body, msg := parseLibraryHeader(code)
	if msg != "" {
		return nil, msg
	}
	proto, err := compileLua(body, "user_function")
	if err != nil {
		return nil, "ERR Error compiling function: " + compileError(err, "user_function", strings.Count(body, "\n")+1)
	}
	e := s.functionEngine()
	L := e.L
	lib := &luaLibrary{name: name, code: code, funcs: map[string]*luaFunction{}, eng: e}
	ld := &libraryLoad{lib: lib}
	e.loading = ld
	fn := L.NewFunctionFromProto(proto)
	fn.Env = e.loadEnv()
	e.rearm() // a FUNCTION KILL of the engine's last run must not stop this load
	var expired func() bool
	if timeout > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		defer L.SetContext(e.ctx)
		L.SetContext(loadTimeoutCtx{ctx, e})
		expired = func() bool { return ctx.Err() != nil }
	}
	L.Push(fn)
	perr := L.PCall(0, 0, e.errh)
	e.loading = nil
	L.SetTop(0)
	if perr != nil && expired != nil && expired() {
		return nil, "ERR Error registering functions: ERR FUNCTION LOAD timeout"
	}
	if perr != nil {
		msg := "execution failure"
		if ae, ok := perr.(*lua.ApiError); ok {
			if t, ok := ae.Object.(*lua.LTable); ok {
				msg = lua.LVAsString(t.RawGetString("err"))
			}
		}
		return nil, "ERR Error registering functions: " + msg
	}
	if ld.err != "" {
		return nil, ld.err
	}
	if len(lib.funcs) == 0 {
		return nil, "ERR No functions registered"
	}
	// Function bodies run with the full redis API.
	for _, f := range lib.funcs {
		f.fn.Env = e.envFor(f.fn.Proto)
	}
	// From now on `redis` is the full API in every function of the
	// library (while it loaded, redis.call did not exist): the lookups of
	// redis.call become constants (script_callconst.go).
	patchRedisCalls(proto)
	for _, f := range lib.funcs {
		f.bounded = !f.fn.IsG && boundedScript(f.fn.Proto)
	}
	return lib, ""
}

// loadEnv is what a library sees while it loads: the globals, with a
// `redis` that can only register functions and log.
func (e *luaEngine) loadEnv() *lua.LTable {
	L := e.L
	r := L.NewTable()
	full := e.globals.RawGetString("redis").(*lua.LTable)
	fullRaw := full.Metatable.(*lua.LTable).RawGetString("__index").(*lua.LTable)
	for _, k := range []string{"log", "REDIS_VERSION", "REDIS_VERSION_NUM", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"} {
		r.RawSetString(k, fullRaw.RawGetString(k))
	}
	r.RawSetString("register_function", L.NewFunction(e.registerFunction))
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(L.Get(2)))
		return 0
	}))
	L.SetMetatable(r, mt)
	// What the library's code reads is looked up when read, as Redis
	// swaps its globals' __index for the load: while it loads, `redis`
	// (the part above) is its only global, as in Redis 7.0; a function
	// the code defines (a local helper its registered functions call)
	// sees every global and the full redis API once the load is over.
	restricted := e.readOnly(r)
	g := L.NewTable()
	gm := L.NewTable()
	gm.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		k := L.Get(2)
		switch {
		case e.loading == nil:
			L.Push(L.GetTable(e.env, k))
		case k == lua.LString("redis"):
			L.Push(restricted)
		default:
			L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(k))
		}
		return 1
	}))
	gm.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	}))
	L.SetMetatable(g, gm)
	return g
}

func (e *luaEngine) registerFunction(L *lua.LState) int {
	ld := e.loading
	if ld == nil {
		return raise(L, "redis.register_function can only be called on FUNCTION LOAD command")
	}
	var name string
	var cb *lua.LFunction
	var desc *string
	var flags scriptFlags
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			return raise(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var msg string
		t.ForEach(func(k, v lua.LValue) {
			if msg != "" {
				return
			}
			ks, ok := k.(lua.LString)
			if !ok {
				msg = "named argument key given to redis.register_function is not a string"
				return
			}
			switch string(ks) {
			case "function_name":
				s, ok := v.(lua.LString)
				if !ok {
					msg = "function_name argument given to redis.register_function must be a string"
					return
				}
				name = string(s)
			case "description":
				s, ok := v.(lua.LString)
				if !ok {
					msg = "description argument given to redis.register_function must be a string"
					return
				}
				d := string(s)
				desc = &d
			case "callback":
				f, ok := v.(*lua.LFunction)
				if !ok {
					msg = "callback argument given to redis.register_function must be a function"
					return
				}
				cb = f
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					msg = "flags argument to redis.register_function must be a table representing function flags"
					return
				}
				ft.ForEach(func(_, fv lua.LValue) {
					fs, ok := fv.(lua.LString)
					found := false
					for _, d := range scriptFlagNames {
						if ok && d.name == string(fs) {
							flags |= d.flag
							found = true
						}
					}
					if !found && msg == "" {
						msg = "unknown flag given"
					}
				})
			default:
				msg = "unknown argument given to redis.register_function"
			}
		})
		if msg != "" {
			return raise(L, msg)
		}
		if name == "" {
			return raise(L, "redis.register_function must get a function name argument")
		}
		if cb == nil {
			return raise(L, "redis.register_function must get a callback argument")
		}
	case 2:
		s, ok1 := L.Get(1).(lua.LString)
		f, ok2 := L.Get(2).(*lua.LFunction)
		if !ok1 {
			return raise(L, "first argument to redis.register_function must be a string")
		}
		if !ok2 {
			return raise(L, "second argument to redis.register_function must be a function")
		}
		name, cb = string(s), f
	default:
		return raise(L, "wrong number of arguments to redis.register_function")
	}
	if !validFunctionName(name) {
		// (Redis 7.0 words it so, for a function's name)
		return raise(L, "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	if ld.lib.funcs[name] != nil {
		return raise(L, "Function already exists in the library")
	}
	ld.lib.funcs[name] = &luaFunction{name: name, desc: desc, flags: flags, fn: cb, lib: ld.lib, reuse: !cb.IsG && paramsStayLocal(cb.Proto)}
	return 0
}

// installLibrary adds lib, replacing the library of the same name when
// replace is set (runMu held). It returns the error text, or "".
func (f *functions) install(lib *luaLibrary, replace bool) string {
	old := f.libs[lib.name]
	if old != nil && !replace {
		return "ERR Library '" + lib.name + "' already exists"
	}
	for name := range lib.funcs {
		if other := f.funcs[fnKey([]byte(name))]; other != nil && other.lib != old {
			return "ERR Function " + name + " already exists"
		}
	}
	if old != nil {
		f.remove(old.name)
	}
	f.libs[lib.name] = lib
	for name, fn := range lib.funcs {
		f.funcs[fnKey([]byte(name))] = fn
	}
	f.gen.Add(1)
	f.bytes.Add(int64(len(lib.name) + len(lib.code)))
	f.nlibs.Store(int64(len(f.libs)))
	f.nfuncs.Store(int64(len(f.funcs)))
	return ""
}

func (f *functions) remove(name string) bool {
	lib := f.libs[name]
	if lib == nil {
		return false
	}
	for n := range lib.funcs {
		if k := fnKey([]byte(n)); f.funcs[k] != nil && f.funcs[k].lib == lib {
			delete(f.funcs, k)
		}
	}
	f.gen.Add(1)
	delete(f.libs, name)
	f.bytes.Add(-int64(len(lib.name) + len(lib.code)))
	f.nlibs.Store(int64(len(f.libs)))
	f.nfuncs.Store(int64(len(f.funcs)))
	return true
}

// flush drops every library (runMu held). The Lua state is dropped, not
// closed: a call that looked its function up just before still runs.
func (s *Server) flushFunctions() {
	f := &s.scr.fn
	f.init()
	f.bytes.Store(0)
	f.nlibs.Store(0)
	f.nfuncs.Store(0)
	s.scr.mu.Lock()
	f.eng = nil
	s.scr.mu.Unlock()
}

// functionsChange applies a FUNCTION change atomically with the data (a
// script in progress never sees half of it) and logs it (function_persist.go);
// k is the caller's keyspace (in EXEC: its transaction).
func (s *Server) functionsChange(k cache.Keyspace, fn func(ks cache.Keyspace)) {
	if k.InTx() {
		s.scr.runMu.Lock()
		fn(k)
		s.scr.runMu.Unlock()
		return
	}
	s.cache.Atomic(nil, func(ks cache.Keyspace) {
		s.scr.runMu.Lock()
		fn(ks)
		s.scr.runMu.Unlock()
	})
}

func functionLoad(c *Client, args [][]byte) {
	replace := false
	code := args[len(args)-1]
	for _, a := range args[2 : len(args)-1] {
		if eqFold(a, "replace") {
			replace = true
			continue
		}
		c.reply.Error("ERR Unknown option given: " + string(a))
		return
	}
	if len(args) > 4 {
		c.reply.Error(msgSyntaxErr)
		return
	}
	if err := c.checkWrite(!c.ks.InTx()); err != nil { // in EXEC the shards are held: no eviction
		c.reply.Err(err)
		return
	}
	s := c.srv
	var name, msg string
	s.functionsChange(c.ks, func(ks cache.Keyspace) {
		lib, m := s.compileLibrary(string(code), functionLoadTimeout)
		if lib == nil {
			msg = m
			return
		}
		if m := s.scr.fn.install(lib, replace); m != "" {
			msg = m
			return
		}
		name = lib.name
		logFunctionLoad(ks, lib.name, lib.code)
	})
	if msg != "" {
		c.reply.Error(msg)
		return
	}
	c.wrote = true
	c.reply.BulkString(name)
}

func functionDelete(c *Client, args [][]byte) {
	if err := c.checkWrite(false); err != nil {
		c.reply.Err(err)
		return
	}
	s := c.srv
	found := false
	s.functionsChange(c.ks, func(ks cache.Keyspace) {
		if found = s.scr.fn.remove(string(args[2])); found {
			logFunctionDelete(ks, string(args[2]))
		}
	})
	if !found {
		c.reply.Error("ERR Library not found")
		return
	}
	c.wrote = true
	c.reply.OK()
}

// functionSyntaxErr is Redis's addReplySubcommandSyntaxError for FUNCTION.
func functionSyntaxErr(c *Client, args [][]byte) {
	c.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + sanitize(args[1], 128) + "'. Try FUNCTION HELP.")
}

func functionFlush(c *Client, args [][]byte) {
	if len(args) > 3 {
		functionSyntaxErr(c, args)
		return
	}
	if len(args) == 3 && !eqFold(args[2], "sync") && !eqFold(args[2], "async") {
		c.reply.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	if err := c.checkWrite(false); err != nil {
		c.reply.Err(err)
		return
	}
	s := c.srv
	s.functionsChange(c.ks, func(ks cache.Keyspace) {
		s.flushFunctions()
		logFunctionFlush(ks)
	})
	c.wrote = true
	c.reply.OK()
}

func functionList(c *Client, args [][]byte) {
	withCode := false
	var pattern []byte
	for i := 2; i < len(args); i++ {
		switch {
		case eqFold(args[i], "withcode"):
			if withCode {
				c.reply.Error("ERR Unknown argument " + string(args[i]))
				return
			}
			withCode = true
		case eqFold(args[i], "libraryname"):
			if pattern != nil { // given again: Redis no longer takes it as the option
				c.reply.Error("ERR Unknown argument " + string(args[i]))
				return
			}
			if i+1 >= len(args) {
				c.reply.Error("ERR library name argument was not given")
				return
			}
			pattern = args[i+1]
			i++
		default:
			c.reply.Error("ERR Unknown argument " + string(args[i]))
			return
		}
	}
	s := c.srv
	s.scr.runMu.Lock()
	defer s.scr.runMu.Unlock()
	var libs []*luaLibrary
	for _, l := range s.scr.fn.libs {
		if pattern == nil || glob.Match(pattern, []byte(l.name), false) {
			libs = append(libs, l)
		}
	}
	sort.Slice(libs, func(i, j int) bool { return libs[i].name < libs[j].name })
	c.reply.Array(len(libs))
	for _, l := range libs {
		if withCode {
			c.reply.Map(4)
		} else {
			c.reply.Map(3)
		}
		c.reply.BulkString("library_name")
		c.reply.BulkString(l.name)
		c.reply.BulkString("engine")
		c.reply.BulkString("LUA")
		c.reply.BulkString("functions")
		names := make([]string, 0, len(l.funcs))
		for n := range l.funcs {
			names = append(names, n)
		}
		sort.Strings(names)
		c.reply.Array(len(names))
		for _, n := range names {
			f := l.funcs[n]
			c.reply.Map(3)
			c.reply.BulkString("name")
			c.reply.BulkString(f.name)
			c.reply.BulkString("description")
			if f.desc != nil {
				c.reply.BulkString(*f.desc)
			} else {
				c.reply.Null()
			}
			c.reply.BulkString("flags")
			var fl []string
			for _, d := range scriptFlagNames {
				if f.flags&d.flag != 0 {
					fl = append(fl, d.name)
				}
			}
			c.reply.Set(len(fl))
			for _, x := range fl {
				c.reply.Simple(x)
			}
		}
		if withCode {
			c.reply.BulkString("library_code")
			c.reply.BulkString(l.code)
		}
	}
}

// FUNCTION DUMP writes Redis 7.0's payload (internal/rdb: each library's
// code after the RDB_OPCODE_FUNCTION2 opcode, then the RDB version and a
// CRC-64), so libraries move between fastcache and Redis both ways.
// FUNCTION RESTORE also takes the payloads earlier fastcache versions wrote
// ("FCFN" | version u16 | count u32 | (len u32 | code)* | CRC-64 ECMA).
const functionDumpVersion = 1

var crcTable = crc64.MakeTable(crc64.ECMA)

func functionDump(c *Client, args [][]byte) {
	s := c.srv
	s.scr.runMu.Lock()
	var names []string
	for n := range s.scr.fn.libs {
		names = append(names, n)
	}
	sort.Strings(names)
	codes := make([][]byte, 0, len(names))
	for _, n := range names {
		codes = append(codes, []byte(s.scr.fn.libs[n].code))
	}
	s.scr.runMu.Unlock()
	c.reply.Bulk(rdb.AppendFunctions(codes))
}

// parseFunctionDump returns the library codes of a FUNCTION DUMP payload,
// or the error FUNCTION RESTORE replies.
func parseFunctionDump(b []byte) ([]string, string) {
	const wrong = "ERR DUMP payload version or checksum are wrong"
	if bytes.HasPrefix(b, []byte("FCFN")) {
		if codes, ok := parseLegacyFunctionDump(b); ok {
			return codes, ""
		}
	}
	raw, err := rdb.DecodeFunctions(b)
	if err == rdb.ErrChecksum {
		return nil, wrong
	}
	if err != nil {
		return nil, "ERR " + err.Error()
	}
	codes := make([]string, len(raw))
	for i, c := range raw {
		codes[i] = string(c)
	}
	return codes, ""
}

func parseLegacyFunctionDump(b []byte) ([]string, bool) {
	if len(b) < 18 || !bytes.HasPrefix(b, []byte("FCFN")) {
		return nil, false
	}
	body, sum := b[:len(b)-8], binary.LittleEndian.Uint64(b[len(b)-8:])
	if crc64.Checksum(body, crcTable) != sum || binary.LittleEndian.Uint16(body[4:]) != functionDumpVersion {
		return nil, false
	}
	n := binary.LittleEndian.Uint32(body[6:])
	p := body[10:]
	var codes []string
	for i := uint32(0); i < n; i++ {
		if len(p) < 4 {
			return nil, false
		}
		l := binary.LittleEndian.Uint32(p)
		if uint64(l) > uint64(len(p)-4) {
			return nil, false
		}
		codes = append(codes, string(p[4:4+l]))
		p = p[4+l:]
	}
	return codes, len(p) == 0
}

func functionRestore(c *Client, args [][]byte) {
	policy := "append"
	if len(args) > 4 {
		functionSyntaxErr(c, args)
		return
	}
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "append"):
		case eqFold(args[3], "flush"):
			policy = "flush"
		case eqFold(args[3], "replace"):
			policy = "replace"
		default:
			c.reply.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	codes, bad := parseFunctionDump(args[2])
	if bad != "" {
		c.reply.Error(bad)
		return
	}
	if err := c.checkWrite(!c.ks.InTx()); err != nil { // in EXEC the shards are held: no eviction
		c.reply.Err(err)
		return
	}
	s := c.srv
	var msg string
	s.functionsChange(c.ks, func(ks cache.Keyspace) {
		// Compile everything first: a bad library changes nothing.
		var libs []*luaLibrary
		for _, code := range codes {
			lib, m := s.compileLibrary(code, 0)
			if lib == nil {
				msg = m
				return
			}
			libs = append(libs, lib)
		}
		// The payload's libraries among themselves (Redis loads them into a
		// context of their own first), then as Redis's libraryJoin judges
		// them against the loaded ones, before anything changes: an existing
		// library is an error unless REPLACE replaces it, and then no
		// function may collide with one of a library that stays.
		seen, seenFn := map[string]bool{}, map[string]bool{}
		for _, l := range libs {
			if seen[l.name] {
				msg = "ERR Library '" + l.name + "' already exists"
				return
			}
			seen[l.name] = true
			for fn := range l.funcs {
				if seenFn[fn] {
					msg = "ERR Function " + fn + " already exists"
					return
				}
				seenFn[fn] = true
			}
		}
		if policy != "flush" {
			for _, l := range libs {
				if policy == "append" && s.scr.fn.libs[l.name] != nil {
					msg = "ERR Library " + l.name + " already exists"
					return
				}
			}
			for _, l := range libs {
				for fn := range l.funcs {
					if other := s.scr.fn.funcs[fnKey([]byte(fn))]; other != nil && !seen[other.lib.name] {
						msg = "ERR Function " + fn + " already exists"
						return
					}
				}
			}
		}
		if policy == "flush" {
			for name := range s.scr.fn.libs {
				s.scr.fn.remove(name)
			}
			logFunctionFlush(ks)
		}
		for _, l := range libs {
			if m := s.scr.fn.install(l, policy != "append"); m != "" {
				msg = m
				return
			}
			logFunctionLoad(ks, l.name, l.code)
		}
	})
	if msg != "" {
		c.reply.Error(msg)
		return
	}
	c.wrote = true
	c.reply.OK()
}

func functionStats(c *Client, args [][]byte) {
	s := c.srv
	c.reply.Map(2)
	c.reply.BulkString("running_script")
	r := loadRun(&s.scr.running)
	if r != nil {
		defer r.release()
	}
	if r != nil && !r.call.eval {
		c.reply.Map(3)
		c.reply.BulkString("name")
		c.reply.BulkString(r.call.name)
		c.reply.BulkString("command")
		if cl := r.cmdline.Load(); cl != nil {
			c.reply.Array(len(*cl))
			for _, a := range *cl {
				c.reply.BulkString(a)
			}
		} else {
			c.reply.Array(1)
			c.reply.BulkString("fcall")
		}
		c.reply.BulkString("duration_ms")
		c.reply.Int((monotonic() - r.start).Milliseconds())
	} else {
		c.reply.Null()
	}
	c.reply.BulkString("engines")
	c.reply.Map(1)
	c.reply.BulkString("LUA")
	c.reply.Map(2)
	// Counters, not the maps: runMu may be held by the busy function.
	c.reply.BulkString("libraries_count")
	c.reply.Int(s.scr.fn.nlibs.Load())
	c.reply.BulkString("functions_count")
	c.reply.Int(s.scr.fn.nfuncs.Load())
}

var functionHelpLines = []string{
	"LOAD [REPLACE] <FUNCTION CODE>",
	"    Create a new library with the given library name and code.",
	"DELETE <LIBRARY NAME>",
	"    Delete the given library.",
	"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
	"    Return general information on all the libraries:",
	"    * Library name",
	"    * The engine used to run the Library",
	"    * Library description",
	"    * Functions list",
	"    * Library code (if WITHCODE is given)",
	"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
	"STATS",
	"    Return information about the current function running:",
	"    * Function name",
	"    * Command used to run the function",
	"    * Duration in MS that the function is running",
	"    If no function is running, return nil",
	"    In addition, returns a list of available engines.",
	"KILL",
	"    Kill the current running function.",
	"FLUSH [ASYNC|SYNC]",
	"    Delete all the libraries.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the libraries.",
	"    * SYNC: Synchronously flush the libraries.",
	"DUMP",
	"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
	"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
	"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
	"    control how to handle existing libraries (default APPEND):",
	"    * FLUSH: delete all existing libraries.",
	"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
	"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
	"      libraries with the new libraries (notice that even on this option there is a chance of failure",
	"      in case of functions name collision with another library).",
}

func functionHelp(c *Client, args [][]byte) { replyHelp(c, "function", functionHelpLines) }
