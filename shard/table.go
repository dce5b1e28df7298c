package shard

import "github.com/cespare/xxhash/v2"

// MapTable is the reference store: a Go map. It has the same API as
// ArenaTable (the compact, pointer-free store) and serves as the model in its
// differential tests.
type MapTable struct {
	m        map[string]*mapEntry
	volatile int
	bytes    int64
}

type mapEntry struct {
	value    []byte
	expireAt int64
	meta     uint32
	enc      Enc
}

// Entry is a view of one stored item. Value aliases the table's memory and is
// valid only until the next mutation of the table.
type Entry struct {
	Value    []byte
	ExpireAt int64  // unix ms, 0 = none
	Meta     uint32 // LRU/LFU bits owned by the shard
	// Kind is the value's type. For KindString, Value is the string;
	// otherwise Value refers to a collection (ArenaTable.Obj).
	Kind Kind
}

// Enc is how Redis would hold a string value where that is not what the
// value's bytes alone give (OBJECT ENCODING reports it). Redis picks int,
// embstr or raw from the bytes when a command stores a value it was sent
// (SET, MSET, APPEND to a new key...), but APPEND to an existing key and
// SETRANGE leave a raw string, and INCRBYFLOAT stores its text as a string
// even when it reads as an integer; COPY and RENAME keep the encoding, a new
// value drops it. It lives in memory only: the WAL and snapshots hold the
// bytes, and a restart (as Redis's RDB load does) or a replica derives the
// encoding from them.
type Enc uint8

const (
	EncAuto Enc = iota // from the bytes: int, embstr or raw
	EncRaw             // raw, whatever the bytes
	EncStr             // embstr up to 44 bytes, else raw: never int
)

const mapEntryOverhead = 96

// NewMapTable returns an empty table.
func NewMapTable() *MapTable { return &MapTable{m: make(map[string]*mapEntry)} }

func (t *MapTable) Len() int      { return len(t.m) }
func (t *MapTable) Volatile() int { return t.volatile }
func (t *MapTable) Bytes() int64  { return t.bytes }

func (t *MapTable) Get(key []byte) (Entry, bool) {
	e, ok := t.m[string(key)]
	if !ok {
		return Entry{}, false
	}
	return Entry{Value: e.value, ExpireAt: e.expireAt, Meta: e.meta}, true
}

func (t *MapTable) Put(key, value []byte, expireAt int64, meta uint32) {
	v := append([]byte(nil), value...)
	if e, ok := t.m[string(key)]; ok {
		t.bytes += int64(len(v) - len(e.value))
		if (e.expireAt != 0) != (expireAt != 0) {
			if expireAt != 0 {
				t.volatile++
			} else {
				t.volatile--
			}
		}
		e.value, e.expireAt, e.meta, e.enc = v, expireAt, meta, EncAuto
		return
	}
	t.m[string(key)] = &mapEntry{value: v, expireAt: expireAt, meta: meta}
	t.bytes += int64(len(key)+len(v)) + mapEntryOverhead
	if expireAt != 0 {
		t.volatile++
	}
}

func (t *MapTable) SetExpire(key []byte, expireAt int64) bool {
	e, ok := t.m[string(key)]
	if !ok {
		return false
	}
	if (e.expireAt != 0) != (expireAt != 0) {
		if expireAt != 0 {
			t.volatile++
		} else {
			t.volatile--
		}
	}
	e.expireAt = expireAt
	return true
}

func (t *MapTable) SetEnc(key []byte, enc Enc) bool {
	e, ok := t.m[string(key)]
	if ok {
		e.enc = enc
	}
	return ok
}

func (t *MapTable) Enc(key []byte) Enc {
	if e, ok := t.m[string(key)]; ok {
		return e.enc
	}
	return EncAuto
}

func (t *MapTable) SetMeta(key []byte, meta uint32) bool {
	e, ok := t.m[string(key)]
	if ok {
		e.meta = meta
	}
	return ok
}

func (t *MapTable) Delete(key []byte) bool {
	e, ok := t.m[string(key)]
	if !ok {
		return false
	}
	if e.expireAt != 0 {
		t.volatile--
	}
	t.bytes -= int64(len(key)+len(e.value)) + mapEntryOverhead
	delete(t.m, string(key))
	return true
}

func (t *MapTable) Clear() {
	t.m = make(map[string]*mapEntry)
	t.volatile, t.bytes = 0, 0
}

func (t *MapTable) Range(fn func(key []byte, e Entry) bool) {
	for k, e := range t.m {
		if !fn([]byte(k), Entry{Value: e.value, ExpireAt: e.expireAt, Meta: e.meta}) {
			return
		}
	}
}

// Scan on a Go map cannot resume at a position, so the map table scans in
// one call (cursor 0 -> 0). ArenaTable implements real cursors.
func (t *MapTable) Scan(cursor uint64, count int, fn func(key []byte, e Entry)) uint64 {
	t.Range(func(k []byte, e Entry) bool { fn(k, e); return true })
	return 0
}

func (t *MapTable) Sample(n int, volatileOnly bool, fn func(key []byte, e Entry)) {
	for k, e := range t.m {
		if n <= 0 {
			return
		}
		if volatileOnly && e.expireAt == 0 {
			continue
		}
		n--
		fn([]byte(k), Entry{Value: e.value, ExpireAt: e.expireAt, Meta: e.meta})
	}
}

func (t *MapTable) EntryBytes(key []byte) int64 {
	e, ok := t.m[string(key)]
	if !ok {
		return 0
	}
	return int64(len(key)+len(e.value)) + mapEntryOverhead
}

func (t *MapTable) Clone() *MapTable {
	c := &MapTable{m: make(map[string]*mapEntry, len(t.m)), volatile: t.volatile, bytes: t.bytes}
	for k, e := range t.m {
		ce := *e
		c.m[k] = &ce
	}
	return c
}

var _ = xxhash.Sum64
