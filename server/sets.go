package server

import (
	"encoding/binary"
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

// Set commands, Redis 7.0's set. Single-key commands run inside
// Keyspace.View/Change; the multi-key ones (SMOVE, SINTER, SUNION, SDIFF and
// their STORE forms, SINTERCARD) lock all their keys at once (Keyspace.Group).

func init() {
	const w, r, oom, fast = flagWrite, flagReadOnly, flagDenyOOM, flagFast
	s := func(name string, arity int, f flags, first, last int, since, summary, complexity, args string, fn func(*Client, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: f, FirstKey: first, LastKey: last, Step: 1, Group: "set",
			Since: since, Summary: summary, Complexity: complexity, Args: args, Handler: fn}
	}
	const o1 = "O(1)"
	register(
		s("sadd", -3, w|oom|fast, 1, 1, "1.0.0", "Adds one or more members to a set. Creates the key if it doesn't exist.", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "key:key member:string...", cmdSAdd),
		s("srem", -3, w|fast, 1, 1, "1.0.0", "Removes one or more members from a set. Deletes the set if the last member was removed.", "O(N) where N is the number of members to be removed.", "key:key member:string...", cmdSRem),
		s("sismember", 3, r|fast, 1, 1, "1.0.0", "Determines whether a member belongs to a set.", o1, "key:key member:string", cmdSIsMember),
		s("smismember", -3, r|fast, 1, 1, "6.2.0", "Determines whether multiple members belong to a set.", "O(N) where N is the number of elements being checked for membership", "key:key member:string...", cmdSMIsMember),
		s("smembers", 2, r, 1, 1, "1.0.0", "Returns all members of a set.", "O(N) where N is the set cardinality.", "key:key", cmdSMembers),
		s("scard", 2, r|fast, 1, 1, "1.0.0", "Returns the number of members in a set.", o1, "key:key", cmdSCard),
		s("spop", -2, w|fast, 1, 1, "1.0.0", "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", "key:key [count:integer]", cmdSPop),
		s("srandmember", -2, r, 1, 1, "1.0.0", "Get one or multiple random members from a set", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", "key:key [count:integer]", cmdSRandMember),
		s("smove", 4, w|fast, 1, 2, "1.0.0", "Moves a member from one set to another.", o1, "source:key destination:key member:string", cmdSMove),
		s("sinter", -2, r, 1, -1, "1.0.0", "Returns the intersect of multiple sets.", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "key:key...", cmdSInter),
		s("sintercard", -3, r, 0, 0, "7.0.0", "Returns the number of members of the intersect of multiple sets.", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "numkeys:integer key:key... [LIMIT limit:integer]", cmdSInterCard),
		s("sinterstore", -3, w|oom, 1, -1, "1.0.0", "Stores the intersect of multiple sets in a key.", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "destination:key key:key...", cmdSInterStore),
		s("sunion", -2, r, 1, -1, "1.0.0", "Returns the union of multiple sets.", "O(N) where N is the total number of elements in all given sets.", "key:key...", cmdSUnion),
		s("sunionstore", -3, w|oom, 1, -1, "1.0.0", "Stores the union of multiple sets in a key.", "O(N) where N is the total number of elements in all given sets.", "destination:key key:key...", cmdSUnionStore),
		s("sdiff", -2, r, 1, -1, "1.0.0", "Returns the difference of multiple sets.", "O(N) where N is the total number of elements in all given sets.", "key:key...", cmdSDiff),
		s("sdiffstore", -3, w|oom, 1, -1, "1.0.0", "Stores the difference of multiple sets in a key.", "O(N) where N is the total number of elements in all given sets.", "destination:key key:key...", cmdSDiffStore),
		s("sscan", -3, r, 1, 1, "2.8.0", "Iterates over members of a set.", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "key:key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]", cmdSScan),
	)
}

func asSet(o shard.Object) *object.Set {
	if o == nil {
		return nil
	}
	return o.(*object.Set)
}

// maxRandomCount bounds the replies of SRANDMEMBER and ZRANDMEMBER with a
// negative count (repeats allowed), which Redis would build however large:
// a reply of more picks is refused instead of allocated.
const maxRandomCount = 1 << 24

const errRandomCount = "ERR value is out of range (fastcache answers at most 16777216 random picks)"

// randomCountRefused answers a pick of n > maxRandomCount: a client whose
// output buffer limit the reply would pass is closed, as Redis closes it
// while it builds the reply (each pick is at least 6 bytes); any other
// gets errRandomCount.
func randomCountRefused(c *Client, n int64) {
	if !c.replyWouldPassLimit(min(n, math.MaxInt64/8) * 6) {
		c.reply.Error(errRandomCount)
	}
}

func cmdSAdd(c *Client, args [][]byte) {
	added := 0
	mk := func() shard.Object { return object.NewSet(args[2]) }
	err := c.ks.Change(args[1], shard.KindSet, mk, func(o shard.Object, now int64, emit cache.Emit) {
		s := asSet(o)
		body := c.buf[:0] // the log copies it
		for _, m := range args[2:] {
			if s.Add(m) {
				added++
				body = persistence.AppendItem(body, m)
			}
		}
		defer c.keepBuf(body)
		if added > 0 {
			emit(object.OpSAdd, body, 0)
			c.ks.Notify(pubsub.Set, "sadd", c.ks.DB(), args[1])
		}
	})
	if !c.replyErr(err) {
		c.reply.Int(int64(added))
	}
}

func cmdSRem(c *Client, args [][]byte) {
	n := 0
	err := c.ks.Change(args[1], shard.KindSet, nil, func(o shard.Object, now int64, emit cache.Emit) {
		s := asSet(o)
		if s == nil {
			return
		}
		var body []byte
		for _, m := range args[2:] {
			if s.Remove(m) {
				n++
				body = persistence.AppendItem(body, m)
			}
		}
		if n > 0 {
			emit(object.OpSRem, body, 0)
			c.ks.Notify(pubsub.Set, "srem", c.ks.DB(), args[1])
		}
	})
	if !c.replyErr(err) {
		c.reply.Int(int64(n))
	}
}

func cmdSIsMember(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindSet, func(o shard.Object, now int64) {
		s := asSet(o)
		c.reply.Int(b2i(s != nil && s.Has(args[2])))
	})
	c.replyErr(err)
}

func cmdSMIsMember(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindSet, func(o shard.Object, now int64) {
		s := asSet(o)
		c.reply.Array(len(args) - 2)
		for _, m := range args[2:] {
			c.reply.Int(b2i(s != nil && s.Has(m)))
		}
	})
	c.replyErr(err)
}

// replySet writes the members of s as a set reply (empty if s is nil).
func replySet(c *Client, s *object.Set) {
	if s == nil {
		c.reply.Set(0)
		return
	}
	c.reply.Set(s.Len())
	s.Range(func(m []byte) bool { c.reply.Bulk(m); return true })
}

func cmdSMembers(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindSet, func(o shard.Object, now int64) { replySet(c, asSet(o)) })
	c.replyErr(err)
}

func cmdSCard(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindSet, func(o shard.Object, now int64) {
		n := 0
		if s := asSet(o); s != nil {
			n = s.Len()
		}
		c.reply.Int(int64(n))
	})
	c.replyErr(err)
}

// popMembers removes members from the set and logs the removal.
func logSRem(emit cache.Emit, members [][]byte) {
	var body []byte
	for _, m := range members {
		body = persistence.AppendItem(body, m)
	}
	if len(members) > 0 {
		emit(object.OpSRem, body, 0)
	}
}

func cmdSPop(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.reply.Error(errSyntax)
		return
	}
	count := int64(-1)
	if len(args) == 3 {
		n, ok := cache.ParseInt(args[2])
		if !ok || n < 0 {
			c.reply.Error("ERR value is out of range, must be positive")
			return
		}
		count = n
	}
	if count < 0 { // one pop: the member is read from the log body (the client's scratch), no allocation
		var one []byte
		body := c.buf[:0]
		err := c.ks.Change(args[1], shard.KindSet, nil, func(o shard.Object, now int64, emit cache.Emit) {
			s := asSet(o)
			if s == nil {
				return
			}
			if s.PopOne(func(m []byte) { body = persistence.AppendItem(body, m) }) {
				_, n := binary.Uvarint(body)
				one = body[n:]
				emit(object.OpSRem, body, 0)
				c.ks.Notify(pubsub.Set, "spop", c.ks.DB(), args[1])
			}
		})
		switch {
		case c.replyErr(err):
		case one == nil:
			c.reply.Null()
		default:
			c.reply.Bulk(one)
		}
		c.keepBuf(body)
		return
	}
	var popped [][]byte
	err := c.ks.Change(args[1], shard.KindSet, nil, func(o shard.Object, now int64, emit cache.Emit) {
		s := asSet(o)
		if s == nil || count == 0 {
			return
		}
		popped = s.Pop(count)
		logSRem(emit, popped)
		c.ks.Notify(pubsub.Set, "spop", c.ks.DB(), args[1])
	})
	if c.replyErr(err) {
		return
	}
	c.reply.Set(len(popped))
	for _, m := range popped {
		c.reply.Bulk(m)
	}
}

func cmdSRandMember(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.reply.Error(errSyntax)
		return
	}
	if len(args) == 2 {
		err := c.ks.ReadLookup().View(args[1], shard.KindSet, func(o shard.Object, now int64) {
			if s := asSet(o); s != nil {
				c.reply.Bulk(s.RandomMember())
				return
			}
			c.reply.Null()
		})
		c.replyErr(err)
		return
	}
	count, ok := cache.ParseInt(args[2])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	if count == math.MinInt64 {
		c.reply.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return
	}
	err := c.ks.ReadLookup().View(args[1], shard.KindSet, func(o shard.Object, now int64) {
		s := asSet(o)
		if s == nil || count == 0 {
			c.reply.Array(0)
			return
		}
		if count < -maxRandomCount {
			randomCountRefused(c, -count)
			return
		}
		ms := s.RandomMembers(count)
		c.reply.Array(len(ms))
		for _, m := range ms {
			c.reply.Bulk(m)
		}
	})
	c.replyErr(err)
}

func cmdSMove(c *Client, args [][]byte) {
	src, dst, m := args[1], args[2], args[3]
	var res int64
	var err error
	c.ks.Group(args[1:3], true, func(g *cache.KeyGroup) {
		so, e := g.Get(src, shard.KindSet)
		if so == nil && e == nil {
			return
		}
		if err = e; err != nil {
			return
		}
		if _, err = g.Get(dst, shard.KindSet); err != nil {
			return
		}
		if string(src) == string(dst) {
			res = b2i(asSet(so).Has(m))
			return
		}
		removed := false
		g.Change(src, shard.KindSet, nil, func(o shard.Object, emit cache.Emit) {
			if asSet(o).Remove(m) {
				removed = true
				emit(object.OpSRem, persistence.AppendItem(nil, m), 0)
				c.ks.Notify(pubsub.Set, "srem", c.ks.DB(), src)
			}
		})
		if !removed {
			return
		}
		res = 1
		g.Change(dst, shard.KindSet, func() shard.Object { return object.NewSet(m) }, func(o shard.Object, emit cache.Emit) {
			if asSet(o).Add(m) {
				emit(object.OpSAdd, persistence.AppendItem(nil, m), 0)
				c.ks.Notify(pubsub.Set, "sadd", c.ks.DB(), dst)
			}
		})
	})
	if !c.replyErr(err) {
		c.reply.Int(res)
	}
}

// loadSets returns the sets under keys (nil for a missing key), or the
// WRONGTYPE error if any key holds another kind.
func loadSets(g *cache.KeyGroup, keys [][]byte) ([]*object.Set, error) {
	sets := make([]*object.Set, len(keys))
	for i, k := range keys {
		o, err := g.Get(k, shard.KindSet)
		if err != nil {
			return nil, err
		}
		sets[i] = asSet(o)
	}
	return sets, nil
}

// sinter calls fn for each member of the intersection of sets (none if a
// set is missing) until fn returns false, in the order of the smallest set.
func sinter(sets []*object.Set, fn func(m []byte) bool) {
	if slices.Contains(sets, nil) {
		return
	}
	sets = slices.Clone(sets)
	slices.SortStableFunc(sets, func(a, b *object.Set) int { return a.Len() - b.Len() })
	sets[0].Range(func(m []byte) bool {
		for _, o := range sets[1:] {
			if !o.Has(m) {
				return true
			}
		}
		return fn(m)
	})
}

// sunionDiff builds the union (diff false) or the difference of sets, as a
// new set, as Redis builds it (an intset first).
func sunionDiff(sets []*object.Set, diff bool) *object.Set {
	out := object.NewIntSet()
	if !diff {
		for _, s := range sets {
			if s != nil {
				s.Range(func(m []byte) bool { out.Add(m); return true })
			}
		}
		return out
	}
	if sets[0] == nil {
		return out
	}
	sets[0].Range(func(m []byte) bool {
		for _, o := range sets[1:] {
			if o != nil && o.Has(m) {
				return true
			}
		}
		out.Add(m)
		return true
	})
	return out
}

func cmdSInter(c *Client, args [][]byte) {
	c.ks.ReadLookup().Group(args[1:], false, func(g *cache.KeyGroup) {
		sets, err := loadSets(g, args[1:])
		if c.replyErr(err) {
			return
		}
		var out [][]byte
		sinter(sets, func(m []byte) bool { out = append(out, append([]byte(nil), m...)); return true })
		c.reply.Set(len(out))
		for _, m := range out {
			c.reply.Bulk(m)
		}
	})
}

func cmdSInterStore(c *Client, args [][]byte) {
	c.ks.ReadLookup().Group(args[1:], true, func(g *cache.KeyGroup) {
		sets, err := loadSets(g, args[2:])
		if c.replyErr(err) {
			return
		}
		out := object.NewIntSet()
		sinter(sets, func(m []byte) bool { out.Add(m); return true })
		g.Store(args[1], out, pubsub.Set, "sinterstore")
		c.reply.Int(int64(out.Len()))
	})
}

// parseNumKeys reads "numkeys key..." at args[i:], replying with Redis's
// errors; keys are the numkeys arguments after it.
func parseNumKeys(c *Client, args [][]byte, i int) (keys [][]byte, ok bool) {
	n, good := cache.ParseInt(args[i])
	if !good || n <= 0 {
		c.reply.Error("ERR numkeys should be greater than 0")
		return nil, false
	}
	if n > int64(len(args)-i-1) {
		c.reply.Error("ERR Number of keys can't be greater than number of args")
		return nil, false
	}
	return args[i+1 : i+1+int(n)], true
}

func cmdSInterCard(c *Client, args [][]byte) {
	keys, ok := parseNumKeys(c, args, 1)
	if !ok {
		return
	}
	limit := int64(0)
	for i := 2 + len(keys); i < len(args); i += 2 {
		if !eqFold(args[i], "limit") || i+1 >= len(args) {
			c.reply.Error(errSyntax)
			return
		}
		n, good := cache.ParseInt(args[i+1])
		if !good || n < 0 {
			c.reply.Error("ERR LIMIT can't be negative")
			return
		}
		limit = n
	}
	c.ks.ReadLookup().Group(keys, false, func(g *cache.KeyGroup) {
		sets, err := loadSets(g, keys)
		if c.replyErr(err) {
			return
		}
		n := int64(0)
		sinter(sets, func([]byte) bool { n++; return limit == 0 || n < limit })
		c.reply.Int(n)
	})
}

func sunionDiffCmd(c *Client, args [][]byte, diff, store bool) {
	c.ks.ReadLookup().Group(args[1:], store, func(g *cache.KeyGroup) {
		keys := args[1:]
		if store {
			keys = args[2:]
		}
		sets, err := loadSets(g, keys)
		if c.replyErr(err) {
			return
		}
		out := sunionDiff(sets, diff)
		if store {
			event := "sunionstore"
			if diff {
				event = "sdiffstore"
			}
			g.Store(args[1], out, pubsub.Set, event)
			c.reply.Int(int64(out.Len()))
			return
		}
		replySet(c, out)
	})
}

func cmdSUnion(c *Client, args [][]byte)      { sunionDiffCmd(c, args, false, false) }
func cmdSUnionStore(c *Client, args [][]byte) { sunionDiffCmd(c, args, false, true) }
func cmdSDiff(c *Client, args [][]byte)       { sunionDiffCmd(c, args, true, false) }
func cmdSDiffStore(c *Client, args [][]byte)  { sunionDiffCmd(c, args, true, true) }

// scanAfterLookup parses SSCAN/ZSCAN/HSCAN's cursor first and its options
// only once the key is found, as Redis does (a missing key answers an empty
// scan whatever the options).
func cmdSScan(c *Client, args [][]byte) {
	if _, ok := parseScanCursor(args[2]); !ok {
		c.reply.Error(errBadCursor)
		return
	}
	err := c.ks.ReadLookup().View(args[1], shard.KindSet, func(o shard.Object, now int64) {
		s := asSet(o)
		if s == nil {
			replyEmptyScan(c)
			return
		}
		sa, ok := parseScanArgs(c, args, 2)
		if !ok {
			return
		}
		var items [][]byte
		next := s.Scan(sa.cursor, sa.count, func(m []byte) {
			if sa.match == nil || glob.Match(sa.match, m, false) {
				items = append(items, append([]byte(nil), m...))
			}
		})
		c.reply.Array(2)
		c.reply.Bulk(strconv.AppendUint(nil, next, 10))
		c.reply.Array(len(items))
		for _, it := range items {
			c.reply.Bulk(it)
		}
	})
	c.replyErr(err)
}

func replyEmptyScan(c *Client) {
	c.reply.Array(2)
	c.reply.BulkString("0")
	c.reply.Array(0)
}
