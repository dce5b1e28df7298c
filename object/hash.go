// Package object holds the collection types a key can hold besides a
// string (hashes here; sets, sorted sets, lists and streams beside it),
// each with its compact and large encodings, its log records and how they
// are replayed. The shard keeps a collection out of line (shard.Object) and
// knows nothing else about it; the cache's per-type files run the commands.
package object

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"

	"fastcache/persistence"
	"fastcache/shard"
)

// Thresholds of the compact encodings, with Redis's names and defaults
// (CONFIG SET changes them for collections converted afterwards).
var (
	HashMaxListpackEntries atomic.Int64
	HashMaxListpackValue   atomic.Int64
)

func init() {
	HashMaxListpackEntries.Store(512)
	HashMaxListpackValue.Store(64)
	shard.RegisterApply(persistence.OpHSet, applyHSet)
	shard.RegisterApply(persistence.OpHDel, applyHDel)
	shard.RegisterApply(persistence.OpHExpire, applyHExpire)
	shard.RegisterApply(persistence.OpHSetKeepTTL, applyHSetKeepTTL)
}

// Hash is a hash: small ones are one packed buffer of fields and values in
// insertion order (Redis's listpack: HGETALL returns them in that order);
// once a hash has more than hash-max-listpack-entries fields, a field or
// value longer than hash-max-listpack-value, or a field with a TTL, it moves
// to an arena table (pointer-free, as the keyspace's own), where field TTLs
// are the table's expiries. Like Redis, it never moves back.
//
// A table-encoded hash is cloned copy-on-write: a snapshot clones every
// collection with its shard locked, and deep-copying a 1,000,000-field
// table there (~100 MB) held the shard, and every client of the event loop
// waiting on it, for the whole copy. The clone shares the table instead;
// whichever side changes it first (or scans it: Scan may finish an index
// migration) copies it then, while the others only read it (a snapshot
// reads its clone without the lock: concurrent reads are safe).
type Hash struct {
	lp  []byte // small: (uvarint flen | field | uvarint vlen | value)*
	n   int    // fields in lp
	big *shard.ArenaTable
	// shared counts the Hashes that share big since a Clone (nil: big is
	// this hash's own). It only grows while they share it (a clone that is
	// dropped never says so), so the first change after a clone copies.
	shared *atomic.Int32
}

// NewHash returns an empty (small) hash.
func NewHash() *Hash { return &Hash{} }

func (h *Hash) Kind() shard.Kind { return shard.KindHash }

// Len is the number of fields (including expired ones not yet removed).
func (h *Hash) Len() int {
	if h.big != nil {
		return h.big.Len()
	}
	return h.n
}

func (h *Hash) Bytes() int64 {
	if h.big != nil {
		return h.big.Bytes() + 48
	}
	return int64(cap(h.lp)) + 48
}

// Clone is a copy; a table-encoded hash shares its table until one of
// them changes (see Hash).
func (h *Hash) Clone() shard.Object {
	if h.big != nil {
		if h.shared == nil {
			h.shared = new(atomic.Int32)
			h.shared.Store(1)
		}
		h.shared.Add(1)
		return &Hash{big: h.big, shared: h.shared}
	}
	return &Hash{n: h.n, lp: append([]byte(nil), h.lp...)}
}

// own gives h a table of its own before it changes it, copying the shared
// one unless every other sharer has copied away already. A sharer
// decrements the count only after its copy is complete, so the last one
// never changes the table while another still reads it to copy it.
func (h *Hash) own() {
	if h.shared == nil {
		return
	}
	if h.shared.Load() > 1 {
		t := h.big.Clone()
		h.shared.Add(-1)
		h.big = t
	}
	h.shared = nil
}

// Release gives up h's share of a table it shares since a Clone, once h
// is no longer read (a snapshot's or an RDB file's copy, written out): the
// sharer left, if alone, then changes the table without copying it. h must
// not be used afterwards.
func (h *Hash) Release() {
	if h.shared != nil {
		h.shared.Add(-1)
		h.shared, h.big = nil, nil
	}
}

func (h *Hash) Encoding() string {
	if h.big != nil {
		return "hashtable"
	}
	return "listpack"
}

// lpNext decodes the entry at lp[p:]: field, value, next position.
func lpNext(lp []byte, p int) (f, v []byte, next int) {
	fl, n := binary.Uvarint(lp[p:])
	p += n
	f = lp[p : p+int(fl) : p+int(fl)]
	p += int(fl)
	vl, n := binary.Uvarint(lp[p:])
	p += n
	v = lp[p : p+int(vl) : p+int(vl)]
	return f, v, p + int(vl)
}

// find is the position of field's entry in lp and the position after it.
func (h *Hash) find(field []byte) (at, end int, v []byte, ok bool) {
	for p := 0; p < len(h.lp); {
		f, val, next := lpNext(h.lp, p)
		if string(f) == string(field) {
			return p, next, val, true
		}
		p = next
	}
	return 0, 0, nil, false
}

// Get returns field's value (aliasing the hash: valid until it changes).
// An expired field reads as missing (see Expire for its removal).
func (h *Hash) Get(field []byte, now int64) ([]byte, bool) {
	if h.big != nil {
		e, ok := h.big.Get(field)
		if !ok || (e.ExpireAt != 0 && e.ExpireAt <= now) {
			return nil, false
		}
		return e.Value, true
	}
	_, _, v, ok := h.find(field)
	return v, ok
}

// Set stores field = value; true if the field is new. A value set on a
// field drops its TTL, as Redis's HSET does.
func (h *Hash) Set(field, value []byte) bool {
	if h.big == nil {
		maxv := int(HashMaxListpackValue.Load())
		if len(field) > maxv || len(value) > maxv {
			h.convert()
		}
	}
	if h.big != nil {
		h.own()
		return h.big.PutIsNew(field, value)
	}
	if at, end, _, ok := h.find(field); ok {
		h.replaceValue(at+uvarintLen(len(field))+len(field), end, value)
		return false
	}
	if int64(h.n+1) > HashMaxListpackEntries.Load() {
		h.convert()
		h.big.Put(field, value, 0, 0)
		return true
	}
	h.appendEntry(field, value)
	return true
}

func uvarintLen(n int) int {
	l := 1
	for ; n >= 0x80; n >>= 7 {
		l++
	}
	return l
}

// appendEntry appends a new field to the packed encoding.
func (h *Hash) appendEntry(field, value []byte) {
	h.lp = binary.AppendUvarint(h.lp, uint64(len(field)))
	h.lp = append(h.lp, field...)
	h.lp = binary.AppendUvarint(h.lp, uint64(len(value)))
	h.lp = append(h.lp, value...)
	h.n++
}

// replaceValue overwrites the encoded value at lp[vstart:vend] with value,
// in place (moving the entries after it when the size changes; no
// temporary copy of the tail).
func (h *Hash) replaceValue(vstart, vend int, value []byte) {
	size := uvarintLen(len(value)) + len(value)
	old := vend - vstart
	switch {
	case size < old:
		copy(h.lp[vstart+size:], h.lp[vend:])
		h.lp = h.lp[:len(h.lp)-(old-size)]
	case size > old:
		n := len(h.lp)
		h.lp = slices.Grow(h.lp, size-old)[:n+size-old]
		copy(h.lp[vstart+size:], h.lp[vend:n])
	}
	p := vstart + binary.PutUvarint(h.lp[vstart:], uint64(len(value)))
	copy(h.lp[p:], value)
}

// SetPairs stores the fields and values given alternately in fv (HSET's
// arguments) as calling Set for each pair in order would, and returns how
// many fields were new. See pairSetter for what it saves.
func (h *Hash) SetPairs(fv [][]byte) int {
	need, longest := 0, 0
	for _, b := range fv {
		need += uvarintLen(len(b)) + len(b)
		longest = max(longest, len(b))
	}
	var s pairSetter
	s.init(h, need, len(fv)/2, longest)
	for i := 0; i+1 < len(fv); i += 2 {
		s.set(fv[i], fv[i+1])
	}
	return s.added
}

// SetItems is SetPairs for a record body of fields and values (items, as
// persistence.AppendItem writes them): replay of HSET records and snapshot
// entries. The body's encoding is the packed encoding's, so its length is
// the room the new fields need.
func (h *Hash) SetItems(body []byte) int {
	longest, items := 0, 0
	persistence.Items(body, func(it []byte) {
		longest = max(longest, len(it))
		items++
	})
	var s pairSetter
	s.init(h, len(body), items/2, longest)
	var f []byte
	i := 0
	persistence.Items(body, func(it []byte) {
		if i%2 == 0 {
			f = it
		} else {
			s.set(f, it)
		}
		i++
	})
	return s.added
}

// pairSetter adds many fields to a hash at once. For a small hash it
// converts first when any field or value is too long (the end state of
// setting them one by one), reserves room for all of them in one
// allocation when the hash is empty (a new hash, a snapshot entry being
// loaded: no growth by doubling, no garbage, no slack beyond the size
// class), and keeps a 1024-bit filter of the fields' hashes so that a field
// that cannot be there yet is appended without scanning the encoding (the
// scan made loading a 100-field hash quadratic).
type pairSetter struct {
	h      *Hash
	filter [16]uint64
	maxE   int64
	added  int
}

func (s *pairSetter) init(h *Hash, need, pairs, longest int) {
	s.h, s.maxE = h, HashMaxListpackEntries.Load()
	if h.big == nil && longest > int(HashMaxListpackValue.Load()) {
		h.convert()
	}
	if h.big != nil {
		return
	}
	if h.n == 0 && int64(pairs) <= s.maxE && cap(h.lp) < need {
		h.lp = slices.Grow(h.lp[:0], need)
	}
	for p := 0; p < len(h.lp); {
		f, _, next := lpNext(h.lp, p)
		s.mark(f)
		p = next
	}
}

// mark records field in the filter and says whether it may have been
// there already.
func (s *pairSetter) mark(field []byte) bool {
	x := xxhash.Sum64(field) & 1023
	w, bit := x>>6, uint64(1)<<(x&63)
	seen := s.filter[w]&bit != 0
	s.filter[w] |= bit
	return seen
}

func (s *pairSetter) set(field, value []byte) {
	h := s.h
	if h.big != nil || s.mark(field) {
		if h.Set(field, value) {
			s.added++
		}
		return
	}
	s.added++
	if int64(h.n+1) > s.maxE {
		h.convert()
		h.big.Put(field, value, 0, 0)
		return
	}
	h.appendEntry(field, value)
}

// Update stores value in field keeping the field's TTL (HINCRBY: the
// value changes, the field stays the same field); true if the field is new.
func (h *Hash) Update(field, value []byte) bool {
	if h.big == nil {
		return h.Set(field, value)
	}
	h.own()
	e, existed := h.big.Get(field)
	h.big.Put(field, value, e.ExpireAt, 0)
	return !existed
}

// Modify calls fn with field's value (ok false: missing or expired) and, if
// fn says so, stores the value fn returns keeping the field's TTL, as
// Update does: HINCRBY and HINCRBYFLOAT read a field and write it with one
// lookup. The value fn returns must not alias v. It reports whether a
// value was stored and whether the field was new.
func (h *Hash) Modify(field []byte, now int64, fn func(v []byte, ok bool) ([]byte, bool)) (stored, added bool) {
	if h.big != nil {
		e, slot, ok := h.big.Find(field)
		live := ok && (e.ExpireAt == 0 || e.ExpireAt > now)
		var v []byte
		if live {
			v = e.Value
		}
		nv, do := fn(v, live)
		if !do {
			return false, false
		}
		h.own() // a copy made here leaves slot stale: PutAt then looks the field up
		h.big.PutAt(slot, field, nv, e.ExpireAt, 0)
		return true, !ok
	}
	at, end, v, ok := h.find(field)
	nv, do := fn(v, ok)
	if !do {
		return false, false
	}
	if maxv := int(HashMaxListpackValue.Load()); !ok || len(field) > maxv || len(nv) > maxv {
		return true, h.Set(field, nv) // a new field or a conversion
	}
	h.replaceValue(at+uvarintLen(len(field))+len(field), end, nv)
	return true, false
}

// convert moves a small hash to the table encoding.
func (h *Hash) convert() {
	t := shard.NewNestedTable()
	for p := 0; p < len(h.lp); {
		f, v, next := lpNext(h.lp, p)
		t.Put(f, v, 0, 0)
		p = next
	}
	h.big, h.lp, h.n = t, nil, 0
}

// Del removes field; false if it was not there.
func (h *Hash) Del(field []byte) bool {
	if h.big != nil {
		if _, ok := h.big.Get(field); !ok {
			return false
		}
		h.own()
		return h.big.Delete(field)
	}
	at, end, _, ok := h.find(field)
	if !ok {
		return false
	}
	h.lp = append(h.lp[:at], h.lp[end:]...)
	h.n--
	return true
}

// Range calls fn for each live field until it returns false (insertion
// order for a small hash). fn must not change the hash.
func (h *Hash) Range(now int64, fn func(field, value []byte) bool) {
	if h.big != nil {
		h.big.Range(func(k []byte, e shard.Entry) bool {
			if e.ExpireAt != 0 && e.ExpireAt <= now {
				return true
			}
			return fn(k, e.Value)
		})
		return
	}
	for p := 0; p < len(h.lp); {
		f, v, next := lpNext(h.lp, p)
		if !fn(f, v) {
			return
		}
		p = next
	}
}

// Scan continues an HSCAN at cursor (a small hash is returned whole, cursor
// 0, as Redis does for a listpack).
func (h *Hash) Scan(cursor uint64, count int, now int64, fn func(field, value []byte)) uint64 {
	if h.big == nil {
		h.Range(now, func(f, v []byte) bool { fn(f, v); return true })
		return 0
	}
	h.own() // Scan may finish an index migration: a change
	return h.big.Scan(cursor, count, func(k []byte, e shard.Entry) {
		if e.ExpireAt == 0 || e.ExpireAt > now {
			fn(k, e.Value)
		}
	})
}

// Random calls fn for count fields picked at random (count > 0: distinct
// fields, at most all of them; count < 0: -count picks, repeats allowed).
func (h *Hash) Random(count int64, now int64, fn func(field, value []byte)) {
	type fv struct{ f, v []byte }
	var all []fv
	h.Range(now, func(f, v []byte) bool { all = append(all, fv{f, v}); return true })
	if len(all) == 0 {
		return
	}
	if count < 0 {
		for i := int64(0); i < -count; i++ {
			x := all[rand.IntN(len(all))]
			fn(x.f, x.v)
		}
		return
	}
	if count >= int64(len(all)) {
		for _, x := range all {
			fn(x.f, x.v)
		}
		return
	}
	rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	for _, x := range all[:count] {
		fn(x.f, x.v)
	}
}

// ---- field TTLs (Redis 7.4's hash-field expiry) ----

// FieldExpire is field's absolute expiry (0 = none); false if the field is
// missing (or expired).
func (h *Hash) FieldExpire(field []byte, now int64) (int64, bool) {
	if h.big == nil {
		_, _, _, ok := h.find(field)
		return 0, ok
	}
	e, ok := h.big.Get(field)
	if !ok || (e.ExpireAt != 0 && e.ExpireAt <= now) {
		return 0, false
	}
	return e.ExpireAt, true
}

// SetFieldExpire sets field's absolute expiry (0 removes it); false if the
// field is missing.
func (h *Hash) SetFieldExpire(field []byte, at int64) bool {
	if h.big == nil {
		if _, _, _, ok := h.find(field); !ok {
			return false
		}
		if at == 0 {
			return true
		}
		h.convert()
	}
	if _, ok := h.big.Get(field); !ok {
		return false
	}
	h.own()
	return h.big.SetExpire(field, at)
}

// Volatile is the number of fields with a TTL.
func (h *Hash) Volatile() int {
	if h.big == nil {
		return 0
	}
	return h.big.Volatile()
}

// Expired returns the fields whose TTL has passed by now (copies).
func (h *Hash) Expired(now int64) [][]byte {
	if h.big == nil || h.big.Volatile() == 0 {
		return nil
	}
	var out [][]byte
	h.big.RangeVolatile(func(k []byte, e shard.Entry) bool {
		if e.ExpireAt <= now {
			out = append(out, append([]byte(nil), k...))
		}
		return true
	})
	return out
}

// ---- log records ----

// Records calls fn with records that rebuild h (a snapshot's entries):
// OpHSet of up to 1024 fields each, then OpHExpire per field with a TTL.
func (h *Hash) Records(now int64, fn func(op persistence.Op, body []byte, num int64) error) error {
	var body []byte
	n := 0
	var err error
	var ttl [][]byte
	var ttlAt []int64
	emit := func(f, v []byte) {
		body = persistence.AppendItem(body, f)
		body = persistence.AppendItem(body, v)
		if n++; n == 1024 {
			err = fn(persistence.OpHSet, body, 0)
			body, n = body[:0], 0
		}
	}
	if h.big != nil {
		h.big.Range(func(k []byte, e shard.Entry) bool {
			if e.ExpireAt != 0 {
				if e.ExpireAt <= now {
					return true
				}
				ttl = append(ttl, k)
				ttlAt = append(ttlAt, e.ExpireAt)
			}
			emit(k, e.Value)
			return err == nil
		})
	} else {
		h.Range(now, func(f, v []byte) bool { emit(f, v); return err == nil })
	}
	if err == nil && n > 0 {
		err = fn(persistence.OpHSet, body, 0)
	}
	for i := 0; err == nil && i < len(ttl); i++ {
		err = fn(persistence.OpHExpire, persistence.AppendItem(nil, ttl[i]), ttlAt[i])
	}
	return err
}

// hashFor is the hash under r.Key, created if missing (replay).
func hashFor(d *shard.DB, r *persistence.Record) (*Hash, shard.Entry, bool) {
	e, ok := d.Peek(r.Key, 0)
	if ok && e.Kind != shard.KindHash {
		d.Delete(r.Key, discard{}) // a replayed log is consistent; be safe anyway
		ok = false
	}
	if !ok {
		d.PutObj(r.Key, NewHash(), r.ExpireAt)
		e, _ = d.Peek(r.Key, 0)
	}
	return d.Obj(e).(*Hash), e, true
}

type discard struct{}

func (discard) Record(persistence.Op, int, []byte, []byte, int64) {}

func applyHSet(d *shard.DB, r *persistence.Record) {
	h, e, _ := hashFor(d, r)
	h.SetItems(r.Value)
	d.Changed(r.Key, e, nil)
}

func applyHSetKeepTTL(d *shard.DB, r *persistence.Record) {
	h, e, _ := hashFor(d, r)
	var f []byte
	i := 0
	persistence.Items(r.Value, func(it []byte) {
		if i%2 == 0 {
			f = it
		} else {
			h.Update(f, it)
		}
		i++
	})
	d.Changed(r.Key, e, nil)
}

func applyHDel(d *shard.DB, r *persistence.Record) {
	e, ok := d.Peek(r.Key, 0)
	if !ok || e.Kind != shard.KindHash {
		return
	}
	h := d.Obj(e).(*Hash)
	persistence.Items(r.Value, func(it []byte) { h.Del(it) })
	d.Changed(r.Key, e, nil)
}

func applyHExpire(d *shard.DB, r *persistence.Record) {
	e, ok := d.Peek(r.Key, 0)
	if !ok || e.Kind != shard.KindHash {
		return
	}
	h := d.Obj(e).(*Hash)
	persistence.Items(r.Value, func(it []byte) { h.SetFieldExpire(it, r.Arg) })
	d.Changed(r.Key, e, nil)
}
