package persistence

// FUNCTION libraries are logged as records too (ops 96-111), so they share
// the keys' durability, ordering, atomicity and replication. They are not a
// key's state, but every one of them carries the fixed key FunctionsKey: the
// shard that key maps to owns them, so the per-key snapshot cut (replay's
// Cut.ApplyAfter, a replica's catch-up) applies each exactly once, and a
// snapshot writes the libraries as records under that key, copied under
// that shard's lock. The cache routes them by op to the function registry
// (cache.SetFunctionHooks), never to a database.

const (
	// OpFunctionLoad loads or replaces a library: items name, code.
	OpFunctionLoad Op = 96
	// OpFunctionDelete deletes a library: items name.
	OpFunctionDelete Op = 97
	// OpFunctionFlush deletes every library: no items. A snapshot's
	// libraries begin with one, so loading a snapshot (a replica's full
	// sync) replaces the libraries rather than adding to them.
	OpFunctionFlush Op = 98
)

// FunctionsKey is the key every function record carries (database 0).
var FunctionsKey = []byte("\x00functions")

// IsFunctionOp reports whether op is a function-library record.
func IsFunctionOp(op Op) bool { return op >= 96 && op <= 111 }

func init() {
	RegisterOp(OpFunctionLoad, "function-load")
	RegisterOp(OpFunctionDelete, "function-delete")
	RegisterOp(OpFunctionFlush, "function-flush")
}
