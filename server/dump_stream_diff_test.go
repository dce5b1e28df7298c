package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Differential tests of DUMP and RESTORE of streams against redis-server:
// streams laid out the same dump to the same bytes, each server restores
// the other's payloads (deletions, trims, groups, consumers, pending
// entries), and a restored stream shows what the original showed, its
// delivery and seen times included.

func streamDumpSetup() [][]any {
	cmds := [][]any{
		{"xadd", "x:small", "1-1", "a", "1", "b", "hello"},
		{"xadd", "x:small", "1-2", "a", "2", "b", "world"},
		{"xadd", "x:small", "5-0", "c", "-7000"},
		{"xadd", "x:small", "5-1", "a", strings.Repeat("v", 100), "b", "1"},
		{"xgroup", "create", "x:nogroupdata", "g", "$", "mkstream"},
		{"xadd", "x:setid", "3-3", "f", "v"},
		{"xsetid", "x:setid", "100-7", "entriesadded", "42", "maxdeletedid", "50-1"},
	}
	// several nodes: stream-node-max-entries (100) and -max-bytes (4096)
	for i := 1; i <= 450; i++ {
		if i%7 == 0 {
			cmds = append(cmds, []any{"xadd", "x:big", fmt.Sprintf("%d-%d", 1000+i/3, i), "other", i, "x", "y"})
			continue
		}
		cmds = append(cmds, []any{"xadd", "x:big", fmt.Sprintf("%d-%d", 1000+i/3, i), "field", fmt.Sprintf("value-%d", i*i), "n", i})
	}
	for i := 1; i <= 12; i++ {
		cmds = append(cmds, []any{"xadd", "x:bigval", fmt.Sprintf("7-%d", i), "blob", strings.Repeat(string(rune('a'+i)), 900*i)})
	}
	// deletions and trims
	for i := 1; i <= 300; i++ {
		cmds = append(cmds, []any{"xadd", "x:del", fmt.Sprintf("%d-0", i), "f", i})
	}
	cmds = append(cmds,
		[]any{"xdel", "x:del", "1-0", "2-0", "50-0", "150-0", "299-0", "300-0"},
		[]any{"xtrim", "x:del", "maxlen", "~", "250"},
		[]any{"xtrim", "x:del", "minid", "120-0"},
		[]any{"xadd", "x:emptied", "1-0", "f", "v"},
		[]any{"xadd", "x:emptied", "2-0", "f", "v"},
		[]any{"xdel", "x:emptied", "1-0", "2-0"},
	)
	// groups, consumers, pending entries
	for i := 1; i <= 40; i++ {
		cmds = append(cmds, []any{"xadd", "x:groups", fmt.Sprintf("10-%d", i), "k", fmt.Sprintf("v%d", i)})
	}
	cmds = append(cmds,
		[]any{"xgroup", "create", "x:groups", "g1", "0"},
		[]any{"xgroup", "create", "x:groups", "g2", "$"},
		[]any{"xgroup", "create", "x:groups", "g3", "10-5", "entriesread", "3"},
		[]any{"xreadgroup", "group", "g1", "alice", "count", "5", "streams", "x:groups", ">"},
		[]any{"xreadgroup", "group", "g1", "bob", "count", "4", "streams", "x:groups", ">"},
		[]any{"xreadgroup", "group", "g3", "carol", "count", "2", "streams", "x:groups", ">"},
		[]any{"xack", "x:groups", "g1", "10-2", "10-7"},
		[]any{"xclaim", "x:groups", "g1", "bob", "0", "10-3", "retrycount", "5"},
		[]any{"xgroup", "createconsumer", "x:groups", "g1", "dave"},
		[]any{"xgroup", "createconsumer", "x:groups", "g2", "erin"},
		[]any{"xdel", "x:groups", "10-4", "10-20"},
		[]any{"xtrim", "x:groups", "maxlen", "30"},
		[]any{"xadd", "x:groups", "11-0", "k", "late"},
	)
	return cmds
}

// streamDumpDeterministic are the streams without delivery or seen times:
// their payloads are the same bytes on both servers.
var streamDumpDeterministic = []string{"x:small", "x:nogroupdata", "x:setid", "x:big", "x:bigval", "x:del", "x:emptied"}

// streamView is what the stream commands show of key: entries, XINFO
// STREAM FULL, groups, consumers (idle masked) and pending entries (idle
// masked). With times false, delivery and seen times are masked too.
func streamView(t *testing.T, c *redis.Client, key string, times bool) string {
	t.Helper()
	var b strings.Builder
	do := func(mask func(v any, path []any) any, args ...any) {
		v, err := c.Do(ctx(), args...).Result()
		if err != nil && err != redis.Nil {
			fmt.Fprintf(&b, "%v %v: ERR %v\n", args[0], args[1] == key, err)
			return
		}
		name := fmt.Sprint(args[:2]...)
		if args[1] == key {
			name = fmt.Sprint(args[0])
		}
		fmt.Fprintf(&b, "%s: %v\n", name, mask(v, nil))
	}
	none := func(v any, _ []any) any { return v }
	do(none, "type", key)
	do(none, "xrange", key, "-", "+")
	do(maskTimes(times), "xinfo", "stream", key, "full")
	do(maskTimes(times), "xinfo", "groups", key)
	groups, _ := c.XInfoGroups(ctx(), key).Result()
	for _, g := range groups {
		do(maskTimes(times), "xinfo", "consumers", key, g.Name)
		do(none, "xpending", key, g.Name)
		do(maskTimes(times), "xpending", key, g.Name, "-", "+", 1000)
	}
	return b.String()
}

// maskTimes replaces the values of time fields (and the idle column of
// XPENDING's extended form) with "T" so that two servers compare.
func maskTimes(times bool) func(v any, path []any) any {
	var mask func(v any, depth int) any
	timeKeys := map[string]bool{"idle": true}
	if !times {
		timeKeys["seen-time"] = true
		timeKeys["delivery-time"] = true
	}
	mask = func(v any, depth int) any {
		arr, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, len(arr))
		for i, x := range arr {
			out[i] = mask(x, depth+1)
			if i > 0 {
				if k, ok := arr[i-1].(string); ok && timeKeys[k] && i%2 == 1 {
					out[i] = "T"
				}
			}
		}
		// XPENDING extended: [id consumer idle count]; XINFO STREAM FULL
		// pending: [id consumer delivery-time count], consumer pending:
		// [id delivery-time count]
		if len(arr) == 4 && isID(arr[0]) {
			if _, ok := arr[2].(int64); ok && (!times || depth == 1) {
				out[2] = "T"
			}
		}
		if len(arr) == 3 && isID(arr[0]) && !times {
			out[1] = "T"
		}
		return out
	}
	return func(v any, _ []any) any { return mask(v, 0) }
}

// firstDiff is the first line where a and b differ, shortened.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			j := 0
			for j < len(x) && j < len(y) && x[j] == y[j] {
				j++
			}
			lo := max(0, j-150)
			return fmt.Sprintf("line %d:\n  %s\n  %s", i, dumpTrunc(x[lo:]), dumpTrunc(y[lo:]))
		}
	}
	return ""
}

// bytesDiff says where two payloads first differ.
func bytesDiff(a, b string) string {
	j := 0
	for j < len(a) && j < len(b) && a[j] == b[j] {
		j++
	}
	lo := max(0, j-40)
	return fmt.Sprintf("lengths %d %d, first difference at %d:\n  %q\n  %q", len(a), len(b), j, dumpTrunc(a[lo:]), dumpTrunc(b[lo:]))
}

func isID(v any) bool {
	s, ok := v.(string)
	return ok && strings.Contains(s, "-") && s[0] >= '0' && s[0] <= '9'
}

func streamDumpBuild(t *testing.T, cls ...*redis.Client) {
	t.Helper()
	for _, c := range streamDumpSetup() {
		for _, cl := range cls {
			if err := cl.Do(ctx(), c...).Err(); err != nil {
				t.Fatalf("%v: %v", c, err)
			}
		}
	}
}

func streamDumpKeys() []string {
	var keys []string
	seen := map[string]bool{}
	for _, c := range streamDumpSetup() {
		k := c[1].(string)
		switch c[0] {
		case "xgroup":
			k = c[2].(string)
		case "xreadgroup":
			k = c[len(c)-2].(string)
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

func TestDumpStreamDiffBytes(t *testing.T) {
	red, fc := dumpDiffClients(t)
	streamDumpBuild(t, red, fc)
	for _, k := range streamDumpDeterministic {
		a, err1 := red.Dump(ctx(), k).Result()
		b, err2 := fc.Dump(ctx(), k).Result()
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", k, err1, err2)
		}
		if a != b {
			t.Errorf("DUMP %s differs: %s", k, bytesDiff(a, b))
		}
	}
	// the same streams show the same (times aside) on both servers
	for _, k := range streamDumpKeys() {
		if a, b := streamView(t, red, k, false), streamView(t, fc, k, false); a != b {
			t.Errorf("%s differs before any DUMP (redis, fastcache): %s", k, firstDiff(a, b))
		}
	}
}

func TestDumpStreamDiffCrossRestore(t *testing.T) {
	red, fc := dumpDiffClients(t)
	streamDumpBuild(t, red, fc)
	for _, k := range streamDumpKeys() {
		want := streamView(t, red, k, true)
		// redis -> fastcache: everything, times included, as it was
		p := red.Dump(ctx(), k).Val()
		if err := fc.Restore(ctx(), "from-redis:"+k, 0, p).Err(); err != nil {
			t.Fatalf("RESTORE of redis's %s: %v", k, err)
		}
		if got := streamView(t, fc, "from-redis:"+k, true); got != want {
			t.Errorf("redis's %s restored here (got, want): %s", k, firstDiff(got, want))
		}
		// and back: our DUMP of it restored by redis
		p2 := fc.Dump(ctx(), "from-redis:"+k).Val()
		if p2 != p {
			t.Errorf("%s: our DUMP of redis's restored payload differs: %s", k, bytesDiff(p, p2))
		}
		if err := red.Restore(ctx(), "back:"+k, 0, p2).Err(); err != nil {
			t.Fatalf("redis RESTORE of our copy of %s: %v", k, err)
		}
		if got := streamView(t, red, "back:"+k, true); got != want {
			t.Errorf("our copy of %s restored by redis (got, want): %s", k, firstDiff(got, want))
		}
		// fastcache -> redis: our own stream, times included
		mine := streamView(t, fc, k, true)
		p = fc.Dump(ctx(), k).Val()
		if err := red.Restore(ctx(), "from-fc:"+k, 0, p).Err(); err != nil {
			t.Fatalf("redis RESTORE of our %s: %v", k, err)
		}
		if got := streamView(t, red, "from-fc:"+k, true); got != mine {
			t.Errorf("our %s restored by redis (got, want): %s", k, firstDiff(got, mine))
		}
	}
	// a restored stream goes on as the original: XADD, XREADGROUP, XDEL
	// and XAUTOCLAIM on both copies of redis's x:groups give the same
	for _, cl := range []*redis.Client{red, fc} {
		key := "from-redis:x:groups"
		if cl == red {
			key = "x:groups"
		}
		for _, c := range [][]any{
			{"xadd", key, "12-0", "k", "after"},
			{"xreadgroup", "group", "g1", "alice", "count", "3", "streams", key, ">"},
			{"xdel", key, "10-30"},
			{"xgroup", "delconsumer", key, "g1", "dave"},
		} {
			if err := cl.Do(ctx(), c...).Err(); err != nil {
				t.Fatalf("%v: %v", c, err)
			}
		}
	}
	if a, b := streamView(t, red, "x:groups", false), streamView(t, fc, "from-redis:x:groups", false); a != b {
		t.Errorf("restored stream after more commands (redis, fastcache): %s", firstDiff(a, b))
	}
	// MIGRATE carries a stream to redis-server
	host, port, _ := strings.Cut(red.Options().Addr, ":")
	if err := fc.Do(ctx(), "migrate", host, port, "", 0, 5000, "copy", "replace", "keys", "x:del", "x:groups").Err(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"x:del", "x:groups"} {
		if a, b := streamView(t, red, k, true), streamView(t, fc, k, true); a != b {
			t.Errorf("MIGRATE of %s (redis, fastcache): %s", k, firstDiff(a, b))
		}
	}
}

func TestDumpStreamDiffErrors(t *testing.T) {
	// payloads redis-server refuses are refused here with its error
	hdr := func(nodes byte) []byte { return []byte{19, nodes} }
	key := string(make([]byte, 16))
	lp := "\x0b\x00\x00\x00\x01\x00\x01\x01\xff" // a listpack of one element: not a stream node
	bad := []string{
		dumpPayload(append(hdr(1), append([]byte{15}, key[:15]...)...), 10),                // short node key
		dumpPayload(append(append(hdr(1), 16), append([]byte(key), 9)...), 10),             // truncated listpack
		dumpPayload(append(append(hdr(1), 16), append([]byte(key), byte(len(lp)))...), 10), // cut after the listpack length
		dumpPayload([]byte{19, 0, 1}, 10),                                                  // cut in the counters
		dumpPayload([]byte{19, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}, 10),                       // a group cut short
	}
	steps := []diffStep{}
	for _, p := range bad {
		steps = append(steps, diffStep{args: []string{"RESTORE", "k", "0", p}}, diffStep{args: []string{"EXISTS", "k"}})
	}
	// an empty stream with no groups restores
	steps = append(steps,
		diffStep{args: []string{"RESTORE", "k", "0", dumpPayload([]byte{19, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 10)}},
		diffStep{args: []string{"XINFO", "STREAM", "k"}},
		diffStep{args: []string{"XLEN", "k"}},
	)
	runDiffScripts(t, []diffScript{{name: "dump-restore-stream-errors", steps: steps}})
}

func TestDumpStreamRestoreWakesBlocked(t *testing.T) {
	// RESTORE signals the key as ready, as Redis's dbAdd does: a client
	// blocked in XREAD on a missing key, one blocked in XREADGROUP on a
	// stream that RESTORE REPLACE swaps for one with a new entry, and one
	// whose group the new stream does not have.
	red, fc := dumpDiffClients(t)
	for _, cl := range []*redis.Client{red, fc} {
		for _, c := range [][]any{
			{"xadd", "src", "5-0", "f", "v"},
			{"xgroup", "create", "src", "g", "0"},
			{"xadd", "grp", "1-0", "f", "old"},
			{"xgroup", "create", "grp", "g", "$"},
			{"xadd", "grp2", "1-0", "f", "old"},
			{"xgroup", "create", "grp2", "g", "$"},
			{"xadd", "nogroups", "9-0", "f", "v"},
		} {
			if err := cl.Do(ctx(), c...).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	payload := red.Dump(ctx(), "src").Val()
	noGroups := red.Dump(ctx(), "nogroups").Val()
	results := map[string][3]string{}
	for i, cl := range []*redis.Client{red, fc} {
		type res struct {
			v   any
			err error
		}
		x := make(chan res, 1)
		g := make(chan res, 1)
		g2 := make(chan res, 1)
		a := redis.NewClient(&redis.Options{Addr: cl.Options().Addr, Protocol: 2, MaxRetries: -1})
		b := redis.NewClient(&redis.Options{Addr: cl.Options().Addr, Protocol: 2, MaxRetries: -1})
		c := redis.NewClient(&redis.Options{Addr: cl.Options().Addr, Protocol: 2, MaxRetries: -1})
		defer a.Close()
		defer b.Close()
		defer c.Close()
		go func() {
			v, err := a.Do(ctx(), "xread", "block", 10000, "streams", "missing", "$").Result()
			x <- res{v, err}
		}()
		go func() {
			v, err := b.Do(ctx(), "xreadgroup", "group", "g", "c1", "block", 10000, "streams", "grp", ">").Result()
			g <- res{v, err}
		}()
		go func() {
			v, err := c.Do(ctx(), "xreadgroup", "group", "g", "c1", "block", 10000, "streams", "grp2", ">").Result()
			g2 <- res{v, err}
		}()
		waitBlockedClient(t, cl, 3)
		if err := cl.Restore(ctx(), "missing", 0, payload).Err(); err != nil {
			t.Fatal(err)
		}
		if err := cl.RestoreReplace(ctx(), "grp", 0, payload).Err(); err != nil {
			t.Fatal(err)
		}
		if err := cl.RestoreReplace(ctx(), "grp2", 0, noGroups).Err(); err != nil {
			t.Fatal(err)
		}
		var out [3]string
		for j, ch := range []chan res{x, g, g2} {
			select {
			case r := <-ch:
				out[j] = fmt.Sprintf("%v %v", r.v, r.err)
			case <-time.After(9 * time.Second):
				out[j] = "still blocked"
			}
		}
		results[[]string{"redis", "fastcache"}[i]] = out
	}
	if results["redis"] != results["fastcache"] {
		t.Errorf("blocked clients after RESTORE:\n redis:     %v\n fastcache: %v", results["redis"], results["fastcache"])
	}
	t.Logf("%v", results)
}

// waitBlockedClient polls INFO clients until n clients are blocked.
func waitBlockedClient(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	want := fmt.Sprintf("blocked_clients:%d", n)
	for i := 0; i < 500; i++ {
		if strings.Contains(c.Info(ctx(), "clients").Val(), want) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("never %s", want)
}
