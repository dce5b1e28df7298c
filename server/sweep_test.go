package server

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRedisSweep is the boundary sweep: for every command of the table
// (sweep_gen_test.go builds the calls from the argument specs behind COMMAND
// DOCS), every argument position is tried with each of sweepValues (0, 1,
// -1, LLONG_MAX, LLONG_MIN, LLONG_MAX+1, ULLONG_MAX, +-1e308, nan, +-inf, the
// empty string, 1 MB, text, ...), options are repeated, reordered and
// combined with their opposites, and arities are one off. Each call goes to
// redis-server and to fastcache; fastcache must answer every call (no crash,
// no stall, no dropped connection) with Redis's reply, except for the
// differences listed in sweepKnownDiffs (and in the README).
//
// FASTCACHE_SWEEP_LONG=1 adds a randomized mode (FASTCACHE_SWEEP_SEED picks
// the seed, FASTCACHE_SWEEP_CALLS the random calls per command, default
// 2000); FASTCACHE_SWEEP_ONLY=get,set limits the commands.
func TestRedisSweep(t *testing.T) {
	if testGoroutines {
		// The sweep tests command handlers, not the network layer: once
		// over the event loops is enough for CI's time budget.
		t.Skip("run once, over the default network layer")
	}
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	sw := &sweeper{t: t, conns: sweepConns(t, redisAddr, fc.addr), long: os.Getenv("FASTCACHE_SWEEP_LONG") == "1"}
	only := map[string]bool{}
	if s := os.Getenv("FASTCACHE_SWEEP_ONLY"); s != "" {
		for _, n := range strings.Split(s, ",") {
			only[strings.ToLower(n)] = true
		}
	}
	seed := uint64(1)
	long := os.Getenv("FASTCACHE_SWEEP_LONG") == "1"
	if s := os.Getenv("FASTCACHE_SWEEP_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	} else if long {
		seed = uint64(time.Now().UnixNano())
	}
	randomCalls := 2000
	if s := os.Getenv("FASTCACHE_SWEEP_CALLS"); s != "" {
		randomCalls, _ = strconv.Atoi(s)
	}
	r := rand.New(rand.NewPCG(seed, 15))
	if !long {
		// SETBIT k 2147483648 1 builds a 256 MB string on both servers (as
		// it may): within CI's time and memory, the fixed sweep keeps
		// strings under 16 MB; the long mode runs with the 512 MB default.
		for i, dc := range sw.conns {
			if rep, err := dc.do([]string{"CONFIG", "SET", "proto-max-bulk-len", "16mb"}); err != nil || rep != "+OK\r\n" {
				t.Fatalf("%s: CONFIG SET proto-max-bulk-len: %q %v", sweepSide[i], rep, err)
			}
		}
	}
	t.Logf("seed %d (FASTCACHE_SWEEP_SEED), long mode %v", seed, long)
	start := time.Now()
	for _, sc := range sweepCommands() {
		if len(only) > 0 && !only[sc.cmd.Name] && !only[strings.Split(sc.cmd.Name, "|")[0]] {
			continue
		}
		t0 := time.Now()
		sw.command(sc, r)
		sw.took = append(sw.took, sweepTook{sc.cmd.Name, time.Since(t0)})
		if long {
			sw.block(sc.cmd.Name+" random", sweepFixtures[0], sc.randomCalls(r, randomCalls))
			sw.block(sc.cmd.Name+" random", sweepFixtures[1], sc.randomCalls(r, randomCalls))
		}
		if sw.dead {
			break
		}
	}
	if len(only) == 0 || only["config"] || only["config|set"] {
		sw.configSet()
	}
	sw.replicaOfNoOne()
	for i, dc := range sw.conns {
		if rep, err := dc.do([]string{"PING"}); err != nil || rep != "+PONG\r\n" {
			t.Fatalf("%s does not answer PING after the sweep: %q %v", sweepSide[i], rep, err)
		}
	}
	t.Logf("%d calls in %v; %d known differences (sweepKnownDiffs)", sw.calls, time.Since(start).Round(time.Millisecond), sw.known)
	sort.Slice(sw.took, func(i, j int) bool { return sw.took[i].d > sw.took[j].d })
	if len(sw.took) > 8 {
		sw.took = sw.took[:8]
	}
	t.Logf("slowest commands: %v", sw.took)
	sw.report()
}

type sweepTook struct {
	name string
	d    time.Duration
}

var sweepSide = [2]string{"redis", "fastcache"}

// sweepConns connects to both servers with the same client ID on each
// (connections are re-dialed on the side behind until the IDs meet), so
// that arguments naming a client (CLIENT TRACKING ... REDIRECT 1, CLIENT
// LIST ID 1) mean the same on both.
func sweepConns(t *testing.T, addrs ...string) [2]*diffConn {
	var conns [2]*diffConn
	var ids [2]int64
	dial := func(i int) {
		if conns[i] != nil {
			conns[i].conn.Close()
		}
		conns[i] = diffDial(t, addrs[i])
		rep, err := conns[i].do([]string{"CLIENT", "ID"})
		if err != nil {
			t.Fatalf("CLIENT ID on %s: %v", sweepSide[i], err)
		}
		ids[i], _ = strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(rep, ":")), 10, 64)
	}
	dial(0)
	dial(1)
	for n := 0; ids[0] != ids[1]; n++ {
		if n > 10000 {
			t.Fatalf("client IDs do not meet: %v", ids)
		}
		if ids[0] < ids[1] {
			dial(0)
		} else {
			dial(1)
		}
	}
	return conns
}

// sweepFixtures are the key states each command is swept on: no keys, and
// keys holding strings (a text, an integer, bytes with high bits). Keys
// are named k1, k2, ... in argument order (sweepTypical).
var sweepFixtures = [][][]string{
	nil,
	{{"SET", "k1", "foobar"}, {"SET", "k2", "12345"}, {"SET", "k3", "\xff\x00ab"}, {"SET", "k4", "1.5"}},
}

type sweeper struct {
	t     *testing.T
	conns [2]*diffConn
	calls int
	known int
	dead  bool
	diffs []string
	byCmd map[string]int
	took  []sweepTook
	long  bool
}

// command sweeps one command on each fixture.
// In the fixed mode (CI's time budget) the option orders are capped at 8,
// and on the string fixture a command of another type (which mostly answers
// WRONGTYPE there) gets its first two forms only; the long mode does all.
func (sw *sweeper) command(sc sweepCmd, r *rand.Rand) {
	bases := sc.baseCalls()
	perms := 8
	if sw.long {
		perms = 24
	}
	group := commands[strings.Split(sc.cmd.Name, "|")[0]].Group
	strs := group == "string" || group == "bitmap" || group == "generic"
	for fi, fx := range sweepFixtures {
		full := fi == 0 || strs || sw.long
		var calls []sweepCall
		for i, b := range bases {
			if !full && i > 1 {
				break
			}
			calls = append(calls, b)
			vals := sweepValuesSmall
			if fi == len(sweepFixtures)-1 && i == min(1, len(bases)-1) {
				vals = sweepValues // the 1 MB value: in one form, on existing keys
			}
			if i > 1 && !sw.long {
				vals = sweepValuesCore // the other forms (each alternative of a oneof)
			}
			calls = append(calls, b.substitutions(len(sc.prefix), vals)...)
		}
		if full {
			calls = append(calls, sc.optionCalls(r, perms)...)
		}
		calls = append(calls, sc.arityCalls(bases[0])...)
		sw.block(sc.cmd.Name, fx, calls)
		if sw.dead {
			return
		}
	}
	if len(sc.prefix) == 2 {
		// the subcommand name itself
		var subs []sweepCall
		for _, v := range sweepValuesSmall {
			subs = append(subs, sweepCall{args: []string{sc.prefix[0], v}})
		}
		sw.block(sc.cmd.Name+" (subcommand)", nil, subs)
	}
}

// sweepValuesCore are the values the forms after the first two get in the
// fixed mode.
var sweepValuesCore = []string{"0", "-1", "9223372036854775807", "-9223372036854775808", "", "nan", "not-a-number"}

var sweepValuesSmall = func() []string {
	var out []string
	for _, v := range sweepValues {
		if len(v) < 1024 {
			out = append(out, v)
		}
	}
	return out
}()

// block resets both connections and both keyspaces, sets up the fixture,
// and sends the calls, pipelined in chunks (both servers work at once); a
// chunk ends after a call that needs settling (see settle).
func (sw *sweeper) block(name string, fixture [][]string, calls []sweepCall) {
	var setup []sweepCall
	for _, a := range append([][]string{{"RESET"}, {"FLUSHALL"}}, fixture...) {
		setup = append(setup, sweepCall{args: a})
	}
	sw.pipeline(name+" setup", setup, false)
	for len(calls) > 0 && !sw.dead {
		n, size := 0, 0
		for n < len(calls) && n < 64 && size < 4<<20 {
			for _, a := range calls[n].args {
				size += len(a)
			}
			n++
			if kind, _ := sw.needsSettle(calls[n-1].args); kind != "" {
				break
			}
		}
		sw.pipeline(name, calls[:n], true)
		sw.settle(calls[n-1].args)
		calls = calls[n:]
	}
}

// needsSettle says whether a call may have set a short relative TTL on
// one of the keys, which could run out between the two servers' handling
// of some later call: "sleep" (it runs out within milliseconds), "persist"
// (it could run out within the block), or "".
func (sw *sweeper) needsSettle(args []string) (kind string, ms int64) {
	name := strings.ToLower(args[0])
	for i := 1; i < len(args); i++ {
		prev := strings.ToLower(args[i-1])
		unit := int64(0)
		switch {
		case prev == "px", i == 2 && (name == "pexpire" || name == "psetex"):
			unit = 1
		case prev == "ex", i == 2 && (name == "expire" || name == "setex"):
			unit = 1000
		default:
			continue
		}
		v, err := strconv.ParseInt(args[i], 10, 64)
		if err != nil || v <= 0 || v > 120_000/unit {
			continue
		}
		if v*unit <= 50 {
			return "sleep", max(ms, v*unit)
		}
		kind = "persist"
	}
	return kind, ms
}

// settle keeps expiry deterministic across the two servers: after a call
// that may have set a TTL of a few milliseconds (PX 1, PEXPIRE k 1, ...)
// the sweep waits longer than it, so both servers see the key expired; a
// TTL that could run out later in the block (EX 1) is removed at once
// (PERSIST), so neither does.
func (sw *sweeper) settle(args []string) {
	kind, ms := sw.needsSettle(args)
	if kind == "sleep" {
		time.Sleep(time.Duration(ms+3) * time.Millisecond)
	}
	if kind != "" {
		var calls []sweepCall
		for _, k := range []string{"k1", "k2", "k3", "k4"} {
			calls = append(calls, sweepCall{args: []string{"PERSIST", k}})
		}
		sw.pipeline("settle", calls, false)
	}
}

// pipeline sends calls to both servers at once (each written by a goroutine
// while the replies are read) and compares the replies one by one.
func (sw *sweeper) pipeline(name string, calls []sweepCall, compare bool) {
	sw.calls += len(calls)
	var replies [2][]string
	var errs [2]error
	done := make(chan int, 2)
	for i, dc := range sw.conns {
		go func(i int, dc *diffConn) {
			defer func() { done <- i }()
			dc.conn.SetDeadline(time.Now().Add(30 * time.Second))
			var buf []byte
			for _, c := range calls {
				buf = append(buf, diffEncode(c.args)...)
			}
			if _, err := dc.conn.Write(buf); err != nil {
				errs[i] = err
				return
			}
			for range calls {
				r, err := diffReadReply(dc.br)
				if err != nil {
					errs[i] = fmt.Errorf("%w (read %.200q)", err, r)
					return
				}
				replies[i] = append(replies[i], r)
			}
		}(i, dc)
	}
	<-done
	<-done
	for i, err := range errs {
		if err != nil {
			at := len(replies[i])
			sw.t.Errorf("%s did not answer %s (call %d of a pipeline of %d): %v",
				sweepSide[i], sweepShow(calls[min(at, len(calls)-1)].args), at+1, len(calls), err)
			sw.dead = true
			return
		}
	}
	if !compare {
		return
	}
	for k, c := range calls {
		sw.compare(name, c.args, replies[0][k], replies[1][k])
	}
}

// compare checks one reply of fastcache against Redis's.
func (sw *sweeper) compare(name string, args []string, redis, fastcache string) {
	if sweepNormalize(args, redis) == sweepNormalize(args, fastcache) {
		return
	}
	if why := sweepKnown(args, redis, fastcache); why != "" {
		sw.known++
		return
	}
	if sw.byCmd == nil {
		sw.byCmd = map[string]int{}
	}
	sw.byCmd[name]++
	if sw.byCmd[name] <= sweepMaxShown {
		sw.diffs = append(sw.diffs, fmt.Sprintf("%s\n    redis:     %.300q\n    fastcache: %.300q", sweepShow(args), redis, fastcache))
	}
}

// send is pipeline for one call.
func (sw *sweeper) send(name string, args []string, compare bool) {
	sw.pipeline(name, []sweepCall{{args: args}}, compare)
}

func (sw *sweeper) report() {
	if len(sw.byCmd) == 0 {
		return
	}
	names := make([]string, 0, len(sw.byCmd))
	total := 0
	for n, k := range sw.byCmd {
		names = append(names, fmt.Sprintf("%s (%d)", n, k))
		total += k
	}
	sort.Strings(names)
	sw.t.Errorf("%d replies differ from Redis's, in: %s\nfirst ones (at most 5 per command):\n%s",
		total, strings.Join(names, ", "), strings.Join(sw.diffs, "\n"))
}

// sweepShow prints a call for a report, the 1 MB value shortened.
func sweepShow(args []string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		if len(a) > 64 {
			parts[i] = fmt.Sprintf("<%d bytes>", len(a))
		} else {
			parts[i] = strconv.Quote(a)
		}
	}
	return strings.Join(parts, " ")
}

// configSet sweeps CONFIG SET's value for every numeric or enum directive
// both servers have and may change at run time, restoring each server's
// value after every call. Directives that would lock the sweep out or move
// the server (port, requirepass, dir, ...) are left out.
func (sw *sweeper) configSet() {
	orig := [2]map[string]string{}
	for i, dc := range sw.conns {
		rep, err := dc.do([]string{"CONFIG", "GET", "*"})
		if err != nil {
			sw.t.Fatalf("CONFIG GET *: %v", err)
		}
		v, _, err := parseResp(rep)
		if err != nil {
			sw.t.Fatalf("CONFIG GET *: %v", err)
		}
		orig[i] = map[string]string{}
		for j := 0; j+1 < len(v.elems); j += 2 {
			orig[i][v.elems[j].str] = v.elems[j+1].str
		}
	}
	var names []string
	for n := range orig[1] {
		if _, ok := orig[0][n]; ok && !sweepConfigSkip[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		for _, v := range append(sweepValuesSmall, "1mb", "1gb", "yes", "no", "100kb", "-1mb", "10000000000gb") {
			sw.send("config|set "+n, []string{"CONFIG", "SET", n, v}, true)
			for i, dc := range sw.conns {
				if _, err := dc.do([]string{"CONFIG", "SET", n, orig[i][n]}); err != nil {
					sw.t.Fatalf("restore %s on %s: %v", n, sweepSide[i], err)
				}
			}
		}
	}
}

// sweepConfigSkip are directives the CONFIG SET sweep leaves alone.
var sweepConfigSkip = map[string]bool{
	"port": true, "bind": true, "dir": true, "requirepass": true, "masterauth": true, "logfile": true,
	"appendonly": true, "save": true, "replicaof": true, "databases": true, "daemonize": true,
	"maxclients": true, // 1 would refuse the harness's next connections
}

// replicaOfNoOne: REPLICAOF/SLAVEOF are skipped (they would make a server
// follow another), except their NO ONE form.
func (sw *sweeper) replicaOfNoOne() {
	var calls []sweepCall
	for _, n := range []string{"REPLICAOF", "SLAVEOF"} {
		calls = append(calls, sweepCall{args: []string{n, "NO", "ONE"}}, sweepCall{args: []string{n, "no", "one"}},
			sweepCall{args: []string{n, "NO"}}, sweepCall{args: []string{n, "NO", "ONE", "x"}})
	}
	sw.block("replicaof", nil, calls)
}

// sweepNormalize maps a reply to what both servers must agree on. Most
// replies are compared whole; these depend on time, on each server's own
// identity, table layout or randomness, or on the set of commands and
// directives each implements, and are compared by their type (an error is
// still compared whole).
func sweepNormalize(args []string, reply string) string {
	name := strings.ToLower(args[0])
	if len(args) > 1 {
		if c := commands[name]; c != nil && c.Sub != nil {
			name += "|" + strings.ToLower(args[1])
		}
	}
	switch name {
	case "ttl", "pttl", "expiretime", "pexpiretime", "client|id":
		return diffPositive(reply)
	case "keys":
		return diffSorted(reply)
	}
	if sweepShapeOnly[name] || sweepShapeOnly[strings.Split(name, "|")[0]] {
		if strings.HasPrefix(reply, "-") {
			return reply
		}
		if reply == "" {
			return reply
		}
		return reply[:1] + "<" + name + ">"
	}
	return reply
}

// sweepShapeOnly are the commands whose successful replies are compared by
// type only (see sweepNormalize).
var sweepShapeOnly = map[string]bool{
	"info": true, "time": true, "lastsave": true, "hello": true, "role": true, "randomkey": true, "scan": true,
	"client|list": true, "client|info": true,
	"command": true, "command|info": true, "command|docs": true, "command|count": true, "command|list": true,
	"command|help": true,
	"config|get":   true,
	"memory":       true, "object|freq": true, "object|idletime": true, // seconds idle: timing
	"slowlog|get": true, "slowlog|len": true,
	// the LATENCY monitor's events depend on how long commands took
	"latency|latest": true, "latency|history": true, "latency|graph": true, "latency|doctor": true, "latency|reset": true,
	"dbsize":      false,
	"acl|genpass": true, // random
}

// sweepKnownDiff is a documented difference from Redis (also listed in the
// README): calls it matches may answer differently.
type sweepKnownDiff struct {
	match func(args []string, redis, fastcache string) bool
	why   string
}

var sweepKnownDiffs = []sweepKnownDiff{
	{func(a []string, r, f string) bool {
		return sweepIs(a, "lolwut") && strings.HasPrefix(r, "$") && strings.HasPrefix(f, "$18\r\nRedis ver. ")
	}, "LOLWUT VERSION 5 and 6 draw random computer art in Redis; fastcache answers the version line alone"},
	{func(a []string, r, f string) bool {
		return sweepIs(a, "xadd") && strings.HasPrefix(r, "$") && strings.HasPrefix(f, "$") && strings.Contains(r, "-") && strings.Contains(f, "-")
	}, "XADD with an auto ID: each server takes the ID from its own clock"},
	{func(a []string, r, f string) bool {
		return sweepIs(a, "latency", "histogram") && r[0] == '*' && f[0] == '*'
	},
		"LATENCY HISTOGRAM reports each server's own measured latencies and the commands each has run"},
	{func(a []string, r, f string) bool {
		cmd := commands[strings.ToLower(a[0])]
		return cmd != nil && cmd.Since > "7.0.99" && strings.HasPrefix(r, "-ERR unknown command")
	}, "commands newer than Redis 7.0 (hash-field expiry: HEXPIRE and its family, Redis 7.4) are unknown to the redis-server 7.0 the sweep compares with"},
	{func(a []string, r, f string) bool {
		return sweepIs(a, "client", "setinfo") || sweepIs(a, "client", "no-touch")
	}, "CLIENT SETINFO and CLIENT NO-TOUCH are Redis 7.2's (drivers send SETINFO on connect); Redis 7.0 answers unknown subcommand"},
	{func(a []string, r, f string) bool {
		return (sweepIs(a, "command", "getkeys") || sweepIs(a, "command", "getkeysandflags")) && len(a) > 2 &&
			commands[strings.ToLower(a[2])] == nil && f == "-ERR Invalid command specified\r\n"
	}, "COMMAND GETKEYS naming a Redis command fastcache does not implement answers Invalid command specified"},
	{func(a []string, r, f string) bool { return sweepIs(a, "client", "help") },
		"CLIENT HELP lists the subcommands fastcache implements"},
	{func(a []string, r, f string) bool {
		return (sweepIs(a, "save") || sweepIs(a, "bgsave") || sweepIs(a, "bgrewriteaof")) &&
			f == "-ERR snapshots are not available (appendonly no)\r\n"
	}, "SAVE, BGSAVE and BGREWRITEAOF need the WAL (appendonly yes), which the sweep's server runs without"},
	{func(a []string, r, f string) bool {
		const p = "-ERR Error compiling script (new function): user_script:"
		return strings.HasPrefix(r, p) && strings.HasPrefix(f, p)
	}, "Lua syntax errors are worded by gopher-lua's parser (README: Scripting)"},
	{func(a []string, r, f string) bool {
		const p = "-ERR SCRIPT DEBUG must be called outside a pipeline\r\n"
		return sweepIs(a, "script", "debug") && (r == p || f == p)
	}, "SCRIPT DEBUG answers 'outside a pipeline' when replies before it are unsent: where each server's reads split the sweep's pipelined calls"},
	{func(a []string, r, f string) bool {
		return sweepIs(a, "function", "dump") && r[0] == '$' && f[0] == '$'
	},
		"FUNCTION DUMP lists several libraries in name order, Redis in its hash table's (README: Scripting)"},
}

// sweepIs reports whether a call is the command (and subcommand) named.
func sweepIs(args []string, name ...string) bool {
	if len(args) < len(name) {
		return false
	}
	for i, n := range name {
		if !strings.EqualFold(args[i], n) {
			return false
		}
	}
	return true
}

func sweepKnown(args []string, redis, fastcache string) string {
	for _, d := range sweepKnownDiffs {
		if d.match(args, redis, fastcache) {
			return d.why
		}
	}
	return ""
}

// sweepMaxShown is how many differences per command a report prints
// (FASTCACHE_SWEEP_SHOW overrides).
var sweepMaxShown = func() int {
	if n, err := strconv.Atoi(os.Getenv("FASTCACHE_SWEEP_SHOW")); err == nil {
		return n
	}
	return 5
}()
