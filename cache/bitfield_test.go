package cache

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"testing"

	"fastcache/persistence"
)

// getBits/setBits against a bit-by-bit reading of the bytes (bit i of the
// string is bit 7-i%8 of byte i/8), at every alignment and width.
func TestBitFieldBitsAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	naiveBit := func(p []byte, i uint64) uint64 { return uint64(p[i/8]>>(7-i%8)) & 1 }
	for n := 0; n < 20000; n++ {
		p := make([]byte, 12)
		for i := range p {
			p[i] = byte(r.Uint32())
		}
		bits := uint(1 + r.IntN(64))
		off := uint64(r.IntN(96 - int(bits) + 1))
		var want uint64
		for i := uint64(0); i < uint64(bits); i++ {
			want = want<<1 | naiveBit(p, off+i)
		}
		if got := getBits(p, off, bits); got != want {
			t.Fatalf("getBits(%x, %d, %d) = %x, want %x", p, off, bits, got, want)
		}
		sv := getSignedBits(p, off, bits)
		if bits < 64 && want>>(bits-1) == 1 {
			if uint64(sv)<<(64-bits)>>(64-bits) != want || sv >= 0 {
				t.Fatalf("getSignedBits(%d bits) = %d for %x", bits, sv, want)
			}
		} else if uint64(sv) != want {
			t.Fatalf("getSignedBits(%d bits) = %d for %x", bits, sv, want)
		}
		v := r.Uint64()
		q := bytes.Clone(p)
		setBits(q, off, bits, v)
		for i := uint64(0); i < 96; i++ {
			w := naiveBit(p, i)
			if i >= off && i < off+uint64(bits) {
				w = v >> (uint64(bits) - 1 - (i - off)) & 1
			}
			if naiveBit(q, i) != w {
				t.Fatalf("setBits(%d bits at %d, %x): bit %d is %d", bits, off, v, i, naiveBit(q, i))
			}
		}
	}
}

// walFullRecords reads the log's records with their values.
func walFullRecords(t *testing.T, dir string) []persistence.Record {
	t.Helper()
	var recs []persistence.Record
	_, err := persistence.ReadDir(dir, persistence.ReadOptions{ReadOnly: true}, func(r *persistence.Record) error {
		cp := *r
		cp.Key = bytes.Clone(r.Key)
		cp.Value = bytes.Clone(r.Value)
		recs = append(recs, cp)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestBitFieldLogReplays: random BITFIELD calls on small strings, strings
// past the arena's big-value threshold, missing keys and keys with a TTL
// are logged as the bytes they change (OpSetRange of at most 9 bytes an
// op; a group when a call writes several runs), and replaying the log
// gives back the same keyspace.
func TestBitFieldLogReplays(t *testing.T) {
	const shards = 4
	dir := t.TempDir()
	w := walOpen(t, dir, shards)
	c := New(Options{Shards: shards, WAL: w})
	ks := c.Keyspace()
	r := rand.New(rand.NewPCG(3, 4))
	big := bytes.Repeat([]byte{0xa5}, 20<<10)
	ks.Set([]byte("big"), big, SetOptions{}, nil)
	ks.Set([]byte("ttl"), []byte("abc"), SetOptions{ExpireAt: 4102444800000}, nil)
	ks.Set([]byte("int"), []byte("12345"), SetOptions{}, nil)
	keys := []string{"big", "ttl", "int", "a", "b", "c"}
	groups := 0
	for i := 0; i < 3000; i++ {
		var ops []BitFieldOp
		for n := 1 + r.IntN(5); n > 0; n-- {
			op := BitFieldOp{Kind: BitFieldKind(r.IntN(3)), Signed: r.IntN(2) == 0, Overflow: BitOverflow(r.IntN(3)), Value: r.Int64() >> r.IntN(64)}
			op.Bits = uint8(1 + r.IntN(63))
			if op.Signed {
				op.Bits = uint8(1 + r.IntN(64))
			}
			switch r.IntN(4) {
			case 0:
				op.Offset = int64(r.IntN(64))
			case 1:
				op.Offset = int64(r.IntN(200 << 10)) // far out: grows the string
			default:
				op.Offset = int64(r.IntN(8 * 25 << 10))
			}
			ops = append(ops, op)
		}
		if err := ks.BitField([]byte(keys[r.IntN(len(keys))]), ops); err != nil {
			t.Fatal(err)
		}
		if r.IntN(200) == 0 {
			ks.Del([][]byte{[]byte(keys[3+r.IntN(3)])})
		}
	}
	c.Close()
	if err := w.Close(); err != nil { // what the writer still holds reaches the files
		t.Fatal(err)
	}
	for _, rec := range walFullRecords(t, dir) {
		if rec.Group > 1 {
			groups++
		}
		if rec.Op == persistence.OpSetRange && len(rec.Value) > 9*5 {
			t.Fatalf("an OpSetRange of %d bytes: more than the calls' ops touch", len(rec.Value))
		}
	}
	if groups == 0 {
		t.Fatal("no call was logged as a group of records")
	}
	c2 := walReplay(t, dir, shards)
	defer c2.Close()
	// the live cache is closed; its table still reads
	for _, k := range keys {
		want, wok := ks.Get([]byte(k), nil)
		got, gok := c2.Keyspace().Get([]byte(k), nil)
		if wok != gok || !bytes.Equal(want, got) {
			t.Fatalf("%s after replay: %d bytes (%v), want %d bytes (%v)", k, len(got), gok, len(want), wok)
		}
		if wt, gt := ks.ExpireTime([]byte(k)), c2.Keyspace().ExpireTime([]byte(k)); wt != gt {
			t.Fatalf("%s: expire time %d after replay, want %d", k, gt, wt)
		}
	}
}

// TestBitFieldBigStringInPlace: on a 16 MB string, BITFIELD SET and INCRBY
// inside it and just past its end allocate what the arguments touch, not
// the string.
func TestBitFieldBigStringInPlace(t *testing.T) {
	c := New(Options{Shards: 1}) // what is logged: TestBitFieldLogReplays
	defer c.Close()
	ks := c.Keyspace()
	const size = 16 << 20
	ks.Set([]byte("big"), make([]byte, size), SetOptions{}, nil)
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	const calls = 200
	for i := 0; i < calls; i++ {
		off := int64(i) * 8 * 80_000
		ops := []BitFieldOp{
			{Kind: BitFieldSet, Bits: 16, Offset: off, Value: int64(i)},
			{Kind: BitFieldIncrBy, Signed: true, Bits: 64, Offset: int64(size)*8 - 64, Value: 1},
			{Kind: BitFieldGet, Bits: 8, Offset: off + 3},
		}
		if err := ks.BitField([]byte("big"), ops); err != nil {
			t.Fatal(err)
		}
		if ops[1].Result != int64(i+1) {
			t.Fatalf("INCRBY at the end: %d, want %d", ops[1].Result, i+1)
		}
	}
	// grow by a few bytes, ten times
	for i := 0; i < 10; i++ {
		ops := []BitFieldOp{{Kind: BitFieldSet, Bits: 8, Offset: int64(size+i) * 8, Value: 7}}
		if err := ks.BitField([]byte("big"), ops); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&ms1)
	// A copy of the string per call would be 200 x 16 MB; growing it
	// once by a quarter is allowed.
	if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > size/4+size+(8<<20) {
		t.Fatalf("%d calls allocated %d MB on a %d MB string", calls, alloc>>20, size>>20)
	} else {
		t.Logf("%d calls allocated %d KB on a %d MB string (growing it once included)", calls+10, alloc>>10, size>>20)
	}
	v, _ := ks.Get([]byte("big"), nil)
	if len(v) != size+10 || v[size+9] != 7 || v[80_000] != 0 || v[80_001] != 1 {
		t.Fatalf("len %d, last %d, [80000:2] %v", len(v), v[len(v)-1], v[80_000:80_002])
	}
}

// TestBitFieldReadOnlyNoKey: GETs only never create the key, and a write
// that OVERFLOW FAIL refuses still creates it zero-filled (as Redis).
func TestBitFieldReadOnlyNoKey(t *testing.T) {
	c := New(Options{Shards: 2})
	defer c.Close()
	ks := c.Keyspace()
	ops := []BitFieldOp{{Kind: BitFieldGet, Bits: 8, Offset: 100}, {Kind: BitFieldGet, Signed: true, Bits: 64, Offset: 1 << 20}}
	if err := ks.BitField([]byte("k"), ops); err != nil || ops[0].Result != 0 || ops[1].Result != 0 {
		t.Fatalf("GET on a missing key: %v %+v", err, ops)
	}
	if ks.Exists([][]byte{[]byte("k")}) != 0 {
		t.Fatal("GET created the key")
	}
	ops = []BitFieldOp{{Kind: BitFieldIncrBy, Bits: 8, Offset: 16, Value: 300, Overflow: OverflowFail}}
	if err := ks.BitField([]byte("k"), ops); err != nil || !ops[0].Nil {
		t.Fatalf("FAIL: %v %+v", err, ops)
	}
	if v, ok := ks.Get([]byte("k"), nil); !ok || string(v) != "\x00\x00\x00" {
		t.Fatalf("after a refused write: %q %v", v, ok)
	}
	if err := ks.BitField([]byte("k"), []BitFieldOp{{Kind: BitFieldGet, Bits: 8, Offset: int64(MaxStringLen) * 8}}); err != ErrBitOffset {
		t.Fatalf("offset past the limit: %v", err)
	}
	if _, err := ks.ListPush([]byte("l"), [][]byte{[]byte("x")}, false, false, nil); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []BitFieldKind{BitFieldGet, BitFieldSet} {
		if err := ks.BitField([]byte("l"), []BitFieldOp{{Kind: kind, Bits: 8}}); err != ErrWrongTypeOps {
			t.Fatalf("%v on a list: %v", kind, err)
		}
	}
}
