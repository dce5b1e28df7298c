package shard

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"fastcache/persistence"
)

// TestSlotStaysValidOnlyUntilAChange: a Slot survives the reads and the
// in-place header changes between a Find and its write, and is stale after
// every change that may move a slot or a record.
func TestSlotStaysValidOnlyUntilAChange(t *testing.T) {
	big := bytes.Repeat([]byte("B"), 20<<10)
	fill := func(a *ArenaTable, n int) {
		for i := range n {
			a.Put(fmt.Appendf(nil, "fill%d", i), []byte("v"), 0, 0)
		}
	}
	type change struct {
		name  string
		valid bool // the Slot is still valid after it
		do    func(a *ArenaTable)
	}
	changes := []change{
		{"Get", true, func(a *ArenaTable) { a.Get([]byte("k")) }},
		{"Lookup and its MetaRef", true, func(a *ArenaTable) {
			if _, m, ok := a.Lookup([]byte("k")); ok {
				m.Set(7)
			}
		}},
		{"SetEnc", true, func(a *ArenaTable) { a.SetEnc([]byte("k"), EncRaw) }},
		{"SetMeta", true, func(a *ArenaTable) { a.SetMeta([]byte("k"), 9) }},
		{"Enc, EntryBytes, Range", true, func(a *ArenaTable) {
			a.Enc([]byte("k"))
			a.EntryBytes([]byte("k"))
			a.Range(func([]byte, Entry) bool { return true })
		}},
		{"WriteAt on a small value (refused)", true, func(a *ArenaTable) { a.WriteAt([]byte("k"), 0, []byte("x")) }},
		{"Delete of a missing key", true, func(a *ArenaTable) { a.Delete([]byte("nope")) }},
		{"Put of another key", false, func(a *ArenaTable) { a.Put([]byte("other"), []byte("o"), 0, 0) }},
		{"Put of the same key", false, func(a *ArenaTable) { a.Put([]byte("k"), []byte("w"), 0, 0) }},
		{"Delete of another key", false, func(a *ArenaTable) { a.Delete([]byte("fill3")) }},
		{"SetExpire", false, func(a *ArenaTable) { a.SetExpire([]byte("k"), 1e12) }},
		{"WriteAt on a big value", false, func(a *ArenaTable) { a.WriteAt([]byte("big"), 0, []byte("x")) }},
		{"Clear", false, func(a *ArenaTable) { a.Clear() }},
	}
	for _, c := range changes {
		t.Run(c.name, func(t *testing.T) {
			for _, key := range []string{"k", "missing"} {
				a := newArenaTableSeed(5)
				fill(a, 100)
				a.Put([]byte("k"), []byte("value"), 0, 0)
				a.Put([]byte("big"), big, 0, 0)
				a.finishGrow() // no doubling under way: only the change itself counts
				_, s, ok := a.Find([]byte(key))
				if ok != (key == "k") || !s.valid(a) {
					t.Fatalf("Find(%q): found %v, valid %v", key, ok, s.valid(a))
				}
				c.do(a)
				if s.valid(a) != c.valid {
					t.Fatalf("%s after Find(%q): valid %v, want %v", c.name, key, s.valid(a), c.valid)
				}
			}
		})
	}
	// The steps of an index doubling, even those a read takes (Scan and
	// Sample finish one), and a compaction make a Slot stale.
	a := newArenaTableSeed(5)
	for i := 0; a.old == nil; i++ {
		a.Put(fmt.Appendf(nil, "g%d", i), []byte("v"), 0, 0)
	}
	_, s, _ := a.Find([]byte("g1"))
	a.Scan(0, 1, func([]byte, Entry) {})
	if s.valid(a) || a.old != nil {
		t.Fatalf("Scan finished a doubling (%v) but the Slot is still valid", a.old == nil)
	}
	for i := 0; a.old == nil; i++ {
		a.Put(fmt.Appendf(nil, "h%d", i), []byte("v"), 0, 0)
	}
	_, s, _ = a.Find([]byte("h1"))
	a.Sample(1, false, func([]byte, Entry) {})
	if s.valid(a) {
		t.Fatal("Sample finished a doubling but the Slot is still valid")
	}
	b := newArenaTableSeed(6)
	_, s, _ = b.Find([]byte("x"))
	if !s.valid(b) || s.valid(a) || (Slot{}).valid(b) {
		t.Fatal("a Slot is valid for its own table only")
	}
	gen := b.gen
	b.evacuate(0)
	if b.gen == gen {
		t.Fatal("a compaction leaves the generation")
	}
}

// TestSlotWritesMatchTwoLookups runs the same random read-modify-writes on
// two tables of the same seed: one writes through the Slot its Find
// returned, the other looks the key up again (Get, then Put, Upsert,
// WriteAt or Delete). Between the two steps, sometimes, both tables get the
// same unrelated change, making the Slot stale. The tables must stay
// identical, down to their index slots and arena accounting: across index
// doublings (a Find while one is under way finds keys in either index),
// shrinks, compactions, expired keys, values rewritten in place or moved
// (shorter, longer, across the big-value threshold), and missing keys.
func TestSlotWritesMatchTwoLookups(t *testing.T) {
	ops := 200_000
	if testing.Short() {
		ops = 40_000
	}
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			a, b := newArenaTableSeed(seed), newArenaTableSeed(seed) // a: Slot, b: two lookups
			keySpace := 2000
			const now = 5e11
			stale := 0
			for i := 0; i < ops; i++ {
				if i%40_000 == 0 {
					keySpace = []int{2000, 30, 20000, 300}[i/40_000%4]
				}
				key := fmt.Appendf(nil, "k%d", r.IntN(keySpace))
				ea, s, oka := a.Find(key)
				eb, okb := b.Get(key)
				if oka != okb || string(ea.Value) != string(eb.Value) || ea.ExpireAt != eb.ExpireAt || ea.Meta != eb.Meta {
					t.Fatalf("op %d: Find(%q) = %v %+v, Get = %v %+v", i, key, oka, ea, okb, eb)
				}
				if r.IntN(8) == 0 { // the same change to both, between the steps
					other := fmt.Appendf(nil, "k%d", r.IntN(keySpace))
					switch r.IntN(6) {
					case 0:
						v := randValue(r)
						a.Put(other, v, 0, 1)
						b.Put(other, v, 0, 1)
					case 1:
						a.Delete(other)
						b.Delete(other)
					case 2:
						a.Scan(0, 1, func([]byte, Entry) {})
						b.Scan(0, 1, func([]byte, Entry) {})
					case 3:
						enc := Enc(r.IntN(3))
						a.SetEnc(key, enc)
						b.SetEnc(key, enc)
					case 4:
						m := r.Uint32()
						a.SetMeta(key, m)
						b.SetMeta(key, m)
					default:
						exp := r.Int64N(1e12)
						a.SetExpire(other, exp)
						b.SetExpire(other, exp)
					}
				}
				if !s.valid(a) {
					stale++
				}
				switch op := r.IntN(100); {
				case op < 60: // write: a new value, moved or in place
					v := randValue(r)
					if oka && r.IntN(3) == 0 && len(ea.Value) > 0 {
						v = slices.Clone(ea.Value[:r.IntN(len(ea.Value))]) // shrink: in place
					}
					var exp int64
					if r.IntN(3) == 0 {
						exp = r.Int64N(1e12) + 1 // half of them already expired by now
					}
					meta, keep := r.Uint32(), r.IntN(2) == 0
					flags := encFlags(Enc(r.IntN(3)))
					xa := a.putAt(s, key, v, exp, meta, keep, now, flags)
					xb := b.put(key, v, exp, meta, keep, now, flags)
					if xa != xb {
						t.Fatalf("op %d: expired %v, want %v", i, xa, xb)
					}
				case op < 75: // delete
					if oka && s.valid(a) {
						rec := a.at(s)
						a.deleteAt(s.pos(), &rec)
					} else {
						a.Delete(key)
					}
					b.Delete(key)
				case op < 90: // write part of the value (APPEND, SETRANGE)
					if !oka {
						break
					}
					off := r.IntN(len(ea.Value) + 10)
					part := randValue(r)
					part = part[:min(len(part), r.IntN(200))]
					enc := Enc(r.IntN(3))
					var na int
					var okw bool
					if s.valid(a) {
						ra := a.at(s)
						na, okw = a.writeAt(s.pos(), s.tag(), &ra, key, off, part, enc)
					} else {
						na, okw = a.writeAtKey(key, off, part, enc)
					}
					nb, okwb := b.WriteAt(key, off, part)
					if okw != okwb || na != nb {
						t.Fatalf("op %d: writeAt %d %v, WriteAt %d %v", i, na, okw, nb, okwb)
					}
					if okwb && enc != EncAuto {
						b.SetEnc(key, enc)
					}
					if !okw {
						nv := spliceRange(ea.Value, int64(off), part)
						a.putAt(s, key, nv, ea.ExpireAt, 3, true, 0, encFlags(enc))
						b.put(key, nv, ea.ExpireAt, 3, true, 0, encFlags(enc))
					}
				default: // a read only
				}
				if a.Enc(key) != b.Enc(key) {
					t.Fatalf("op %d: Enc(%q) %d, want %d", i, key, a.Enc(key), b.Enc(key))
				}
				if i%2000 == 0 {
					sameTables(t, i, a, b)
				}
			}
			sameTables(t, ops, a, b)
			if stale == 0 || stale == ops {
				t.Fatalf("%d of %d Slots stale: both paths must be taken", stale, ops)
			}
		})
	}
}

// sameTables checks that a and b hold the same keys, with the same
// values, expiries, metadata and encodings, in the same index slots.
func sameTables(t *testing.T, i int, a, b *ArenaTable) {
	t.Helper()
	checkArena(t, a)
	if !slices.Equal(a.slots, b.slots) || !slices.Equal(a.old, b.old) || a.moved != b.moved {
		t.Fatalf("op %d: the index differs", i)
	}
	if a.Len() != b.Len() || a.Volatile() != b.Volatile() || a.Bytes() != b.Bytes() || a.usedSum != b.usedSum || a.deadSum != b.deadSum {
		t.Fatalf("op %d: Len %d/%d Volatile %d/%d Bytes %d/%d used %d/%d dead %d/%d", i,
			a.Len(), b.Len(), a.Volatile(), b.Volatile(), a.Bytes(), b.Bytes(), a.usedSum, b.usedSum, a.deadSum, b.deadSum)
	}
	b.Range(func(k []byte, eb Entry) bool {
		ea, ok := a.Get(k)
		if !ok || string(ea.Value) != string(eb.Value) || ea.ExpireAt != eb.ExpireAt || ea.Meta != eb.Meta || a.Enc(k) != b.Enc(k) {
			t.Fatalf("op %d: key %q: %v %+v, want %+v", i, k, ok, ea, eb)
		}
		return true
	})
}

type slotObj struct{ n int }

func (o *slotObj) Kind() Kind                                                     { return KindHash }
func (o *slotObj) Len() int                                                       { return o.n }
func (o *slotObj) Bytes() int64                                                   { return 64 }
func (o *slotObj) Clone() Object                                                  { c := *o; return &c }
func (o *slotObj) Encoding() string                                               { return "test" }
func (o *slotObj) Records(int64, func(persistence.Op, []byte, int64) error) error { return nil }

// TestDBSlotWritesMatchTwoLookups: the database's writes through a Slot
// (SetAt, SetEncodedAt, WriteAtSlot, PatchAt, MarkEncAt, DeleteAt,
// PutObjAt) leave what Get then the plain write leaves, and log, account,
// wake WATCH and signal the same: on keys present, missing and expired,
// small and big, and in a database written for the first time (its Find
// reads the shared empty table; the write must not).
func TestDBSlotWritesMatchTwoLookups(t *testing.T) {
	for _, dbn := range []int{0, 1} {
		t.Run(fmt.Sprint("db", dbn), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(dbn), 11))
			sa, sb := New(0, 2, nil), New(0, 2, nil)
			var reada, readb int
			sa.SetReady(func(int, []byte) { reada++ })
			sb.SetReady(func(int, []byte) { readb++ })
			da, db := sa.DB(dbn), sb.DB(dbn)
			if dbn == 0 { // the same seed, for the same layout
				da.t, db.t = newArenaTableSeed(9), newArenaTableSeed(9)
				da.account()
				db.account()
			}
			ra, rb := &captured{}, &captured{}
			wa, wb := &Watch{}, &Watch{}
			const now = 5e11
			for i := 0; i < 30_000; i++ {
				key := fmt.Appendf(nil, "k%d", r.IntN(500))
				if i%97 == 0 {
					da.AddWatch(key, wa, now)
					db.AddWatch(key, wb, now)
				}
				touch := r.IntN(2) == 0
				ea, s, oka := da.Find(key, now, ra, touch)
				eb, okb := db.Get(key, now, rb, touch)
				if oka != okb || string(ea.Value) != string(eb.Value) || ea.ExpireAt != eb.ExpireAt || ea.Kind != eb.Kind {
					t.Fatalf("op %d: Find(%q) = %v %+v, Get = %v %+v", i, key, oka, ea, okb, eb)
				}
				isStr := oka && ea.Kind == KindString
				var exp int64
				if r.IntN(4) == 0 {
					exp = r.Int64N(1e12) + 1
				}
				switch op := r.IntN(8); {
				case op == 0:
					v := randValue(r)
					da.SetAt(s, key, v, exp, ra)
					db.Set(key, v, exp, rb)
				case op == 1:
					v, enc := randValue(r), Enc(r.IntN(3))
					da.SetEncodedAt(s, key, v, exp, enc, ra)
					db.Set(key, v, exp, rb)
					if enc != EncAuto {
						db.t.SetEnc(key, enc)
					}
				case op == 2 && isStr:
					off, part := int64(r.IntN(len(ea.Value)+5)), randValue(r)
					part = part[:min(len(part), r.IntN(100))]
					na := da.WriteAtSlot(s, key, ea, off, part, EncRaw, ra)
					nb := refWriteAt(db, key, eb, off, part, EncRaw, rb)
					if na != nb {
						t.Fatalf("op %d: WriteAtSlot %d, WriteAt %d", i, na, nb)
					}
				case op == 3 && isStr && len(ea.Value) > 0:
					off := int64(r.IntN(len(ea.Value)))
					part := []byte{byte(i)}
					da.PatchAt(s, key, ea.Value, off, part, ra)
					db.Patch(key, eb.Value, off, part, rb)
				case op == 4 && oka:
					da.MarkEncAt(s, key, EncStr)
					db.MarkEnc(key, EncStr)
				case op == 5:
					if da.DeleteAt(s, key, ra) != db.Delete(key, rb) {
						t.Fatalf("op %d: DeleteAt and Delete disagree", i)
					}
				case op == 6 && !oka:
					o := &slotObj{n: 1}
					e := da.PutObjAt(s, key, o, exp)
					db.PutObj(key, o.Clone(), exp)
					if e.Kind != KindHash || da.Obj(e) != o {
						t.Fatalf("op %d: PutObjAt returned %+v", i, e)
					}
				}
				if !slices.EqualFunc(ra.recs, rb.recs, func(x, y persistence.Record) bool {
					return x.Op == y.Op && x.DB == y.DB && bytes.Equal(x.Key, y.Key) && bytes.Equal(x.Value, y.Value) && x.ExpireAt == y.ExpireAt && x.Offset == y.Offset
				}) {
					t.Fatalf("op %d: records differ:\n%+v\n%+v", i, ra.recs, rb.recs)
				}
				ra.recs, rb.recs = ra.recs[:0], rb.recs[:0]
				if wa.Dirty.Load() != wb.Dirty.Load() || reada != readb {
					t.Fatalf("op %d: watch %v/%v, signals %d/%d", i, wa.Dirty.Load(), wb.Dirty.Load(), reada, readb)
				}
				wa.Dirty.Store(false)
				wb.Dirty.Store(false)
				if da.Keys() != db.Keys() || da.VolatileKeys() != db.VolatileKeys() || da.bytes.Load() != da.t.LiveBytes() {
					t.Fatalf("op %d: keys %d/%d volatile %d/%d, bytes %d accounted %d", i,
						da.Keys(), db.Keys(), da.VolatileKeys(), db.VolatileKeys(), da.t.LiveBytes(), da.bytes.Load())
				}
				if dbn == 0 && da.bytes.Load() != db.bytes.Load() {
					t.Fatalf("op %d: bytes %d, want %d", i, da.bytes.Load(), db.bytes.Load())
				}
				if da.Enc(key) != db.Enc(key) {
					t.Fatalf("op %d: Enc %d, want %d", i, da.Enc(key), db.Enc(key))
				}
			}
			if da.t == empty {
				t.Fatal("no write reached the database")
			}
			checkArena(t, da.t)
			db.t.Range(func(k []byte, eb Entry) bool {
				ea, ok := da.t.Get(k)
				if !ok || string(ea.Value) != string(eb.Value) || ea.ExpireAt != eb.ExpireAt || ea.Kind != eb.Kind {
					t.Fatalf("key %q: %v %+v, want %+v", k, ok, ea, eb)
				}
				return true
			})
			if empty.Len() != 0 {
				t.Fatal("a write reached the shared empty table")
			}
		})
	}
}

// refWriteAt is DB.WriteAt as it was before Slots: a lookup for the
// in-place write, another for the rebuilt value, another for the encoding.
func refWriteAt(d *DB, key []byte, e Entry, offset int64, part []byte, enc Enc, rec persistence.Recorder) int {
	n, ok := d.w().WriteAt(key, int(offset), part)
	if !ok {
		nv := spliceRange(e.Value, offset, part)
		d.t.Upsert(key, nv, e.ExpireAt, NewMeta(), 0)
		n = len(nv)
	}
	rec.Record(persistence.OpSetRange, d.N, key, part, offset)
	if enc != EncAuto {
		d.t.SetEnc(key, enc)
	}
	d.touchWatch(key)
	d.account()
	return n
}
