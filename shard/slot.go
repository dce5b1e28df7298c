package shard

import "fastcache/persistence"

// One lookup for a read-modify-write. INCR, APPEND, SET ... GET, HINCRBY
// and the like read a key and then write it: a Get then a Set looked the
// key up twice (hash, probe, key compare), the second time only to find
// what the first had found. Find returns, with the entry, the key's Slot:
// where its index slot is (or, for a missing key, the empty slot where it
// would be inserted); the writes that take a Slot (SetAt, SetEncodedAt,
// WriteAtSlot, DeleteAt, PutObjAt ...) go straight there.
//
// A Slot is valid only while the table has not changed since Find: every
// change that may move a slot or a record (a write, a delete, a step of an
// index doubling, a shrink, a compaction, a Clear, Scan and Sample finishing
// a doubling) bumps the table's generation, and a write handed a Slot of
// another generation, or of another table (a database's first write
// replaces its empty table, SWAPDB swaps them), looks the key up again: a
// stale Slot costs the lookup it was meant to save, never a wrong write.
// What may change in between without that (the access metadata a read
// touches, SetEnc, SetMeta, a collection's own contents) changes a record's
// bytes in place, and the write re-reads the record from the slot.
//
// The caller holds the shard's lock from Find to the write and passes the
// same key to both.

// Slot is where Find found a key, or where it would go (see above). It
// is three words, so that Find's results (with the Entry) are passed in
// registers.
type Slot struct {
	t   *ArenaTable
	gen uint64
	loc uint64 // the key's tag<<32 | slotFound | slotOld | position
}

// A position is below 1<<maxSlotBits (28 bits) and a tag is tagBits (28)
// wide: both fit in loc.
const (
	slotOld   = 1 << 30 // the position is in the index being moved (oldPos)
	slotFound = 1 << 31
)

func mkSlot(t *ArenaTable, pos, tag uint64, found bool) Slot {
	loc := tag<<32 | pos&^oldPos
	if pos&oldPos != 0 {
		loc |= slotOld
	}
	if found {
		loc |= slotFound
	}
	return Slot{t: t, gen: t.gen, loc: loc}
}

// pos is the position as lookup returned it.
func (s Slot) pos() uint64 {
	p := s.loc & (slotOld - 1)
	if s.loc&slotOld != 0 {
		p |= oldPos
	}
	return p
}

func (s Slot) tag() uint64 { return s.loc >> 32 }
func (s Slot) found() bool { return s.loc&slotFound != 0 }

// Found says whether the key existed when Find looked.
func (s Slot) Found() bool { return s.found() }

// valid says whether s can be used for a write to t.
func (s Slot) valid(t *ArenaTable) bool { return s.t == t && s.gen == t.gen }

// Current says whether s, a Slot Find returned, is still valid for t: t
// has not changed since (so an Entry Find returned with it still
// aliases the record).
func (t *ArenaTable) Current(s Slot) bool { return s.valid(t) }

// At is the entry of the key s was found for, read again (false if s is
// not current, or the key was missing): its Value aliases the record, so
// a value of the same size can be rewritten in place.
func (t *ArenaTable) At(s Slot) (Entry, bool) {
	if !s.valid(t) || !s.found() {
		return Entry{}, false
	}
	r := t.at(s)
	_, e := t.entry(&r)
	return e, true
}

func (t *ArenaTable) find(key []byte) (Slot, arec, bool) {
	tag := t.tagOf(key)
	pos, r, ok := t.lookup(key, tag)
	return mkSlot(t, pos, tag, ok), r, ok
}

// at is the record of a valid Slot of a found key, read again.
func (t *ArenaTable) at(s Slot) arec { return t.rec(*t.slotAt(s.pos()) & offMask) }

// Find is Get that also returns key's Slot, for a write of the same key
// before the table next changes (PutAt).
func (t *ArenaTable) Find(key []byte) (Entry, Slot, bool) {
	s, r, ok := t.find(key)
	if !ok {
		return Entry{}, s, false
	}
	_, e := t.entry(&r)
	return e, s, true
}

// putAt is put through s, a Slot Find returned for key (a stale one: put).
func (t *ArenaTable) putAt(s Slot, key, value []byte, expireAt int64, meta uint32, keepMeta bool, now int64, flags byte) (expired bool) {
	if !s.valid(t) {
		return t.put(key, value, expireAt, meta, keepMeta, now, flags)
	}
	if s.found() {
		r := t.at(s)
		return t.putFound(s.pos(), s.tag(), &r, key, value, expireAt, meta, keepMeta, now, flags)
	}
	t.putNew(s.pos(), s.tag(), key, value, expireAt, meta, flags)
	return false
}

// PutAt is Put through s, a Slot Find returned for key.
func (t *ArenaTable) PutAt(s Slot, key, value []byte, expireAt int64, meta uint32) {
	t.putAt(s, key, value, expireAt, meta, false, 0, 0)
}

// encFlags is the record flags of a string value of encoding enc.
func encFlags(enc Enc) byte { return byte(enc&3) << encShift }

// setEncAt is SetEnc through s.
func (t *ArenaTable) setEncAt(s Slot, key []byte, enc Enc) {
	if !s.valid(t) || !s.found() {
		t.SetEnc(key, enc)
		return
	}
	r := t.at(s)
	r.c[r.p] = r.f&^fEnc | encFlags(enc)
}

// deleteAt is Delete for the key found at pos (its record r).
func (t *ArenaTable) deleteAt(pos uint64, r *arec) {
	t.gen++
	if r.volatile() {
		t.volDel(r.volIdx())
	}
	t.kill(*t.slotAt(pos)&offMask, r, true)
	if pos&oldPos != 0 {
		t.old[pos&^oldPos] = tomb // the old index only loses entries: no shift
	} else {
		t.deleteSlot(pos)
	}
	t.count--
	if len(t.slots) > 1<<minSlotBits && t.count*10 < len(t.slots) {
		t.resize(slotBitsFor(t.count))
	}
	t.maybeCompact()
	if t.old != nil {
		t.migrate(growStep)
	}
}

// ---- the database's writes through a Slot ----

// Find is Get that also returns key's Slot, for a write of the same key
// under the same hold of the lock (SetAt and the other ...At writes). An
// expired key is deleted, as Get deletes it; its Slot is then stale, and
// the write looks the key up again.
func (d *DB) Find(key []byte, now int64, rec persistence.Recorder, touch bool) (Entry, Slot, bool) {
	s, r, ok := d.t.find(key)
	if !ok {
		return Entry{}, s, false
	}
	_, e := d.t.entry(&r)
	if e.ExpireAt != 0 && e.ExpireAt <= now {
		d.expireKey(key, rec)
		return Entry{}, s, false
	}
	if touch {
		m := touchMeta(e.Meta)
		if m != e.Meta {
			le.PutUint32(r.c[r.p+1:], m)
			e.Meta = m
		}
	}
	return e, s, true
}

// SetAt is Set through s, the Slot Find returned for key.
func (d *DB) SetAt(s Slot, key, value []byte, expireAt int64, rec persistence.Recorder) {
	d.w().putAt(s, key, value, expireAt, NewMeta(), true, 0, 0)
	rec.Record(persistence.OpSet, d.N, key, value, expireAt)
	d.touchWatch(key)
	d.account()
	d.Signal(key) // a stream replaced: its XREADGROUP waiters are told
}

// SetEncodedAt is SetEncoded through s, the Slot Find returned for key:
// the value and its encoding are written in one step.
func (d *DB) SetEncodedAt(s Slot, key, value []byte, expireAt int64, enc Enc, rec persistence.Recorder) {
	d.w().putAt(s, key, value, expireAt, NewMeta(), true, 0, encFlags(enc))
	rec.Record(persistence.OpSet, d.N, key, value, expireAt)
	d.touchWatch(key)
	d.account()
	d.Signal(key)
}

// WriteAtSlot is WriteAt through s, the Slot Find returned for key.
func (d *DB) WriteAtSlot(s Slot, key []byte, e Entry, offset int64, part []byte, enc Enc, rec persistence.Recorder) int {
	t := d.w()
	var n int
	var ok bool
	if s.valid(t) && s.found() {
		r := t.at(s)
		n, ok = t.writeAt(s.pos(), s.tag(), &r, key, int(offset), part, enc)
	} else {
		n, ok = t.writeAtKey(key, int(offset), part, enc)
	}
	if !ok { // a small value (s still valid: writeAt changed nothing): rebuilt
		nv := spliceRange(e.Value, offset, part)
		t.putAt(s, key, nv, e.ExpireAt, NewMeta(), true, 0, encFlags(enc))
		n = len(nv)
	}
	rec.Record(persistence.OpSetRange, d.N, key, part, offset)
	d.touchWatch(key)
	d.account()
	return n
}

// PatchAt is Patch through s, the Slot Find returned for key.
func (d *DB) PatchAt(s Slot, key, value []byte, offset int64, part []byte, rec persistence.Recorder) {
	copy(value[offset:], part)
	rec.Record(persistence.OpSetRange, d.N, key, part, offset)
	d.t.setEncAt(s, key, EncRaw)
	d.touchWatch(key)
}

// MarkEncAt is MarkEnc through s, the Slot Find returned for key.
func (d *DB) MarkEncAt(s Slot, key []byte, enc Enc) { d.t.setEncAt(s, key, enc) }

// DeleteAt is Delete through s, the Slot Find returned for key.
func (d *DB) DeleteAt(s Slot, key []byte, rec persistence.Recorder) bool {
	t := d.t
	if !s.valid(t) || !s.found() {
		return d.Delete(key, rec)
	}
	r := t.at(s)
	t.deleteAt(s.pos(), &r)
	rec.Record(persistence.OpDel, d.N, key, nil, 0)
	d.touchWatch(key)
	d.account()
	d.Signal(key)
	return true
}

// PutObjAt is PutObj through s, the Slot Find returned for key, and
// returns the new entry (as Get would).
func (d *DB) PutObjAt(s Slot, key []byte, o Object, expireAt int64) Entry {
	t := d.w()
	var b [objVal]byte
	v := t.newObj(o, &b)
	var e Entry
	if s.valid(t) && !s.found() {
		pos := t.putNew(s.pos(), s.tag(), key, v, expireAt, NewMeta(), fObj)
		r := t.rec(t.slots[pos] & offMask) // a new key's slot, in the current index, stays put
		_, e = t.entry(&r)
	} else {
		t.put(key, v, expireAt, NewMeta(), false, 0, fObj)
		e, _ = t.Get(key)
	}
	d.noteObj(key, o)
	d.account()
	d.Signal(key)
	return e
}
