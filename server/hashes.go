package server

import (
	"math"
	"slices"
	"strconv"

	"fastcache/cache"
	"fastcache/internal/glob"
	"fastcache/object"
	"fastcache/persistence"
	"fastcache/pubsub"
	"fastcache/shard"
)

// Hash commands, Redis 7.0's set, plus hash-field expiry as Redis 7.4 has it
// (HEXPIRE and its family). Handlers build their replies inside
// Keyspace.View/Change, with the shard locked.

func init() {
	const w, r, oom, fast = flagWrite, flagReadOnly, flagDenyOOM, flagFast
	h := func(name string, arity int, f flags, since, summary, complexity, args string, fn func(*Client, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: f, FirstKey: 1, LastKey: 1, Step: 1, Group: "hash",
			Since: since, Summary: summary, Complexity: complexity, Args: args, Handler: fn}
	}
	const o1, on = "O(1)", "O(N) where N is the size of the hash."
	const fieldsArg = "FIELDS numfields:integer field:string..."
	register(
		h("hset", -4, w|oom|fast, "2.0.0", "Creates or modifies the value of a field in a hash.", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", "key:key data=(field:string value:string)...", cmdHSet),
		h("hmset", -4, w|oom|fast, "2.0.0", "Sets the values of multiple fields.", "O(N) where N is the number of fields being set.", "key:key data=(field:string value:string)...", cmdHSet),
		h("hsetnx", 4, w|oom|fast, "2.0.0", "Sets the value of a field in a hash only when the field doesn't exist.", o1, "key:key field:string value:string", cmdHSetNX),
		h("hget", 3, r|fast, "2.0.0", "Returns the value of a field in a hash.", o1, "key:key field:string", cmdHGet),
		h("hmget", -3, r|fast, "2.0.0", "Returns the values of all fields in a hash.", "O(N) where N is the number of fields being requested.", "key:key field:string...", cmdHMGet),
		h("hgetall", 2, r, "2.0.0", "Returns all fields and values in a hash.", on, "key:key", cmdHGetAll),
		h("hkeys", 2, r, "2.0.0", "Returns all fields in a hash.", on, "key:key", cmdHKeys),
		h("hvals", 2, r, "2.0.0", "Returns all values in a hash.", on, "key:key", cmdHVals),
		h("hdel", -3, w|fast, "2.0.0", "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", "O(N) where N is the number of fields to be removed.", "key:key field:string...", cmdHDel),
		h("hlen", 2, r|fast, "2.0.0", "Returns the number of fields in a hash.", o1, "key:key", cmdHLen),
		h("hstrlen", 3, r|fast, "3.2.0", "Returns the length of the value of a field.", o1, "key:key field:string", cmdHStrLen),
		h("hexists", 3, r|fast, "2.0.0", "Determines whether a field exists in a hash.", o1, "key:key field:string", cmdHExists),
		h("hincrby", 4, w|oom|fast, "2.0.0", "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", o1, "key:key field:string increment:integer", cmdHIncrBy),
		h("hincrbyfloat", 4, w|oom|fast, "2.6.0", "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", o1, "key:key field:string increment:double", cmdHIncrByFloat),
		h("hrandfield", -2, r, "6.2.0", "Returns one or more random fields from a hash.", "O(N) where N is the number of fields returned", "key:key [options=(count:integer [WITHVALUES])]", cmdHRandField),
		h("hscan", -3, r, "2.8.0", "Iterates over fields and values of a hash.", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "key:key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]", cmdHScan),
		h("hexpire", -6, w|fast, "7.4.0", "Set expiry for hash field using relative time to expire (seconds)", "O(N) where N is the number of specified fields", "key:key seconds:integer [condition=(NX|XX|GT|LT)] "+fieldsArg, cmdHExpire),
		h("hpexpire", -6, w|fast, "7.4.0", "Set expiry for hash field using relative time to expire (milliseconds)", "O(N) where N is the number of specified fields", "key:key milliseconds:integer [condition=(NX|XX|GT|LT)] "+fieldsArg, cmdHExpire),
		h("hexpireat", -6, w|fast, "7.4.0", "Set expiry for hash field using an absolute Unix timestamp (seconds)", "O(N) where N is the number of specified fields", "key:key unix-time-seconds:unix-time [condition=(NX|XX|GT|LT)] "+fieldsArg, cmdHExpire),
		h("hpexpireat", -6, w|fast, "7.4.0", "Set expiry for hash field using an absolute Unix timestamp (milliseconds)", "O(N) where N is the number of specified fields", "key:key unix-time-milliseconds:unix-time [condition=(NX|XX|GT|LT)] "+fieldsArg, cmdHExpire),
		h("httl", -5, r|fast, "7.4.0", "Returns the TTL in seconds of a hash field.", "O(N) where N is the number of specified fields", "key:key "+fieldsArg, cmdHTTL),
		h("hpttl", -5, r|fast, "7.4.0", "Returns the TTL in milliseconds of a hash field.", "O(N) where N is the number of specified fields", "key:key "+fieldsArg, cmdHTTL),
		h("hexpiretime", -5, r|fast, "7.4.0", "Returns the expiration time of a hash field as a Unix timestamp, in seconds.", "O(N) where N is the number of specified fields", "key:key "+fieldsArg, cmdHTTL),
		h("hpexpiretime", -5, r|fast, "7.4.0", "Returns the expiration time of a hash field as a Unix timestamp, in msec.", "O(N) where N is the number of specified fields", "key:key "+fieldsArg, cmdHTTL),
		h("hpersist", -5, w|fast, "7.4.0", "Removes the expiration time for each specified field", "O(N) where N is the number of specified fields", "key:key "+fieldsArg, cmdHPersist),
	)
}

func newHash() shard.Object { return object.NewHash() }

func asHash(o shard.Object) *object.Hash {
	if o == nil {
		return nil
	}
	return o.(*object.Hash)
}

func cmdHSet(c *Client, args [][]byte) {
	if len(args)%2 != 0 {
		c.reply.Error("ERR wrong number of arguments for '" + c.cmdName(args) + "' command")
		return
	}
	added := 0
	err := c.ks.Change(args[1], shard.KindHash, newHash, func(o shard.Object, now int64, emit cache.Emit) {
		h := asHash(o)
		added = h.SetPairs(args[2:])
		// the client's scratch (the log copies the record): a buffer per
		// HSET would be garbage of the hash's own size class, whose free
		// slots stay in RSS among the hashes after a load (~9 bytes a field
		// for 10,000 hashes of 100 fields)
		body := slices.Grow(c.buf[:0], itemsSize(args[2:]))
		for _, a := range args[2:] {
			body = persistence.AppendItem(body, a)
		}
		emit(persistence.OpHSet, body, 0)
		c.keepBuf(body)
		c.ks.Notify(pubsub.Hash, "hset", c.ks.DB(), args[1])
	})
	if c.replyErr(err) {
		return
	}
	if eqFold(args[0], "hmset") {
		c.reply.OK()
		return
	}
	c.reply.Int(int64(added))
}

// itemsSize is the length of items encoded with persistence.AppendItem.
func itemsSize(items [][]byte) int {
	n := 0
	for _, it := range items {
		n += len(it) + 1
		for l := len(it); l >= 0x80; l >>= 7 {
			n++
		}
	}
	return n
}

// cmdName is the command's name as Redis spells it in arity errors.
func (c *Client) cmdName(args [][]byte) string {
	b := make([]byte, len(args[0]))
	for i, ch := range args[0] {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		b[i] = ch
	}
	return string(b)
}

func cmdHSetNX(c *Client, args [][]byte) {
	set := false
	err := c.ks.Change(args[1], shard.KindHash, newHash, func(o shard.Object, now int64, emit cache.Emit) {
		h := asHash(o)
		if _, ok := h.Get(args[2], now); ok {
			return
		}
		h.Set(args[2], args[3])
		set = true
		emit(persistence.OpHSet, persistence.AppendItem(persistence.AppendItem(nil, args[2]), args[3]), 0)
		c.ks.Notify(pubsub.Hash, "hset", c.ks.DB(), args[1])
	})
	if !c.replyErr(err) {
		c.reply.Int(b2i(set))
	}
}

func cmdHGet(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindHash, func(o shard.Object, now int64) {
		if h := asHash(o); h != nil {
			if v, ok := h.Get(args[2], now); ok {
				c.reply.Bulk(v)
				return
			}
		}
		c.reply.Null()
	})
	c.replyErr(err)
}

func cmdHMGet(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindHash, func(o shard.Object, now int64) {
		h := asHash(o)
		c.reply.Array(len(args) - 2)
		for _, f := range args[2:] {
			if h != nil {
				if v, ok := h.Get(f, now); ok {
					c.reply.Bulk(v)
					continue
				}
			}
			c.reply.Null()
		}
	})
	c.replyErr(err)
}

// hashAll replies with the fields and/or values of a hash: HGETALL (a map
// in RESP3), HKEYS, HVALS.
func hashAll(c *Client, args [][]byte, fields, values bool) {
	err := c.ks.ReadLookup().View(args[1], shard.KindHash, func(o shard.Object, now int64) {
		h := asHash(o)
		n := 0
		if h != nil {
			n = h.Len()
		}
		switch {
		case fields && values:
			c.reply.Map(n)
		default:
			c.reply.Array(n)
		}
		if h == nil {
			return
		}
		h.Range(now, func(f, v []byte) bool {
			if fields {
				c.reply.Bulk(f)
			}
			if values {
				c.reply.Bulk(v)
			}
			return true
		})
	})
	c.replyErr(err)
}

func cmdHGetAll(c *Client, args [][]byte) { hashAll(c, args, true, true) }
func cmdHKeys(c *Client, args [][]byte)   { hashAll(c, args, true, false) }
func cmdHVals(c *Client, args [][]byte)   { hashAll(c, args, false, true) }

func cmdHDel(c *Client, args [][]byte) {
	n := 0
	err := c.ks.Change(args[1], shard.KindHash, nil, func(o shard.Object, now int64, emit cache.Emit) {
		h := asHash(o)
		if h == nil {
			return
		}
		var body []byte
		for _, f := range args[2:] {
			if h.Del(f) {
				n++
				body = persistence.AppendItem(body, f)
			}
		}
		if n > 0 {
			emit(persistence.OpHDel, body, 0)
			c.ks.Notify(pubsub.Hash, "hdel", c.ks.DB(), args[1])
		}
	})
	if !c.replyErr(err) {
		c.reply.Int(int64(n))
	}
}

func cmdHLen(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindHash, func(o shard.Object, now int64) {
		if h := asHash(o); h != nil {
			c.reply.Int(int64(h.Len()))
			return
		}
		c.reply.Int(0)
	})
	c.replyErr(err)
}

func cmdHStrLen(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindHash, func(o shard.Object, now int64) {
		if h := asHash(o); h != nil {
			if v, ok := h.Get(args[2], now); ok {
				c.reply.Int(int64(len(v)))
				return
			}
		}
		c.reply.Int(0)
	})
	c.replyErr(err)
}

func cmdHExists(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindHash, func(o shard.Object, now int64) {
		ok := false
		if h := asHash(o); h != nil {
			_, ok = h.Get(args[2], now)
		}
		c.reply.Int(b2i(ok))
	})
	c.replyErr(err)
}

func cmdHIncrBy(c *Client, args [][]byte) {
	incr, ok := cache.ParseInt(args[3])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	var res int64
	var fail string
	err := c.ks.Change(args[1], shard.KindHash, newHash, func(o shard.Object, now int64, emit cache.Emit) {
		var v []byte
		stored, _ := asHash(o).Modify(args[2], now, func(old []byte, ok bool) ([]byte, bool) {
			var cur int64
			if ok {
				n, good := cache.ParseInt(old)
				if !good {
					fail = "ERR hash value is not an integer"
					return nil, false
				}
				cur = n
			}
			if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) || (incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
				fail = "ERR increment or decrement would overflow"
				return nil, false
			}
			res = cur + incr
			v = strconv.AppendInt(nil, res, 10)
			return v, true
		})
		if !stored {
			return
		}
		emit(persistence.OpHSetKeepTTL, persistence.AppendItem(persistence.AppendItem(nil, args[2]), v), 0)
		c.ks.Notify(pubsub.Hash, "hincrby", c.ks.DB(), args[1])
	})
	switch {
	case c.replyErr(err):
	case fail != "":
		c.reply.Error(fail)
	default:
		c.reply.Int(res)
	}
}

func cmdHIncrByFloat(c *Client, args [][]byte) {
	incr, ok := cache.ParseLongDouble(args[3])
	if !ok {
		c.reply.Error("ERR value is not a valid float")
		return
	}
	if _, finite := cache.AddLongDouble(cache.LongDouble{}, incr); !finite {
		c.reply.Error("ERR value is NaN or Infinity")
		return
	}
	var out []byte
	var fail string
	err := c.ks.Change(args[1], shard.KindHash, newHash, func(o shard.Object, now int64, emit cache.Emit) {
		stored, _ := asHash(o).Modify(args[2], now, func(old []byte, ok bool) ([]byte, bool) {
			var cur cache.LongDouble
			if ok {
				n, good := cache.ParseLongDouble(old)
				if !good {
					fail = "ERR hash value is not a float"
					return nil, false
				}
				cur = n
			}
			sum, good := cache.AddLongDouble(cur, incr)
			if !good {
				fail = "ERR increment would produce NaN or Infinity"
				return nil, false
			}
			out = cache.AppendLongDouble(nil, sum)
			return out, true
		})
		if !stored {
			return
		}
		emit(persistence.OpHSetKeepTTL, persistence.AppendItem(persistence.AppendItem(nil, args[2]), out), 0)
		c.ks.Notify(pubsub.Hash, "hincrbyfloat", c.ks.DB(), args[1])
	})
	switch {
	case c.replyErr(err):
	case fail != "":
		c.reply.Error(fail)
	default:
		c.reply.Bulk(out)
	}
}

func cmdHRandField(c *Client, args [][]byte) {
	if len(args) == 2 {
		err := c.ks.ReadLookup().View(args[1], shard.KindHash, func(o shard.Object, now int64) {
			h := asHash(o)
			if h == nil {
				c.reply.Null()
				return
			}
			got := false
			h.Random(1, now, func(f, v []byte) { c.reply.Bulk(f); got = true })
			if !got {
				c.reply.Null()
			}
		})
		c.replyErr(err)
		return
	}
	// Redis 7.0's order of checks: the count, the syntax, the count with
	// WITHVALUES (count x 2 must not overflow), then the key.
	count, ok := cache.ParseInt(args[2])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	if count < -math.MaxInt64 {
		c.reply.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return
	}
	if len(args) > 4 || (len(args) == 4 && !eqFold(args[3], "withvalues")) {
		c.reply.Error(errSyntax)
		return
	}
	withValues := len(args) == 4
	if withValues && (count < -math.MaxInt64/2 || count > math.MaxInt64/2) {
		c.reply.Error("ERR value is out of range")
		return
	}
	err := c.ks.ReadLookup().View(args[1], shard.KindHash, func(o shard.Object, now int64) {
		h := asHash(o)
		if h == nil || count == 0 {
			c.reply.Array(0)
			return
		}
		n := count
		if n > 0 && n > int64(h.Len()) {
			n = int64(h.Len())
		} else if n < 0 {
			n = -n
			// A negative count repeats fields: the reply grows with it,
			// not with the hash (Redis would build 2^63 elements); the
			// same bound as SRANDMEMBER and ZRANDMEMBER.
			if n > maxRandomCount {
				randomCountRefused(c, n)
				return
			}
		}
		if withValues && c.reply.proto == 2 {
			c.reply.Array(int(n * 2))
		} else {
			c.reply.Array(int(n))
		}
		h.Random(count, now, func(f, v []byte) {
			if withValues && c.reply.proto > 2 {
				c.reply.Array(2)
			}
			c.reply.Bulk(f)
			if withValues {
				c.reply.Bulk(v)
			}
		})
	})
	c.replyErr(err)
}

// HSCAN key cursor [MATCH pattern] [COUNT count], with Redis 7.0's order:
// the cursor, then the key (missing: an empty scan; another type:
// WRONGTYPE), then the options.
func cmdHScan(c *Client, args [][]byte) {
	if _, ok := parseScanCursor(args[2]); !ok {
		c.reply.Error(errBadCursor)
		return
	}
	var sc Client // the options' errors, held until the key is known
	sc.srv = c.srv
	sa, ok := parseScanArgs(&sc, args, 2)
	err := c.ks.ReadLookup().View(args[1], shard.KindHash, func(o shard.Object, now int64) {
		h := asHash(o)
		if h != nil && !ok {
			c.reply.Raw(sc.reply.Bytes())
			return
		}
		var items [][]byte
		var next uint64
		if h != nil {
			next = h.Scan(sa.cursor, sa.count, now, func(f, v []byte) {
				if sa.match != nil && !glob.Match(sa.match, f, false) {
					return
				}
				items = append(items, f, v)
			})
		}
		c.reply.Array(2)
		c.reply.Bulk(strconv.AppendUint(nil, next, 10))
		c.reply.Array(len(items))
		for _, it := range items {
			c.reply.Bulk(it)
		}
	})
	c.replyErr(err)
}

// ---- hash-field expiry (Redis 7.4) ----

// maxFieldExpire is Redis 7.4's bound on a field's absolute expiry (ms).
const maxFieldExpire = 1<<48 - 1

// parseFields parses "FIELDS numfields field..." at args[i:].
func parseFields(c *Client, args [][]byte, i int) ([][]byte, bool) {
	if i >= len(args) || !eqFold(args[i], "fields") {
		c.reply.Error("ERR Mandatory argument FIELDS is missing or not at the right position")
		return nil, false
	}
	if i+1 >= len(args) {
		c.reply.Error("ERR wrong number of arguments for '" + c.cmdName(args) + "' command")
		return nil, false
	}
	n, ok := cache.ParseInt(args[i+1])
	if !ok || n <= 0 {
		c.reply.Error("ERR Parameter `numFields` should be greater than 0")
		return nil, false
	}
	if n != int64(len(args)-i-2) {
		c.reply.Error("ERR The `numfields` parameter must match the number of arguments")
		return nil, false
	}
	return args[i+2:], true
}

func cmdHExpire(c *Client, args [][]byte) {
	name := c.cmdName(args)
	t, ok := cache.ParseInt(args[2])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	// A relative time counts from the clock the keyspace judges expiry by
	// (the callback's now below), so that 0 is always in the past, as
	// Redis's one command-time snapshot: a second clock read could fall a
	// millisecond behind it when the wall clock is re-anchored.
	now := nowMillis()
	var at, rel int64
	relative := false
	switch name {
	case "hexpire":
		if t < 0 || t > maxFieldExpire/1000 {
			c.reply.Error("ERR invalid expire time, must be >= 0 and <= " + strconv.FormatInt(maxFieldExpire, 10))
			return
		}
		at, rel, relative = now+t*1000, t*1000, true
	case "hpexpire":
		if t < 0 || t > maxFieldExpire {
			c.reply.Error("ERR invalid expire time, must be >= 0 and <= " + strconv.FormatInt(maxFieldExpire, 10))
			return
		}
		at, rel, relative = now+t, t, true
	case "hexpireat":
		if t < 0 || t > maxFieldExpire/1000 {
			c.reply.Error("ERR invalid expire time, must be >= 0 and <= " + strconv.FormatInt(maxFieldExpire, 10))
			return
		}
		at = t * 1000
	default:
		at = t
	}
	if at < 0 || at > maxFieldExpire {
		c.reply.Error("ERR invalid expire time, must be >= 0 and <= " + strconv.FormatInt(maxFieldExpire, 10))
		return
	}
	i := 3
	var cond cache.ExpireCond
	if i < len(args) {
		switch {
		case eqFold(args[i], "nx"):
			cond, i = cache.ExpireNX, i+1
		case eqFold(args[i], "xx"):
			cond, i = cache.ExpireXX, i+1
		case eqFold(args[i], "gt"):
			cond, i = cache.ExpireGT, i+1
		case eqFold(args[i], "lt"):
			cond, i = cache.ExpireLT, i+1
		}
	}
	fields, ok := parseFields(c, args, i)
	if !ok {
		return
	}
	codes := make([]int64, len(fields))
	err := c.ks.Change(args[1], shard.KindHash, nil, func(o shard.Object, now int64, emit cache.Emit) {
		h := asHash(o)
		var set, del []byte
		if relative {
			at = now + rel
		}
		for j, f := range fields {
			if h == nil {
				codes[j] = -2
				continue
			}
			cur, ok := h.FieldExpire(f, now)
			switch {
			case !ok:
				codes[j] = -2
			case cond == cache.ExpireNX && cur != 0,
				cond == cache.ExpireXX && cur == 0,
				cond == cache.ExpireGT && (cur == 0 || at <= cur),
				cond == cache.ExpireLT && cur != 0 && at >= cur:
				codes[j] = 0
			case at <= now:
				h.Del(f)
				del = persistence.AppendItem(del, f)
				codes[j] = 2
			default:
				h.SetFieldExpire(f, at)
				set = persistence.AppendItem(set, f)
				codes[j] = 1
			}
		}
		if len(set) > 0 {
			emit(persistence.OpHExpire, set, at)
			c.ks.Notify(pubsub.Hash, "hexpire", c.ks.DB(), args[1])
		}
		if len(del) > 0 {
			emit(persistence.OpHDel, del, 0)
			c.ks.Notify(pubsub.Hash, "hdel", c.ks.DB(), args[1])
		}
	})
	if c.replyErr(err) {
		return
	}
	c.reply.Array(len(codes))
	for _, v := range codes {
		c.reply.Int(v)
	}
}

func cmdHTTL(c *Client, args [][]byte) {
	fields, ok := parseFields(c, args, 2)
	if !ok {
		return
	}
	name := c.cmdName(args)
	err := c.ks.ReadLookup().View(args[1], shard.KindHash, func(o shard.Object, now int64) {
		h := asHash(o)
		c.reply.Array(len(fields))
		for _, f := range fields {
			if h == nil {
				c.reply.Int(-2)
				continue
			}
			at, ok := h.FieldExpire(f, now)
			switch {
			case !ok:
				c.reply.Int(-2)
			case at == 0:
				c.reply.Int(-1)
			case name == "httl":
				c.reply.Int((at - now + 500) / 1000)
			case name == "hpttl":
				c.reply.Int(at - now)
			case name == "hexpiretime":
				c.reply.Int(at / 1000)
			default:
				c.reply.Int(at)
			}
		}
	})
	c.replyErr(err)
}

func cmdHPersist(c *Client, args [][]byte) {
	fields, ok := parseFields(c, args, 2)
	if !ok {
		return
	}
	codes := make([]int64, len(fields))
	err := c.ks.Change(args[1], shard.KindHash, nil, func(o shard.Object, now int64, emit cache.Emit) {
		h := asHash(o)
		var body []byte
		for j, f := range fields {
			if h == nil {
				codes[j] = -2
				continue
			}
			at, ok := h.FieldExpire(f, now)
			switch {
			case !ok:
				codes[j] = -2
			case at == 0:
				codes[j] = -1
			default:
				h.SetFieldExpire(f, 0)
				body = persistence.AppendItem(body, f)
				codes[j] = 1
			}
		}
		if len(body) > 0 {
			emit(persistence.OpHExpire, body, 0)
			c.ks.Notify(pubsub.Hash, "hpersist", c.ks.DB(), args[1])
		}
	})
	if c.replyErr(err) {
		return
	}
	c.reply.Array(len(codes))
	for _, v := range codes {
		c.reply.Int(v)
	}
}
