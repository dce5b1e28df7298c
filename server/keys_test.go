package server

import "testing"

// TestParseScanCursor: SCAN's cursor is read as Redis reads it, with strtoul
// (the diff test checks the same cases against a real redis-server).
func TestParseScanCursor(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"42", 42, true},
		{"007", 7, true},
		{"+7", 7, true},
		{"-0", 0, true},
		{"-1", 1<<64 - 1, true},
		{"-2", 1<<64 - 2, true},
		{"18446744073709551615", 1<<64 - 1, true},
		{"-18446744073709551615", 1, true},
		{"000000000000000000000000018446744073709551615", 1<<64 - 1, true},
		{"", 0, true},          // strtoul consumed nothing; the end pointer is at the NUL
		{"\x00", 0, true},      // the C string ends at the NUL
		{"5\x00junk", 5, true}, // likewise
		{"18446744073709551616", 0, false},
		{"-18446744073709551616", 0, false},
		{"99999999999999999999999", 0, false},
		{"-", 0, false},
		{"+", 0, false},
		{"+-1", 0, false},
		{"--1", 0, false},
		{" 1", 0, false},
		{"\t1", 0, false},
		{"\v1", 0, false},
		{"1 ", 0, false},
		{"0x10", 0, false},
		{"1e3", 0, false},
		{"abc", 0, false},
	} {
		got, ok := parseScanCursor([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseScanCursor(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
