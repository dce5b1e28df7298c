package server

import "testing"

// TestRedisDiffLFUConfig: lfu-log-factor and lfu-decay-time act as in
// Redis. With a factor of 0 every access counts, so OBJECT FREQ is exact
// (5, the counter of a new key, plus one per access); with 0 decay nothing
// is taken back; the ranges and errors are Redis's.
func TestRedisDiffLFUConfig(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	steps := []diffStep{
		c("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"),
		c("CONFIG", "SET", "lfu-log-factor", "0"),
		c("CONFIG", "SET", "lfu-decay-time", "0"),
		c("SET", "k", "v"),
		c("OBJECT", "FREQ", "k"),
	}
	for i := 0; i < 12; i++ {
		steps = append(steps, c("GET", "k"))
	}
	steps = append(steps,
		c("OBJECT", "FREQ", "k"),
		c("APPEND", "s", "a"), c("APPEND", "s", "b"), c("STRLEN", "s"),
		c("OBJECT", "FREQ", "s"),
		c("CONFIG", "GET", "lfu-log-factor"),
		c("CONFIG", "GET", "lfu-decay-time"),
		c("CONFIG", "SET", "lfu-log-factor", "-1"),
		c("CONFIG", "SET", "lfu-decay-time", "x"),
		c("CONFIG", "SET", "lfu-log-factor", "10"),
		c("CONFIG", "SET", "lfu-decay-time", "1"),
		c("CONFIG", "GET", "lfu-log-factor"),
		c("CONFIG", "GET", "lfu-decay-time"),
		c("CONFIG", "SET", "maxmemory-policy", "noeviction"),
	)
	// (the factors are the process's; the next test server sets them
	// from its own config again)
	runDiffScripts(t, []diffScript{{name: "lfu", steps: steps}})
}
