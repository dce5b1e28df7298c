package server

import (
	"math/rand/v2"

	"fastcache/object"
)

// HyperLogLog commands (PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST), as
// Redis 7.0 has them: the values are strings in Redis's representation
// (object/hll.go, cache/hll.go).

func init() {
	const w, r, oom, fast, adm = flagWrite, flagReadOnly, flagDenyOOM, flagFast, flagAdmin
	hll := func(name string, arity int, f flags, first, last int, summary, complexity, args string, fn func(*Client, [][]byte)) *Command {
		step := 0
		if first > 0 {
			step = 1
		}
		return &Command{Name: name, Arity: arity, Flags: f, FirstKey: first, LastKey: last, Step: step, Group: "hyperloglog",
			Since: "2.8.9", Summary: summary, Complexity: complexity, Args: args, Handler: fn}
	}
	register(
		hll("pfadd", -2, w|oom|fast, 1, 1, "Adds the specified elements to the specified HyperLogLog.",
			"O(1) to add every element.", "key:key [element:string...]", cmdPFAdd),
		hll("pfcount", -2, r, 1, -1, "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
			"O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
			"key:key...", cmdPFCount),
		hll("pfmerge", -2, w|oom, 1, -1, "Merge N different HyperLogLogs into a single one.",
			"O(N) to merge N HyperLogLogs, but with high constant times.", "destkey:key sourcekey:key...", cmdPFMerge),
		hll("pfdebug", 3, w|oom|adm, 2, 2, "Internal commands for debugging HyperLogLog values",
			"N/A", "subcommand:string key:key", cmdPFDebug),
		hll("pfselftest", 1, adm, 0, 0, "An internal command for testing HyperLogLog values",
			"N/A", "", cmdPFSelfTest),
	)
}

func cmdPFAdd(c *Client, args [][]byte) {
	updated, err := c.ks.PFAdd(args[1], args[2:])
	if err != nil {
		c.reply.Err(err)
		return
	}
	if updated {
		c.reply.Int(1)
	} else {
		c.reply.Int(0)
	}
}

func cmdPFCount(c *Client, args [][]byte) {
	n, stored, err := c.ks.PFCount(args[1:])
	if stored {
		// PFCOUNT is read-only, yet storing the cardinality is a logged
		// write: under appendfsync always its reply waits for it, as Redis
		// propagates that PFCOUNT before it replies.
		c.wrote = true
	}
	if err != nil {
		c.reply.Err(err)
		return
	}
	c.reply.Int(n)
}

func cmdPFMerge(c *Client, args [][]byte) {
	if err := c.ks.PFMerge(args[1], args[2:]); err != nil {
		c.reply.Err(err)
		return
	}
	c.reply.OK()
}

func cmdPFDebug(c *Client, args [][]byte) {
	d, err := c.ks.PFDebug(string(args[1]), args[2])
	if err != nil {
		c.reply.Err(err)
		return
	}
	switch {
	case d.Registers != nil:
		c.reply.Array(len(d.Registers))
		for _, r := range d.Registers {
			c.reply.Int(int64(r))
		}
	case d.Decoded != nil || equalFold(args[1], "decode"):
		c.reply.Bulk(d.Decoded)
	case d.Encoding != "":
		c.reply.Simple(d.Encoding)
	case d.Converted:
		c.reply.Int(1)
	default:
		c.reply.Int(0)
	}
}

func cmdPFSelfTest(c *Client, args [][]byte) {
	if err := object.HLLSelfTest(rand.Uint64(), object.HLLSparseMaxBytes.Load()); err != nil {
		c.reply.Err(err)
		return
	}
	c.reply.OK()
}
