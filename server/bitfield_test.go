package server

import (
	"os"
	"strings"
	"testing"

	"fastcache/persistence"
)

// TestBitfieldMISCONF: once the log fails, BITFIELD is refused with
// MISCONF like every write command (even with GETs only, as Redis refuses
// a write command whatever its arguments), while BITFIELD_RO and GET keep
// being served; a BITFIELD that ran when the log failed is answered
// "outcome unknown", never acknowledged.
func TestBitfieldMISCONF(t *testing.T) {
	ts, dir := startAlwaysServer(t, persistence.Options{SegmentSize: 4096})
	rc := ts.rawConn(t)
	if got := rc.do("BITFIELD", "b", "SET", "u8", "0", "7"); got != "*1\r\n:0\r\n" {
		t.Fatalf("BITFIELD: %q", got)
	}
	if err := os.RemoveAll(dir); err != nil { // the next rotation fails
		t.Fatal(err)
	}
	rc.write(encodeCmd("SET", "pad", strings.Repeat("x", 8192)) + encodeCmd("BITFIELD", "b", "INCRBY", "u8", "0", "1"))
	for i := 0; i < 2; i++ {
		if got := rc.read(); !strings.Contains(got, "outcome unknown") {
			t.Fatalf("reply %d when the log failed: %q", i, got)
		}
	}
	for _, args := range [][]string{
		{"BITFIELD", "b", "INCRBY", "u8", "0", "1"},
		{"BITFIELD", "b", "GET", "u8", "0"},
		{"BITFIELD", "new", "SET", "u8", "0", "1"},
	} {
		if got := rc.do(args...); !strings.HasPrefix(got, "-MISCONF Errors writing to the WAL; writes are refused") {
			t.Fatalf("%q while the log is failed: %q", args, got)
		}
	}
	if got := rc.do("BITFIELD_RO", "b", "GET", "u8", "0"); got != "*1\r\n:8\r\n" {
		t.Fatalf("BITFIELD_RO while the log is failed: %q", got)
	}
	if got := rc.do("EXISTS", "new"); got != ":0\r\n" {
		t.Fatalf("a refused BITFIELD created its key: %q", got)
	}
}
