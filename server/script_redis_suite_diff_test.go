package server

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

// What Redis's own scripting and functions units check of scripts, byte for
// byte with redis-server: DEBUG SET-DISABLE-DENY-SCRIPTS, the clock that
// stands still while a script runs, DEBUG OBJECT of a key whose time has
// passed.
func TestRedisDiffScriptSuiteHooks(t *testing.T) {
	redisAddr := diffRedisServer(t, "--enable-debug-command", "yes")
	fc := startServer(t, "enable-debug-command", "yes")
	c := func(args ...string) diffStep { return diffStep{args: args} }
	eval := func(body string, keysAndArgs ...string) diffStep {
		return diffStep{args: append([]string{"EVAL", body}, keysAndArgs...)}
	}
	// a script that runs for 5 ms without calling anything but TIME
	const spin = "local t = redis.call('TIME'); repeat local n = redis.call('TIME') until (n[1] - t[1]) * 1000000 + (n[2] - t[2]) > 5000; "
	runDiffScriptsAt(t, redisAddr, fc, bothProtocols([]diffScript{
		{"set-disable-deny-scripts", []diffStep{
			eval("return redis.call('debug', 'protocol', 'string')", "0"),
			eval("return redis.call('client', 'list') ~= nil", "0"),
			c("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"),
			eval("return redis.call('debug', 'protocol', 'string')", "0"),
			eval("return redis.call('debug', 'protocol', 'integer')", "0"),
			eval("return redis.call('debug', 'protocol', 'bignum')", "0"),
			eval("redis.setresp(3); return redis.call('debug', 'protocol', 'bignum')", "0"),
			eval("return type(redis.call('client', 'list'))", "0"),
			c("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "x"), // atoi: 0
			eval("return redis.call('debug', 'protocol', 'string')", "0"),
			c("DEBUG", "SET-DISABLE-DENY-SCRIPTS"),
			c("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1", "2"),
			c("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0"),
		}},
		{"time-stands-still-in-a-script", []diffStep{
			eval("redis.call('SET', KEYS[1], 'v', 'PX', '1'); "+spin+"return redis.call('EXISTS', KEYS[1])", "1", "k"),
			eval(spin+"return redis.call('EXISTS', KEYS[1])", "1", "k"),
			c("EXISTS", "k"),
			eval("redis.call('SET', KEYS[1], 'v', 'PX', '1'); "+spin+"return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]) >= 0}", "1", "k2"),
			// EXPIRE 0 deletes the key at once, also in a script
			c("SET", "mykey", "myval"),
			eval("redis.call('set', KEYS[1], 0); redis.call('expire', KEYS[1], 0); return redis.call('geoadd', KEYS[1], 0, 0, 'bar')", "1", "mykey"),
			c("TYPE", "mykey"),
			eval(spin+"redis.call('set', KEYS[1], 0); local e = redis.call('pexpireat', KEYS[1], 1); return {e, redis.call('exists', KEYS[1])}", "1", "mykey"),
		}},
		{"debug-object-of-an-expired-key", []diffStep{
			c("DEBUG", "SET-ACTIVE-EXPIRE", "0"),
			c("SET", "k", "value", "PX", "1"),
			c("DEBUG", "SLEEP", "0.01"),
			c("DEBUG", "OBJECT", "k").with(debugObjectNorm),
			eval("return redis.call('EXISTS', KEYS[1])", "1", "k"),
			c("DEBUG", "OBJECT", "k"),
			c("EXISTS", "k"),
			c("DEBUG", "SET-ACTIVE-EXPIRE", "1"),
		}},
	}))
}

// Lua 5.1's runtime error texts (script_lua51err.go), in the error reply
// and in pcall's message: the variable named as Redis's Lua names it, the
// for-loop and compare texts, error()'s values and levels, "got no value",
// method calls' argument numbers, xpcall's handler; a closure made in a
// call pcall caught keeps seeing its caller's locals change.
func TestRedisDiffScriptRuntimeErrors(t *testing.T) {
	cases := []string{
		"local t = {} ; t.x()",
		"local a; a()",
		"local a; return a.b",
		"local a; a.b = 1",
		"return 1 + {}",
		"local t = {}; return t.x + 1",
		"local t = {}; return -t",
		"return #nil",
		"local t = {}; return #t.x",
		"return 'a' .. {}",
		"local t = {}; return 'a' .. t.y",
		"return 1 < 'x'",
		"return {} < {}",
		"local s = 'x'; return s:foo()",
		"local t = {}; t:foo()",
		"local t = {a={}}; return t.a.b.c",
		"local x = 5; x()",
		"return (nil)()",
		"return loadstring(string.dump(function() return 1 end))()",
		"local u = {} ; return function() return u.q.w end",
		"for i=1,'x' do end",
		"for i='a',2 do end",
		"local f = function() local z; return z.y end; return f()",
		"return redis.call()",
		"return redis.call('nosuch')",
		"return redis.call('get')",
		"return redis.pcall('get')",
		"return redis.call('incr','a','b')",
		"redis.call('set','s','x'); return redis.call('incr','s')",
		"error('boom')",
		"error({err='X custom'})",
		"error()",
		"error(nil)",
		"error(12)",
		"return string.rep()",
		"return tostring()",
		"return redis.error_reply('My Error')",
		"return redis.error_reply('-My Error')",
		"return {err='My Error'}",
		"local t = setmetatable({}, {__index=function(t,k) return k.z end}); return t.q",
		"return math.floor('x')",
		"return table.concat({{}})",
		"return unpack(nil)",
		"return select(-5, 1)",
		"x = 5",
		"return bit.band('a')",
		"return cjson.decode('{')",
		"return cjson.encode(function() end)",
		"return cmsgpack.unpack('\\xc1')",
		"return struct.pack('i')",
		"local a = {}; a[nil] = 1",
		"local a = {}; a[0/0] = 1",
		"return string.format('%d', 'x')",
		"return (\"x\"):bad()",
		"return pcall(function() local a; a() end)",
		"return {pcall(function() local t={}; return t.x.y end)}",
		"error(12, 0)",
		"error('x', 0)",
		"error('x', 2)",
		"local function f() error('x', 2) end f()",
		"local function f() error('x', 2) end",
		"f()",
		"local function f() error('x', 3) end local function g() f() end g()",
		"return {pcall(error, 'x')}",
		"return {pcall(error)}",
		"return {pcall(error, 12)}",
		"return {pcall(function() error('y') end)}",
		"return {pcall(function() error() end)}",
		"error(true)",
		"error('x', 'y')",
		"error('x', '2')",
		"return struct.pack('iii', 1)",
		"return ('x'):rep()",
		"return string.sub()",
		"return table.insert()",
		"return setmetatable()",
		"return unpack()",
		"return rawget()",
		"return ipairs()",
		"return type()",
		"return next()",
		"return string.format()",
		"return string.byte()",
		"return table.concat()",
		"return table.sort()",
		"return math.sin()",
		"return ('x'):rep('a')",
		"return string.rep(nil, 1)",
		"return (5):rep(1)",
		"local s = 'x'; return s:sub({})",
		"return {pcall(function() return 1 + {} end)}",
		"return {pcall(function() local s = 'x'; return s:foo() end)}",
		"return {pcall(function() return ('x'):rep() end)}",
		"return {pcall(function() for i=1,'x' do end end)}",
		"local fs = {}; for i = 1, 3 do local ok = pcall(function() local v = i * 10; fs[i] = function() return v end; error('x') end) end; return {fs[1](), fs[2](), fs[3]()}",
		"local x = 1; local f = function() return x end; pcall(error, 'e'); x = 2; return f()",
		"local x = 1; local f = function() return x end; pcall(function() local y; y() end); x = 2; return f()",
		"local ok, e = pcall(function() local function f() return f() + 1 end return f() end); return {tostring(ok), type(e)}",
		"local up = nil; local f = function() return up.x end; return {pcall(f)}",
		"local up = nil; local f = function() return up() end; return {pcall(f)}",
		"local t = {}; t.a = {}; return {pcall(function() return t.a.b.c end)}",
		"local t = {n=5}; return {pcall(function() return t.n() end)}",
		"local t = {1,2}; return {pcall(function() return #t[3] end)}",
		"return {pcall(function() local a = 'abc' + 1 end)}",
		"return {pcall(function() local a = '10' + {} end)}",
		"return {pcall(function() local a = {} .. 'x' end)}",
		"return {pcall(function() return {} < 1 end)}",
		"return {pcall(function() return nil > nil end)}",
		"return {pcall(function() return KEYS.x.y end)}",
		"return {pcall(function() return redis.nosuch() end)}",
		"return {pcall(function() return cjson.nosuch() end)}",
		"return {pcall(function() return math.floor.x end)}",
		"return {pcall(function() local a, b; return a + b end)}",
		"return {pcall(function() local a = {}; return a.b + a.c end)}",
		"return {pcall(function() local a = {}; local b = a.x; return b.y end)}",
		"return {pcall(function(...) local t = ...; return t.x end)}",
		"return {pcall(function() for k, v in nil do end end)}",
		"return {pcall(function() for k, v in pairs(nil) do end end)}",
		"return {pcall(function() local t = setmetatable({}, {__index = 5}); return t.x end)}",
		"return {xpcall(function() local a; a() end, function(e) return e end)}",
		"return {xpcall(function() return 1, 2 end, function(e) return e end)}",
		"return {xpcall(function() error('x') end, function(e) return 'H:' .. e end)}",
		"return {xpcall(function() error({err='T'}) end, function(e) return type(e) end)}",
		"return {xpcall(nil, function(e) return e end)}",
		"return {xpcall(42, function(e) return e end)}",
		"return {xpcall(function() local t = {}; return t.x.y end, function(e) return e end)}",
		"return xpcall()",
		"return xpcall(function() end)",
		"local x = 1; local f = function() return x end; xpcall(function() error('e') end, function(e) return e end); x = 2; return f()",
		"return {xpcall(function() return redis.call('nosuch') end, function(e) return e.err end)}",
		"return {pcall(xpcall, function() error('in') end, function(e) return 'h ' .. e end)}",
	}
	var steps []diffStep
	for _, body := range cases {
		steps = append(steps, diffStep{args: []string{"EVAL", body, "0"}})
	}
	lib := `#!lua name=errlib
local function call_nil(keys, args)
  local t = {}
  t.x()
end
redis.register_function('call_nil', call_nil)
redis.register_function('idx', function(keys, args) local a; return a.b end)
redis.register_function('arith', function() local t = {}; return t.x + 1 end)
redis.register_function('err', function() error('boom') end)
redis.register_function('errnil', function() error() end)
redis.register_function('pc', function() return {pcall(function() local t = {}; return t.a.b end)} end)
redis.register_function('reg', function() redis.register_function('f2', function() end) end)
redis.register_function('rep', function() return ('x'):rep() end)`
	steps = append(steps, diffStep{args: []string{"FUNCTION", "LOAD", lib}})
	for _, f := range []string{"call_nil", "idx", "arith", "err", "errnil", "pc", "reg", "rep"} {
		steps = append(steps, diffStep{args: []string{"FCALL", f, "0"}})
	}
	steps = append(steps, diffStep{args: []string{"FUNCTION", "FLUSH"}})
	runDiffScripts(t, []diffScript{{"runtime-errors", steps}})
}

// cmsgpack and cjson walk a table in lua_next's order (the order its keys
// were added), not Go's random map order: the same table encodes the same
// way every time, and a table that refers to itself is cut at depth 16 as
// in Redis's. (Redis's order is that of Lua 5.1's hash nodes, which
// gopher-lua's tables do not have: the tables here are ones where the two
// orders agree.)
func TestRedisDiffScriptTableEncodingOrder(t *testing.T) {
	const hex = "local h = ''; for i = 1, #e do h = h .. string.format('%02x', string.byte(e, i)) end; "
	var steps []diffStep
	for _, body := range []string{
		"local a = {x=nil,y=5}; local b = {x=a}; a['x'] = b; local e = cmsgpack.pack(a); " + hex +
			"local re = cmsgpack.unpack(e); return {h, re.x.x.x.x.x.x.x.x.y == re.y, re.y == 5, re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x == nil}",
		"local e = cmsgpack.pack({y=1,x=2}); " + hex + "return h",
		"local t = {}; t.name='n'; t.id=5; return cjson.encode(t)",
		"local t = {}; t.id=5; t.name='n'; return cjson.encode(t)",
		"return cjson.encode({y=1,x=2})",
	} {
		steps = append(steps, diffStep{args: []string{"EVAL", body, "0"}})
	}
	runDiffScripts(t, []diffScript{{"table-order", steps}})
}

// The same table encodes to the same bytes on every call.
func TestScriptTableEncodingStable(t *testing.T) {
	s := startServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1})
	defer rdb.Close()
	ctx := context.Background()
	body := `local t = {}
for i = 1, 40 do t['k' .. i] = i end
return {cjson.encode(t), cmsgpack.pack(t)}`
	first, err := rdb.Eval(ctx, body, nil).StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		got, err := rdb.Eval(ctx, body, nil).StringSlice()
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != first[0] || got[1] != first[1] {
			t.Fatalf("run %d encoded differently:\n%q\n%q", i, got, first)
		}
	}
}

// Lua 5.1's compile error texts (script_lua51parse.go): EVAL, FUNCTION LOAD
// and loadstring of scripts gopher-lua refuses get the message Redis's Lua
// gives, with its line and token.
func TestRedisDiffScriptCompileErrors(t *testing.T) {
	var steps []diffStep
	for _, body := range []string{
		"return",
		"return 1 +",
		"local x = ",
		"if true then",
		"x = = 1",
		"return 'abc",
		"return \"abc",
		"return [[abc",
		"local function f( return 1 end",
		"for i=1 do end",
		"return 1 2",
		"local 1 = 2",
		"goto x",
		"return ...",
		"return 0x",
		"return 1..2",
		"a.b:c = 1",
		"return function() end end",
		"break",
		"local t = {} t[1",
		"return #",
		"return not",
		"local x = 1\nif x then\n  return 1",
		"local function f()\n  return 1\n\nreturn f()",
		"local t = {\n  1, 2,\n  3\nreturn t",
		"return (1\n+ 2",
		"local s = \"abc\n\"",
		"return \"a\\q\"",
		"return [==[abc]=]",
		"return [=x",
		"return [[a [[b]] c]]",
		"--[[ unfinished\ncomment",
		"local function g() return ... end",
		"return function(...) return ... end",
		"return {a=1, [2]=3; 4, b}",
		"return {a 1}",
		"x, y() = 1, 2",
		"(x) = 1",
		"x.y, z = 1",
		"for k, v in pairs({}) do\nbreak\nend\nreturn 1",
		"repeat\nlocal x = 1\nuntil",
		"while true do end end",
		"if x then elseif y then else end end",
		"return a and or b",
		"return 1 ~ 2",
		"return @",
		"return 'x' .. 'y' ..",
		"return loadstring('return 1 +')",
		"return {loadstring('x = = 1', 'mychunk')}",
		"return {loadstring('return \"abc')}",
		"return {loadstring('if x then', '=named')}",
		"return {loadstring('if x then', '@file.lua')}",
	} {
		steps = append(steps, diffStep{args: []string{"EVAL", body, "0"}})
	}
	for _, lib := range []string{
		"#!lua name=badlib\nredis.register_function('f', function()\n  return 1 +\nend)",
		"#!lua name=badlib2\nlocal x = \"unfinished",
	} {
		steps = append(steps, diffStep{args: []string{"FUNCTION", "LOAD", lib}})
	}
	runDiffScripts(t, []diffScript{{"compile-errors", steps}})
}
