package rdb

import (
	"encoding/binary"
	"math"
	"strconv"
)

// String encodings (the two high bits of a length byte set: 11xxxxxx).
const (
	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// Writer builds a DUMP payload: the object type, the value, then the
// footer (Finish).
type Writer struct {
	b []byte
	// NoCompress writes strings without LZF (Redis's rdbcompression no).
	NoCompress bool
}

// Type writes the object type byte.
func (w *Writer) Type(t byte) { w.b = append(w.b, t) }

// Len writes n in RDB length encoding.
func (w *Writer) Len(n uint64) { w.b = AppendLen(w.b, n) }

// AppendLen appends n in RDB length encoding: 6 bits, 14 bits (big
// endian), or a marker byte and 32 or 64 bits big endian.
func AppendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

// String writes s as Redis's rdbSaveRawString does: a canonical integer
// of at most 11 bytes that fits 32 bits as an encoded integer, a string
// over 20 bytes LZF-compressed when that saves more than 4 bytes, else
// its length and bytes.
func (w *Writer) String(s []byte) { w.b = appendString(w.b, s, !w.NoCompress) }

// AppendString appends s as String writes it.
func AppendString(b []byte, s []byte) []byte { return appendString(b, s, true) }

// appendString appends s, LZF-compressed only if lzf.
func appendString(b []byte, s []byte, lzf bool) []byte {
	if len(s) <= 11 {
		if v, ok := parseCanonical(s); ok && v >= math.MinInt32 && v <= math.MaxInt32 {
			return appendEncodedInt(b, v)
		}
	}
	if lzf && len(s) > 20 {
		if c := lzfCompress(s, len(s)-4); c != nil {
			b = append(b, 0xC0|encLZF)
			b = AppendLen(b, uint64(len(c)))
			b = AppendLen(b, uint64(len(s)))
			return append(b, c...)
		}
	}
	b = AppendLen(b, uint64(len(s)))
	return append(b, s...)
}

func appendEncodedInt(b []byte, v int64) []byte {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(b, 0xC0|encInt8, byte(v))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return binary.LittleEndian.AppendUint16(append(b, 0xC0|encInt16), uint16(v))
	}
	return binary.LittleEndian.AppendUint32(append(b, 0xC0|encInt32), uint32(v))
}

// BinaryDouble writes f as 8 bytes little endian (a zset2 score).
func (w *Writer) BinaryDouble(f float64) {
	w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(f))
}

// Finish appends the footer (RDB version, then the CRC64 of everything
// before it, both little endian) and returns the payload.
func (w *Writer) Finish() []byte {
	w.b = binary.LittleEndian.AppendUint16(w.b, Version)
	w.b = binary.LittleEndian.AppendUint64(w.b, CRC64(0, w.b))
	return w.b
}

// Value returns what was written so far (the type byte and the value,
// without Finish's footer: an RDB file's record of a key, FileWriter.Key);
// it stays valid until the next write after Reset.
func (w *Writer) Value() []byte { return w.b }

// Reset empties w, keeping its buffer.
func (w *Writer) Reset() { w.b = w.b[:0] }

// parseCanonical is Redis's string2ll: a decimal int64 with no sign but
// '-', no leading zeros, no "-0", no spaces.
func parseCanonical(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	i := 0
	if s[0] == '-' {
		i = 1
	}
	if i >= len(s) || s[i] < '1' || s[i] > '9' {
		return 0, false
	}
	for _, c := range s[i:] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(string(s), 10, 64)
	return v, err == nil
}

// FormatScore is Redis 7.0's d2string: how a listpack stores a sorted
// set's score (an integral score within 2^52 as an integer, else %.17g).
func FormatScore(f float64) []byte {
	switch {
	case math.IsNaN(f):
		return []byte("nan")
	case math.IsInf(f, 1):
		return []byte("inf")
	case math.IsInf(f, -1):
		return []byte("-inf")
	case f == 0:
		if math.Signbit(f) {
			return []byte("-0")
		}
		return []byte("0")
	case f > -4503599627370495 && f < 4503599627370496 && f == math.Trunc(f):
		return strconv.AppendInt(nil, int64(f), 10)
	}
	return strconv.AppendFloat(nil, f, 'g', 17, 64)
}

// Listpack builds a listpack (Redis's listpack.c layout: total bytes u32,
// count u16, entries, 0xFF), entries encoded as lpAppend encodes them.
type Listpack struct {
	b []byte
	n int
}

// Append adds s, as an integer when it is a canonical int64.
func (lp *Listpack) Append(s []byte) {
	if lp.b == nil {
		lp.b = make([]byte, 6, 64)
	}
	start := len(lp.b)
	if v, ok := parseCanonical(s); ok {
		lp.b = appendLPInt(lp.b, v)
	} else {
		switch n := len(s); {
		case n < 64:
			lp.b = append(lp.b, 0x80|byte(n))
		case n < 4096:
			lp.b = append(lp.b, 0xE0|byte(n>>8), byte(n))
		default:
			lp.b = binary.LittleEndian.AppendUint32(append(lp.b, 0xF0), uint32(n))
		}
		lp.b = append(lp.b, s...)
	}
	lp.b = appendBacklen(lp.b, len(lp.b)-start)
	lp.n++
}

func appendLPInt(b []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= 127:
		return append(b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & 0x1FFF
		return append(b, 0xC0|byte(u>>8), byte(u))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return binary.LittleEndian.AppendUint16(append(b, 0xF1), uint16(v))
	case v >= -1<<23 && v < 1<<23:
		u := uint32(v)
		return append(b, 0xF2, byte(u), byte(u>>8), byte(u>>16))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return binary.LittleEndian.AppendUint32(append(b, 0xF3), uint32(v))
	}
	return binary.LittleEndian.AppendUint64(append(b, 0xF4), uint64(v))
}

// appendBacklen appends l (an entry's encoding+data size) so that it reads
// from its last byte backwards, as lpEncodeBacklen.
func appendBacklen(b []byte, l int) []byte {
	switch {
	case l <= 127:
		return append(b, byte(l))
	case l < 16383:
		return append(b, byte(l>>7), byte(l&127)|128)
	case l < 2097151:
		return append(b, byte(l>>14), byte((l>>7)&127)|128, byte(l&127)|128)
	case l < 268435455:
		return append(b, byte(l>>21), byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	}
	return append(b, byte(l>>28), byte((l>>21)&127)|128, byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
}

// Bytes finishes the listpack (header and terminator) and returns it.
func (lp *Listpack) Bytes() []byte {
	if lp.b == nil {
		lp.b = make([]byte, 6, 7)
	}
	b := append(lp.b, 0xFF)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	n := lp.n
	if n >= 65535 {
		n = 65535
	}
	binary.LittleEndian.PutUint16(b[4:], uint16(n))
	return b
}

// Intset is Redis's intset blob: encoding (2, 4 or 8) u32, count u32,
// then the values ascending, each in width bytes, all little endian.
func Intset(width int, n int, contents []byte) []byte {
	b := make([]byte, 8, 8+len(contents))
	binary.LittleEndian.PutUint32(b, uint32(width))
	binary.LittleEndian.PutUint32(b[4:], uint32(n))
	return append(b, contents...)
}
