package persistence

import (
	"encoding/binary"
	"errors"
	"fmt"
)

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
	// OpSetRange writes Value at byte Offset of Key's value, zero-filling
	// any gap, keeping the key's expiry (a missing key is created without
	// one): APPEND and SETRANGE on an existing key, so a record costs the
	// bytes written, not the whole value. Like every record it is
	// idempotent: applying it twice leaves the same value.
	OpSetRange Op = 6
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
	case OpSetRange:
		return "setrange"
	}
	return "unknown"
}

// Record is one mutation, as applied by a shard.
type Record struct {
	Op       Op
	LSN      uint64 // global sequence number, assigned when the record is queued
	ExpireAt int64  // absolute unix ms; 0 = no expiry (OpSet, OpExpire)
	Offset   int64  // OpSetRange only
	Key      []byte
	Value    []byte // OpSet and OpSetRange
}

// Arg is the record's numeric argument as Recorder.Record takes it: the
// offset of an OpSetRange, otherwise the expiry.
func (r *Record) Arg() int64 {
	if r.Op == OpSetRange {
		return r.Offset
	}
	return r.ExpireAt
}

// Recorder receives a shard's mutation records in the order the shard applied
// them. It is called with the shard's lock held; key and value are only valid
// for the duration of the call and must be copied.
type Recorder interface {
	// arg is the absolute expiry (unix ms, 0 = none) of OpSet and
	// OpExpire, and the byte offset of OpSetRange (Record.Arg).
	Record(op Op, key, value []byte, arg int64)
}

// appendRecord encodes one record: op u8 | flags u8 (bit 0: has expiry) |
// LSN uvarint | [expireAt varint] | key len uvarint | key | (OpSetRange:
// offset uvarint) | (OpSet, OpSetRange: value len uvarint | value).
func appendRecord(dst []byte, op Op, lsn uint64, key, value []byte, arg int64) []byte {
	flags := byte(0)
	expireAt := arg
	if op == OpSetRange {
		expireAt = 0
	}
	if expireAt != 0 {
		flags = 1
	}
	dst = append(dst, byte(op), flags)
	dst = binary.AppendUvarint(dst, lsn)
	if flags&1 != 0 {
		dst = binary.AppendVarint(dst, expireAt)
	}
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	dst = append(dst, key...)
	if op == OpSetRange {
		dst = binary.AppendUvarint(dst, uint64(arg))
	}
	if op == OpSet || op == OpSetRange {
		dst = binary.AppendUvarint(dst, uint64(len(value)))
		dst = append(dst, value...)
	}
	return dst
}

var errBadRecord = errors.New("malformed record")

// decodeRecord decodes the record at the start of p into r (Key and Value
// alias p) and returns its length.
func decodeRecord(p []byte, r *Record) (int, error) {
	if len(p) < 2 {
		return 0, errBadRecord
	}
	op, flags := Op(p[0]), p[1]
	if op < OpSet || op > OpSetRange || flags > 1 || (op == OpSetRange && flags != 0) {
		return 0, fmt.Errorf("unknown record type %d/%d", p[0], p[1])
	}
	i := 2
	lsn, n := binary.Uvarint(p[i:])
	if n <= 0 {
		return 0, errBadRecord
	}
	i += n
	r.Op, r.LSN, r.ExpireAt, r.Offset, r.Value = op, lsn, 0, 0, nil
	if flags&1 != 0 {
		v, n := binary.Varint(p[i:])
		if n <= 0 {
			return 0, errBadRecord
		}
		r.ExpireAt = v
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
	if op == OpSet || op == OpSetRange {
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
	if binary.LittleEndian.Uint16(hdr) != frameMagic || hdr[2] != frameVersion || hdr[3] > codecZstd {
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
