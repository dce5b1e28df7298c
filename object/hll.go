package object

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"sync/atomic"
)

// HyperLogLog values (PFADD, PFCOUNT, PFMERGE), byte for byte as Redis 7.0
// keeps them: a HyperLogLog is a plain string, so GET returns it, SET of a
// value taken from Redis works, and every layer below (WAL, snapshots,
// replicas) sees a string. The layout:
//
//	"HYLL" | encoding u8 (0 dense, 1 sparse) | 3 unused bytes
//	| cached cardinality, 8 bytes little endian; bit 7 of the last byte set = stale
//	| registers
//
// There are 16384 registers of 6 bits. An element is hashed with
// MurmurHash64A (seed 0xadc83b19): the low 14 bits pick the register, and
// the register keeps the longest run "0...01" seen in the other 50 bits
// (+1). Dense: the registers packed little end first, 12288 bytes (12304
// with the header). Sparse: run-length opcodes, ZERO (00xxxxxx: 1-64 zero
// registers), XZERO (01xxxxxx yyyyyyyy: 1-16384 zero registers) and VAL
// (1vvvvvxx: 1-4 registers of value 1-32). A sparse value becomes dense when
// a register needs more than 32 or the string would grow past
// hll-sparse-max-bytes. The cardinality is Ertl's estimator over the
// register histogram, as Redis 5 and later compute it.
//
// The functions follow Redis's update rules step by step (where a sparse
// run is split, which adjacent VAL opcodes merge, what a corrupted value
// does), since two servers that differ there give different strings.

// HLLSparseMaxBytes is hll-sparse-max-bytes: the largest sparse value
// (header included) before it is made dense.
var HLLSparseMaxBytes atomic.Int64

func init() { HLLSparseMaxBytes.Store(3000) }

const (
	hllP         = 14
	hllQ         = 64 - hllP
	hllRegisters = 1 << hllP
	hllPMask     = hllRegisters - 1
	hllBits      = 6
	hllRegMax    = 1<<hllBits - 1

	// HLLHdrSize is the header's size: magic, encoding, unused, card.
	HLLHdrSize = 16
	// HLLDenseSize is the size of a dense value.
	HLLDenseSize = HLLHdrSize + (hllRegisters*hllBits+7)/8
	// HLLCardOff is where the cached cardinality starts.
	HLLCardOff = 8

	hllDense  = 0
	hllSparse = 1

	sparseValMaxValue = 32
	sparseValMaxLen   = 4
	sparseZeroMaxLen  = 64
	sparseXZeroMaxLen = 16384

	hllAlphaInf = 0.721347520444481703680 // 0.5/ln(2)
)

// IsHLL reports whether v is a HyperLogLog as Redis accepts one: at least a
// header, the magic, a known encoding, and a dense value of the exact size.
// A sparse value's opcodes are checked only when they are read.
func IsHLL(v []byte) bool {
	if len(v) < HLLHdrSize || v[0] != 'H' || v[1] != 'Y' || v[2] != 'L' || v[3] != 'L' || v[4] > hllSparse {
		return false
	}
	return v[4] != hllDense || len(v) == HLLDenseSize
}

// HLLIsDense reports whether the HyperLogLog v is dense.
func HLLIsDense(v []byte) bool { return v[4] == hllDense }

// NewHLL is an empty HyperLogLog: sparse, all registers zero (one XZERO),
// cached cardinality 0 and valid.
func NewHLL() []byte {
	v := make([]byte, HLLHdrSize+2, HLLHdrSize+16)
	copy(v, "HYLL")
	v[4] = hllSparse
	v[HLLHdrSize] = 0x40 | byte((sparseXZeroMaxLen-1)>>8)
	v[HLLHdrSize+1] = byte((sparseXZeroMaxLen - 1) & 0xff)
	return v
}

// HLLInvalidate marks v's cached cardinality stale.
func HLLInvalidate(v []byte) { v[HLLCardOff+7] |= 0x80 }

// HLLCachedCard is v's cached cardinality, if it is valid.
func HLLCachedCard(v []byte) (uint64, bool) {
	if v[HLLCardOff+7]&0x80 != 0 {
		return 0, false
	}
	var c uint64
	for i := 7; i >= 0; i-- {
		c = c<<8 | uint64(v[HLLCardOff+i])
	}
	return c, true
}

// HLLPutCard stores card as v's cached cardinality (valid).
func HLLPutCard(v []byte, card uint64) {
	for i := 0; i < 8; i++ {
		v[HLLCardOff+i] = byte(card >> (8 * i))
	}
}

// at is p[i], or 0 past the end: Redis reads one byte past a value (the
// terminator of its string) where a truncated opcode ends it.
func at(p []byte, i int) byte {
	if i < len(p) {
		return p[i]
	}
	return 0
}

// murmur64A is MurmurHash64A, the hash Redis feeds HyperLogLogs with (read
// little endian, as Redis does on the machines it runs on).
func murmur64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ uint64(len(key))*m
	n := len(key) &^ 7
	for i := 0; i < n; i += 8 {
		k := uint64(key[i]) | uint64(key[i+1])<<8 | uint64(key[i+2])<<16 | uint64(key[i+3])<<24 |
			uint64(key[i+4])<<32 | uint64(key[i+5])<<40 | uint64(key[i+6])<<48 | uint64(key[i+7])<<56
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	if rest := key[n:]; len(rest) > 0 {
		for i := len(rest) - 1; i >= 0; i-- {
			h ^= uint64(rest[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPatLen is the register ele falls in and the length of the "0...01"
// pattern after the register bits (1..51).
func hllPatLen(ele []byte) (index int, count uint8) {
	h := murmur64A(ele, 0xadc83b19)
	index = int(h & hllPMask)
	h >>= hllP
	h |= 1 << hllQ // the loop ends: count <= Q+1
	return index, uint8(bits.TrailingZeros64(h) + 1)
}

// ---- dense ----

// denseGet is register i of the packed registers regs.
func denseGet(regs []byte, i int) uint8 {
	b := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	return uint8((uint(regs[b])>>fb | uint(at(regs, b+1))<<(8-fb)) & hllRegMax)
}

// denseSet sets register i of regs to val, and returns the first byte
// changed and how many bytes it spans (1 or 2).
func denseSet(regs []byte, i int, val uint8) (int, int) {
	b := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	regs[b] &^= byte(hllRegMax << fb)
	regs[b] |= byte(uint(val) << fb)
	if b+1 < len(regs) && fb > 8-hllBits {
		regs[b+1] &^= byte(hllRegMax >> (8 - fb))
		regs[b+1] |= byte(uint(val) >> (8 - fb))
		return b, 2
	}
	return b, 1
}

// Patches collects the byte offsets of a value changed in place, to log
// only them.
type Patches struct{ offs []int }

// Add notes n bytes changed at off.
func (p *Patches) Add(off, n int) {
	for i := 0; i < n; i++ {
		p.offs = append(p.offs, off+i)
	}
}

// Len is how many offsets were noted.
func (p *Patches) Len() int { return len(p.offs) }

// Reset forgets the offsets (and the room a large merge needed).
func (p *Patches) Reset() {
	if cap(p.offs) > 4096 {
		p.offs = nil
		return
	}
	p.offs = p.offs[:0]
}

// Ranges calls fn for the changed ranges [start, end) in order, joining
// ranges less than gap bytes apart.
func (p *Patches) Ranges(gap int, fn func(start, end int)) {
	if len(p.offs) == 0 {
		return
	}
	sort.Ints(p.offs)
	s, e := p.offs[0], p.offs[0]+1
	for _, o := range p.offs[1:] {
		if o < e {
			continue
		}
		if o-e < gap {
			e = o + 1
			continue
		}
		fn(s, e)
		s, e = o, o+1
	}
	fn(s, e)
}

// HLLDenseAdd adds ele to the dense HyperLogLog v in place (the cache is
// not touched) and reports whether a register grew; the bytes changed go to
// p (if not nil).
func HLLDenseAdd(v, ele []byte, p *Patches) bool {
	i, c := hllPatLen(ele)
	return denseSetMax(v, i, c, p)
}

// denseSetMax raises register i of the dense v to c.
func denseSetMax(v []byte, i int, c uint8, p *Patches) bool {
	regs := v[HLLHdrSize:]
	if c <= denseGet(regs, i) {
		return false
	}
	off, n := denseSet(regs, i, c)
	if p != nil {
		p.Add(HLLHdrSize+off, n)
	}
	return true
}

// ---- sparse ----

// sparse opcode fields
func isZero(b byte) bool  { return b&0xc0 == 0 }
func isXZero(b byte) bool { return b&0xc0 == 0x40 }
func isVal(b byte) bool   { return b&0x80 != 0 }
func zeroLen(b byte) int  { return int(b&0x3f) + 1 }
func valValue(b byte) int { return int(b>>2&0x1f) + 1 }
func valLen(b byte) int   { return int(b&3) + 1 }

func xzeroLen(p []byte, i int) int { return (int(p[i]&0x3f)<<8 | int(at(p, i+1))) + 1 }

func valOp(val, n int) byte { return byte((val-1)<<2|(n-1)) | 0x80 }

// appendZeros appends the opcode for a run of n zero registers.
func appendZeros(seq []byte, n int) []byte {
	if n > sparseZeroMaxLen {
		n--
		return append(seq, byte(n>>8)|0x40, byte(n))
	}
	return append(seq, byte(n-1))
}

// sparseToDense converts the sparse v to a new dense value, keeping the
// header (cached cardinality included); false if v's runs do not cover
// exactly the 16384 registers.
func sparseToDense(v []byte) ([]byte, bool) {
	d := make([]byte, HLLDenseSize)
	copy(d, v[:HLLHdrSize])
	d[4] = hllDense
	regs := d[HLLHdrSize:]
	idx := 0
	for p := HLLHdrSize; p < len(v); {
		switch b := v[p]; {
		case isZero(b):
			idx += zeroLen(b)
			p++
		case isXZero(b):
			idx += xzeroLen(v, p)
			p += 2
		default:
			n, val := valLen(b), valValue(b)
			if idx+n > hllRegisters {
				return nil, false
			}
			for ; n > 0; n-- {
				denseSet(regs, idx, uint8(val))
				idx++
			}
			p++
		}
	}
	return d, idx == hllRegisters
}

// sparseSet raises register index of the sparse v to count, as Redis's
// hllSparseSet: it returns the new value (v changed in place, resized, or a
// new dense value when promoted) and 1 (changed), 0 (count was not larger)
// or -1 (v is corrupted; v unchanged).
func sparseSet(v []byte, index int, count uint8, maxBytes int64) ([]byte, int) {
	if count <= sparseValMaxValue {
		nv, res, promote := sparseSetRuns(v, index, int(count), maxBytes)
		if !promote {
			return nv, res
		}
	}
	d, ok := sparseToDense(v)
	if !ok {
		return v, -1
	}
	denseSet(d[HLLHdrSize:], index, count) // it grows: the register was below count
	return d, 1
}

// sparseSetRuns is sparseSet within the sparse encoding; promote asks for
// the dense one (the value would outgrow maxBytes).
func sparseSetRuns(v []byte, index, count int, maxBytes int64) (nv []byte, res int, promote bool) {
	end := len(v)
	p, prev := HLLHdrSize, -1
	first, span := 0, 0
	// Step 1: find the opcode covering register index.
	for p < end {
		oplen := 1
		switch b := v[p]; {
		case isZero(b):
			span = zeroLen(b)
		case isVal(b):
			span = valLen(b)
		default:
			span = xzeroLen(v, p)
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return v, -1, false
	}
	b := v[p]
	zero, xzero, val := isZero(b), isXZero(b), isVal(b)
	var runlen int
	switch {
	case zero:
		runlen = zeroLen(b)
	case xzero:
		runlen = xzeroLen(v, p)
	default:
		runlen = valLen(b)
	}
	// Step 2: the easy cases, in place.
	switch {
	case val && valValue(b) >= count:
		return v, 0, false
	case val && runlen == 1, zero && runlen == 1:
		v[p] = valOp(count, 1)
		return sparseMerge(v, prev), 1, false
	}
	// Otherwise split the run around the register.
	var buf [5]byte
	seq := buf[:0]
	last := first + span - 1
	if zero || xzero {
		if index != first {
			seq = appendZeros(seq, index-first)
		}
		seq = append(seq, valOp(count, 1))
		if index != last {
			seq = appendZeros(seq, last-index)
		}
	} else {
		cur := valValue(b)
		if index != first {
			seq = append(seq, valOp(cur, index-first))
		}
		seq = append(seq, valOp(count, 1))
		if index != last {
			seq = append(seq, valOp(cur, last-index))
		}
	}
	// Step 3: put the new opcodes in place of the old one.
	oldlen := 1
	if xzero {
		oldlen = 2
	}
	delta := len(seq) - oldlen
	if delta > 0 && int64(len(v)+delta) > maxBytes {
		return v, 0, true
	}
	// In place, as Redis's memmove in its sds (v is the caller's own
	// buffer): a PFADD of many elements splits runs again and again, and a
	// fresh copy per split made it quadratic in allocations.
	tail := min(p+oldlen, end) // the opcodes after the old one
	n := p + len(seq) + end - tail
	if n > cap(v) {
		nv := make([]byte, len(v), n+n/2+16)
		copy(nv, v)
		v = nv
	}
	v = v[:max(n, end)]
	copy(v[p+len(seq):], v[tail:end])
	copy(v[p:], seq)
	// An XZERO cut short at the end (a corrupted value) loses its missing
	// byte, as in Redis.
	v = v[:end+delta]
	return sparseMerge(v, prev), 1, false
}

// sparseMerge is step 4 of a sparse update: from the opcode before the one
// changed (prev; -1: the first), up to 5 opcodes on, adjacent VAL opcodes of
// the same value are joined while their length fits. The cached cardinality
// is then marked stale.
func sparseMerge(v []byte, prev int) []byte {
	p := prev
	if p < 0 {
		p = HLLHdrSize
	}
	end := len(v)
	for scan := 5; p < end && scan > 0; {
		scan--
		b := v[p]
		if isXZero(b) {
			p += 2
			continue
		}
		if isZero(b) {
			p++
			continue
		}
		if p+1 < end && isVal(v[p+1]) {
			v1, v2 := valValue(b), valValue(v[p+1])
			if n := valLen(b) + valLen(v[p+1]); v1 == v2 && n <= sparseValMaxLen {
				v[p+1] = valOp(v1, n)
				copy(v[p:], v[p+1:end])
				end--
				v = v[:end]
				continue
			}
		}
		p++
	}
	HLLInvalidate(v)
	return v
}

// HLLAdd adds ele to the HyperLogLog v as PFADD does (without invalidating
// the cache of a dense value: the caller does once). A sparse v is changed
// in place or replaced; the result is the value and 1 (a register grew),
// 0, or -1 (v is corrupted).
func HLLAdd(v, ele []byte, maxBytes int64, p *Patches) ([]byte, int) {
	i, c := hllPatLen(ele)
	return HLLSet(v, i, c, maxBytes, p)
}

// HLLSet raises register i of v to c (see HLLAdd).
func HLLSet(v []byte, i int, c uint8, maxBytes int64, p *Patches) ([]byte, int) {
	if v[4] == hllDense {
		if denseSetMax(v, i, c, p) {
			return v, 1
		}
		return v, 0
	}
	return sparseSet(v, i, c, maxBytes)
}

// HLLToDense is the dense form of the sparse v; false if v is corrupted.
func HLLToDense(v []byte) ([]byte, bool) { return sparseToDense(v) }

// ---- counting ----

// denseHisto adds the dense registers' values to h.
func denseHisto(regs []byte, h *[64]int) {
	for r := regs[:hllRegisters*hllBits/8]; len(r) >= 3; r = r[3:] {
		h[r[0]&63]++
		h[(r[0]>>6|r[1]<<2)&63]++
		h[(r[1]>>4|r[2]<<4)&63]++
		h[r[2]>>2&63]++
	}
}

// sparseHisto adds the sparse registers' values to h; false if the runs do
// not cover exactly the 16384 registers.
func sparseHisto(v []byte, h *[64]int) bool {
	idx := 0
	for p := HLLHdrSize; p < len(v); {
		switch b := v[p]; {
		case isZero(b):
			n := zeroLen(b)
			idx += n
			h[0] += n
			p++
		case isXZero(b):
			n := xzeroLen(v, p)
			idx += n
			h[0] += n
			p += 2
		default:
			n := valLen(b)
			idx += n
			h[valValue(b)] += n
			p++
		}
	}
	return idx == hllRegisters
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x = float64(x * x)
		zp := z
		z += float64(x * y)
		y += y
		if zp == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zp := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if zp == z {
			return z / 3
		}
	}
}

// histoCount is Ertl's estimate from the register histogram, computed as
// Redis computes it, operation for operation.
func histoCount(h *[64]int) uint64 {
	m := float64(hllRegisters)
	z := float64(m * hllTau((m-float64(h[hllQ+1]))/m))
	for j := hllQ; j >= 1; j-- {
		z += float64(h[j])
		z *= 0.5
	}
	z += float64(m * hllSigma(float64(h[0])/m))
	e := math.Round(float64(float64(hllAlphaInf*m)*m) / z)
	if !(e < 1<<63) {
		// Out of range (registers no element can produce: z near or at
		// 0): Redis's llroundl gives LLONG_MIN, which it stores and
		// replies as is.
		return 1 << 63
	}
	return uint64(e)
}

// HLLCount estimates v's cardinality (not using or changing the cache);
// false if v is a corrupted sparse value.
func HLLCount(v []byte) (uint64, bool) {
	var h [64]int
	if v[4] == hllDense {
		denseHisto(v[HLLHdrSize:], &h)
	} else if !sparseHisto(v, &h) {
		return 0, false
	}
	return histoCount(&h), true
}

// HLLMax raises each register of max (16384, one byte each) to v's; false
// if v is a corrupted sparse value (max may then be partly raised).
func HLLMax(max, v []byte) bool {
	if v[4] == hllDense {
		regs := v[HLLHdrSize:HLLDenseSize]
		max = max[:hllRegisters]
		for i, j := 0, 0; j+3 <= len(regs); i, j = i+4, j+3 {
			// four registers in three bytes (denseGet, unrolled)
			b0, b1, b2 := regs[j], regs[j+1], regs[j+2]
			m := max[i : i+4 : i+4]
			if r := b0 & 63; r > m[0] {
				m[0] = r
			}
			if r := (b0>>6 | b1<<2) & 63; r > m[1] {
				m[1] = r
			}
			if r := (b1>>4 | b2<<4) & 63; r > m[2] {
				m[2] = r
			}
			if r := b2 >> 2; r > m[3] {
				m[3] = r
			}
		}
		return true
	}
	i := 0
	for p := HLLHdrSize; p < len(v); {
		switch b := v[p]; {
		case isZero(b):
			i += zeroLen(b)
			p++
		case isXZero(b):
			i += xzeroLen(v, p)
			p += 2
		default:
			n, val := valLen(b), uint8(valValue(b))
			if i+n > hllRegisters {
				return false
			}
			for ; n > 0; n-- {
				if val > max[i] {
					max[i] = val
				}
				i++
			}
			p++
		}
	}
	return i == hllRegisters
}

// HLLDenseRaise raises each register of the dense v to max's (16384, one
// byte each) in place, noting the bytes changed in p (PFMERGE into a dense
// key), and reports whether any grew.
func HLLDenseRaise(v, max []byte, p *Patches) bool {
	regs := v[HLLHdrSize:HLLDenseSize]
	max = max[:hllRegisters]
	grew := false
	for i, j := 0, 0; j+3 <= len(regs); i, j = i+4, j+3 {
		m := max[i : i+4 : i+4]
		if m[0]|m[1]|m[2]|m[3] == 0 {
			continue
		}
		b0, b1, b2 := regs[j], regs[j+1], regs[j+2]
		if m[0] <= b0&63 && m[1] <= (b0>>6|b1<<2)&63 && m[2] <= (b1>>4|b2<<4)&63 && m[3] <= b2>>2 {
			continue
		}
		for k := 0; k < 4; k++ {
			if denseSetMax(v, i+k, m[k], p) {
				grew = true
			}
		}
	}
	return grew
}

// HLLRegisters is the number of registers (the size of HLLMax's max).
const HLLRegisters = hllRegisters

// HLLCountMax estimates the cardinality of the registers max (as HLLMax
// fills them: PFCOUNT of several keys).
func HLLCountMax(max []byte) uint64 {
	var h [64]int
	for _, r := range max[:hllRegisters] {
		h[r&63]++
	}
	return histoCount(&h)
}

// HLLDenseRegisters appends the 16384 registers of the dense v to dst.
func HLLDenseRegisters(v []byte, dst []uint8) []uint8 {
	regs := v[HLLHdrSize:]
	for i := 0; i < hllRegisters; i++ {
		dst = append(dst, denseGet(regs, i))
	}
	return dst
}

// HLLDecode is PFDEBUG DECODE's text of the sparse v: its opcodes as
// "z:<len>", "Z:<len>" and "v:<value>,<len>", space separated.
func HLLDecode(v []byte) []byte {
	var out []byte
	for p := HLLHdrSize; p < len(v); {
		if len(out) > 0 {
			out = append(out, ' ')
		}
		switch b := v[p]; {
		case isZero(b):
			out = append(out, "z:"...)
			out = strconv.AppendInt(out, int64(zeroLen(b)), 10)
			p++
		case isXZero(b):
			out = append(out, "Z:"...)
			out = strconv.AppendInt(out, int64(xzeroLen(v, p)), 10)
			p += 2
		default:
			out = append(out, "v:"...)
			out = strconv.AppendInt(out, int64(valValue(b)), 10)
			out = append(out, ',')
			out = strconv.AppendInt(out, int64(valLen(b)), 10)
			p++
		}
	}
	return out
}

// HLLSelfTest is PFSELFTEST: it checks that registers keep what is set in
// them without touching their neighbours, and that dense and sparse
// HyperLogLogs fed the same elements agree and stay within a few standard
// errors of the true count, up to 10 million elements. The error texts are
// Redis's.
func HLLSelfTest(seed uint64, maxBytes int64) error {
	rng := seed | 1
	next := func() uint64 { // xorshift64*
		rng ^= rng >> 12
		rng ^= rng << 25
		rng ^= rng >> 27
		return rng * 2685821657736338717
	}
	regs := make([]byte, hllRegisters*hllBits/8)
	want := make([]uint8, hllRegisters)
	for cycle := 0; cycle < 100; cycle++ {
		for i := range want {
			want[i] = uint8(next() & hllRegMax)
			denseSet(regs, i, want[i])
		}
		for i, w := range want {
			if got := denseGet(regs, i); got != w {
				return fmt.Errorf("TESTFAILED Register %d should be %d but is %d", i, w, got)
			}
		}
	}
	dense := make([]byte, HLLDenseSize)
	copy(dense, "HYLL")
	sparse := NewHLL()
	relerr := 1.04 / math.Sqrt(hllRegisters)
	checkpoint := uint64(1)
	base := next()
	var ele [8]byte
	for j := uint64(1); j <= 10000000; j++ {
		binary.LittleEndian.PutUint64(ele[:], j^base)
		HLLDenseAdd(dense, ele[:], nil)
		sparse, _ = HLLAdd(sparse, ele[:], maxBytes, nil)
		if j != checkpoint {
			continue
		}
		if int64(j) < maxBytes/2 && sparse[4] != hllSparse {
			return errors.New("TESTFAILED sparse encoding not used")
		}
		dc, _ := HLLCount(dense)
		if sc, _ := HLLCount(sparse); dc != sc {
			return errors.New("TESTFAILED dense/sparse disagree")
		}
		abserr := int64(checkpoint) - int64(dc)
		if abserr < 0 {
			abserr = -abserr
		}
		maxerr := int64(math.Ceil(relerr * 6 * float64(checkpoint)))
		if j == 10 {
			maxerr = 1
		}
		if abserr > maxerr {
			return fmt.Errorf("TESTFAILED Too big error. card:%d abserr:%d", checkpoint, abserr)
		}
		checkpoint *= 10
	}
	return nil
}
