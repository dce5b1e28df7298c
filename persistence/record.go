package persistence

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Op is the kind of a mutation record. Records are logged in their effective,
// deterministic form: replay never re-evaluates a command, it re-applies the
// state change the command made (HINCRBY is logged as the field's new value,
// SPOP as the removal of the members it returned).
type Op uint8

const (
	// OpSet stores Value under Key with absolute expiry ExpireAt (unix ms, 0 = none).
	// INCR, SET ... GET, GETSET, COPY and the destination of a RENAME are
	// all logged as OpSet of the resulting string.
	OpSet Op = 1
	// OpDel removes Key, whatever its type (DEL, UNLINK, GETDEL, expiry
	// deletions, evictions, the source of a RENAME, an EXPIRE whose time has
	// already passed, a collection emptied by its last removal).
	OpDel Op = 2
	// OpExpire sets the absolute expiry of Key to ExpireAt (unix ms): EXPIRE,
	// PEXPIRE, EXPIREAT, PEXPIREAT, GETEX with a TTL.
	OpExpire Op = 3
	// OpPersist removes the expiry of Key.
	OpPersist Op = 4
	// OpFlush removes every key of database DB (FLUSHDB), or of every
	// database when Arg is 1 (FLUSHALL; records written before databases
	// existed have no DB and no Arg: database 0, the only one then). It has
	// no key.
	OpFlush Op = 5
	// OpSetRange writes Value at byte Offset of Key's value, zero-filling
	// any gap, keeping the key's expiry (a missing key is created without
	// one): APPEND, SETRANGE and SETBIT on an existing key, so a record
	// costs the bytes written, not the whole value.
	OpSetRange Op = 6

	// Ops from 16 up share one body layout (see appendRecord): an optional
	// Arg and Value, a list of length-prefixed items (Items, AppendItem).
	// Each kind owns a range: hashes 16-31, sets 32-47, sorted sets 48-63,
	// lists 64-79, streams 80-95, functions 96-111, keyspace 112-127,
	// strings 128-143 (string_ops.go).

	// OpHSet sets fields of the hash Key (created if missing, without
	// expiry): items are field, value pairs. HSET, HMSET, HSETNX, HINCRBY
	// (the new value), HINCRBYFLOAT.
	OpHSet Op = 16
	// OpHDel removes fields (items) of the hash Key; the key goes when its
	// last field does. HDEL, and fields expired by hash-field expiry.
	OpHDel Op = 17
	// OpHExpire sets the absolute expiry Arg (unix ms; 0 removes it) of
	// fields (items) of the hash Key: HEXPIRE and its family, HPERSIST.
	OpHExpire Op = 18
	// OpHSetKeepTTL is OpHSet keeping each field's TTL (HINCRBY,
	// HINCRBYFLOAT: a change of a field's value, not a new value).
	OpHSetKeepTTL Op = 19

	// OpMove moves Key from database DB to database Arg (MOVE).
	OpMove Op = 112
	// OpSwapDB swaps database DB with database Arg (SWAPDB).
	OpSwapDB Op = 113
	// OpReplPos is a replica's position in its primary's stream: Key is
	// the primary's run id, Arg the stream offset after the frame whose
	// records share this record's group. It changes no key; after a
	// restart the replica resumes from the last one. Following a
	// redis-server primary, Key is "redis:<replid>:<db>" (the database its
	// stream was in), logged by a clean stop only, and an empty Key (no
	// position) is logged and fsynced before the stream changes anything.
	OpReplPos Op = 114
)

// opNames are the names of the ops this binary knows; a record with any
// other op is refused (UnsupportedError), never skipped.
var opNames = map[Op]string{
	OpSet: "set", OpDel: "del", OpExpire: "pexpireat", OpPersist: "persist",
	OpFlush: "flush", OpSetRange: "setrange",
}

// RegisterOp names an op of 16 or more (the kinds' packages call it from
// init); wal dump and tail print the name.
func RegisterOp(op Op, name string) {
	if op < 16 {
		panic("persistence: ops below 16 are the envelope's own")
	}
	if _, dup := opNames[op]; dup {
		panic("persistence: op registered twice: " + name)
	}
	opNames[op] = name
}

func init() {
	RegisterOp(OpHSet, "hset")
	RegisterOp(OpHDel, "hdel")
	RegisterOp(OpHExpire, "hpexpireat")
	RegisterOp(OpHSetKeepTTL, "hsetkeepttl")
	RegisterOp(OpMove, "move")
	RegisterOp(OpSwapDB, "swapdb")
	RegisterOp(OpReplPos, "replpos")
}

func (o Op) String() string {
	if n, ok := opNames[o]; ok {
		return n
	}
	return "unknown"
}

// Known reports whether this binary knows op.
func (o Op) Known() bool { _, ok := opNames[o]; return ok }

// Record is one mutation, as applied by a shard.
type Record struct {
	Op       Op
	LSN      uint64 // global sequence number, assigned when the record is queued
	DB       int    // database number
	ExpireAt int64  // absolute unix ms; 0 = no expiry (OpSet, OpExpire)
	Offset   int64  // OpSetRange only
	Arg      int64  // ops >= 16 and OpFlush, OpMove, OpSwapDB: the op's number
	Key      []byte
	Value    []byte // OpSet and OpSetRange: bytes; ops >= 16: items
	// Group is, on the first record of a group (a multi-shard command or
	// MULTI/EXEC: its records are consecutive in one frame), the number of
	// records in the group; 0 on every other record. A replica applies a
	// group atomically.
	Group int
}

// Num is the record's numeric argument as Recorder.Record takes it: the
// offset of an OpSetRange, the expiry of OpSet and OpExpire, else Arg.
func (r *Record) Num() int64 {
	switch r.Op {
	case OpSetRange:
		return r.Offset
	case OpSet, OpExpire:
		return r.ExpireAt
	}
	return r.Arg
}

// Recorder receives a shard's mutation records in the order the shard applied
// them. It is called with the shard's lock held; key and value are only valid
// for the duration of the call and must be copied.
type Recorder interface {
	// db is the key's database. num is the absolute expiry (unix ms, 0 =
	// none) of OpSet and OpExpire, the byte offset of OpSetRange, and the
	// argument of the other ops (Record.Num).
	Record(op Op, db int, key, value []byte, num int64)
}

// record flags
const (
	recNum    = 1 << 0 // a varint follows the LSN: expiry (OpSet, OpExpire) or Arg
	recDB     = 1 << 1 // a uvarint database number follows
	recGroup  = 1 << 2 // a uvarint group size follows: the first record of a group
	recFlags  = recNum | recDB | recGroup
	maxItemsN = 1 << 31
)

// appendRecord encodes one record:
//
//	op u8 | flags u8 | LSN uvarint | [num varint] | [db uvarint] | [group uvarint] | key len uvarint | key
//	| OpSetRange: offset uvarint | OpSet, OpSetRange, ops >= 16: value len uvarint | value
//
// Records of database 0 with the six original ops are byte for byte what
// format version 1 wrote.
func appendRecord(dst []byte, op Op, lsn uint64, db int, key, value []byte, num int64) []byte {
	return appendRecordG(dst, op, lsn, db, 0, key, value, num)
}

// appendRecordG is appendRecord for the first record of a group of group
// records (group > 1).
func appendRecordG(dst []byte, op Op, lsn uint64, db, group int, key, value []byte, num int64) []byte {
	flags := byte(0)
	n := num
	if op == OpSetRange {
		n = 0
	}
	if n != 0 {
		flags |= recNum
	}
	if db != 0 {
		flags |= recDB
	}
	if group > 1 {
		flags |= recGroup
	}
	dst = append(dst, byte(op), flags)
	dst = binary.AppendUvarint(dst, lsn)
	if flags&recNum != 0 {
		dst = binary.AppendVarint(dst, n)
	}
	if flags&recDB != 0 {
		dst = binary.AppendUvarint(dst, uint64(db))
	}
	if flags&recGroup != 0 {
		dst = binary.AppendUvarint(dst, uint64(group))
	}
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	dst = append(dst, key...)
	if op == OpSetRange {
		dst = binary.AppendUvarint(dst, uint64(num))
	}
	if hasValue(op) {
		dst = binary.AppendUvarint(dst, uint64(len(value)))
		dst = append(dst, value...)
	}
	return dst
}

func hasValue(op Op) bool { return op == OpSet || op == OpSetRange || op >= 16 }

var errBadRecord = errors.New("malformed record")

// UnsupportedError is data written by a newer (or unknown) format: a frame,
// segment or snapshot version, or a record kind, that this binary does not
// know. It is never taken for damage: start-up stops and nothing is cut.
type UnsupportedError struct {
	File   string
	Offset int64
	What   string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s offset %d: %s: written by a newer fastcache? this binary reads format versions up to %d; start the newer binary, or restore a backup (nothing was changed)",
		e.File, e.Offset, e.What, frameVersion)
}

// errUnknownOp marks a well-formed record of an op this binary does not know.
type errUnknownOp struct{ op, flags byte }

func (e errUnknownOp) Error() string { return fmt.Sprintf("unknown record type %d/%d", e.op, e.flags) }

// decodeRecord decodes the record at the start of p into r (Key and Value
// alias p) and returns its length.
func decodeRecord(p []byte, r *Record) (int, error) {
	if len(p) < 2 {
		return 0, errBadRecord
	}
	op, flags := Op(p[0]), p[1]
	if !op.Known() || flags&^recFlags != 0 {
		return 0, errUnknownOp{p[0], p[1]}
	}
	i := 2
	lsn, n := binary.Uvarint(p[i:])
	if n <= 0 {
		return 0, errBadRecord
	}
	i += n
	*r = Record{Op: op, LSN: lsn}
	if flags&recNum != 0 {
		v, n := binary.Varint(p[i:])
		if n <= 0 {
			return 0, errBadRecord
		}
		switch op {
		case OpSet, OpExpire:
			r.ExpireAt = v
		case OpSetRange:
			return 0, errBadRecord
		default:
			r.Arg = v
		}
		i += n
	}
	if flags&recDB != 0 {
		v, n := binary.Uvarint(p[i:])
		if n <= 0 || v > 1<<20 {
			return 0, errBadRecord
		}
		r.DB = int(v)
		i += n
	}
	if flags&recGroup != 0 {
		v, n := binary.Uvarint(p[i:])
		if n <= 0 || v < 2 || v > 1<<31 {
			return 0, errBadRecord
		}
		r.Group = int(v)
		i += n
	}
	kl, n := binary.Uvarint(p[i:])
	if n <= 0 || kl > uint64(len(p)-i-n) {
		return 0, errBadRecord
	}
	i += n
	r.Key = p[i : i+int(kl) : i+int(kl)]
	i += int(kl)
	if op == OpSetRange {
		off, n := binary.Uvarint(p[i:])
		if n <= 0 || off > 1<<40 {
			return 0, errBadRecord
		}
		r.Offset = int64(off)
		i += n
	}
	if hasValue(op) {
		vl, n := binary.Uvarint(p[i:])
		if n <= 0 || vl > uint64(len(p)-i-n) {
			return 0, errBadRecord
		}
		i += n
		r.Value = p[i : i+int(vl) : i+int(vl)]
		i += int(vl)
	}
	return i, nil
}

// AppendItem appends one item (uvarint length | bytes) to a record body.
func AppendItem(dst, item []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(item)))
	return append(dst, item...)
}

// Items calls fn for each item of a record body, in order; false if the
// body is malformed.
func Items(body []byte, fn func(item []byte)) bool {
	for len(body) > 0 {
		l, n := binary.Uvarint(body)
		if n <= 0 || l > uint64(len(body)-n) {
			return false
		}
		fn(body[n : n+int(l) : n+int(l)])
		body = body[n+int(l):]
	}
	return true
}

// FrameHeaderSize is the size of a frame header on disk and on the export
// stream (see doc.go).
const FrameHeaderSize = frameHdrSize

// FrameLen returns the length on disk (header, payload and padding to 8
// bytes) of the frame whose header starts hdr, after checking the header's
// magic, version, codec and length fields; a stream reader uses it to know
// how many bytes to read before DecodeFrame.
func FrameLen(hdr []byte) (int, error) {
	if len(hdr) < frameHdrSize {
		return 0, errors.New("truncated frame header")
	}
	if binary.LittleEndian.Uint16(hdr) != frameMagic || hdr[2] < 1 || hdr[2] > frameVersion || hdr[3] > codecZstd {
		return 0, errors.New("bad frame header")
	}
	stored := binary.LittleEndian.Uint32(hdr[4:])
	raw := binary.LittleEndian.Uint32(hdr[8:])
	if raw > maxFrameRaw || stored > maxFrameRaw+maxFrameRaw/8 || (hdr[3] == codecNone && raw != stored) {
		return 0, errors.New("impossible frame length")
	}
	return (frameHdrSize + int(stored) + 7) &^ 7, nil
}

// FrameCount returns the number of whole frames in b (a batch handed to
// Options.Export).
func FrameCount(b []byte) int {
	n := 0
	for len(b) >= frameHdrSize {
		l, err := FrameLen(b)
		if err != nil || l > len(b) {
			break
		}
		n++
		b = b[l:]
	}
	return n
}
