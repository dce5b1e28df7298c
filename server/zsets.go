package server

import (
	"bytes"
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

// Sorted set commands, Redis 7.0's set. Scores are float64s printed as
// Redis prints them (%.17g, inf, -inf; RESP3 doubles); ranks and range
// bounds are found in O(log n) on the counted tree of a large set
// (object/ztree.go).

func init() {
	const w, r, oom, fast = flagWrite, flagReadOnly, flagDenyOOM, flagFast
	z := func(name string, arity int, f flags, first, last int, since, summary, complexity, args string, fn func(*Client, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: f, FirstKey: first, LastKey: last, Step: 1, Group: "sorted-set",
			Since: since, Summary: summary, Complexity: complexity, Args: args, Handler: fn}
	}
	const logN = "O(log(N)) where N is the number of elements in the sorted set."
	const rangeLogNM = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned."
	const scoreRange = "key:key min:double max:double"
	const lexRange = "key:key min:string max:string"
	const limitArg = "[LIMIT offset:integer count:integer]"
	const numKeys = "numkeys:integer key:key..."
	const weights = "[WEIGHTS weight:integer...] [AGGREGATE aggregate=(SUM|MIN|MAX)]"
	register(
		z("zadd", -4, w|oom|fast, 1, 1, "1.2.0", "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", "key:key [condition=(NX|XX)] [comparison=(GT|LT)] [CH] [INCR] data=(score:double member:string)...", cmdZAdd),
		z("zincrby", 4, w|oom|fast, 1, 1, "1.2.0", "Increments the score of a member in a sorted set.", logN, "key:key increment:integer member:string", cmdZIncrBy),
		z("zrem", -3, w|fast, 1, 1, "1.2.0", "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", "key:key member:string...", cmdZRem),
		z("zcard", 2, r|fast, 1, 1, "1.2.0", "Returns the number of members in a sorted set.", "O(1)", "key:key", cmdZCard),
		z("zscore", 3, r|fast, 1, 1, "1.2.0", "Returns the score of a member in a sorted set.", "O(1)", "key:key member:string", cmdZScore),
		z("zmscore", -3, r|fast, 1, 1, "6.2.0", "Returns the score of one or more members in a sorted set.", "O(N) where N is the number of members being requested.", "key:key member:string...", cmdZMScore),
		z("zrank", 3, r|fast, 1, 1, "2.0.0", "Returns the index of a member in a sorted set ordered by ascending scores.", logN, "key:key member:string", cmdZRank),
		z("zrevrank", 3, r|fast, 1, 1, "2.0.0", "Returns the index of a member in a sorted set ordered by descending scores.", logN, "key:key member:string", cmdZRank),
		z("zcount", 4, r|fast, 1, 1, "2.0.0", "Returns the count of members in a sorted set that have scores within a range.", logN, scoreRange, cmdZCount),
		z("zlexcount", 4, r|fast, 1, 1, "2.8.9", "Returns the number of members in a sorted set within a lexicographical range.", logN, lexRange, cmdZLexCount),
		z("zrange", -4, r, 1, 1, "1.2.0", "Returns members in a sorted set within a range of indexes.", rangeLogNM, "key:key start:string stop:string [sortby=(BYSCORE|BYLEX)] [REV] "+limitArg+" [WITHSCORES]", cmdZRange),
		z("zrangestore", -5, w|oom, 1, 2, "6.2.0", "Stores a range of members from sorted set in a key.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", "dst:key src:key min:string max:string [sortby=(BYSCORE|BYLEX)] [REV] "+limitArg, cmdZRangeStore),
		z("zrangebyscore", -4, r, 1, 1, "1.0.5", "Returns members in a sorted set within a range of scores.", rangeLogNM, scoreRange+" [WITHSCORES] "+limitArg, cmdZRangeByScore),
		z("zrevrangebyscore", -4, r, 1, 1, "2.2.0", "Returns members in a sorted set within a range of scores in reverse order.", rangeLogNM, "key:key max:double min:double [WITHSCORES] "+limitArg, cmdZRangeByScore),
		z("zrangebylex", -4, r, 1, 1, "2.8.9", "Returns members in a sorted set within a lexicographical range.", rangeLogNM, lexRange+" "+limitArg, cmdZRangeByLex),
		z("zrevrangebylex", -4, r, 1, 1, "2.8.9", "Returns members in a sorted set within a lexicographical range in reverse order.", rangeLogNM, "key:key max:string min:string "+limitArg, cmdZRangeByLex),
		z("zrevrange", -4, r, 1, 1, "1.2.0", "Returns members in a sorted set within a range of indexes in reverse order.", rangeLogNM, "key:key start:integer stop:integer [WITHSCORES]", cmdZRevRange),
		z("zremrangebyrank", 4, w, 1, 1, "2.0.0", "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "key:key start:integer stop:integer", cmdZRemRange),
		z("zremrangebyscore", 4, w, 1, 1, "1.2.0", "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", scoreRange, cmdZRemRange),
		z("zremrangebylex", 4, w, 1, 1, "2.8.9", "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", lexRange, cmdZRemRange),
		z("zpopmin", -2, w|fast, 1, 1, "5.0.0", "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "key:key [count:integer]", cmdZPop),
		z("zpopmax", -2, w|fast, 1, 1, "5.0.0", "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "key:key [count:integer]", cmdZPop),
		z("zmpop", -4, w, 0, 0, "7.0.0", "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", numKeys+" where=(MIN|MAX) [COUNT count:integer]", cmdZMPop),
		z("zrandmember", -2, r, 1, 1, "6.2.0", "Returns one or more random members from a sorted set.", "O(N) where N is the number of members returned", "key:key [options=(count:integer [WITHSCORES])]", cmdZRandMember),
		z("zunion", -3, r, 0, 0, "6.2.0", "Returns the union of multiple sorted sets.", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", numKeys+" "+weights+" [WITHSCORES]", cmdZUnion),
		z("zinter", -3, r, 0, 0, "6.2.0", "Returns the intersect of multiple sorted sets.", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", numKeys+" "+weights+" [WITHSCORES]", cmdZInter),
		z("zdiff", -3, r, 0, 0, "6.2.0", "Returns the difference between multiple sorted sets.", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", numKeys+" [WITHSCORES]", cmdZDiff),
		z("zunionstore", -4, w|oom, 1, 1, "2.0.0", "Stores the union of multiple sorted sets in a key.", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "destination:key "+numKeys+" "+weights, cmdZUnionStore),
		z("zinterstore", -4, w|oom, 1, 1, "2.0.0", "Stores the intersect of multiple sorted sets in a key.", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "destination:key "+numKeys+" "+weights, cmdZInterStore),
		z("zdiffstore", -4, w|oom, 1, 1, "6.2.0", "Stores the difference of multiple sorted sets in a key.", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "destination:key "+numKeys, cmdZDiffStore),
		z("zintercard", -3, r, 0, 0, "7.0.0", "Returns the number of members of the intersect of multiple sorted sets.", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", numKeys+" [LIMIT limit:integer]", cmdZInterCard),
		z("zscan", -3, r, 1, 1, "2.8.0", "Iterates over members and scores of a sorted set.", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "key:key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]", cmdZScan),
	)
}

func asZSet(o shard.Object) *object.ZSet {
	if o == nil {
		return nil
	}
	return o.(*object.ZSet)
}

const (
	errZNaN         = "ERR resulting score is not a number (NaN)"
	errScoreRange   = "ERR min or max is not a float"
	errLexRange     = "ERR min or max not valid string range item"
	errMustPositive = "ERR value is out of range, must be positive"
)

// ---- ZADD / ZINCRBY ----

type zaddFlags struct {
	nx, xx, gt, lt, ch, incr bool
}

func cmdZAdd(c *Client, args [][]byte) {
	var f zaddFlags
	i := 2
flags:
	for ; i < len(args); i++ {
		switch {
		case eqFold(args[i], "nx"):
			f.nx = true
		case eqFold(args[i], "xx"):
			f.xx = true
		case eqFold(args[i], "gt"):
			f.gt = true
		case eqFold(args[i], "lt"):
			f.lt = true
		case eqFold(args[i], "ch"):
			f.ch = true
		case eqFold(args[i], "incr"):
			f.incr = true
		default:
			break flags
		}
	}
	zadd(c, args[1], args[i:], f)
}

func cmdZIncrBy(c *Client, args [][]byte) {
	// Redis parses ZINCRBY as ZADD INCR: a ZADD flag in the increment's
	// place is taken as a flag, which leaves no score/member pair.
	for _, fl := range []string{"nx", "xx", "gt", "lt", "ch", "incr"} {
		if eqFold(args[2], fl) {
			c.reply.Error(errSyntax)
			return
		}
	}
	zadd(c, args[1], args[2:], zaddFlags{incr: true})
}

// zadd runs ZADD (and ZINCRBY) with the score/member pairs in pairs.
func zadd(c *Client, key []byte, pairs [][]byte, f zaddFlags) {
	if len(pairs)%2 != 0 || len(pairs) == 0 {
		c.reply.Error(errSyntax)
		return
	}
	n := len(pairs) / 2
	switch {
	case f.nx && f.xx:
		c.reply.Error("ERR XX and NX options at the same time are not compatible")
		return
	case (f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt):
		c.reply.Error("ERR GT, LT, and/or NX options at the same time are not compatible")
		return
	case f.incr && n > 1:
		c.reply.Error("ERR INCR option supports a single increment-element pair")
		return
	}
	var one [1]float64 // the common single pair: no allocation
	scores := one[:]
	if n > 1 {
		scores = make([]float64, n)
	}
	for j := range scores {
		s, ok := parseDouble(pairs[2*j])
		if !ok {
			c.reply.Error(errNotFloat)
			return
		}
		scores[j] = s
	}
	var added, updated, processed int
	var last float64
	nan := false
	var mk func() shard.Object
	if !f.xx {
		mk = func() shard.Object { return object.NewZSet(pairs[1]) }
	}
	err := c.ks.Change(key, shard.KindZSet, mk, func(o shard.Object, now int64, emit cache.Emit) {
		z := asZSet(o)
		if z == nil {
			return
		}
		if z.Len() == 0 && len(scores) > 1 {
			z.Reserve(pairs, scores) // a new set: one allocation at its size
			defer z.Trim()
		}
		// A single pair's record is built in the client's scratch (the log
		// copies it); a big ZADD's in a buffer of its own: kept as scratch,
		// the buffers of a bulk load's clients stayed in RSS (~4 bytes a
		// member of a 1M-member set loaded 1,000 pairs a command).
		var body []byte
		if len(scores) == 1 {
			body = c.buf[:0]
		}
	pairs:
		for j, s := range scores {
			m := pairs[2*j+1]
			cur, exists, ref := z.Find(m)
			switch {
			case exists:
				if f.nx {
					continue
				}
				if f.incr {
					s += cur
					if math.IsNaN(s) {
						nan = true
						break pairs
					}
				}
				if (f.lt && s >= cur) || (f.gt && s <= cur) {
					continue
				}
				last = s
				processed++
				if s != cur {
					z.SetRef(ref, m, s)
					updated++
					body = object.AppendZAdd(body, m, s)
				}
				continue
			case f.xx:
				continue
			}
			z.SetRef(ref, m, s)
			added++
			processed++
			last = s
			body = object.AppendZAdd(body, m, s)
		}
		if len(body) > 0 {
			emit(object.OpZAdd, body, 0)
			event := "zadd"
			if f.incr {
				event = "zincr"
			}
			c.ks.Notify(pubsub.ZSet, event, c.ks.DB(), key)
		}
		if len(scores) == 1 {
			c.keepBuf(body)
		}
	})
	switch {
	case c.replyErr(err):
	case nan:
		c.reply.Error(errZNaN)
	case f.incr:
		if processed > 0 {
			c.reply.Double(last)
		} else {
			c.reply.Null()
		}
	case f.ch:
		c.reply.Int(int64(added + updated))
	default:
		c.reply.Int(int64(added))
	}
}

func cmdZRem(c *Client, args [][]byte) {
	n := 0
	err := c.ks.Change(args[1], shard.KindZSet, nil, func(o shard.Object, now int64, emit cache.Emit) {
		z := asZSet(o)
		if z == nil {
			return
		}
		var body []byte
		for _, m := range args[2:] {
			if z.Remove(m) {
				n++
				body = persistence.AppendItem(body, m)
			}
		}
		if n > 0 {
			emit(object.OpZRem, body, 0)
			c.ks.Notify(pubsub.ZSet, "zrem", c.ks.DB(), args[1])
		}
	})
	if !c.replyErr(err) {
		c.reply.Int(int64(n))
	}
}

// ---- point reads ----

func cmdZCard(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindZSet, func(o shard.Object, now int64) {
		n := 0
		if z := asZSet(o); z != nil {
			n = z.Len()
		}
		c.reply.Int(int64(n))
	})
	c.replyErr(err)
}

func cmdZScore(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindZSet, func(o shard.Object, now int64) {
		if z := asZSet(o); z != nil {
			if s, ok := z.Score(args[2]); ok {
				c.reply.Double(s)
				return
			}
		}
		c.reply.Null()
	})
	c.replyErr(err)
}

func cmdZMScore(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindZSet, func(o shard.Object, now int64) {
		z := asZSet(o)
		c.reply.Array(len(args) - 2)
		for _, m := range args[2:] {
			if z != nil {
				if s, ok := z.Score(m); ok {
					c.reply.Double(s)
					continue
				}
			}
			c.reply.Null()
		}
	})
	c.replyErr(err)
}

func cmdZRank(c *Client, args [][]byte) {
	rev := eqFold(args[0], "zrevrank")
	err := c.ks.ReadLookup().View(args[1], shard.KindZSet, func(o shard.Object, now int64) {
		if z := asZSet(o); z != nil {
			if r, _, ok := z.Rank(args[2]); ok {
				if rev {
					r = z.Len() - 1 - r
				}
				c.reply.Int(int64(r))
				return
			}
		}
		c.reply.Null()
	})
	c.replyErr(err)
}

// ---- ranges ----

// lexBound is one end of a lexicographic range: "-", "+", "[x" or "(x".
type lexBound struct {
	inf  int // -1: "-", +1: "+", 0: a member
	excl bool
	v    []byte
}

func parseLexBound(b []byte) (lexBound, bool) {
	if len(b) == 0 {
		return lexBound{}, false
	}
	switch b[0] {
	case '-':
		if len(b) == 1 {
			return lexBound{inf: -1}, true
		}
	case '+':
		if len(b) == 1 {
			return lexBound{inf: 1}, true
		}
	case '(':
		return lexBound{excl: true, v: b[1:]}, true
	case '[':
		return lexBound{v: b[1:]}, true
	}
	return lexBound{}, false
}

// belowMin reports whether m sorts before the range that starts at b.
func (b lexBound) belowMin(m []byte) bool {
	switch b.inf {
	case -1:
		return false
	case 1:
		return true
	}
	c := bytes.Compare(m, b.v)
	return c < 0 || (c == 0 && b.excl)
}

// withinMax reports whether m is not past the range that ends at b.
func (b lexBound) withinMax(m []byte) bool {
	switch b.inf {
	case -1:
		return false
	case 1:
		return true
	}
	c := bytes.Compare(m, b.v)
	return c < 0 || (c == 0 && !b.excl)
}

// scoreRange is a range of scores with optionally exclusive ends.
type scoreRange struct {
	min, max     float64
	minEx, maxEx bool
}

func parseScoreRange(lo, hi []byte) (scoreRange, bool) {
	var r scoreRange
	var ok1, ok2 bool
	r.min, r.minEx, ok1 = parseScoreBound(lo)
	r.max, r.maxEx, ok2 = parseScoreBound(hi)
	return r, ok1 && ok2
}

func (r scoreRange) belowMin(s float64) bool { return s < r.min || (r.minEx && s == r.min) }
func (r scoreRange) withinMax(s float64) bool {
	return s < r.max || (!r.maxEx && s == r.max)
}

const (
	byRank = iota
	byScore
	byLex
)

// zrangeSpec is a parsed ZRANGE (or one of its older forms).
type zrangeSpec struct {
	by          int
	rev         bool
	withScores  bool
	offset      int64
	limit       int64 // -1: none
	start, stop int64
	score       scoreRange
	lexMin      lexBound
	lexMax      lexBound
}

// parseZRange parses the arguments of ZRANGE (and ZRANGESTORE, store true)
// from args[at] (min) on, the way Redis's zrangeGenericCommand does: by and
// rev preset for the older commands, auto (-1) for ZRANGE itself.
func parseZRange(c *Client, args [][]byte, at int, by int, rev int, store bool) (zrangeSpec, bool) {
	sp := zrangeSpec{limit: -1}
	for j := at + 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch {
		case !store && eqFold(args[j], "withscores"):
			sp.withScores = true
		case eqFold(args[j], "limit") && left >= 2:
			off, ok1 := cache.ParseInt(args[j+1])
			lim, ok2 := cache.ParseInt(args[j+2])
			if !ok1 || !ok2 {
				c.reply.Error(errNotInt)
				return sp, false
			}
			sp.offset, sp.limit = off, lim
			j += 2
		case rev < 0 && eqFold(args[j], "rev"):
			rev = 1
		case by < 0 && eqFold(args[j], "bylex"):
			by = byLex
		case by < 0 && eqFold(args[j], "byscore"):
			by = byScore
		default:
			c.reply.Error(errSyntax)
			return sp, false
		}
	}
	if by < 0 {
		by = byRank
	}
	sp.by, sp.rev = by, rev == 1
	if sp.limit != -1 && by == byRank {
		c.reply.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
		return sp, false
	}
	if sp.withScores && by == byLex {
		c.reply.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
		return sp, false
	}
	lo, hi := args[at], args[at+1]
	if sp.rev && by != byRank {
		lo, hi = hi, lo
	}
	switch by {
	case byRank:
		s, ok1 := cache.ParseInt(lo)
		e, ok2 := cache.ParseInt(hi)
		if !ok1 || !ok2 {
			c.reply.Error(errNotInt)
			return sp, false
		}
		sp.start, sp.stop = s, e
	case byScore:
		r, ok := parseScoreRange(lo, hi)
		if !ok {
			c.reply.Error(errScoreRange)
			return sp, false
		}
		sp.score = r
	case byLex:
		a, ok1 := parseLexBound(lo)
		b, ok2 := parseLexBound(hi)
		if !ok1 || !ok2 {
			c.reply.Error(errLexRange)
			return sp, false
		}
		sp.lexMin, sp.lexMax = a, b
	}
	return sp, true
}

// rankRange sanitizes start and stop (negative from the end) for a set of
// n members as Redis does; ok is false for an empty range.
func rankRange(start, stop int64, n int) (int, int, bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if stop < 0 {
		stop += ln
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= ln {
		return 0, 0, false
	}
	if stop >= ln {
		stop = ln - 1
	}
	return int(start), int(stop), true
}

// zrangeWalk calls fn with the members the spec selects, in reply order.
func zrangeWalk(z *object.ZSet, sp zrangeSpec, fn func(m []byte, s float64)) {
	n := z.Len()
	if sp.by == byRank {
		start, stop, ok := rankRange(sp.start, sp.stop, n)
		if !ok {
			return
		}
		cnt := stop - start + 1
		from := start
		if sp.rev {
			from = n - 1 - start
		}
		z.Walk(from, sp.rev, func(m []byte, s float64) bool {
			fn(m, s)
			cnt--
			return cnt > 0
		})
		return
	}
	offset, limit := sp.offset, sp.limit
	if offset < 0 || (offset > 0 && offset >= int64(n)) || limit == 0 {
		return
	}
	var from int
	var in func(m []byte, s float64) bool
	switch {
	case sp.by == byScore && !sp.rev:
		from = z.CountWhile(func(s float64, m []byte) bool { return sp.score.belowMin(s) })
		in = func(m []byte, s float64) bool { return sp.score.withinMax(s) }
	case sp.by == byScore:
		from = z.CountWhile(func(s float64, m []byte) bool { return sp.score.withinMax(s) }) - 1
		in = func(m []byte, s float64) bool { return !sp.score.belowMin(s) }
	case !sp.rev:
		from = z.CountWhile(func(s float64, m []byte) bool { return sp.lexMin.belowMin(m) })
		in = func(m []byte, s float64) bool { return sp.lexMax.withinMax(m) }
	default:
		from = z.CountWhile(func(s float64, m []byte) bool { return sp.lexMax.withinMax(m) }) - 1
		in = func(m []byte, s float64) bool { return !sp.lexMin.belowMin(m) }
	}
	if sp.rev {
		from -= int(offset)
	} else {
		from += int(offset)
	}
	z.Walk(from, sp.rev, func(m []byte, s float64) bool {
		if !in(m, s) {
			return false
		}
		fn(m, s)
		limit--
		return limit != 0
	})
}

// replyEntries writes scored entries: members only, or with scores (flat in
// RESP2, [member, score] pairs in RESP3 when nested is allowed).
func replyEntries(c *Client, es []object.Entry, withScores bool) {
	switch {
	case !withScores:
		c.reply.Array(len(es))
		for _, e := range es {
			c.reply.Bulk(e.Member)
		}
	case c.reply.proto > 2:
		c.reply.Array(len(es))
		for _, e := range es {
			c.reply.Array(2)
			c.reply.Bulk(e.Member)
			c.reply.Double(e.Score)
		}
	default:
		c.reply.Array(2 * len(es))
		for _, e := range es {
			c.reply.Bulk(e.Member)
			c.reply.Double(e.Score)
		}
	}
}

func zrangeCollect(z *object.ZSet, sp zrangeSpec) []object.Entry {
	var out []object.Entry
	zrangeWalk(z, sp, func(m []byte, s float64) {
		out = append(out, object.Entry{Member: append([]byte(nil), m...), Score: s})
	})
	return out
}

// zrangeReply replies straight from the set, with the shard locked: one
// walk counts the members for the array header, a second writes them (no
// copies).
func zrangeReply(c *Client, key []byte, sp zrangeSpec) {
	err := c.ks.ReadLookup().View(key, shard.KindZSet, func(o shard.Object, now int64) {
		z := asZSet(o)
		if z == nil {
			c.reply.Array(0)
			return
		}
		n := 0
		zrangeWalk(z, sp, func([]byte, float64) { n++ })
		switch {
		case sp.withScores && c.reply.proto == 2:
			c.reply.Array(2 * n)
		default:
			c.reply.Array(n)
		}
		zrangeWalk(z, sp, func(m []byte, s float64) {
			if !sp.withScores {
				c.reply.Bulk(m)
				return
			}
			if c.reply.proto > 2 {
				c.reply.Array(2)
			}
			c.reply.Bulk(m)
			c.reply.Double(s)
		})
	})
	c.replyErr(err)
}

func cmdZRange(c *Client, args [][]byte) {
	if sp, ok := parseZRange(c, args, 2, -1, -1, false); ok {
		zrangeReply(c, args[1], sp)
	}
}

func cmdZRevRange(c *Client, args [][]byte) {
	if sp, ok := parseZRange(c, args, 2, byRank, 1, false); ok {
		zrangeReply(c, args[1], sp)
	}
}

func cmdZRangeByScore(c *Client, args [][]byte) {
	rev := 0
	if eqFold(args[0], "zrevrangebyscore") {
		rev = 1
	}
	if sp, ok := parseZRange(c, args, 2, byScore, rev, false); ok {
		zrangeReply(c, args[1], sp)
	}
}

func cmdZRangeByLex(c *Client, args [][]byte) {
	rev := 0
	if eqFold(args[0], "zrevrangebylex") {
		rev = 1
	}
	if sp, ok := parseZRange(c, args, 2, byLex, rev, false); ok {
		zrangeReply(c, args[1], sp)
	}
}

func cmdZRangeStore(c *Client, args [][]byte) {
	sp, ok := parseZRange(c, args, 3, -1, -1, true)
	if !ok {
		return
	}
	c.ks.ReadLookup().Group(args[1:3], true, func(g *cache.KeyGroup) {
		o, err := g.Get(args[2], shard.KindZSet)
		if c.replyErr(err) {
			return
		}
		var es []object.Entry
		if z := asZSet(o); z != nil {
			es = zrangeCollect(z, sp)
		}
		// Redis sizes the result when the count is known (a rank range),
		// else starts it packed.
		dst := object.NewZSet(nil)
		if sp.by == byRank {
			dst = object.NewZSetSized(len(es), 0)
		}
		g.Store(args[1], zsetOf(dst, es), pubsub.ZSet, "zrangestore")
		c.reply.Int(int64(len(es)))
	})
}

// zsetOf fills z (a new sorted set) with es.
func zsetOf(z *object.ZSet, es []object.Entry) *object.ZSet {
	for _, e := range es {
		z.Set(e.Member, e.Score)
	}
	return z
}

// builtWhole is a new sorted set for es in the encoding Redis gives a
// result built whole (ZUNIONSTORE and its family, GEOSEARCHSTORE): packed
// if small enough.
func builtWhole(es []object.Entry) *object.ZSet {
	maxLen := 0
	for _, e := range es {
		maxLen = max(maxLen, len(e.Member))
	}
	return zsetOf(object.NewZSetSized(len(es), maxLen), es)
}

func cmdZCount(c *Client, args [][]byte) {
	r, ok := parseScoreRange(args[2], args[3])
	if !ok {
		c.reply.Error(errScoreRange)
		return
	}
	err := c.ks.ReadLookup().View(args[1], shard.KindZSet, func(o shard.Object, now int64) {
		n := 0
		if z := asZSet(o); z != nil {
			lo := z.CountWhile(func(s float64, m []byte) bool { return r.belowMin(s) })
			hi := z.CountWhile(func(s float64, m []byte) bool { return r.withinMax(s) })
			n = max(hi-lo, 0)
		}
		c.reply.Int(int64(n))
	})
	c.replyErr(err)
}

func cmdZLexCount(c *Client, args [][]byte) {
	a, ok1 := parseLexBound(args[2])
	b, ok2 := parseLexBound(args[3])
	if !ok1 || !ok2 {
		c.reply.Error(errLexRange)
		return
	}
	err := c.ks.ReadLookup().View(args[1], shard.KindZSet, func(o shard.Object, now int64) {
		n := 0
		if z := asZSet(o); z != nil {
			sp := zrangeSpec{by: byLex, limit: -1, lexMin: a, lexMax: b}
			zrangeWalk(z, sp, func([]byte, float64) { n++ })
		}
		c.reply.Int(int64(n))
	})
	c.replyErr(err)
}

func cmdZRemRange(c *Client, args [][]byte) {
	name := c.cmdName(args)
	sp := zrangeSpec{limit: -1}
	switch name {
	case "zremrangebyrank":
		s, ok1 := cache.ParseInt(args[2])
		e, ok2 := cache.ParseInt(args[3])
		if !ok1 || !ok2 {
			c.reply.Error(errNotInt)
			return
		}
		sp.by, sp.start, sp.stop = byRank, s, e
	case "zremrangebyscore":
		r, ok := parseScoreRange(args[2], args[3])
		if !ok {
			c.reply.Error(errScoreRange)
			return
		}
		sp.by, sp.score = byScore, r
	default:
		a, ok1 := parseLexBound(args[2])
		b, ok2 := parseLexBound(args[3])
		if !ok1 || !ok2 {
			c.reply.Error(errLexRange)
			return
		}
		sp.by, sp.lexMin, sp.lexMax = byLex, a, b
	}
	n := 0
	err := c.ks.Change(args[1], shard.KindZSet, nil, func(o shard.Object, now int64, emit cache.Emit) {
		z := asZSet(o)
		if z == nil {
			return
		}
		es := zrangeCollect(z, sp)
		var body []byte
		for _, e := range es {
			z.Remove(e.Member)
			body = persistence.AppendItem(body, e.Member)
		}
		n = len(es)
		if n > 0 {
			emit(object.OpZRem, body, 0)
			c.ks.Notify(pubsub.ZSet, name, c.ks.DB(), args[1])
		}
	})
	if !c.replyErr(err) {
		c.reply.Int(int64(n))
	}
}

// ---- pops ----

// ZPop pops up to count members (the lowest scores, or with max the
// highest) from the first non-empty sorted set of keys, for ZMPOP, and for
// BZPOPMIN, BZPOPMAX and BZMPOP once the blocking machinery serves them:
// it logs the removal (OpZRem) in the same record group as any other write
// of the caller. key is the key popped from (nil if all were missing);
// err is WRONGTYPE when a key before the first non-empty one holds another
// kind.
func ZPop(ks cache.Keyspace, keys [][]byte, count int, max bool) (key []byte, popped []object.Entry, err error) {
	ks.Group(keys, true, func(g *cache.KeyGroup) {
		for _, k := range keys {
			o, e := g.Get(k, shard.KindZSet)
			if e != nil {
				err = e
				return
			}
			if o == nil {
				continue
			}
			key = k
			g.Change(k, shard.KindZSet, nil, func(o shard.Object, emit cache.Emit) {
				popped = zpopLogged(asZSet(o), count, max, emit)
				notifyZPop(ks, k, max, len(popped))
			})
			return
		}
	})
	return key, popped, err
}

// notifyZPop records ZPOPMIN's (ZPOPMAX's with max) event when n members
// were popped from key; ZMPOP and the blocking pops send the same.
func notifyZPop(ks cache.Keyspace, key []byte, max bool, n int) {
	if n == 0 {
		return
	}
	event := "zpopmin"
	if max {
		event = "zpopmax"
	}
	ks.Notify(pubsub.ZSet, event, ks.DB(), key)
}

// zpopLogged pops from z and logs the members removed.
func zpopLogged(z *object.ZSet, count int, max bool, emit cache.Emit) []object.Entry {
	es := z.PopMin(count, max)
	var body []byte
	for _, e := range es {
		body = persistence.AppendItem(body, e.Member)
	}
	if len(es) > 0 {
		emit(object.OpZRem, body, 0)
	}
	return es
}

func cmdZPop(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.reply.Error(errSyntax)
		return
	}
	max := eqFold(args[0], "zpopmax")
	count := int64(-1)
	if len(args) == 3 {
		n, ok := cache.ParseInt(args[2])
		if !ok || n < 0 {
			c.reply.Error(errMustPositive)
			return
		}
		count = n
	}
	// The log record's body (the client's scratch, the log copies it)
	// holds the members popped; the entries alias it: no allocation per pop.
	es, body := c.zents[:0], c.buf[:0]
	err := c.ks.Change(args[1], shard.KindZSet, nil, func(o shard.Object, now int64, emit cache.Emit) {
		if z := asZSet(o); z != nil && count != 0 {
			z.PopMinFunc(int(min(max64(count, 1), math.MaxInt32)), max, func(m []byte, s float64) {
				body = persistence.AppendItem(body, m)
				es = append(es, object.Entry{Member: body[len(body)-len(m):], Score: s})
			})
			if len(es) > 0 {
				emit(object.OpZRem, body, 0)
			}
			notifyZPop(c.ks, args[1], max, len(es))
		}
	})
	switch {
	case c.replyErr(err):
	case count == -1: // one pop: a flat [member, score] in both protocols
		c.reply.Array(2 * len(es))
		for _, e := range es {
			c.reply.Bulk(e.Member)
			c.reply.Double(e.Score)
		}
	default:
		replyEntries(c, es, true)
	}
	c.keepBuf(body)
	if cap(es) <= 1024 {
		clear(es)
		c.zents = es[:0]
	}
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func cmdZMPop(c *Client, args [][]byte) {
	a, ok := parseZMPop(c, args, 1)
	if !ok {
		return
	}
	key, es, err := ZPop(c.ks, a.keys, a.count, a.max)
	if !c.replyErr(err) {
		replyZMPop(&c.reply, key, es)
	}
}

// zmpopArgs are ZMPOP's and BZMPOP's arguments after the timeout.
type zmpopArgs struct {
	keys  [][]byte
	max   bool
	count int
}

// parseZMPop parses "numkeys key... MIN|MAX [COUNT count]" at args[i:],
// answering Redis's errors itself.
func parseZMPop(c *Client, args [][]byte, i int) (zmpopArgs, bool) {
	var a zmpopArgs
	nk, ok := cache.ParseInt(args[i])
	if !ok || nk < 1 {
		c.reply.Error("ERR numkeys should be greater than 0")
		return a, false
	}
	if nk > int64(len(args)-i-2) {
		c.reply.Error(errSyntax)
		return a, false
	}
	a.keys = args[i+1 : i+1+int(nk)]
	wi := i + 1 + len(a.keys)
	switch {
	case eqFold(args[wi], "min"):
	case eqFold(args[wi], "max"):
		a.max = true
	default:
		c.reply.Error(errSyntax)
		return a, false
	}
	count := int64(-1)
	for j := wi + 1; j < len(args); j++ {
		if count == -1 && eqFold(args[j], "count") && j+1 < len(args) {
			j++
			n, ok := cache.ParseInt(args[j])
			if !ok || n < 1 {
				c.reply.Error("ERR count should be greater than 0")
				return a, false
			}
			count = n
			continue
		}
		c.reply.Error(errSyntax)
		return a, false
	}
	a.count = int(min(max64(count, 1), math.MaxInt32))
	return a, true
}

// replyZMPop writes ZMPOP's (and BZMPOP's) reply into r: [key, [[member,
// score], ...]], or a null array when nothing was popped (key nil). It
// takes a Reply, not a Client, so a blocked client's try (blocking.go) can
// use it.
func replyZMPop(r *Reply, key []byte, es []object.Entry) {
	if key == nil {
		r.NullArray()
		return
	}
	r.Array(2)
	r.Bulk(key)
	r.Array(len(es))
	for _, e := range es {
		r.Array(2)
		r.Bulk(e.Member)
		r.Double(e.Score)
	}
}

// replyBZPop writes BZPOPMIN's and BZPOPMAX's reply for a served pop into
// r: [key, member, score] (the score a double in RESP3).
func replyBZPop(r *Reply, key []byte, e object.Entry) {
	r.Array(3)
	r.Bulk(key)
	r.Bulk(e.Member)
	r.Double(e.Score)
}

// ---- random ----

func cmdZRandMember(c *Client, args [][]byte) {
	if len(args) == 2 {
		err := c.ks.ReadLookup().View(args[1], shard.KindZSet, func(o shard.Object, now int64) {
			z := asZSet(o)
			if z == nil {
				c.reply.Null()
				return
			}
			c.reply.Bulk(z.Random(1)[0].Member)
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
	if len(args) > 4 || (len(args) == 4 && !eqFold(args[3], "withscores")) {
		c.reply.Error(errSyntax)
		return
	}
	withScores := len(args) == 4
	if withScores && (count < -math.MaxInt64/2 || count > math.MaxInt64/2) {
		c.reply.Error("ERR value is out of range")
		return
	}
	err := c.ks.ReadLookup().View(args[1], shard.KindZSet, func(o shard.Object, now int64) {
		z := asZSet(o)
		if z == nil || count == 0 {
			c.reply.Array(0)
			return
		}
		if count < -maxRandomCount {
			randomCountRefused(c, -count)
			return
		}
		replyEntries(c, z.Random(count), withScores)
	})
	c.replyErr(err)
}

// ---- ZUNION, ZINTER, ZDIFF ----

const (
	setUnion = iota
	setInter
	setDiff
)

// zstoreEvents are the keyspace events of ZUNIONSTORE, ZINTERSTORE and
// ZDIFFSTORE, by op.
var zstoreEvents = [...]string{setUnion: "zunionstore", setInter: "zinterstore", setDiff: "zdiffstore"}

const (
	aggSum = iota
	aggMin
	aggMax
)

// zsrc is one input of ZUNION/ZINTER/ZDIFF: a sorted set, or a plain set
// whose members all score 1.
type zsrc struct {
	z *object.ZSet
	s *object.Set
	w float64
}

func (x zsrc) len() int {
	switch {
	case x.z != nil:
		return x.z.Len()
	case x.s != nil:
		return x.s.Len()
	}
	return 0
}

func (x zsrc) score(m []byte) (float64, bool) {
	switch {
	case x.z != nil:
		return x.z.Score(m)
	case x.s != nil:
		return 1, x.s.Has(m)
	}
	return 0, false
}

func (x zsrc) each(fn func(m []byte, s float64)) {
	switch {
	case x.z != nil:
		x.z.Walk(0, false, func(m []byte, s float64) bool { fn(m, s); return true })
	case x.s != nil:
		x.s.Range(func(m []byte) bool { fn(m, 1); return true })
	}
}

func aggregate(agg int, target *float64, v float64) {
	switch agg {
	case aggSum:
		*target += v
		if math.IsNaN(*target) {
			*target = 0
		}
	case aggMin:
		if v < *target {
			*target = v
		}
	default:
		if v > *target {
			*target = v
		}
	}
}

func weighted(w, s float64) float64 {
	v := w * s
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// zsetOpArgs are the parsed arguments of ZUNION/ZINTER/ZDIFF, their STORE
// forms and ZINTERCARD.
type zsetOpArgs struct {
	keys       [][]byte
	weights    []float64
	agg        int
	withScores bool
	limit      int64
}

// zsetOp runs one of the commands; dst is the STORE destination (nil if
// none), cardOnly ZINTERCARD. numkeys is at args[ni].
func zsetOp(c *Client, args [][]byte, ni int, op int, dst []byte, cardOnly bool) {
	n, ok := cache.ParseInt(args[ni])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	if n < 1 {
		c.reply.Error("ERR at least 1 input key is needed for '" + c.cmdName(args) + "' command")
		return
	}
	if n > int64(len(args)-ni-1) {
		c.reply.Error(errSyntax)
		return
	}
	keys := args[ni+1 : ni+1+int(n)]
	lockKeys := keys
	if dst != nil {
		lockKeys = append([][]byte{dst}, keys...)
	}
	c.ks.ReadLookup().Group(lockKeys, dst != nil, func(g *cache.KeyGroup) {
		srcs := make([]zsrc, len(keys))
		for i, k := range keys {
			o, err := g.Get(k, shard.KindZSet)
			if err != nil {
				so, err2 := g.Get(k, shard.KindSet)
				if err2 != nil {
					c.reply.Error(err2.Error())
					return
				}
				srcs[i].s = asSet(so)
			} else {
				srcs[i].z = asZSet(o)
			}
			srcs[i].w = 1
		}
		a := zsetOpArgs{keys: keys}
		for j := ni + 1 + len(keys); j < len(args); {
			left := len(args) - j
			switch {
			case op != setDiff && !cardOnly && left >= len(keys)+1 && eqFold(args[j], "weights"):
				j++
				for i := range srcs {
					w, ok := parseDouble(args[j])
					if !ok {
						c.reply.Error("ERR weight value is not a float")
						return
					}
					srcs[i].w = w
					j++
				}
			case op != setDiff && !cardOnly && left >= 2 && eqFold(args[j], "aggregate"):
				switch {
				case eqFold(args[j+1], "sum"):
					a.agg = aggSum
				case eqFold(args[j+1], "min"):
					a.agg = aggMin
				case eqFold(args[j+1], "max"):
					a.agg = aggMax
				default:
					c.reply.Error(errSyntax)
					return
				}
				j += 2
			case dst == nil && !cardOnly && eqFold(args[j], "withscores"):
				a.withScores = true
				j++
			case cardOnly && left >= 2 && eqFold(args[j], "limit"):
				l, ok := cache.ParseInt(args[j+1])
				if !ok || l < 0 {
					c.reply.Error("ERR LIMIT can't be negative")
					return
				}
				a.limit = l
				j += 2
			default:
				c.reply.Error(errSyntax)
				return
			}
		}
		if cardOnly {
			c.reply.Int(zinterCard(srcs, a.limit))
			return
		}
		es := zsetCompute(srcs, op, a.agg)
		if dst != nil {
			g.Store(dst, builtWhole(es), pubsub.ZSet, zstoreEvents[op])
			c.reply.Int(int64(len(es)))
			return
		}
		replyEntries(c, es, a.withScores)
	})
}

// bySize is srcs sorted by cardinality, stable (the order Redis
// accumulates scores in).
func bySize(srcs []zsrc) []zsrc {
	out := append([]zsrc(nil), srcs...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].len() < out[j-1].len(); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// zsetCompute is the result of a union, intersection or difference, in
// order.
func zsetCompute(srcs []zsrc, op int, agg int) []object.Entry {
	res := map[string]float64{}
	var order []string
	switch op {
	case setUnion:
		for _, x := range bySize(srcs) {
			x.each(func(m []byte, s float64) {
				v := weighted(x.w, s)
				if cur, ok := res[string(m)]; ok {
					aggregate(agg, &cur, v)
					res[string(m)] = cur
					return
				}
				res[string(m)] = v
				order = append(order, string(m))
			})
		}
	case setInter:
		ss := bySize(srcs)
		if ss[0].len() == 0 {
			return nil
		}
		ss[0].each(func(m []byte, s float64) {
			score := weighted(ss[0].w, s)
			for _, x := range ss[1:] {
				v, ok := x.score(m)
				if !ok {
					return
				}
				// as Redis: only the first weighted score has NaN made 0;
				// a NaN here resets a sum to 0 and leaves MIN/MAX alone
				aggregate(agg, &score, v*x.w)
			}
			res[string(m)] = score
			order = append(order, string(m))
		})
	default:
		if srcs[0].len() == 0 {
			return nil
		}
		srcs[0].each(func(m []byte, s float64) {
			for _, x := range srcs[1:] {
				if _, ok := x.score(m); ok {
					return
				}
			}
			res[string(m)] = s
			order = append(order, string(m))
		})
	}
	es := make([]object.Entry, len(order))
	for i, m := range order {
		es[i] = object.Entry{Member: []byte(m), Score: res[m]}
	}
	sortEntries(es)
	return es
}

func sortEntries(es []object.Entry) {
	slices.SortFunc(es, func(a, b object.Entry) int {
		switch {
		case a.Score < b.Score:
			return -1
		case a.Score > b.Score:
			return 1
		}
		return bytes.Compare(a.Member, b.Member)
	})
}

func zinterCard(srcs []zsrc, limit int64) int64 {
	ss := bySize(srcs)
	n := int64(0)
	if ss[0].len() == 0 {
		return 0
	}
	stop := false
	ss[0].each(func(m []byte, s float64) {
		if stop {
			return
		}
		for _, x := range ss[1:] {
			if _, ok := x.score(m); !ok {
				return
			}
		}
		n++
		if limit > 0 && n >= limit {
			stop = true
		}
	})
	return n
}

func cmdZUnion(c *Client, args [][]byte)      { zsetOp(c, args, 1, setUnion, nil, false) }
func cmdZInter(c *Client, args [][]byte)      { zsetOp(c, args, 1, setInter, nil, false) }
func cmdZDiff(c *Client, args [][]byte)       { zsetOp(c, args, 1, setDiff, nil, false) }
func cmdZUnionStore(c *Client, args [][]byte) { zsetOp(c, args, 2, setUnion, args[1], false) }
func cmdZInterStore(c *Client, args [][]byte) { zsetOp(c, args, 2, setInter, args[1], false) }
func cmdZDiffStore(c *Client, args [][]byte)  { zsetOp(c, args, 2, setDiff, args[1], false) }
func cmdZInterCard(c *Client, args [][]byte)  { zsetOp(c, args, 1, setInter, nil, true) }

// ---- ZSCAN ----

func cmdZScan(c *Client, args [][]byte) {
	if _, ok := parseScanCursor(args[2]); !ok {
		c.reply.Error(errBadCursor)
		return
	}
	err := c.ks.ReadLookup().View(args[1], shard.KindZSet, func(o shard.Object, now int64) {
		z := asZSet(o)
		if z == nil {
			replyEmptyScan(c)
			return
		}
		sa, ok := parseScanArgs(c, args, 2)
		if !ok {
			return
		}
		var items [][]byte
		next := z.Scan(sa.cursor, sa.count, func(m []byte, s float64) {
			if sa.match == nil || glob.Match(sa.match, m, false) {
				items = append(items, append([]byte(nil), m...), formatScore(s))
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

// formatScore is a score as Redis prints it in a bulk string (%.17g).
func formatScore(s float64) []byte {
	switch {
	case math.IsInf(s, 1):
		return []byte("inf")
	case math.IsInf(s, -1):
		return []byte("-inf")
	case s == math.Trunc(s) && math.Abs(s) < 1<<53 && (s != 0 || !math.Signbit(s)):
		return strconv.AppendInt(nil, int64(s), 10)
	}
	return strconv.AppendFloat(nil, s, 'g', 17, 64)
}
