package object

import (
	"encoding/binary"
	"strconv"
)

// A listpack is Redis's packed list format, which a stream node uses for
// its entries (see stream.go): byte for byte the same encoding, so a node
// holds exactly as many bytes as Redis's and is cut at the same points
// (stream-node-max-bytes counts listpack bytes), which XINFO STREAM shows.
//
//	total-bytes u32 LE | num-elements u16 LE | element* | 0xFF
//	element: encoding+data | backlen (the size of encoding+data, 1-5 bytes,
//	         readable from its end so the list can be walked backwards)
//
// A string that is a canonical int64 (as Redis's string2ll reads it) is
// stored as an integer: 0..127 in one byte, then 13, 16, 24, 32 or 64 bits.

const (
	lpHdrSize    = 6
	lpEOF        = 0xFF
	lpNumUnknown = 65535

	lpEnc7BitUint  = 0x00 // 0xxxxxxx
	lpEnc6BitStr   = 0x80 // 10xxxxxx
	lpEnc13BitInt  = 0xC0 // 110xxxxx
	lpEnc12BitStr  = 0xE0 // 1110xxxx
	lpEnc32BitStr  = 0xF0
	lpEnc16BitInt  = 0xF1
	lpEnc24BitInt  = 0xF2
	lpEnc32BitInt  = 0xF3
	lpEnc64BitInt  = 0xF4
	lpMaxIntDigits = 20
)

// lpNew is an empty listpack with room for capacity bytes.
func lpNew(capacity int) []byte {
	lp := make([]byte, lpHdrSize+1, max(capacity, lpHdrSize+1))
	binary.LittleEndian.PutUint32(lp, lpHdrSize+1)
	lp[lpHdrSize] = lpEOF
	return lp
}

// lpBytes is the listpack's size as its header says (len(lp) when sound).
func lpBytes(lp []byte) int { return int(binary.LittleEndian.Uint32(lp)) }

// lpStringToInt is Redis's string2ll: a canonical decimal int64 (no '+',
// no leading zeros, no "-0", at most 20 bytes).
func lpStringToInt(s []byte) (int64, bool) {
	n := len(s)
	if n == 0 || n > lpMaxIntDigits {
		return 0, false
	}
	if n == 1 && s[0] == '0' {
		return 0, true
	}
	i, neg := 0, false
	if s[0] == '-' {
		neg, i = true, 1
		if n == 1 {
			return 0, false
		}
	}
	if s[i] < '1' || s[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (1<<64-1)/10 {
			return 0, false
		}
		v *= 10
		if v > 1<<64-1-uint64(c-'0') {
			return 0, false
		}
		v += uint64(c - '0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// lpIntEncLen is the size of v's integer encoding.
func lpIntEncLen(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 1
	case v >= -4096 && v <= 4095:
		return 2
	case v >= -32768 && v <= 32767:
		return 3
	case v >= -8388608 && v <= 8388607:
		return 4
	case v >= -2147483648 && v <= 2147483647:
		return 5
	}
	return 9
}

// lpBacklenSize is the size of the backlen of an element of l bytes.
func lpBacklenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

func lpAppendBacklen(dst []byte, l int) []byte {
	switch lpBacklenSize(l) {
	case 1:
		return append(dst, byte(l))
	case 2:
		return append(dst, byte(l>>7), byte(l&127)|128)
	case 3:
		return append(dst, byte(l>>14), byte((l>>7)&127)|128, byte(l&127)|128)
	case 4:
		return append(dst, byte(l>>21), byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	}
	return append(dst, byte(l>>28), byte((l>>21)&127)|128, byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
}

// lpAppendIntElem appends v's element (encoding and backlen).
func lpAppendIntElem(dst []byte, v int64) []byte {
	n := lpIntEncLen(v)
	switch n {
	case 1:
		dst = append(dst, byte(v))
	case 2:
		u := uint64(v) & (1<<13 - 1)
		dst = append(dst, byte(u>>8)|lpEnc13BitInt, byte(u))
	case 3:
		u := uint64(v)
		dst = append(dst, lpEnc16BitInt, byte(u), byte(u>>8))
	case 4:
		u := uint64(v)
		dst = append(dst, lpEnc24BitInt, byte(u), byte(u>>8), byte(u>>16))
	case 5:
		u := uint64(v)
		dst = append(dst, lpEnc32BitInt, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	default:
		dst = append(dst, lpEnc64BitInt)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
	}
	return lpAppendBacklen(dst, n)
}

// lpElemSize is the size of the element s would be stored as.
func lpElemSize(s []byte) int {
	if v, ok := lpStringToInt(s); ok {
		n := lpIntEncLen(v)
		return n + lpBacklenSize(n)
	}
	var n int
	switch l := len(s); {
	case l < 64:
		n = 1 + l
	case l < 4096:
		n = 2 + l
	default:
		n = 5 + l
	}
	return n + lpBacklenSize(n)
}

// lpAppendStrElem appends s's element: an integer when s is one.
func lpAppendStrElem(dst []byte, s []byte) []byte {
	if v, ok := lpStringToInt(s); ok {
		return lpAppendIntElem(dst, v)
	}
	l := len(s)
	var n int
	switch {
	case l < 64:
		dst = append(dst, lpEnc6BitStr|byte(l))
		n = 1 + l
	case l < 4096:
		dst = append(dst, lpEnc12BitStr|byte(l>>8), byte(l))
		n = 2 + l
	default:
		dst = append(dst, lpEnc32BitStr)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(l))
		n = 5 + l
	}
	dst = append(dst, s...)
	return lpAppendBacklen(dst, n)
}

// lpAddElems updates the header after n elements were appended before the
// terminator (the caller appended them at lp[len-1:] and re-added 0xFF).
func lpSetHeader(lp []byte, added int) {
	binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
	if num := binary.LittleEndian.Uint16(lp[4:]); num != lpNumUnknown {
		if int(num)+added < lpNumUnknown {
			binary.LittleEndian.PutUint16(lp[4:], num+uint16(added))
		} else {
			binary.LittleEndian.PutUint16(lp[4:], lpNumUnknown)
		}
	}
}

// lpElem decodes the element at lp[p:]: an integer (isInt) or a string
// (aliasing lp), and the position of the next element. A malformed element
// yields next = -1.
func lpElem(lp []byte, p int) (s []byte, v int64, isInt bool, next int) {
	if p < 0 || p >= len(lp) {
		return nil, 0, false, -1
	}
	b := lp[p]
	var n int // encoding + data
	switch {
	case b&0x80 == 0:
		v, isInt, n = int64(b), true, 1
	case b&0xC0 == lpEnc6BitStr:
		l := int(b & 0x3F)
		if p+1+l > len(lp) {
			return nil, 0, false, -1
		}
		s, n = lp[p+1:p+1+l:p+1+l], 1+l
	case b&0xE0 == lpEnc13BitInt:
		if p+2 > len(lp) {
			return nil, 0, false, -1
		}
		u := uint64(b&0x1F)<<8 | uint64(lp[p+1])
		v = int64(u<<51) >> 51
		isInt, n = true, 2
	case b&0xF0 == lpEnc12BitStr:
		if p+2 > len(lp) {
			return nil, 0, false, -1
		}
		l := int(b&0x0F)<<8 | int(lp[p+1])
		if p+2+l > len(lp) {
			return nil, 0, false, -1
		}
		s, n = lp[p+2:p+2+l:p+2+l], 2+l
	case b == lpEnc16BitInt:
		if p+3 > len(lp) {
			return nil, 0, false, -1
		}
		v, isInt, n = int64(int16(binary.LittleEndian.Uint16(lp[p+1:]))), true, 3
	case b == lpEnc24BitInt:
		if p+4 > len(lp) {
			return nil, 0, false, -1
		}
		u := uint32(lp[p+1]) | uint32(lp[p+2])<<8 | uint32(lp[p+3])<<16
		v, isInt, n = int64(int32(u<<8)>>8), true, 4
	case b == lpEnc32BitInt:
		if p+5 > len(lp) {
			return nil, 0, false, -1
		}
		v, isInt, n = int64(int32(binary.LittleEndian.Uint32(lp[p+1:]))), true, 5
	case b == lpEnc64BitInt:
		if p+9 > len(lp) {
			return nil, 0, false, -1
		}
		v, isInt, n = int64(binary.LittleEndian.Uint64(lp[p+1:])), true, 9
	case b == lpEnc32BitStr:
		if p+5 > len(lp) {
			return nil, 0, false, -1
		}
		l := int(binary.LittleEndian.Uint32(lp[p+1:]))
		if l < 0 || p+5+l > len(lp) {
			return nil, 0, false, -1
		}
		s, n = lp[p+5:p+5+l:p+5+l], 5+l
	default:
		return nil, 0, false, -1
	}
	next = p + n + lpBacklenSize(n)
	if next > len(lp) {
		return nil, 0, false, -1
	}
	return s, v, isInt, next
}

// lpInt decodes the integer element at p (a string element is parsed; a
// malformed one reads as 0) and the next position.
func lpInt(lp []byte, p int) (int64, int) {
	s, v, isInt, next := lpElem(lp, p)
	if !isInt && next >= 0 {
		v, _ = lpStringToInt(s)
	}
	return v, next
}

// lpSkip is the position after the element at p (-1 if malformed).
func lpSkip(lp []byte, p int) int {
	_, _, _, next := lpElem(lp, p)
	return next
}

// lpGet is the element at p as bytes: a string aliases lp, an integer is
// formatted into buf. next as lpElem.
func lpGet(lp []byte, p int, buf []byte) ([]byte, int) {
	s, v, isInt, next := lpElem(lp, p)
	if isInt {
		return strconv.AppendInt(buf[:0], v, 10), next
	}
	return s, next
}

// lpPrev is the position of the element before the one at p (p may be the
// terminator's position); -1 before the first element or if malformed.
func lpPrev(lp []byte, p int) int {
	if p <= lpHdrSize || p > len(lp) {
		return -1
	}
	q := p - 1
	var l, shift uint
	for {
		c := lp[q]
		l |= uint(c&127) << shift
		if c&128 == 0 {
			break
		}
		shift += 7
		q--
		if shift > 28 || q < lpHdrSize {
			return -1
		}
	}
	start := p - int(l) - lpBacklenSize(int(l))
	if start < lpHdrSize {
		return -1
	}
	return start
}

// lpLast is the position of the last element (-1 if none).
func lpLast(lp []byte) int { return lpPrev(lp, len(lp)-1) }

// lpReplaceInt replaces the integer element at p with v and returns the
// listpack (moved when the element changed size); p keeps pointing at it.
func lpReplaceInt(lp []byte, p int, v int64) []byte {
	next := lpSkip(lp, p)
	if next < 0 {
		return lp
	}
	old := next - p
	n := lpIntEncLen(v)
	size := n + lpBacklenSize(n)
	var tmp [16]byte
	enc := lpAppendIntElem(tmp[:0], v)
	if size == old {
		copy(lp[p:], enc)
		return lp
	}
	if size > old {
		grow := size - old
		lp = append(lp, make([]byte, grow)...)
		copy(lp[next+grow:], lp[next:len(lp)-grow])
	} else {
		shrink := old - size
		copy(lp[p+size:], lp[next:])
		lp = lp[:len(lp)-shrink]
	}
	copy(lp[p:], enc)
	binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
	return lp
}
