package server

import (
	"bufio"
	"bytes"
	"hash/fnv"
	"io"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"fastcache/cache"
	"fastcache/config"
)

// Fuzz targets that run random command lines through the real request
// parser and dispatcher (arity, MULTI queueing, write admission, handlers)
// on an in-memory cache, one target per command family. The seed corpus is
// the boundary sweep's calls for the family's commands (sweep_gen_test.go),
// so `go test` runs every seed; `go test -fuzz FuzzStrings ./server/`
// explores further. A family added later is one line here: a target
// naming the command table's group(s).
//
// The input is a script: one command per line, arguments separated by
// spaces; an argument "$N" stands for sweepValues[N] (the empty string, the
// 1 MB value, ...). A first word that is not a command of the family picks
// one by its hash, so any input reaches the family's handlers. The server
// must answer every command with one well-formed reply and never panic.

func FuzzStrings(f *testing.F)     { fuzzFamily(f, "string") }
func FuzzKeys(f *testing.F)        { fuzzFamily(f, "generic") }
func FuzzBitmaps(f *testing.F)     { fuzzFamily(f, "bitmap") }
func FuzzConnServer(f *testing.F)  { fuzzFamily(f, "connection", "server", "transactions", "cluster") }
func FuzzScripting(f *testing.F)   { fuzzFamily(f, "scripting") }
func FuzzHashes(f *testing.F)      { fuzzFamily(f, "hash") }
func FuzzLists(f *testing.F)       { fuzzFamily(f, "list") }
func FuzzSets(f *testing.F)        { fuzzFamily(f, "set") }
func FuzzSortedSets(f *testing.F)  { fuzzFamily(f, "sorted-set", "geo") }
func FuzzPubSub(f *testing.F)      { fuzzFamily(f, "pubsub") }
func FuzzStreams(f *testing.F)     { fuzzFamily(f, "stream") }
func FuzzHyperLogLog(f *testing.F) { fuzzFamily(f, "hyperloglog") }

// FuzzClusterMode: cluster-enabled yes, CLUSTER and the families whose
// keys its CROSSSLOT rule checks (transactions, scripts, multi-key and
// movable-key commands, shard channels).
func FuzzClusterMode(f *testing.F) {
	fuzzFamilyWith(f, []string{"--cluster-enabled", "yes", "--dir", f.TempDir()},
		"cluster", "transactions", "generic", "scripting", "list", "pubsub", "sorted-set")
}

// fuzzMaxCommands bounds one input's work (and fuzzMaxMB its 1 MB values).
const (
	fuzzMaxCommands = 64
	fuzzMaxMB       = 4
)

func fuzzFamily(f *testing.F, groups ...string) { fuzzFamilyWith(f, nil, groups...) }

// fuzzFamilyWith is fuzzFamily on a server with the config arguments extra.
func fuzzFamilyWith(f *testing.F, extra []string, groups ...string) {
	if testGoroutines {
		f.Skip("in-process: the network layer does not matter; run once")
	}
	fam := fuzzCommands(groups)
	if len(fam) == 0 {
		f.Skip("no commands in groups", groups)
	}
	for _, seed := range fuzzSeeds(fam) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, script string) {
		calls := fuzzParse(script, fam)
		if len(calls) == 0 {
			return
		}
		fuzzRun(t, calls, extra...)
	})
}

// fuzzCommands are the family's top-level commands that the sweep also
// sends (sweepSkip applies), in name order.
func fuzzCommands(groups []string) []sweepCmd {
	in := map[string]bool{}
	for _, g := range groups {
		in[g] = true
	}
	var out []sweepCmd
	for _, sc := range sweepCommands() {
		top := commands[strings.Split(sc.cmd.Name, "|")[0]]
		if in[top.Group] {
			out = append(out, sc)
		}
	}
	return out
}

// fuzzSeeds renders the sweep's calls for the family as scripts of at most
// fuzzMaxCommands lines, each after lines that create the keys k1, k2, ...
// with the family's own type (the first call of each of its writes that
// may grow memory: HSET for hashes), or as strings when it has none.
func fuzzSeeds(fam []sweepCmd) []string {
	index := map[string]int{}
	for i, v := range sweepValues {
		index[v] = i
	}
	render := func(c sweepCall) (string, bool) {
		parts := make([]string, len(c.args))
		for i, a := range c.args {
			if n, ok := index[a]; ok && (a == "" || len(a) > 64 || strings.ContainsAny(a, " \n$")) {
				parts[i] = "$" + strconv.Itoa(n)
				continue
			}
			if a == "" || len(a) > 64 || strings.ContainsAny(a, " \n") || strings.HasPrefix(a, "$") {
				return "", false
			}
			parts[i] = a
		}
		return strings.Join(parts, " "), true
	}
	var prefix []string
	for _, sc := range fam {
		if sc.cmd.Flags&flagDenyOOM != 0 && sc.cmd.Flags&flagWrite != 0 {
			if l, ok := render(sc.baseCalls()[0]); ok {
				prefix = append(prefix, l)
			}
		}
	}
	if len(prefix) == 0 {
		for _, a := range sweepFixtures[1] {
			if l, ok := render(sweepCall{args: a}); ok {
				prefix = append(prefix, l)
			}
		}
	}
	prefix = prefix[:min(len(prefix), fuzzMaxCommands/2)]
	var seeds []string
	for _, sc := range fam {
		var calls []sweepCall
		for i, b := range sc.baseCalls() {
			vals := sweepValuesSmall
			if i == 0 {
				vals = sweepValues // the 1 MB value in one form
			}
			calls = append(calls, b)
			calls = append(calls, b.substitutions(len(sc.prefix), vals)...)
		}
		lines := append([]string(nil), prefix...)
		for _, c := range calls {
			if l, ok := render(c); ok {
				lines = append(lines, l)
			}
			if len(lines) == fuzzMaxCommands {
				seeds = append(seeds, strings.Join(lines, "\n"))
				lines = append(lines[:0], prefix...)
			}
		}
		if len(lines) > len(prefix) {
			seeds = append(seeds, strings.Join(lines, "\n"))
		}
	}
	return seeds
}

// fuzzParse turns a script into calls of the family's commands.
func fuzzParse(script string, fam []sweepCmd) [][]string {
	byName := map[string]sweepCmd{}
	for _, sc := range fam {
		byName[strings.ToLower(strings.Join(sc.prefix, " "))] = sc
	}
	var out [][]string
	mb := 0
	for _, line := range strings.Split(script, "\n") {
		if len(out) == fuzzMaxCommands {
			break
		}
		words := strings.Split(line, " ")
		var args []string
		for _, w := range words {
			if strings.HasPrefix(w, "$") {
				if n, err := strconv.Atoi(w[1:]); err == nil && n >= 0 && n < len(sweepValues) {
					if len(sweepValues[n]) > 64<<10 {
						if mb++; mb > fuzzMaxMB {
							continue
						}
					}
					w = sweepValues[n]
				}
			}
			args = append(args, w)
		}
		// the family command: named by its first word(s), else by hash
		sc, ok := byName[strings.ToLower(args[0])]
		n := 1
		if len(args) > 1 {
			if s2, ok2 := byName[strings.ToLower(args[0]+" "+args[1])]; ok2 {
				sc, ok, n = s2, true, 2
			}
		}
		if !ok {
			h := fnv.New32a()
			io.WriteString(h, args[0])
			sc = fam[int(h.Sum32()%uint32(len(fam)))]
			n = 1
		}
		call := append(append([]string(nil), sc.prefix...), args[n:]...)
		out = append(out, fuzzTame(call))
	}
	return out
}

// fuzzTame keeps a call from reconfiguring the in-process server out of
// the fuzzer's reach: CONFIG SET of the protocol limits (which bound the
// memory a SETBIT or SETRANGE may take) or of what the sweep leaves alone
// sets maxmemory-samples instead.
func fuzzTame(args []string) []string {
	if len(args) >= 4 && strings.EqualFold(args[0], "config") && strings.EqualFold(args[1], "set") {
		for i := 2; i < len(args); i += 2 {
			n := strings.ToLower(args[i])
			if sweepConfigSkip[n] || n == "proto-max-bulk-len" || n == "client-query-buffer-limit" {
				args[i] = "maxmemory-samples"
			}
		}
	}
	return args
}

// fuzzStall is how long one input may take: far more than any command
// line of at most fuzzMaxCommands commands and fuzzMaxMB MB should need.
const fuzzStall = 5 * time.Second

func fuzzShow(calls [][]string) string {
	var b strings.Builder
	for _, c := range calls {
		b.WriteString(sweepShow(c))
		b.WriteString("; ")
	}
	return b.String()
}

// fuzzSocket is the connection of an in-process client.
type fuzzSocket struct{}

func (fuzzSocket) descriptor() int { return -1 }
func (fuzzSocket) hungUp() bool    { return false }
func (fuzzSocket) shutdown()       {}
func (fuzzSocket) start() bool     { return true }
func (fuzzSocket) abort()          {}
func (fuzzSocket) pushWake()       {}
func (fuzzSocket) unblocked()      {}

// fuzzRun runs calls as one pipeline of a fresh in-process server and
// checks that each got exactly one well-formed reply.
func fuzzRun(t *testing.T, calls [][]string, extra ...string) {
	cl, closeAll := fuzzClient(t, 2, extra...)
	defer closeAll()
	var in []byte
	for _, a := range calls {
		in = append(in, diffEncode(a)...)
	}
	var p reqParser
	start := time.Now()
	cl.runPipeline(&p, in)
	cl.finishPipeline()
	if d := time.Since(start); d > fuzzStall {
		t.Fatalf("%d commands took %v (work must follow the arguments): %s", len(calls), d, fuzzShow(calls))
	}
	br := bufio.NewReader(bytes.NewReader(cl.reply.Bytes()))
	for i, a := range calls {
		if _, err := diffReadReply(br); err != nil {
			t.Fatalf("command %d %s: no well-formed reply: %v", i, sweepShow(a), err)
		}
	}
	if rest, _ := io.ReadAll(br); len(rest) > 0 {
		t.Fatalf("%d bytes after the %d replies: %.200q", len(rest), len(calls), rest)
	}
}

// fuzzClient is a client of a fresh in-process server (no network, no
// persistence) speaking RESP proto; extra are more config arguments.
func fuzzClient(t *testing.T, proto int, extra ...string) (*Client, func()) {
	t.Helper()
	cfg, err := config.Load(append([]string{"--appendonly", "no", "--proto-max-bulk-len", "16mb"}, extra...))
	if err != nil {
		t.Fatal(err)
	}
	c := cache.New(cache.Options{Shards: 2})
	s := New(Options{Config: cfg, Cache: c, Log: zerolog.New(io.Discard)})
	if err := s.LoadClusterConfig(); err != nil {
		t.Fatal(err)
	}
	cl := &Client{srv: s, sock: fuzzSocket{}, ID: 1, Addr: "127.0.0.1:1", Laddr: "127.0.0.1:2", authed: true}
	cl.reply.proto = proto
	cl.ks = c.KeyspaceAt(&cl.nowMs)
	cl.tick()
	s.clients[cl.ID] = cl
	return cl, func() { c.Close() }
}

// TestFuzzFamiliesCoverTable: every command the sweep sends belongs to a
// fuzz target's family (a new group needs its one-line target).
func TestFuzzFamiliesCoverTable(t *testing.T) {
	covered := map[string]bool{"string": true, "generic": true, "bitmap": true, "connection": true, "server": true, "transactions": true, "cluster": true, "hash": true,
		"list": true, "set": true, "sorted-set": true, "geo": true, "pubsub": true, "scripting": true, "stream": true}
	var missing []string
	for _, sc := range sweepCommands() {
		top := commands[strings.Split(sc.cmd.Name, "|")[0]]
		if !covered[top.Group] {
			missing = append(missing, sc.cmd.Name+" ("+top.Group+")")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Logf("commands of groups without a fuzz target (add a one-line FuzzX in fuzz_dispatch_test.go): %v", missing)
	}
}
