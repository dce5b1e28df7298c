package server

import (
	"fmt"
	"testing"
)

// TestDedupAdjacent: a pipeline's look-ahead names a key once per run of
// commands on it (a pipeline on one key prefetches nothing).
func TestDedupAdjacent(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{nil, nil},
		{[]string{"q"}, []string{"q"}},
		{[]string{"q", "q", "q"}, []string{"q"}},
		{[]string{"a", "a", "b", "a", "b", "b"}, []string{"a", "b", "a", "b"}},
		{[]string{"a", "b", "c"}, []string{"a", "b", "c"}},
	} {
		var keys [][]byte
		for _, k := range tc.in {
			keys = append(keys, []byte(k))
		}
		got := dedupAdjacent(keys)
		var s []string
		for _, k := range got {
			s = append(s, string(k))
		}
		if fmt.Sprint(s) != fmt.Sprint(tc.want) {
			t.Errorf("dedupAdjacent(%q) = %q, want %q", tc.in, s, tc.want)
		}
		for _, k := range keys[len(got):] {
			if k != nil {
				t.Errorf("dedupAdjacent(%q) left %q past the end", tc.in, k)
			}
		}
	}
}
