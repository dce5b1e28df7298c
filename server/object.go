package server

import (
	"runtime/debug"
	"strings"

	"fastcache/cache"
	"fastcache/shard"
)

// OBJECT ENCODING/FREQ/IDLETIME/REFCOUNT and MEMORY USAGE/STATS/DOCTOR/PURGE.

func init() {
	object := &Command{Name: "object", Arity: -2, Group: "generic", Since: "2.2.3",
		Summary: "A container for object introspection commands."}
	object.Handler = func(c *Client, args [][]byte) { runSub(c, object, args) }
	object.Sub = subTable(
		&Command{Name: "object|encoding", Arity: 3, Flags: flagReadOnly, FirstKey: 2, LastKey: 2, Step: 1, Group: "generic", Since: "2.2.3",
			Summary: "Returns the internal encoding of a Redis object.", Handler: objectEncoding},
		&Command{Name: "object|freq", Arity: 3, Flags: flagReadOnly, FirstKey: 2, LastKey: 2, Step: 1, Group: "generic", Since: "4.0.0",
			Summary: "Returns the logarithmic access frequency counter of a Redis object.", Handler: objectFreq},
		&Command{Name: "object|idletime", Arity: 3, Flags: flagReadOnly, FirstKey: 2, LastKey: 2, Step: 1, Group: "generic", Since: "2.2.3",
			Summary: "Returns the time since the last access to a Redis object.", Handler: objectIdleTime},
		&Command{Name: "object|refcount", Arity: 3, Flags: flagReadOnly, FirstKey: 2, LastKey: 2, Step: 1, Group: "generic", Since: "2.2.3",
			Summary: "Returns the reference count of a value of a key.", Handler: objectRefCount},
		&Command{Name: "object|help", Arity: 2, Flags: flagLoading, Group: "generic", Since: "6.2.0",
			Summary: "Returns helpful text about the different subcommands.", Handler: objectHelp},
	)
	memory := &Command{Name: "memory", Arity: -2, Group: "server", Since: "4.0.0",
		Summary: "A container for memory diagnostics commands."}
	memory.Handler = func(c *Client, args [][]byte) { runSub(c, memory, args) }
	memory.Sub = subTable(
		&Command{Name: "memory|usage", Arity: -3, Flags: flagReadOnly, FirstKey: 2, LastKey: 2, Step: 1, Group: "server", Since: "4.0.0",
			Summary: "Estimates the memory usage of a key.", Handler: memoryUsage},
		&Command{Name: "memory|stats", Arity: 2, Group: "server", Since: "4.0.0",
			Summary: "Returns details about memory usage.", Handler: memoryStats},
		&Command{Name: "memory|doctor", Arity: 2, Group: "server", Since: "4.0.0",
			Summary: "Outputs a memory problems report.", Handler: memoryDoctor},
		&Command{Name: "memory|malloc-stats", Arity: 2, Group: "server", Since: "4.0.0",
			Summary: "Show allocator internal stats",
			Handler: func(c *Client, _ [][]byte) { c.reply.BulkString("Stats not supported for the current allocator") }},
		&Command{Name: "memory|purge", Arity: 2, Group: "server", Since: "4.0.0",
			Summary: "Asks the allocator to release memory.", Handler: memoryPurge},
		&Command{Name: "memory|help", Arity: 2, Flags: flagLoading, Group: "server", Since: "4.0.0",
			Summary: "Returns helpful text about the different subcommands.", Handler: memoryHelp},
	)
	register(object, memory)
	argSpecs["memory|malloc-stats"] = [2]string{"Depends on how much memory is allocated, could be slow", ""}
}

// encodingOf is the encoding Redis would report for a string value stored
// with encoding enc.
func encodingOf(v []byte, enc shard.Enc) string {
	if enc == shard.EncRaw {
		return "raw"
	}
	if len(v) <= 20 && enc == shard.EncAuto {
		if _, ok := cache.ParseInt(v); ok {
			return "int"
		}
	}
	if len(v) <= 44 {
		return "embstr"
	}
	return "raw"
}

func objectEncoding(c *Client, args [][]byte) {
	info, ok := c.ks.Inspect(args[2])
	if !ok {
		c.reply.Null()
		return
	}
	if info.Kind != shard.KindString {
		c.reply.BulkString(info.Encoding)
		return
	}
	c.reply.BulkString(encodingOf(info.Value, info.Enc))
}

const policySwitchNote = " Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."

func lfuPolicy(p string) bool { return strings.HasSuffix(p, "-lfu") }

func objectFreq(c *Client, args [][]byte) {
	info, ok := c.ks.Inspect(args[2])
	if !ok {
		c.reply.Null()
		return
	}
	if !lfuPolicy(c.srv.cache.Policy()) {
		c.reply.Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked." + policySwitchNote)
		return
	}
	c.reply.Int(int64(shard.LFUCount(info.Meta)))
}

func objectIdleTime(c *Client, args [][]byte) {
	info, ok := c.ks.Inspect(args[2])
	if !ok {
		c.reply.Null()
		return
	}
	if lfuPolicy(c.srv.cache.Policy()) {
		c.reply.Error("ERR An LFU maxmemory policy is selected, idle time not tracked." + policySwitchNote)
		return
	}
	c.reply.Int(shard.IdleSeconds(info.Meta))
}

func objectRefCount(c *Client, args [][]byte) {
	if _, ok := c.ks.Inspect(args[2]); !ok {
		c.reply.Null()
		return
	}
	c.reply.Int(1)
}

func objectHelp(c *Client, args [][]byte) {
	replyHelp(c, "object", []string{
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
	})
}

func memoryUsage(c *Client, args [][]byte) {
	for i := 3; i < len(args); i++ {
		if !eqFold(args[i], "samples") || i+1 >= len(args) {
			c.reply.Error(errSyntax)
			return
		}
		n, ok := cache.ParseInt(args[i+1])
		if !ok {
			c.reply.Error(errNotInt)
			return
		}
		if n < 0 {
			c.reply.Error(errSyntax)
			return
		}
		i++
	}
	info, ok := c.ks.Inspect(args[2])
	if !ok {
		c.reply.Null()
		return
	}
	c.reply.Int(info.Bytes)
}

func memoryStats(c *Client, args [][]byte) {
	used := c.srv.cache.UsedMemory()
	var keys int64
	for _, d := range c.srv.cache.DBStats() {
		keys += d.Keys
	}
	perKey := int64(0)
	if keys > 0 {
		perKey = used / keys
	}
	c.reply.Map(5)
	c.reply.BulkString("peak.allocated")
	c.reply.Int(c.srv.admin.notePeak(used))
	c.reply.BulkString("total.allocated")
	c.reply.Int(used)
	c.reply.BulkString("keys.count")
	c.reply.Int(keys)
	c.reply.BulkString("keys.bytes-per-key")
	c.reply.Int(perKey)
	c.reply.BulkString("dataset.bytes")
	c.reply.Int(used)
}

func memoryDoctor(c *Client, args [][]byte) {
	msg := "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base."
	if max := c.srv.cache.MaxMemory(); max > 0 && c.srv.cache.UsedMemory() > max {
		msg = "Sam, used memory is above maxmemory: writes are evicting keys or being refused (maxmemory-policy " + c.srv.cache.Policy() + ")."
	}
	c.reply.Verbatim("txt", msg)
}

func memoryPurge(c *Client, args [][]byte) {
	debug.FreeOSMemory()
	c.reply.OK()
}

func memoryHelp(c *Client, args [][]byte) {
	replyHelp(c, "memory", []string{
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
	})
}
