package server

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// scriptDiffSteps are compared byte for byte with redis-server, first over
// RESP2, then (with HELLO 3 first) over RESP3.
func scriptDiffSteps() [][]string {
	e := func(body string, args ...string) []string { return append([]string{"EVAL", body}, args...) }
	return [][]string{
		// conversions Lua -> reply
		e("return {1,2.7,'x',true,false,nil,3}", "0"),
		e("return 3.99", "0"), e("return -3.99", "0"), e("return 1e100", "0"), e("return 0/0", "0"),
		e("return nil", "0"), e("return false", "0"), e("return true", "0"),
		e("return {{1,{2}},'a'}", "0"),
		e("return {err='boom'}", "0"), e("return {err='-x y'}", "0"), e("return {ok='fine'}", "0"),
		e("return {ok='a\\r\\nb'}", "0"),
		e("return redis.error_reply('My err')", "0"), e("return redis.error_reply('e')", "0"),
		e("return redis.status_reply('St')", "0"),
		e("return {1,2,redis.error_reply('e')}", "0"),
		e("return {map={a=1}}", "0"), e("return {set={a=true}}", "0"), e("return {double=3.5}", "0"),
		e("return {big_number='123456789012345678901234567890'}", "0"),
		e("return {verbatim_string={format='txt',string='hello'}}", "0"),
		e("redis.setresp(3); return true", "0"), e("redis.setresp(3); return false", "0"),
		e("redis.setresp(3); return {map={k={1,2}}}", "0"),
		// conversions reply -> Lua
		e("return redis.call('get','nokey')", "0"),
		e("return type(redis.call('get','nokey'))", "0"),
		e("redis.setresp(3); return redis.call('get','nokey')", "0"),
		e("redis.setresp(3); return type(redis.call('get','nokey'))", "0"),
		e("redis.call('set','x','1'); return redis.call('incr','x')", "0"),
		e("return redis.call('ping')", "0"),
		e("return redis.pcall('incr','nokey2')", "0"),
		e("redis.call('set','s','a'); return redis.pcall('incr','s')", "0"),
		e("redis.call('set','s','a'); return redis.call('incr','s')", "0"),
		e("redis.setresp(3); local r = redis.call('info','server'); return r.verbatim_string.format", "0"),
		e("redis.call('set','f', 1/3); redis.call('set','g', 12345678901234567); return redis.call('mget','f','g')", "0"),
		e("return redis.call('set','x', true)", "0"),
		e("return redis.call()", "0"), e("return redis.pcall()", "0"),
		// redis.call and redis.pcall are the same values however they are
		// reached (script_callconst.go)
		e("local r = redis; return {r.call == redis.call, redis.pcall == r.pcall, rawequal(redis.call, redis.call), redis.call ~= redis.pcall, type(redis.call)}", "0"),
		e("local f, g = redis.call, redis.pcall; return {f('ping'), g('incr', 'nokey3'), select('#', redis.call('ping'))}", "0"),
		e("local t = {call = redis.call}; return t.call('echo', 'via a table')", "0"),
		// and from a coroutine (its context leads to the engine)
		e("local co = coroutine.wrap(function() return redis.call('ping') end) return co()", "0"),
		e("redis.call('set','cs','a'); local co = coroutine.wrap(function() return redis.call('incr', 'cs') end) return co()", "0"),
		e("redis.call('set','cs','a'); local co = coroutine.create(function() return redis.call('incr', 'cs') end) local ok, e = coroutine.resume(co) return {tostring(ok), type(e), e.err}", "0"),
		e("local co = coroutine.create(function() return redis.pcall('incr', 'cs') end) local ok, e = coroutine.resume(co) return {tostring(ok), e.err}", "0"),
		e("local co = coroutine.wrap(function() coroutine.yield(redis.call('incr','cn')) return redis.call('incr', 'cn') end) return {co(), co()}", "0"),
		e("return {KEYS[1],ARGV[1],#KEYS,#ARGV}", "1", "k", "a", "b"),
		// what a script does to KEYS and ARGV does not reach the next one
		e("KEYS[1] = 'changed'; ARGV[2] = 'x'; return {KEYS[1], ARGV[2]}", "1", "k1", "a1", "b1"),
		e("return {KEYS[1], ARGV[1], ARGV[2], #KEYS, #ARGV}", "1", "k2", "a2", "b2"),
		e("KEYS.x = 1; table.insert(ARGV, 'z'); return {KEYS.x, #ARGV}", "1", "k1", "a1"),
		e("return {KEYS.x, #KEYS, #ARGV, ARGV[2]}", "1", "k1", "a1"),
		e("KEYS[2] = nil; ARGV[1] = nil; return {#KEYS, #ARGV}", "2", "k1", "k2", "a1"),
		e("return {#KEYS, KEYS[1], KEYS[2], #ARGV, ARGV[1]}", "2", "k3", "k4", "a3"),
		e("return {#KEYS, KEYS[1], KEYS[2], #ARGV}", "1", "k5"),
		e("setmetatable(ARGV, {__index=function() return 'm' end}); return ARGV[5]", "0", "x"),
		e("return {ARGV[5], ARGV[1]}", "0", "y"),
		e("KEYS[0] = 'z'; KEYS[1.5] = 'w'; return #KEYS", "1", "k"), e("return {KEYS[0], KEYS[1.5], KEYS[1]}", "1", "k"),
		// a script's loads of KEYS and ARGV find the run's tables (script_callconst.go):
		// the same script again after another one made the engine take new tables,
		// with another number of keys, and from a function it defines
		e("return {#KEYS, KEYS[1], KEYS[2], #ARGV, ARGV[1]}", "1", "p1", "q1"),
		e("setmetatable(KEYS, {}); setmetatable(ARGV, {}); return 1", "1", "x", "y"),
		e("return {#KEYS, KEYS[1], KEYS[2], #ARGV, ARGV[1]}", "1", "p2", "q2"),
		e("return {#KEYS, KEYS[1], KEYS[2], #ARGV, ARGV[1]}", "2", "p3", "p4"),
		e("KEYS.y = 1; return 1", "1", "x"),
		e("return {#KEYS, KEYS[1], KEYS[2], #ARGV, ARGV[1]}", "1", "p5", "q5"),
		e("local function f() return KEYS[1] .. ARGV[1] end return {f(), (function() return #ARGV end)()}", "1", "n1", "m1"),
		// errors and the sandbox
		e("local function f() y = 2 end f()", "0"), e("return _G.redis ~= nil", "0"), e("_G.z = 1", "0"),
		e("local function f() return nosuch end return f()", "0"), e("redis.call = nil", "0"), e("KEYS = {}", "0"),
		e("return loadstring('return KEYS[1]')()", "1", "lk"),
		// strings' metatable: read-only, and no place to keep anything for the next script
		e("getmetatable('').x = 1", "0"), e("getmetatable('').__index.x = 1", "0"), e("setmetatable(string, {})", "0"),
		e("setmetatable(_G, {})", "0"), e("return {pcall(setmetatable, getmetatable(''), {})}", "0"),
		e("return {getmetatable('').__index == string, rawequal(getmetatable(''), getmetatable('a')), ('x'):upper(), ('%d'):format(7)}", "0"),
		e("return getmetatable(setmetatable({}, {__metatable='no'}))", "0"),
		e("setmetatable(setmetatable({}, {__metatable='no'}), {})", "0"),
		e("return x", "0"), e("return arg", "0"), e("return select('#', ...)", "0", "a"), e("x=1", "0"), e("function f() end", "0"), e("string.x = 1", "0"),
		e("rawset(_G,'x',1)", "0"),
		e("return redis.call('nosuch')", "0"), e("return redis.call('get')", "0"),
		e("return redis.call('multi')", "0"), e("return redis.call('eval','return 1','0')", "0"),
		e("return redis.call('set','a','b','c')", "0"),
		e("error('hi')", "0"), e("error({err='X y'})", "0"),
		e("return os", "0"), e("return io", "0"), e("return dofile", "0"), e("return loadfile", "0"),
		e("return debug", "0"), e("return print", "0"), e("return require", "0"),
		e("return {type(select), type(loadstring), type(coroutine), type(table.getn), type(unpack), type(load)}", "0"),
		e("return redis.REDIS_VERSION", "0"),
		e("redis.setresp(4)", "0"), e("redis.log(99, 'x')", "0"), e("redis.log(redis.LOG_WARNING)", "0"),
		e("return redis.sha1hex('')", "0"), e("return redis.replicate_commands()", "0"),
		e("return redis.set_repl(redis.REPL_ALL)", "0"), e("redis.set_repl(99)", "0"),
		e("return tostring(1/3) .. ' ' .. tostring(1e15) .. ' ' .. tostring(-0.5)", "0"),
		// libraries
		e("return cjson.encode({1,2,{a='x/y'}})", "0"),
		e("return cjson.decode('[1,2,{\"b\":3.5}]')[3].b", "0"),
		e("return cjson.decode('[1,2')", "0"),
		e("return cjson.encode({[1]=1,[20]=2})", "0"),
		e("return cmsgpack.pack({1,2,'a'}, 1.5, -100, 70000, true)", "0"),
		e("return {cmsgpack.unpack(cmsgpack.pack(1,'x',{1,2}))}", "0"),
		e("return {struct.pack('>HBc0', 7, 1, 'ab'), struct.unpack('>I2', '\\1\\2')}", "0"),
		e("return bit.tohex(-1, -4) .. bit.band(0xff, 0x0f) .. bit.bxor(5, 3) .. bit.lshift(1, 31)", "0"),
		// hashes from scripts, both protocols' conversions, WRONGTYPE
		e("redis.call('del','h'); return redis.call('hset','h','a','1','b','2')", "0"),
		e("return redis.call('hgetall','h')", "0"),
		e("return redis.call('hmget','h','a','x','b')", "0"),
		e("redis.setresp(3); return redis.call('hgetall','h').map.b", "0"),
		e("redis.setresp(3); redis.call('del','h1'); redis.call('hset','h1','f','v'); return redis.call('hgetall','h1')", "0"),
		e("return redis.call('hincrbyfloat','h','a','1.5')", "0"),
		e("return {redis.call('hincrby','h','n',3), redis.call('hlen','h'), redis.call('hexists','h','zz')}", "0"),
		e("return redis.call('get','h')", "0"), e("return redis.pcall('get','h')", "0"),
		e("redis.call('set','str','v'); return redis.pcall('hget','str','a')", "0"),
		e("return redis.call('type','h')", "0"), e("return redis.call('object','encoding','h')", "0"),
		// sets and sorted sets: RESP3 doubles and sets reach Lua as tables
		e("redis.call('del','z'); redis.call('zadd','z',1.5,'a',2,'b'); return redis.call('zrange','z',0,-1,'withscores')", "0"),
		e("redis.setresp(3); return redis.call('zrange','z',0,-1,'withscores')", "0"),
		e("redis.setresp(3); return redis.call('zscore','z','a')", "0"),
		e("redis.setresp(3); return redis.call('zscore','z','a').double * 2", "0"),
		e("return {redis.call('zincrby','z','0.25','a'), redis.call('zscore','z','a'), redis.call('zrank','z','b')}", "0"),
		e("redis.call('del','s1'); redis.call('sadd','s1',3,1,2); return redis.call('smembers','s1')", "0"),
		e("redis.setresp(3); redis.call('del','s2'); redis.call('sadd','s2','only'); return redis.call('smembers','s2')", "0"),
		e("redis.setresp(3); return redis.call('smembers','s2').set.only", "0"),
		e("return redis.pcall('zadd','s1',1,'x')", "0"),
		// blocking commands: refused (noscript) or answered at once, never blocking
		e("return redis.pcall('blpop','q',0)", "0"), e("return redis.pcall('brpoplpush','q','q2',0)", "0"),
		e("return redis.pcall('blmpop',0,1,'q','left')", "0"),
		e("redis.call('del','q'); redis.call('rpush','q','a','b'); return redis.call('blmpop',0,1,'q','left','count',5)", "0"),
		e("return redis.pcall('xread','block','0','streams','nostream','$')", "0"),
		e("return redis.pcall('XREADGROUP','group','g','c','BLOCK','0','streams','st','>')", "0"),
		e("return #redis.call('client','help') > 0", "0"), e("return #redis.call('script','help') > 0", "0"),
		// databases: a script runs in the caller's; its SELECT lasts for the script
		e("redis.call('select','1'); redis.call('set','dbk','one'); return redis.call('get','dbk')", "0"),
		{"GET", "dbk"}, {"SELECT", "1"}, {"GET", "dbk"},
		e("return redis.call('get','dbk')", "0"),
		e("redis.call('select','0'); return redis.call('exists','dbk')", "0"),
		{"GET", "dbk"},
		e("return redis.call('select','99')", "0"), e("return redis.pcall('select','x')", "0"),
		{"SELECT", "0"},
		e("redis.call('move','h','2'); redis.call('select','2'); return redis.call('hget','h','b')", "0"),
		e("redis.call('swapdb','0','2'); return redis.call('dbsize')", "0"),
		{"DBSIZE"}, {"HGET", "h", "b"}, {"SWAPDB", "0", "2"},
		{"MULTI"}, {"SELECT", "3"}, {"EVAL", "redis.call('set','mk','m'); redis.call('select','4'); return redis.call('set','mk','n')", "0"}, {"GET", "mk"}, {"EXEC"},
		{"GET", "mk"}, {"SELECT", "4"}, {"GET", "mk"}, {"SELECT", "0"},
		// numkeys, shebang, read-only
		e("return 1", "2", "a"), e("return 1", "-1"), e("return 1", "abc"),
		e("return 1 +", "0"),
		e("#!python\nreturn 1", "0"), e("#!lua flags=foo\nreturn 1", "0"), e("#!lua xx=1\nreturn 1", "0"), e("#!lua", "0"),
		e("#!lua flags=no-writes\nreturn redis.call('set','x','2')", "0"),
		e("#!lua flags=no-writes,allow-oom\nreturn redis.call('get','x')", "0"),
		{"EVAL_RO", "return redis.call('set','x','2')", "0"},
		{"EVAL_RO", "#!lua\nreturn 1", "0"},
		// SCRIPT
		{"SCRIPT", "LOAD", "return 'hi'"},
		{"EVALSHA", "2f31ba2bb6d6a0f42cc159d2e2dad55440778de3", "0"},
		{"EVALSHA", "2F31BA2BB6D6A0F42CC159D2E2DAD55440778DE3", "0"},
		{"EVALSHA_RO", "2f31ba2bb6d6a0f42cc159d2e2dad55440778de3", "0"},
		{"SCRIPT", "EXISTS", "2f31ba2bb6d6a0f42cc159d2e2dad55440778de3", "abc"},
		{"EVALSHA", "0123456789012345678901234567890123456789", "0"},
		{"SCRIPT", "FLUSH", "foo"}, {"SCRIPT", "FLUSH", "ASYNC"},
		{"SCRIPT", "EXISTS", "2f31ba2bb6d6a0f42cc159d2e2dad55440778de3"},
		{"EVALSHA", "2f31ba2bb6d6a0f42cc159d2e2dad55440778de3", "0"},
		{"SCRIPT", "KILL"}, {"FUNCTION", "KILL"}, {"SCRIPT", "FOO"}, {"SCRIPT"},
		// FUNCTION
		{"FUNCTION", "FLUSH"},
		{"FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return keys[1] end)"},
		{"FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('f1', function() end)"},
		{"FUNCTION", "LOAD", "return 1"},
		{"FUNCTION", "LOAD", "#!lua name=lib2\nreturn 1"},
		{"FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function('f1', function() end)"},
		{"FUNCTION", "LOAD", "#!lua name=lib2\nredis.call('ping')"},
		{"FUNCTION", "LOAD", "#!lua name=lib2 foo=bar\n"},
		{"FUNCTION", "LOAD", "#!lua name=l-b\n"},
		{"FUNCTION", "LOAD", "#!lua\n"},
		{"FUNCTION", "LOAD", "#!lua name=lib4\nredis.register_function{function_name='f4', callback=function() end, flags={'bad'}}"},
		{"FCALL", "f1", "1", "k"}, {"FCALL", "nof", "0"}, {"FCALL_RO", "f1", "1", "k"},
		{"FUNCTION", "LIST"}, {"FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "my*"},
		{"FUNCTION", "STATS"},
		{"FUNCTION", "DELETE", "nolib"}, {"FUNCTION", "RESTORE", "xx"},
		{"FUNCTION", "LOAD", "REPLACE", "#!lua name=mylib\nredis.register_function{function_name='f2', callback=function(keys, args) return redis.call('ping') end, flags={'no-writes'}, description='d'}"},
		{"FCALL_RO", "f2", "0"},
		{"FUNCTION", "LIST"},
		{"FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function('f3', function() return x end)"},
		{"FCALL", "f3", "0"},
		{"FUNCTION", "LOAD", "REPLACE", "#!lua name=lib3\nredis.register_function('f3', function() local function g() gx = 1 end g() end)\nredis.register_function('f5', function(keys) return {keys[1], type(redis.call), type(_G)} end)"},
		{"FCALL", "f3", "0"}, {"FCALL", "f5", "1", "fk5"},
		{"FUNCTION", "LOAD", "REPLACE", "#!lua name=lib3\nredis.register_function('f5', function(keys) return 'replaced' end)"},
		{"FCALL", "f5", "1", "fk5"}, {"FCALL", "f3", "0"},
		{"FUNCTION", "DELETE", "lib3"}, {"FCALL", "f5", "1", "fk5"},
		// redis.call in a library: not there while it loads, there in its
		// functions and in the local helpers they call once it has loaded
		{"FUNCTION", "LOAD", "#!lua name=lib6\nlocal function h() return redis.call('ping') end\nh()\nredis.register_function('f7', function() end)"},
		{"FUNCTION", "LOAD", "#!lua name=lib6\nlocal c = redis.call\nredis.register_function('f7', function() end)"},
		{"FUNCTION", "LOAD", "#!lua name=lib6\nlocal function h(k) return redis.call('incr', k) end\n" +
			"redis.register_function('f7', function(keys) return {h(keys[1]), redis.pcall('incr', 'fk7s'), redis.call == redis.call} end)"},
		{"SET", "fk7s", "x"}, {"FCALL", "f7", "1", "fk7"}, {"FCALL", "f7", "1", "fk7"}, {"FUNCTION", "DELETE", "lib6"},
		{"FUNCTION", "LOAD", "#!lua name=dblib\nredis.register_function('dbw', function(keys, args) redis.call('set', keys[1], args[1]) return redis.call('dbsize') end)"},
		{"SELECT", "5"}, {"FCALL", "dbw", "1", "fk", "v5"}, {"GET", "fk"}, {"SELECT", "0"}, {"GET", "fk"},
		// a function's keys and args: refilled for the next call only when it
		// cannot have kept them (paramsStayLocal)
		{"FUNCTION", "LOAD", "#!lua name=tabs\nlocal saved\n" +
			"redis.register_function('keep', function(keys, args) local prev = saved; saved = keys; if prev then return {prev[1], keys[1]} end return 'first' end)\n" +
			"redis.register_function('same', function(keys, args) return {keys[1], #keys, args[1], #args} end)\n" +
			"redis.register_function('ret', function(keys, args) return keys end)\n" +
			"redis.register_function('mod', function(keys, args) local n = #keys; keys[n + 1] = 'added'; args.x = 1; return {n, #keys, args.x} end)\n" +
			"local cl\nredis.register_function('clo', function(keys) if cl then return cl() end cl = function() return keys[1] end return 'set' end)"},
		{"FCALL", "keep", "1", "a"}, {"FCALL", "keep", "1", "b"}, {"FCALL", "keep", "2", "c", "d"},
		{"FCALL", "same", "1", "a", "x"}, {"FCALL", "same", "2", "b", "c", "y", "z"}, {"FCALL", "same", "1", "d"}, {"FCALL", "same", "0"},
		{"FCALL", "ret", "2", "a", "b"}, {"FCALL", "ret", "1", "c"}, {"FCALL", "ret", "2", "d", "e"},
		{"FCALL", "mod", "1", "a", "x"}, {"FCALL", "mod", "1", "b", "y"}, {"FCALL", "mod", "2", "c", "d"},
		{"FCALL", "clo", "1", "first"}, {"FCALL", "clo", "1", "second"}, {"FCALL", "clo", "1", "third"},
		{"FUNCTION", "FLUSH"}, {"FUNCTION", "LIST"},
	}
}

func TestScriptRedisDiff(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	for _, proto := range []string{"2", "3"} {
		t.Run("RESP"+proto, func(t *testing.T) {
			conns := [2]*diffConn{diffDial(t, redisAddr), diffDial(t, fc.addr)}
			pre := [][]string{{"FLUSHALL"}, {"SCRIPT", "FLUSH"}, {"FUNCTION", "FLUSH"}}
			if proto == "3" {
				pre = append(pre, []string{"HELLO", "3"})
			}
			for i, st := range append(pre, scriptDiffSteps()...) {
				var replies [2]string
				for s := range conns {
					r, err := conns[s].do(st)
					if err != nil {
						t.Fatalf("step %d %q: %v", i, st, err)
					}
					replies[s] = r
				}
				if st[0] == "HELLO" {
					continue
				}
				// gopher-lua's parser words syntax errors its own way:
				// compare up to the position ("user_script:1:").
				for s, r := range replies {
					if i := strings.Index(r, "Error compiling "); i >= 0 {
						if j := strings.Index(r[i:], ": "); j >= 0 {
							if k := strings.Index(r[i+j+2:], ": "); k >= 0 {
								replies[s] = r[:i+j+2+k]
							}
						}
					}
				}
				if replies[0] != replies[1] {
					t.Errorf("step %d %q:\n  redis:     %q\n  fastcache: %q", i, st, replies[0], replies[1])
				}
			}
		})
	}
}

// TestScriptRealWorld runs well-known scripts unchanged.
func TestScriptRealWorld(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)

	t.Run("lock release (compare and delete)", func(t *testing.T) {
		release := redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("del", KEYS[1])
else
    return 0
end`)
		if err := rdb.Set(ctx(), "lock:res", "token-1", 30*time.Second).Err(); err != nil {
			t.Fatal(err)
		}
		if n, err := release.Run(ctx(), rdb, []string{"lock:res"}, "token-2").Int(); err != nil || n != 0 {
			t.Fatalf("release with the wrong token: %d %v", n, err)
		}
		if n, err := release.Run(ctx(), rdb, []string{"lock:res"}, "token-1").Int(); err != nil || n != 1 {
			t.Fatalf("release with the right token: %d %v", n, err)
		}
		if rdb.Exists(ctx(), "lock:res").Val() != 0 {
			t.Fatal("lock still held")
		}
	})

	t.Run("idempotent counter with expiry", func(t *testing.T) {
		// Count a request once per idempotency key; the marker expires.
		incr := redis.NewScript(`
local seen = redis.call('SET', KEYS[2], '1', 'NX', 'EX', tonumber(ARGV[1]))
if not seen then
  return tonumber(redis.call('GET', KEYS[1]) or '0')
end
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return n`)
		for i, idem := range []string{"req-a", "req-a", "req-b", "req-a", "req-c"} {
			n, err := incr.Run(ctx(), rdb, []string{"counter", "idem:" + idem}, 60, 3600).Int()
			if err != nil {
				t.Fatal(err)
			}
			want := []int{1, 1, 2, 2, 3}[i]
			if n != want {
				t.Fatalf("call %d (%s): %d, want %d", i, idem, n, want)
			}
		}
		if ttl := rdb.TTL(ctx(), "counter").Val(); ttl <= 0 || ttl > time.Hour {
			t.Fatalf("counter ttl %v", ttl)
		}
	})

	t.Run("sliding-window rate limiter on a sorted set", func(t *testing.T) {
		limiter := redis.NewScript(`
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, 0, now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
  return 1
end
return 0`)
		allowed := 0
		for i := 0; i < 10; i++ {
			n, err := limiter.Run(ctx(), rdb, []string{"rl:user"}, 1000+i, 1000, 5, i).Int()
			if err != nil {
				t.Fatal(err)
			}
			allowed += n
		}
		if allowed != 5 {
			t.Fatalf("allowed %d of 10 in the window, want 5", allowed)
		}
	})

	t.Run("token bucket in a hash", func(t *testing.T) {
		// The common token-bucket limiter: the bucket's tokens and last
		// refill time in one hash, refilled lazily on each request.
		bucket := redis.NewScript(`
local key = KEYS[1]
local rate = tonumber(ARGV[1])       -- tokens per second
local capacity = tonumber(ARGV[2])
local now = tonumber(ARGV[3])        -- ms
local requested = tonumber(ARGV[4])
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate / 1000)
local allowed = 0
if tokens >= requested then
  tokens = tokens - requested
  allowed = 1
end
redis.call('HSET', key, 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', key, math.ceil(capacity / rate * 1000) * 2)
return {allowed, tostring(tokens)}`)
		run := func(now int) (int64, string) {
			t.Helper()
			v, err := bucket.Run(ctx(), rdb, []string{"bucket:api"}, 2, 5, now, 1).Slice()
			if err != nil || len(v) != 2 {
				t.Fatalf("bucket: %v %v", v, err)
			}
			return v[0].(int64), v[1].(string)
		}
		allowed := 0
		for i := 0; i < 8; i++ { // a burst: the capacity passes, the rest waits
			n, _ := run(1000)
			allowed += int(n)
		}
		if allowed != 5 {
			t.Fatalf("burst: %d allowed, want the capacity 5", allowed)
		}
		for _, st := range []struct {
			now     int
			allowed int64
			left    string
		}{{1500, 1, "0"}, {1750, 0, "0.5"}, {2000, 1, "0"}, {2000, 0, "0"}} { // 2 tokens a second
			if n, left := run(st.now); n != st.allowed || left != st.left {
				t.Fatalf("at %d ms: allowed %d, %s tokens left; want %d, %s", st.now, n, left, st.allowed, st.left)
			}
		}
		if got := rdb.HGet(ctx(), "bucket:api", "ts").Val(); got != "2000" {
			t.Fatalf("ts field %q", got)
		}
		if enc := rdb.ObjectEncoding(ctx(), "bucket:api").Val(); enc != "listpack" {
			t.Fatalf("encoding %q", enc)
		}
		if ttl := rdb.PTTL(ctx(), "bucket:api").Val(); ttl <= 0 || ttl > 5*time.Second {
			t.Fatalf("pttl %v", ttl)
		}
	})

	t.Run("job record in a hash, claimed once", func(t *testing.T) {
		// A worker claims a job: only a job in state queued moves to
		// running, with its attempt counted and the worker stamped; the
		// job's data comes back with the claim.
		claim := redis.NewScript(`
if redis.call('HGET', KEYS[1], 'state') ~= 'queued' then
  return false
end
redis.call('HSET', KEYS[1], 'state', 'running', 'worker', ARGV[1])
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return {attempts, redis.call('HGET', KEYS[1], 'payload')}`)
		rdb.HSet(ctx(), "job:42", "state", "queued", "payload", "resize img.png", "attempts", "0")
		v, err := claim.Run(ctx(), rdb, []string{"job:42"}, "w1").Slice()
		if err != nil || len(v) != 2 || v[0] != int64(1) || v[1] != "resize img.png" {
			t.Fatalf("claim: %v %v", v, err)
		}
		if err := claim.Run(ctx(), rdb, []string{"job:42"}, "w2").Err(); err != redis.Nil {
			t.Fatalf("second claim: %v, want nil (already running)", err)
		}
		if m := rdb.HGetAll(ctx(), "job:42").Val(); m["worker"] != "w1" || m["attempts"] != "1" || m["state"] != "running" {
			t.Fatalf("job: %v", m)
		}
		rdb.Set(ctx(), "job:str", "x", 0)
		if err := claim.Run(ctx(), rdb, []string{"job:str"}, "w1").Err(); err == nil || !strings.Contains(err.Error(), "WRONGTYPE") {
			t.Fatalf("claim of a string key: %v", err)
		}
	})

	t.Run("reliable queue between lists with a hash of job data", func(t *testing.T) {
		take := redis.NewScript(`
local id = redis.call('RPOPLPUSH', KEYS[1], KEYS[2])
if not id then return false end
redis.call('HSET', KEYS[3] .. id, 'state', 'running', 'started', ARGV[1])
return {id, redis.call('HGET', KEYS[3] .. id, 'payload')}`)
		ack := redis.NewScript(`
redis.call('LREM', KEYS[1], 1, ARGV[1])
redis.call('DEL', KEYS[2] .. ARGV[1])
return 1`)
		rdb.HSet(ctx(), "job:7", "payload", "resize img.png")
		rdb.LPush(ctx(), "q:pending", "7")
		v, err := take.Run(ctx(), rdb, []string{"q:pending", "q:processing", "job:"}, 123).Slice()
		if err != nil || len(v) != 2 || v[0] != "7" || v[1] != "resize img.png" {
			t.Fatalf("take: %v %v", v, err)
		}
		if err := ack.Run(ctx(), rdb, []string{"q:processing", "job:"}, "7").Err(); err != nil {
			t.Fatal(err)
		}
		if n := rdb.LLen(ctx(), "q:processing").Val(); n != 0 {
			t.Fatalf("processing list has %d", n)
		}
	})
}

// TestScriptBusy: past busy-reply-threshold other clients get -BUSY (on the
// script's own event loop too), SCRIPT KILL stops a script that has not
// written, a script that wrote is UNKILLABLE.
func TestScriptBusy(t *testing.T) {
	ts := startServer(t, "busy-reply-threshold", "100")
	long := ts.client(t, 2)
	other := ts.client(t, 2)
	other.Ping(ctx())

	run := func(body string) chan error {
		done := make(chan error, 1)
		go func() { done <- long.Eval(ctx(), body, nil).Err() }()
		return done
	}
	var done chan error
	waitBusy := func() {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			select {
			case err := <-done:
				t.Fatalf("the script ended before other clients saw -BUSY: %v", err)
			default:
			}
			err := other.Get(ctx(), "k").Err()
			if err != nil && strings.HasPrefix(err.Error(), "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no -BUSY: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	done = run("while true do end")
	waitBusy()
	if err := other.Do(ctx(), "FUNCTION", "KILL").Err(); err == nil || !strings.HasPrefix(err.Error(), "BUSY") {
		t.Fatalf("FUNCTION KILL on an EVAL: %v", err)
	}
	if err := other.Do(ctx(), "SCRIPT", "KILL").Err(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL...") {
		t.Fatalf("killed script replied %v", err)
	}
	if err := other.Do(ctx(), "SCRIPT", "KILL").Err(); err == nil || err.Error() != "NOTBUSY No scripts in execution right now." {
		t.Fatalf("SCRIPT KILL with nothing running: %v", err)
	}

	// A script that wrote cannot be killed; it ends by itself.
	done = run("redis.call('set','w','1') local t0 = redis.call('time')[1] while tonumber(redis.call('time')[1]) < t0 + 2 do end return 1") // runs 1 to 2 s: past the 100 ms threshold whatever the phase of the clock
	waitBusy()
	if err := other.Do(ctx(), "SCRIPT", "KILL").Err(); err == nil || !strings.HasPrefix(err.Error(), "UNKILLABLE") {
		t.Fatalf("SCRIPT KILL of a writer: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if v := other.Get(ctx(), "w").Val(); v != "1" {
		t.Fatalf("w = %q", v)
	}
}

// TestScriptAtomic: a script's writes are never seen half done by other
// clients, whatever shard its keys are on.
func TestScriptAtomic(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	body := `for i = 1, 10 do redis.call('SET', 'k' .. i, ARGV[1]) end return 1`
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var bad string
	var mu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		rd := ts.client(t, 2)
		keys := []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10"}
		for n := 0; n < 2000; n++ {
			select {
			case <-stop:
				return
			default:
			}
			vals, err := rd.MGet(ctx(), keys...).Result()
			if err != nil {
				return
			}
			for _, v := range vals[1:] {
				if v != vals[0] {
					mu.Lock()
					bad = strings.TrimSpace(strings.Repeat(" ", 0)) + "half a script seen"
					mu.Unlock()
					return
				}
			}
		}
	}()
	for i := 0; i < 300; i++ {
		if err := rdb.Eval(ctx(), body, nil, i).Err(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if bad != "" {
		t.Fatal(bad)
	}
}

// TestScriptInfoMemory: INFO memory has Redis 7.0's scripting lines, in
// its order, and they follow SCRIPT LOAD/EVAL, FUNCTION LOAD, SCRIPT FLUSH
// and a script calling INFO itself.
func TestScriptInfoMemory(t *testing.T) {
	names := []string{"used_memory_lua", "used_memory_vm_eval", "used_memory_lua_human", "used_memory_scripts_eval",
		"number_of_cached_scripts", "number_of_functions", "number_of_libraries", "used_memory_vm_functions",
		"used_memory_vm_total", "used_memory_vm_total_human", "used_memory_functions", "used_memory_scripts",
		"used_memory_scripts_human"}
	scriptLines := func(info string) (order []string, vals map[string]string) {
		vals = map[string]string{}
		for _, l := range strings.Split(info, "\r\n") {
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				continue
			}
			for _, n := range names {
				if k == n {
					order = append(order, k)
					vals[k] = v
				}
			}
		}
		return order, vals
	}
	ts := startServer(t)
	rdb := ts.client(t, 2)
	info := func() map[string]string {
		t.Helper()
		_, vals := scriptLines(rdb.Info(ctx(), "memory").Val())
		return vals
	}
	check := func(what string, want map[string]string) {
		t.Helper()
		got := info()
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("%s: %s = %q, want %q (%v)", what, k, got[k], v, got)
			}
		}
	}
	order, _ := scriptLines(rdb.Info(ctx(), "memory").Val())
	if strings.Join(order, " ") != strings.Join(names, " ") {
		t.Fatalf("INFO memory's script lines: %v\nwant (Redis 7.0's order) %v", order, names)
	}
	check("start", map[string]string{"number_of_cached_scripts": "0", "used_memory_scripts_eval": "0",
		"number_of_functions": "0", "number_of_libraries": "0", "used_memory_functions": "0", "used_memory_scripts": "0"})

	rdb.ScriptLoad(ctx(), "return 1")
	rdb.Eval(ctx(), "return 2", nil)
	rdb.Eval(ctx(), "return 2", nil) // cached once
	// 2 x (a 40-byte SHA1 + an 8-byte body)
	check("two scripts", map[string]string{"number_of_cached_scripts": "2", "used_memory_scripts_eval": "96"})
	if v := info()["used_memory_vm_eval"]; v == "0" || v == "" {
		t.Fatalf("used_memory_vm_eval = %q after EVAL", v)
	}
	lib := "#!lua name=infolib\nredis.register_function('f1', function() return 1 end)\nredis.register_function('f2', function() return 2 end)"
	if err := rdb.FunctionLoad(ctx(), lib).Err(); err != nil {
		t.Fatal(err)
	}
	fb := strconv.Itoa(len("infolib") + len(lib))
	check("a library", map[string]string{"number_of_functions": "2", "number_of_libraries": "1",
		"used_memory_functions": fb, "used_memory_scripts": strconv.Itoa(96 + len("infolib") + len(lib))})
	if v := info()["used_memory_vm_functions"]; v == "0" || v == "" {
		t.Fatalf("used_memory_vm_functions = %q after FUNCTION LOAD", v)
	}
	// INFO from inside a script sees the script itself cached.
	in, err := rdb.Eval(ctx(), "return redis.call('info','memory')", nil).Text()
	if err != nil {
		t.Fatal(err)
	}
	if _, vals := scriptLines(in); vals["number_of_cached_scripts"] != "3" {
		t.Fatalf("INFO inside a script: %v", vals)
	}
	rdb.ScriptFlush(ctx())
	check("SCRIPT FLUSH", map[string]string{"number_of_cached_scripts": "0", "used_memory_scripts_eval": "0", "number_of_libraries": "1"})
	rdb.FunctionFlush(ctx())
	check("FUNCTION FLUSH", map[string]string{"number_of_functions": "0", "number_of_libraries": "0", "used_memory_functions": "0", "used_memory_vm_functions": "0"})

	// The same lines, in the same order, as redis-server 7.0.
	redisAddr := diffRedisServer(t)
	r := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer r.Close()
	if rorder, _ := scriptLines(r.Info(ctx(), "memory").Val()); strings.Join(rorder, " ") != strings.Join(names, " ") {
		t.Fatalf("redis-server's script lines: %v", rorder)
	}
}

// TestScriptInMultiOverMaxmemory: scripts inside MULTI over maxmemory
// answer (they must not try to evict while EXEC holds the shards): queued
// under the limit and run over it, a reading script runs and a writing one
// gets -OOM; queued over it, they are refused and EXEC aborts (Redis's
// processCommand refuses any command in MULTI when out of memory).
func TestScriptInMultiOverMaxmemory(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	for i := 0; i < 100; i++ {
		rdb.Set(ctx(), "fill"+strconv.Itoa(i), strings.Repeat("x", 1000), 0)
	}
	if err := rdb.ConfigSet(ctx(), "maxmemory-policy", "volatile-lru").Err(); err != nil { // samples shards, nothing to evict
		t.Fatal(err)
	}
	rc := ts.rawConn(t)
	rc.do("MULTI")
	rc.do("EVAL", "return redis.call('get','fill1')", "0")
	rc.do("EVAL", "return redis.call('set','k','v')", "0")
	if err := rdb.ConfigSet(ctx(), "maxmemory", "1000").Err(); err != nil {
		t.Fatal(err)
	}
	rc.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := rc.do("EXEC")
	if !strings.HasPrefix(got, "*2\r\n$1000\r\nxxx") || !strings.Contains(got, "\r\n-OOM ") {
		t.Fatalf("EXEC over maxmemory: %q", trunc(got))
	}
	// queued over the limit: refused, and EXEC aborts
	rc.do("MULTI")
	if got := rc.do("EVAL", "return redis.call('get','fill1')", "0"); !strings.HasPrefix(got, "-OOM ") {
		t.Fatalf("EVAL queued over maxmemory: %q", got)
	}
	if got := rc.do("EXEC"); !strings.HasPrefix(got, "-EXECABORT") {
		t.Fatalf("EXEC after a refused command: %q", got)
	}
}

// TestScriptClientPauseWrite: under CLIENT PAUSE WRITE, EVAL, EVALSHA and
// FCALL of scripts that may write wait for the pause (as do EXECs queuing
// them), while EVAL_RO, a shebang script flagged no-writes and a no-writes
// function run (Redis 7.0's getCommandFlags).
func TestScriptClientPauseWrite(t *testing.T) {
	ts := startServer(t)
	admin, reader := ts.rawConn(t), ts.rawConn(t)
	admin.do("SET", "k", "v")
	admin.do("SET", "rk", "v")
	admin.do("FUNCTION", "LOAD", "#!lua name=pl\nredis.register_function{function_name='ro', flags={'no-writes'}, callback=function() return 'ro' end}\n"+
		"redis.register_function('rw', function() return redis.call('set','k','w') end)")
	sha := strings.TrimSpace(strings.Split(admin.do("SCRIPT", "LOAD", "return redis.call('set','k','x')"), "\r\n")[1])
	multi := ts.rawConn(t)
	multi.do("MULTI")
	multi.do("EVAL", "return 1", "0") // queued before the pause (a write is postponed at queueing too)
	if got := admin.do("CLIENT", "PAUSE", "100000", "WRITE"); got != "+OK\r\n" {
		t.Fatalf("CLIENT PAUSE: %q", got)
	}
	for _, call := range [][]string{
		{"EVAL_RO", "return redis.call('get','k')", "0"},
		{"EVAL", "#!lua flags=no-writes\nreturn redis.call('get','k')", "0"},
		{"FCALL", "ro", "0"},
		{"FCALL_RO", "ro", "0"},
	} {
		if got := reader.do(call...); strings.HasPrefix(got, "-") {
			t.Fatalf("%q during WRITE pause: %q", call, got)
		}
	}
	var waiting []*rawConn
	for _, call := range [][]string{
		{"EVAL", "return redis.call('get','rk')", "0"}, // no flags: may write (rk: no other call writes it; they run in any order)
		{"EVALSHA", sha, "0"},
		{"FCALL", "rw", "0"},
		{"FCALL_RO", "rw", "0"},             // a writing function: waits, then refused
		{"EVAL_RO", "#!lua\nreturn 1", "0"}, // flags without no-writes: the same
	} {
		w := ts.rawConn(t)
		w.write(encodeCmd(call...))
		noReplyWithin(t, w, 200*time.Millisecond)
		waiting = append(waiting, w)
	}
	multi.write(encodeCmd("EXEC"))
	noReplyWithin(t, multi, 200*time.Millisecond)
	if got := admin.do("CLIENT", "UNPAUSE"); got != "+OK\r\n" {
		t.Fatalf("CLIENT UNPAUSE: %q", got)
	}
	refused := "-ERR Can not execute a script with write flag using *_ro command.\r\n"
	want := []string{"$1\r\nv\r\n", "+OK\r\n", "+OK\r\n", refused, refused}
	for i, w := range waiting {
		if got := w.read(); got != want[i] {
			t.Fatalf("paused call %d after UNPAUSE: %q, want %q", i, got, want[i])
		}
	}
	if got := multi.read(); got != "*1\r\n:1\r\n" {
		t.Fatalf("paused EXEC after UNPAUSE: %q", got)
	}
}

// TestScriptTracking: with CLIENT TRACKING, the keys a script reads are
// tracked for the client that ran it, and with NOLOOP a script's own
// writes do not invalidate its caller; compared with redis-server.
func TestScriptTracking(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	for _, addr := range []string{redisAddr, fc.addr} {
		dial := func() *rawConn {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			c.SetDeadline(time.Now().Add(20 * time.Second))
			return &rawConn{t: t, conn: c, br: bufio.NewReader(c)}
		}
		tr, other := dial(), dial()
		// pushesBefore sends PING and returns the pushes that came first.
		pushesBefore := func(rc *rawConn) []string {
			rc.write(encodeCmd("PING"))
			var out []string
			for {
				r := rc.read()
				if r == "+PONG\r\n" {
					return out
				}
				out = append(out, r)
			}
		}
		tr.do("HELLO", "3")
		tr.do("CLIENT", "TRACKING", "ON")
		other.do("SET", "tk", "1")
		if got := tr.do("EVAL", "return redis.call('get', KEYS[1])", "1", "tk"); got != "$1\r\n1\r\n" {
			t.Fatalf("%s: EVAL: %q", addr, got)
		}
		other.do("SET", "tk", "2")
		if got := pushesBefore(tr); len(got) != 1 || got[0] != ">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\ntk\r\n" {
			t.Fatalf("%s: after another client's write of a key a script read: %q", addr, got)
		}
		tr.do("CLIENT", "TRACKING", "OFF")
		tr.do("CLIENT", "TRACKING", "ON", "NOLOOP")
		tr.do("EVAL", "redis.call('get', KEYS[1]) return redis.call('set', KEYS[1], 'x')", "1", "tk")
		if got := pushesBefore(tr); len(got) != 0 {
			t.Fatalf("%s: NOLOOP, the script's own write: %q", addr, got)
		}
		other.do("SET", "tk", "3")
		if got := pushesBefore(tr); len(got) != 0 {
			t.Fatalf("%s: the key was untracked by the own write: %q", addr, got)
		}
	}
}

// TestScriptTurns runs scripts from clients on different executors (two
// event loops; one goroutine per connection in the second pass) in
// pipelines, beside plain commands and transactions on the same key: an
// executor keeps the scripts' turn for the rest of its batch, so this checks
// that no command interleaves with a script, that every client gets through
// (no executor starves or deadlocks on a turn), and that none is lost.
func TestScriptTurns(t *testing.T) {
	ts := startServer(t, "io-threads", "2")
	body := "local a = redis.call('INCR', KEYS[1]) local b = tonumber(redis.call('GET', KEYS[1])) " +
		"if a ~= b then return redis.error_reply('interleaved') end return a"
	sha := ts.client(t, 2).ScriptLoad(ctx(), body).Val()
	const rounds, pipe = 60, 10
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	worker := func(kind int) {
		defer wg.Done()
		rdb := ts.client(t, 2)
		for i := 0; i < rounds; i++ {
			p := rdb.Pipeline()
			switch kind {
			case 0:
				for j := 0; j < pipe; j++ {
					p.EvalSha(ctx(), sha, []string{"tk"})
				}
			case 1:
				for j := 0; j < pipe; j++ {
					p.Incr(ctx(), "tk")
				}
			case 2:
				p.TxPipelined(ctx(), func(tx redis.Pipeliner) error {
					for j := 0; j < pipe; j++ {
						tx.Incr(ctx(), "tk")
					}
					return nil
				})
			}
			if _, err := p.Exec(ctx()); err != nil {
				errs <- err
				return
			}
		}
	}
	kinds := []int{0, 0, 0, 1, 1, 2}
	for _, k := range kinds {
		wg.Add(1)
		go worker(k)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("clients did not finish: a turn was never handed on")
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := int64(len(kinds) * rounds * pipe)
	if got, _ := ts.client(t, 2).Get(ctx(), "tk").Int64(); got != want {
		t.Fatalf("tk = %d, want %d", got, want)
	}
}

// TestScriptBusyThresholdLowered: the threshold timer is armed once for a
// run of scripts; lowering busy-reply-threshold with CONFIG SET still
// applies to the next script, not after the old threshold (5 s here: the
// poll below gives up well before).
func TestScriptBusyThresholdLowered(t *testing.T) {
	ts := startServer(t)
	long := ts.client(t, 2)
	other := ts.client(t, 2)
	if err := long.Eval(ctx(), "return 1", nil).Err(); err != nil {
		t.Fatal(err)
	}
	if err := other.ConfigSet(ctx(), "busy-reply-threshold", "100").Err(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- long.Eval(ctx(), "while true do end", nil).Err() }()
	// The poll's requests share one deadline: a reply held back until the
	// old threshold would otherwise pass for -BUSY.
	poll, cancel := context.WithTimeout(ctx(), 4*time.Second)
	defer cancel()
	for {
		err := other.Get(poll, "k").Err()
		if err != nil && strings.HasPrefix(err.Error(), "BUSY ") {
			break
		}
		if poll.Err() != nil {
			t.Fatalf("no -BUSY after lowering the threshold: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := other.Do(ctx(), "SCRIPT", "KILL").Err(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed") {
		t.Fatalf("killed script replied %v", err)
	}
}

// TestScriptPipelineDiff sends one pipeline of scripts mixed with other
// commands to redis-server and to fastcache and compares every reply, with a
// client blocked on a list a script pushes to and a subscriber to keyspace
// events that a CONFIG SET in the pipeline turns on and off. Scripts back to
// back in a pipeline keep the shards locked from one to the next: this checks
// that whatever else runs in between (blocked clients served, events, a
// transaction, maxmemory) sees them released.
func TestScriptPipelineDiff(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	inc := "return redis.call('INCR', KEYS[1])"
	incSHA := sha1hex([]byte(inc))
	ev := func(args ...string) string { return encodeCmd(append([]string{"EVALSHA", incSHA, "1"}, args...)...) }
	pipe := []string{
		ev("n"), ev("n"), ev("n"),
		encodeCmd("EVAL", "return redis.call('LPUSH', KEYS[1], 'v')", "1", "q"),
		ev("n"), encodeCmd("GET", "n"), ev("n"),
		encodeCmd("CONFIG", "SET", "notify-keyspace-events", "KEA"),
		ev("n"), ev("m"),
		encodeCmd("CONFIG", "SET", "notify-keyspace-events", ""),
		ev("n"),
		encodeCmd("CONFIG", "SET", "maxmemory", "1000000000"), ev("n"), ev("n"),
		encodeCmd("CONFIG", "SET", "maxmemory", "0"), ev("n"),
		encodeCmd("MULTI"), ev("n"), encodeCmd("EXEC"), ev("n"),
		encodeCmd("FCALL", "nosuch", "0"), ev("n"),
		encodeCmd("EVALSHA", "0000000000000000000000000000000000000000", "0"), ev("n"),
		encodeCmd("LPUSH", "q", "w"), ev("n"), encodeCmd("LRANGE", "q", "0", "-1"),
	}
	for _, addr := range []string{redisAddr, fc.addr} {
		c := diffDial(t, addr)
		if _, err := c.do([]string{"FLUSHALL"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.do([]string{"SCRIPT", "LOAD", inc}); err != nil {
			t.Fatal(err)
		}
	}
	var got [2][]string
	for i, addr := range []string{redisAddr, fc.addr} {
		blocked, sub, a := diffDial(t, addr), diffDial(t, addr), diffDial(t, addr)
		if r, err := sub.do([]string{"PSUBSCRIBE", "__keyevent@0__:*"}); err != nil {
			t.Fatal(r, err)
		}
		blocked.conn.Write([]byte(encodeCmd("BLPOP", "q", "0")))
		// BLPOP has blocked once CLIENT LIST shows it waiting.
		for n := 0; ; n++ {
			r, err := a.do([]string{"CLIENT", "LIST"})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(r, "cmd=blpop") {
				break
			}
			if n > 500 {
				t.Fatal("BLPOP did not block")
			}
			time.Sleep(2 * time.Millisecond)
		}
		a.conn.Write([]byte(strings.Join(pipe, "")))
		for range pipe {
			r, err := diffReadReply(a.br)
			if err != nil {
				t.Fatal(err)
			}
			got[i] = append(got[i], r)
		}
		r, err := diffReadReply(blocked.br)
		if err != nil {
			t.Fatal(err)
		}
		got[i] = append(got[i], "blocked: "+r)
		for range 2 { // the events of the two scripts run while they were on
			r, err := diffReadReply(sub.br)
			if err != nil {
				t.Fatal(err)
			}
			got[i] = append(got[i], "event: "+r)
		}
	}
	for j := range got[0] {
		if j >= len(got[1]) || got[0][j] != got[1][j] {
			t.Fatalf("reply %d:\n  redis:     %q\n  fastcache: %q", j, got[0][j:], got[1][min(j, len(got[1])):])
		}
	}
}

// TestScriptBusyInPipeline: a script that turns busy after another script
// of the same pipeline (which keeps the shards locked from one to the next)
// while a client of the same event loop, served by the stand-in, runs a
// command allowed during a busy script that waits for a shard (WATCH):
// it must get its reply once the script ends, and the pipeline its own.
func TestScriptBusyInPipeline(t *testing.T) {
	ts := startServer(t, "busy-reply-threshold", "100")
	a, b := ts.client(t, 2), ts.client(t, 2)
	b.Ping(ctx())
	// 3 to 4 s: the -BUSY has to be seen by the poll below, whose client
	// and the busy timer may wait for a core on a loaded machine.
	long := "local t0 = redis.call('time')[1] while tonumber(redis.call('time')[1]) < t0 + 3 do end return 2"
	done := make(chan error, 1)
	var res []redis.Cmder
	go func() {
		p := a.Pipeline()
		p.Eval(ctx(), "return 1", nil)
		p.Eval(ctx(), "redis.call('set', 'pk', 'v') return 3", nil)
		p.Eval(ctx(), long, nil)
		p.Eval(ctx(), "return redis.call('get', 'pk')", nil)
		var err error
		res, err = p.Exec(ctx())
		done <- err
	}()
	poll, cancel := context.WithTimeout(ctx(), 10*time.Second)
	defer cancel()
	for {
		err := b.Get(poll, "k").Err()
		if err != nil && strings.HasPrefix(err.Error(), "BUSY ") {
			break
		}
		if poll.Err() != nil {
			t.Fatalf("no -BUSY: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	watched := make(chan error, 1)
	go func() {
		watched <- b.Watch(poll, func(tx *redis.Tx) error { return nil }, "pk")
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-poll.Done():
		t.Fatal("the pipeline did not end")
	}
	if err := <-watched; err != nil {
		t.Fatalf("WATCH during the busy script: %v", err)
	}
	want := []string{"1", "3", "2", "v"}
	for i, c := range res {
		if got := fmt.Sprint(c.(*redis.Cmd).Val()); got != want[i] {
			t.Errorf("reply %d = %s, want %s", i, got, want[i])
		}
	}
}

// TestScriptDeepNestingDoesNotCrash: a script nested two million levels
// deep (8 MB of `not not ...`) is refused, and the server still answers;
// gopher-lua's recursive compiler overflowed the goroutine's stack on it,
// a fatal error that ended the process.
func TestScriptDeepNestingDoesNotCrash(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	for _, body := range []string{
		"return " + strings.Repeat("not ", 2_000_000) + "1",
	} {
		rc.conn.SetDeadline(time.Now().Add(120 * time.Second))
		if got := rc.do("EVAL", body, "0"); got != "-ERR Error compiling script (new function): user_script:1: chunk has too many syntax levels\r\n" {
			t.Fatalf("EVAL of %d bytes nested: %q", len(body), trunc(got))
		}
	}
	if got := rc.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING after: %q", got)
	}
}
