package server

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"
)

// Call generation for the boundary sweep (sweep_test.go) and the dispatcher
// fuzz targets (fuzz_dispatch_test.go), driven by the command table and the
// argument trees behind COMMAND DOCS (argSpecs). Nothing here names a
// command except the skip list: a command registered later, with its
// argument spec, is swept and fuzzed without edits here. A command without
// a spec is still covered, from its arity and key positions.

// sweepValues are the values every argument position is tried with.
var sweepValues = []string{
	"0", "1", "-1",
	"9223372036854775807",  // LLONG_MAX
	"-9223372036854775808", // LLONG_MIN
	"9223372036854775808",  // LLONG_MAX+1
	"18446744073709551615", // ULLONG_MAX
	"1e308", "-1e308", "nan", "inf", "-inf",
	"",
	sweepMB, // a 1 MB string
	"not-a-number",
	// string2ll's edges and 32-bit boundaries
	"2147483648", "-2147483649", "4294967296", "+1", "01", " 1", "-0", "1.5",
}

// sweepMB is the 1 MB value (printed as <1MB> in reports).
var sweepMB = strings.Repeat("x", 1<<20)

// sweepSkip are the commands the sweep and the fuzz targets do not send,
// with the reason: they block the connection, close it, take it over, stop
// or reconfigure the server as a whole, or exist on one side only.
var sweepSkip = map[string]string{
	"shutdown":  "stops the server",
	"debug":     "crashes or stalls the server on purpose",
	"monitor":   "takes the connection over",
	"sync":      "takes the connection over (replication)",
	"psync":     "takes the connection over (replication)",
	"replconf":  "ACK and GETACK answer nothing, as Redis's (its options and errors: sync_diff_test.go)",
	"fcsync":    "takes the connection over (fastcache's replication stream; not in Redis)",
	"replicaof": "makes the server a replica (REPLICAOF NO ONE is swept separately)",
	"slaveof":   "makes the server a replica (SLAVEOF NO ONE is swept separately)",
	"failover":  "changes the replication role",
	"migrate":   "connects to other servers, whatever the sweep's host and port reach (tested in dump_test.go and the DUMP diff tests)",
	"quit":      "closes the connection",
	// CLIENT subcommands that stop the connection's replies or others'
	"client|kill":    "closes connections (the sweep's own included)",
	"client|pause":   "stalls every client (tested on its own)",
	"client|reply":   "OFF/SKIP silence replies the sweep waits for (tested on its own)",
	"client|unblock": "acts on other connections",
	// blocking commands and subscriptions
	"subscribe": "the connection enters pub/sub mode", "psubscribe": "pub/sub mode", "ssubscribe": "pub/sub mode",
	"unsubscribe": "pub/sub", "punsubscribe": "pub/sub", "sunsubscribe": "pub/sub",
	"blpop": "blocks", "brpop": "blocks", "brpoplpush": "blocks", "blmove": "blocks", "blmpop": "blocks",
	"bzpopmin": "blocks", "bzpopmax": "blocks", "bzmpop": "blocks", "wait": "blocks", "waitaof": "blocks",
	"xread": "blocks with BLOCK", "xreadgroup": "blocks with BLOCK",
	"script|kill": "acts on another connection's script", "function|kill": "acts on another connection's function",
	"pfselftest":  "runs for seconds (Redis: 2 s) on purpose (TestPFSelfTest)",
	"acl|setuser": "random rules may revoke the sweep's own (default user's) permissions; rules have random tests of their own (acl_rules_test.go, acl_diff_test.go)",
}

// sweepArg is one argument position of a generated call: its spec node
// (nil for a fixed token) and whether it is a key.
type sweepCall struct {
	args []string
	// typed[i] names what position i holds ("key", "integer", "token", ...)
	// for the reports; the sweep substitutes every position >= skip.
	kinds []string
}

// sweepCmd is a command (or "parent|sub") to sweep with its prefix
// (the name, or the parent and the subcommand).
type sweepCmd struct {
	cmd    *Command
	prefix []string
	args   []*argDoc // nil: no spec, derived from the arity
}

// sweepCommands lists every command and subcommand of the table that is
// not skipped, in name order.
func sweepCommands() []sweepCmd {
	var out []sweepCmd
	for _, c := range sortedCommands() {
		if _, skip := sweepSkip[c.Name]; skip {
			continue
		}
		if c.Sub == nil {
			out = append(out, sweepCmd{cmd: c, prefix: []string{strings.ToUpper(c.Name)}, args: sweepSpec(c)})
			continue
		}
		for _, s := range sortedSubs(c) {
			if _, skip := sweepSkip[s.Name]; skip {
				continue
			}
			_, sub, _ := strings.Cut(s.Name, "|")
			out = append(out, sweepCmd{cmd: s, prefix: []string{strings.ToUpper(c.Name), strings.ToUpper(sub)}, args: sweepSpec(s)})
		}
	}
	return out
}

// sweepSpec is the command's argument tree: its COMMAND DOCS spec, or one
// derived from its arity and key positions.
func sweepSpec(c *Command) []*argDoc {
	if _, ok := argSpecs[c.Name]; ok {
		return docFor(c.Name).args
	}
	n := c.Arity
	if n < 0 {
		n = -n
	}
	base := 1
	if strings.Contains(c.Name, "|") {
		base = 2
	}
	var out []*argDoc
	for i := base; i < n; i++ {
		if c.isKey(i, n) {
			out = append(out, &argDoc{name: "key", typ: "key"})
		} else {
			out = append(out, &argDoc{name: "arg", typ: "string"})
		}
	}
	if c.Arity < 0 {
		out = append(out, &argDoc{name: "arg", typ: "string", optional: true, multiple: true})
	}
	return out
}

// sweepTypical is a value that makes an argument of this name and type
// valid in most commands (the base call the boundary values replace one
// position of).
func sweepTypical(a *argDoc, keyN *int) string {
	name := a.name
	switch a.typ {
	case "key":
		*keyN++
		return fmt.Sprintf("k%d", *keyN)
	case "pattern":
		return "*"
	case "double":
		return "1.5"
	case "unix-time":
		t := time.Now().Add(100 * 24 * time.Hour)
		if strings.Contains(name, "milli") {
			return fmt.Sprint(t.UnixMilli())
		}
		return fmt.Sprint(t.Unix())
	case "integer":
		switch {
		case strings.Contains(name, "milli"):
			return "100000000"
		case strings.Contains(name, "second"), name == "timeout":
			return "100000"
		case name == "protover":
			return "2"
		case strings.Contains(name, "db"), name == "index", name == "start", name == "cursor":
			return "0"
		case name == "end":
			return "-1"
		case strings.Contains(name, "offset"):
			return "5"
		case name == "port":
			return "6379"
		}
		return "1"
	}
	switch {
	case strings.Contains(name, "value"):
		return "hello"
	case name == "operation":
		return "AND"
	case strings.Contains(name, "name") && !strings.Contains(name, "command"):
		return "name1"
	case name == "command-name", name == "command":
		return "get"
	case name == "section":
		return "server"
	case name == "parameter":
		return "maxmemory-samples"
	case name == "password":
		return "pw"
	case name == "username":
		return "default"
	case name == "type":
		return "string"
	case name == "encoding": // a bitfield's type
		return "i8"
	case name == "arg":
		return "k1"
	}
	return "v"
}

// sweepChoice says how to instantiate a tree: which alternative of each
// oneof (by its pointer; default 0), which optionals to include, and how
// many times a "multiple" argument repeats.
type sweepChoice struct {
	alt      map[*argDoc]int
	optional bool // include every optional argument
	repeat   int  // repetitions of multiple arguments (>= 1)
}

// instantiate appends a call's arguments for args under ch.
func (ch sweepChoice) instantiate(args []*argDoc, keyN *int, out *sweepCall) {
	for _, a := range args {
		if a.optional && !ch.optional {
			continue
		}
		n := 1
		if a.multiple {
			n = max(ch.repeat, 1)
		}
		for r := 0; r < n; r++ {
			ch.one(a, keyN, out)
		}
	}
}

func (ch sweepChoice) one(a *argDoc, keyN *int, out *sweepCall) {
	if a.token != "" && a.typ != "pure-token" {
		out.args = append(out.args, a.token)
		out.kinds = append(out.kinds, "token")
	}
	switch a.typ {
	case "pure-token":
		out.args = append(out.args, a.token)
		out.kinds = append(out.kinds, "token")
	case "oneof":
		ch.one(a.sub[ch.alt[a]%len(a.sub)], keyN, out)
	case "block":
		// a block's own optional members follow ch.optional too
		ch.instantiate(a.sub, keyN, out)
	default:
		out.args = append(out.args, sweepTypical(a, keyN))
		out.kinds = append(out.kinds, a.typ)
	}
}

// oneofs lists the oneof nodes of a tree (depth first).
func oneofs(args []*argDoc) []*argDoc {
	var out []*argDoc
	for _, a := range args {
		if a.typ == "oneof" {
			out = append(out, a)
		}
		out = append(out, oneofs(a.sub)...)
	}
	return out
}

// baseCalls are the well-formed calls of a command the sweep starts from:
// required arguments only; every optional one; each alternative of each
// oneof; multiple arguments twice.
func (sc sweepCmd) baseCalls() []sweepCall {
	var out []sweepCall
	seen := map[string]bool{}
	add := func(ch sweepChoice) {
		call := sweepCall{args: append([]string(nil), sc.prefix...)}
		for range sc.prefix {
			call.kinds = append(call.kinds, "name")
		}
		keyN := 0
		ch.instantiate(sc.args, &keyN, &call)
		k := strings.Join(call.args, "\x00")
		if !seen[k] {
			seen[k] = true
			out = append(out, call)
		}
	}
	add(sweepChoice{repeat: 1})
	add(sweepChoice{optional: true, repeat: 1})
	for _, o := range oneofs(sc.args) {
		for j := 1; j < len(o.sub); j++ {
			add(sweepChoice{optional: true, repeat: 1, alt: map[*argDoc]int{o: j}})
			add(sweepChoice{optional: false, repeat: 1, alt: map[*argDoc]int{o: j}})
		}
	}
	add(sweepChoice{optional: true, repeat: 2})
	return out
}

// optionCalls combine the command's trailing optional arguments: each one
// twice (COUNT 1 COUNT 1), every pair of alternatives of a oneof (NX XX,
// EX PX, EX KEEPTTL), and the optional arguments in every order (at most
// maxPerms orders, drawn by r beyond that).
func (sc sweepCmd) optionCalls(r *rand.Rand, maxPerms int) []sweepCall {
	req := 0
	for req < len(sc.args) && !sc.args[req].optional {
		req++
	}
	opts := sc.args[req:]
	if len(opts) == 0 {
		return nil
	}
	render := func(list []*argDoc, alts map[*argDoc]int) sweepCall {
		call := sweepCall{args: append([]string(nil), sc.prefix...)}
		for range sc.prefix {
			call.kinds = append(call.kinds, "name")
		}
		keyN := 0
		ch := sweepChoice{optional: true, repeat: 1, alt: alts}
		ch.instantiate(sc.args[:req], &keyN, &call)
		for _, a := range list {
			ch.one(a, &keyN, &call)
		}
		return call
	}
	var out []sweepCall
	// each optional argument twice, and each pair of a oneof's alternatives
	// (the same one twice included: PERSIST PERSIST)
	for _, o := range opts {
		out = append(out, render([]*argDoc{o, o}, nil))
		if o.typ == "oneof" {
			for i := range o.sub {
				for j := range o.sub {
					out = append(out, render([]*argDoc{o.sub[i], o.sub[j]}, nil))
				}
			}
		}
	}
	// every order of the optional arguments
	perms := permutations(len(opts), maxPerms, r)
	for _, p := range perms {
		list := make([]*argDoc, len(p))
		for i, j := range p {
			list[i] = opts[j]
		}
		out = append(out, render(list, nil))
	}
	return out
}

// permutations returns every permutation of 0..n-1 when there are at most
// max of them, else max random ones (the identity first).
func permutations(n, max int, r *rand.Rand) [][]int {
	fact := 1
	for i := 2; i <= n && fact <= max; i++ {
		fact *= i
	}
	id := make([]int, n)
	for i := range id {
		id[i] = i
	}
	if fact > max {
		out := [][]int{id}
		for len(out) < max {
			p := append([]int(nil), id...)
			r.Shuffle(n, func(i, j int) { p[i], p[j] = p[j], p[i] })
			out = append(out, p)
		}
		return out
	}
	var out [][]int
	var rec func(p []int, k int)
	rec = func(p []int, k int) {
		if k == len(p) {
			out = append(out, append([]int(nil), p...))
			return
		}
		for i := k; i < len(p); i++ {
			p[k], p[i] = p[i], p[k]
			rec(p, k+1)
			p[k], p[i] = p[i], p[k]
		}
	}
	rec(id, 0)
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out
}

// substitutions are call with each position after the prefix replaced by
// each of values, one at a time.
func (c sweepCall) substitutions(from int, values []string) []sweepCall {
	var out []sweepCall
	for p := from; p < len(c.args); p++ {
		for _, v := range values {
			if v == c.args[p] {
				continue
			}
			n := sweepCall{args: append([]string(nil), c.args...), kinds: c.kinds}
			n.args[p] = v
			out = append(out, n)
		}
	}
	return out
}

// arityCalls are the calls with one argument too few and one too many
// (a boundary value appended).
func (sc sweepCmd) arityCalls(base sweepCall) []sweepCall {
	var out []sweepCall
	if len(base.args) > len(sc.prefix) {
		out = append(out, sweepCall{args: append([]string(nil), base.args[:len(base.args)-1]...)})
	}
	out = append(out, sweepCall{args: append(append([]string(nil), base.args...), "1")})
	return out
}

// sweepRandomValue is a random argument for the long mode: a boundary
// value, a random integer near a power of two, a random float, or text.
func sweepRandomValue(r *rand.Rand) string {
	switch r.IntN(6) {
	case 0:
		return sweepValues[r.IntN(len(sweepValues))]
	case 1:
		b := r.IntN(64)
		v := int64(1)<<b + int64(r.IntN(5)) - 2
		if r.IntN(2) == 0 {
			v = -v
		}
		return fmt.Sprint(v)
	case 2:
		return fmt.Sprint(r.IntN(20) - 5)
	case 3:
		return fmt.Sprintf("%g", r.NormFloat64()*1e6)
	case 4:
		return strings.Repeat("ab", r.IntN(40))
	}
	return sweepTokens()[r.IntN(len(sweepTokens()))]
}

// sweepTokens are the option words of every spec (NX, COUNT, BYTE, ...),
// for the random mode to drop anywhere. Built on first use: register()
// adds specs in init, after package variables are set (and docFor builds
// its map once).
func sweepTokens() []string {
	sweepTokensOnce.Do(func() { sweepTokenList = buildSweepTokens() })
	return sweepTokenList
}

var (
	sweepTokensOnce sync.Once
	sweepTokenList  []string
)

func buildSweepTokens() []string {
	seen := map[string]bool{}
	var walk func(args []*argDoc)
	walk = func(args []*argDoc) {
		for _, a := range args {
			if a.token != "" {
				seen[a.token] = true
			}
			walk(a.sub)
		}
	}
	for name := range argSpecs {
		walk(docFor(name).args)
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// randomCalls are n random variations of the command's base calls: 1 to 3
// positions replaced by random values, options appended or dropped.
func (sc sweepCmd) randomCalls(r *rand.Rand, n int) []sweepCall {
	bases := sc.baseCalls()
	var out []sweepCall
	for i := 0; i < n; i++ {
		b := bases[r.IntN(len(bases))]
		c := sweepCall{args: append([]string(nil), b.args...)}
		for k := r.IntN(3) + 1; k > 0 && len(c.args) > len(sc.prefix); k-- {
			p := len(sc.prefix) + r.IntN(len(c.args)-len(sc.prefix))
			c.args[p] = sweepRandomValue(r)
		}
		switch r.IntN(4) {
		case 0:
			c.args = append(c.args, sweepTokens()[r.IntN(len(sweepTokens()))], sweepRandomValue(r))
		case 1:
			if len(c.args) > len(sc.prefix) {
				c.args = c.args[:len(c.args)-1]
			}
		}
		out = append(out, c)
	}
	return out
}
