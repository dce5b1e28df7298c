package server

import "testing"

// The syntax checker finds no error in valid Lua 5.1: every construct of the
// grammar, the lexer's numbers, strings and comments.
func TestLua51SyntaxCheckValid(t *testing.T) {
	for _, src := range []string{
		"",
		"return",
		"return;",
		"local a, b = 1, 2; return a + b",
		"local t = {1, 2; 3, x = 1, ['y'] = 2, [3] = {}, f = function(...) return ... end,}",
		"return #KEYS, -1, not nil, 2^-3^2, 1 .. 2 .. 'x', 1 == 2, 1 ~= 2, 1 <= 2, 1 >= 2, 1 < 2, 1 > 2, true and false or nil",
		"return 0x1F, 1e10, 1.5E-3, .5, 3., 0xa",
		"return 'a\\'b', \"a\\\"b\", 'a\\\nb', '\\65\\066\\0677', [[x]], [==[a]]b]=]c]==], [[\nfirst newline skipped]]",
		"-- line comment\n--[[ long\ncomment ]] --[==[ another ]==]\nreturn 1",
		"if a then elseif b then else end",
		"while false do break end",
		"repeat local x = 1 until x",
		"for i = 1, 10, 2 do end for i = 1, 2 do break end",
		"for k, v in pairs({}) do end for k in next, {} do end",
		"do local x end",
		"function a.b.c:d(x, y, ...) return self end",
		"local function f() return f end",
		"local f = function() end f() f{} f'x' f[[x]] f.x = 1 f['y'] = 2 f:g() (f)() (f).x = 1",
		"a, b.c, d[1] = 1, 2, 3",
		"return redis.call('get', KEYS[1]):len()",
		"local x = {} x.y = x['y'] or {} return x.y.z",
		"return function() return function() return 1 end end",
	} {
		if msg := lua51SyntaxCheck(src, "user_script"); msg != "" {
			t.Errorf("%q: %s", src, msg)
		}
	}
}
