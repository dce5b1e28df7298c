package persistence

import (
	"strconv"
)

// Records as Redis commands: the stream a redis-server replica of this
// server follows (Redis's replication protocol). Each record renders as the
// commands that make the same change on a Redis 7 dataset, in effect form
// as the record is (an auto ID as the ID chosen, a pop as the count
// popped): every kind registers its renderer with RegisterCommand, next to
// its record's definition, so the format and its meaning stay in one
// place. The database is not part of the commands: the caller selects
// Record.DB first.

// CommandFunc renders r as commands, calling emit with each command's
// arguments (valid during the call only).
type CommandFunc func(r *Record, emit func(args ...[]byte))

var commandFns [256]CommandFunc

// RegisterCommand sets op's renderer.
func RegisterCommand(op Op, fn CommandFunc) { commandFns[op] = fn }

// Commands renders r; false if its op has no rendering (it changes nothing
// a Redis replica holds, or this binary does not know it).
func Commands(r *Record, emit func(args ...[]byte)) bool {
	fn := commandFns[r.Op]
	if fn == nil {
		return false
	}
	fn(r, emit)
	return true
}

// Num formats n as a command argument.
func Num(n int64) []byte { return strconv.AppendInt(nil, n, 10) }

// ItemList is the items of a record body (nil if it is malformed).
func ItemList(body []byte) [][]byte {
	var out [][]byte
	if !Items(body, func(it []byte) { out = append(out, it) }) {
		return nil
	}
	return out
}

// Cmd is a command: its name and arguments, for emit.
func Cmd(name string, args ...[]byte) [][]byte {
	return append([][]byte{[]byte(name)}, args...)
}

func init() {
	RegisterCommand(OpSet, func(r *Record, emit func(...[]byte)) {
		if r.ExpireAt > 0 {
			emit(Cmd("SET", r.Key, r.Value, []byte("PXAT"), Num(r.ExpireAt))...)
			return
		}
		emit(Cmd("SET", r.Key, r.Value)...)
	})
	RegisterCommand(OpDel, func(r *Record, emit func(...[]byte)) { emit(Cmd("DEL", r.Key)...) })
	RegisterCommand(OpExpire, func(r *Record, emit func(...[]byte)) { emit(Cmd("PEXPIREAT", r.Key, Num(r.ExpireAt))...) })
	RegisterCommand(OpPersist, func(r *Record, emit func(...[]byte)) { emit(Cmd("PERSIST", r.Key)...) })
	RegisterCommand(OpFlush, func(r *Record, emit func(...[]byte)) {
		if r.Arg == 1 {
			emit(Cmd("FLUSHALL")...)
			return
		}
		emit(Cmd("FLUSHDB")...)
	})
	RegisterCommand(OpSetRange, func(r *Record, emit func(...[]byte)) {
		emit(Cmd("SETRANGE", r.Key, Num(r.Offset), r.Value)...)
	})
	RegisterCommand(OpSetRanges, func(r *Record, emit func(...[]byte)) {
		Ranges(r.Value, func(off int64, b []byte) { emit(Cmd("SETRANGE", r.Key, Num(off), b)...) })
	})
	RegisterCommand(OpMove, func(r *Record, emit func(...[]byte)) { emit(Cmd("MOVE", r.Key, Num(r.Arg))...) })
	RegisterCommand(OpSwapDB, func(r *Record, emit func(...[]byte)) {
		emit(Cmd("SWAPDB", Num(int64(r.DB)), Num(r.Arg))...)
	})
	// hashes: a field's TTL (Redis 7.4's HPEXPIREAT/HPERSIST; a Redis 7.0
	// replica refuses them and keeps the field without one)
	hset := func(r *Record, emit func(...[]byte)) {
		emit(Cmd("HSET", append([][]byte{r.Key}, ItemList(r.Value)...)...)...)
	}
	RegisterCommand(OpHSet, hset)
	RegisterCommand(OpHSetKeepTTL, hset)
	RegisterCommand(OpHDel, func(r *Record, emit func(...[]byte)) {
		emit(Cmd("HDEL", append([][]byte{r.Key}, ItemList(r.Value)...)...)...)
	})
	RegisterCommand(OpHExpire, func(r *Record, emit func(...[]byte)) {
		fields := ItemList(r.Value)
		args := [][]byte{r.Key}
		name := "HPERSIST"
		if r.Arg > 0 {
			name = "HPEXPIREAT"
			args = append(args, Num(r.Arg))
		}
		args = append(args, []byte("FIELDS"), Num(int64(len(fields))))
		emit(Cmd(name, append(args, fields...)...)...)
	})
	// function libraries
	RegisterCommand(OpFunctionLoad, func(r *Record, emit func(...[]byte)) {
		if it := ItemList(r.Value); len(it) == 2 {
			emit(Cmd("FUNCTION", []byte("LOAD"), []byte("REPLACE"), it[1])...)
		}
	})
	RegisterCommand(OpFunctionDelete, func(r *Record, emit func(...[]byte)) {
		if it := ItemList(r.Value); len(it) == 1 {
			emit(Cmd("FUNCTION", []byte("DELETE"), it[0])...)
		}
	})
	RegisterCommand(OpFunctionFlush, func(r *Record, emit func(...[]byte)) { emit(Cmd("FUNCTION", []byte("FLUSH"))...) })
}
