package server

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The rule language in isolation: random (often malformed) rules never
// panic, and a user's description read back gives the same rules, which
// is what ACL SAVE followed by ACL LOAD relies on (Redis aborts when its
// description does not reproduce the bitmap).
func TestACLRulesRandomRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	pieces := []string{"(", ")", "~", "%", "R", "W", "r", "&", "+", "-", "@", "|", "<", ">", "#", "!", "*", " ", "a", "\x00",
		"all", "get", "config", "client", "select", "0", "set", "string", "hash", "pubsub", "dangerous", "on", "off",
		"nopass", "reset", "keys", "channels", "commands", "resetkeys", "allkeys", "clearselectors", "\"", "'"}
	word := func() string {
		var b strings.Builder
		for n := r.IntN(5); n >= 0; n-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	calls := [][]string{{"get", "a"}, {"set", "a", "b"}, {"config", "get", "x"}, {"select", "0"}, {"publish", "ch", "m"},
		{"publish"}, {"get"}, {"select"}, {"eval"}, {"zunionstore", "d"}, {"xread", "streams"}, {"sort"}, {"migrate"},
		{"psubscribe", "a*"}, {"client", "id"}, {"mset", "a", "1", "b", "2"}, {"set", "k", "v", "get"}}
	// Calls of any length against restricted rules (partial key patterns,
	// channels, first arguments) never panic.
	fixed := newPerms(false)
	for _, op := range []string{"+@all", "~a*", "%R~b*", "%W~c*", "&c*", "-select", "+select|0", "(~z* +get)"} {
		if e := fixed.apply(op, false); e != aclErrNone {
			t.Fatalf("%s: %v", op, e)
		}
	}
	fixed.seal()
	for _, cmd := range aclTable().byID {
		for n := 1; n <= 4; n++ {
			call := []string{cmd.Name}
			if i := strings.IndexByte(cmd.Name, '|'); i >= 0 {
				call = []string{cmd.Name[:i], cmd.Name[i+1:]}
			}
			for len(call) < n {
				call = append(call, "x")
			}
			fixed.check(cmd, stringsToBytes(call))
		}
	}
	for i := 0; i < 20000; i++ {
		p := newPerms(r.IntN(2) == 0)
		rules := make([]string, 1+r.IntN(8))
		for j := range rules {
			rules[j] = word()
		}
		merged, _, ok := mergeSelectorArgs(rules)
		if !ok {
			continue
		}
		for _, op := range merged {
			p.apply(op, false)
		}
		p.seal()
		desc := p.describe()
		for _, call := range calls {
			// Any length: redis.acl_check_cmd checks calls before arity.
			cmd := commands[call[0]]
			if t := aclTarget(cmd, stringsToBytes(call)); t != nil {
				cmd = t
			}
			p.check(cmd, stringsToBytes(call))
		}
		// The description, applied to a new user, gives the same rules.
		q := newPerms(false)
		back, _, ok := mergeSelectorArgs(strings.Split(desc, " "))
		if !ok {
			t.Fatalf("rules %q: description %q has an unmatched parenthesis", rules, desc)
		}
		for _, op := range back {
			if e := q.apply(op, false); e != aclErrNone {
				t.Fatalf("rules %q: description %q: rule %q: %v", rules, desc, op, e)
			}
		}
		q.seal()
		if got := q.describe(); got != desc {
			t.Fatalf("rules %q:\n described   %q\n read back   %q", rules, desc, got)
		}
		if len(p.sels) != len(q.sels) {
			t.Fatalf("rules %q: %d selectors, %d read back", rules, len(p.sels), len(q.sels))
		}
		for k := range p.sels {
			if !slices.Equal(p.sels[k].bits, q.sels[k].bits) && !(p.sels[k].flags&selAllCmds != 0) {
				t.Fatalf("rules %q: selector %d's commands differ after reading back %q", rules, k, desc)
			}
		}
	}
}

func stringsToBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// FuzzACLSetUser: no rule list makes ACL SETUSER, GETUSER, LIST or a
// permission check panic.
func FuzzACLSetUser(f *testing.F) {
	f.Add("on >pw ~k* %R~r* &ch* -@all +@string +config|get +select|0 (~x* +get)")
	f.Add("( (~x %RW~ +config|get|x -@ +|")
	f.Fuzz(func(t *testing.T, s string) {
		p := newPerms(false)
		merged, _, ok := mergeSelectorArgs(strings.Split(s, " "))
		if !ok {
			return
		}
		for _, op := range merged {
			p.apply(op, true)
		}
		p.seal()
		_ = p.describe()
		for _, sel := range p.sels {
			_, _ = sel.keysString(), sel.chansString()
		}
		call := stringsToBytes([]string{"set", "k", "v"})
		p.check(commands["set"], call)
	})
}
