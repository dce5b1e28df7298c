package rdb

// CRC64 as Redis computes it (src/crc64.c): the Jones polynomial
// 0xad93d23594c935a9, reflected input and output, initial value 0 and no
// final xor. Go's hash/crc64 inverts before and after, so it cannot be
// used as is. Check value: CRC64("123456789") = 0xe9c6d914c4b8d9ca.

var crcTable = func() (t [256]uint64) {
	const poly = 0x95ac9329ac4bc9b5 // 0xad93d23594c935a9 bit-reversed
	for i := range t {
		c := uint64(i)
		for k := 0; k < 8; k++ {
			if c&1 != 0 {
				c = c>>1 ^ poly
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return
}()

// CRC64 continues crc over p.
func CRC64(crc uint64, p []byte) uint64 {
	for _, b := range p {
		crc = crcTable[byte(crc)^b] ^ crc>>8
	}
	return crc
}
