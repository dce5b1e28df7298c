package server

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"fastcache/persistence"
)

// TestRedisDiffDebugReload: DEBUG RELOAD and its options, DEBUG DIGEST of
// an empty keyspace and DEBUG DIGEST-VALUE of a missing key answer as
// Redis 7.0's; after a reload every type keeps its contents, its encoding,
// its TTL and its database.
func TestRedisDiffDebugReload(t *testing.T) {
	redisAddr := diffRedisServer(t, "--enable-debug-command", "yes")
	fc := startServer(t, "enable-debug-command", "yes", "dir", t.TempDir())
	c := func(args ...string) diffStep { return diffStep{args: args} }
	ttl := func(args ...string) diffStep { return c(args...).with(diffPositive) }
	big := []string{"SADD", "bigset"}
	bigHash := []string{"HSET", "bighash"}
	for i := 0; i < 600; i++ {
		big = append(big, strconv.Itoa(i))
		bigHash = append(bigHash, "f"+strconv.Itoa(i), strconv.Itoa(i))
	}
	data := []diffStep{
		c("CONFIG", "SET", "hash-max-listpack-entries", "128"), // the same threshold on both servers
		c("SET", "s", "hello"), c("SET", "n", "12345"), c("SET", "raw", strings.Repeat("x", 60)),
		c("EXPIRE", "s", "1000"),
		c("HSET", "h", "a", "1", "b", "2"), c(bigHash...),
		c("SADD", "iset", "1", "2", "3"), c("SADD", "sset", "a", "b"), c(big...),
		c("ZADD", "z", "1", "a", "2.5", "b", "-inf", "c"), c("ZADD", "bigz", "1", strings.Repeat("m", 100)),
		c("RPUSH", "l", "a", "b", "c", "1", "2"), c("PEXPIRE", "l", "500000"),
		c("SELECT", "3"), c("SET", "indb3", "v"), c("SELECT", "0"),
	}
	check := []diffStep{
		c("DBSIZE"), c("GET", "s"), ttl("TTL", "s"), c("GET", "n"), c("GET", "raw"),
		c("HGETALL", "h").with(diffSortedPairs), c("HLEN", "bighash"), c("HGET", "bighash", "f599"),
		c("SMEMBERS", "iset").with(diffSorted), c("SMEMBERS", "sset").with(diffSorted), c("SCARD", "bigset"),
		c("ZRANGE", "z", "0", "-1", "WITHSCORES"), c("ZRANGE", "bigz", "0", "-1", "WITHSCORES"),
		c("LRANGE", "l", "0", "-1"), ttl("PTTL", "l"), ttl("TTL", "h"),
		c("SELECT", "3"), c("GET", "indb3"), c("SELECT", "0"),
	}
	for _, k := range []string{"s", "n", "raw", "h", "bighash", "iset", "sset", "bigset", "z", "bigz", "l"} {
		check = append(check, c("OBJECT", "ENCODING", k))
	}
	steps := []diffStep{
		c("DEBUG", "DIGEST"), c("DEBUG", "DIGEST-VALUE", "nokey", "other"), c("DEBUG", "DIGEST-VALUE"),
		c("DEBUG", "DIGEST", "x"), c("DEBUG", "RELOAD", "FOO"), c("DEBUG", "RELOAD", "MERGE", "bad"),
		c("DEBUG", "RELOAD"), c("DBSIZE"), c("DEBUG", "DIGEST"),
	}
	steps = append(steps, data...)
	steps = append(steps, check...)
	steps = append(steps, c("DEBUG", "RELOAD"))
	steps = append(steps, check...)
	// NOSAVE loads what the last RELOAD saved: the keys written since go.
	steps = append(steps, c("SET", "since", "1"), c("DEL", "h"), c("DEBUG", "RELOAD", "NOSAVE"),
		c("EXISTS", "since"), c("EXISTS", "h"))
	steps = append(steps, check...)
	// NOSAVE NOFLUSH MERGE adds the file's keys to the current ones.
	steps = append(steps, c("FLUSHDB"), c("SET", "mine", "1"), c("SET", "n", "changed"),
		c("DEBUG", "RELOAD", "nosave", "noflush", "merge"), c("GET", "mine"))
	steps = append(steps, check...)
	steps = append(steps, c("CONFIG", "SET", "hash-max-listpack-entries", "128"))
	runDiffScriptsAt(t, redisAddr, fc, []diffScript{{"debug reload", steps}})
}

// TestDebugReloadEverything: a reload keeps every type (streams with
// consumer groups and pending entries, hash-field TTLs), key TTLs, every
// database and the function libraries; DEBUG DIGEST is the same before and
// after.
func TestDebugReloadEverything(t *testing.T) {
	ts := startServer(t, "enable-debug-command", "yes", "dir", t.TempDir())
	rc := ts.rawConn(t)
	for _, cmd := range [][]string{
		{"SET", "s", "v", "EX", "1000"}, {"HSET", "h", "a", "1", "b", "2", "c", "3"}, {"HEXPIRE", "h", "900", "FIELDS", "1", "a"},
		{"SADD", "set", "x", "y"}, {"ZADD", "z", "1", "a", "2", "b"}, {"RPUSH", "l", "1", "2", "3"},
		{"XADD", "st", "1-1", "f", "v"}, {"XADD", "st", "2-1", "g", "w"}, {"XGROUP", "CREATE", "st", "grp", "0"},
		{"XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", "st", ">"},
		{"SELECT", "5"}, {"SET", "five", "5"}, {"LPUSH", "l5", "x"}, {"SELECT", "0"},
		{"FUNCTION", "LOAD", "#!lua name=lib1\nredis.register_function('f1', function() return 'one' end)"},
	} {
		if r := rc.do(cmd...); strings.HasPrefix(r, "-") {
			t.Fatalf("%q: %q", cmd, r)
		}
	}
	dump := func() string {
		var b strings.Builder
		for _, db := range []string{"0", "5"} {
			rc.do("SELECT", db)
			keys := strings.Split(rc.do("KEYS", "*"), "\r\n")
			sort.Strings(keys)
			for _, k := range keys {
				if k == "" || k[0] == '*' || k[0] == '$' {
					continue
				}
				typ := rc.do("TYPE", k)
				fmt.Fprintf(&b, "%s %s %s enc=%s exp=%s ", db, k, typ, rc.do("OBJECT", "ENCODING", k), rc.do("EXPIRETIME", k))
				switch typ {
				case "+string\r\n":
					b.WriteString(rc.do("GET", k))
				case "+hash\r\n":
					b.WriteString(diffSortedPairs(rc.do("HGETALL", k)) + rc.do("HEXPIRETIME", k, "FIELDS", "3", "a", "b", "c"))
				case "+set\r\n":
					b.WriteString(diffSorted(rc.do("SMEMBERS", k)))
				case "+zset\r\n":
					b.WriteString(rc.do("ZRANGE", k, "0", "-1", "WITHSCORES"))
				case "+list\r\n":
					b.WriteString(rc.do("LRANGE", k, "0", "-1"))
				case "+stream\r\n":
					b.WriteString(rc.do("XRANGE", k, "-", "+") + rc.do("XINFO", "STREAM", k) + rc.do("XPENDING", k, "grp"))
				}
				b.WriteString("\n")
			}
		}
		rc.do("SELECT", "0")
		return b.String() + rc.do("FCALL", "f1", "0")
	}
	before, digest := dump(), rc.do("DEBUG", "DIGEST")
	if digest == "+"+strings.Repeat("0", 40)+"\r\n" || len(digest) != 43 {
		t.Fatalf("DEBUG DIGEST of a keyspace with keys: %q", digest)
	}
	if r := rc.do("DEBUG", "RELOAD"); r != "+OK\r\n" {
		t.Fatalf("DEBUG RELOAD: %q", r)
	}
	if after := dump(); after != before {
		t.Fatalf("after DEBUG RELOAD:\n%s\nbefore:\n%s", after, before)
	}
	if d := rc.do("DEBUG", "DIGEST"); d != digest {
		t.Fatalf("DEBUG DIGEST after the reload %q, before %q", d, digest)
	}
	// MULTI: refused inside the transaction, the rest of it runs
	rc.do("MULTI")
	rc.do("DEBUG", "RELOAD")
	rc.do("SET", "tx", "1")
	if r := rc.do("EXEC"); r != "*2\r\n-ERR DEBUG RELOAD is not allowed inside a transaction\r\n+OK\r\n" {
		t.Fatalf("DEBUG RELOAD in MULTI: %q", r)
	}
}

// TestDebugReloadOptions: NOFLUSH without MERGE refuses a file whose keys
// (or libraries) exist, and changes nothing; with MERGE the file's values
// replace them and the other keys stay; NOSAVE without a saved file fails.
func TestDebugReloadOptions(t *testing.T) {
	ts := startServer(t, "enable-debug-command", "yes", "dir", t.TempDir())
	rc := ts.rawConn(t)
	const loadErr = "-ERR Error trying to load the RDB dump\r\n"
	if r := rc.do("DEBUG", "RELOAD", "NOSAVE"); r != loadErr {
		t.Fatalf("NOSAVE without a file: %q", r)
	}
	rc.do("SET", "a", "1")
	rc.do("RPUSH", "l", "x", "y")
	rc.do("DEBUG", "RELOAD")
	rc.do("SET", "b", "2")
	if r := rc.do("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"); r != loadErr {
		t.Fatalf("NOFLUSH with conflicting keys: %q", r)
	}
	if r := rc.do("MGET", "a", "b"); r != "*2\r\n$1\r\n1\r\n$1\r\n2\r\n" {
		t.Fatalf("after a refused NOFLUSH: %q", r)
	}
	rc.do("SET", "a", "changed")
	rc.do("RPUSH", "l", "z")
	if r := rc.do("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"); r != "+OK\r\n" {
		t.Fatalf("NOFLUSH MERGE: %q", r)
	}
	if r := rc.do("MGET", "a", "b"); r != "*2\r\n$1\r\n1\r\n$1\r\n2\r\n" {
		t.Fatalf("after MERGE: %q", r)
	}
	if r := rc.do("LRANGE", "l", "0", "-1"); r != "*2\r\n$1\r\nx\r\n$1\r\ny\r\n" {
		t.Fatalf("a merged list replaces the key's: %q", r)
	}
	// libraries: a loaded one conflicts without MERGE
	rc.do("FLUSHALL")
	rc.do("FUNCTION", "LOAD", "#!lua name=lib1\nredis.register_function('f1', function() return 'one' end)")
	rc.do("DEBUG", "RELOAD")
	if r := rc.do("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"); r != loadErr {
		t.Fatalf("NOFLUSH with a loaded library: %q", r)
	}
	if r := rc.do("DEBUG", "RELOAD", "NOFLUSH", "MERGE"); r != "+OK\r\n" {
		t.Fatalf("NOFLUSH MERGE with a loaded library: %q", r)
	}
	if r := rc.do("FCALL", "f1", "0"); r != "$3\r\none\r\n" {
		t.Fatalf("FCALL after the reloads: %q", r)
	}
}

// TestDebugDigest: the digest depends on the content only: two keys built
// in a different order, or with a different encoding, digest alike; it
// changes when a value, a TTL or a key's database changes; an empty
// keyspace is all zeros, as Redis's.
func TestDebugDigest(t *testing.T) {
	ts := startServer(t, "enable-debug-command", "yes")
	rc := ts.rawConn(t)
	zero := "+" + strings.Repeat("0", 40) + "\r\n"
	if r := rc.do("DEBUG", "DIGEST"); r != zero {
		t.Fatalf("empty: %q", r)
	}
	value := func(k string) string {
		r := rc.do("DEBUG", "DIGEST-VALUE", k)
		if !strings.HasPrefix(r, "*1\r\n+") || len(r) != len("*1\r\n+\r\n")+40 {
			t.Fatalf("DIGEST-VALUE %s: %q", k, r)
		}
		return r
	}
	pairs := [][2][]string{
		{{"HSET", "h1", "a", "1", "b", "2", "c", "3"}, {"HSET", "h2", "c", "3", "b", "2", "a", "1"}},
		{{"SADD", "s1", "1", "2", "3"}, {"SADD", "s2", "3", "2", "1"}},
		{{"ZADD", "z1", "1", "a", "2", "b"}, {"ZADD", "z2", "2", "b", "1", "a"}},
		{{"SET", "k1", "123"}, {"SET", "k2", "123"}},
	}
	for _, p := range pairs {
		rc.do(p[0]...)
		rc.do(p[1]...)
		if a, b := value(p[0][1]), value(p[1][1]); a != b {
			t.Fatalf("%q and %q: %q != %q", p[0], p[1], a, b)
		}
	}
	// other encodings of the same content
	rc.do("CONFIG", "SET", "hash-max-listpack-entries", "1")
	rc.do("CONFIG", "SET", "set-max-intset-entries", "1")
	rc.do("CONFIG", "SET", "zset-max-listpack-entries", "1")
	for _, cmd := range [][]string{{"HSET", "h3", "b", "2", "a", "1", "c", "3"}, {"SADD", "s3", "2", "1", "3"}, {"ZADD", "z3", "1", "a", "2", "b"}} {
		rc.do(cmd...)
		if e := rc.do("OBJECT", "ENCODING", cmd[1]); e == "+listpack\r\n" || e == "+intset\r\n" {
			t.Fatalf("%s kept the compact encoding", cmd[1])
		}
		if a, b := value(cmd[1]), value(cmd[1][:1]+"1"); a != b {
			t.Fatalf("%s (%s) and %s1 digest differently", cmd[1], rc.do("OBJECT", "ENCODING", cmd[1]), cmd[1][:1])
		}
	}
	all := rc.do("DEBUG", "DIGEST")
	for _, change := range [][]string{
		{"HSET", "h1", "a", "9"}, {"EXPIRE", "k1", "100"}, {"MOVE", "k2", "1"}, {"RPUSH", "l", "x"}, {"RPUSH", "l", "y"},
	} {
		h1 := value("h1")
		rc.do(change...)
		d := rc.do("DEBUG", "DIGEST")
		if d == all {
			t.Fatalf("DEBUG DIGEST did not change with %q", change)
		}
		if change[1] == "h1" && value("h1") == h1 {
			t.Fatalf("DIGEST-VALUE did not change with %q", change)
		}
		all = d
	}
	rc.do("LPUSH", "l2", "y", "x")
	if value("l") != value("l2") {
		t.Fatal("two lists [x y] digest differently")
	}
	rc.do("LPUSH", "l3", "x", "y")
	if value("l") == value("l3") {
		t.Fatal("lists [x y] and [y x] digest alike")
	}
	if r := rc.do("DEBUG", "DIGEST-VALUE", "missing", "h1"); !strings.HasPrefix(r, "*2\r\n"+zero) {
		t.Fatalf("a missing key: %q", r)
	}
	rc.do("FLUSHALL")
	if r := rc.do("DEBUG", "DIGEST"); r != zero {
		t.Fatalf("after FLUSHALL: %q", r)
	}
}

// Under appendfsync always, DEBUG RELOAD NOSAVE and NOFLUSH (logged) are
// acknowledged only once durable, as a write is.
func TestDebugReloadDurableUnderAlways(t *testing.T) {
	wo := persistence.Options{Dir: filepath.Join(t.TempDir(), "wal"), Shards: 16, Fsync: "always"}
	w, err := persistence.Open(wo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	ts := startServerWAL(t, w, nil, "appendonly", "yes", "appendfsync", "always", "enable-debug-command", "yes", "dir", t.TempDir())
	rc := ts.rawConn(t)
	for i := 0; i < 50; i++ {
		rc.do("MSET", "a"+strconv.Itoa(i), "1", "b", "2", "c", "3")
		for _, opts := range [][]string{{"DEBUG", "RELOAD"}, {"DEBUG", "RELOAD", "NOSAVE"}, {"DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"}} {
			if r := rc.do(opts...); r != "+OK\r\n" {
				t.Fatalf("%q: %q", opts, r)
			}
			if d, l := ts.cache.DurableLSN(), ts.cache.LastLSN(); d < l {
				t.Fatalf("%q acknowledged at durable LSN %d < last LSN %d", opts, d, l)
			}
		}
	}
}
