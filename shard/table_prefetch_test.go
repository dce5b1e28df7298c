package shard

import (
	"fmt"
	"testing"
)

// PopRandom drains a table (volatile keys, big values, a doubling in
// progress, compactions on the way) giving each key once; Prefetch of any
// key, present or not, changes nothing.
func TestArenaPopRandom(t *testing.T) {
	a := NewNestedTable()
	want := map[string]bool{}
	const n = 20000
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("key:%d", i)
		v := []byte("v")
		if i%1000 == 0 {
			v = make([]byte, 9000) // a big record
		}
		var exp int64
		if i%7 == 0 {
			exp = int64(1e15 + i)
		}
		a.Put([]byte(k), v, exp, 0)
		want[k] = true
		a.Prefetch([]byte(k), i%2 == 0)
		a.Prefetch([]byte("missing"), i%2 == 1)
	}
	for len(want) > 0 {
		var got string
		if !a.PopRandom(func(k []byte) { got = string(k) }) {
			t.Fatalf("PopRandom false with %d keys left", len(want))
		}
		if !want[got] {
			t.Fatalf("PopRandom gave %q twice or unknown", got)
		}
		delete(want, got)
		if a.Len() != len(want) {
			t.Fatalf("Len %d, want %d", a.Len(), len(want))
		}
		if len(want)%997 == 0 {
			checkArena(t, a)
			for k := range want {
				if _, ok := a.Get([]byte(k)); !ok {
					t.Fatalf("%q lost", k)
				}
			}
		}
	}
	if a.PopRandom(func([]byte) { t.Fatal("empty") }) || a.Volatile() != 0 {
		t.Fatal("empty table popped, or volatile keys left")
	}
}
