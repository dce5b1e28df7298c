package server

import (
	"fmt"
	"strings"
	"testing"
)

// TestDedupAdjacent: a pipeline's look-ahead names a key once per run of
// commands on it (a pipeline on one key prefetches nothing), and a key with
// its member once per run of commands on both (HSET h f v x16); commands on
// one key with other members keep each member.
func TestDedupAdjacent(t *testing.T) {
	split := func(s []string) (keys, members [][]byte) {
		for _, x := range s {
			k, m, ok := strings.Cut(x, "/")
			keys = append(keys, []byte(k))
			if ok {
				members = append(members, []byte(m))
			} else {
				members = append(members, nil)
			}
		}
		return keys, members
	}
	for _, tc := range []struct {
		in, want    []string
		withMembers bool
	}{
		{nil, nil, false},
		{[]string{"q"}, []string{"q"}, false},
		{[]string{"q", "q", "q"}, []string{"q"}, false},
		{[]string{"a", "a", "b", "a", "b", "b"}, []string{"a", "b", "a", "b"}, false},
		{[]string{"a", "b", "c"}, []string{"a", "b", "c"}, false},
		{[]string{"h/f", "h/f", "h/f"}, []string{"h/f"}, true},
		{[]string{"h/f", "h/g", "h/g", "h/f", "k/f"}, []string{"h/f", "h/g", "h/f", "k/f"}, true},
		{[]string{"h/f", "h", "h", "h/f"}, []string{"h/f", "h", "h/f"}, true},
	} {
		keys, members := split(tc.in)
		if !tc.withMembers {
			members = nil
		}
		gotK, gotM := dedupAdjacent(keys, members)
		var s []string
		for i, k := range gotK {
			x := string(k)
			if gotM != nil && gotM[i] != nil {
				x += "/" + string(gotM[i])
			}
			s = append(s, x)
		}
		if fmt.Sprint(s) != fmt.Sprint(tc.want) {
			t.Errorf("dedupAdjacent(%q) = %q, want %q", tc.in, s, tc.want)
		}
		if tc.withMembers && len(gotM) != len(gotK) {
			t.Errorf("dedupAdjacent(%q): %d members for %d keys", tc.in, len(gotM), len(gotK))
		}
		for i, k := range keys[len(gotK):] {
			if k != nil || (members != nil && members[len(gotK)+i] != nil) {
				t.Errorf("dedupAdjacent(%q) left %q past the end", tc.in, k)
			}
		}
	}
}

// TestLookAheadRestsOnOneKey: a pipeline whose commands all name one key
// (nothing to prefetch) makes the next lookAheadRest look-aheads skip their
// parse; then the look-ahead looks again. One naming several keys, or a
// single command, does not make it rest.
func TestLookAheadRestsOnOneKey(t *testing.T) {
	c := benchClient(t)
	hot := []byte(strings.Repeat(encodeCmd("XADD", "s", "*", "f", "v"), 16))
	var spread []byte
	for i := 0; i < 16; i++ {
		spread = append(spread, encodeCmd("GET", fmt.Sprint("k", i))...)
	}
	one := []byte(encodeCmd("GET", "k"))
	var p reqParser
	if n := c.lookAhead(&p, hot); n != 16 || c.aheadSkip != lookAheadRest {
		t.Fatalf("after 16 commands on one key: ahead %d, skip %d; want 16, %d", n, c.aheadSkip, lookAheadRest)
	}
	for i := lookAheadRest; i > 0; i-- {
		if n := c.lookAhead(&p, spread); n != lookAheadMax || c.aheadSkip != i-1 {
			t.Fatalf("resting look-ahead: ahead %d, skip %d; want %d, %d", n, c.aheadSkip, lookAheadMax, i-1)
		}
	}
	if n := c.lookAhead(&p, spread); n != 16 || c.aheadSkip != 0 {
		t.Fatalf("after 16 commands on 16 keys: ahead %d, skip %d; want 16, 0", n, c.aheadSkip)
	}
	if n := c.lookAhead(&p, one); n != 1 || c.aheadSkip != 0 {
		t.Fatalf("after one command: ahead %d, skip %d; want 1, 0", n, c.aheadSkip)
	}
}
