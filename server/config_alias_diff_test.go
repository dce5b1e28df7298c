package server

import (
	"os"
	"path/filepath"
	"testing"

	"fastcache/config"
)

// TestRedisDiffConfigAliases: Redis 7.0 takes the *-ziplist-* names of the
// *-listpack-* parameters (and lua-time-limit, repl-ping-slave-period) in
// CONFIG SET and CONFIG GET; a pattern lists both names. Setting an alias
// changes the encoding thresholds the type commands use.
func TestRedisDiffConfigAliases(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	get := func(p string) diffStep { return c("CONFIG", "GET", p).with(diffSortedPairs) }
	runDiffScripts(t, []diffScript{
		{"ziplist-aliases", []diffStep{
			c("CONFIG", "SET", "hash-max-ziplist-entries", "4", "hash-max-ziplist-value", "16"),
			get("hash-max-*"), get("hash-max-ziplist-entries"), get("HASH-MAX-ZIPLIST-VALUE"),
			c("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"), c("OBJECT", "ENCODING", "h"),
			c("HSET", "h", "e", "5"), c("OBJECT", "ENCODING", "h"),
			c("HSET", "h2", "f", "01234567890123456789"), c("OBJECT", "ENCODING", "h2"),
			c("CONFIG", "SET", "zset-max-ziplist-entries", "2", "zset-max-ziplist-value", "1kb"),
			get("zset-max-*"), get("*ziplist*"),
			c("ZADD", "z", "1", "a", "2", "b"), c("OBJECT", "ENCODING", "z"),
			c("ZADD", "z", "3", "c"), c("OBJECT", "ENCODING", "z"),
			c("CONFIG", "SET", "list-max-ziplist-size", "-1"), get("list-max-*"),
			c("CONFIG", "SET", "list-max-ziplist-size", "abc"),
			c("CONFIG", "SET", "hash-max-ziplist-entries", "-1"),
			// both names in one call: distinct parameters to Redis, the last wins
			c("CONFIG", "SET", "hash-max-ziplist-entries", "5", "hash-max-listpack-entries", "6"),
			get("hash-max-*-entries"),
			c("CONFIG", "SET", "hash-max-ziplist-entries", "7", "hash-max-ziplist-entries", "8"),
			c("CONFIG", "SET", "lua-time-limit", "4000"), get("busy-reply-threshold"), get("lua-time-limit"),
			c("CONFIG", "SET", "hash-max-listpack-entries", "128", "hash-max-listpack-value", "64",
				"zset-max-listpack-entries", "128", "zset-max-listpack-value", "64", "list-max-listpack-size", "-2",
				"busy-reply-threshold", "5000"),
			get("*ziplist*"),
		}},
	})
}

// TestConfigFileZiplistAliases: an old redis.conf with the *-ziplist-*
// names (and the deprecated list-max-ziplist-entries/value lines Redis
// skips) loads, and the values reach the *-listpack-* parameters.
func TestConfigFileZiplistAliases(t *testing.T) {
	f := filepath.Join(t.TempDir(), "redis.conf")
	os.WriteFile(f, []byte("hash-max-ziplist-entries 10\nhash-max-ziplist-value 20\nzset-max-ziplist-entries 30\n"+
		"zset-max-ziplist-value 40\nlist-max-ziplist-size 50\nlist-max-ziplist-entries 512\nlist-max-ziplist-value 64\n"), 0o644)
	cfg, err := config.Load([]string{f, "--zset-max-ziplist-value", "41"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HashMaxListpackEntries() != 10 || cfg.HashMaxListpackValue() != 20 || cfg.ZSetMaxListpackEntries() != 30 ||
		cfg.ZSetMaxListpackValue() != 41 || cfg.ListMaxListpackSize() != 50 {
		t.Fatalf("aliases not applied: %v", cfg.Get("*-max-*"))
	}
}
