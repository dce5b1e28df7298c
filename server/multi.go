package server

import (
	"fastcache/cache"
	"fastcache/shard"
)

func init() {
	register(
		&Command{Name: "multi", Arity: 1, Flags: flagNoMulti | flagLoading | flagFast, Group: "transactions", Since: "1.2.0",
			Summary: "Starts a transaction.", Handler: cmdMulti},
		&Command{Name: "exec", Arity: 1, Flags: flagNoMulti | flagLoading | flagSkipSlowlog, Group: "transactions", Since: "1.2.0",
			Summary: "Executes all commands in a transaction.", Handler: cmdExec},
		&Command{Name: "discard", Arity: 1, Flags: flagNoMulti | flagLoading | flagFast, Group: "transactions", Since: "2.0.0",
			Summary: "Discards a transaction.", Handler: cmdDiscard},
		&Command{Name: "watch", Arity: -2, Flags: flagNoMulti | flagLoading | flagFast, FirstKey: 1, LastKey: -1, Step: 1,
			Group: "transactions", Since: "2.2.0", Summary: "Monitors changes to keys to determine the execution of a transaction.", Handler: cmdWatch},
		&Command{Name: "unwatch", Arity: 1, Flags: flagLoading | flagFast, Group: "transactions", Since: "2.2.0",
			Summary: "Forgets about watched keys of a transaction.", Handler: cmdUnwatch},
	)
}

func cmdMulti(c *Client, args [][]byte) {
	if c.multi {
		c.reply.Error("ERR MULTI calls can not be nested")
		return
	}
	c.multi = true
	c.multiDirty = false
	c.queued = c.queued[:0]
	c.multiMem = 0
	c.reply.OK()
}

func cmdDiscard(c *Client, args [][]byte) {
	if !c.multi {
		c.reply.Error("ERR DISCARD without MULTI")
		return
	}
	c.discardMulti()
	c.unwatchAll()
	c.reply.OK()
}

func cmdWatch(c *Client, args [][]byte) {
	if c.multi {
		c.reply.Error("ERR WATCH inside MULTI is not allowed")
		return
	}
	if c.watch == nil {
		c.watch = &shard.Watch{}
		c.watchExisted = c.watchExisted[:0]
	}
	for _, key := range args[1:] {
		already := false
		for i, w := range c.watched {
			if string(w) == string(key) && c.watchedDB[i] == c.db {
				already = true
				break
			}
		}
		if already {
			continue
		}
		k := append([]byte(nil), key...)
		c.srv.cache.Watch(c.db, k, c.watch)
		c.watched = append(c.watched, k)
		c.watchedDB = append(c.watchedDB, c.db)
		c.watchExisted = append(c.watchExisted, c.srv.cache.PeekExistsLocked(c.db, k))
	}
	c.reply.OK()
}

func cmdUnwatch(c *Client, args [][]byte) {
	c.unwatchAll()
	c.reply.OK()
}

// cmdExec runs the queued commands atomically: every shard is locked, the
// WATCHed keys are checked under the locks, and all records go to the WAL as
// one transaction group (replayed all or nothing).
func cmdExec(c *Client, args [][]byte) {
	if !c.multi {
		c.reply.Error("ERR EXEC without MULTI")
		return
	}
	defer func() {
		c.discardMulti()
		c.unwatchAll()
	}()
	if c.multiDirty {
		c.reply.Err(cache.ErrExecAborted)
		return
	}
	writes, denyOOM := false, false
	for _, q := range c.queued {
		if q.cmd.Flags&flagWrite != 0 {
			writes = true
		}
		if q.cmd.Flags&flagDenyOOM != 0 {
			denyOOM = true
		}
	}
	if writes {
		if err := c.checkWrite(denyOOM); err != nil {
			c.reply.Error("EXECABORT Transaction discarded because of: " + err.Error())
			return
		}
	}
	watch, watched, existed, wdb := c.watch, c.watched, c.watchExisted, c.watchedDB
	abort := func() bool {
		if watch == nil {
			return false
		}
		if watch.Dirty.Load() {
			return true
		}
		// A watched key that expired since WATCH also fails the EXEC (Redis 7).
		for i, k := range watched {
			if existed[i] && !c.srv.cache.PeekExists(wdb[i], k) {
				return true
			}
		}
		return false
	}
	// Time stands still while EXEC runs, as in Redis (its commands see the
	// clock of its start): a key does not expire between two of them.
	now := *c.keyClock()
	ok := c.srv.cache.Atomic(abort, func(ks cache.Keyspace) {
		c.ks = ks.WithDB(c.db).WithErr(&c.kerr).WithOrigin(c).WithClock(&now)
		c.reply.Array(len(c.queued))
		for _, q := range c.queued {
			if c.aclExecAllowed(q.cmd, q.args) { // the rules may have changed since MULTI
				c.call(q.cmd, q.args)
			}
		}
		c.ks = c.srv.cache.KeyspaceAt(c.keyClock()).WithDB(c.db).WithErr(&c.kerr).WithOrigin(c)
	})
	if !ok {
		c.reply.NullArray()
	}
	c.flushForwards()
	c.runAfterExec()
}

// afterExec defers fn, a queued command that must not run with the shards
// locked, to the end of EXEC; its reply takes the place it would have had.
func (c *Client) afterExec(fn func()) {
	c.deferred = append(c.deferred, deferredCmd{pos: c.reply.Len(), fn: fn})
}

// runAfterExec runs the deferred commands, in order, splicing each reply
// into the EXEC reply at its place.
func (c *Client) runAfterExec() {
	shift := 0
	for _, d := range c.deferred {
		at := d.pos + shift
		tail := append([]byte(nil), c.reply.b[at:]...)
		c.reply.Truncate(at)
		d.fn()
		shift += c.reply.Len() - at
		c.reply.b = append(c.reply.b, tail...)
	}
	clear(c.deferred)
	c.deferred = c.deferred[:0]
}
