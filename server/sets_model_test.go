package server

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestRedisModelSetsZSets sends thousands of random set and sorted set
// commands to redis-server and to fastcache, half of them over RESP3, and
// compares every reply byte for byte. Replies whose order Redis leaves to
// its hash tables are sorted first; commands that pick at random are
// checked for their shape, and SPOP's pick is replayed on Redis as an SREM
// of the members fastcache popped, so both keep the same contents.
func TestRedisModelSetsZSets(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	var conns [2][2]*diffConn // [proto 2/3][redis, fastcache]
	for p := range conns {
		conns[p] = [2]*diffConn{diffDial(t, redisAddr), diffDial(t, fc.addr)}
		if p == 1 {
			for _, dc := range conns[p] {
				if _, err := dc.do([]string{"HELLO", "3"}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for _, dc := range conns[0] {
		dc.do([]string{"FLUSHALL"})
	}
	seed := uint64(2024)
	if v, err := strconv.ParseUint(os.Getenv("FASTCACHE_MODEL_SEED"), 10, 64); err == nil {
		seed = v // other seeds: FASTCACHE_MODEL_SEED=n go test -run TestRedisModelSetsZSets
	}
	r := rand.New(rand.NewPCG(seed, 17))
	member := func() string {
		switch r.IntN(10) {
		case 0:
			return strings.Repeat("long", 17) + strconv.Itoa(r.IntN(5))
		case 1, 2, 3, 4:
			return strconv.Itoa(r.IntN(60) - 10)
		}
		return "m" + strconv.Itoa(r.IntN(60))
	}
	members := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = member()
		}
		return out
	}
	score := func() string {
		switch r.IntN(20) {
		case 0:
			return "inf"
		case 1:
			return "-inf"
		case 2:
			return "-0"
		case 3:
			return strconv.FormatFloat(r.NormFloat64()*1e6, 'g', -1, 64)
		}
		return strconv.Itoa(r.IntN(30)) + []string{"", ".5", ".25"}[r.IntN(3)]
	}
	setKey := func() string { return "s" + strconv.Itoa(r.IntN(4)) }
	zKey := func() string { return "z" + strconv.Itoa(r.IntN(4)) }
	anyKey := func() string {
		switch r.IntN(9) {
		case 0:
			return "str"
		case 1, 2, 3, 4:
			return setKey()
		}
		return zKey()
	}
	bound := func() string {
		b := []string{"-inf", "+inf", strconv.Itoa(r.IntN(30)), "(" + strconv.Itoa(r.IntN(30)), strconv.Itoa(r.IntN(30)) + ".5"}
		return b[r.IntN(len(b))]
	}
	lex := func() string {
		b := []string{"-", "+", "[" + member(), "(" + member()}
		return b[r.IntN(len(b))]
	}
	idx := func() string { return strconv.Itoa(r.IntN(40) - 20) }
	// Lexicographic ranges are defined only when all scores are equal
	// (Redis leaves the rest unspecified): they run on l0..l1, whose
	// scores are all 0.
	lKey := func() string { return "l" + strconv.Itoa(r.IntN(2)) }
	const sortReply, countReply = 1, 2
	type op struct {
		args []string
		mode int
	}
	gen := func() op {
		switch r.IntN(44) {
		case 0, 1, 2:
			return op{args: append([]string{"SADD", setKey()}, members(1+r.IntN(6))...)}
		case 3:
			big := make([]string, 0, 200)
			for i := 0; i < 150+r.IntN(50); i++ {
				if r.IntN(2) == 0 {
					big = append(big, strconv.Itoa(r.IntN(1000)))
				} else {
					big = append(big, "b"+strconv.Itoa(r.IntN(300)))
				}
			}
			return op{args: append([]string{"SADD", setKey()}, big...)}
		case 4, 5:
			return op{args: append([]string{"SREM", setKey()}, members(1+r.IntN(4))...)}
		case 6:
			return op{args: []string{"SISMEMBER", anyKey(), member()}}
		case 7:
			return op{args: append([]string{"SMISMEMBER", anyKey()}, members(3)...)}
		case 8:
			return op{args: []string{"SMEMBERS", anyKey()}, mode: sortReply}
		case 9:
			return op{args: []string{"SCARD", anyKey()}}
		case 10:
			return op{args: []string{"SPOP", setKey(), strconv.Itoa(r.IntN(5))}}
		case 11:
			return op{args: []string{"SRANDMEMBER", anyKey(), strconv.Itoa(r.IntN(10) - 5)}, mode: countReply}
		case 12:
			return op{args: []string{"SMOVE", setKey(), setKey(), member()}}
		case 13:
			cmd := []string{"SINTER", "SUNION", "SDIFF"}[r.IntN(3)]
			return op{args: []string{cmd, setKey(), setKey(), anyKey()}, mode: sortReply}
		case 14:
			cmd := []string{"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"}[r.IntN(3)]
			return op{args: []string{cmd, anyKey(), setKey(), setKey()}}
		case 15:
			return op{args: []string{"SINTERCARD", "2", setKey(), setKey(), "LIMIT", strconv.Itoa(r.IntN(4))}}
		case 16:
			return op{args: []string{"SSCAN", setKey(), "0", "COUNT", "1000"}, mode: sortReply}
		case 17, 18, 19, 20:
			args := []string{"ZADD", zKey()}
			for _, f := range []string{"NX", "XX", "GT", "LT", "CH"} {
				if r.IntN(8) == 0 {
					args = append(args, f)
				}
			}
			for i := 0; i < 1+r.IntN(5); i++ {
				args = append(args, score(), member())
			}
			return op{args: args}
		case 21:
			args := []string{"ZADD", zKey()}
			for i := 0; i < 100+r.IntN(80); i++ {
				args = append(args, strconv.Itoa(r.IntN(500)), "b"+strconv.Itoa(r.IntN(400)))
			}
			return op{args: args}
		case 22:
			return op{args: []string{"ZINCRBY", zKey(), score(), member()}}
		case 23:
			return op{args: append([]string{"ZREM", zKey()}, members(1+r.IntN(4))...)}
		case 24:
			return op{args: []string{"ZSCORE", anyKey(), member()}}
		case 25:
			return op{args: append([]string{"ZMSCORE", anyKey()}, members(3)...)}
		case 26:
			return op{args: []string{[]string{"ZRANK", "ZREVRANK"}[r.IntN(2)], zKey(), member()}}
		case 27:
			return op{args: []string{"ZCOUNT", zKey(), bound(), bound()}}
		case 28:
			args := []string{"ZRANGE", anyKey(), idx(), idx()}
			if r.IntN(3) == 0 {
				args = append(args, "REV")
			}
			if r.IntN(2) == 0 {
				args = append(args, "WITHSCORES")
			}
			return op{args: args}
		case 29:
			args := []string{"ZRANGE", zKey(), bound(), bound(), "BYSCORE"}
			if r.IntN(2) == 0 {
				args = append(args, "REV")
			}
			if r.IntN(2) == 0 {
				args = append(args, "LIMIT", strconv.Itoa(r.IntN(5)-1), strconv.Itoa(r.IntN(8)-1))
			}
			if r.IntN(2) == 0 {
				args = append(args, "WITHSCORES")
			}
			return op{args: args}
		case 30:
			if r.IntN(2) == 0 {
				args := []string{"ZADD", lKey()}
				for _, m := range members(1 + r.IntN(40)) {
					args = append(args, "0", m)
				}
				return op{args: args}
			}
			args := []string{[]string{"ZRANGEBYLEX", "ZREVRANGEBYLEX"}[r.IntN(2)], lKey(), lex(), lex()}
			if r.IntN(3) == 0 {
				args = append(args, "LIMIT", strconv.Itoa(r.IntN(5)-1), strconv.Itoa(r.IntN(8)-1))
			}
			return op{args: args}
		case 31:
			return op{args: []string{"ZLEXCOUNT", lKey(), lex(), lex()}}
		case 32:
			switch r.IntN(3) {
			case 0:
				return op{args: []string{"ZREMRANGEBYRANK", zKey(), idx(), idx()}}
			case 1:
				return op{args: []string{"ZREMRANGEBYSCORE", zKey(), bound(), bound()}}
			}
			return op{args: []string{"ZREMRANGEBYLEX", lKey(), lex(), lex()}}
		case 33:
			args := []string{[]string{"ZPOPMIN", "ZPOPMAX"}[r.IntN(2)], zKey()}
			if r.IntN(2) == 0 {
				args = append(args, strconv.Itoa(r.IntN(4)))
			}
			return op{args: args}
		case 34:
			return op{args: []string{"ZMPOP", "2", zKey(), zKey(), []string{"MIN", "MAX"}[r.IntN(2)], "COUNT", strconv.Itoa(1 + r.IntN(3))}}
		case 35:
			return op{args: []string{"ZRANDMEMBER", zKey(), strconv.Itoa(r.IntN(10) - 5), "WITHSCORES"}, mode: countReply}
		case 36, 37:
			cmd := []string{"ZUNION", "ZINTER", "ZDIFF"}[r.IntN(3)]
			args := []string{cmd, "3", zKey(), zKey(), anyKey()}
			if cmd != "ZDIFF" {
				if r.IntN(2) == 0 {
					args = append(args, "WEIGHTS", score(), "2", "-1")
				}
				if r.IntN(2) == 0 {
					args = append(args, "AGGREGATE", []string{"SUM", "MIN", "MAX"}[r.IntN(3)])
				}
			}
			return op{args: append(args, "WITHSCORES")}
		case 38:
			cmd := []string{"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"}[r.IntN(3)]
			return op{args: []string{cmd, anyKey(), "2", zKey(), zKey()}}
		case 39:
			return op{args: []string{"ZRANGESTORE", anyKey(), zKey(), idx(), idx()}}
		case 40:
			return op{args: []string{"ZINTERCARD", "2", zKey(), anyKey()}}
		case 41:
			return op{args: []string{"ZSCAN", zKey(), "0", "COUNT", "1000"}, mode: sortReply}
		case 42:
			return op{args: []string{"ZCARD", anyKey()}}
		}
		k := anyKey()
		if r.IntN(2) == 0 {
			return op{args: []string{"OBJECT", "ENCODING", k}}
		}
		return op{args: []string{"TYPE", k}}
	}
	conns[0][0].do([]string{"SET", "str", "x"})
	conns[0][1].do([]string{"SET", "str", "x"})
	const n = 5000
	failures := 0
	var recent []string // the ops before a failure, to reproduce it
	var trace *os.File
	if p := os.Getenv("FASTCACHE_MODEL_TRACE"); p != "" {
		trace, _ = os.Create(p)
		defer trace.Close()
	}
	for i := 0; i < n && failures < 10; i++ {
		o := gen()
		recent = append(recent, fmt.Sprintf("%d %.200q", i, o.args))
		if trace != nil {
			fmt.Fprintln(trace, recent[len(recent)-1])
		}
		if len(recent) > 40 {
			recent = recent[1:]
		}
		cs := conns[r.IntN(2)]
		if o.args[0] == "SPOP" {
			if err := modelSPop(cs, o.args); err != nil {
				t.Errorf("op %d %q: %v", i, o.args, err)
				failures++
			}
			continue
		}
		var replies [2]string
		for s, dc := range cs {
			rep, err := dc.do(o.args)
			if err != nil {
				t.Fatalf("op %d %q: %v", i, o.args, err)
			}
			switch o.mode {
			case sortReply:
				rep = modelSorted(rep)
			case countReply:
				rep = diffCount(rep)
			}
			replies[s] = rep
		}
		if replies[0] != replies[1] {
			t.Errorf("op %d %.300q: %s", i, o.args, diffFirst(replies[0], replies[1]))
			if failures == 0 {
				t.Logf("ops before it:\n%s", strings.Join(recent, "\n"))
			}
			failures++
		}
	}
	// the end states must agree
	for _, k := range []string{"s0", "s1", "s2", "s3"} {
		var got [2]string
		for s, dc := range conns[0] {
			rep, _ := dc.do([]string{"SMEMBERS", k})
			got[s] = modelSorted(rep)
		}
		if got[0] != got[1] {
			t.Errorf("final %s differs", k)
		}
	}
	for _, k := range []string{"z0", "z1", "z2", "z3", "l0", "l1"} {
		var got [2]string
		for s, dc := range conns[0] {
			got[s], _ = dc.do([]string{"ZRANGE", k, "0", "-1", "WITHSCORES"})
		}
		if got[0] != got[1] {
			t.Errorf("final %s differs", k)
		}
	}
}

// modelSPop runs SPOP on fastcache and removes the same members from Redis
// (SPOP picks at random): the reply's shape must be Redis's.
func modelSPop(cs [2]*diffConn, args []string) error {
	card, err := cs[0].do([]string{"SCARD", args[1]})
	if err != nil {
		return err
	}
	rep, err := cs[1].do(args)
	if err != nil {
		return err
	}
	if strings.HasPrefix(rep, "-") {
		want, _ := cs[0].do(args)
		if want != rep {
			return fmt.Errorf("redis %q, fastcache %q", want, rep)
		}
		return nil
	}
	v, _, err := parseResp(rep)
	if err != nil {
		return err
	}
	popped := v.strs()
	if v.kind == '$' {
		popped = []string{v.str}
	}
	if v.null {
		popped = nil
	}
	size, _ := strconv.Atoi(strings.TrimSpace(card[1:]))
	count, _ := strconv.Atoi(args[2])
	if want := min(count, size); len(popped) != want {
		return fmt.Errorf("popped %d members of %d, want %d (%q)", len(popped), size, want, rep)
	}
	if len(popped) == 0 {
		return nil
	}
	n, err := cs[0].do(append([]string{"SREM", args[1]}, popped...))
	if err != nil {
		return err
	}
	if n != fmt.Sprintf(":%d\r\n", len(popped)) {
		return fmt.Errorf("popped %q: Redis removed %q of them (not members, or repeated)", popped, n)
	}
	return nil
}

// modelSorted sorts the strings of a flat array reply, or of the element
// list of a SCAN reply.
func modelSorted(reply string) string {
	v, _, err := parseResp(reply)
	if err != nil || v.null || (v.kind != '*' && v.kind != '~') {
		return reply
	}
	if len(v.elems) == 2 && v.elems[1].kind == '*' && v.elems[0].kind == '$' {
		items := v.elems[1].strs()
		sort.Strings(items)
		return "scan " + v.elems[0].str + " " + strings.Join(items, ",")
	}
	s := v.strs()
	sort.Strings(s)
	return string(v.kind) + strings.Join(s, ",")
}
