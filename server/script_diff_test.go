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
		{"tonumber", []diffStep{
			// Lua 5.1's tonumber reads a number as C's strtod does: exponents
			// without a decimal point, hexadecimal, inf and nan, spaces around
			eval(`local out = {}
for i, s in ipairs(ARGV) do out[i] = tostring(tonumber(s)) end
return out`, "0", "1e1", "1E1", "-1e1", "1e-5", "2E10", "1e+21", "1.5e3", ".5", "5.", "1e400", "-1e400",
				"inf", "-Inf", "infinity", "nan", "NAN", "0x10", "0X1a", " 0x1A ", "0x1p4", "0x.8", "-0x10",
				" 12 ", "\t7\n", "1e", "e1", "1e+", "0x", "0xg", "1.2.3", "12abc", "", " ", "+5", "--5", "1_000", "0x1_0"),
			eval(`local out = {}
for i = 1, #ARGV, 2 do out[#out + 1] = tostring(tonumber(ARGV[i], tonumber(ARGV[i + 1]))) end
return out`, "0", "ff", "16", "FF", "16", "0xff", "16", "z", "36", "Z", "36", "777", "8", "8", "8", "101", "2",
				" 11 ", "2", "12", "10", "1e1", "10", "-ff", "16", "1.5", "16", "", "16", "g", "16", "10", "36"),
			eval("return {tostring(tonumber(12)), tostring(tonumber(1.5)), tostring(tonumber(nil)), tostring(tonumber({})), tostring(tonumber(true))}", "0"),
			eval("return tostring(tonumber(10, 16))", "0"),
			eval("return tonumber('10', 99)", "0"),
			eval("return tonumber('10', 1)", "0"),
			eval("return tonumber()", "0"),
			// a score sent as 1e-05 (Python's str of a small float)
			eval("return redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) * 2, 'm')", "1", "z", "1e-05"),
			c("ZSCORE", "z", "m"),
		}},
		{"math-huge", []diffStep{
			// math.huge is infinity (HUGE_VAL), not the largest float
			eval("return {tostring(math.huge), tostring(-math.huge), tostring(math.huge == 1/0), tostring(math.huge > 1.7976931348623157e308)}", "0"),
			eval("return redis.call('ZADD', KEYS[1], math.huge, 'top', -math.huge, 'bottom')", "1", "z"),
			c("ZRANGE", "z", "0", "-1", "WITHSCORES"),
			eval("return redis.call('ZRANGEBYSCORE', KEYS[1], -math.huge, math.huge)", "1", "z"),
			eval("return math.huge", "0"),
			eval("return {-math.huge}", "0"),
			eval("return cjson.encode({math.huge})", "0"),
		}},
	})
}
