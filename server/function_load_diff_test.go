package server

import "testing"

// TestRedisDiffFunctionLoad: FUNCTION LOAD, FCALL and FUNCTION LIST as Redis
// 7.0: the library's code runs with `redis` (register_function, log, the
// version and log levels) as its only global, a helper it defines sees
// everything once loaded, a load that runs too long stops, function names
// are case-insensitive for FCALL, and the header's and options' errors.
func TestRedisDiffFunctionLoad(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	load := func(code string) diffStep { return c("FUNCTION", "LOAD", "REPLACE", code) }
	runDiffScripts(t, []diffScript{
		{"load-time globals", []diffStep{
			c("FUNCTION", "FLUSH"),
			load("#!lua name=l1\nlocal t = type(1) redis.register_function('a1', function() return 1 end)"),
			load("#!lua name=l1\nlocal t = string.len('x') redis.register_function('a1', function() return 1 end)"),
			load("#!lua name=l1\nreturn math.random()"),
			load("#!lua name=l1\nreturn redis.setresp(3)"),
			load("#!lua name=l1\nreturn redis.call('ping')"),
			load("#!lua name=l1\nredis.log(redis.LOG_WARNING, 'x') redis.register_function('a3', function() return redis.REDIS_VERSION_NUM > 0 end)"),
			c("FCALL", "a3", "0"),
			// a helper defined by the code sees the full API when called
			load("#!lua name=l1\nlocal function ping() return redis.call('ping') end\nredis.register_function('f1', function(keys, args) return ping() end)"),
			c("FCALL", "f1", "0"),
			c("FCALL", "F1", "0"),
			c("FCALL_RO", "F1", "0"),
			// the server's map is case-insensitive: another library's Test collides
			load("#!lua name=l2\nredis.register_function('F1', function() return 2 end)"),
			// once loaded, functions have no register_function
			load("#!lua name=l1\nredis.register_function('f1', function() return type(redis.register_function) end)"),
			c("FCALL", "f1", "0"),
		}},
		{"names and options", []diffStep{
			c("FUNCTION", "FLUSH"),
			load("#!lua name=foo name=bar\nredis.register_function('foo', function() return 1 end)"),
			load("#!lua name=\"foo\"\nredis.register_function('foo', function() return 1 end)"),
			load("#!lua NAME=foo2\nredis.register_function('foo2', function() return 1 end)"),
			load("#!lua name=\"a b\"\nredis.register_function('foo3', function() return 1 end)"),
			load("#!lua\nredis.register_function('foo4', function() return 1 end)"),
			load("#!lua name=\nredis.register_function('foo4', function() return 1 end)"),
			load("#!lua name=x other=1\nredis.register_function('foo4', function() return 1 end)"),
			load("#!lua name=lib2\nredis.register_function('test\\0test', function() return 1 end)"),
			load("#!lua name=lib2\nredis.register_function('', function() return 1 end)"),
			c("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "foo", "libraryname", "foo"),
			c("FUNCTION", "LIST", "LIBRARYNAME"),
			c("FUNCTION", "LIST", "withcode", "WITHCODE"),
			c("FUNCTION", "LIST", "bogus"),
			c("FCALL", "foo", "bad_arg"),
			c("FCALL", "foo", "-1"),
			c("FCALL", "foo", "3", "a"),
			c("FCALL", "nosuch", "0"),
		}},
		{"load timeout", []diffStep{
			load("#!lua name=slow\nlocal a = 1\nwhile 1 do a = a + 1 end"),
			c("PING"),
			load("#!lua name=fast\nredis.register_function('fast', function() return 1 end)"),
			c("FCALL", "fast", "0"),
		}},
	})
}
