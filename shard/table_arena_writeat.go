package shard

import "encoding/binary"

// WriteAt writes part at byte offset of key's value, zero-filling any gap
// past the value's end, without copying the value, when the value lives in
// bigs (records over bigThreshold): APPEND, SETRANGE and SETBIT on a large
// string then cost O(len(part)) amortized, not O(len(value)), as Redis's sds
// strings do. A buffer without room for the result is reallocated with a
// quarter more capacity than needed, so a run of APPENDs reallocates
// geometrically rarely (Bytes counts the spare capacity, as Redis's
// used_memory counts an sds's free space).
//
// ok is false when key is missing, holds a collection (fObj), or its value
// is small (stored inline in the arena); the caller then builds the new value itself (at most
// bigThreshold bytes to copy). The record's encoding bits and metadata are
// kept; the caller sets the encoding.
func (t *ArenaTable) WriteAt(key []byte, offset int, part []byte) (newLen int, ok bool) {
	return t.writeAtKey(key, offset, part, EncAuto)
}

// writeAtKey is WriteAt that gives the value the encoding enc (EncAuto:
// keeps it).
func (t *ArenaTable) writeAtKey(key []byte, offset int, part []byte, enc Enc) (newLen int, ok bool) {
	tag := t.tagOf(key)
	pos, r, found := t.lookup(key, tag)
	if !found {
		return 0, false
	}
	return t.writeAt(pos, tag, &r, key, offset, part, enc)
}

// writeAt is writeAtKey for the key found at pos (its record r). It
// changes nothing (a Slot stays valid) when it returns false.
func (t *ArenaTable) writeAt(pos, tag uint64, r *arec, key []byte, offset int, part []byte, enc Enc) (newLen int, ok bool) {
	if r.f&fBig == 0 || r.f&fObj != 0 || offset < 0 {
		return 0, false
	}
	t.gen++
	if enc != EncAuto {
		r.f = r.f&^fEnc | encFlags(enc)
		r.c[r.p] = r.f
	}
	klen, vlen := r.klen, r.vlen
	n := max(vlen, offset+len(part))
	bi := le.Uint32(r.c[r.kv:])
	buf := t.bigs[bi]
	if klen+n <= cap(buf) {
		buf = buf[:klen+n]
	} else {
		nb := make([]byte, klen+n, klen+n+n/4)
		copy(nb, buf[:klen+vlen])
		t.bigBytes += int64(cap(nb) - cap(buf))
		buf = nb
	}
	t.bigs[bi] = buf
	if offset > vlen {
		clear(buf[klen+vlen : klen+offset]) // the spare capacity may hold old bytes
	}
	copy(buf[klen+offset:], part)
	if n == vlen {
		return n, true
	}
	if uvarintLen(n) == uvarintLen(vlen) {
		binary.PutUvarint(r.c[r.kv-uvarintLen(vlen):], uint64(n))
		return n, true
	}
	// The stub's header grows by a byte: write a new stub for the same big
	// buffer (a few bytes) and retire the old one.
	oldOff := *t.slotAt(pos) & offMask
	vol := r.volatile()
	var vi uint32
	if vol {
		vi = r.volIdx()
	}
	off := t.writeRecord(key, nil, n, r.f&fExp != 0, r.expire(), vi, r.meta(), int64(bi), r.f&fEnc)
	if vol {
		t.vols[vi] = off
	}
	*t.slotAt(pos) = tag<<offBits | off
	t.kill(oldOff, r, false)
	t.maybeCompact()
	if t.old != nil {
		t.migrate(growStep)
	}
	return n, true
}
