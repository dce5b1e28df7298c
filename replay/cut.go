package replay

import "fastcache/persistence"

// Target is what recovered records are applied to: the cache at start-up,
// or the cache through its logging methods on a replica.
type Target interface {
	Apply(r *persistence.Record)
	// FlushWhere removes every key of database db (of every database with
	// all) for which pred is true.
	FlushWhere(db int, all bool, pred func(key []byte) bool)
	// SwapWhere swaps between databases a and b the keys for which pred is true.
	SwapWhere(a, b int, pred func(key []byte) bool)
}

// ApplyAfter applies r to t unless the loaded snapshot already reflects
// it, and reports whether it was skipped. A record about one key is
// covered when the cut of the snapshot shard that owned the key is at or
// after its LSN; a keyless record (FLUSHDB, FLUSHALL, SWAPDB) is applied to
// the keys whose snapshot shard it is newer than. Function-library records
// are about no key but carry the fixed persistence.FunctionsKey, so the
// per-key rule applies each exactly once (a snapshot copies the libraries
// under that key's shard lock). Start-up replay and a replica's catch-up
// after a full sync both go through here.
func (c *Cut) ApplyAfter(r *persistence.Record, t Target) (skipped bool) {
	switch r.Op {
	case persistence.OpReplPos:
		t.Apply(r) // a position, not a change: always seen (the caller judges it against the cut)
		return false
	case persistence.OpFlush, persistence.OpSwapDB:
		switch {
		case c.CoversAll(r.LSN):
			return true
		case c.CoversAny(r.LSN):
			lsn := r.LSN
			pred := func(key []byte) bool { return !c.Covers(lsn, key) }
			if r.Op == persistence.OpFlush {
				t.FlushWhere(r.DB, r.Arg == 1, pred)
			} else {
				t.SwapWhere(r.DB, int(r.Arg), pred)
			}
		default:
			t.Apply(r)
		}
		return false
	}
	if c.Covers(r.LSN, r.Key) {
		return true
	}
	t.Apply(r)
	return false
}
