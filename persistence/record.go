package persistence

// Op is the kind of a mutation record. Records are logged in their effective,
// deterministic form: replay never re-evaluates a command, it re-applies the
// state change the command made.
type Op uint8

const (
	// OpSet stores Value under Key with absolute expiry ExpireAt (unix ms, 0 = none).
	// INCR, APPEND, SETRANGE, SET ... GET, GETSET, COPY and the destination of a
	// RENAME are all logged as OpSet of the resulting value.
	OpSet Op = 1
	// OpDel removes Key (DEL, UNLINK, GETDEL, expiry deletions, evictions, the
	// source of a RENAME, an EXPIRE whose time has already passed).
	OpDel Op = 2
	// OpExpire sets the absolute expiry of Key to ExpireAt (unix ms): EXPIRE,
	// PEXPIRE, EXPIREAT, PEXPIREAT, GETEX with a TTL.
	OpExpire Op = 3
	// OpPersist removes the expiry of Key.
	OpPersist Op = 4
	// OpFlush removes every key (FLUSHALL, FLUSHDB). It has no key.
	OpFlush Op = 5
)

func (o Op) String() string {
	switch o {
	case OpSet:
		return "set"
	case OpDel:
		return "del"
	case OpExpire:
		return "pexpireat"
	case OpPersist:
		return "persist"
	case OpFlush:
		return "flush"
	}
	return "unknown"
}

// Record is one mutation, as applied by a shard.
type Record struct {
	Op       Op
	LSN      uint64 // global sequence number, assigned when the record is queued
	ExpireAt int64  // absolute unix ms; 0 = no expiry (OpSet, OpExpire)
	Key      []byte
	Value    []byte // OpSet only
}

// Recorder receives a shard's mutation records in the order the shard applied
// them. It is called with the shard's lock held; key and value are only valid
// for the duration of the call and must be copied.
type Recorder interface {
	Record(op Op, key, value []byte, expireAt int64)
}
