package object

import (
	"encoding/binary"
	"strconv"

	"fastcache/persistence"
)

// The records of sets, sorted sets, lists and streams as Redis commands
// (persistence.RegisterCommand): what a redis-server replica of this
// server runs to make the same change.

// lInsertScript inserts ARGV[2] so that it becomes element ARGV[1] of the
// list KEYS[1] (a record of LINSERT holds the position it resolved, which
// no Redis command takes): the element there is swapped for a placeholder
// (ARGV[3]), the item inserted before it, the element put back.
const lInsertScript = `local i = tonumber(ARGV[1])
if i >= redis.call('LLEN', KEYS[1]) then return redis.call('RPUSH', KEYS[1], ARGV[2]) end
local orig = redis.call('LINDEX', KEYS[1], i)
redis.call('LSET', KEYS[1], i, ARGV[3])
redis.call('LINSERT', KEYS[1], 'BEFORE', ARGV[3], ARGV[2])
return redis.call('LSET', KEYS[1], i + 1, orig)`

// lInsertPlaceholder is the placeholder of lInsertScript: no list element
// is expected to be it.
const lInsertPlaceholder = "\x00fastcache-linsert-placeholder\x00"

// xSetIDScript is XSETID, creating the stream empty if it is missing (an
// empty stream's record: Redis has no command that makes one directly).
const xSetIDScript = `if redis.call('EXISTS', KEYS[1]) == 0 then
redis.call('XGROUP', 'CREATE', KEYS[1], 'fastcache-tmp', '$', 'MKSTREAM')
redis.call('XGROUP', 'DESTROY', KEYS[1], 'fastcache-tmp')
end
return redis.call('XSETID', KEYS[1], ARGV[1], 'ENTRIESADDED', ARGV[2], 'MAXDELETEDID', ARGV[3])`

func cmd(name string, args ...[]byte) [][]byte { return persistence.Cmd(name, args...) }

func keyAnd(key []byte, items [][]byte) [][]byte { return append([][]byte{key}, items...) }

func idArg(b []byte) []byte {
	id, _ := itemID(b)
	return AppendID(nil, id)
}

func init() {
	num := persistence.Num
	list := persistence.ItemList
	reg := persistence.RegisterCommand
	reg(OpSAdd, func(r *persistence.Record, emit func(...[]byte)) {
		emit(cmd("SADD", keyAnd(r.Key, list(r.Value))...)...)
	})
	reg(OpSRem, func(r *persistence.Record, emit func(...[]byte)) {
		emit(cmd("SREM", keyAnd(r.Key, list(r.Value))...)...)
	})
	reg(OpZAdd, func(r *persistence.Record, emit func(...[]byte)) {
		args := [][]byte{r.Key}
		zaddItems(r.Value, func(m []byte, s float64) {
			args = append(args, strconv.AppendFloat(nil, s, 'g', -1, 64), m)
		})
		emit(cmd("ZADD", args...)...)
	})
	reg(OpZRem, func(r *persistence.Record, emit func(...[]byte)) {
		emit(cmd("ZREM", keyAnd(r.Key, list(r.Value))...)...)
	})

	// lists
	reg(OpLPush, func(r *persistence.Record, emit func(...[]byte)) {
		emit(cmd("LPUSH", keyAnd(r.Key, list(r.Value))...)...)
	})
	reg(OpRPush, func(r *persistence.Record, emit func(...[]byte)) {
		emit(cmd("RPUSH", keyAnd(r.Key, list(r.Value))...)...)
	})
	reg(OpLPop, func(r *persistence.Record, emit func(...[]byte)) { emit(cmd("LPOP", r.Key, num(r.Arg))...) })
	reg(OpRPop, func(r *persistence.Record, emit func(...[]byte)) { emit(cmd("RPOP", r.Key, num(r.Arg))...) })
	reg(OpLSet, func(r *persistence.Record, emit func(...[]byte)) {
		emit(cmd("LSET", r.Key, num(r.Arg), firstItem(r.Value))...)
	})
	reg(OpLInsert, func(r *persistence.Record, emit func(...[]byte)) {
		emit(cmd("EVAL", []byte(lInsertScript), []byte("1"), r.Key, num(r.Arg), firstItem(r.Value), []byte(lInsertPlaceholder))...)
	})
	reg(OpLRem, func(r *persistence.Record, emit func(...[]byte)) {
		emit(cmd("LREM", r.Key, num(r.Arg), firstItem(r.Value))...)
	})
	reg(OpLTrim, func(r *persistence.Record, emit func(...[]byte)) {
		tail, _ := strconv.ParseInt(string(firstItem(r.Value)), 10, 64)
		emit(cmd("LTRIM", r.Key, num(max(r.Arg, 0)), num(-max(tail, 0)-1))...)
	})
	reg(OpLMove, func(r *persistence.Record, emit func(...[]byte)) {
		from, to := []byte("LEFT"), []byte("LEFT")
		if r.Arg&MoveFromRight != 0 {
			from = []byte("RIGHT")
		}
		if r.Arg&MoveToRight != 0 {
			to = []byte("RIGHT")
		}
		emit(cmd("LMOVE", r.Key, r.Key, from, to)...)
	})

	// streams
	reg(OpXAdd, func(r *persistence.Record, emit func(...[]byte)) {
		it := list(r.Value)
		if len(it) < 1 {
			return
		}
		emit(cmd("XADD", append([][]byte{r.Key, idArg(it[0])}, it[1:]...)...)...)
	})
	reg(OpXTrim, func(r *persistence.Record, emit func(...[]byte)) {
		if r.Arg == 1 {
			emit(cmd("XTRIM", r.Key, []byte("MAXLEN"), []byte("0"))...)
			return
		}
		if it := list(r.Value); len(it) == 1 {
			emit(cmd("XTRIM", r.Key, []byte("MINID"), idArg(it[0]))...)
		}
	})
	reg(OpXDel, func(r *persistence.Record, emit func(...[]byte)) {
		args := [][]byte{r.Key}
		for _, it := range list(r.Value) {
			args = append(args, idArg(it))
		}
		emit(cmd("XDEL", args...)...)
	})
	reg(OpXSetID, func(r *persistence.Record, emit func(...[]byte)) {
		if it := list(r.Value); len(it) == 2 {
			emit(cmd("EVAL", []byte(xSetIDScript), []byte("1"), r.Key, idArg(it[0]), num(r.Arg), idArg(it[1]))...)
		}
	})
	reg(OpXNodes, func(r *persistence.Record, emit func(...[]byte)) {
		s := NewStream()
		s.appendNodes(r.Value)
		s.Range(StreamID{}, MaxStreamID, false, func(e *StreamEntry) bool {
			args := [][]byte{r.Key, AppendID(nil, e.ID)}
			e.Each(func(f, v []byte) { args = append(args, f, v) })
			emit(cmd("XADD", args...)...)
			return true
		})
	})
	reg(OpXGroupCreate, func(r *persistence.Record, emit func(...[]byte)) {
		if it := list(r.Value); len(it) == 2 {
			emit(cmd("XGROUP", []byte("CREATE"), r.Key, it[0], idArg(it[1]), []byte("ENTRIESREAD"), num(r.Arg))...)
		}
	})
	reg(OpXGroupSetID, func(r *persistence.Record, emit func(...[]byte)) {
		if it := list(r.Value); len(it) == 2 {
			emit(cmd("XGROUP", []byte("SETID"), r.Key, it[0], idArg(it[1]), []byte("ENTRIESREAD"), num(r.Arg))...)
		}
	})
	reg(OpXGroupDestroy, func(r *persistence.Record, emit func(...[]byte)) {
		if it := list(r.Value); len(it) >= 1 {
			emit(cmd("XGROUP", []byte("DESTROY"), r.Key, it[0])...)
		}
	})
	reg(OpXClaim, func(r *persistence.Record, emit func(...[]byte)) {
		it := list(r.Value)
		if len(it) < 3 {
			return
		}
		if len(it) == 3 {
			emit(cmd("XGROUP", []byte("CREATECONSUMER"), r.Key, it[0], it[1])...)
			return
		}
		for _, p := range it[3:] {
			if len(p) != 32 {
				continue
			}
			emit(cmd("XCLAIM", r.Key, it[0], it[1], []byte("0"), idArg(p[:16]),
				[]byte("TIME"), num(int64(binary.BigEndian.Uint64(p[16:]))),
				[]byte("RETRYCOUNT"), num(int64(binary.BigEndian.Uint64(p[24:]))), []byte("FORCE"), []byte("JUSTID"))...)
		}
	})
	reg(OpXAck, func(r *persistence.Record, emit func(...[]byte)) {
		it := list(r.Value)
		if len(it) < 2 {
			return
		}
		args := [][]byte{r.Key, it[0]}
		for _, id := range it[1:] {
			args = append(args, idArg(id))
		}
		emit(cmd("XACK", args...)...)
	})
	reg(OpXDelConsumer, func(r *persistence.Record, emit func(...[]byte)) {
		if it := list(r.Value); len(it) == 2 {
			emit(cmd("XGROUP", []byte("DELCONSUMER"), r.Key, it[0], it[1])...)
		}
	})
}
