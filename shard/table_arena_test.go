package shard

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"sort"
	"testing"
)

// checkArena verifies the table's internal invariants: every slot points to
// a live record reachable from its home bucket, every live record has exactly
// one slot, the chunk accounting adds up, and vols lists exactly the records
// with an expiry, each knowing its index.
func checkArena(t testing.TB, a *ArenaTable) {
	t.Helper()
	slotOf := make(map[uint64]uint64) // offset -> slot position
	n := 0
	// check verifies one index: the current one, or while the index
	// doubles the old one (name "old slot", flag oldPos), whose keys not
	// yet moved must be reachable there from their old home and not also be
	// in the new one.
	check := func(name string, slots []uint64, mask uint64, shift uint, flag uint64) {
		for i, s := range slots {
			if s == 0 || (flag != 0 && s == tomb) {
				continue
			}
			if flag != 0 && uint64(i) < a.moved {
				t.Fatalf("%s %d below the migration point %d still holds an entry", name, i, a.moved)
			}
			n++
			off := s & offMask
			if _, dup := slotOf[off]; dup {
				t.Fatalf("offset %d in two slots (%s %d)", off, name, i)
			}
			slotOf[off] = uint64(i) | flag
			r := a.rec(off)
			if r.f&fDead != 0 {
				t.Fatalf("%s %d points to a dead record", name, i)
			}
			tag := a.tagOf(a.keyOf(&r))
			if tag != s>>offBits {
				t.Fatalf("%s %d: tag mismatch", name, i)
			}
			for j := tag >> shift; j != uint64(i); j = (j + 1) & mask {
				if slots[j] == 0 {
					t.Fatalf("%s %d unreachable from its home %d (empty at %d)", name, i, tag>>shift, j)
				}
			}
		}
	}
	check("slot", a.slots, a.mask, a.shift, 0)
	check("old slot", a.old, a.oldMask, a.shift+1, oldPos)
	if n != a.count {
		t.Fatalf("count %d, %d slots used", a.count, n)
	}
	if (a.count+0)*5 > len(a.slots)*4 {
		t.Fatalf("load too high: %d/%d", a.count, len(a.slots))
	}
	var usedSum, deadSum int64
	live, vol, nchunks := 0, 0, 0
	for c := 1; c < len(a.chunks); c++ {
		mem := a.chunks[c]
		ci := a.info[c]
		if mem == nil {
			if ci != (chunkInfo{}) {
				t.Fatalf("freed chunk %d has info %+v", c, ci)
			}
			continue
		}
		nchunks++
		var dead uint32
		p := 0
		for p < int(ci.used) {
			if mem[p]&(fPad|fPad1) != 0 {
				sz := padSize(mem, p)
				dead += uint32(sz)
				p += sz
				continue
			}
			r := parse(mem, p)
			off := uint64(c)<<chunkShift | uint64(p)
			if r.f&fDead != 0 {
				dead += uint32(r.size())
				if _, ok := slotOf[off]; ok {
					t.Fatalf("dead record at %d has a slot", off)
				}
			} else {
				live++
				if _, ok := slotOf[off]; !ok {
					t.Fatalf("live record at %d has no slot", off)
				}
				if r.volatile() {
					vol++
					vi := r.volIdx()
					if int(vi) >= len(a.vols) || a.vols[vi] != off {
						t.Fatalf("record at %d: volIdx %d wrong", off, vi)
					}
				}
				if r.f&fBig != 0 {
					bi := le.Uint32(r.c[r.kv:])
					if int(bi) >= len(a.bigs) || len(a.bigs[bi]) != r.klen+r.vlen {
						t.Fatalf("record at %d: bad big %d", off, bi)
					}
				} else if r.klen+r.vlen+r.kv-r.p > bigThreshold {
					t.Fatalf("record at %d too big for the arena", off)
				}
			}
			p += r.size()
		}
		if p != int(ci.used) {
			t.Fatalf("chunk %d: walked to %d, used %d", c, p, ci.used)
		}
		if dead != ci.dead {
			t.Fatalf("chunk %d: dead %d, counted %d", c, ci.dead, dead)
		}
		if dead == ci.used && uint32(c) != a.head {
			t.Fatalf("chunk %d entirely dead but not freed", c)
		}
		usedSum += int64(ci.used)
		deadSum += int64(dead)
	}
	if live != a.count || vol != len(a.vols) {
		t.Fatalf("live %d count %d; volatile %d vols %d", live, a.count, vol, len(a.vols))
	}
	if usedSum != a.usedSum || deadSum != a.deadSum || nchunks != a.nchunks {
		t.Fatalf("sums: used %d/%d dead %d/%d chunks %d/%d", usedSum, a.usedSum, deadSum, a.deadSum, nchunks, a.nchunks)
	}
	var bigBytes int64
	for _, b := range a.bigs {
		bigBytes += int64(cap(b)) // spare capacity included (WriteAt)
	}
	if bigBytes != a.bigBytes {
		t.Fatalf("bigBytes %d, counted %d", a.bigBytes, bigBytes)
	}
}

type modelEntry struct {
	value    string
	expireAt int64
	meta     uint32
	enc      Enc
}

func checkModel(t testing.TB, a *ArenaTable, m map[string]modelEntry) {
	t.Helper()
	vol := 0
	for k, me := range m {
		e, ok := a.Get([]byte(k))
		if !ok || string(e.Value) != me.value || e.ExpireAt != me.expireAt || e.Meta != me.meta || a.Enc([]byte(k)) != me.enc {
			t.Fatalf("Get(%q) = %v %v (enc %d), want %+v", k, ok, e, a.Enc([]byte(k)), me)
		}
		if me.expireAt != 0 {
			vol++
		}
	}
	if a.Len() != len(m) || a.Volatile() != vol {
		t.Fatalf("Len %d Volatile %d, want %d %d", a.Len(), a.Volatile(), len(m), vol)
	}
	seen := make(map[string]bool, len(m))
	a.Range(func(k []byte, e Entry) bool {
		me, ok := m[string(k)]
		if !ok || seen[string(k)] || string(e.Value) != me.value || e.ExpireAt != me.expireAt || e.Meta != me.meta {
			t.Fatalf("Range: %q %v unexpected (in model %v, seen %v)", k, e, ok, seen[string(k)])
		}
		seen[string(k)] = true
		return true
	})
	if len(seen) != len(m) {
		t.Fatalf("Range saw %d keys, want %d", len(seen), len(m))
	}
}

func TestArenaBasics(t *testing.T) {
	big := bytes.Repeat([]byte("B"), 100<<10)
	type step struct {
		op       string // put, del, exp, meta, enc, get
		key, val string
		exp      int64
		meta     uint32
		enc      Enc
		wantOK   bool
		wantVal  string
		wantExp  int64
		wantMeta uint32
		wantEnc  Enc
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"empty key and value", []step{
			{op: "put", key: "", val: ""},
			{op: "get", key: "", wantOK: true, wantVal: ""},
			{op: "put", key: "", val: "x", meta: 7},
			{op: "get", key: "", wantOK: true, wantVal: "x", wantMeta: 7},
			{op: "del", key: "", wantOK: true},
			{op: "get", key: ""},
			{op: "del", key: ""},
		}},
		{"overwrite smaller, same, bigger", []step{
			{op: "put", key: "k", val: "0123456789"},
			{op: "put", key: "k", val: "01"},
			{op: "get", key: "k", wantOK: true, wantVal: "01"},
			{op: "put", key: "k", val: "ab"},
			{op: "get", key: "k", wantOK: true, wantVal: "ab"},
			{op: "put", key: "k", val: "0123456789abcdef"},
			{op: "get", key: "k", wantOK: true, wantVal: "0123456789abcdef"},
		}},
		{"expiry", []step{
			{op: "exp", key: "k", exp: 5},
			{op: "put", key: "k", val: "v"},
			{op: "exp", key: "k", exp: 5, wantOK: true},
			{op: "get", key: "k", wantOK: true, wantVal: "v", wantExp: 5},
			{op: "exp", key: "k", exp: 0, wantOK: true},
			{op: "get", key: "k", wantOK: true, wantVal: "v"},
			{op: "exp", key: "k", exp: 9, wantOK: true},
			{op: "put", key: "k", val: "w", exp: 0},
			{op: "get", key: "k", wantOK: true, wantVal: "w"},
			{op: "put", key: "k", val: "w", exp: 11},
			{op: "get", key: "k", wantOK: true, wantVal: "w", wantExp: 11},
		}},
		{"meta", []step{
			{op: "meta", key: "k", meta: 1},
			{op: "put", key: "k", val: "v", meta: 1},
			{op: "meta", key: "k", meta: 0xFFFFFFFF, wantOK: true},
			{op: "get", key: "k", wantOK: true, wantVal: "v", wantMeta: 0xFFFFFFFF},
		}},
		{"encoding: kept by expiry changes, dropped by a new value", []step{
			{op: "enc", key: "k", enc: EncRaw},
			{op: "put", key: "k", val: "12345", meta: 3},
			{op: "enc", key: "k", enc: EncRaw, wantOK: true},
			{op: "get", key: "k", wantOK: true, wantVal: "12345", wantMeta: 3, wantEnc: EncRaw},
			{op: "exp", key: "k", exp: 7, wantOK: true}, // the record is rewritten with room for an expiry
			{op: "get", key: "k", wantOK: true, wantVal: "12345", wantExp: 7, wantMeta: 3, wantEnc: EncRaw},
			{op: "exp", key: "k", exp: 0, wantOK: true}, // in place
			{op: "meta", key: "k", meta: 4, wantOK: true},
			{op: "get", key: "k", wantOK: true, wantVal: "12345", wantMeta: 4, wantEnc: EncRaw},
			{op: "put", key: "k", val: "123"}, // in place
			{op: "get", key: "k", wantOK: true, wantVal: "123"},
			{op: "enc", key: "k", enc: EncStr, wantOK: true},
			{op: "get", key: "k", wantOK: true, wantVal: "123", wantEnc: EncStr},
			{op: "enc", key: "k", enc: EncRaw, wantOK: true},
			{op: "get", key: "k", wantOK: true, wantVal: "123", wantEnc: EncRaw},
			{op: "put", key: "k", val: "0123456789abcdef"}, // a new record
			{op: "get", key: "k", wantOK: true, wantVal: "0123456789abcdef"},
			{op: "enc", key: "k", enc: EncRaw, wantOK: true},
			{op: "del", key: "k", wantOK: true},
			{op: "put", key: "k", val: "v"},
			{op: "get", key: "k", wantOK: true, wantVal: "v"},
			{op: "put", key: "b", val: string(big)},
			{op: "enc", key: "b", enc: EncRaw, wantOK: true},
			{op: "exp", key: "b", exp: 9, wantOK: true},
			{op: "get", key: "b", wantOK: true, wantVal: string(big), wantExp: 9, wantEnc: EncRaw},
			{op: "put", key: "b", val: string(big[1:]), exp: 9}, // big, in place
			{op: "get", key: "b", wantOK: true, wantVal: string(big[1:]), wantExp: 9},
		}},
		{"large values", []step{
			{op: "put", key: "k", val: string(big)},
			{op: "get", key: "k", wantOK: true, wantVal: string(big)},
			{op: "put", key: "k", val: string(big[1:]), exp: 3},
			{op: "get", key: "k", wantOK: true, wantVal: string(big[1:]), wantExp: 3},
			{op: "put", key: "k", val: "small"},
			{op: "get", key: "k", wantOK: true, wantVal: "small"},
			{op: "put", key: "k", val: string(big)},
			{op: "exp", key: "k", exp: 4, wantOK: true},
			{op: "get", key: "k", wantOK: true, wantVal: string(big), wantExp: 4},
			{op: "del", key: "k", wantOK: true},
			{op: "get", key: "k"},
		}},
		{"binary keys", []step{
			{op: "put", key: "\x00\xff\x00", val: "\x00"},
			{op: "put", key: "\x00\xff", val: "\x01"},
			{op: "get", key: "\x00\xff\x00", wantOK: true, wantVal: "\x00"},
			{op: "get", key: "\x00\xff", wantOK: true, wantVal: "\x01"},
			{op: "get", key: "\x00"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := NewArenaTable()
			for i, s := range tc.steps {
				var ok bool
				switch s.op {
				case "put":
					a.Put([]byte(s.key), []byte(s.val), s.exp, s.meta)
					continue
				case "del":
					ok = a.Delete([]byte(s.key))
				case "exp":
					ok = a.SetExpire([]byte(s.key), s.exp)
				case "meta":
					ok = a.SetMeta([]byte(s.key), s.meta)
				case "enc":
					ok = a.SetEnc([]byte(s.key), s.enc)
				case "get":
					var e Entry
					e, ok = a.Get([]byte(s.key))
					if ok && (string(e.Value) != s.wantVal || e.ExpireAt != s.wantExp || e.Meta != s.wantMeta || a.Enc([]byte(s.key)) != s.wantEnc) {
						t.Fatalf("step %d: Get = %.20q %d %d, Enc %d", i, e.Value, e.ExpireAt, e.Meta, a.Enc([]byte(s.key)))
					}
				}
				if ok != s.wantOK {
					t.Fatalf("step %d (%s %q): ok = %v", i, s.op, s.key, ok)
				}
				checkArena(t, a)
			}
		})
	}
}

func TestArenaValueIsCapped(t *testing.T) {
	a := NewArenaTable()
	a.Put([]byte("a"), []byte("111"), 0, 0)
	a.Put([]byte("b"), []byte("222"), 0, 0)
	e, _ := a.Get([]byte("a"))
	_ = append(e.Value, "XXXXXXXXXXXX"...)
	a.Range(func(k []byte, e Entry) bool {
		_ = append(k, "YYYYYYYYYYYYY"...)
		return true
	})
	if e, _ := a.Get([]byte("b")); string(e.Value) != "222" {
		t.Fatalf("b = %q", e.Value)
	}
	checkArena(t, a)
}

// Put must copy from a value that aliases the table itself.
func TestArenaPutAliasing(t *testing.T) {
	a := NewArenaTable()
	a.Put([]byte("src"), []byte("hello world, this is a value"), 0, 0)
	e, _ := a.Get([]byte("src"))
	a.Put([]byte("dst"), e.Value, 0, 0) // another key
	e, _ = a.Get([]byte("src"))
	a.Put([]byte("src"), e.Value[6:], 0, 0) // itself, shorter, overlapping
	if e, _ := a.Get([]byte("src")); string(e.Value) != "world, this is a value" {
		t.Fatalf("src = %q", e.Value)
	}
	e, _ = a.Get([]byte("dst"))
	a.Put([]byte("dst"), append(e.Value, "!"...), 5, 0) // bigger: relocates
	if e, _ := a.Get([]byte("dst")); string(e.Value) != "hello world, this is a value!" {
		t.Fatalf("dst = %q", e.Value)
	}
	var k []byte
	a.Range(func(key []byte, _ Entry) bool { k = key; return false })
	a.Put(k, []byte("via range key"), 0, 0)
	if e, _ := a.Get(k); string(e.Value) != "via range key" {
		t.Fatalf("%q = %q", k, e.Value)
	}
	checkArena(t, a)
}

func randValue(r *rand.Rand) []byte {
	var n int
	switch x := r.IntN(1000); {
	case x < 3:
		n = bigThreshold - 40 + r.IntN(80) // straddles the big threshold
	case x < 5:
		n = 20000 + r.IntN(100000)
	case x < 100:
		n = 100 + r.IntN(400)
	default:
		n = r.IntN(64)
	}
	v := make([]byte, n)
	for i := range v {
		v[i] = byte(r.Uint32())
	}
	return v
}

// TestArenaDifferential runs random operations against the table and a Go
// map, checking every answer, Len and Volatile after every step and the whole
// contents and internal invariants periodically.
func TestArenaDifferential(t *testing.T) {
	ops := 400_000
	if testing.Short() {
		ops = 60_000
	}
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 99))
			a := newArenaTableSeed(seed)
			m := make(map[string]modelEntry)
			keySpace := 2000
			vol := 0 // keys with an expiry in m
			var maxBytes int64
			for i := 0; i < ops; i++ {
				// Vary the key space so the index grows and shrinks.
				if i%50_000 == 0 {
					keySpace = []int{50, 2000, 20000, 300}[i/50_000%4]
				}
				key := []byte(fmt.Sprintf("k%d", r.IntN(keySpace)))
				if r.IntN(50) == 0 {
					key = key[:0]
				}
				me, exists := m[string(key)]
				if exists && me.expireAt != 0 {
					vol-- // re-added below if the key still has an expiry
				}
				switch op := r.IntN(100); {
				case op < 40:
					v := randValue(r)
					if exists && r.IntN(3) == 0 && len(me.value) > 0 {
						v = []byte(me.value[:r.IntN(len(me.value))]) // shrink
					}
					var exp int64
					if r.IntN(3) == 0 {
						exp = r.Int64N(1e12) + 1
					}
					meta := r.Uint32()
					a.Put(key, v, exp, meta)
					m[string(key)] = modelEntry{string(v), exp, meta, EncAuto}
				case op < 65:
					if a.Delete(key) != exists {
						t.Fatalf("op %d: Delete(%q) != %v", i, key, exists)
					}
					delete(m, string(key))
				case op < 80:
					var exp int64
					if r.IntN(3) > 0 {
						exp = r.Int64N(1e12) + 1
					}
					if a.SetExpire(key, exp) != exists {
						t.Fatalf("op %d: SetExpire(%q) != %v", i, key, exists)
					}
					if exists {
						me.expireAt = exp
						m[string(key)] = me
					}
				case op < 84:
					enc := Enc(r.IntN(3))
					if a.SetEnc(key, enc) != exists {
						t.Fatalf("op %d: SetEnc(%q) != %v", i, key, exists)
					}
					if exists {
						me.enc = enc
						m[string(key)] = me
					}
				case op < 90:
					meta := r.Uint32()
					if a.SetMeta(key, meta) != exists {
						t.Fatalf("op %d: SetMeta(%q) != %v", i, key, exists)
					}
					if exists {
						me.meta = meta
						m[string(key)] = me
					}
				case op < 99:
					e, ok := a.Get(key)
					if ok != exists || (ok && (string(e.Value) != me.value || e.ExpireAt != me.expireAt || e.Meta != me.meta || a.Enc(key) != me.enc)) {
						t.Fatalf("op %d: Get(%q) = %v %+v, want %v %+v", i, key, ok, e, exists, me)
					}
				default:
					if r.IntN(20) == 0 {
						a.Clear()
						clear(m)
						vol = 0
					}
				}
				if me2, ok := m[string(key)]; ok && me2.expireAt != 0 {
					vol++
				}
				if a.Len() != len(m) || a.Volatile() != vol {
					t.Fatalf("op %d: Len %d Volatile %d, want %d %d", i, a.Len(), a.Volatile(), len(m), vol)
				}
				e, ok := a.Get(key)
				if me, exists := m[string(key)]; ok != exists || (ok && string(e.Value) != me.value) {
					t.Fatalf("op %d: Get(%q) after op: %v", i, key, ok)
				}
				if i%5000 == 0 {
					checkArena(t, a)
					checkModel(t, a, m)
				}
				maxBytes = max(maxBytes, a.Bytes())
			}
			checkArena(t, a)
			checkModel(t, a, m)
			t.Logf("max Bytes %d, final %d for %d keys", maxBytes, a.Bytes(), a.Len())
		})
	}
}

func TestArenaScanGrowShrink(t *testing.T) {
	for seed := uint64(0); seed < 5; seed++ {
		testArenaScanGrowShrink(t, seed)
	}
}

func testArenaScanGrowShrink(t *testing.T, seed uint64) {
	for _, tc := range []struct {
		name  string
		count int
		grow  bool
	}{
		{"grow count 1", 1, true},
		{"grow count 10", 10, true},
		{"shrink count 1", 1, false},
		{"shrink count 10", 10, false},
		{"shrink count 100", 100, false},
	} {
		t.Run(fmt.Sprint(tc.name, " seed ", seed), func(t *testing.T) {
			a := newArenaTableSeed(seed)
			stable := make(map[string]bool)
			for i := 0; i < 500; i++ {
				k := fmt.Sprintf("stable:%d", i)
				stable[k] = true
				a.Put([]byte(k), []byte("v"), 0, 0)
			}
			churn := 0
			if !tc.grow {
				for ; churn < 20000; churn++ {
					a.Put([]byte(fmt.Sprintf("churn:%d", churn)), nil, 0, 0)
				}
			}
			seen := make(map[string]int)
			cursor, calls := uint64(0), 0
			slotsSeen := map[int]bool{}
			for {
				cursor = a.Scan(cursor, tc.count, func(k []byte, e Entry) { seen[string(k)]++ })
				calls++
				slotsSeen[len(a.slots)] = true
				if cursor == 0 {
					break
				}
				if tc.grow {
					for j := 0; j < 40 && churn < 20000; j++ {
						a.Put([]byte(fmt.Sprintf("churn:%d", churn)), nil, 0, 0)
						churn++
					}
				} else {
					for j := 0; j < max(200, 20*tc.count) && churn > 0; j++ {
						churn--
						a.Delete([]byte(fmt.Sprintf("churn:%d", churn)))
					}
				}
			}
			for k := range stable {
				if seen[k] == 0 {
					t.Fatalf("stable key %q not returned (%d calls, sizes %v)", k, calls, slotsSeen)
				}
			}
			if len(slotsSeen) < 2 {
				t.Fatalf("index did not resize enough during the scan: %v", slotsSeen)
			}
		})
	}
}

func TestArenaScanExact(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		testArenaScanExact(t, seed)
	}
}

func testArenaScanExact(t *testing.T, seed uint64) {
	a := newArenaTableSeed(seed)
	for i := 0; i < 10000; i++ {
		a.Put([]byte(fmt.Sprint(i)), nil, 0, 0)
	}
	for _, count := range []int{1, 7, 100, 1 << 40} {
		seen := make(map[string]int)
		cursor, calls := uint64(0), 0
		for {
			n := 0
			cursor = a.Scan(cursor, count, func(k []byte, e Entry) { seen[string(k)]++; n++ })
			calls++
			if cursor == 0 {
				break
			}
			if n < min(count, 10000) {
				t.Fatalf("count %d: a call visited %d keys", count, n)
			}
		}
		if len(seen) != 10000 {
			t.Fatalf("count %d: saw %d keys", count, len(seen))
		}
		for k, n := range seen {
			if n != 1 {
				t.Fatalf("seed %d count %d: %q seen %d times without resize", seed, count, k, n)
			}
		}
	}
	if c := a.Scan(1<<62, 10, func([]byte, Entry) { t.Fatal("visited") }); c != 0 {
		t.Fatalf("garbage cursor -> %d", c)
	}
	if c := NewArenaTable().Scan(0, 10, func([]byte, Entry) { t.Fatal("visited") }); c != 0 {
		t.Fatalf("empty table -> %d", c)
	}
}

func TestArenaSample(t *testing.T) {
	a := NewArenaTable()
	const n = 1000
	for i := 0; i < n; i++ {
		var exp int64
		if i%100 == 0 {
			exp = int64(i) + 1
		}
		a.Put([]byte(fmt.Sprint(i)), []byte("v"), exp, 0)
	}
	counts := make(map[string]int)
	const rounds = 20000
	for i := 0; i < rounds; i++ {
		got := 0
		one := map[string]bool{}
		a.Sample(5, false, func(k []byte, e Entry) { counts[string(k)]++; got++; one[string(k)] = true })
		if got != 5 || len(one) != 5 {
			t.Fatalf("sample returned %d", got)
		}
	}
	// Expected 100 per key (binomial, sd ~10).
	var vals []int
	for _, c := range counts {
		vals = append(vals, c)
	}
	sort.Ints(vals)
	if len(vals) != n || vals[0] < 50 || vals[len(vals)-1] > 160 {
		t.Fatalf("distribution: %d keys, min %d max %d", len(vals), vals[0], vals[len(vals)-1])
	}
	t.Logf("sample counts: min %d median %d max %d (expected 100)", vals[0], vals[n/2], vals[n-1])

	vcounts := make(map[string]int)
	for i := 0; i < 10000; i++ {
		one := map[string]bool{}
		a.Sample(3, true, func(k []byte, e Entry) {
			if e.ExpireAt == 0 || one[string(k)] {
				t.Fatalf("volatile sample returned %q without expiry or twice", k)
			}
			one[string(k)] = true
			vcounts[string(k)]++
		})
	}
	if len(vcounts) != 10 {
		t.Fatalf("volatile samples covered %d of 10 keys", len(vcounts))
	}
	for k, c := range vcounts {
		if c < 1500 || c > 4500 { // expected 3000
			t.Fatalf("volatile key %q sampled %d times", k, c)
		}
	}
	got := 0
	a.Sample(100, true, func(k []byte, e Entry) { got++ })
	if got != 10 {
		t.Fatalf("Sample(100, volatile) returned %d, want all 10", got)
	}
	got = 0
	a.Sample(5000, false, func(k []byte, e Entry) { got++ })
	if got != n {
		t.Fatalf("Sample(5000) returned %d, want %d", got, n)
	}
	NewArenaTable().Sample(5, false, func([]byte, Entry) { t.Fatal("empty") })
	NewArenaTable().Sample(5, true, func([]byte, Entry) { t.Fatal("empty") })
}

// A few volatile keys among many: volatile sampling must not walk the table.
func TestArenaSampleVolatileCheap(t *testing.T) {
	a := NewArenaTable()
	for i := 0; i < 200000; i++ {
		a.Put([]byte(fmt.Sprint(i)), nil, 0, 0)
	}
	a.SetExpire([]byte("123"), 42)
	allocs := testing.AllocsPerRun(1000, func() {
		n := 0
		a.Sample(20, true, func(k []byte, e Entry) {
			if string(k) != "123" || e.ExpireAt != 42 {
				t.Fatalf("got %q %d", k, e.ExpireAt)
			}
			n++
		})
		if n != 1 {
			t.Fatalf("n = %d", n)
		}
	})
	if allocs != 0 {
		t.Fatalf("allocs %v", allocs)
	}
}

func TestArenaClone(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	a := NewArenaTable()
	m := make(map[string]modelEntry)
	for i := 0; i < 20000; i++ {
		k := fmt.Sprint(r.IntN(10000))
		v := randValue(r)
		exp := int64(r.IntN(2)) * int64(i+1)
		a.Put([]byte(k), v, exp, uint32(i))
		m[k] = modelEntry{string(v), exp, uint32(i), EncAuto}
		if enc := Enc(r.IntN(3)); enc != EncAuto {
			a.SetEnc([]byte(k), enc)
			m[k] = modelEntry{string(v), exp, uint32(i), enc}
		}
		if r.IntN(4) == 0 {
			k2 := fmt.Sprint(r.IntN(10000))
			a.Delete([]byte(k2))
			delete(m, k2)
		}
	}
	c := a.Clone()
	checkArena(t, c)
	checkModel(t, c, m)
	// Mutate both heavily; each must keep its own contents.
	m2 := make(map[string]modelEntry, len(m))
	for k, v := range m {
		m2[k] = v
	}
	for k := range m {
		a.Put([]byte(k), []byte("orig"), 0, 1)
		m[k] = modelEntry{"orig", 0, 1, EncAuto}
		break
	}
	i := 0
	for k := range m2 {
		if i%2 == 0 {
			c.Delete([]byte(k))
			delete(m2, k)
		} else {
			c.Put([]byte(k), []byte("clone"+k), 7, 2)
			m2[k] = modelEntry{"clone" + k, 7, 2, EncAuto}
		}
		i++
	}
	a.Put([]byte("new"), []byte("n"), 0, 0)
	m["new"] = modelEntry{"n", 0, 0, EncAuto}
	checkArena(t, a)
	checkArena(t, c)
	checkModel(t, a, m)
	checkModel(t, c, m2)
}

func TestArenaCompactionBoundsMemory(t *testing.T) {
	// A keyspace table holds at most 1/3 more than its live records; a
	// collection's nested table, compacting at 1/3 dead, at most 1.5x them.
	t.Run("keyspace", func(t *testing.T) { testCompactionBound(t, NewArenaTable(), 1.34) })
	t.Run("nested", func(t *testing.T) { testCompactionBound(t, NewNestedTable(), 1.5) })
}

func testCompactionBound(t *testing.T, a *ArenaTable, bound float64) {
	r := rand.New(rand.NewPCG(1, 2))
	const keys = 20000
	live := 0
	vals := make([]int, keys)
	for i := 0; i < 300000; i++ {
		k := r.IntN(keys)
		key := []byte(fmt.Sprintf("key:%012d", k))
		if r.IntN(4) == 0 {
			if a.Delete(key) {
				live -= vals[k]
				vals[k] = 0
			}
			continue
		}
		v := make([]byte, 10+r.IntN(120))
		if e, ok := a.Get(key); ok {
			live -= len(e.Value)
		}
		a.Put(key, v, 0, 0)
		vals[k] = len(v)
		live += len(v)
	}
	checkArena(t, a)
	arena := a.usedSum
	// Live data plus the dead bytes allowed, plus the head chunk and headers.
	liveRec := int64(live) + int64(a.Len())*(hdrFixed+2+16)
	if float64(arena) > float64(liveRec)*bound+2*chunkSize {
		t.Fatalf("arena %d bytes for %d live record bytes", arena, liveRec)
	}
	t.Logf("arena %d, live records %d (%.2fx), dead %d, chunks %d", arena, liveRec, float64(arena)/float64(liveRec), a.deadSum, a.nchunks)
	// Deleting everything frees every chunk but the head.
	a.Range(func(k []byte, e Entry) bool { return true })
	var all [][]byte
	a.Range(func(k []byte, e Entry) bool { all = append(all, bytes.Clone(k)); return true })
	for _, k := range all {
		a.Delete(k)
	}
	checkArena(t, a)
	if a.nchunks > 1 || len(a.slots) != 1<<minSlotBits {
		t.Fatalf("after deleting all: %d chunks, %d slots", a.nchunks, len(a.slots))
	}
}

func TestArenaBytesAndEntryBytes(t *testing.T) {
	a := NewArenaTable()
	empty := a.Bytes()
	if empty <= 0 || empty > 4096 {
		t.Fatalf("empty table Bytes %d", empty)
	}
	a.Put([]byte("key:000000000001"), bytes.Repeat([]byte("v"), 32), 0, 0)
	if n := a.EntryBytes([]byte("key:000000000001")); n < 55 || n > 200 {
		t.Fatalf("EntryBytes %d", n)
	}
	if n := a.EntryBytes([]byte("missing")); n != 0 {
		t.Fatalf("EntryBytes(missing) %d", n)
	}
	a.Put([]byte("big"), make([]byte, 1<<20), 0, 0)
	if n := a.EntryBytes([]byte("big")); n < 1<<20 {
		t.Fatalf("EntryBytes(big) %d", n)
	}
	if a.Bytes() < empty+1<<20 {
		t.Fatalf("Bytes %d after a 1 MiB value", a.Bytes())
	}
	a.Clear()
	if a.Bytes() != empty || a.Len() != 0 {
		t.Fatalf("after Clear: Bytes %d Len %d", a.Bytes(), a.Len())
	}
}

// Paths the random tests rarely reach.
func TestArenaEdgePaths(t *testing.T) {
	t.Run("sealed head entirely dead is freed", func(t *testing.T) {
		a := NewArenaTable()
		v := make([]byte, 1000)
		for i := 0; i < 60; i++ { // fills most of the first chunk
			a.Put([]byte(fmt.Sprint(i)), v, 0, 0)
		}
		for i := 0; i < 60; i++ {
			a.Delete([]byte(fmt.Sprint(i)))
		}
		if a.nchunks != 1 {
			t.Fatalf("%d chunks", a.nchunks)
		}
		a.Put([]byte("n"), make([]byte, 6000), 0, 0) // does not fit: seals the dead head
		checkArena(t, a)
		if a.nchunks != 1 {
			t.Fatalf("%d chunks", a.nchunks)
		}
	})
	t.Run("vols shrink", func(t *testing.T) {
		a := NewArenaTable()
		for i := 0; i < 5000; i++ {
			a.Put([]byte(fmt.Sprint(i)), nil, int64(i+1), 0)
		}
		for i := 0; i < 4990; i++ {
			if i%2 == 0 {
				a.Delete([]byte(fmt.Sprint(i)))
			} else {
				a.SetExpire([]byte(fmt.Sprint(i)), 0)
			}
		}
		checkArena(t, a)
		if a.Volatile() != 10 || cap(a.vols) > 1000 {
			t.Fatalf("Volatile %d cap %d", a.Volatile(), cap(a.vols))
		}
	})
	t.Run("big overwrite same size in place", func(t *testing.T) {
		a := NewArenaTable()
		v := bytes.Repeat([]byte("a"), 50000)
		a.Put([]byte("k"), v, 0, 0)
		e, _ := a.Get([]byte("k"))
		before := &e.Value[0]
		w := bytes.Repeat([]byte("b"), 50000)
		a.Put([]byte("k"), w, 0, 3)
		e, _ = a.Get([]byte("k"))
		if &e.Value[0] != before || !bytes.Equal(e.Value, w) || e.Meta != 3 {
			t.Fatalf("not in place or wrong")
		}
		checkArena(t, a)
	})
	t.Run("large volatile samples", func(t *testing.T) {
		a := NewArenaTable()
		for i := 0; i < 1000; i++ {
			a.Put([]byte(fmt.Sprint(i)), nil, int64(i+1), 0)
		}
		for _, n := range []int{0, -1, 65, 500, 999} {
			seen := map[string]bool{}
			a.Sample(n, true, func(k []byte, e Entry) {
				if seen[string(k)] || e.ExpireAt == 0 {
					t.Fatalf("n %d: %q repeated", n, k)
				}
				seen[string(k)] = true
			})
			if len(seen) != max(n, 0) {
				t.Fatalf("n %d: %d samples", n, len(seen))
			}
		}
		if a.EntryBytes([]byte("5")) <= 12+8 {
			t.Fatalf("EntryBytes of a volatile key %d", a.EntryBytes([]byte("5")))
		}
	})
}

// A doubling of the index moves the old slots a few per write instead of
// all at once (a stop-the-world copy stalled the event loop for ~0.7 ms per
// 32k-key shard), and every operation meanwhile sees every key, whichever
// index holds it: lookups, overwrites, expiries and deletes of keys not yet
// moved, and a Clone taken mid-way.
func TestArenaGrowIsIncremental(t *testing.T) {
	a := newArenaTableSeed(7)
	m := map[string]modelEntry{}
	put := func(k, v string) {
		a.Put([]byte(k), []byte(v), 0, 1)
		m[k] = modelEntry{v, 0, 1, EncAuto}
	}
	// Fill past 5,000 keys (small doublings end within a few writes), up to
	// the write that starts a doubling.
	i := 0
	for ; i < 1<<17 && (i < 5000 || a.old == nil || a.moved > growStep); i++ {
		put(fmt.Sprintf("k%d", i), "v")
	}
	if a.old == nil {
		t.Fatalf("no doubling in progress after %d keys (index %d slots)", i, len(a.slots))
	}
	oldLen := uint64(len(a.old))
	if a.moved > growStep || len(a.slots) != 2*int(oldLen) {
		t.Fatalf("doubling started with %d of %d old slots moved, new index %d", a.moved, oldLen, len(a.slots))
	}
	checkArena(t, a)
	checkModel(t, a, m)

	// Work on keys that are still in the old index.
	var unmoved []string
	for j := a.moved + 64; j < oldLen && len(unmoved) < 30; j++ {
		if s := a.old[j]; s != 0 && s != tomb {
			r := a.rec(s & offMask)
			unmoved = append(unmoved, string(a.keyOf(&r)))
		}
	}
	if len(unmoved) < 30 {
		t.Fatalf("only %d keys found in the old index", len(unmoved))
	}
	for j, k := range unmoved {
		switch j % 3 {
		case 0:
			if !a.Delete([]byte(k)) {
				t.Fatalf("Delete(%q) of an unmoved key: not found", k)
			}
			delete(m, k)
		case 1:
			put(k, string(bytes.Repeat([]byte("x"), 100))) // a longer value: a new record
		case 2:
			if !a.SetExpire([]byte(k), 1<<40) {
				t.Fatalf("SetExpire(%q) of an unmoved key: not found", k)
			}
			me := m[k]
			me.expireAt = 1 << 40
			m[k] = me
		}
	}
	c, mc := a.Clone(), maps.Clone(m)
	checkArena(t, a)
	checkModel(t, a, m)
	checkArena(t, c)
	checkModel(t, c, mc)
	if a.old == nil {
		t.Fatal("the doubling finished within a few dozen writes")
	}

	// Writes finish the move well before the next doubling is due.
	for n := 0; a.old != nil && n < int(oldLen); n++ {
		put(fmt.Sprintf("k%d", i), "v")
		i++
	}
	if a.old != nil {
		t.Fatalf("doubling still in progress after %d more writes", oldLen)
	}
	if len(a.slots) != 2*int(oldLen) {
		t.Fatalf("index %d slots, want %d", len(a.slots), 2*oldLen)
	}
	checkArena(t, a)
	checkModel(t, a, m)
	checkArena(t, c) // the clone went on with its own copy of the old index
	checkModel(t, c, mc)
}
