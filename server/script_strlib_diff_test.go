package server

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// TestRedisDiffLuaNumberStrings: where Lua 5.1 makes a string of a number
// by itself it prints "%.14g" (1/3 is 0.33333333333333, 2^53 is
// 9.007199254741e+15, math.huge is inf): the `..` operator, the string
// library, string.format, table.concat, loadstring'd chunks, in EVAL and in
// functions; and the concatenation errors name their operand as Lua 5.1
// does. Byte for byte with redis-server.
func TestRedisDiffLuaNumberStrings(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	eval := func(body string, keysAndArgs ...string) diffStep {
		return diffStep{args: append([]string{"EVAL", body, "0"}, keysAndArgs...)}
	}
	evals := func(bodies ...string) []diffStep {
		var out []diffStep
		for _, b := range bodies {
			out = append(out, eval(b))
		}
		return out
	}
	runDiffScripts(t, []diffScript{
		{"concat-numbers", evals(
			"return 1/3 .. ''",
			"return 2^53 .. ''",
			"return math.huge .. ''",
			"return -math.huge .. 1",
			"return 0/0 .. ''",
			"return -(0/0) .. ''",
			"return 1 .. 2 .. 'x' .. 1.5",
			"return 1e15 .. '|' .. 1e14 .. '|' .. 123456789012345 .. '|' .. 0x10 .. '|' .. -0.0",
			"return 2^63 .. '|' .. -2^63 .. '|' .. 1e100 .. '|' .. 1e-5 .. '|' .. 0.1",
			"local a = 'x' return a .. 1/3 .. a",
			"local s = '' for i = 1, 5 do s = s .. i/3 .. ',' end return s",
			"return ('x'):rep(2) .. (1/3)",
			"return 'x' .. ('y' .. (1/3))",
			"return #(1e15 .. '')",
			"return (1/3 .. '') + 0 == 0.33333333333333",
			"return tostring(1/3) .. 1/3",
			"local t = {} t[1/3 .. ''] = 1 return next(t)",
		)},
		{"concat-metamethods", evals(
			"local t = setmetatable({}, {__concat = function(a, b) return type(a) .. '|' .. type(b) end}) return 5 .. t",
			"local t = setmetatable({}, {__concat = function(a, b) return type(a) .. '|' .. type(b) end}) return t .. 'x' .. 'y'",
			"local t = setmetatable({}, {__concat = function(a, b) return type(a) .. '|' .. type(b) end}) return 'x' .. 'y' .. t",
			"local t = setmetatable({}, {__concat = function(a, b) return type(a) .. '+' .. tostring(b) end}) return 'x' .. 1/3 .. t .. 2^53",
		)},
		{"concat-errors", evals(
			"return nil .. 'a'",
			"local x; return x .. 'a'",
			"local t={} return t.f .. 'a'",
			"local t={} return t['f'] .. 'a'",
			"local t={} return t[1] .. 'a'",
			"local t, k = {}, 'z' return t[k] .. 'a'",
			"return KEYS[1] .. 'a'",
			"return {} .. 'a'",
			"return 'a' .. true",
			"return 'a' .. 1 .. false",
			"local a, b = 1 return a .. b",
			"return redis .. 'x'",
			"local x = 1 local function f() return x .. {} end return f()",
			"local up; local function f() return 'a' .. up end return f()",
			"local function f(self) return self.a .. 'x' end return f({})",
			"local o = {} function o:m() return self .. 'x' end return o:m()",
			"for i = 1, 2 do local z; if i == 2 then return 'x' .. z end end",
			"local t = setmetatable({}, {__concat = function(a, b) return {} end}) return 'x' .. t .. 'y'",
			"local ok, e = pcall(function() local q; return q .. 'a' end) return e",
		)},
		{"string-library", evals(
			"return string.format('%s', 1/3)",
			"return table.concat({1/3, 2^53}, ',')",
			"return string.rep(1/3, 2)",
			"return string.len(1/3)",
			"return string.upper(1e100)",
			"return string.gsub('abc', 'b', 1/3)",
			"return string.gsub(1/3, 3, 4)",
			"return string.find(1/3, 33)",
			"return string.match(2^53, '%d+')",
			"return string.sub(1/3, 1, 5)",
			"return string.byte(1/3, 16)",
			"return string.reverse(1/3)",
			"return string.lower(math.huge)",
			"local s = 0 for w in string.gmatch(1/3, '3') do s = s + 1 end return s",
			"return struct.pack('s', 1/3)",
			"return redis.sha1hex(1/3)",
		)},
		{"string-format", evals(
			"return string.format('%d %5.2f %s %q', 3, 1/3, 2^63, 1/3)",
			"return string.format('%g|%G|%e|%E', 1/3, 1e-10, 12345.678, 0.5)",
			"return string.format('%q', 'a\\nb\\0c\"\\r\\\\')",
			"return string.format('%i|%u|%c%c', 3, 3, 65, 256+66)",
			"return string.format('%x|%X|%o', -1, 255, 8)",
			"return string.format('%x|%d|%u', 0/0, 0/0, 0/0)",
			"return string.format('%x|%d', 2^64, 2^64)",
			"return string.format('%x|%d|%o', 1e30, -1e30, -1)",
			"return string.format('%05s|%-05d|%#x|%#o|%.0d|%#.0f|%.0g|%#g', 'ab', 3, 0, 0, 0, 3, 0.5, 1)",
			"return string.format('%5.1f|%e|%+.3e|% g|%g|%g', -0.5, 1, 1e300*10, 1e-5, 100000, 1e6)",
			"return string.format('%f|%5f|%-6E|%G|%+f|%05f', 1/0, -1/0, 1/0, 0/0, 1/0, -(0/0))",
			"return string.format('%c|%5c|%-3c|', 0, 65, 66)",
			"return string.format('%s|%.2s', 'a\\0b', 'a\\0b')",
			"return #string.format('%s', string.rep('a\\0', 60))",
			"return string.format('%-+ #0d', 1)",
			"return string.format('%+x|% u|%+o', 255, 3, 8)",
			"return string.format('%.3x|%8.3x|%-8.3X|%08.3d|%08d', 5, 5, 255, -5, -5)",
			"return string.format('%#X|%#5o', 255, 8)",
			"return string.format('%.99f', 1)",
			"return string.format('%d|%d|%d', '0x10', ' 10 ', '1e2')",
			"return string.format('%5.2s|%10s|', 12.345, 1/3)",
			"return string.format(12)",
			"return string.format('%%|%5%')",
			"return string.format('%s %s', 1)",
			"return string.format('%-+ #00d', 1)",
			"return string.format('%123d', 1)",
			"return string.format('%y', 3)",
			"return string.format('%h', 1)",
			"return string.format('%', 1)",
			"return string.format('%5', 1)",
			"return string.format('%.3f', 'x')",
			"return string.format('%s', true)",
			"return string.format('%s', nil)",
			"return string.format()",
			"return string.format(nil)",
		)},
		{"table-concat", evals(
			"return table.concat({1,{}})",
			"return table.concat({1,2,3}, ', ', 2, 5)",
			"return table.concat({1,2,3}, nil, 2)",
			"return table.concat({1,2,3}, 1/3)",
			"return table.concat(nil)",
			"return table.concat({}, {})",
			"return table.concat({1,2}, '', 'x')",
			"return table.concat({1,2}, '', '2')",
			"return table.concat({1,2}, '', 2.7)",
			"return table.concat({1,2,3}, '-', 3, 1)",
			"return table.concat({'a', 'b', 'c'}, ', ')",
		)},
		{"loadstring", evals(
			"return loadstring('return 1/3 .. \"\"')()",
			"local f,e = loadstring('error(\"x\")') local ok, m = pcall(f) return m",
			"local f,e = loadstring('local x; return x .. 1') local ok, m = pcall(f) return m",
			"local f,e = loadstring('local x; return x .. 1', '=my') local ok, m = pcall(f) return m",
			"local f,e = loadstring('local x; return x .. 1', '@file.lua') local ok, m = pcall(f) return m",
			"local f,e = loadstring('error(\"x\")', string.rep('b', 80)) local ok, m = pcall(f) return m",
			"return tostring(loadstring(nil))",
			"local i = 0 local f = load(function() i = i + 1 return ({'return ', '1/3', ' .. \"\"'})[i] end) return f()",
		)},
		{"functions", []diffStep{
			c("FUNCTION", "LOAD", "#!lua name=numlib\nredis.register_function('third', function(keys, args) return 1/3 .. '|' .. string.format('%s', 2^53) .. '|' .. table.concat({math.huge}) end)"),
			c("FCALL", "third", "0"),
			c("FUNCTION", "LOAD", "#!lua name=errlib\nredis.register_function('cat', function(keys, args) local x; return args[1] .. x end)"),
			c("FCALL", "cat", "0", "a"),
		}},
	})
}

// TestRedisDiffLuaFormatRandom: string.format with random conversions
// (flags, width, precision) of random numbers and strings, byte for byte
// with redis-server (C's printf behind Lua 5.1).
func TestRedisDiffLuaFormatRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	nums := []string{"0", "1", "-1", "0.5", "-0.5", "1/3", "-2/3", "2^53", "2^63", "-2^63", "2^64", "1e300", "1e-300",
		"123456.789", "-98765.4321", "1e15", "1e16", "0.1", "1/0", "-1/0", "255", "4096.5", "1e-5", "99.995", "0.000123456"}
	strs := []string{"''", "'abc'", "'hello world'", "1/3", "2^53"}
	var lines []string
	for i := 0; i < 400; i++ {
		var spec strings.Builder
		spec.WriteByte('%')
		for _, f := range "-+ #0" {
			if r.IntN(5) == 0 {
				spec.WriteRune(f)
			}
		}
		if r.IntN(2) == 0 {
			fmt.Fprint(&spec, r.IntN(25))
		}
		if r.IntN(2) == 0 {
			fmt.Fprintf(&spec, ".%d", r.IntN(20))
		}
		conv := "cdiouxXeEfgGsq"[r.IntN(14)]
		spec.WriteByte(conv)
		arg := nums[r.IntN(len(nums))]
		if conv == 's' || conv == 'q' {
			arg = strs[r.IntN(len(strs))]
		}
		if conv == 'c' {
			arg = fmt.Sprint(32 + r.IntN(90))
		}
		lines = append(lines, fmt.Sprintf("out[#out+1] = string.format('[%s]', %s)", spec.String(), arg))
	}
	// in chunks, so a difference points at a few lines
	var steps []diffStep
	for i := 0; i < len(lines); i += 40 {
		body := "local out = {}\n" + strings.Join(lines[i:min(i+40, len(lines))], "\n") + "\nreturn out"
		steps = append(steps, diffStep{args: []string{"EVAL", body, "0"}})
	}
	runDiffScripts(t, []diffScript{{"random-formats", steps}})
}

// TestRedisDiffLuaCjsonConfig: lua-cjson's configuration functions set what
// the encoder and decoder do (depths, sparse arrays, number precision,
// invalid numbers), keep it from one script to the next, and check their
// arguments with lua-cjson's errors.
func TestRedisDiffLuaCjsonConfig(t *testing.T) {
	eval := func(body string) diffStep { return diffStep{args: []string{"EVAL", body, "0"}} }
	var steps []diffStep
	for _, b := range []string{
		"return cjson.decode_invalid_numbers()",
		"return cjson.encode_invalid_numbers()",
		"return {pcall(cjson.decode, '[NaN]')}",
		"return {pcall(cjson.decode, '0x10')}",
		"return {pcall(cjson.decode, '[Infinity, -Infinity, +1]')}",
		"return cjson.encode_invalid_numbers('null')",
		"return cjson.encode({0/0, 1/0})",
		"return cjson.encode_invalid_numbers(true)",
		"return cjson.encode({0/0, 1/0, -1/0})",
		"return cjson.encode_invalid_numbers(false)",
		"return {pcall(cjson.encode, {0/0})}",
		"return {cjson.encode_sparse_array()}",
		"return {cjson.encode_sparse_array(true, 3, 5)}",
		"return cjson.encode({[1]=1, [20]=2})",
		"return {cjson.encode_sparse_array(false, 2, 10)}",
		"return {pcall(cjson.encode, {[1]=1, [20]=2})}",
		"return {cjson.encode_sparse_array(nil, 2)}",
		"return cjson.encode({[1]=1,[2]=2,[30]=3})",
		"return cjson.encode_max_depth(0)",
		"return cjson.encode_max_depth('x')",
		"return cjson.encode_max_depth(1, 2)",
		"return cjson.encode_keep_buffer('xx')",
		"return cjson.encode_keep_buffer(false)",
		"return cjson.encode_keep_buffer()",
		"return cjson.encode_keep_buffer('on')",
		"return cjson.encode_number_precision()",
		"return cjson.encode_number_precision(3)",
		"return cjson.encode({1/3, 2/3, 100, 12345, 1e300})",
		"return cjson.encode_number_precision(15)",
		"return cjson.encode_number_precision(14)",
		"return cjson.encode()",
		"return cjson.decode()",
		"return cjson.decode_max_depth(1)",
		"return {pcall(cjson.decode, '[[]]')}",
		"return {pcall(cjson.decode, '[1]')}",
		"return {pcall(cjson.decode, '{\"a\": {\"b\": 1}}')}",
		"return cjson.decode_max_depth(1000)",
		"return cjson.encode_max_depth(2)",
		"return {pcall(cjson.encode, {{{}}})}",
		"return {pcall(cjson.encode, {{}})}",
		"return cjson.encode_max_depth()",
		"return cjson.encode_max_depth(1000)",
		"return cjson.decode_invalid_numbers(false)",
		"return {pcall(cjson.decode, '[NaN]')}",
		"return {pcall(cjson.decode, '[0x10]')}",
		"return {pcall(cjson.decode, '[+1]')}",
		"return {pcall(cjson.decode, '[01]')}",
		"return {pcall(cjson.decode, '[-Infinity]')}",
		"return cjson.decode_invalid_numbers('on')",
		"return {pcall(cjson.decode, '[-]')}",
		"return {pcall(cjson.decode, '[1.5e]')}",
		"return {pcall(cjson.decode, '[.5]')}",
		"return {pcall(cjson.decode, '[nan, inf, -nan]')}",
		"return {pcall(cjson.decode, '[in]')}",
	} {
		steps = append(steps, eval(b))
	}
	runDiffScripts(t, []diffScript{{"cjson-config", steps}})
}

// TestRedisDiffScriptSandbox: what the sandbox shows of itself as Redis's
// does: getmetatable of _G is a read-only table, of a library nil;
// string.dump gives a binary chunk that loadstring refuses.
func TestRedisDiffScriptSandbox(t *testing.T) {
	var steps []diffStep
	for _, b := range []string{
		"return type(getmetatable(_G))",
		"local g = getmetatable(_G) return {type(g.__index), type(g.__newindex), tostring(g.__metatable)}",
		"local g = getmetatable(_G) g.__index = {}",
		"return {type(getmetatable(cjson)), type(getmetatable(redis)), type(getmetatable(string))}",
		"local m = getmetatable(_G) return rawequal(m, getmetatable(_G))",
		"return getmetatable('').__index == string",
		"return type(string.dump(function() return 1 end))",
		"return string.sub(string.dump(function() return 1 end), 1, 5)",
		"local f, e = loadstring(string.dump(function() return 1 end)) return {tostring(f), e}",
		"return {pcall(string.dump, string.len)}",
		"return string.dump()",
	} {
		steps = append(steps, diffStep{args: []string{"EVAL", b, "0"}})
	}
	runDiffScripts(t, []diffScript{{"sandbox", steps}})
}

// TestRedisDiffLuaNumericStrings: where Lua 5.1 wants a number it takes a
// string that reads as one (string.sub(s, ARGV[1]), math.random('3'),
// unpack(t, '2')); gopher-lua's own functions refused it. And library
// errors name the function in quotes.
func TestRedisDiffLuaNumericStrings(t *testing.T) {
	var steps []diffStep
	for _, b := range []string{
		"return math.floor('3.7')",
		"math.randomseed('10') return tostring(math.random())",
		"return math.random('3')",
		"return {math.max('3', 2), math.fmod('7', '3'), math.ldexp('1', '3'), math.abs('-3')}",
		"return {string.rep('x', '3'), string.sub('hello', '2', '3'), string.char('65', 66), ('x'):rep('2'), string.byte('abc', '2')}",
		"return {string.find('hello', 'l', '4')}",
		"return {string.gsub('aaa', 'a', 'b', '2')}",
		"return #table.concat({1,2}, '-', '1', '2')",
		"return {select('2', 'a', 'b'), select('#', 'a', 'b')}",
		"return {unpack({1,2,3}, '2')}",
		"local t = {} table.insert(t, '5') return {t[1], type(t[1])}",
		"local t = {1,2} table.insert(t, '1', 'x') return t",
		"local t = {1,2,3} table.remove(t, '1') return t",
		"return string.sub('hello', ARGV[1], ARGV[2])",
		"return math.random('x')",
		"return math.random(0)",
		"return string.sub('hello', 'x')",
		"return math.sqrt('x')",
		"return table.insert({}, 'x', 1)",
		"return {pcall(function() return string.rep('x', {}) end)}",
	} {
		steps = append(steps, diffStep{args: []string{"EVAL", b, "0", "2", "4"}})
	}
	runDiffScripts(t, []diffScript{{"numeric strings", steps}})
}

// TestRedisDiffScriptErrorStats: INFO errorstats and commandstats count a
// script's errors as Redis does: a command's error once (the script's reply
// that carries it does not count it again: ignore_error_stats_update,
// which scripts see), a command refused inside a script as a rejected
// call, the errors a script makes (redis.error_reply, {err=...}, error()),
// nested ones too, and a call that replied with one as failed.
func TestRedisDiffScriptErrorStats(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	eval := func(body string, rest ...string) diffStep {
		return diffStep{args: append([]string{"EVAL", body}, rest...)}
	}
	// keep the lines of the section that name what the script ran
	lines := func(prefixes ...string) func(string) string {
		return func(reply string) string {
			var out []string
			for _, l := range strings.Split(reply, "\r\n") {
				for _, p := range prefixes {
					if strings.HasPrefix(l, p) {
						// usec fields are timings
						fs := strings.Split(l, ",")
						var keep []string
						for _, f := range fs {
							if !strings.Contains(f, "usec") {
								keep = append(keep, f)
							}
						}
						out = append(out, strings.Join(keep, ","))
					}
				}
			}
			sort.Strings(out) // Redis lists them in its dict's order
			return strings.Join(out, "\n")
		}
	}
	runDiffScripts(t, []diffScript{{"error stats", []diffStep{
		c("SET", "str", "abc"),
		c("CONFIG", "RESETSTAT"),
		eval("return redis.call('incr','str')", "0"),
		eval("return redis.pcall('incr','str')", "0"),
		eval("redis.pcall('incr','str') return 1", "0"),
		eval("return redis.call('nosuchcmd')", "0"),
		eval("return {1, redis.error_reply('INNER x')}", "0"),
		eval("return {1, redis.pcall('incr', 'str')}", "0"),
		eval("error('boom')", "0"),
		{args: []string{"EVAL_RO", "return redis.call('set','x','y')", "1", "x"}},
		eval("return redis.error_reply('MY_ERR_CODE custom msg')", "0"),
		eval("return {err='My Error'}", "0"),
		eval("return redis.error_reply('')", "0"),
		eval("local t = redis.pcall('incr','str') local ks = {} for k, v in pairs(t) do ks[#ks+1] = k .. '=' .. tostring(v) end table.sort(ks) return ks", "0"),
		eval("local t = redis.pcall('nosuch') local ks = {} for k, v in pairs(t) do ks[#ks+1] = k .. '=' .. tostring(v) end table.sort(ks) return ks", "0"),
		eval("local t = redis.error_reply('X y') local ks = {} for k, v in pairs(t) do ks[#ks+1] = k .. '=' .. tostring(v) end table.sort(ks) return ks", "0"),
		c("INFO", "errorstats").with(lines("errorstat_")),
		c("INFO", "stats").with(lines("total_error_replies")),
		c("INFO", "commandstats").with(lines("cmdstat_eval", "cmdstat_incr", "cmdstat_set:")),
	}}})
}

// TestRedisDiffLuaNestingLimits: a chunk nested too deep is refused at
// compile time (Lua's "chunk has too many syntax levels"; gopher-lua's
// compiler overflowed the goroutine's stack on a few megabytes of
// `not not ...`, killing the server), and cjson and cmsgpack stop where
// Redis's Lua stack stops them whatever their settings.
func TestRedisDiffLuaNestingLimits(t *testing.T) {
	eval := func(body string) diffStep { return diffStep{args: []string{"EVAL", body, "0"}} }
	// (Lua 5.1 refuses past 200 levels; fastcache past maxSyntaxDepth,
	// where its compiler's stack is still far from its limit)
	n := maxSyntaxDepth + 1000
	steps := []diffStep{
		eval("return " + strings.Repeat("not ", n) + "1"),
		eval("return " + strings.Repeat("1 + (", n) + "1" + strings.Repeat(")", n)),
		eval("return " + strings.Repeat("'a' .. ", n) + "'b'"),
		eval("return " + strings.Repeat("{", n) + strings.Repeat("}", n)),
	}
	for _, n := range []int{7990, 7999} {
		steps = append(steps, eval(fmt.Sprintf("cjson.decode_max_depth(1000000) local ok, e = pcall(cjson.decode, string.rep('[', %d) .. string.rep(']', %d)) cjson.decode_max_depth(1000) return {tostring(ok), type(e) == 'table' and 'table' or e}", n, n)))
	}
	for _, n := range []int{7996, 7997} {
		steps = append(steps, eval(fmt.Sprintf("cjson.encode_max_depth(1000000) local t = {} local c = t for i = 1, %d do c[1] = {} c = c[1] end local ok, e = pcall(cjson.encode, t) cjson.encode_max_depth(1000) return {tostring(ok), #e}", n)))
	}
	for _, n := range []int{3999, 4000} {
		steps = append(steps, eval(fmt.Sprintf("local ok, e = pcall(cmsgpack.unpack, string.rep(string.char(0x91), %d) .. string.char(1)) return {tostring(ok), type(e) == 'table' and 'table' or e}", n)))
	}
	runDiffScripts(t, []diffScript{{"nesting", steps}})
}
