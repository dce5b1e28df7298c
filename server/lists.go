package server

import (
	"math"
	"strconv"

	"fastcache/cache"
	"fastcache/object"
	"fastcache/persistence"
	"fastcache/pubsub"
	"fastcache/shard"
)

// List commands, Redis 7.0's set, with their blocking forms (blocking.go).
// Each runs on Keyspace.View/Change with the shard locked and logs its
// effect: pops log how many elements left which end, LSET and LINSERT the
// resolved index, LTRIM the counts cut from each end, LREM itself (it is
// deterministic on the same list).

func init() {
	const w, r, oom, fast, blk = flagWrite, flagReadOnly, flagDenyOOM, flagFast, flagBlocking
	l := func(name string, arity int, f flags, first, last int, since, summary, complexity, args string, fn func(*Client, [][]byte)) *Command {
		step := 1
		if first == 0 {
			step = 0
		}
		return &Command{Name: name, Arity: arity, Flags: f, FirstKey: first, LastKey: last, Step: step, Group: "list",
			Since: since, Summary: summary, Complexity: complexity, Args: args, Handler: fn}
	}
	const o1 = "O(1)"
	const pushC = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."
	const popC = "O(N) where N is the number of elements returned"
	const dir = "wherefrom=(LEFT|RIGHT) whereto=(LEFT|RIGHT)"
	const mpopC = "O(N+M) where N is the number of provided keys and M is the number of elements returned."
	register(
		l("lpush", -3, w|oom|fast, 1, 1, "1.0.0", "Prepends one or more elements to a list. Creates the key if it doesn't exist.", pushC, "key:key element:string...", cmdLPush),
		l("rpush", -3, w|oom|fast, 1, 1, "1.0.0", "Appends one or more elements to a list. Creates the key if it doesn't exist.", pushC, "key:key element:string...", cmdRPush),
		l("lpushx", -3, w|oom|fast, 1, 1, "2.2.0", "Prepends one or more elements to a list only when the list exists.", pushC, "key:key element:string...", cmdLPushX),
		l("rpushx", -3, w|oom|fast, 1, 1, "2.2.0", "Appends an element to a list only when the list exists.", pushC, "key:key element:string...", cmdRPushX),
		l("lpop", -2, w|fast, 1, 1, "1.0.0", "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.", popC, "key:key [count:integer]", cmdLPop),
		l("rpop", -2, w|fast, 1, 1, "1.0.0", "Returns and removes the last elements of a list. Deletes the list if the last element was popped.", popC, "key:key [count:integer]", cmdRPop),
		l("llen", 2, r|fast, 1, 1, "1.0.0", "Returns the length of a list.", o1, "key:key", cmdLLen),
		l("lrange", 4, r, 1, 1, "1.0.0", "Returns a range of elements from a list.", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", "key:key start:integer stop:integer", cmdLRange),
		l("lindex", 3, r, 1, 1, "1.0.0", "Returns an element from a list by its index.", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", "key:key index:integer", cmdLIndex),
		l("lset", 4, w|oom, 1, 1, "1.0.0", "Sets the value of an element in a list by its index.", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", "key:key index:integer element:string", cmdLSet),
		l("linsert", 5, w|oom, 1, 1, "2.2.0", "Inserts an element before or after another element in a list.", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", "key:key where=(BEFORE|AFTER) pivot:string element:string", cmdLInsert),
		l("lrem", 4, w, 1, 1, "1.0.0", "Removes elements from a list. Deletes the list if the last element was removed.", "O(N+M) where N is the length of the list and M is the number of elements removed.", "key:key count:integer element:string", cmdLRem),
		l("ltrim", 4, w, 1, 1, "1.0.0", "Removes elements from both ends a list. Deletes the list if all elements were trimmed.", "O(N) where N is the number of elements to be removed by the operation.", "key:key start:integer stop:integer", cmdLTrim),
		l("lpos", -3, r, 1, 1, "6.0.6", "Returns the index of matching elements in a list.", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", "key:key element:string [RANK rank:integer] [COUNT num-matches:integer] [MAXLEN len:integer]", cmdLPos),
		l("lmove", 5, w|oom, 1, 2, "6.2.0", "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.", o1, "source:key destination:key "+dir, cmdLMove),
		l("rpoplpush", 3, w|oom, 1, 2, "1.2.0", "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.", o1, "source:key destination:key", cmdRPopLPush),
		l("lmpop", -4, w, 0, 0, "7.0.0", "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.", mpopC, "numkeys:integer key:key... where=(LEFT|RIGHT) [COUNT count:integer]", cmdLMPop),
		l("blpop", -3, w|blk, 1, -2, "2.0.0", "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", "O(N) where N is the number of provided keys.", "key:key... timeout:double", cmdBLPop),
		l("brpop", -3, w|blk, 1, -2, "2.0.0", "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", "O(N) where N is the number of provided keys.", "key:key... timeout:double", cmdBRPop),
		l("blmove", 6, w|oom|blk, 1, 2, "6.2.0", "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.", o1, "source:key destination:key "+dir+" timeout:double", cmdBLMove),
		l("brpoplpush", 4, w|oom|blk, 1, 2, "2.2.0", "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.", o1, "source:key destination:key timeout:double", cmdBRPopLPush),
		l("blmpop", -5, w|blk, 0, 0, "7.0.0", "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", mpopC, "timeout:double numkeys:integer key:key... where=(LEFT|RIGHT) [COUNT count:integer]", cmdBLMPop),
	)
}

const (
	errMustBePositive = "ERR value is out of range, must be positive"
	errNoSuchKey      = "ERR no such key"
	errIndexRange     = "ERR index out of range"
)

func newList() shard.Object { return object.NewList() }

func asList(o shard.Object) *object.List {
	if o == nil {
		return nil
	}
	return o.(*object.List)
}

// ---- pushes ----

func cmdLPush(c *Client, args [][]byte)  { listPush(c, args, true, false) }
func cmdRPush(c *Client, args [][]byte)  { listPush(c, args, false, false) }
func cmdLPushX(c *Client, args [][]byte) { listPush(c, args, true, true) }
func cmdRPushX(c *Client, args [][]byte) { listPush(c, args, false, true) }

func listPush(c *Client, args [][]byte, head, onlyExisting bool) {
	body := c.buf[:0]
	for _, v := range args[2:] {
		body = persistence.AppendItem(body, v)
	}
	n, err := c.ks.ListPush(args[1], args[2:], head, onlyExisting, body)
	c.keepBuf(body)
	if !c.replyErr(err) {
		c.reply.Int(int64(n))
	}
}

// bulkEntry writes a list element as stored (object.List.RangeEntries).
func (r *Reply) bulkEntry(s []byte, iv int64, isInt bool) {
	if isInt {
		var num [20]byte
		r.Bulk(strconv.AppendInt(num[:0], iv, 10))
		return
	}
	r.Bulk(s)
}

// keepBuf keeps b as the client's scratch buffer unless it grew large.
func (c *Client) keepBuf(b []byte) {
	if cap(b) <= 64<<10 {
		c.buf = b[:0]
	}
}

// ---- pops ----

// popList pops up to count elements from one end of the list at key; when
// the list exists and is not empty, head(n) writes the start of the reply
// and every element popped follows as a bulk string. found is false when
// the key is missing (or not a list: err).
func popList(ks cache.Keyspace, key []byte, left bool, count int64, r *Reply, head func(n int)) (found bool, err error) {
	return ks.ListPop(key, left, count, head, r.bulkEntry)
}

func cmdLPop(c *Client, args [][]byte) { listPopCmd(c, args, true) }
func cmdRPop(c *Client, args [][]byte) { listPopCmd(c, args, false) }

func listPopCmd(c *Client, args [][]byte, left bool) {
	if len(args) > 3 {
		c.reply.Error(errWrongArgs(c.cmdName(args)))
		return
	}
	count := int64(-1)
	if len(args) == 3 {
		n, ok := cache.ParseInt(args[2])
		if !ok || n < 0 {
			c.reply.Error(errMustBePositive)
			return
		}
		count = n
	}
	if count == 0 {
		// Redis answers at once: a null array for a missing key, an empty
		// one for a list, WRONGTYPE for another type
		err := c.ks.View(args[1], shard.KindList, func(o shard.Object, now int64) {
			if o == nil {
				c.reply.NullArray()
				return
			}
			c.reply.Array(0)
		})
		c.replyErr(err)
		return
	}
	n := max(count, 1)
	found, err := popList(c.ks, args[1], left, n, &c.reply, func(k int) {
		if count > 0 {
			c.reply.Array(k)
		}
	})
	if c.replyErr(err) || found {
		return
	}
	if count > 0 {
		c.reply.NullArray()
	} else {
		c.reply.Null()
	}
}

// ---- reads ----

func cmdLLen(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindList, func(o shard.Object, now int64) {
		if l := asList(o); l != nil {
			c.reply.Int(int64(l.Len()))
			return
		}
		c.reply.Int(0)
	})
	c.replyErr(err)
}

// LINDEX key index: the key first (missing: nil; another type: WRONGTYPE),
// then the index, as Redis 7.0.
func cmdLIndex(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindList, func(o shard.Object, now int64) {
		if l := asList(o); l != nil {
			idx, ok := cache.ParseInt(args[2])
			if !ok {
				c.reply.Error(errNotInt)
				return
			}
			var num [20]byte
			if v, ok := l.Index(idx, &num); ok {
				c.reply.Bulk(v)
				return
			}
		}
		c.reply.Null()
	})
	c.replyErr(err)
}

// listRange resolves LRANGE/LTRIM-style indexes (negative from the tail)
// against a list of n elements: ok is false when the range is empty.
func listRange(start, stop int64, n int) (int, int, bool) {
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

func cmdLRange(c *Client, args [][]byte) {
	start, ok1 := cache.ParseInt(args[2])
	stop, ok2 := cache.ParseInt(args[3])
	if !ok1 || !ok2 {
		c.reply.Error(errNotInt)
		return
	}
	err := c.ks.ReadLookup().View(args[1], shard.KindList, func(o shard.Object, now int64) {
		l := asList(o)
		if l == nil {
			c.reply.Array(0)
			return
		}
		a, b, ok := listRange(start, stop, l.Len())
		if !ok {
			c.reply.Array(0)
			return
		}
		c.reply.Array(b - a + 1)
		l.RangeEntries(a, b, func(s []byte, iv int64, isInt bool) bool { c.reply.bulkEntry(s, iv, isInt); return true })
	})
	c.replyErr(err)
}

func cmdLPos(c *Client, args [][]byte) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for i := 3; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.reply.Error(errSyntax)
			return
		}
		opt, val := args[i], args[i+1]
		switch {
		case eqFold(opt, "rank"):
			n, ok := cache.ParseInt(val)
			if !ok {
				c.reply.Error(errNotInt)
				return
			}
			if n == 0 {
				c.reply.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
				return
			}
			rank = n
		case eqFold(opt, "count"):
			n, ok := cache.ParseInt(val)
			if !ok || n < 0 {
				c.reply.Error("ERR COUNT can't be negative")
				return
			}
			count = n
		case eqFold(opt, "maxlen"):
			n, ok := cache.ParseInt(val)
			if !ok || n < 0 {
				c.reply.Error("ERR MAXLEN can't be negative")
				return
			}
			maxlen = n
		default:
			c.reply.Error(errSyntax)
			return
		}
	}
	err := c.ks.ReadLookup().View(args[1], shard.KindList, func(o shard.Object, now int64) {
		l := asList(o)
		if l == nil {
			if count >= 0 {
				c.reply.Array(0)
			} else {
				c.reply.Null()
			}
			return
		}
		want := count
		if rank == math.MinInt64 {
			// Redis negates the rank in a long long: every match then
			// counts, from the tail, and COUNT never stops the scan
			rank, want = -1, 0
		}
		if count < 0 {
			found := -1
			l.Positions(args[2], rank, maxlen, func(i int) bool { found = i; return false })
			if found < 0 {
				c.reply.Null()
			} else {
				c.reply.Int(int64(found))
			}
			return
		}
		var idx []int
		l.Positions(args[2], rank, maxlen, func(i int) bool {
			idx = append(idx, i)
			return want == 0 || int64(len(idx)) < want
		})
		c.reply.Array(len(idx))
		for _, i := range idx {
			c.reply.Int(int64(i))
		}
	})
	c.replyErr(err)
}

// ---- changes in place ----

func cmdLSet(c *Client, args [][]byte) {
	var fail string
	err := c.ks.Change(args[1], shard.KindList, nil, func(o shard.Object, now int64, emit cache.Emit) {
		l := asList(o)
		if l == nil {
			fail = errNoSuchKey
			return
		}
		idx, ok := cache.ParseInt(args[2])
		if !ok {
			fail = errNotInt
			return
		}
		if !l.Set(idx, args[3]) {
			fail = errIndexRange
			return
		}
		if idx < 0 {
			idx += int64(l.Len()) // logged resolved
		}
		emit(object.OpLSet, persistence.AppendItem(c.buf[:0], args[3]), idx)
		c.ks.Notify(pubsub.List, "lset", c.ks.DB(), args[1])
	})
	switch {
	case c.replyErr(err):
	case fail != "":
		c.reply.Error(fail)
	default:
		c.reply.OK()
	}
}

func cmdLInsert(c *Client, args [][]byte) {
	var after bool
	switch {
	case eqFold(args[2], "after"):
		after = true
	case eqFold(args[2], "before"):
	default:
		c.reply.Error(errSyntax)
		return
	}
	res := int64(0)
	err := c.ks.Change(args[1], shard.KindList, nil, func(o shard.Object, now int64, emit cache.Emit) {
		l := asList(o)
		if l == nil {
			return
		}
		i := l.Find(args[3])
		if i < 0 {
			res = -1
			return
		}
		if after {
			i++
		}
		l.InsertAt(i, args[4])
		emit(object.OpLInsert, persistence.AppendItem(c.buf[:0], args[4]), int64(i))
		c.ks.Notify(pubsub.List, "linsert", c.ks.DB(), args[1])
		res = int64(l.Len())
	})
	if !c.replyErr(err) {
		c.reply.Int(res)
	}
}

func cmdLRem(c *Client, args [][]byte) {
	count, ok := cache.ParseInt(args[2])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	var removed int64
	err := c.ks.Change(args[1], shard.KindList, nil, func(o shard.Object, now int64, emit cache.Emit) {
		l := asList(o)
		if l == nil {
			return
		}
		if removed = l.Remove(count, args[3]); removed > 0 {
			emit(object.OpLRem, persistence.AppendItem(c.buf[:0], args[3]), count)
			c.ks.Notify(pubsub.List, "lrem", c.ks.DB(), args[1])
		}
	})
	if !c.replyErr(err) {
		c.reply.Int(removed)
	}
}

func cmdLTrim(c *Client, args [][]byte) {
	start, ok1 := cache.ParseInt(args[2])
	stop, ok2 := cache.ParseInt(args[3])
	if !ok1 || !ok2 {
		c.reply.Error(errNotInt)
		return
	}
	err := c.ks.Change(args[1], shard.KindList, nil, func(o shard.Object, now int64, emit cache.Emit) {
		l := asList(o)
		if l == nil {
			return
		}
		n := l.Len()
		head, tail := n, 0
		if a, b, ok := listRange(start, stop, n); ok {
			head, tail = a, n-b-1
		}
		if head+tail == 0 {
			c.ks.Notify(pubsub.List, "ltrim", c.ks.DB(), args[1]) // Redis notifies a no-op LTRIM too
			return
		}
		l.DropHead(min(head, n))
		l.DropTail(min(tail, l.Len()))
		emit(object.OpLTrim, persistence.AppendItem(c.buf[:0], strconv.AppendInt(nil, int64(tail), 10)), int64(head))
		c.ks.Notify(pubsub.List, "ltrim", c.ks.DB(), args[1])
	})
	if !c.replyErr(err) {
		c.reply.OK()
	}
}

// ---- moves ----

// parseWhere reads LEFT or RIGHT.
func parseWhere(b []byte) (left, ok bool) {
	switch {
	case eqFold(b, "left"):
		return true, true
	case eqFold(b, "right"):
		return false, true
	}
	return false, false
}

func cmdLMove(c *Client, args [][]byte) {
	fromLeft, ok1 := parseWhere(args[3])
	toLeft, ok2 := parseWhere(args[4])
	if !ok1 || !ok2 {
		c.reply.Error(errSyntax)
		return
	}
	listMove(c, args[1], args[2], fromLeft, toLeft)
}

func cmdRPopLPush(c *Client, args [][]byte) { listMove(c, args[1], args[2], false, true) }

func listMove(c *Client, src, dst []byte, fromLeft, toLeft bool) {
	found, err := c.ks.ListMove(src, dst, !fromLeft, !toLeft, func(v []byte) { c.reply.Bulk(v) })
	if !c.replyErr(err) && !found {
		c.reply.Null()
	}
}

// mpopArgs are LMPOP's and BLMPOP's arguments after the timeout.
type mpopArgs struct {
	keys  [][]byte
	left  bool
	count int64
}

// parseMPop parses "numkeys key... LEFT|RIGHT [COUNT count]" at args[i:].
func parseMPop(c *Client, args [][]byte, i int) (mpopArgs, bool) {
	var a mpopArgs
	n, ok := cache.ParseInt(args[i])
	if !ok || n <= 0 {
		c.reply.Error("ERR numkeys should be greater than 0")
		return a, false
	}
	if n > int64(len(args)-i-2) {
		c.reply.Error(errSyntax)
		return a, false
	}
	a.keys = args[i+1 : i+1+int(n)]
	j := i + 1 + int(n)
	left, ok := parseWhere(args[j])
	if !ok {
		c.reply.Error(errSyntax)
		return a, false
	}
	a.left, a.count = left, 1
	j++
	counted := false
	for ; j < len(args); j++ {
		if eqFold(args[j], "count") && j+1 < len(args) && !counted {
			n, ok := cache.ParseInt(args[j+1])
			if !ok || n <= 0 {
				c.reply.Error("ERR count should be greater than 0")
				return a, false
			}
			a.count, counted = n, true
			j++
			continue
		}
		c.reply.Error(errSyntax)
		return a, false
	}
	return a, true
}

// mpop pops from the first non-empty list of a.keys into r ([key,
// [elements]]); false if they are all empty.
func mpop(ks cache.Keyspace, a *mpopArgs, r *Reply) (bool, error) {
	for _, k := range a.keys {
		found, err := popList(ks, k, a.left, a.count, r, func(n int) {
			r.Array(2)
			r.Bulk(k)
			r.Array(n)
		})
		if err != nil || found {
			return found, err
		}
	}
	return false, nil
}

func cmdLMPop(c *Client, args [][]byte) {
	a, ok := parseMPop(c, args, 1)
	if !ok {
		return
	}
	found, err := mpop(c.ks, &a, &c.reply)
	if !c.replyErr(err) && !found {
		c.reply.NullArray()
	}
}

// ---- blocking forms ----

func cmdBLPop(c *Client, args [][]byte) { blockingPop(c, args, true) }
func cmdBRPop(c *Client, args [][]byte) { blockingPop(c, args, false) }

// blockingPop is BLPOP and BRPOP: [key, element] from the first non-empty
// list, else block on all of them.
func blockingPop(c *Client, args [][]byte, left bool) {
	timeout, ok := parseBlockTimeout(c, args[len(args)-1])
	if !ok {
		return
	}
	keys := args[1 : len(args)-1]
	for _, k := range keys {
		found, err := popList(c.ks, k, left, 1, &c.reply, func(int) {
			c.reply.Array(2)
			c.reply.Bulk(k)
		})
		if c.replyErr(err) || found {
			return
		}
	}
	if !c.mayBlock() {
		c.reply.NullArray()
		return
	}
	c.block(keys, timeout, func(ks cache.Keyspace, key []byte, r *Reply) blockResult {
		found, err := popList(ks, key, left, 1, r, func(int) {
			r.Array(2)
			r.Bulk(key)
		})
		if err != nil || !found {
			return notServed(err)
		}
		return blockServed
	})
}

func cmdBLMove(c *Client, args [][]byte) {
	fromLeft, ok1 := parseWhere(args[3])
	toLeft, ok2 := parseWhere(args[4])
	if !ok1 || !ok2 {
		c.reply.Error(errSyntax)
		return
	}
	blockingMove(c, args[1], args[2], fromLeft, toLeft, args[5])
}

func cmdBRPopLPush(c *Client, args [][]byte) {
	blockingMove(c, args[1], args[2], false, true, args[3])
}

func blockingMove(c *Client, src, dst []byte, fromLeft, toLeft bool, timeoutArg []byte) {
	timeout, ok := parseBlockTimeout(c, timeoutArg)
	if !ok {
		return
	}
	found, err := c.ks.ListMove(src, dst, !fromLeft, !toLeft, func(v []byte) { c.reply.Bulk(v) })
	if c.replyErr(err) || found {
		return
	}
	if !c.mayBlock() {
		c.reply.Null()
		return
	}
	dst = append([]byte(nil), dst...)
	c.block([][]byte{src}, timeout, func(ks cache.Keyspace, key []byte, r *Reply) blockResult {
		found, err := ks.ListMove(key, dst, !fromLeft, !toLeft, func(v []byte) { r.Bulk(v) })
		if err == cache.ErrWrongTypeDst {
			// the destination is no list: the waiter gets the error, the
			// element stays (Redis 7.0)
			r.Err(err)
			return blockServed
		}
		if err != nil || !found {
			return notServed(err)
		}
		return blockServed
	})
}

func cmdBLMPop(c *Client, args [][]byte) {
	timeout, ok := parseBlockTimeout(c, args[1])
	if !ok {
		return
	}
	a, ok := parseMPop(c, args, 2)
	if !ok {
		return
	}
	found, err := mpop(c.ks, &a, &c.reply)
	if c.replyErr(err) || found {
		return
	}
	if !c.mayBlock() {
		c.reply.NullArray()
		return
	}
	left, count := a.left, a.count
	c.block(a.keys, timeout, func(ks cache.Keyspace, key []byte, r *Reply) blockResult {
		found, err := popList(ks, key, left, count, r, func(n int) {
			r.Array(2)
			r.Bulk(key)
			r.Array(n)
		})
		if err != nil || !found {
			return notServed(err)
		}
		return blockServed
	})
}
