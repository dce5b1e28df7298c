package cache

// FUNCTION libraries in the log (persistence/function_ops.go). The cache
// does not interpret them: the library registry belongs to the server, which
// installs FunctionHooks. The cache logs a library change in the
// transaction of the command that made it, routes replayed, replicated and
// snapshotted function records to the hooks, and asks the hooks for the
// libraries when it writes a snapshot. Every function record carries
// persistence.FunctionsKey, so the shard of that key owns them: they are
// applied, logged and copied into snapshots under that shard's lock, and
// that shard's cut tells which of them a snapshot holds.

import (
	"fastcache/persistence"
)

// FunctionHooks connect the owner of the function libraries.
type FunctionHooks struct {
	// Apply applies a replayed, replicated or snapshotted function record
	// (called with the functions' shard locked).
	Apply func(r *persistence.Record)
	// Libraries returns each library's name and code (called with the
	// functions' shard locked, for a snapshot).
	Libraries func() (names, codes []string)
}

// SetFunctionHooks installs h (before replay).
func (c *Cache) SetFunctionHooks(h FunctionHooks) { c.fnHooks.Store(&h) }

func (c *Cache) applyFunction(r *persistence.Record) {
	if h := c.fnHooks.Load(); h != nil && h.Apply != nil {
		h.Apply(r)
	}
}

// FunctionLoadBody is the body of an OpFunctionLoad record.
func FunctionLoadBody(name, code string) []byte {
	b := persistence.AppendItem(nil, []byte(name))
	return persistence.AppendItem(b, []byte(code))
}

// LogFunction logs a library change (op, body) made under an Atomic
// function, in its transaction. Outside one it is logged on its own, under
// the functions' shard lock (the caller must have changed the libraries
// under no lock that could race a snapshot: Atomic is the way).
func (k Keyspace) LogFunction(op persistence.Op, body []byte) {
	key := persistence.FunctionsKey
	if k.tx != nil {
		k.tx.Record(op, 0, key, body, 0)
		return
	}
	s := k.c.shardOf(key)
	s.Queue().WaitRoom()
	s.Lock()
	s.Queue().Record(op, 0, key, body, 0)
	s.Unlock()
}

// writeFunctions adds the libraries to snapshot shard i (the functions'
// shard): a function-flush, then a function-load per library. They are
// entries after a key's first (more), so they count as no key.
func writeFunctions(w *persistence.SnapshotWriter, i int, names, codes []string) error {
	key := persistence.FunctionsKey
	if err := w.AddRecord(i, 0, key, persistence.OpFunctionFlush, nil, 0, 0, true); err != nil {
		return err
	}
	for j := range names {
		if err := w.AddRecord(i, 0, key, persistence.OpFunctionLoad, FunctionLoadBody(names[j], codes[j]), 0, 0, true); err != nil {
			return err
		}
	}
	return nil
}
