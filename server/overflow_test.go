package server

import (
	"testing"
)

// Numeric arguments at their extremes, and arithmetic on them, must be
// answered with Redis's error texts and leave the server serving (issue 15:
// SETRANGE key 9223372036854775807 x killed the process).

const errStringTooLong = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"

// TestSetRangeHugeOffset is the regression test for the SETRANGE panic:
// offset + length overflowed int64 and passed the size check, then
// makeslice (existing key) or a slice expression (missing key) panicked.
func TestSetRangeHugeOffset(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"SETRANGE", "missing", "9223372036854775807", "x"}, errStringTooLong},
		{[]string{"SETRANGE", "missing", "9223372036854775806", "xy"}, errStringTooLong},
		{[]string{"SETRANGE", "missing", "536870912", "x"}, errStringTooLong},
		{[]string{"SETRANGE", "missing", "536870911", ""}, ":0\r\n"},
		{[]string{"SET", "k", "hello"}, "+OK\r\n"},
		{[]string{"SETRANGE", "k", "9223372036854775807", "x"}, errStringTooLong},
		{[]string{"SETRANGE", "k", "9223372036854775800", "0123456789"}, errStringTooLong},
		{[]string{"SETRANGE", "k", "9223372036854775807", ""}, ":5\r\n"},
		{[]string{"SETRANGE", "k", "-9223372036854775808", "x"}, "-ERR offset is out of range\r\n"},
		{[]string{"SETRANGE", "k", "9223372036854775808", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SETRANGE", "k", "1", "E"}, ":5\r\n"},
		{[]string{"GET", "k"}, "$5\r\nhEllo\r\n"},
		{[]string{"EXISTS", "missing"}, ":0\r\n"},
		{[]string{"PING"}, "+PONG\r\n"},
	}
	for _, c := range cases {
		if got := rc.do(c.args...); got != c.want {
			t.Errorf("%q: got %q, want %q", c.args, got, c.want)
		}
	}
	servedStill(t, ts)
}

// TestStringLimitFollowsProtoMaxBulkLen: APPEND and SETRANGE refuse to build
// a string longer than proto-max-bulk-len, as Redis's checkStringLength.
func TestStringLimitFollowsProtoMaxBulkLen(t *testing.T) {
	ts := startServer(t, "proto-max-bulk-len", "1mb")
	rc := ts.rawConn(t)
	big := string(make([]byte, 1<<20-2))
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"SET", "k", big}, "+OK\r\n"},
		{[]string{"APPEND", "k", "ab"}, ":1048576\r\n"},
		{[]string{"APPEND", "k", "c"}, errStringTooLong},
		{[]string{"APPEND", "k", ""}, ":1048576\r\n"},
		{[]string{"SETRANGE", "k", "1048575", "z"}, ":1048576\r\n"},
		{[]string{"SETRANGE", "k", "1048576", "z"}, errStringTooLong},
		{[]string{"SETRANGE", "n", "1048575", "z"}, ":1048576\r\n"},
		{[]string{"SETRANGE", "n2", "1048576", "z"}, errStringTooLong},
		{[]string{"CONFIG", "SET", "proto-max-bulk-len", "2mb"}, "+OK\r\n"},
		{[]string{"APPEND", "k", "c"}, ":1048577\r\n"},
	}
	for _, c := range cases {
		if got := rc.do(c.args...); got != c.want {
			t.Errorf("%.40q: got %.200q, want %q", c.args, got, c.want)
		}
	}
}

// TestHugeCountsBounded: counts whose reply grows with them, not with the
// data, are refused past 2^24 instead of building the reply (HRANDFIELD,
// SRANDMEMBER and ZRANDMEMBER with a negative count repeat elements: Redis
// would try to send 2^63 of them).
func TestHugeCountsBounded(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	rc.do("HSET", "h", "f", "v")
	for _, c := range [][]string{
		{"HRANDFIELD", "h", "-9223372036854775807"},
		{"HRANDFIELD", "h", "-4611686018427387903", "WITHVALUES"},
		{"HRANDFIELD", "h", "-16777217"},
		{"SADD", "s", "m"},
		{"SRANDMEMBER", "s", "-9223372036854775807"},
		{"ZADD", "z", "1", "m"},
		{"ZRANDMEMBER", "z", "-9223372036854775807"},
	} {
		if c[0] == "SADD" || c[0] == "ZADD" {
			rc.do(c...)
			continue
		}
		if got := rc.do(c...); got != "-"+errRandomCount+"\r\n" {
			t.Errorf("%q: %.100q", c, got)
		}
	}
	if got := rc.do("HRANDFIELD", "h", "-3"); got != "*3\r\n$1\r\nf\r\n$1\r\nf\r\n$1\r\nf\r\n" {
		t.Errorf("HRANDFIELD h -3: %q", got)
	}
	servedStill(t, ts)
}
