package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// HyperLogLogs, differential: the same commands to redis-server and to
// fastcache, every reply compared byte for byte. A HyperLogLog is a string,
// so GET shows its representation: the steps GET the keys after each kind
// of change (sparse and dense, promotion, the cached cardinality), and
// values crafted by hand (corrupted, truncated, odd headers) must give
// Redis's errors and Redis's bytes.

// hllHeader is a HyperLogLog header: encoding (0 dense, 1 sparse) and the
// cached cardinality card (stale: bit 7 of its last byte set).
func hllHeader(enc byte, card uint64, stale bool) string {
	b := []byte{'H', 'Y', 'L', 'L', enc, 0, 0, 0}
	for i := 0; i < 8; i++ {
		b = append(b, byte(card>>(8*i)))
	}
	if stale {
		b[15] |= 0x80
	}
	return string(b)
}

// hllXZero is the sparse opcode for n zero registers (1..16384).
func hllXZero(n int) string { n--; return string([]byte{0x40 | byte(n>>8), byte(n)}) }

// hllDense is a dense value whose registers are reg(i).
func hllDense(card uint64, stale bool, reg func(i int) uint8) string {
	regs := make([]byte, 16384*6/8+1)
	for i := 0; i < 16384; i++ {
		v := uint(reg(i))
		b, fb := i*6/8, uint(i*6&7)
		regs[b] |= byte(v << fb)
		regs[b+1] |= byte(v >> (8 - fb))
	}
	return hllHeader(0, card, stale) + string(regs[:16384*6/8])
}

func hllElems(prefix string, from, to int) []string {
	out := make([]string, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, prefix+strconv.Itoa(i))
	}
	return out
}

func hllDiffScripts() []diffScript {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	pfadd := func(key string, elems ...string) diffStep { return c(append([]string{"PFADD", key}, elems...)...) }
	ttl := func(args ...string) diffStep { return c(args...).with(diffPositive) }
	sparse0 := hllHeader(1, 0, false)

	var growth []diffStep
	for b := 0; b < 40; b++ {
		growth = append(growth, pfadd("g", hllElems("e", b*100, b*100+100)...), c("GET", "g"), c("PFDEBUG", "ENCODING", "g"))
		if b%5 == 0 {
			growth = append(growth, c("PFCOUNT", "g"), c("GET", "g"))
		}
	}
	growth = append(growth, c("PFCOUNT", "g"), c("GET", "g"), c("STRLEN", "g"), c("OBJECT", "ENCODING", "g"))

	small := []diffStep{c("CONFIG", "SET", "hll-sparse-max-bytes", "60")}
	for b := 0; b < 12; b++ {
		small = append(small, pfadd("s", hllElems("x", b*3, b*3+3)...), c("GET", "s"), c("PFDEBUG", "ENCODING", "s"))
	}
	small = append(small,
		c("CONFIG", "SET", "hll-sparse-max-bytes", "0"),
		pfadd("z"), c("GET", "z"), pfadd("z", "a"), c("GET", "z"), c("PFDEBUG", "ENCODING", "z"),
		c("CONFIG", "SET", "hll-sparse-max-bytes", "-1"),
		c("CONFIG", "SET", "hll-sparse-max-bytes", "1kb"),
		c("CONFIG", "GET", "hll-sparse-max-bytes"),
		pfadd("k", hllElems("k", 0, 60)...), c("GET", "k"),
		c("CONFIG", "SET", "hll-sparse-max-bytes", "3000"),
		c("CONFIG", "GET", "hll-sparse-max-bytes"))

	var mergeGrow []diffStep
	for i := 0; i < 8; i++ {
		mergeGrow = append(mergeGrow, pfadd("m"+strconv.Itoa(i), hllElems("m"+strconv.Itoa(i)+"-", 0, 150)...))
	}
	mergeGrow = append(mergeGrow, c("PFMERGE", "md", "m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"),
		c("GET", "md"), c("PFDEBUG", "ENCODING", "md"), c("PFCOUNT", "md"), c("GET", "md"),
		c("PFMERGE", "md2", "m0", "m1"), c("GET", "md2"), c("PFMERGE", "md2", "m2", "m3", "m4", "m5", "m6", "m7"),
		c("GET", "md2"), c("PFCOUNT", "md2", "md"))

	dense63 := hllDense(0, true, func(int) uint8 { return 63 })
	denseMixed := hllDense(12345, false, func(i int) uint8 { return uint8(i % 64) })
	denseZero := hllDense(0, true, func(int) uint8 { return 0 })
	denseHigh := hllDense(0, true, func(i int) uint8 {
		if i%3 == 0 {
			return uint8(40 + i%24)
		}
		return uint8(i % 7)
	})

	return []diffScript{
		{"pfadd basics", []diffStep{
			pfadd("h"), c("GET", "h"), pfadd("h"), c("PFCOUNT", "h"), c("GET", "h"), c("PFCOUNT", "h"),
			pfadd("h", "a", "b", "c"), c("GET", "h"), pfadd("h", "a"), c("GET", "h"), c("PFCOUNT", "h"), c("GET", "h"),
			pfadd("h", ""), c("GET", "h"), pfadd("h", strings.Repeat("long", 100), "\x00\xff"), c("GET", "h"),
			c("TYPE", "h"), c("OBJECT", "ENCODING", "h"), c("STRLEN", "h"), c("PFDEBUG", "DECODE", "h"),
			pfadd("h2", "a", "a", "a"), c("GET", "h2"), c("PFCOUNT", "h2"),
			c("PFADD"), c("PFCOUNT"), c("PFMERGE"),
		}},
		{"pfcount", []diffStep{
			c("PFCOUNT", "nope"), c("PFCOUNT", "nope", "nope2"), c("EXISTS", "nope"),
			pfadd("a", hllElems("", 0, 100)...), pfadd("b", hllElems("", 50, 200)...),
			c("PFCOUNT", "a", "b"), c("PFCOUNT", "a", "b", "nope"), c("PFCOUNT", "a", "a"), c("GET", "a"),
			c("PFCOUNT", "a"), c("GET", "a"), c("PFCOUNT", "b"), c("PFCOUNT", "b", "a"),
			c("SET", "emb", sparse0+hllXZero(16384)), c("OBJECT", "ENCODING", "emb"), c("PFCOUNT", "emb"),
			c("OBJECT", "ENCODING", "emb"), c("GET", "emb"),
			c("SET", "emb2", hllHeader(1, 7, false)+hllXZero(16384)), c("PFCOUNT", "emb2"), c("PFCOUNT", "emb2", "a"),
		}},
		{"growth to dense", growth},
		{"hll-sparse-max-bytes", small},
		// "rzz46g" hashes to register 3251 with a run of 35 (> 32, more than
		// a sparse VAL holds): the value becomes dense at once.
		{"register over 32", []diffStep{
			pfadd("r", "a", "b"), pfadd("r", "rzz46g"), c("PFDEBUG", "ENCODING", "r"), c("GET", "r"), c("PFCOUNT", "r"),
			pfadd("r2", "rzz46g", "c"), c("GET", "r2"), pfadd("r3", "x"), c("PFMERGE", "r3", "r2"), c("GET", "r3"),
			c("PFDEBUG", "ENCODING", "r3"),
		}},
		{"pfmerge", []diffStep{
			c("PFMERGE", "d"), c("GET", "d"), c("EXISTS", "d"),
			c("PFMERGE", "d2", "nope1", "nope2"), c("GET", "d2"),
			pfadd("s1", hllElems("a", 0, 30)...), pfadd("s2", hllElems("a", 20, 60)...),
			c("PFMERGE", "d", "s1", "s2"), c("GET", "d"), c("PFCOUNT", "d"), c("GET", "d"),
			c("PFMERGE", "d", "d"), c("GET", "d"), c("PFMERGE", "s1", "s1"), c("GET", "s1"),
			pfadd("big", hllElems("b", 0, 3000)...), c("PFDEBUG", "ENCODING", "big"),
			c("PFMERGE", "d", "big"), c("GET", "d"), c("PFDEBUG", "ENCODING", "d"), c("PFCOUNT", "d"),
			c("PFMERGE", "d3", "s1", "big", "nope"), c("GET", "d3"), c("PFCOUNT", "d3", "d", "s2"),
			c("PFMERGE", "big", "s1"), c("GET", "big"),
			c("PEXPIRE", "d", "100000"), c("PFMERGE", "d", "s2"), ttl("PTTL", "d"),
			c("PEXPIRE", "s1", "100000"), c("PFMERGE", "s1", "s2"), ttl("PTTL", "s1"), c("GET", "s1"),
		}},
		{"pfmerge promotes", mergeGrow},
		{"wrong type", []diffStep{
			c("LPUSH", "l", "x"), pfadd("l", "a"), pfadd("l"), c("PFCOUNT", "l"), c("PFCOUNT", "nope", "l"),
			c("PFMERGE", "l"), c("PFMERGE", "d", "l"), pfadd("h", "a"), c("PFMERGE", "l", "h"), c("PFMERGE", "h", "l"),
			c("GET", "h"), c("EXISTS", "d"), c("PFDEBUG", "ENCODING", "l"), c("PFDEBUG", "GETREG", "l"),
			c("HSET", "hs", "f", "v"), c("PFCOUNT", "h", "hs"),
		}},
		{"not a hyperloglog", []diffStep{
			c("SET", "s", "foo"), pfadd("s", "a"), pfadd("s"), c("PFCOUNT", "s"), c("PFMERGE", "s"), c("PFMERGE", "d", "s"),
			c("EXISTS", "d"), c("PFDEBUG", "ENCODING", "s"),
			c("SET", "s", "12345678901234567"), c("PFCOUNT", "s"),
			c("SET", "s", "HYLL"), c("PFCOUNT", "s"),
			c("SET", "s", "HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), c("PFCOUNT", "s"), pfadd("s", "x"),
			c("SET", "s", "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00xyz"), c("PFCOUNT", "s"), pfadd("s", "x"),
			c("SET", "s", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), c("PFCOUNT", "s"),
			c("SET", "s", "hyll\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"+hllXZero(16384)), c("PFCOUNT", "s"),
			c("SET", "s", sparse0), c("PFCOUNT", "s"), pfadd("s", "x"), c("GET", "s"), c("PFDEBUG", "DECODE", "s"),
			c("PFDEBUG", "ENCODING", "s"), c("PFDEBUG", "GETREG", "s"), c("PFDEBUG", "TODENSE", "s"), c("PFMERGE", "d", "s"),
			c("SET", "s", hllDense(0, false, func(int) uint8 { return 1 })+"x"), c("PFCOUNT", "s"),
			c("APPEND", "big", "x"), pfadd("big", "a"),
		}},
		{"corrupted sparse", []diffStep{
			// runs that cover only 100 registers: elements of other registers fail
			c("SET", "c", sparse0+hllXZero(100)), c("PFCOUNT", "c"), c("PFCOUNT", "c", "c"),
			pfadd("c", hllElems("", 0, 20)...), c("GET", "c"), c("PFDEBUG", "DECODE", "c"),
			c("PFDEBUG", "GETREG", "c"), c("PFDEBUG", "TODENSE", "c"), c("PFMERGE", "d", "c"), c("EXISTS", "d"),
			// runs that cover too many registers: the split works, the count does not
			c("SET", "c2", sparse0+hllXZero(16384)+hllXZero(100)), c("PFCOUNT", "c2"),
			pfadd("c2", "a", "b", "c"), c("GET", "c2"), c("PFCOUNT", "c2"), c("PFDEBUG", "DECODE", "c2"),
			// a truncated XZERO at the end (reads Redis's terminator)
			c("SET", "c3", sparse0+hllXZero(255)+"\x7f"), c("PFCOUNT", "c3"), c("PFDEBUG", "DECODE", "c3"),
			pfadd("c3", hllElems("t", 0, 30)...), c("GET", "c3"), c("PFCOUNT", "c3"),
			c("SET", "c3b", sparse0+hllXZero(16383)+"\x40"), c("PFCOUNT", "c3b"), pfadd("c3b", "q", "r"), c("GET", "c3b"),
			// VAL runs past the registers
			c("SET", "c4", sparse0+hllXZero(16383)+"\x83"), c("PFCOUNT", "c4"), c("PFCOUNT", "c4", "c4"),
			pfadd("c4", hllElems("v", 0, 40)...), c("GET", "c4"), c("PFMERGE", "c4b", "c4"),
			// a valid cached cardinality is returned without looking at the runs
			c("SET", "c5", hllHeader(1, 42, false)+hllXZero(5)), c("PFCOUNT", "c5"), c("GET", "c5"),
			c("PFCOUNT", "c5", "c5"),
			// XZERO of one register, ZERO runs, VAL runs: odd but valid
			c("SET", "c6", sparse0+hllXZero(1)+"\x3f"+"\x8b\x8b\x8b"+hllXZero(16384-1-64-12)),
			c("PFCOUNT", "c6"), c("PFDEBUG", "DECODE", "c6"), pfadd("c6", hllElems("w", 0, 50)...), c("GET", "c6"),
			c("PFDEBUG", "DECODE", "c6"), c("PFCOUNT", "c6"),
			c("SET", "c7", sparse0+strings.Repeat("\x3f", 256)), c("PFCOUNT", "c7"), pfadd("c7", hllElems("y", 0, 40)...),
			c("GET", "c7"), c("PFCOUNT", "c7"), c("PFDEBUG", "TODENSE", "c7"), c("GET", "c7"),
			// a sparse value with bytes in the unused header field keeps them
			c("SET", "c8", "HYLL\x01abc"+"\x00\x00\x00\x00\x00\x00\x00\x00"+hllXZero(16384)),
			pfadd("c8", "a"), c("GET", "c8"), c("PFDEBUG", "TODENSE", "c8"), c("GETRANGE", "c8", "0", "20"),
		}},
		{"crafted dense", []diffStep{
			c("SET", "d0", denseZero), c("PFCOUNT", "d0"), c("GETRANGE", "d0", "0", "15"),
			c("SET", "d63", dense63), c("PFCOUNT", "d63"), c("PFCOUNT", "d63", "d0"), pfadd("d63", "a"),
			c("SET", "d50", hllDense(0, true, func(int) uint8 { return 50 })), c("PFCOUNT", "d50"), c("PFCOUNT", "d50", "d50"),
			c("SET", "d45", hllDense(0, true, func(int) uint8 { return 45 })), c("PFCOUNT", "d45"), c("PFCOUNT", "d45", "d0"),
			c("SET", "dm", denseMixed), c("PFCOUNT", "dm"), c("PFDEBUG", "ENCODING", "dm"),
			c("SET", "dm", denseMixed[:15]+"\x80"+denseMixed[16:]), c("PFCOUNT", "dm"), c("GETRANGE", "dm", "0", "15"),
			c("PFCOUNT", "dm", "d0"),
			c("SET", "dh", denseHigh), c("PFCOUNT", "dh"), pfadd("dh", hllElems("", 0, 100)...), c("PFCOUNT", "dh"),
			c("GET", "dh"), c("PFMERGE", "sp", "dh"), c("GET", "sp"), c("PFCOUNT", "sp", "dm", "d63"),
			pfadd("spx", "a", "b"), c("PFMERGE", "spx", "dm"), c("GET", "spx"), c("PFDEBUG", "GETREG", "dh"),
		}},
		{"pfdebug", []diffStep{
			pfadd("p", "a", "b", "c"), c("PFDEBUG", "ENCODING", "p"), c("PFDEBUG", "decode", "p"),
			c("PFDEBUG", "GETREG", "p"), c("PFDEBUG", "ENCODING", "p"), c("GET", "p"), c("PFDEBUG", "DECODE", "p"),
			c("PFDEBUG", "TODENSE", "p"), pfadd("q", "x"), c("PFDEBUG", "TODENSE", "q"), c("GET", "q"), c("PFCOUNT", "q"),
			c("PFDEBUG", "foo", "p"), c("PFDEBUG", "foo", "nope"), c("PFDEBUG", "GETREG", "p", "x"),
			c("PFDEBUG", "GETREG", "nope"), c("PFDEBUG", "GETREG"), c("PFDEBUG", "Encoding", "q"),
			c("SET", "e", "x"), c("PFDEBUG", "bar", "e"),
		}},
		{"pfselftest arity", []diffStep{c("PFSELFTEST", "x")}}, // PFSELFTEST itself: TestPFSelfTest
		{"ttl and transactions", []diffStep{
			pfadd("t", "a"), c("PEXPIRE", "t", "100000"), pfadd("t", "b", "c", "d"), ttl("PTTL", "t"),
			c("PFCOUNT", "t"), ttl("PTTL", "t"),
			c("MULTI"), pfadd("t", "x"), c("PFCOUNT", "t"), c("PFMERGE", "t2", "t"), c("GET", "t"), c("EXEC"),
			c("GET", "t2"), c("EVAL", "redis.call('PFADD', KEYS[1], 'z'); return redis.call('PFCOUNT', KEYS[1])", "1", "t"),
			c("GET", "t"),
		}},
	}
}

func TestRedisDiffHyperLogLog(t *testing.T) { runDiffScriptsResp23(t, hllDiffScripts()) }

// TestRedisModelHyperLogLog sends thousands of random HyperLogLog commands
// to redis-server and to fastcache and compares every reply byte for byte,
// GETs of the values included: PFADD batches that grow keys from sparse to
// dense, PFCOUNT of one and several keys, PFMERGE, hll-sparse-max-bytes
// changed on the way, values copied from Redis with SET, bytes overwritten
// (corrupted values), expiry, deletion.
func TestRedisModelHyperLogLog(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	conns := [2]*diffConn{diffDial(t, redisAddr), diffDial(t, fc.addr)}
	for _, dc := range conns {
		dc.do([]string{"FLUSHALL"})
	}
	t.Cleanup(func() {
		for _, dc := range conns {
			dc.do([]string{"CONFIG", "SET", "hll-sparse-max-bytes", "3000"})
		}
	})
	seed := uint64(2025)
	if v, err := strconv.ParseUint(os.Getenv("FASTCACHE_MODEL_SEED"), 10, 64); err == nil {
		seed = v
	}
	ops := 6000
	if v, err := strconv.Atoi(os.Getenv("FASTCACHE_MODEL_OPS")); err == nil {
		ops = v
	}
	r := rand.New(rand.NewPCG(seed, 23))
	key := func() string { return "h" + strconv.Itoa(r.IntN(6)) }
	next := 0
	elems := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			if r.IntN(4) == 0 {
				out[i] = "e" + strconv.Itoa(r.IntN(next+1)) // seen before, mostly
			} else {
				next++
				out[i] = "e" + strconv.Itoa(next)
			}
		}
		return out
	}
	do := func(i int, args []string) [2]string {
		var rep [2]string
		for s, dc := range conns {
			var err error
			if rep[s], err = dc.do(args); err != nil {
				t.Fatalf("op %d %.80q: %s: %v", i, args, [2]string{"redis", "fastcache"}[s], err)
			}
		}
		return rep
	}
	bad, errs, dense, sparse := 0, 0, 0, 0
	for i := 0; i < ops && bad < 5; i++ {
		var args []string
		switch n := r.IntN(100); {
		case n < 20:
			args = append([]string{"PFADD", key()}, elems(r.IntN(40))...)
		case n < 40:
			args = append([]string{"PFADD", key()}, elems(r.IntN(5))...)
		case n < 55:
			args = []string{"PFCOUNT", key()}
		case n < 62:
			args = []string{"PFCOUNT", key(), key(), key()}
		case n < 68:
			args = []string{"PFMERGE", key(), key(), key()}
		case n < 82:
			args = []string{"GET", key()}
		case n < 85:
			args = []string{"PFDEBUG", "ENCODING", key()}
		case n < 87:
			args = []string{"DEL", key()}
		case n < 88:
			args = []string{"PEXPIRE", key(), "100000"}
		case n < 89:
			args = []string{"DEL", "h" + strconv.Itoa(4+r.IntN(2))}
		case n < 90:
			args = []string{"CONFIG", "SET", "hll-sparse-max-bytes", strconv.Itoa(100 + r.IntN(5000))}
		case n < 95:
			// a value copied from Redis with SET
			k := "h" + strconv.Itoa(r.IntN(4))
			v, err := conns[0].do([]string{"GET", k})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(v, "$") || strings.HasPrefix(v, "$-1") {
				continue
			}
			body := v[strings.Index(v, "\r\n")+2 : len(v)-2]
			args = []string{"SET", key(), body}
		case n < 97:
			// overwrite a byte of a value: corrupted sparse runs, a header
			// that is no longer valid, a stale or valid cache
			// (h4 and h5 only: the others stay valid)
			off := 8 + r.IntN(32)
			if r.IntN(10) == 0 {
				off = r.IntN(8) // the header
			}
			args = []string{"SETRANGE", "h" + strconv.Itoa(4+r.IntN(2)), strconv.Itoa(off), string(rune('\x00' + r.IntN(128)))}
		case n < 98:
			args = []string{"PFDEBUG", "DECODE", key()}
		default:
			args = []string{"PFDEBUG", "TODENSE", key()}
		}
		rep := do(i, args)
		switch {
		case strings.HasPrefix(rep[0], "-"):
			errs++
			if os.Getenv("HLLDBG") != "" {
				t.Logf("%s %q", args[0], rep[0])
			}
		case strings.HasPrefix(rep[0], "$12304\r\n"):
			dense++
		case strings.HasPrefix(rep[0], "$") && args[0] == "GET":
			sparse++
		}
		if rep[0] != rep[1] {
			bad++
			t.Errorf("op %d %.120q:\n  redis:     %s\n  fastcache: %s", i, args, hllDiffSummary(rep[0], rep[1]), hllDiffSummary(rep[1], rep[0]))
		}
	}
	t.Logf("%d ops: %d errors, GET of %d dense and %d other values", ops, errs, dense, sparse)
	// the final state, key by key
	for k := 0; k < 6; k++ {
		args := []string{"GET", "h" + strconv.Itoa(k)}
		if rep := do(ops, args); rep[0] != rep[1] {
			t.Errorf("final %q:\n  redis:     %s\n  fastcache: %s", args, hllDiffSummary(rep[0], rep[1]), hllDiffSummary(rep[1], rep[0]))
		}
	}
}

// hllDiffSummary shows a reply, or for a long one its length and the bytes
// around the first difference with other.
func hllDiffSummary(a, b string) string {
	if len(a) < 200 {
		return fmt.Sprintf("%q", a)
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo, hi := max(0, i-16), min(len(a), i+16)
	return fmt.Sprintf("%d bytes, first difference at %d: %q", len(a), i, a[lo:hi])
}

// TestHyperLogLogWatchRedisDiff: what a WATCHed HyperLogLog's transaction
// sees when another client changes it (PFCOUNT storing the cardinality
// counts as a change; a PFADD that changes nothing does not).
func TestHyperLogLogWatchRedisDiff(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	on2 := func(args ...string) diffStep { return diffStep{on: 1, args: args} }
	runDiffScripts(t, []diffScript{{"watch", []diffStep{
		c("PFADD", "w", "a"), c("WATCH", "w"), on2("PFCOUNT", "w"), c("MULTI"), c("PING"), c("EXEC"),
		c("WATCH", "w"), on2("PFCOUNT", "w"), c("MULTI"), c("PING"), c("EXEC"),
		c("WATCH", "w"), on2("PFADD", "w", "a"), c("MULTI"), c("PING"), c("EXEC"),
		c("WATCH", "w"), on2("PFADD", "w", "b"), c("MULTI"), c("PING"), c("EXEC"),
		c("WATCH", "w"), on2("PFCOUNT", "w", "x"), c("MULTI"), c("PING"), c("EXEC"),
		c("WATCH", "m"), on2("PFMERGE", "m"), c("MULTI"), c("PING"), c("EXEC"),
		c("WATCH", "m"), on2("PFMERGE", "m"), c("MULTI"), c("PING"), c("EXEC"),
	}}})
}

// TestHyperLogLogEventsRedisDiff: the keyspace events of the HyperLogLog
// commands (PFADD and PFMERGE publish "pfadd"; PFCOUNT none, even when it
// stores the cardinality; misses of PFCOUNT and PFMERGE's keys).
func TestHyperLogLogEventsRedisDiff(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	c := func(args ...string) ksStep { return ksStep{args: args} }
	steps := []ksStep{
		c("PFADD", "h", "a", "b"), c("PFADD", "h", "a"), c("PFADD", "h"), c("PFADD", "h", "c"),
		c("PFCOUNT", "h"), c("PFCOUNT", "h"), c("PFCOUNT", "nope"), c("PFCOUNT", "h", "nope"),
		c("PFMERGE", "d", "h", "nope"), c("PFMERGE", "d", "h"), c("PFMERGE", "d"),
		c("SET", "s", "x"), c("PFADD", "s", "a"), c("PFMERGE", "s", "h"), c("PFCOUNT", "s"),
		c("PFDEBUG", "TODENSE", "h"), c("PFDEBUG", "GETREG", "d"), c("PFADD", "h", "zz"),
		c("PFADD", "new"), c("DEL", "h"),
	}
	for _, flags := range []string{"KEA", "KEAnm", "E$"} {
		t.Run(flags, func(t *testing.T) { runKeyspaceDiff(t, fc.addr, redisAddr, flags, steps) })
	}
}

// TestHyperLogLogTrackingRedisDiff: CLIENT TRACKING invalidations of
// HyperLogLogs, against redis-server: PFCOUNT is a read (its keys are
// tracked) and storing the cardinality it computed invalidates the key for
// other readers, and for its own client after the reply.
func TestHyperLogLogTrackingRedisDiff(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	c := func(on int, args ...string) psStep { return psStep{on: on, args: args} }
	cn := func(on, n int, args ...string) psStep { return psStep{on: on, args: args, n: n} }
	read := func(on, n int) psStep { return psStep{on: on, n: n} }
	steps := []psStep{
		c(1, "FLUSHALL"),
		c(0, "HELLO", "3").norm1(diffHello),
		c(0, "CLIENT", "TRACKING", "ON"),
		c(0, "PFCOUNT", "h"),
		c(1, "PFADD", "h", "a"),
		read(0, 1),
		c(0, "PFCOUNT", "h"), // stores the cardinality: h was not tracked, now is
		c(1, "PFCOUNT", "h"), // the cache is valid: no change
		c(0, "PING"),
		c(1, "PFADD", "h", "b"),
		read(0, 1),
		c(0, "GET", "h"),
		c(1, "PFCOUNT", "h"), // stores the cardinality: invalidates h
		read(0, 1),
		c(0, "GET", "h"),
		c(1, "PFADD", "h", "c"),
		read(0, 1),
		c(0, "GET", "h"),
		cn(0, 2, "PFCOUNT", "h"), // its own change: the reply, then the invalidation
		c(0, "PFCOUNT", "h", "x"),
		c(1, "PFMERGE", "x", "h"),
		read(0, 1),
		c(0, "PFCOUNT", "h"),
		c(1, "PFADD", "h", "a"), // no change
		c(0, "PING"),
	}
	runPubSubDiff(t, fc.addr, redisAddr, 2, steps)
}

// TestPFSelfTest: PFSELFTEST runs the representation's self test.
func TestPFSelfTest(t *testing.T) {
	if testGoroutines {
		t.Skip("tests the command, not the network layer: once is enough")
	}
	fc := startServer(t)
	// 10 million elements (2 s in Redis): longer under -race
	rdb := redis.NewClient(&redis.Options{Addr: fc.addr, ReadTimeout: 2 * time.Minute, MaxRetries: -1})
	defer rdb.Close()
	if err := rdb.Do(context.Background(), "PFSELFTEST").Err(); err != nil {
		t.Fatal(err)
	}
}
