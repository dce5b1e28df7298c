package server

import (
	"errors"

	"fastcache/persistence"
)

// Snapshots is what the server needs for SAVE, BGSAVE, BGREWRITEAOF and
// LASTSAVE (persistence.Snapshotter implements it); nil when snapshots are off.
type Snapshots interface {
	Save() error
	BGSave() error
	LastSave() int64
}

func init() {
	register(
		&Command{Name: "save", Arity: 1, Flags: flagAdmin | flagNoMulti, Group: "server", Since: "1.0.0",
			Summary: "Synchronously saves the database(s) to disk.", Handler: cmdSave},
		&Command{Name: "bgsave", Arity: -1, Flags: flagAdmin, Group: "server", Since: "1.0.0",
			Summary: "Asynchronously saves the database(s) to disk.", Handler: cmdBGSave},
		&Command{Name: "bgrewriteaof", Arity: 1, Flags: flagAdmin, Group: "server", Since: "1.0.0",
			Summary: "Asynchronously rewrites the append-only file to disk.", Handler: cmdBGRewriteAOF},
	)
}

func cmdSave(c *Client, args [][]byte) {
	if c.multi { // Redis's no-multi flag: the transaction fails
		c.rejectInMulti()
		c.reply.Error("ERR Command not allowed inside a transaction")
		return
	}
	s := c.srv.snapshots()
	if s == nil {
		c.reply.Error("ERR snapshots are not available (appendonly no)")
		return
	}
	if c.ks.InTx() {
		// Inside EXEC every shard is already locked by this goroutine.
		c.reply.Error("ERR SAVE is not allowed inside a transaction")
		return
	}
	if err := s.Save(); err != nil {
		if errors.Is(err, persistence.ErrSaveInProgress) {
			c.reply.Err(err)
			return
		}
		c.srv.log.Error().Err(err).Msg("SAVE failed")
		c.reply.Error("ERR " + err.Error())
		return
	}
	c.reply.OK()
}

func cmdBGSave(c *Client, args [][]byte) {
	if len(args) > 2 || (len(args) == 2 && !eqFold(args[1], "schedule")) {
		c.reply.Error("ERR syntax error")
		return
	}
	s := c.srv.snapshots()
	if s == nil {
		c.reply.Error("ERR snapshots are not available (appendonly no)")
		return
	}
	if c.ks.InTx() {
		// Redis forks after the transaction: the save is scheduled
		c.afterExec(func() { _ = s.BGSave() })
		c.reply.Simple("Background saving scheduled")
		return
	}
	if err := s.BGSave(); err != nil {
		if len(args) == 2 && errors.Is(err, persistence.ErrSaveInProgress) {
			c.reply.Simple("Background saving scheduled")
			return
		}
		c.reply.Err(err)
		return
	}
	c.reply.Simple("Background saving started")
}

func cmdBGRewriteAOF(c *Client, args [][]byte) {
	s := c.srv.snapshots()
	if s == nil {
		c.reply.Error("ERR snapshots are not available (appendonly no)")
		return
	}
	if c.ks.InTx() {
		// Redis forks after the transaction: the rewrite is scheduled
		c.afterExec(func() { _ = s.BGSave() })
		c.reply.Simple("Background append only file rewriting scheduled")
		return
	}
	if err := s.BGSave(); err != nil {
		if errors.Is(err, persistence.ErrSaveInProgress) {
			c.reply.Error("ERR Background append only file rewriting already in progress")
			return
		}
		c.reply.Err(err)
		return
	}
	c.reply.Simple("Background append only file rewriting started")
}

func eqFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
