package server

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestRedisDiffLCS: LCS against redis-server on random strings (small
// alphabets, so there are many ties and runs), with every option
// combination, in RESP2 and RESP3, plus the edge cases: missing keys, the
// ambiguous LEN IDX, a bad MINMATCHLEN, and a table past
// proto-max-bulk-len.
func TestRedisDiffLCS(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	conns := [2]*diffConn{diffDial(t, redisAddr), diffDial(t, fc.addr)}
	do := func(args ...string) {
		t.Helper()
		var replies [2]string
		for i, dc := range conns {
			r, err := dc.do(args)
			if err != nil {
				t.Fatalf("%q: %s: %v", args, sweepSide[i], err)
			}
			replies[i] = r
		}
		if replies[0] != replies[1] && args[0] != "HELLO" { // HELLO's id differs
			t.Errorf("%.200q:\n  redis:     %.400q\n  fastcache: %.400q", args, replies[0], replies[1])
		}
	}
	do("FLUSHALL")
	do("MSET", "key1", "ohmytext", "key2", "mynewtext")
	for _, opts := range [][]string{nil, {"LEN"}, {"IDX"}, {"IDX", "MINMATCHLEN", "4"}, {"IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"},
		{"IDX", "WITHMATCHLEN"}, {"LEN", "IDX"}, {"IDX", "LEN"}, {"MINMATCHLEN"}, {"MINMATCHLEN", "x"}, {"MINMATCHLEN", "-5", "IDX"},
		{"MINMATCHLEN", "9223372036854775807", "IDX"}, {"FOO"}, {"idx", "withmatchlen", "idx"}} {
		do(append([]string{"LCS", "key1", "key2"}, opts...)...)
		do(append([]string{"LCS", "key1", "missing"}, opts...)...)
		do(append([]string{"LCS", "missing", "missing"}, opts...)...)
	}
	do("SET", "big", strings.Repeat("a", 20000))
	do("LCS", "big", "big")
	do("LCS", "big", "key1")
	r := rand.New(rand.NewPCG(15, 3))
	str := func() string {
		alpha := "ab"[:1+r.IntN(2)] + "cdefgh"[:r.IntN(6)]
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = alpha[r.IntN(len(alpha))]
		}
		return string(b)
	}
	for i := 0; i < 300; i++ {
		if i == 150 {
			do("HELLO", "3")
		}
		do("MSET", "a", str(), "b", str())
		var opts []string
		switch r.IntN(4) {
		case 1:
			opts = []string{"LEN"}
		case 2, 3:
			opts = []string{"IDX"}
			if r.IntN(2) == 0 {
				opts = append(opts, "MINMATCHLEN", fmt.Sprint(r.IntN(4)))
			}
			if r.IntN(2) == 0 {
				opts = append(opts, "WITHMATCHLEN")
			}
		}
		do(append([]string{"LCS", "a", "b"}, opts...)...)
	}
}
