package server

import (
	"fastcache/object"
	"fastcache/shard"
)

// XINFO STREAM / GROUPS / CONSUMERS with Redis 7.0's fields.

func init() {
	const r = flagReadOnly
	sub := func(name string, arity int, summary, complexity, args string, fn func(*Client, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: r, FirstKey: 2, LastKey: 2, Step: 1, Group: "stream",
			Since: "5.0.0", Summary: summary, Complexity: complexity, Args: args, Handler: fn}
	}
	xinfo := &Command{Name: "xinfo", Arity: -2, Flags: r, Group: "stream", Since: "5.0.0",
		Summary: "A container for stream introspection commands", Complexity: "Depends on subcommand."}
	xinfo.Handler = func(c *Client, args [][]byte) { runSub(c, xinfo, args) }
	xinfo.Sub = subTable(
		sub("xinfo|stream", -3, "Get information about a stream", "O(1)", "key:key [full-block=(FULL [COUNT count:integer])]", cmdXInfo),
		sub("xinfo|groups", 3, "List the consumer groups of a stream", "O(1)", "key:key", cmdXInfo),
		sub("xinfo|consumers", 4, "List the consumers in a consumer group", "O(1)", "key:key group:string", cmdXInfo),
		&Command{Name: "xinfo|help", Arity: 2, Flags: flagLoading, Group: "stream", Since: "5.0.0",
			Summary: "Show helpful text about the different subcommands", Complexity: "O(1)", Handler: cmdXInfoHelp},
	)
	register(xinfo)
}

func cmdXInfoHelp(c *Client, args [][]byte) {
	lines := []string{
		"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"CONSUMERS <key> <groupname>",
		"    Show consumers of <groupname>.",
		"GROUPS <key>",
		"    Show the stream consumer groups.",
		"STREAM <key> [FULL [COUNT <count>]",
		"    Show information about the stream.",
		"HELP",
		"    Prints this help.",
	}
	c.reply.Array(len(lines))
	for _, l := range lines {
		c.reply.Simple(l)
	}
}

func cmdXInfo(c *Client, args [][]byte) {
	op := string(lowerASCII(args[1]))
	err := c.ks.ReadLookup().View(args[2], shard.KindStream, func(o shard.Object, now int64) {
		s := asStream(o)
		if s == nil {
			c.reply.Error(errNoSuchKey)
			return
		}
		switch op {
		case "consumers":
			g := s.Group(args[3])
			if g == nil {
				c.reply.Error("NOGROUP No such consumer group '" + groupKey(args[3]) + "' for key name '" + groupKey(args[2]) + "'")
				return
			}
			c.reply.Array(len(g.Consumers()))
			for _, cons := range g.Consumers() {
				c.reply.Map(3)
				c.reply.BulkString("name")
				c.reply.BulkString(cons.Name)
				c.reply.BulkString("pending")
				c.reply.Int(int64(cons.Pending()))
				c.reply.BulkString("idle")
				c.reply.Int(max(now-cons.Seen, 0))
			}
		case "groups":
			c.reply.Array(len(s.Groups()))
			for _, g := range s.Groups() {
				c.reply.Map(6)
				c.reply.BulkString("name")
				c.reply.BulkString(g.Name)
				c.reply.BulkString("consumers")
				c.reply.Int(int64(len(g.Consumers())))
				c.reply.BulkString("pending")
				c.reply.Int(int64(g.PendingLen()))
				c.reply.BulkString("last-delivered-id")
				c.replyStreamID(g.LastID)
				c.replyGroupCounters(s, g)
			}
		case "stream":
			c.xinfoStream(s, args)
		}
	})
	c.replyErr(err)
}

// replyGroupCounters writes entries-read and lag.
func (c *Client) replyGroupCounters(s *object.Stream, g *object.Group) {
	c.reply.BulkString("entries-read")
	if g.EntriesRead != object.InvalidEntriesRead {
		c.reply.Int(g.EntriesRead)
	} else {
		c.reply.Null()
	}
	c.reply.BulkString("lag")
	if lag, ok := s.Lag(g); ok {
		c.reply.Int(lag)
	} else {
		c.reply.Null()
	}
}

func (c *Client) xinfoStream(s *object.Stream, args [][]byte) {
	opts := args[3:]
	full, count := false, int64(10)
	if len(opts) > 0 {
		if (len(opts) != 1 && len(opts) != 3) || !eqFold(opts[0], "full") {
			c.subSyntaxError(args)
			return
		}
		full = true
		if len(opts) == 3 {
			if !eqFold(opts[1], "count") {
				c.subSyntaxError(args)
				return
			}
			var ok bool
			if count, ok = c.int64Arg(opts[2], ""); !ok {
				return
			}
			if count < 0 {
				count = 10
			}
		}
	}
	if full {
		c.reply.Map(9)
	} else {
		c.reply.Map(10)
	}
	c.reply.BulkString("length")
	c.reply.Int(int64(s.Length()))
	c.reply.BulkString("radix-tree-keys")
	c.reply.Int(int64(s.Nodes()))
	c.reply.BulkString("radix-tree-nodes")
	c.reply.Int(s.RaxNodes())
	c.reply.BulkString("last-generated-id")
	c.replyStreamID(s.LastID())
	c.reply.BulkString("max-deleted-entry-id")
	c.replyStreamID(s.MaxDeleted())
	c.reply.BulkString("entries-added")
	c.reply.Int(int64(s.EntriesAdded()))
	c.reply.BulkString("recorded-first-entry-id")
	c.replyStreamID(s.FirstID())
	if !full {
		c.reply.BulkString("groups")
		c.reply.Int(int64(len(s.Groups())))
		for i, name := range []string{"first-entry", "last-entry"} {
			c.reply.BulkString(name)
			found := false
			s.Range(object.StreamID{}, object.MaxStreamID, i == 1, func(e *object.StreamEntry) bool {
				replyEntry(&c.reply, e)
				found = true
				return false
			})
			if !found {
				c.reply.Null()
			}
		}
		return
	}
	c.reply.BulkString("entries")
	replyRange(&c.reply, s, object.StreamID{}, object.MaxStreamID, count, false)
	c.reply.BulkString("groups")
	c.reply.Array(len(s.Groups()))
	for _, g := range s.Groups() {
		c.reply.Map(7)
		c.reply.BulkString("name")
		c.reply.BulkString(g.Name)
		c.reply.BulkString("last-delivered-id")
		c.replyStreamID(g.LastID)
		c.replyGroupCounters(s, g)
		c.reply.BulkString("pel-count")
		c.reply.Int(int64(g.PendingLen()))
		c.reply.BulkString("pending")
		at, n := c.reply.Len(), int64(0)
		g.EachPending(object.StreamID{}, func(p *object.Pending) bool {
			if count != 0 && n >= count {
				return false
			}
			c.reply.Array(4)
			c.replyStreamID(p.ID)
			if owner := g.Owner(p); owner != nil {
				c.reply.BulkString(owner.Name)
			} else {
				c.reply.BulkString("")
			}
			c.reply.Int(p.Time)
			c.reply.Int(p.Count)
			n++
			return true
		})
		c.reply.insertArray(at, int(n))
		c.reply.BulkString("consumers")
		c.reply.Array(len(g.Consumers()))
		for _, cons := range g.Consumers() {
			c.reply.Map(4)
			c.reply.BulkString("name")
			c.reply.BulkString(cons.Name)
			c.reply.BulkString("seen-time")
			c.reply.Int(cons.Seen)
			c.reply.BulkString("pel-count")
			c.reply.Int(int64(cons.Pending()))
			c.reply.BulkString("pending")
			at, n := c.reply.Len(), int64(0)
			cons.EachPending(object.StreamID{}, func(id object.StreamID) bool {
				if count != 0 && n >= count {
					return false
				}
				if p := g.FindPending(id); p != nil {
					c.reply.Array(3)
					c.replyStreamID(id)
					c.reply.Int(p.Time)
					c.reply.Int(p.Count)
					n++
				}
				return true
			})
			c.reply.insertArray(at, int(n))
		}
	}
}
