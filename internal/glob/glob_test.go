package glob

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		p, s   string
		nocase bool
		want   bool
	}{
		{"*", "", false, false}, // as Redis: callers special-case a lone "*"
		{"*", "anything", false, true},
		{"", "", false, true},
		{"", "a", false, false},
		{"a", "a", false, true},
		{"a", "b", false, false},
		{"h?llo", "hello", false, true},
		{"h?llo", "hllo", false, false},
		{"h*llo", "hllo", false, true},
		{"h*llo", "heeeello", false, true},
		{"h[ae]llo", "hello", false, true},
		{"h[ae]llo", "hillo", false, false},
		{"h[^e]llo", "hallo", false, true},
		{"h[^e]llo", "hello", false, false},
		{"h[a-b]llo", "hbllo", false, true},
		{"h[b-a]llo", "hallo", false, true},
		{"h[a-b]llo", "hcllo", false, false},
		{`h\*llo`, "h*llo", false, true},
		{`h\*llo`, "hallo", false, false},
		{"HELLO", "hello", true, true},
		{"HELLO", "hello", false, false},
		{"user:*:name", "user:42:name", false, true},
		{"user:*:name", "user:42:mail", false, false},
		{"*a", "ba", false, true},
		{"a*", "ab", false, true},
		{"a*b*c", "aXbYc", false, true},
		{"a*b*c", "aXbY", false, false},
		{"[abc", "a", false, true},
		{"[abc", "ab", false, false},
		{"*?", "", false, false},
		{"*?", "x", false, true},
		{"foo*", "foo", false, true},
		{"[\\]]", "]", false, true},
	}
	for _, c := range cases {
		if got := Match([]byte(c.p), []byte(c.s), c.nocase); got != c.want {
			t.Errorf("Match(%q, %q, %v) = %v, want %v", c.p, c.s, c.nocase, got, c.want)
		}
	}
}

func TestPathological(t *testing.T) {
	p := strings.Repeat("a*", 60) + "b"
	s := strings.Repeat("a", 5000)
	if Match([]byte(p), []byte(s), false) {
		t.Fatal("must not match")
	}
}

func BenchmarkMatch(b *testing.B) {
	p, s := []byte("user:*:name"), []byte("user:123456:name")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Match(p, s, false)
	}
}
