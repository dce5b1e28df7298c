package server

import (
	"strconv"
	"testing"
	"time"
)

// Hash-field expiry follows Redis 7.4's documented semantics (Redis 7.0, the
// differential target, has none): these tests assert the replies directly.
func TestHashFieldExpiry(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	expect := func(want string, args ...string) {
		t.Helper()
		if got := rc.do(args...); got != want {
			t.Fatalf("%q: %q, want %q", args, got, want)
		}
	}
	expect(":3\r\n", "HSET", "h", "a", "1", "b", "2", "c", "3")
	expect("*2\r\n:-2\r\n:-2\r\n", "HEXPIRE", "nokey", "100", "FIELDS", "2", "a", "b")
	expect("*3\r\n:1\r\n:1\r\n:-2\r\n", "HEXPIRE", "h", "100", "FIELDS", "3", "a", "b", "zz")
	expect("*1\r\n:0\r\n", "HEXPIRE", "h", "200", "NX", "FIELDS", "1", "a")
	expect("*1\r\n:1\r\n", "HEXPIRE", "h", "200", "XX", "FIELDS", "1", "a")
	expect("*1\r\n:0\r\n", "HEXPIRE", "h", "200", "XX", "FIELDS", "1", "c")
	expect("*1\r\n:0\r\n", "HEXPIRE", "h", "50", "GT", "FIELDS", "1", "a")
	expect("*1\r\n:1\r\n", "HEXPIRE", "h", "300", "GT", "FIELDS", "1", "a")
	expect("*1\r\n:0\r\n", "HEXPIRE", "h", "300", "GT", "FIELDS", "1", "c") // no TTL counts as infinite
	expect("*1\r\n:1\r\n", "HEXPIRE", "h", "300", "LT", "FIELDS", "1", "c")
	expect("*4\r\n:300\r\n:100\r\n:300\r\n:-2\r\n", "HTTL", "h", "FIELDS", "4", "a", "b", "c", "zz")
	if got := rc.do("HPTTL", "h", "FIELDS", "1", "b"); got[:5] != "*1\r\n:" {
		t.Fatalf("HPTTL: %q", got)
	}
	at := time.Now().Add(time.Hour).Unix()
	expect("*1\r\n:1\r\n", "HEXPIREAT", "h", strconv.FormatInt(at, 10), "FIELDS", "1", "b")
	expect("*1\r\n:"+strconv.FormatInt(at, 10)+"\r\n", "HEXPIRETIME", "h", "FIELDS", "1", "b")
	expect("*1\r\n:"+strconv.FormatInt(at*1000, 10)+"\r\n", "HPEXPIRETIME", "h", "FIELDS", "1", "b")
	// HINCRBY keeps a field's TTL, HSET clears it, HPERSIST removes it.
	expect(":5\r\n", "HINCRBY", "h", "c", "2")
	expect("*1\r\n:300\r\n", "HTTL", "h", "FIELDS", "1", "c")
	expect(":0\r\n", "HSET", "h", "c", "9")
	expect("*1\r\n:-1\r\n", "HTTL", "h", "FIELDS", "1", "c")
	expect("*3\r\n:1\r\n:-1\r\n:-2\r\n", "HPERSIST", "h", "FIELDS", "3", "a", "c", "zz")
	expect("*1\r\n:-1\r\n", "HTTL", "h", "FIELDS", "1", "a")
	// A time in the past (or 0) deletes the field: 2.
	expect("*1\r\n:2\r\n", "HPEXPIRE", "h", "0", "FIELDS", "1", "a")
	expect(":0\r\n", "HEXISTS", "h", "a")
	// Lazy expiry: a field whose TTL passed is gone for every command.
	expect("*1\r\n:1\r\n", "HPEXPIRE", "h", "20", "FIELDS", "1", "b")
	time.Sleep(60 * time.Millisecond)
	expect("$-1\r\n", "HGET", "h", "b")
	expect(":1\r\n", "HLEN", "h")
	expect("*2\r\n$1\r\nc\r\n$1\r\n9\r\n", "HGETALL", "h")
	// The last field expiring deletes the key: at once for a command that
	// reads the fields, and by the active cycle (polled: a busy machine may
	// delay it) for one that looks at the key only.
	expect("*1\r\n:1\r\n", "HPEXPIRE", "h", "20", "FIELDS", "1", "c")
	time.Sleep(60 * time.Millisecond)
	for deadline := time.Now().Add(5 * time.Second); rc.do("EXISTS", "h") != ":0\r\n"; {
		if time.Now().After(deadline) {
			t.Fatalf("h still exists 5 s after its last field expired")
		}
		time.Sleep(10 * time.Millisecond)
	}
	expect("*1\r\n:-2\r\n", "HPEXPIRE", "h2", "0", "FIELDS", "1", "x") // missing key
	expect(":1\r\n", "HSET", "h2", "x", "1")
	expect("*1\r\n:1\r\n", "HPEXPIRE", "h2", "20", "FIELDS", "1", "x")
	time.Sleep(60 * time.Millisecond)
	expect("$-1\r\n", "HGET", "h2", "x")
	expect(":0\r\n", "EXISTS", "h2")
	// Errors.
	expect(":1\r\n", "HSET", "h", "a", "1")
	expect("-ERR Mandatory argument FIELDS is missing or not at the right position\r\n", "HEXPIRE", "h", "10", "a", "b", "c")
	expect("-ERR Parameter `numFields` should be greater than 0\r\n", "HEXPIRE", "h", "10", "FIELDS", "0", "a")
	expect("-ERR The `numfields` parameter must match the number of arguments\r\n", "HEXPIRE", "h", "10", "FIELDS", "2", "a")
	expect("-ERR value is not an integer or out of range\r\n", "HEXPIRE", "h", "x", "FIELDS", "1", "a")
	expect("-ERR invalid expire time, must be >= 0 and <= 281474976710655\r\n", "HEXPIRE", "h", "-1", "FIELDS", "1", "a")
	expect("-ERR invalid expire time, must be >= 0 and <= 281474976710655\r\n", "HPEXPIRE", "h", "9223372036854775807", "FIELDS", "1", "a")
	expect("-ERR invalid expire time, must be >= 0 and <= 281474976710655\r\n", "HEXPIREAT", "h", "9223372036854775807", "FIELDS", "1", "a")
	expect("+OK\r\n", "SET", "s", "x")
	expect("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "HEXPIRE", "s", "10", "FIELDS", "1", "a")
	expect("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "HTTL", "s", "FIELDS", "1", "a")
	expect("-ERR wrong number of arguments for 'httl' command\r\n", "HTTL", "h", "FIELDS")
}
