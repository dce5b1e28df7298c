package persistence

import "strconv"

// String records beyond the envelope's own set and setrange (ops 128-143).

// OpSetRanges writes several byte ranges inside Key's string value, in
// place, keeping its length and expiry: items are pairs of offset (decimal
// text) and bytes. A change of a few scattered bytes of a larger string
// costs those bytes: PFADD and PFMERGE on a HyperLogLog (its changed
// registers and its cached cardinality), applied all at once.
const OpSetRanges Op = 128

func init() { RegisterOp(OpSetRanges, "setranges") }

// AppendRange appends one range (offset, bytes) to an OpSetRanges body.
func AppendRange(dst []byte, off int64, b []byte) []byte {
	var num [20]byte
	dst = AppendItem(dst, strconv.AppendInt(num[:0], off, 10))
	return AppendItem(dst, b)
}

// Ranges calls fn for each range of an OpSetRanges body; false if the body
// is malformed (an odd number of items, an offset that is not a
// non-negative integer).
func Ranges(body []byte, fn func(off int64, b []byte)) bool {
	var off int64 = -1
	ok := Items(body, func(it []byte) {
		if off == -2 {
			return
		}
		if off == -1 {
			n, err := strconv.ParseInt(string(it), 10, 64)
			if err != nil || n < 0 {
				off = -2
				return
			}
			off = n
			return
		}
		fn(off, it)
		off = -1
	})
	return ok && off == -1
}
