package server

import "testing"

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
