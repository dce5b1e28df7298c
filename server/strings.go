package server

import (
	"math"
	"strconv"

	"fastcache/cache"
)

// String commands. Handlers read into c.buf (per-client scratch) and reply
// straight from it, so GET and SET allocate nothing per command.

func init() {
	const w, r, oom, fast = flagWrite, flagReadOnly, flagDenyOOM, flagFast
	str := func(name string, arity int, f flags, first, last, step int, since, summary string, h func(*Client, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: f, FirstKey: first, LastKey: last, Step: step,
			Group: "string", Since: since, Summary: summary, Handler: h}
	}
	register(
		str("get", 2, r|fast, 1, 1, 1, "1.0.0", "Returns the string value of a key.", cmdGet),
		str("set", -3, w|oom, 1, 1, 1, "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", cmdSet),
		str("setnx", 3, w|oom|fast, 1, 1, 1, "1.0.0", "Set the string value of a key only when the key doesn't exist.", cmdSetNX),
		str("setex", 4, w|oom, 1, 1, 1, "2.0.0", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", cmdSetEX),
		str("psetex", 4, w|oom, 1, 1, 1, "2.6.0", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", cmdPSetEX),
		str("getset", 3, w|oom|fast, 1, 1, 1, "1.0.0", "Returns the previous string value of a key after setting it to a new value.", cmdGetSet),
		str("getdel", 2, w|fast, 1, 1, 1, "6.2.0", "Returns the string value of a key after deleting the key.", cmdGetDel),
		str("getex", -2, w|fast, 1, 1, 1, "6.2.0", "Returns the string value of a key after setting its expiration time.", cmdGetEx),
		str("mget", -2, r|fast, 1, -1, 1, "1.0.0", "Atomically returns the string values of one or more keys.", cmdMGet),
		str("mset", -3, w|oom, 1, -1, 2, "1.0.1", "Atomically creates or modifies the string values of one or more keys.", cmdMSet),
		str("msetnx", -3, w|oom, 1, -1, 2, "1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist.", cmdMSetNX),
		str("incr", 2, w|oom|fast, 1, 1, 1, "1.0.0", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", cmdIncr),
		str("decr", 2, w|oom|fast, 1, 1, 1, "1.0.0", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", cmdDecr),
		str("incrby", 3, w|oom|fast, 1, 1, 1, "1.0.0", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", cmdIncrBy),
		str("decrby", 3, w|oom|fast, 1, 1, 1, "1.0.0", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", cmdDecrBy),
		str("incrbyfloat", 3, w|oom|fast, 1, 1, 1, "2.6.0", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", cmdIncrByFloat),
		str("append", 3, w|oom|fast, 1, 1, 1, "2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist.", cmdAppend),
		str("strlen", 2, r|fast, 1, 1, 1, "2.2.0", "Returns the length of a string value.", cmdStrLen),
		str("getrange", 4, r, 1, 1, 1, "2.4.0", "Returns a substring of the string stored at a key.", cmdGetRange),
		str("substr", 4, r, 1, 1, 1, "1.0.0", "Returns a substring from a string value.", cmdGetRange),
		str("setrange", 4, w|oom, 1, 1, 1, "2.2.0", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", cmdSetRange),
	)
	bitmap := func(name string, arity int, f flags, since, summary string, h func(*Client, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: f, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "bitmap", Since: since, Summary: summary, Handler: h}
	}
	register(
		bitmap("setbit", 4, w|oom, "2.2.0", "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.", cmdSetBit),
		bitmap("getbit", 3, r|fast, "2.2.0", "Returns a bit value by offset.", cmdGetBit),
		bitmap("bitcount", -2, r, "2.6.0", "Counts the number of set bits (population counting) in a string.", cmdBitCount),
		bitmap("bitpos", -3, r, "2.8.7", "Finds the first set (1) or clear (0) bit in a string.", cmdBitPos),
		bitmap("bitfield", -2, w|oom, "3.2.0", "Performs arbitrary bitfield integer operations on strings.", cmdBitField),
		bitmap("bitfield_ro", -2, r|fast, "6.0.0", "Performs arbitrary read-only bitfield integer operations on strings.", cmdBitFieldRO),
		&Command{Name: "bitop", Arity: -4, Flags: w | oom, FirstKey: 2, LastKey: -1, Step: 1, Group: "bitmap", Since: "2.6.0",
			Summary: "Performs bitwise operations on multiple strings, and stores the result.", Handler: cmdBitOp},
	)
}

// bitOffset parses a SETBIT/GETBIT offset as Redis's getBitOffsetFromArgument:
// a non-negative integer whose byte stays under proto-max-bulk-len.
func bitOffset(c *Client, arg []byte) (int64, bool) {
	off, ok := cache.ParseInt(arg)
	if !ok || off < 0 || off>>3 >= c.srv.cfg.ProtoMaxBulkLen() {
		c.reply.Error("ERR bit offset is not an integer or out of range")
		return 0, false
	}
	return off, true
}

func cmdSetBit(c *Client, args [][]byte) {
	off, ok := bitOffset(c, args[2])
	if !ok {
		return
	}
	on, ok := cache.ParseInt(args[3])
	if !ok || on&^1 != 0 {
		c.reply.Error("ERR bit is not an integer or out of range")
		return
	}
	c.reply.Int(int64(c.ks.SetBit(args[1], off, on == 1)))
}

func cmdGetBit(c *Client, args [][]byte) {
	off, ok := bitOffset(c, args[2])
	if !ok {
		return
	}
	c.reply.Int(int64(c.ks.GetBit(args[1], off)))
}

// BITCOUNT key [start end [BYTE|BIT]]: a missing key counts 0 before the
// arguments are looked at, as in Redis.
func cmdBitCount(c *Client, args [][]byte) {
	if c.ks.Exists(args[1:2]) == 0 {
		c.reply.Int(0)
		return
	}
	var start, end int64
	bit := false
	switch len(args) {
	case 2:
	case 4, 5:
		var ok1, ok2 bool
		start, ok1 = cache.ParseInt(args[2])
		end, ok2 = cache.ParseInt(args[3])
		if !ok1 || !ok2 {
			c.reply.Error(errNotInt)
			return
		}
		if start < 0 && end < 0 && start > end {
			c.reply.Int(0)
			return
		}
		if len(args) == 5 {
			switch {
			case equalFold(args[4], "bit"):
				bit = true
			case equalFold(args[4], "byte"):
			default:
				c.reply.Error(errSyntax)
				return
			}
		}
	default:
		c.reply.Error(errSyntax)
		return
	}
	c.reply.Int(c.ks.BitCount(args[1], len(args) > 2, start, end, bit))
}

const (
	errSyntax    = "ERR syntax error"
	errNotInt    = "ERR value is not an integer or out of range"
	errNotFloat  = "ERR value is not a valid float"
	errDBIndex   = "ERR DB index is out of range"
	errBadCursor = "ERR invalid cursor"
	errIntRange  = "ERR value is out of range, value must between -2147483648 and 2147483647"
)

func errInvalidExpire(cmd string) string { return "ERR invalid expire time in '" + cmd + "' command" }

// expireArg converts an expiry argument to absolute unix ms as Redis's
// getExpireMillisecondsOrReply does: unit is 1000 for seconds, 1 for ms;
// relative adds the current time. Non-positive and overflowing values are
// refused with Redis's texts.
func expireArg(c *Client, cmd string, arg []byte, unit int64, relative bool) (int64, bool) {
	v, ok := cache.ParseInt(arg)
	if !ok {
		c.reply.Error(errNotInt)
		return 0, false
	}
	if v <= 0 || (unit > 1 && v > math.MaxInt64/unit) {
		c.reply.Error(errInvalidExpire(cmd))
		return 0, false
	}
	v *= unit
	if relative {
		now := nowMillis()
		if v > math.MaxInt64-now {
			c.reply.Error(errInvalidExpire(cmd))
			return 0, false
		}
		v += now
	}
	return v, true
}

func cmdGet(c *Client, args [][]byte) {
	v, ok := c.ks.Get(args[1], c.buf[:0])
	c.buf = v
	if !ok {
		c.reply.Null()
		return
	}
	c.reply.Bulk(v)
}

// setExpiry is the expiry part of SET and GETEX: EX, PX, EXAT, PXAT.
func setExpiry(opt []byte) (unit int64, relative, ok bool) {
	switch {
	case eqFold(opt, "ex"):
		return 1000, true, true
	case eqFold(opt, "px"):
		return 1, true, true
	case eqFold(opt, "exat"):
		return 1000, false, true
	case eqFold(opt, "pxat"):
		return 1, false, true
	}
	return 0, false, false
}

func cmdSet(c *Client, args [][]byte) {
	var o cache.SetOptions
	var expArg []byte
	var unit int64
	var rel bool
	for i := 3; i < len(args); i++ {
		a := args[i]
		switch {
		case eqFold(a, "nx") && !o.XX:
			o.NX = true
		case eqFold(a, "xx") && !o.NX:
			o.XX = true
		case eqFold(a, "get"):
			o.Get = true
		case eqFold(a, "keepttl") && expArg == nil:
			o.KeepTTL = true
		default:
			u, r, isExp := setExpiry(a)
			if !isExp || (expArg != nil && (u != unit || r != rel)) || o.KeepTTL || i+1 >= len(args) {
				c.reply.Error(errSyntax)
				return
			}
			expArg, unit, rel = args[i+1], u, r
			i++
		}
	}
	if expArg != nil {
		at, ok := expireArg(c, "set", expArg, unit, rel)
		if !ok {
			return
		}
		o.ExpireAt = at
	}
	old, hadOld, done := c.ks.Set(args[1], args[2], o, c.buf[:0])
	c.buf = old
	switch {
	case o.Get && hadOld:
		c.reply.Bulk(old)
	case o.Get, !done:
		c.reply.Null()
	default:
		c.reply.OK()
	}
}

func cmdSetNX(c *Client, args [][]byte) {
	_, _, done := c.ks.Set(args[1], args[2], cache.SetOptions{NX: true}, nil)
	c.reply.Int(b2i(done))
}

func cmdSetEX(c *Client, args [][]byte)  { setWithTTL(c, args, "setex", 1000) }
func cmdPSetEX(c *Client, args [][]byte) { setWithTTL(c, args, "psetex", 1) }

func setWithTTL(c *Client, args [][]byte, name string, unit int64) {
	at, ok := expireArg(c, name, args[2], unit, true)
	if !ok {
		return
	}
	c.ks.Set(args[1], args[3], cache.SetOptions{ExpireAt: at}, nil)
	c.reply.OK()
}

func cmdGetSet(c *Client, args [][]byte) {
	old, hadOld, _ := c.ks.Set(args[1], args[2], cache.SetOptions{Get: true}, c.buf[:0])
	c.buf = old
	if !hadOld {
		c.reply.Null()
		return
	}
	c.reply.Bulk(old)
}

func cmdGetDel(c *Client, args [][]byte) {
	v, ok := c.ks.GetDel(args[1], c.buf[:0])
	c.buf = v
	if !ok {
		c.reply.Null()
		return
	}
	c.reply.Bulk(v)
}

// GETEX key [EX|PX|EXAT|PXAT time|PERSIST], with Redis's order of checks:
// the options' syntax (an option may repeat, and a time option may repeat
// with the same unit, the last one counting), then a missing key (nil),
// then the time's value.
func cmdGetEx(c *Client, args [][]byte) {
	var ch cache.ExpireChange
	var expArg []byte
	var unit int64
	var rel bool
	for i := 2; i < len(args); i++ {
		a := args[i]
		if eqFold(a, "persist") && expArg == nil {
			ch.Persist = true
			continue
		}
		u, r, isExp := setExpiry(a)
		if !isExp || ch.Persist || (expArg != nil && (u != unit || r != rel)) || i+1 >= len(args) {
			c.reply.Error(errSyntax)
			return
		}
		expArg, unit, rel = args[i+1], u, r
		i++
	}
	if expArg != nil {
		mark := c.reply.Len()
		at, ok := expireArg(c, "getex", expArg, unit, rel)
		if !ok {
			switch c.ks.Type(args[1]) {
			case "none":
				c.reply.Truncate(mark)
				c.reply.Null()
			case "string":
			default:
				c.reply.Truncate(mark)
				c.reply.Err(cache.ErrWrongTypeOps)
			}
			return
		}
		ch.Set, ch.At = true, at
	}
	v, ok := c.ks.GetEx(args[1], c.buf[:0], ch)
	c.buf = v
	if !ok {
		c.reply.Null()
		return
	}
	c.reply.Bulk(v)
}

func cmdMGet(c *Client, args [][]byte) {
	vals := c.ks.MGet(args[1:])
	c.reply.Array(len(vals))
	for _, v := range vals {
		if v == nil {
			c.reply.Null()
		} else {
			c.reply.Bulk(v)
		}
	}
}

func cmdMSet(c *Client, args [][]byte) {
	if len(args)%2 != 1 {
		c.reply.Error(errWrongArgs("mset"))
		return
	}
	c.ks.MSet(args[1:])
	c.reply.OK()
}

func cmdMSetNX(c *Client, args [][]byte) {
	if len(args)%2 != 1 {
		c.reply.Error(errWrongArgs("msetnx"))
		return
	}
	c.reply.Int(b2i(c.ks.MSetNX(args[1:])))
}

func cmdIncr(c *Client, args [][]byte) { incrBy(c, args[1], 1) }
func cmdDecr(c *Client, args [][]byte) { incrBy(c, args[1], -1) }

func cmdIncrBy(c *Client, args [][]byte) {
	d, ok := cache.ParseInt(args[2])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	incrBy(c, args[1], d)
}

func cmdDecrBy(c *Client, args [][]byte) {
	d, ok := cache.ParseInt(args[2])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	if d == math.MinInt64 {
		c.reply.Error("ERR decrement would overflow")
		return
	}
	incrBy(c, args[1], -d)
}

func incrBy(c *Client, key []byte, d int64) {
	// The digits the value is stored as are the reply's: formatted once.
	_, b, err := c.ks.IncrByAppend(key, d, append(c.reply.b, ':'))
	if err != nil {
		c.reply.Err(err)
		return
	}
	c.reply.b = append(b, '\r', '\n')
}

func cmdIncrByFloat(c *Client, args [][]byte) {
	d, ok := cache.ParseLongDouble(args[2])
	if !ok {
		c.reply.Error(errNotFloat)
		return
	}
	v, err := c.ks.IncrByFloat(args[1], d)
	if err != nil {
		c.reply.Err(err)
		return
	}
	c.reply.Bulk(v)
}

func cmdAppend(c *Client, args [][]byte) {
	n, err := c.ks.Append(args[1], args[2])
	if err != nil {
		c.reply.Err(err)
		return
	}
	c.reply.Int(int64(n))
}

func cmdStrLen(c *Client, args [][]byte) { c.reply.Int(int64(c.ks.StrLen(args[1]))) }

func cmdGetRange(c *Client, args [][]byte) {
	start, ok1 := cache.ParseInt(args[2])
	end, ok2 := cache.ParseInt(args[3])
	if !ok1 || !ok2 {
		c.reply.Error(errNotInt)
		return
	}
	c.buf = c.ks.GetRange(args[1], start, end, c.buf[:0])
	c.reply.Bulk(c.buf)
}

func cmdSetRange(c *Client, args [][]byte) {
	off, ok := cache.ParseInt(args[2])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	n, err := c.ks.SetRange(args[1], off, args[3])
	if err != nil {
		c.reply.Err(err)
		return
	}
	c.reply.Int(int64(n))
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// appendInt is strconv.AppendInt for reply building.
func appendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

// BITPOS key bit [start [end [BYTE|BIT]]], with Redis's order of checks: the
// bit, then a missing key (all zeros), then the range (start, unit, end).
func cmdBitPos(c *Client, args [][]byte) {
	bit, ok := cache.ParseInt(args[2])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	if bit != 0 && bit != 1 {
		c.reply.Error("ERR The bit argument must be 1 or 0.")
		return
	}
	if c.ks.Exists(args[1:2]) == 0 {
		c.reply.Int(-bit)
		return
	}
	var start, end int64
	endGiven, bitUnit := false, false
	switch len(args) {
	case 3:
	case 4, 5, 6:
		if start, ok = cache.ParseInt(args[3]); !ok {
			c.reply.Error(errNotInt)
			return
		}
		if len(args) == 6 {
			switch {
			case equalFold(args[5], "bit"):
				bitUnit = true
			case equalFold(args[5], "byte"):
			default:
				c.reply.Error(errSyntax)
				return
			}
		}
		if len(args) >= 5 {
			if end, ok = cache.ParseInt(args[4]); !ok {
				c.reply.Error(errNotInt)
				return
			}
			endGiven = true
		}
	default:
		c.reply.Error(errSyntax)
		return
	}
	c.reply.Int(c.ks.BitPos(args[1], int(bit), len(args) > 3, start, end, endGiven, bitUnit))
}

// BITOP AND|OR|XOR|NOT destkey key [key ...]
func cmdBitOp(c *Client, args [][]byte) {
	var op string
	for _, o := range []string{"and", "or", "xor", "not"} {
		if equalFold(args[1], o) {
			op = o
		}
	}
	if op == "" {
		c.reply.Error(errSyntax)
		return
	}
	if op == "not" && len(args) != 4 {
		c.reply.Error("ERR BITOP NOT must be called with a single source key.")
		return
	}
	c.reply.Int(int64(c.ks.BitOp(op, args[2], args[3:])))
}
