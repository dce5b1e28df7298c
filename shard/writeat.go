package shard

import "fastcache/persistence"

// WriteAt writes part at offset of key's value e (as Get returned it; the
// key exists and holds a string), zero-filling up to offset, gives the value
// the encoding enc (see Enc), logs only part (OpSetRange), and returns the
// new length. A large value is changed in place (ArenaTable.WriteAt: APPEND
// to a 500 MB string copies the appended bytes, not the string); a small
// one is rebuilt.
func (d *DB) WriteAt(key []byte, e Entry, offset int64, part []byte, enc Enc, rec persistence.Recorder) int {
	return d.WriteAtSlot(Slot{}, key, e, offset, part, enc, rec)
}
