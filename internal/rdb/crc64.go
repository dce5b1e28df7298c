package rdb

import "encoding/binary"

// CRC64 as Redis computes it (src/crc64.c): the Jones polynomial
// 0xad93d23594c935a9, reflected input and output, initial value 0 and no
// final xor. Go's hash/crc64 inverts before and after, so it cannot be
// used as is. Check value: CRC64("123456789") = 0xe9c6d914c4b8d9ca.
//
// Eight bytes at a time with eight tables (slicing-by-8, as Redis's
// crcspeed): an RDB file's checksum covers every byte of it.

var crcTables = func() (t [8][256]uint64) {
	const poly = 0x95ac9329ac4bc9b5 // 0xad93d23594c935a9 bit-reversed
	for i := range t[0] {
		c := uint64(i)
		for k := 0; k < 8; k++ {
			if c&1 != 0 {
				c = c>>1 ^ poly
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for k := 1; k < 8; k++ {
		for i := range t[k] {
			c := t[k-1][i]
			t[k][i] = c>>8 ^ t[0][byte(c)]
		}
	}
	return
}()

// CRC64 continues crc over p.
func CRC64(crc uint64, p []byte) uint64 {
	t := &crcTables
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][byte(crc)] ^ t[6][byte(crc>>8)] ^ t[5][byte(crc>>16)] ^ t[4][byte(crc>>24)] ^
			t[3][byte(crc>>32)] ^ t[2][byte(crc>>40)] ^ t[1][byte(crc>>48)] ^ t[0][byte(crc>>56)]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return crc
}
