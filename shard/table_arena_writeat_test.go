package shard

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"fastcache/persistence"
)

// TestArenaWriteAt: WriteAt against a model, mixed with puts, expiries,
// encodings and deletes: values grow in place past the stub's uvarint
// boundaries (16 KiB, 2 MiB), keep their expiry, metadata and encoding,
// small values are left to the caller, and the big buffers' bytes are all
// returned when the keys go.
func TestArenaWriteAt(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 1))
	a := newArenaTableSeed(15)
	m := map[string]modelEntry{}
	base := a.Bytes()
	for i := 0; i < 4000; i++ {
		key := fmt.Sprintf("k%d", r.IntN(12))
		me, exists := m[key]
		switch op := r.IntN(10); {
		case op < 2 || !exists:
			v := bytes.Repeat([]byte{byte('a' + r.IntN(26))}, []int{10, 9000, 16380, 40000}[r.IntN(4)])
			var exp int64
			if r.IntN(2) == 0 {
				exp = r.Int64N(1e12) + 1
			}
			meta := r.Uint32()
			a.Put([]byte(key), v, exp, meta)
			m[key] = modelEntry{string(v), exp, meta, EncAuto}
		case op < 7:
			off := len(me.value) + r.IntN(3) - 1
			if r.IntN(4) == 0 {
				off = r.IntN(len(me.value) + 20000)
			}
			part := bytes.Repeat([]byte{byte('A' + r.IntN(26))}, r.IntN(3000))
			n, ok := a.WriteAt([]byte(key), off, part)
			big := len(key)+len(me.value)+hdrSize(me.expireAt != 0, len(key), len(me.value)) > bigThreshold
			if ok != big {
				t.Fatalf("op %d: WriteAt on a %d-byte value: ok %v", i, len(me.value), ok)
			}
			if !ok {
				continue
			}
			want := []byte(me.value)
			if off+len(part) > len(want) {
				want = append(want, make([]byte, off+len(part)-len(want))...)
			}
			copy(want[off:], part)
			if n != len(want) {
				t.Fatalf("op %d: length %d, want %d", i, n, len(want))
			}
			me.value = string(want)
			m[key] = me
		case op < 8:
			exp := int64(0)
			if r.IntN(2) == 0 {
				exp = r.Int64N(1e12) + 1
			}
			a.SetExpire([]byte(key), exp)
			me.expireAt = exp
			m[key] = me
		case op < 9:
			enc := Enc(1 + r.IntN(2))
			a.SetEnc([]byte(key), enc)
			me.enc = enc
			m[key] = me
		default:
			a.Delete([]byte(key))
			delete(m, key)
		}
		if i%100 == 0 {
			checkArena(t, a)
			checkModel(t, a, m)
		}
	}
	checkArena(t, a)
	checkModel(t, a, m)
	for k := range m {
		a.Delete([]byte(k))
	}
	if a.bigBytes != 0 {
		t.Fatalf("bigBytes %d after every key is gone", a.bigBytes)
	}
	t.Logf("Bytes %d at the start, %d at the end", base, a.Bytes())
}

// TestWriteAtAppendsInPlace: appending to a large value copies the appended
// bytes, not the value (the buffer keeps its address until it must grow,
// and grows geometrically), and replay of the logged parts rebuilds it.
func TestWriteAtAppendsInPlace(t *testing.T) {
	s, rec := New(0, 1, nil).DB(0), &captured{}
	key := []byte("big")
	s.Set(key, bytes.Repeat([]byte("x"), 1<<20), 0, rec)
	grows := 0
	for i := 0; i < 2000; i++ {
		e, _ := s.Get(key, 0, rec, false)
		before := &e.Value[0]
		n := s.WriteAt(key, e, int64(len(e.Value)), []byte("0123456789"), EncRaw, rec)
		e2, _ := s.Get(key, 0, rec, false)
		if n != len(e.Value)+10 || len(e2.Value) != n {
			t.Fatalf("append %d: length %d", i, n)
		}
		if &e2.Value[0] != before {
			grows++
		}
	}
	if grows > 2 {
		t.Fatalf("the buffer moved %d times in 2000 appends of 10 bytes to 1 MB", grows)
	}
	if s.Enc(key) != EncRaw {
		t.Fatalf("encoding %v after APPEND, want raw", s.Enc(key))
	}
	replayed := New(0, 1, nil).DB(0)
	for i := range rec.recs {
		replayed.Apply(&rec.recs[i])
	}
	e1, _ := s.Get(key, 0, rec, false)
	e2, ok := replayed.Get(key, 0, rec, false)
	if !ok || !bytes.Equal(e1.Value, e2.Value) {
		t.Fatalf("replayed value differs (%d vs %d bytes)", len(e2.Value), len(e1.Value))
	}
	var _ persistence.Recorder = rec
}
