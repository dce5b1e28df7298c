package shard

import "fastcache/persistence"

// Range is a byte range [Start, End) of a string value.
type Range struct{ Start, End int }

// PatchRanges logs the ranges of key's string value (as Get returned it)
// that the caller has just changed in place, in one record, so a small
// change of a larger value costs the bytes changed (PFADD on a dense
// HyperLogLog). When the ranges would cost more than the value itself it
// logs the whole value (OpSet, with the key's expiry expireAt). The value
// becomes raw (see Enc) and the key's watchers are told.
func (d *DB) PatchRanges(key, value []byte, expireAt int64, ranges []Range, rec persistence.Recorder) {
	size := 0
	for _, r := range ranges {
		size += r.End - r.Start + 12
	}
	if size >= len(value) {
		rec.Record(persistence.OpSet, d.N, key, value, expireAt)
	} else {
		body := make([]byte, 0, size)
		for _, r := range ranges {
			body = persistence.AppendRange(body, int64(r.Start), value[r.Start:r.End])
		}
		rec.Record(persistence.OpSetRanges, d.N, key, body, 0)
	}
	d.t.SetEnc(key, EncRaw)
	d.touchWatch(key)
}

func init() {
	RegisterApply(persistence.OpSetRanges, func(d *DB, r *persistence.Record) {
		persistence.Ranges(r.Value, func(off int64, b []byte) {
			d.Apply(&persistence.Record{Op: persistence.OpSetRange, DB: r.DB, Key: r.Key, Offset: off, Value: b})
		})
	})
}
