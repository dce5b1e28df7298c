package shard

import "fastcache/persistence"

// Kind is the type of the value a key holds. Strings live inline in the
// arena record (or in bigs); every other kind is a collection, an Object
// the record refers to (fObj).
type Kind uint8

const (
	KindString Kind = iota
	KindHash
	KindList
	KindSet
	KindZSet
	KindStream
	kinds
)

var kindNames = [kinds]string{"string", "hash", "list", "set", "zset", "stream"}

// String is the kind's name as TYPE reports it.
func (k Kind) String() string {
	if k < kinds {
		return kindNames[k]
	}
	return "unknown"
}

// KindByName is the kind TYPE names name (SCAN ... TYPE); false if none.
func KindByName(name string) (Kind, bool) {
	for i, n := range kindNames {
		if n == name {
			return Kind(i), true
		}
	}
	return 0, false
}

// Object is a collection value (a hash, a list, a set, ...). The shard keeps
// it out of line, accounts its memory, clones it for snapshots and COPY, and
// knows nothing else about it: the kind's package owns its encoding.
type Object interface {
	Kind() Kind
	// Len is the number of elements (fields, members, entries); a
	// collection with none is deleted by the command that emptied it.
	Len() int
	// Bytes estimates the memory the object holds.
	Bytes() int64
	// Clone is an independent deep copy.
	Clone() Object
	// Encoding is the name OBJECT ENCODING reports.
	Encoding() string
	// Records calls fn with records (ops >= 16) that rebuild the object on
	// an empty key: snapshots, and the log of a RENAME or COPY.
	Records(now int64, fn func(op persistence.Op, body []byte, num int64) error) error
}
