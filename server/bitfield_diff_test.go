package server

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

// BITFIELD and BITFIELD_RO against redis-server, byte for byte, in RESP2
// and RESP3: every width at its edges, plain, unaligned, #N, negative and
// huge offsets, each OVERFLOW rule at both ends, several ops in one call,
// GETs past the end, the order of errors, and what the key looks like
// afterwards (GET, STRLEN, OBJECT ENCODING, TTL, EXISTS).

// bitfieldWidthSteps: for a width, its maximum and minimum set and read
// back at several offsets, and INCRBY across each end under each rule.
func bitfieldWidthSteps(c func(args ...string) diffStep, typ string) []diffStep {
	signed := typ[0] == 'i'
	bits, _ := strconv.Atoi(typ[1:])
	var maxv, minv string
	switch {
	case signed && bits == 64:
		maxv, minv = "9223372036854775807", "-9223372036854775808"
	case signed:
		maxv, minv = strconv.FormatInt(1<<(bits-1)-1, 10), strconv.FormatInt(-1<<(bits-1), 10)
	default:
		maxv, minv = strconv.FormatUint(1<<bits-1, 10), "0"
	}
	k := "w" + typ
	var out []diffStep
	for _, off := range []string{"0", "1", "7", "13", "#1", "#3"} {
		out = append(out,
			c("BITFIELD", k, "SET", typ, off, maxv, "GET", typ, off, "INCRBY", typ, off, "1", "GET", typ, off),
			c("BITFIELD", k, "SET", typ, off, minv, "INCRBY", typ, off, "-1", "INCRBY", typ, off, "1"),
			c("BITFIELD", k, "OVERFLOW", "SAT", "SET", typ, off, maxv, "INCRBY", typ, off, "1", "INCRBY", typ, off, "-9223372036854775808",
				"INCRBY", typ, off, "9223372036854775807", "INCRBY", typ, off, "-1"),
			c("BITFIELD", k, "OVERFLOW", "FAIL", "SET", typ, off, minv, "INCRBY", typ, off, "-1", "INCRBY", typ, off, "1",
				"SET", typ, off, maxv, "INCRBY", typ, off, "1", "GET", typ, off),
			c("BITFIELD", k, "OVERFLOW", "WRAP", "INCRBY", typ, off, "9223372036854775807", "INCRBY", typ, off, "-9223372036854775808"),
			c("GET", k),
		)
	}
	// values outside the range, under each rule
	for _, v := range []string{"-1", "-2", "9223372036854775807", "-9223372036854775808", "-9223372036854775681", "256", "-129"} {
		out = append(out,
			c("BITFIELD", k, "SET", typ, "3", v, "OVERFLOW", "SAT", "SET", typ, "3", v, "GET", typ, "3",
				"OVERFLOW", "FAIL", "SET", typ, "3", v, "GET", typ, "3"),
		)
	}
	return append(out, c("STRLEN", k), c("GET", k))
}

func bitfieldScripts() []diffScript {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	var widths []diffStep
	for _, typ := range []string{"i1", "u1", "i2", "u2", "i7", "u7", "i8", "u8", "i9", "u15", "i16", "u31", "i32", "u32", "i33", "i62", "u62", "i63", "u63", "i64"} {
		widths = append(widths, bitfieldWidthSteps(c, typ)...)
	}
	return []diffScript{
		{"bitfield widths", widths},
		{"bitfield basics", []diffStep{
			c("BITFIELD", "k", "SET", "i8", "0", "100", "INCRBY", "i8", "0", "100", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "100",
				"OVERFLOW", "FAIL", "INCRBY", "i8", "0", "100", "GET", "i8", "0"),
			c("GET", "k"),
			c("BITFIELD", "k", "GET", "u4", "0", "GET", "u4", "4", "GET", "i4", "0", "GET", "u8", "4", "GET", "u16", "4"),
			c("BITFIELD", "k", "get", "u8", "0", "Set", "u8", "0", "255", "incrBY", "u8", "0", "1", "oVeRfLoW", "sAt", "INCRBY", "u8", "0", "-1"),
			c("OBJECT", "ENCODING", "k"),
			c("SET", "n", "12345"),
			c("OBJECT", "ENCODING", "n"),
			c("BITFIELD", "n", "GET", "u8", "0", "GET", "u16", "#1"),
			c("OBJECT", "ENCODING", "n"),
			c("BITFIELD", "n", "OVERFLOW", "FAIL", "SET", "u1", "0", "2"), // nothing written, still a write
			c("OBJECT", "ENCODING", "n"),
			c("GET", "n"),
			c("SET", "e", "hello"),
			c("OBJECT", "ENCODING", "e"),
			c("BITFIELD", "e", "SET", "u8", "0", "72"),
			c("OBJECT", "ENCODING", "e"),
			c("GET", "e"),
			// several ops in one call, overlapping and far apart
			c("BITFIELD", "m", "SET", "u8", "#0", "1", "SET", "u8", "#1", "2", "SET", "u16", "4", "65535", "INCRBY", "u8", "#100", "5",
				"GET", "u32", "0", "SET", "i64", "#2", "-2", "GET", "i64", "130", "INCRBY", "u3", "805", "9", "GET", "u63", "797"),
			c("GET", "m"),
			c("STRLEN", "m"),
			c("BITFIELD", "m", "SET", "u8", "#0", "9", "GET", "u8", "#0", "SET", "u8", "#0", "10", "GET", "u8", "#0"),
			// the same bits written twice in one call: the later op sees the earlier
			c("BITFIELD", "m", "SET", "u16", "3", "4660", "INCRBY", "u8", "7", "1", "GET", "u16", "3", "SET", "i5", "6", "-3", "GET", "u16", "3"),
			c("GET", "m"),
			// TTL kept, the type is still a string
			c("SET", "t", "abc", "EX", "1000"),
			c("BITFIELD", "t", "SET", "u8", "#5", "65"),
			c("TTL", "t"),
			c("GET", "t"),
			c("TYPE", "t"),
			c("BITFIELD_RO", "t", "GET", "u8", "#5", "GET", "i8", "0", "get", "u63", "1"),
			c("SETBIT", "t", "7", "0"),
			c("BITFIELD", "t", "GET", "u8", "0"),
			c("BITCOUNT", "t"),
		}},
		{"bitfield keys", []diffStep{
			c("BITFIELD", "k"),
			c("EXISTS", "k"),
			c("BITFIELD", "k", "OVERFLOW", "FAIL"),
			c("BITFIELD", "k", "OVERFLOW", "FAIL", "OVERFLOW", "SAT"),
			c("EXISTS", "k"),
			c("BITFIELD", "k", "GET", "u8", "100", "GET", "i64", "#7"),
			c("BITFIELD_RO", "k", "GET", "u8", "100"),
			c("BITFIELD_RO", "k"),
			c("EXISTS", "k"),
			// a write that FAIL refuses still creates the key, zero-filled
			c("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u2", "20", "4", "INCRBY", "i8", "0", "200"),
			c("EXISTS", "k"),
			c("GET", "k"),
			c("STRLEN", "k"),
			// and grows it
			c("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "#40", "300"),
			c("STRLEN", "k"),
			c("GET", "k"),
			// GET past the end, straddling it, far past it
			c("SET", "s", "\xff\xfe"),
			c("BITFIELD", "s", "GET", "u16", "8", "GET", "i16", "8", "GET", "u8", "16", "GET", "i64", "4", "GET", "u63", "1", "GET", "u8", "4294967280"),
			c("BITFIELD", "s", "GET", "u8", "100", "SET", "u4", "12", "3", "GET", "u8", "100", "GET", "u16", "8"),
			c("STRLEN", "s"),
			c("BITFIELD", "s", "SET", "u1", "39", "1"),
			c("GET", "s"),
			c("DEL", "s"),
			c("BITFIELD", "s", "INCRBY", "u8", "#3", "7", "GET", "u64x", "0"),
			c("EXISTS", "s"),
		}},
		{"bitfield offsets", []diffStep{
			c("BITFIELD", "o", "GET", "u8", "-1"),
			c("BITFIELD", "o", "GET", "u8", "#-1"),
			c("BITFIELD", "o", "GET", "u8", "#0"),
			c("BITFIELD", "o", "GET", "u8", "#"),
			c("BITFIELD", "o", "GET", "u8", "##1"),
			c("BITFIELD", "o", "GET", "u8", "#+1"),
			c("BITFIELD", "o", "GET", "u8", "+1"),
			c("BITFIELD", "o", "GET", "u8", "01"),
			c("BITFIELD", "o", "GET", "u8", " 1"),
			c("BITFIELD", "o", "GET", "u8", "1.0"),
			c("BITFIELD", "o", "GET", "u8", "1 "),
			c("BITFIELD", "o", "GET", "u8", ""),
			c("BITFIELD", "o", "GET", "u8", "-0"),
			c("BITFIELD", "o", "GET", "u8", "4294967295"),
			c("BITFIELD", "o", "GET", "u8", "4294967296"),
			c("BITFIELD", "o", "GET", "u8", "#536870911"),
			c("BITFIELD", "o", "GET", "u8", "#536870912"),
			c("BITFIELD", "o", "GET", "i64", "#67108863"),
			c("BITFIELD", "o", "GET", "i64", "#67108864"),
			c("BITFIELD", "o", "GET", "i64", "4294967295"),
			c("BITFIELD", "o", "GET", "u1", "#4294967295"),
			c("BITFIELD", "o", "GET", "u1", "#4294967296"),
			c("BITFIELD", "o", "GET", "i64", "9223372036854775807"),
			c("BITFIELD", "o", "GET", "i64", "-9223372036854775808"),
			c("BITFIELD", "o", "GET", "i64", "9223372036854775808"),
			c("BITFIELD", "o", "GET", "i64", "#9223372036854775807"),
			c("BITFIELD", "o", "GET", "i64", "#-9223372036854775808"),
			c("BITFIELD", "o", "GET", "i64", "#144115188075855872"), // 2^57 x 64 = 2^63: negative
			c("BITFIELD", "o", "GET", "i64", "#288230376151711744"), // 2^58 x 64 wraps to 0, as in Redis
			c("BITFIELD", "o", "GET", "i64", "#288230376151711745"), // wraps to 64
			c("BITFIELD", "o", "SET", "i64", "#288230376151711745", "7", "GET", "i64", "64"),
			c("GET", "o"),
			c("BITFIELD", "o", "SET", "u8", "#1048576", "1"), // a write 1 MB out
			c("STRLEN", "o"),
			c("BITFIELD_RO", "o", "GET", "u8", "#1048576", "GET", "u8", "#1048575"),
			c("BITFIELD", "o", "SET", "u8", "4294967296", "1"),
			c("BITFIELD", "o", "SET", "u8", "-8", "1"),
			c("STRLEN", "o"),
		}},
		{"bitfield errors", []diffStep{
			c("BITFIELD"),
			c("BITFIELD_RO"),
			c("BITFIELD", "x", "GET"),
			c("BITFIELD", "x", "GET", "u8"),
			c("BITFIELD", "x", "SET", "u8", "0"),
			c("BITFIELD", "x", "INCRBY", "u8", "0"),
			c("BITFIELD", "x", "OVERFLOW"),
			c("BITFIELD", "x", "BOGUS", "u8", "0"),
			c("BITFIELD", "x", "GET", "u8", "0", "GET"),
			c("BITFIELD", "x", "OVERFLOW", "WRAPX", "SET", "u8", "0", "1"),
			c("BITFIELD", "x", "OVERFLOW", "", "GET", "u8", "0"),
			c("BITFIELD", "x", "OVERFLOW", "FAIL", "SET", "u8", "0", "1", "OVERFLOW", "nope"),
			c("EXISTS", "x"),
			c("BITFIELD", "x", "SET", "u8", "0", "1", "GET", "u64", "0"),
			c("EXISTS", "x"),
			c("BITFIELD", "x", "SET", "u8", "0", "x"),
			c("BITFIELD", "x", "SET", "u8", "0", "1.5"),
			c("BITFIELD", "x", "SET", "u8", "0", "9223372036854775808"),
			c("BITFIELD", "x", "INCRBY", "u8", "0", ""),
			c("BITFIELD", "x", "INCRBY", "u8", "-1", "x"),         // the offset is checked first
			c("BITFIELD", "x", "INCRBY", "u99", "-1", "x"),        // then the type before it
			c("BITFIELD", "x", "INCRBY", "u8", "0", "1", "bogus"), // a syntax error after a valid op
			c("EXISTS", "x"),
			c("BITFIELD", "x", "GET", "I8", "0"),
			c("BITFIELD", "x", "GET", "U8", "0"),
			c("BITFIELD", "x", "GET", "i0", "0"),
			c("BITFIELD", "x", "GET", "u0", "0"),
			c("BITFIELD", "x", "GET", "i65", "0"),
			c("BITFIELD", "x", "GET", "u64", "0"),
			c("BITFIELD", "x", "GET", "i-1", "0"),
			c("BITFIELD", "x", "GET", "i+8", "0"),
			c("BITFIELD", "x", "GET", "i08", "0"),
			c("BITFIELD", "x", "GET", "i", "0"),
			c("BITFIELD", "x", "GET", "", "0"),
			c("BITFIELD", "x", "GET", "8", "0"),
			c("BITFIELD", "x", "GET", "i8 ", "0"),
			c("BITFIELD", "x", "GET", "i18446744073709551624", "0"),
			c("BITFIELD_RO", "x", "SET", "u8", "0", "1"),
			c("BITFIELD_RO", "x", "GET", "u8", "0", "INCRBY", "u8", "0", "1"),
			c("BITFIELD_RO", "x", "OVERFLOW", "SAT", "GET", "u8", "0"),
			c("BITFIELD_RO", "x", "OVERFLOW", "bad", "GET", "u8", "0"),
			c("BITFIELD_RO", "x", "SET", "u8", "0", "1", "GET", "u99", "0"), // parse errors before the refusal
			c("EXISTS", "x"),
			c("RPUSH", "l", "a"),
			c("BITFIELD", "l", "GET", "u8", "0"),
			c("BITFIELD", "l", "SET", "u8", "0", "1"),
			c("BITFIELD", "l"),
			c("BITFIELD", "l", "GET", "u99", "0"),        // argument errors before WRONGTYPE
			c("BITFIELD_RO", "l", "SET", "u8", "0", "1"), // the refusal before WRONGTYPE
			c("BITFIELD_RO", "l", "GET", "u8", "0"),
			c("LRANGE", "l", "0", "-1"),
		}},
		{"bitfield maxmemory", []diffStep{
			c("BITFIELD", "mm", "SET", "u8", "0", "1"),
			c("CONFIG", "SET", "maxmemory", "1"),
			c("BITFIELD", "mm", "SET", "u8", "0", "2"), // denyoom: refused
			c("BITFIELD", "mm", "GET", "u8", "0"),      // even with GETs only, as Redis
			c("BITFIELD_RO", "mm", "GET", "u8", "0"),   // a read: served
			c("CONFIG", "SET", "maxmemory", "0"),
			c("BITFIELD", "mm", "GET", "u8", "0"),
		}},
		{"bitfield transactions", []diffStep{
			c("MULTI"),
			c("BITFIELD", "tx", "INCRBY", "u4", "0", "3"),
			c("BITFIELD", "tx", "INCRBY", "u4", "0", "20", "GET", "u99", "0"),
			c("BITFIELD_RO", "tx", "GET", "u4", "0"),
			c("BITFIELD", "tx", "OVERFLOW", "FAIL", "INCRBY", "u4", "0", "20"),
			c("GET", "tx"),
			c("EXEC"),
			c("EVAL_RO", "return redis.call('bitfield', KEYS[1], 'get', 'u8', 0)", "1", "tx"),
			c("EVAL_RO", "return redis.call('bitfield_ro', KEYS[1], 'get', 'u8', 0)", "1", "tx"),
			c("EVAL", "return redis.call('bitfield', KEYS[1], 'incrby', 'u8', 0, 300, 'overflow', 'fail', 'incrby', 'u8', 0, 300)", "1", "tx"),
			c("EVAL", "return redis.pcall('bitfield_ro', KEYS[1], 'set', 'u8', 0, 1)", "1", "tx"),
			c("EVAL", "return redis.call('bitfield', KEYS[1], 'get', 'u99', 0)", "1", "tx"),
			c("GET", "tx"),
			c("COMMAND", "INFO", "bitfield", "bitfield_ro").with(commandInfoHead),
			c("COMMAND", "GETKEYS", "BITFIELD", "key", "GET", "u8", "0"),
			c("COMMAND", "GETKEYS", "BITFIELD_RO", "key", "GET", "u8", "0"),
		}},
	}
}

// commandInfoHead keeps the first eight fields of each COMMAND INFO entry
// (name, arity, flags, key positions, ACL categories): the key specs'
// notes and flag spellings are compared nowhere yet.
func commandInfoHead(reply string) string {
	v, _, err := parseResp(reply)
	if err != nil {
		return reply
	}
	out := ""
	for _, e := range v.elems {
		if len(e.elems) >= 8 {
			out += fmt.Sprintf("%+v\n", e.elems[:8])
		}
	}
	return out
}

func TestBitfieldRedisDiff(t *testing.T) {
	runDiffScriptsResp23(t, bitfieldScripts())
}

// TestBitfieldModelRedisDiff sends a few thousand random BITFIELD and
// BITFIELD_RO calls (mixed with SETBIT, SETRANGE, APPEND, GETRANGE, DEL and
// EXPIRE on the same keys, half of them over RESP3) to redis-server and to
// fastcache, and compares every reply byte for byte, then the keys'
// contents.
func TestBitfieldModelRedisDiff(t *testing.T) {
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
	seed := uint64(321)
	if v, err := strconv.ParseUint(os.Getenv("FASTCACHE_MODEL_SEED"), 10, 64); err == nil {
		seed = v
	}
	r := rand.New(rand.NewPCG(seed, 21))
	key := func() string { return "bf" + strconv.Itoa(r.IntN(5)) }
	typ := func() string {
		if r.IntN(2) == 0 {
			return "i" + strconv.Itoa(1+r.IntN(64))
		}
		return "u" + strconv.Itoa(1+r.IntN(63))
	}
	offset := func(t string) string {
		switch r.IntN(10) {
		case 0:
			return "#" + strconv.Itoa(r.IntN(12))
		case 1:
			return strconv.Itoa(r.IntN(4000)) // out past most values
		case 2:
			return strconv.Itoa(r.IntN(8)) // the first bits, unaligned
		}
		return strconv.Itoa(r.IntN(200))
	}
	value := func() string {
		switch r.IntN(8) {
		case 0:
			return "9223372036854775807"
		case 1:
			return "-9223372036854775808"
		case 2:
			return strconv.FormatInt(r.Int64(), 10)
		case 3:
			return strconv.FormatInt(-r.Int64(), 10)
		case 4:
			e := r.IntN(64)
			v := int64(1)<<e + int64(r.IntN(3)-1)
			if r.IntN(2) == 0 {
				v = -v
			}
			return strconv.FormatInt(v, 10)
		}
		return strconv.Itoa(r.IntN(600) - 300)
	}
	gen := func() []string {
		k := key()
		switch r.IntN(20) {
		case 0:
			return []string{"SETBIT", k, strconv.Itoa(r.IntN(300)), strconv.Itoa(r.IntN(2))}
		case 1:
			return []string{"SETRANGE", k, strconv.Itoa(r.IntN(40)), "ab\xffcd"[:1+r.IntN(5)]}
		case 2:
			return []string{"GETRANGE", k, "0", "-1"}
		case 3:
			if r.IntN(4) == 0 {
				return []string{"DEL", k}
			}
			return []string{"APPEND", k, "\x00\x81"}
		case 4:
			if r.IntN(3) == 0 {
				return []string{"LPUSH", k, "x"} // WRONGTYPE for what follows, until a DEL
			}
			return []string{"EXPIRE", k, "1000"}
		}
		cmd := "BITFIELD"
		ro := r.IntN(6) == 0
		if ro {
			cmd = "BITFIELD_RO"
		}
		args := []string{cmd, k}
		for n := 1 + r.IntN(6); n > 0; n-- {
			t := typ()
			switch op := r.IntN(10); {
			case ro || op < 3:
				args = append(args, "GET", t, offset(t))
			case op < 6:
				args = append(args, "SET", t, offset(t), value())
			case op < 9:
				args = append(args, "INCRBY", t, offset(t), value())
			default:
				args = append(args, "OVERFLOW", []string{"WRAP", "SAT", "FAIL"}[r.IntN(3)])
			}
		}
		if r.IntN(50) == 0 {
			args = append(args, "GET", "u64", "0") // an error at the end: nothing done
		}
		return args
	}
	const n = 4000
	for i := 0; i < n; i++ {
		args := gen()
		p := r.IntN(2)
		var replies [2]string
		for s, dc := range conns[p] {
			rep, err := dc.do(args)
			if err != nil {
				t.Fatalf("op %d %q: %s: %v", i, args, sweepSide[s], err)
			}
			replies[s] = rep
		}
		if replies[0] != replies[1] {
			t.Fatalf("op %d %q (resp%d):\n  redis:     %q\n  fastcache: %q", i, args, p+2, replies[0], replies[1])
		}
	}
	for i := 0; i < 5; i++ {
		k := "bf" + strconv.Itoa(i)
		for _, args := range [][]string{{"TYPE", k}, {"GETRANGE", k, "0", "-1"}, {"STRLEN", k}, {"TTL", k}} {
			var replies [2]string
			for s, dc := range conns[0] {
				replies[s], _ = dc.do(args)
			}
			if replies[0] != replies[1] {
				t.Errorf("%q: redis %q, fastcache %q", args, replies[0], replies[1])
			}
		}
	}
	t.Logf("seed %d: %d commands, every reply the same", seed, n)
}

// bitfieldEventScript: the keyspace events of BITFIELD, as Redis 7.0
// sends them: "setbit" when a SET or INCRBY wrote a new value, or wrote at
// all into a key it created or grew (not for a write OVERFLOW FAIL
// refused, though the key is still created or grown), "new" when it
// creates the key, "keymiss" for a read of a missing key.
func bitfieldEventScript() []ksStep {
	c := func(args ...string) ksStep { return ksStep{args: args} }
	return []ksStep{
		c("BITFIELD", "b", "GET", "u8", "0"),
		c("BITFIELD_RO", "b", "GET", "u8", "0"),
		c("BITFIELD", "b"),
		c("BITFIELD", "b", "SET", "u8", "0", "1"),
		c("BITFIELD", "b", "SET", "u8", "0", "1"), // unchanged: still an event
		c("BITFIELD", "b", "INCRBY", "u8", "0", "1", "INCRBY", "u8", "#9", "1"),
		c("BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"),
		c("BITFIELD", "b2", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"),
		c("BITFIELD", "b2", "OVERFLOW", "FAIL", "INCRBY", "u8", "#4", "300"), // grows b2, no event
		c("BITFIELD", "b2", "SET", "u8", "#6", "0"),                          // grows it with the same zero: an event
		c("BITFIELD", "b2", "SET", "u8", "#6", "0"),
		c("BITFIELD", "b2", "SET", "u8", "#6", "1", "SET", "u8", "#6", "0"), // changed and changed back
		c("BITFIELD", "b", "GET", "u8", "0"),
		c("BITFIELD_RO", "b", "GET", "u8", "0"),
		c("BITFIELD", "b", "SET", "u8", "0", "1", "GET", "u99", "0"),
		c("BITFIELD_RO", "b", "SET", "u8", "0", "1"),
		c("LPUSH", "l", "x"),
		c("BITFIELD", "l", "SET", "u8", "0", "1"),
		c("DEL", "b"),
	}
}

func TestBitfieldEventsRedisDiff(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	for _, flags := range []string{"KEA", "KEAnm", "Kt", "E$"} {
		t.Run(flags, func(t *testing.T) {
			runKeyspaceDiff(t, fc.addr, redisAddr, flags, bitfieldEventScript())
		})
	}
}

// TestBitfieldTrackingRedisDiff: a BITFIELD that changes a value
// invalidates a tracking client's cached key (its own write too, after the
// reply), one that changes nothing does not; BITFIELD_RO is a tracked
// read, BITFIELD with GETs only is not (a write command).
func TestBitfieldTrackingRedisDiff(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	c := func(on int, args ...string) psStep { return psStep{on: on, args: args} }
	cn := func(on, n int, args ...string) psStep { return psStep{on: on, args: args, n: n} }
	read := func(on, n int) psStep { return psStep{on: on, n: n} }
	steps := []psStep{
		c(1, "FLUSHALL"),
		c(0, "HELLO", "3").norm1(diffHello),
		c(0, "CLIENT", "TRACKING", "ON"),
		c(0, "GET", "k"),
		c(1, "BITFIELD", "k", "SET", "u8", "0", "1"),
		read(0, 1),
		c(0, "BITFIELD_RO", "k", "GET", "u8", "0"),
		c(1, "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"), // no change: no invalidation
		c(1, "BITFIELD", "k", "SET", "u8", "0", "1"),                          // the same value: none either
		c(0, "PING"),
		c(1, "BITFIELD", "k", "SET", "u8", "0", "2"),
		read(0, 1),
		c(0, "BITFIELD", "k", "GET", "u8", "0"), // not a read-only command: not tracked
		c(1, "BITFIELD", "k", "INCRBY", "u8", "0", "1"),
		c(0, "PING"),
		c(0, "GET", "k"),
		cn(0, 2, "BITFIELD", "k", "INCRBY", "u8", "0", "1"), // own change: the reply, then the invalidation
		c(0, "GET", "k"),
		c(1, "BITFIELD_RO", "k", "GET", "u8", "0"),
		c(1, "BITFIELD", "k", "GET", "u8", "0"),
		c(0, "PING"),
		c(0, "CLIENT", "TRACKING", "OFF"),
	}
	runPubSubDiff(t, fc.addr, redisAddr, 2, steps)
}
