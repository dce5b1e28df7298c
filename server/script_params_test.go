package server

import "testing"

func TestParamsStayLocal(t *testing.T) {
	for _, tc := range []struct {
		body string
		want bool
	}{
		{"return redis.call('INCR', keys[1])", true},
		{"return {#keys, keys[1], args[2], keys.x}", true},
		{"keys[1] = 'x'; args.y = 2; return keys", true},
		{"if keys[1] then return 1 end return #args", true},
		{"local n = 0 for i = 1, #keys do n = n + #keys[i] end return n", true},
		{"local k = keys; return k[1]", false},                                    // copied
		{"return redis.call('GET', unpack(keys))", false},                         // passed to a call
		{"for i, k in ipairs(keys) do end", false},                                // passed to ipairs
		{"saved = keys", false},                                                   // a global
		{"local t = {keys}; return t", false},                                     // into a table
		{"local t = {}; t.k = args; return t", false},                             // into a table
		{"local t = {}; t[keys] = 1; return t", false},                            // as a key
		{"local f = function() return keys[1] end; return f()", false},            // captured
		{"return keys .. 'x'", false},                                             // an operand
		{"return keys == args", false},                                            // an operand
		{"return keys:foo()", false},                                              // self
		{"error(keys)", false},                                                    // raised
		{"local f = function() return keys end; keys = #keys; return f()", false}, // captured, then overwritten
		{"local x = 1; local f = function() return x end; return f() + #keys", true},
	} {
		proto, err := compileLua("return function(keys, args) "+tc.body+" end", "t")
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		if got := paramsStayLocal(proto.FunctionPrototypes[0]); got != tc.want {
			t.Errorf("%s: paramsStayLocal = %v, want %v", tc.body, got, tc.want)
		}
	}
	proto, _ := compileLua("return function(...) return ... end", "t")
	if paramsStayLocal(proto.FunctionPrototypes[0]) {
		t.Error("a vararg function")
	}
}
