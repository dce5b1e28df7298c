package server

// Blocking pops of sorted sets: BZPOPMIN, BZPOPMAX and BZMPOP, on the
// blocking machinery of blocking.go (the same queues, wake-ups, timeouts
// and CLIENT UNBLOCK as BLPOP). A served pop is logged as the removal of
// the members it returned (ZPop), like ZPOPMIN's.

import (
	"fastcache/cache"
)

func init() {
	const w, blk = flagWrite, flagBlocking
	z := func(name string, arity int, first, last int, since, summary, complexity, args string, fn func(*Client, [][]byte)) *Command {
		f := w | blk
		if first > 0 {
			f |= flagFast // BZPOPMIN and BZPOPMAX, as Redis flags them
		}
		return &Command{Name: name, Arity: arity, Flags: f, FirstKey: first, LastKey: last, Step: 1, Group: "sorted-set",
			Since: since, Summary: summary, Complexity: complexity, Args: args, Handler: fn}
	}
	register(
		z("bzpopmin", -3, 1, -2, "5.0.0", "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", "O(log(N)) with N being the number of elements in the sorted set.", "key:key... timeout:double", cmdBZPop),
		z("bzpopmax", -3, 1, -2, "5.0.0", "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.", "O(log(N)) with N being the number of elements in the sorted set.", "key:key... timeout:double", cmdBZPop),
		z("bzmpop", -5, 0, 0, "7.0.0", "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", "timeout:double numkeys:integer key:key... where=(MIN|MAX) [COUNT count:integer]", cmdBZMPop),
	)
}

// cmdBZPop is BZPOPMIN and BZPOPMAX: [key, member, score] from the first
// non-empty sorted set, else block on all of them.
func cmdBZPop(c *Client, args [][]byte) {
	timeout, ok := parseBlockTimeout(c, args[len(args)-1])
	if !ok {
		return
	}
	max := eqFold(args[0], "bzpopmax")
	keys := args[1 : len(args)-1]
	key, es, err := ZPop(c.ks, keys, 1, max)
	if c.replyErr(err) {
		return
	}
	if key != nil && len(es) > 0 {
		replyBZPop(&c.reply, key, es[0])
		return
	}
	if !c.mayBlock() {
		c.reply.NullArray()
		return
	}
	c.block(keys, timeout, func(ks cache.Keyspace, key []byte, r *Reply) blockResult {
		k, es, err := ZPop(ks, [][]byte{key}, 1, max)
		if err != nil || k == nil || len(es) == 0 {
			return notServed(err)
		}
		replyBZPop(r, k, es[0])
		return blockServed
	})
}

// cmdBZMPop is BZMPOP: ZMPOP's reply from the first non-empty sorted set,
// else block on all of them.
func cmdBZMPop(c *Client, args [][]byte) {
	timeout, ok := parseBlockTimeout(c, args[1])
	if !ok {
		return
	}
	a, ok := parseZMPop(c, args, 2)
	if !ok {
		return
	}
	key, es, err := ZPop(c.ks, a.keys, a.count, a.max)
	if c.replyErr(err) {
		return
	}
	if key != nil {
		replyZMPop(&c.reply, key, es)
		return
	}
	if !c.mayBlock() {
		c.reply.NullArray()
		return
	}
	count, max := a.count, a.max
	c.block(a.keys, timeout, func(ks cache.Keyspace, key []byte, r *Reply) blockResult {
		k, es, err := ZPop(ks, [][]byte{key}, count, max)
		if err != nil || k == nil || len(es) == 0 {
			return notServed(err)
		}
		replyZMPop(r, k, es)
		return blockServed
	})
}
