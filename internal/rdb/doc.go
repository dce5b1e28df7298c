// Package rdb holds Redis's RDB value encoding as DUMP and RESTORE carry
// it (Redis 7.0, RDB version 10): the object types, length and string
// encodings (integer-encoded and LZF-compressed strings), listpacks,
// ziplists and intsets, streams (stream.go), the DUMP footer (RDB version
// and CRC64), and the LZF and CRC64 algorithms Redis uses, so that a
// payload written here is byte for byte the one redis-server writes for
// the same value and encoding, and any payload redis-server writes can be
// read.
//
// Decoding never trusts the input: every read is bounds-checked, every
// count is checked against the bytes left before anything is allocated,
// and a malformed payload is an error, never a panic.
package rdb

// Object types (the byte that starts a payload).
const (
	TypeString          = 0
	TypeList            = 1
	TypeSet             = 2
	TypeZSet            = 3
	TypeHash            = 4
	TypeZSet2           = 5
	TypeHashZipmap      = 9 // Redis before 2.6 (read, never written)
	TypeListZiplist     = 10
	TypeSetIntset       = 11
	TypeZSetZiplist     = 12
	TypeHashZiplist     = 13
	TypeListQuicklist   = 14
	TypeStreamListpack  = 15
	TypeHashListpack    = 16
	TypeZSetListpack    = 17
	TypeListQuicklist2  = 18
	TypeStreamListpack2 = 19
	TypeSetListpack     = 20
	TypeStreamListpack3 = 21
)

// Version is the RDB version Redis 7.0 writes; payloads of a later
// version are refused.
const Version = 10

// Kind is what a decoded value is, independent of its encoding.
type Kind uint8

const (
	KindString Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
)

// Value is a decoded payload. Items are a list's elements in order, a
// set's members, a sorted set's members (Scores beside them) or a hash's
// fields and values alternating.
type Value struct {
	Kind   Kind
	Str    []byte
	Items  [][]byte
	Scores []float64
	// Nodes are a quicklist's node sizes (elements per node), which
	// RESTORE keeps as Redis does; nil for other encodings.
	Nodes []int
	// Stream is a stream's nodes, counters and groups (stream.go).
	Stream *Stream
}
