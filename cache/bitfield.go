package cache

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"sort"

	"fastcache/persistence"
	"fastcache/pubsub"
	"fastcache/shard"
)

// BITFIELD and BITFIELD_RO, as Redis 7.0's bitfieldGeneric: integers of 1 to
// 64 bits (signed) or 1 to 63 bits (unsigned) at any bit offset of a string,
// read, set or incremented with the overflow rule each op carries.
//
// A command that writes works on a scratch copy of the bytes its ops touch
// (at most 9 bytes an op), then writes back and logs only those bytes
// (OpSetRange records, one per run of adjacent bytes, in one group when
// there are several): the log holds the effect, never the command, so replay
// and replicas do not evaluate overflow again, and a BITFIELD on a 500 MB
// string costs its arguments, not the string.

// BitFieldKind is what one op of BITFIELD does.
type BitFieldKind uint8

const (
	BitFieldGet BitFieldKind = iota
	BitFieldSet
	BitFieldIncrBy
)

// BitOverflow is the OVERFLOW rule in force for a SET or INCRBY.
type BitOverflow uint8

const (
	OverflowWrap BitOverflow = iota
	OverflowSat
	OverflowFail
)

// BitFieldOp is one GET, SET or INCRBY; BitField fills Result (or Nil, when
// OVERFLOW FAIL refused the write).
type BitFieldOp struct {
	Kind     BitFieldKind
	Signed   bool
	Bits     uint8 // 1..64 signed, 1..63 unsigned
	Overflow BitOverflow
	Offset   int64 // in bits, >= 0
	Value    int64 // SET's value, INCRBY's increment

	Result int64
	Nil    bool
}

// ErrBitOffset is Redis's reply to a bit offset past proto-max-bulk-len.
var ErrBitOffset = errors.New("ERR bit offset is not an integer or out of range")

// bitWindow is a run of adjacent bytes [start, end] of the value that some
// ops touch, copied to scratch[soff:].
type bitWindow struct {
	start, end int64
	soff       int
	write      bool // a SET or INCRBY touches it: written back and logged
}

// BitField runs ops (all of them checked by the caller: widths in range,
// offsets >= 0) on key's string, as one command, and fills their results.
// With only GETs it is a read: a missing key reads as zeros and is not
// created. Otherwise the string is created or grown with zero bytes up to
// the last byte a SET or INCRBY reaches, even when OVERFLOW FAIL refuses
// every write, as in Redis.
func (k Keyspace) BitField(key []byte, ops []BitFieldOp) error {
	write := false
	for i := range ops {
		op := &ops[i]
		if op.Offset < 0 || op.Offset>>3 >= k.c.MaxStringLen() {
			return ErrBitOffset
		}
		write = write || op.Kind != BitFieldGet
	}
	if !write {
		return k.bitFieldRead(key, ops)
	}
	m := k.lockMany([][]byte{key}, 1, true)
	defer m.unlock()
	s := k.shardOf(key)
	e, ok := s.Get(key, k.now(), m.rec(key), true)
	if ok && e.Kind != shard.KindString {
		return ErrWrongTypeOps
	}
	var old []byte
	if ok {
		old = e.Value
	}

	// The windows: the ops' byte spans, sorted and merged when they touch.
	var wbuf [8]bitWindow
	wins := wbuf[:0]
	var newLen int64 = int64(len(old))
	for i := range ops {
		op := &ops[i]
		start, end := op.Offset>>3, (op.Offset+int64(op.Bits)-1)>>3
		wins = append(wins, bitWindow{start: start, end: end, write: op.Kind != BitFieldGet})
		if op.Kind != BitFieldGet {
			newLen = max(newLen, end+1)
		}
	}
	slices.SortFunc(wins, func(a, b bitWindow) int { return cmp.Compare(a.start, b.start) })
	n := 0
	for _, w := range wins {
		if n > 0 && w.start <= wins[n-1].end+1 {
			last := &wins[n-1]
			last.end = max(last.end, w.end)
			last.write = last.write || w.write
			continue
		}
		wins[n] = w
		n++
	}
	wins = wins[:n]
	size := 0
	for i := range wins {
		wins[i].soff = size
		size += int(wins[i].end - wins[i].start + 1)
	}
	var sbuf [64]byte
	scratch := sbuf[:0]
	if size > len(sbuf) {
		scratch = make([]byte, size)
	} else {
		scratch = sbuf[:size]
	}
	for _, w := range wins {
		if w.start < int64(len(old)) {
			copy(scratch[w.soff:], old[w.start:min(w.end+1, int64(len(old)))])
		}
	}

	// Run the ops in order on the scratch bytes. As in Redis 7.0, the
	// command counts as a change (the "setbit" event, tracking) when an op
	// wrote a new value, or wrote at all into a key it created or grew.
	dirty := !ok || newLen > int64(len(old))
	changes := false
	for i := range ops {
		op := &ops[i]
		start := op.Offset >> 3
		wi := sort.Search(len(wins), func(j int) bool { return wins[j].start > start }) - 1
		w := wins[wi]
		bit := uint64(op.Offset-w.start*8) + uint64(w.soff)*8
		if wrote, differs := bitFieldRun(scratch, bit, op); wrote && (dirty || differs) {
			changes = true
		}
	}

	// Write back and log the windows a write touched, up to the new end,
	// skipping those inside the old value whose bytes did not change.
	changed := func(w bitWindow) ([]byte, bool) {
		if !w.write {
			return nil, false
		}
		end := min(w.end, newLen-1) // >= w.start: a write in w reaches newLen-1 at most
		part := scratch[w.soff : w.soff+int(end-w.start+1)]
		if end < int64(len(old)) && string(part) == string(old[w.start:end+1]) {
			return nil, false
		}
		return part, true
	}
	recs := 0
	for _, w := range wins {
		if _, ok := changed(w); ok {
			recs++
		}
	}
	if recs > 1 && k.tx == nil {
		m.single = false // several records: one group, replayed all or nothing
	}
	rec := m.rec(key)
	if !ok {
		nv := make([]byte, newLen)
		first := true
		for _, w := range wins {
			if part, ok := changed(w); ok {
				copy(nv[w.start:], part)
			}
		}
		k.notify(pubsub.New, "new", key)
		for _, w := range wins {
			part, ok := changed(w)
			if !ok {
				continue
			}
			if first {
				s.SetRange(key, nv, 0, w.start, part, shard.EncRaw, rec)
				first = false
			} else {
				s.Log(persistence.OpSetRange, key, part, w.start, rec)
			}
		}
	} else {
		// inside the value first (in place: e.Value stays valid), then past
		// its end, in order (each may move the value)
		for _, w := range wins {
			if part, ok := changed(w); ok && w.start+int64(len(part)) <= int64(len(old)) {
				s.Patch(key, e.Value, w.start, part, rec)
			}
		}
		for _, w := range wins {
			if part, ok := changed(w); ok && w.start+int64(len(part)) > int64(len(old)) {
				s.WriteAt(key, e, w.start, part, shard.EncRaw, rec)
				e, _ = s.Peek(key, k.now())
			}
		}
		if recs == 0 {
			s.MarkEnc(key, shard.EncRaw) // as Redis, which unshares the value first
			if changes {
				s.TouchWatch(key) // ops that undid each other
			}
		}
	}
	if changes {
		k.notify(pubsub.String, "setbit", key)
	}
	return nil
}

// bitFieldRead runs GETs only: a missing key reads as zeros.
func (k Keyspace) bitFieldRead(key []byte, ops []BitFieldOp) error {
	s, rec := k.read(key)
	defer k.done(s)
	e, ok := s.Get(key, k.now(), rec, true)
	if ok && e.Kind != shard.KindString {
		return ErrWrongTypeOps
	}
	if !ok {
		k.notify(pubsub.KeyMiss, "keymiss", key)
	}
	for i := range ops {
		op := &ops[i]
		// up to 9 bytes from the op's first byte, zero past the end
		var buf [9]byte
		if b := op.Offset >> 3; ok && b < int64(len(e.Value)) {
			copy(buf[:], e.Value[b:])
		}
		bitFieldRun(buf[:], uint64(op.Offset&7), op)
	}
	return nil
}

// bitFieldRun executes op on the field at bit of p (which holds all of it):
// wrote is false for a GET or a write OVERFLOW FAIL refused, differs whether
// the value written is not the one that was there.
func bitFieldRun(p []byte, bit uint64, op *BitFieldOp) (wrote, differs bool) {
	bits := uint(op.Bits)
	op.Nil = false
	if op.Signed {
		old := getSignedBits(p, bit, bits)
		if op.Kind == BitFieldGet {
			op.Result = old
			return false, false
		}
		var newval, ret, wrapped int64
		var overflow bool
		if op.Kind == BitFieldIncrBy {
			overflow = signedOverflow(old, op.Value, bits, op.Overflow, &wrapped)
			newval = old + op.Value
			if overflow {
				newval = wrapped
			}
			ret = newval
		} else {
			newval = op.Value
			overflow = signedOverflow(newval, 0, bits, op.Overflow, &wrapped)
			if overflow {
				newval = wrapped
			}
			ret = old
		}
		if overflow && op.Overflow == OverflowFail {
			op.Nil = true
			return false, false
		}
		op.Result = ret
		setBits(p, bit, bits, uint64(newval))
		return true, newval != old
	}
	old := getBits(p, bit, bits)
	if op.Kind == BitFieldGet {
		op.Result = int64(old)
		return false, false
	}
	var newval, ret, wrapped uint64
	var overflow bool
	if op.Kind == BitFieldIncrBy {
		newval = old + uint64(op.Value)
		overflow = unsignedOverflow(old, op.Value, bits, op.Overflow, &wrapped)
		if overflow {
			newval = wrapped
		}
		ret = newval
	} else {
		newval = uint64(op.Value)
		overflow = unsignedOverflow(newval, 0, bits, op.Overflow, &wrapped)
		if overflow {
			newval = wrapped
		}
		ret = old
	}
	if overflow && op.Overflow == OverflowFail {
		op.Nil = true
		return false, false
	}
	op.Result = int64(ret)
	setBits(p, bit, bits, newval)
	return true, newval != old
}

// getBits reads the bits-wide unsigned integer at bit of p, most
// significant bit first (Redis's getUnsignedBitfield).
func getBits(p []byte, bit uint64, bits uint) uint64 {
	var v uint64
	for i := uint(0); i < bits; i++ {
		b := p[bit>>3] >> (7 - bit&7) & 1
		v = v<<1 | uint64(b)
		bit++
	}
	return v
}

// getSignedBits is getBits read as a two's complement integer.
func getSignedBits(p []byte, bit uint64, bits uint) int64 {
	v := int64(getBits(p, bit, bits))
	if bits < 64 && v&(1<<(bits-1)) != 0 {
		v |= -1 << bits
	}
	return v
}

// setBits writes the low bits of v at bit of p, most significant first.
func setBits(p []byte, bit uint64, bits uint, v uint64) {
	for j := int(bits) - 1; j >= 0; j-- {
		mask := byte(0x80) >> (bit & 7)
		if v>>uint(j)&1 != 0 {
			p[bit>>3] |= mask
		} else {
			p[bit>>3] &^= mask
		}
		bit++
	}
}

// unsignedOverflow is Redis's checkUnsignedBitfieldOverflow: whether value +
// incr leaves [0, 2^bits-1], and then in *limit what WRAP or SAT stores.
// The arithmetic wraps as C's unsigned arithmetic does.
func unsignedOverflow(value uint64, incr int64, bits uint, ow BitOverflow, limit *uint64) bool {
	maxv := uint64(1)<<bits - 1 // bits <= 63
	maxincr := int64(maxv - value)
	minincr := -int64(value)
	switch {
	case value > maxv || (incr > 0 && incr > maxincr):
		if ow == OverflowSat {
			*limit = maxv
			return true
		}
	case incr < 0 && incr < minincr:
		if ow == OverflowSat {
			*limit = 0
			return true
		}
	default:
		return false
	}
	if ow == OverflowWrap {
		*limit = (value + uint64(incr)) &^ (math.MaxUint64 << bits)
	}
	return true
}

// signedOverflow is Redis's checkSignedBitfieldOverflow for a bits-wide
// two's complement integer.
func signedOverflow(value, incr int64, bits uint, ow BitOverflow, limit *int64) bool {
	maxv := int64(math.MaxInt64)
	if bits < 64 {
		maxv = 1<<(bits-1) - 1
	}
	minv := -maxv - 1
	// both may wrap; they are used only once value is known in range
	maxincr := int64(uint64(maxv) - uint64(value))
	minincr := minv - value
	switch {
	case value > maxv || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr):
		if ow == OverflowSat {
			*limit = maxv
			return true
		}
	case value < minv || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr):
		if ow == OverflowSat {
			*limit = minv
			return true
		}
	default:
		return false
	}
	if ow == OverflowWrap {
		c := uint64(value) + uint64(incr)
		if bits < 64 {
			mask := uint64(math.MaxUint64) << bits
			if c&(1<<(bits-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		*limit = int64(c)
	}
	return true
}
