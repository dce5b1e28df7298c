package server

import "testing"

// TestRedisDiffScripting: what scripts see of errors, byte for byte with
// redis-server. Redis 7.0's pcall hands a script the error string of an
// error table ({err=...}, as redis.call raises): libraries rely on it in the
// common pattern
//
//	local ok, err = pcall(redis.call, 'XGROUP', 'CREATE', ...)
//	if not ok and not string.find(err, 'BUSYGROUP') then error(err) end
//
// xpcall's handler and redis.pcall's return still see the table.
func TestRedisDiffScripting(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	eval := func(body string, keysAndArgs ...string) diffStep {
		return diffStep{args: append([]string{"EVAL", body}, keysAndArgs...)}
	}
	runDiffScripts(t, []diffScript{
		{"pcall-redis-call-errors", []diffStep{
			c("SET", "str", "abc"),
			eval("local ok, e = pcall(redis.call, 'incr', 'str'); return {tostring(ok), type(e), e}", "0"),
			eval("local ok, e = pcall(function() return redis.call('incr', 'str') end); return {type(e), e}", "0"),
			eval("local ok, e = pcall(redis.call, 'incr', 'x', 'y'); return {type(e), e}", "0"),
			eval("local ok, e = pcall(redis.call, 'nosuch'); return {type(e), e}", "0"),
			eval("local ok, e = pcall(redis.call, 'ping', {}); return {type(e), e}", "0"),
			eval("local ok, e = pcall(redis.call); return {type(e), e}", "0"),
			eval("local ok, e = pcall(redis.call, 'lpush', KEYS[1], 'x'); return {type(e), e}", "1", "str"),
			// the library pattern: create a group once, tolerate BUSYGROUP
			eval(`for i = 1, 2 do
  local ok, err = pcall(redis.call, 'XGROUP', 'CREATE', KEYS[1], 'g', '$', 'MKSTREAM')
  if not ok and not string.find(err, 'BUSYGROUP') then error(err) end
end
return redis.call('XINFO', 'GROUPS', KEYS[1])[1][2]`, "1", "s"),
			// the caught string re-raised, with and without position
			eval("local ok, e = pcall(redis.call, 'incr', 'str'); error(e)", "0"),
			eval("local ok, e = pcall(redis.call, 'incr', 'str'); error(e, 0)", "0"),
			eval("local ok, e = pcall(redis.call, 'incr', 'str'); return redis.error_reply(e)", "0"),
		}},
		{"pcall-other-values", []diffStep{
			eval("local ok, e = pcall(error, {err='X y'}); return {type(e), e}", "0"),
			eval("local ok, e = pcall(error, {foo='X y'}); return {type(e), e.foo}", "0"),
			eval("local ok, e = pcall(function() error(redis.error_reply('MY x')) end); return {type(e), e}", "0"),
			eval("local ok, e = pcall(error, {err=5}); return {type(e), tostring(e)}", "0"),
			eval("return {pcall(function(a, b) return a + b, 'x' end, 1, 2)}", "0"),
			eval("return {pcall(function() return end)}", "0"),
			eval("local ok, e = pcall(42); return {tostring(ok), e}", "0"),
			eval("return pcall()", "0"),
			eval("local ok, e = pcall(); return {tostring(ok), e}", "0"),
			eval("local ok, e = pcall(nil); return {tostring(ok), e}", "0"),
			eval("local ok, e = pcall(pcall, redis.call, 'nosuch'); return {tostring(ok), tostring(e)}", "0"),
		}},
		{"xpcall-and-redis-pcall-keep-the-table", []diffStep{
			c("SET", "str", "abc"),
			eval("local ok, e = xpcall(function() redis.call('incr', 'str') end, function(x) return type(x) end); return e", "0"),
			eval("local e = redis.pcall('incr', 'str'); return {type(e), e.err}", "0"),
			eval("return redis.pcall('incr', 'str')", "0"),
			eval("return redis.call('incr', 'str')", "0"),
		}},
	})
}
