package server

import (
	"strings"
	"testing"
	"time"
)

// TestBoundedScript: which scripts run without the kill check before every
// instruction (script_bounded.go): only those that surely end soon.
func TestBoundedScript(t *testing.T) {
	for _, c := range []struct {
		src     string
		bounded bool
	}{
		{"return redis.call('INCR', KEYS[1])", true},
		{"local n = 0 for i = 1, 10 do n = n + redis.call('INCR', KEYS[1]) end return n", true},
		{"if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", true},
		{"return redis.pcall('INCR', KEYS[1])", true},
		{"local t = {} for i = 1, 5 do for j = 10, 1, -1 do t[#t+1] = i * j end end return #t", true},
		{"return redis.call('INCR', redis.call('GET', KEYS[1]) or 'x')", true},
		{"return 1", true},
		{"while true do end", false},
		{"repeat until false", false},
		{"for i = 1, 10, 0 do end", false},
		{"for i = 1, 1e9 do end", false},
		{"for i = 1, 200 do for j = 1, 200 do end end", false},
		{"local n = tonumber(ARGV[1]) for i = 1, n do end", false},
		{"for i = 1, 10 do redis.call('INCR', KEYS[1]) end for k, v in pairs(KEYS) do end", false},
		{"return tostring(1)", false},
		{"local f = redis.call return f('PING')", false},
		{"local function f() return f() end return f()", false},
		{"return loadstring('while true do end')()", false},
		{"return pcall(redis.call, 'PING')", false},
		{"local r = redis return r.call('PING')", false},
		{"return redis.call('PING') .. 'x'", true},
		{"local k = KEYS[1] .. ':' .. ARGV[1] redis.call('INCR', k) return redis.call('EXPIRE', k, 10)", true},
		{"local t = {} return t .. 'x'", true},
		{"for i = 1, 10 do local s = i .. 'x' end return tostring(1) .. 'x'", false},
	} {
		p, err := compileLua(c.src, "user_script")
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		patchRedisCalls(p)
		patchArgGlobals(p, nil)
		if got := boundedScript(p); got != c.bounded {
			t.Errorf("%q: bounded %v, want %v", c.src, got, c.bounded)
		}
	}
}

// TestBoundedScriptKill: SCRIPT KILL stops a bounded script (one that runs
// without the kill check before every instruction) at its next redis.call.
func TestBoundedScriptKill(t *testing.T) {
	ts := startServer(t, "busy-reply-threshold", "100")
	long := ts.client(t, 2)
	other := ts.client(t, 2)
	vals := make([]any, 1000)
	for i := range vals {
		vals[i] = i
	}
	for i := 0; i < 100; i++ {
		if err := other.RPush(ctx(), "big", vals...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	body := "for i = 1, 1000 do redis.call('LRANGE', KEYS[1], 0, -1) end return 1"
	p, err := compileLua(body, "user_script")
	if err != nil {
		t.Fatal(err)
	}
	patchRedisCalls(p)
	patchArgGlobals(p, nil)
	if !boundedScript(p) {
		t.Fatal("the script is not bounded")
	}
	done := make(chan error, 1)
	go func() { done <- long.Eval(ctx(), body, []string{"big"}).Err() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("the script ended before other clients saw -BUSY: %v", err)
		default:
		}
		err := other.Get(ctx(), "k").Err()
		if err != nil && strings.HasPrefix(err.Error(), "BUSY ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no -BUSY: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := other.Do(ctx(), "SCRIPT", "KILL").Err(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL...") {
		t.Fatalf("killed script replied %v", err)
	}
	// A function as well, with FUNCTION KILL.
	lib := "#!lua name=bl\nredis.register_function('slow', function(keys) for i = 1, 1000 do redis.call('LRANGE', keys[1], 0, -1) end return 1 end)\n" +
		"redis.register_function('spin', function() while true do end end)"
	if err := other.FunctionLoad(ctx(), lib).Err(); err != nil {
		t.Fatal(err)
	}
	ts.srv.scr.runMu.Lock()
	slow, spin := ts.srv.scr.fn.funcs["slow"].bounded, ts.srv.scr.fn.funcs["spin"].bounded
	ts.srv.scr.runMu.Unlock()
	if !slow || spin {
		t.Fatalf("bounded: slow %v, spin %v", slow, spin)
	}
	go func() { done <- long.FCall(ctx(), "slow", []string{"big"}).Err() }()
	for {
		err := other.Do(ctx(), "FUNCTION", "KILL").Err()
		if err == nil {
			break
		}
		if !strings.HasPrefix(err.Error(), "NOTBUSY") || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := <-done; err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user with FUNCTION KILL...") {
		t.Fatalf("killed function replied %v", err)
	}

	// The engine checks again: a loop with no redis.call is killable.
	go func() { done <- long.Eval(ctx(), "while true do end", nil).Err() }()
	for {
		err := other.Do(ctx(), "SCRIPT", "KILL").Err()
		if err == nil {
			break
		}
		if !strings.HasPrefix(err.Error(), "NOTBUSY") || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := <-done; err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL...") {
		t.Fatalf("killed script replied %v", err)
	}
}
