package rdb

import (
	"errors"
	"sync"
)

// LZF as Redis's bundled liblzf (src/lzf_c.c, src/lzf_d.c) with its
// build settings: HLOG 16, VERY_FAST, not ULTRA_FAST. The hash table
// starts zeroed, which makes the output deterministic; liblzf leaves it
// uninitialised, but a stale slot can only produce a match against bytes
// that really are equal, and redis-server's output matches this in
// practice (the differential tests compare them byte for byte).
//
// The match test is liblzf 3.6's, the version Redis bundles (hash slots
// hold offsets from the input's start): unlike older liblzf it has no
// "ip + 4 < in_end" condition, so a 3-byte match at the very end of the
// input is taken (a multi-node list's DUMP showed the difference).
//
// Format: 000LLLLL + L+1 literal bytes; LLLooooo oooooooo: a back
// reference of L+2 bytes at distance o+1; 111ooooo LLLLLLLL oooooooo: a
// back reference of L+9 bytes.

const (
	lzfHLog   = 16
	lzfHSize  = 1 << lzfHLog
	lzfMaxLit = 1 << 5
	lzfMaxOff = 1 << 13
	lzfMaxRef = 1<<8 + 1<<3
)

func lzfIdx(h uint32) uint32 { return (h>>(3*8-lzfHLog) - h*5) & (lzfHSize - 1) }

// lzfTable is the hash table, reused across calls without clearing it (a
// stream's DUMP compresses one listpack per node): a slot holds
// base+1+position, and a value at or below the call's base, left by an
// earlier call, reads as "none", as in a zeroed table.
type lzfTable struct {
	slots [lzfHSize]uint32
	base  uint32
}

var lzfTables = sync.Pool{New: func() any { return new(lzfTable) }}

// lzfCompress compresses in into at most outLen bytes; nil when the
// result would not fit (the caller then stores in as it is).
func lzfCompress(in []byte, outLen int) []byte {
	inLen := len(in)
	if inLen == 0 || outLen <= 0 {
		return nil
	}
	if inLen < 3 {
		return nil // liblzf's main loop would not run; not worth storing
	}
	// the table holds positions; 0 is "none", which is right: liblzf
	// never refers back to the first byte (ref > in_data).
	tab := lzfTables.Get().(*lzfTable)
	defer lzfTables.Put(tab)
	if uint64(tab.base)+uint64(inLen)+1 >= 1<<32 {
		clear(tab.slots[:])
		tab.base = 0
	}
	base := tab.base
	tab.base += uint32(inLen) + 1
	htab := &tab.slots
	get := func(slot uint32) int {
		if v := htab[slot]; v > base {
			return int(v - base - 1)
		}
		return 0
	}
	put := func(slot uint32, ip int) { htab[slot] = base + 1 + uint32(ip) }
	out := make([]byte, outLen)
	ip, op, lit := 0, 1, 0 // op: start a literal run
	// literal copies in[ip] into the open literal run, closing the run
	// when it reaches its longest.
	literal := func() {
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	hval := uint32(in[0])<<8 | uint32(in[1])
	for ip < inLen-2 {
		hval = hval<<8 | uint32(in[ip+2])
		slot := lzfIdx(hval)
		ref := get(slot)
		put(slot, ip)
		off := ip - ref - 1
		if ref < ip && off < lzfMaxOff && ref > 0 &&
			in[ref] == in[ip] && in[ref+1] == in[ip+1] && in[ref+2] == in[ip+2] {
			l := 2
			maxl := inLen - ip - l
			if maxl > lzfMaxRef {
				maxl = lzfMaxRef
			}
			// room for the back reference first (liblzf's exact test,
			// op - !lit + 3 + 1 >= out_end): a run of 32 literals that
			// filled the output leaves op past its end
			empty := 0
			if lit == 0 {
				empty = 1
			}
			if op-empty+3+1 >= outLen {
				return nil
			}
			out[op-lit-1] = byte(lit - 1) // stop run
			op -= empty                   // undo an empty run
			// liblzf compares 16 bytes unrolled when more than 16 may
			// match (which can run past maxlen by two), then one by one.
			more := true
			if maxl > 16 {
				for i := 0; i < 16; i++ {
					l++
					if in[ref+l] != in[ip+l] {
						more = false
						break
					}
				}
			}
			if more {
				for {
					l++
					if l >= maxl || in[ref+l] != in[ip+l] {
						break
					}
				}
			}
			l -= 2 // now #octets - 1
			ip++
			if l < 7 {
				out[op] = byte(off>>8 + l<<5)
				op++
			} else {
				out[op] = byte(off>>8 + 7<<5)
				out[op+1] = byte(l - 7)
				op += 2
			}
			out[op] = byte(off)
			op += 2 // and start a run
			lit = 0
			ip += l + 1
			if ip >= inLen-2 {
				break
			}
			ip -= 2
			hval = uint32(in[ip])<<8 | uint32(in[ip+1])
			hval = hval<<8 | uint32(in[ip+2])
			put(lzfIdx(hval), ip)
			ip++
			hval = hval<<8 | uint32(in[ip+2])
			put(lzfIdx(hval), ip)
			ip++
			continue
		}
		if op >= outLen {
			return nil
		}
		literal()
	}
	if op+3 > outLen {
		return nil
	}
	for ip < inLen {
		literal()
	}
	out[op-lit-1] = byte(lit - 1)
	if lit == 0 {
		op--
	}
	return out[:op]
}

var errLZF = errors.New("rdb: corrupt LZF data")

// lzfDecompress expands in into exactly n bytes.
func lzfDecompress(in []byte, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	for ip := 0; ip < len(in); {
		ctrl := int(in[ip])
		ip++
		if ctrl < 1<<5 { // literal run
			ctrl++
			if ip+ctrl > len(in) || len(out)+ctrl > n {
				return nil, errLZF
			}
			out = append(out, in[ip:ip+ctrl]...)
			ip += ctrl
			continue
		}
		l := ctrl >> 5
		if l == 7 {
			if ip >= len(in) {
				return nil, errLZF
			}
			l += int(in[ip])
			ip++
		}
		if ip >= len(in) {
			return nil, errLZF
		}
		ref := len(out) - (ctrl&0x1f)<<8 - int(in[ip]) - 1
		ip++
		l += 2
		if ref < 0 || len(out)+l > n {
			return nil, errLZF
		}
		for i := 0; i < l; i++ { // may overlap: byte by byte
			out = append(out, out[ref+i])
		}
	}
	if len(out) != n {
		return nil, errLZF
	}
	return out, nil
}
