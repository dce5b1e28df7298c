package shard

import (
	"bytes"
	"testing"

	"fastcache/persistence"
)

type captured struct{ recs []persistence.Record }

func (c *captured) Record(op persistence.Op, db int, key, value []byte, arg int64) {
	r := persistence.Record{Op: op, DB: db, Key: bytes.Clone(key), Value: bytes.Clone(value)}
	if op == persistence.OpSetRange {
		r.Offset = arg
	} else {
		r.ExpireAt = arg
	}
	c.recs = append(c.recs, r)
}

// TestSetRangeLogsThePart: an APPEND-style write logs only the bytes
// written (OpSetRange), and replaying the log on an empty shard rebuilds the
// same value and expiry, zero-filling a gap; applying a record twice changes
// nothing (replay may see a record the snapshot already holds).
func TestSetRangeLogsThePart(t *testing.T) {
	liveShard, rec := New(0, 1, nil), &captured{}
	live := liveShard.DB(0)
	const exp = 4102444800000
	live.Set([]byte("log"), []byte("start"), exp, rec)
	value := []byte("start")
	for _, part := range []string{"+one", "+two", "+three"} {
		nv := append(bytes.Clone(value), part...)
		live.SetRange([]byte("log"), nv, exp, int64(len(value)), []byte(part), EncRaw, rec)
		value = nv
	}
	gap := spliceRange(value, 30, []byte("XY"))
	live.SetRange([]byte("log"), gap, exp, 30, []byte("XY"), EncRaw, rec)
	want := append(append(bytes.Clone(value), make([]byte, 30-len(value))...), "XY"...)
	if !bytes.Equal(gap, want) {
		t.Fatalf("spliceRange: %q, want %q", gap, want)
	}
	for _, r := range rec.recs[1:] {
		if r.Op != persistence.OpSetRange || len(r.Value) > 6 {
			t.Fatalf("logged %v of %q at %d: want OpSetRange of the part only", r.Op, r.Value, r.Offset)
		}
	}
	replayed := New(0, 1, nil).DB(0)
	for i := range rec.recs {
		replayed.Apply(&rec.recs[i])
	}
	replayed.Apply(&rec.recs[len(rec.recs)-1]) // twice
	e, ok := replayed.t.Get([]byte("log"))
	if !ok || !bytes.Equal(e.Value, want) || e.ExpireAt != exp {
		t.Fatalf("replayed %q (expire %d, ok %v), want %q (expire %d)", e.Value, e.ExpireAt, ok, want, exp)
	}
	// Inside the value the bytes are written in place; length and expiry stay.
	replayed.Apply(&persistence.Record{Op: persistence.OpSetRange, Key: []byte("log"), Value: []byte("S"), Offset: 0})
	if e, ok := replayed.t.Get([]byte("log")); !ok || e.Value[0] != 'S' || len(e.Value) != len(want) || e.ExpireAt != exp {
		t.Fatalf("in-place setrange: %q (expire %d)", e.Value, e.ExpireAt)
	}
	// A record for a missing key creates it, without expiry.
	replayed.Apply(&persistence.Record{Op: persistence.OpSetRange, Key: []byte("new"), Value: []byte("ab"), Offset: 2})
	if e, ok := replayed.t.Get([]byte("new")); !ok || string(e.Value) != "\x00\x00ab" || e.ExpireAt != 0 {
		t.Fatalf("setrange on a missing key: %q %d %v", e.Value, e.ExpireAt, ok)
	}
}
