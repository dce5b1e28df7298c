package cache

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"

	"fastcache/pubsub"
	"fastcache/shard"
)

// SetOptions are SET's flags. ExpireAt is absolute unix ms (0 = none).
type SetOptions struct {
	NX, XX, KeepTTL, Get bool
	ExpireAt             int64
}

// SetMaxStringLen sets the largest string APPEND and SETRANGE may build, as
// Redis's proto-max-bulk-len limits them (n <= 0: MaxStringLen).
func (c *Cache) SetMaxStringLen(n int64) { c.maxString.Store(n) }

// MaxStringLen is the largest string APPEND and SETRANGE may build.
func (c *Cache) MaxStringLen() int64 {
	if n := c.maxString.Load(); n > 0 {
		return n
	}
	return MaxStringLen
}

// fitsString reports whether a string of size bytes with more bytes written
// at its end stays within the limit, without overflowing: offset and more
// come from the client (SETRANGE's offset may be LLONG_MAX).
func (k Keyspace) fitsString(size, more int64) bool {
	return size >= 0 && more >= 0 && size <= k.c.MaxStringLen()-more
}

// Get appends key's value to dst. ok is false when the key does not exist.
func (k Keyspace) Get(key, dst []byte) ([]byte, bool) {
	s, rec := k.read(key)
	e, ok := s.Get(key, k.now(), rec, true)
	if ok && e.Kind != shard.KindString {
		k.done(s)
		k.wrongType()
		return dst, false
	}
	if ok {
		dst = append(dst, e.Value...)
		s.Hits.Add(1)
	} else {
		s.Misses.Add(1)
		k.notify(pubsub.KeyMiss, "keymiss", key)
	}
	k.done(s)
	return dst, ok
}

// Set implements SET with its options. With o.Get, old/hadOld are the
// previous value (appended to dst). done reports whether the value was stored.
func (k Keyspace) Set(key, value []byte, o SetOptions, dst []byte) (old []byte, hadOld, done bool) {
	s, rec := k.write(key)
	defer k.done(s)
	now := k.now()
	if !o.NX && !o.XX && !o.Get && !o.KeepTTL && (o.ExpireAt == 0 || o.ExpireAt > now) && !k.c.wants(pubsub.New) {
		// A plain SET does not depend on the old value: one table lookup.
		s.Overwrite(key, value, o.ExpireAt, now, rec)
		k.notify(pubsub.String, "set", key)
		if o.ExpireAt != 0 {
			k.notify(pubsub.Generic, "expire", key)
		}
		return old, hadOld, true
	}
	e, slot, exists := s.Find(key, now, rec, false)
	if !exists && o.Get {
		k.notify(pubsub.KeyMiss, "keymiss", key)
	}
	if exists && e.Kind != shard.KindString && o.Get { // SET ... GET needs a string; SET alone replaces any type
		k.wrongType()
		return old, hadOld, false
	}
	if exists && o.Get {
		old, hadOld = append(dst, e.Value...), true
	}
	if (o.NX && exists) || (o.XX && !exists) {
		return old, hadOld, false
	}
	exp := o.ExpireAt
	if o.KeepTTL && exists {
		exp = e.ExpireAt
	}
	if exp != 0 && exp <= now {
		// SET with an expiry already in the past: Redis deletes the key
		// (its events: the key is set, then expires at once).
		s.DeleteAt(slot, key, rec)
		if !exists {
			k.notify(pubsub.New, "new", key)
		}
		k.notify(pubsub.String, "set", key)
		k.notify(pubsub.Generic, "expire", key)
		k.notify(pubsub.Expired, "expired", key)
		return old, hadOld, true
	}
	if !exists {
		k.notify(pubsub.New, "new", key)
	}
	s.SetAt(slot, key, value, exp, rec)
	k.notify(pubsub.String, "set", key)
	if o.ExpireAt != 0 {
		k.notify(pubsub.Generic, "expire", key)
	}
	return old, hadOld, true
}

// GetDel returns the value of key and deletes it.
func (k Keyspace) GetDel(key, dst []byte) ([]byte, bool) {
	s, rec := k.write(key)
	defer k.done(s)
	e, slot, ok := s.Find(key, k.now(), rec, false)
	if ok && e.Kind != shard.KindString {
		k.wrongType()
		return dst, false
	}
	if !ok {
		s.Misses.Add(1)
		k.notify(pubsub.KeyMiss, "keymiss", key)
		return dst, false
	}
	s.Hits.Add(1)
	dst = append(dst, e.Value...)
	s.DeleteAt(slot, key, rec)
	k.notify(pubsub.Generic, "del", key)
	return dst, true
}

// ExpireChange is GETEX's option: leave the TTL, remove it, or set it.
type ExpireChange struct {
	Persist bool
	Set     bool
	At      int64 // absolute unix ms when Set
}

// GetEx returns the value of key and changes its expiry.
func (k Keyspace) GetEx(key, dst []byte, ch ExpireChange) ([]byte, bool) {
	s, rec := k.write(key)
	defer k.done(s)
	now := k.now()
	e, ok := s.Get(key, now, rec, true)
	if ok && e.Kind != shard.KindString {
		k.wrongType()
		return dst, false
	}
	if !ok {
		s.Misses.Add(1)
		k.notify(pubsub.KeyMiss, "keymiss", key)
		return dst, false
	}
	s.Hits.Add(1)
	dst = append(dst, e.Value...)
	switch {
	case ch.Persist && e.ExpireAt != 0:
		s.SetExpire(key, 0, now, rec)
		k.notify(pubsub.Generic, "persist", key)
	case ch.Set:
		s.SetExpire(key, ch.At, now, rec)
		k.notifyExpire(key, ch.At, now)
	}
	return dst, true
}

// MGet returns the values of keys (nil for a missing key).
func (k Keyspace) MGet(keys [][]byte) [][]byte {
	out := make([][]byte, len(keys))
	now := k.now()
	if len(keys) > 1 { // one moment for all keys, as Redis's MGET: every shard locked
		m := k.lockMany(keys, 1, false)
		defer m.unlock()
		for i, key := range keys {
			s := k.shardOf(key)
			if e, ok := s.Get(key, now, m.rec(key), true); ok && e.Kind == shard.KindString {
				out[i] = append(make([]byte, 0, len(e.Value)), e.Value...)
				s.Hits.Add(1)
			} else {
				s.Misses.Add(1)
				if !ok {
					k.notify(pubsub.KeyMiss, "keymiss", key)
				}
			}
		}
		return out
	}
	for i, key := range keys {
		s, rec := k.read(key)
		if e, ok := s.Get(key, now, rec, true); ok && e.Kind == shard.KindString {
			out[i] = append(make([]byte, 0, len(e.Value)), e.Value...)
			s.Hits.Add(1)
		} else {
			s.Misses.Add(1)
			if !ok {
				k.notify(pubsub.KeyMiss, "keymiss", key)
			}
		}
		k.done(s)
	}
	return out
}

// MSet sets key/value pairs (kv = k1 v1 k2 v2 ...) atomically.
func (k Keyspace) MSet(kv [][]byte) {
	m := k.lockMany(kv, 2, true)
	defer m.unlock()
	for i := 0; i+1 < len(kv); i += 2 {
		s := k.shardOf(kv[i])
		k.notifyNew(s, kv[i], m.rec(kv[i]))
		s.Set(kv[i], kv[i+1], 0, m.rec(kv[i]))
		k.notify(pubsub.String, "set", kv[i])
	}
}

// MSetNX sets the pairs only if none of the keys exists.
func (k Keyspace) MSetNX(kv [][]byte) bool {
	m := k.lockMany(kv, 2, true)
	defer m.unlock()
	now := k.now()
	for i := 0; i+1 < len(kv); i += 2 {
		if _, ok := k.shardOf(kv[i]).Peek(kv[i], now); ok {
			return false
		}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k.notifyNew(k.shardOf(kv[i]), kv[i], m.rec(kv[i]))
		k.shardOf(kv[i]).Set(kv[i], kv[i+1], 0, m.rec(kv[i]))
		k.notify(pubsub.String, "set", kv[i])
	}
	return true
}

// IncrBy adds delta to the integer stored at key (0 if missing), keeping its TTL.
func (k Keyspace) IncrBy(key []byte, delta int64) (int64, error) {
	n, _, err := k.IncrByAppend(key, delta, nil)
	return n, err
}

// IncrByAppend is IncrBy that also appends the new value's decimal digits
// to dst (unless dst is nil): INCR's reply then costs no second formatting
// of the number.
func (k Keyspace) IncrByAppend(key []byte, delta int64, dst []byte) (int64, []byte, error) {
	s, rec := k.write(key)
	defer k.done(s)
	e, slot, ok := s.Find(key, k.now(), rec, true)
	if ok && e.Kind != shard.KindString {
		return 0, dst, ErrWrongTypeOps
	}
	var cur int64
	if ok {
		v, good := ParseInt(e.Value)
		if !good {
			return 0, dst, ErrNotInteger
		}
		cur = v
	}
	if (delta < 0 && cur < 0 && delta < math.MinInt64-cur) || (delta > 0 && cur > 0 && delta > math.MaxInt64-cur) {
		return 0, dst, ErrOverflow
	}
	cur += delta
	if !ok {
		k.notify(pubsub.New, "new", key)
	}
	v := strconv.AppendInt(s.Scratch[:0], cur, 10)
	s.SetAt(slot, key, v, e.ExpireAt, rec)
	if dst != nil {
		dst = append(dst, v...)
	}
	k.notify(pubsub.String, "incrby", key)
	return cur, dst, nil
}

// IncrByFloat adds delta to the number stored at key (0 if missing) in long
// double arithmetic, as Redis does, keeping its TTL, and returns the new
// value as text: the form stored and logged (Redis too propagates the final
// value, as SET ... KEEPTTL), so a replay gives the same bytes.
func (k Keyspace) IncrByFloat(key []byte, delta LongDouble) ([]byte, error) {
	s, rec := k.write(key)
	defer k.done(s)
	e, slot, ok := s.Find(key, k.now(), rec, true)
	if ok && e.Kind != shard.KindString {
		return nil, ErrWrongTypeOps
	}
	var cur LongDouble
	if ok {
		v, good := ParseLongDouble(e.Value)
		if !good {
			return nil, ErrNotFloat
		}
		cur = v
	}
	sum, good := AddLongDouble(cur, delta)
	if !good {
		return nil, ErrNaN
	}
	out := AppendLongDouble(nil, sum)
	if !ok {
		k.notify(pubsub.New, "new", key)
	}
	s.SetEncodedAt(slot, key, out, e.ExpireAt, shard.EncStr, rec) // Redis stores the text as a string, never an int
	k.notify(pubsub.String, "incrbyfloat", key)
	return out, nil
}

// Append appends value to key's string and returns the new length. As in
// Redis, appending to an existing value (even nothing) leaves a raw string.
func (k Keyspace) Append(key, value []byte) (int, error) {
	s, rec := k.write(key)
	defer k.done(s)
	e, slot, ok := s.Find(key, k.now(), rec, true)
	if ok && e.Kind != shard.KindString {
		return 0, ErrWrongTypeOps
	}
	if !ok {
		k.notify(pubsub.New, "new", key)
		s.SetAt(slot, key, value, 0, rec)
		k.notify(pubsub.String, "append", key)
		return len(value), nil
	}
	if !k.fitsString(int64(len(e.Value)), int64(len(value))) {
		return 0, ErrTooLong
	}
	// O(len(value)) on a large string (Shard.WriteAt), as Redis's sds
	n := s.WriteAtSlot(slot, key, e, int64(len(e.Value)), value, shard.EncRaw, rec)
	k.notify(pubsub.String, "append", key)
	return n, nil
}

// StrLen is the length of key's value (0 if missing).
func (k Keyspace) StrLen(key []byte) int {
	s, rec := k.read(key)
	defer k.done(s)
	e, ok := s.Get(key, k.now(), rec, true)
	if ok && e.Kind != shard.KindString {
		k.wrongType()
		return 0
	}
	if !ok {
		k.notify(pubsub.KeyMiss, "keymiss", key)
		return 0
	}
	return len(e.Value)
}

// GetRange appends the substring [start, end] (Redis's inclusive, negative-
// from-the-end indexes) of key's value to dst.
func (k Keyspace) GetRange(key []byte, start, end int64, dst []byte) []byte {
	s, rec := k.read(key)
	defer k.done(s)
	e, ok := s.Get(key, k.now(), rec, true)
	if ok && e.Kind != shard.KindString {
		k.wrongType()
		return dst
	}
	if !ok {
		k.notify(pubsub.KeyMiss, "keymiss", key)
		return dst
	}
	n := int64(len(e.Value))
	if start < 0 && end < 0 && start > end {
		return dst
	}
	start, end = redisRange(start, end, n)
	if start > end || n == 0 {
		return dst
	}
	return append(dst, e.Value[start:end+1]...)
}

// SetRange overwrites key's value at offset, padding with zero bytes, and
// returns the new length. A value it writes is a raw string, as in Redis.
func (k Keyspace) SetRange(key []byte, offset int64, value []byte) (int, error) {
	if offset < 0 {
		return 0, ErrOffset
	}
	s, rec := k.write(key)
	defer k.done(s)
	e, slot, ok := s.Find(key, k.now(), rec, true)
	if ok && e.Kind != shard.KindString {
		return 0, ErrWrongTypeOps
	}
	if len(value) == 0 {
		if ok {
			return len(e.Value), nil
		}
		return 0, nil
	}
	if !k.fitsString(offset, int64(len(value))) {
		return 0, ErrTooLong
	}
	if !ok {
		nv := make([]byte, int(offset)+len(value))
		copy(nv[offset:], value)
		k.notify(pubsub.New, "new", key)
		s.SetEncodedAt(slot, key, nv, 0, shard.EncRaw, rec)
		k.notify(pubsub.String, "setrange", key)
		return len(nv), nil
	}
	n := s.WriteAtSlot(slot, key, e, offset, value, shard.EncRaw, rec)
	k.notify(pubsub.String, "setrange", key)
	return n, nil
}

// SetBit sets (on) or clears the bit at offset of key's value, growing it
// with zero bytes as needed, and returns the bit's previous value. Within
// the value the byte is changed in place; only that byte is logged.
func (k Keyspace) SetBit(key []byte, offset int64, on bool) int {
	s, rec := k.write(key)
	defer k.done(s)
	e, slot, ok := s.Find(key, k.now(), rec, true)
	if ok && e.Kind != shard.KindString {
		k.wrongType()
		return 0
	}
	idx, mask := offset>>3, byte(0x80)>>(offset&7)
	var prev int
	if ok && idx < int64(len(e.Value)) && e.Value[idx]&mask != 0 {
		prev = 1
	}
	switch {
	case ok && idx < int64(len(e.Value)):
		b := [1]byte{e.Value[idx]&^mask | b2mask(on, mask)}
		if b[0] != e.Value[idx] {
			s.PatchAt(slot, key, e.Value, idx, b[:], rec)
			k.notify(pubsub.String, "setbit", key)
		} else {
			s.MarkEncAt(slot, key, shard.EncRaw) // as Redis, which unshares the value first
		}
	case ok:
		b := [1]byte{b2mask(on, mask)}
		s.WriteAtSlot(slot, key, e, idx, b[:], shard.EncRaw, rec)
		k.notify(pubsub.String, "setbit", key)
	default:
		nv := make([]byte, idx+1)
		nv[idx] = b2mask(on, mask)
		k.notify(pubsub.New, "new", key)
		s.SetEncodedAt(slot, key, nv, 0, shard.EncRaw, rec)
		k.notify(pubsub.String, "setbit", key)
	}
	return prev
}

func b2mask(on bool, mask byte) byte {
	if on {
		return mask
	}
	return 0
}

// GetBit is the bit at offset of key's value (0 past its end or if missing).
func (k Keyspace) GetBit(key []byte, offset int64) int {
	s, rec := k.read(key)
	defer k.done(s)
	e, ok := s.Get(key, k.now(), rec, true)
	if ok && e.Kind != shard.KindString {
		k.wrongType()
		return 0
	}
	if !ok {
		k.notify(pubsub.KeyMiss, "keymiss", key)
	}
	if idx := offset >> 3; ok && idx < int64(len(e.Value)) && e.Value[idx]&(0x80>>(offset&7)) != 0 {
		return 1
	}
	return 0
}

// BitCount counts the set bits of key's value in [start, end] (Redis's
// inclusive, negative-from-the-end indexes, in bytes or, with bit, in bits);
// ranged is false for the whole value. A missing key counts 0.
func (k Keyspace) BitCount(key []byte, ranged bool, start, end int64, bit bool) int64 {
	s, rec := k.read(key)
	defer k.done(s)
	e, ok := s.Get(key, k.now(), rec, true)
	if ok && e.Kind != shard.KindString {
		k.wrongType()
		return 0
	}
	if !ok {
		k.notify(pubsub.KeyMiss, "keymiss", key)
		return 0
	}
	p := e.Value
	var firstMask, lastMask byte
	if !ranged {
		start, end = 0, int64(len(p))-1
	} else {
		total := int64(len(p))
		if bit {
			total <<= 3
		}
		start, end = redisRange(start, end, total)
		if bit && start <= end {
			// bits of the edge bytes outside the range are not counted
			firstMask = ^byte((1<<(8-(start&7)))-1) & 0xFF
			lastMask = byte((1 << (7 - (end & 7))) - 1)
			start >>= 3
			end >>= 3
		}
	}
	if start > end {
		return 0
	}
	n := popcount(p[start : end+1])
	n -= bits.OnesCount8(p[start]&firstMask) + bits.OnesCount8(p[end]&lastMask)
	return int64(n)
}

// skipWords returns the first index j' >= j, j' = j + 8k, with p[j':j'+8]
// not equal to the word skip, or the last such index before end.
func skipWords(p []byte, j, end int, skip uint64) int {
	for j+32 <= end {
		w := p[j : j+32 : j+32]
		a, b := binary.LittleEndian.Uint64(w), binary.LittleEndian.Uint64(w[8:])
		c, d := binary.LittleEndian.Uint64(w[16:]), binary.LittleEndian.Uint64(w[24:])
		if (skip == 0 && a|b|c|d != 0) || (skip != 0 && a&b&c&d != skip) {
			break
		}
		j += 32
	}
	for j+8 <= end && binary.LittleEndian.Uint64(p[j:]) == skip {
		j += 8
	}
	return j
}

// popcount counts the set bits of p, eight bytes at a time.
func popcount(p []byte) int {
	var a, b, c, d int
	for len(p) >= 32 {
		a += bits.OnesCount64(binary.LittleEndian.Uint64(p))
		b += bits.OnesCount64(binary.LittleEndian.Uint64(p[8:]))
		c += bits.OnesCount64(binary.LittleEndian.Uint64(p[16:]))
		d += bits.OnesCount64(binary.LittleEndian.Uint64(p[24:]))
		p = p[32:]
	}
	for len(p) >= 8 {
		a += bits.OnesCount64(binary.LittleEndian.Uint64(p))
		p = p[8:]
	}
	for _, x := range p {
		a += bits.OnesCount8(x)
	}
	return a + b + c + d
}

// BitPos is the position of the first bit equal to bit (0 or 1) in key's
// value, within [start, end] (Redis's inclusive, negative-from-the-end
// indexes, in bytes or, with bitUnit, in bits) when ranged, -1 if there is
// none. A missing key is all zeros. Looking for a 0 past the end of a value
// without an explicit end finds the first bit after it, as in Redis.
func (k Keyspace) BitPos(key []byte, bit int, ranged bool, start int64, end int64, endGiven, bitUnit bool) int64 {
	s, rec := k.read(key)
	defer k.done(s)
	e, ok := s.Get(key, k.now(), rec, true)
	if ok && e.Kind != shard.KindString {
		k.wrongType()
		return -1
	}
	if !ok {
		k.notify(pubsub.KeyMiss, "keymiss", key)
		if bit == 1 {
			return -1
		}
		return 0
	}
	p := e.Value
	total := int64(len(p))
	if bitUnit {
		total <<= 3
	}
	if !ranged {
		start, end = 0, total-1
	} else {
		if !endGiven {
			end = total - 1
		}
		start, end = redisRange(start, end, total)
	}
	if start > end {
		return -1
	}
	first, last := start, end // in bits
	if !bitUnit {
		first, last = start<<3, end<<3+7
	}
	skip := uint64(0) // a word without the bit looked for
	if bit == 0 {
		skip = ^uint64(0)
	}
	for i := first; i <= last; {
		if i&7 == 0 && i+63 <= last {
			if j := int64(skipWords(p, int(i>>3), int((last+1)>>3), skip)) << 3; j > i {
				i = j // whole words without the bit
				continue
			}
		}
		b := p[i>>3]
		if i&7 == 0 && i+7 <= last && (b == 0xFF && bit == 0 || b == 0 && bit == 1) {
			i += 8 // a whole byte without the bit
			continue
		}
		if int(b>>(7-i&7)&1) == bit {
			return i
		}
		i++
	}
	if bit == 0 && !endGiven {
		return last + 1 // the zeros that pad the value
	}
	return -1
}

// BitOp stores in dst the bitwise op ("and", "or", "xor" or "not" of one
// key) of the srcs' values, the shorter ones (and missing keys) padded with
// zero bytes, without a TTL, and returns its length; an empty result deletes
// dst.
func (k Keyspace) BitOp(op string, dst []byte, srcs [][]byte) int {
	keys := append([][]byte{dst}, srcs...)
	m := k.lockMany(keys, 1, true)
	defer m.unlock()
	now := k.now()
	vals := make([][]byte, len(srcs)) // alias the shards' memory until dst is written
	n := 0
	for i, src := range srcs {
		if e, ok := k.shardOf(src).Get(src, now, m.rec(src), true); ok {
			if e.Kind != shard.KindString {
				k.wrongType()
				return 0
			}
			vals[i] = e.Value
			n = max(n, len(e.Value))
		} else {
			k.notify(pubsub.KeyMiss, "keymiss", src)
		}
	}
	res := make([]byte, n)
	for j := range res {
		var b byte
		switch op {
		case "not":
			b = ^vals[0][j]
		case "and":
			b = 0xFF
			for _, v := range vals {
				if j >= len(v) {
					b = 0
					break
				}
				b &= v[j]
			}
		default: // or, xor
			for _, v := range vals {
				if j < len(v) {
					if op == "or" {
						b |= v[j]
					} else {
						b ^= v[j]
					}
				}
			}
		}
		res[j] = b
	}
	ds := k.shardOf(dst)
	if n == 0 {
		if ds.Delete(dst, m.rec(dst)) {
			k.notify(pubsub.Generic, "del", dst)
		}
		return 0
	}
	k.notifyNew(ds, dst, m.rec(dst))
	ds.SetEncoded(dst, res, 0, shard.EncRaw, m.rec(dst))
	k.notify(pubsub.String, "set", dst)
	return n
}

// redisRange turns Redis's inclusive [start, end] over total units, where
// negative indexes count from the end, into indexes clamped to
// [0, total-1] (start > end: an empty range).
func redisRange(start, end, total int64) (int64, int64) {
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	if end >= total {
		end = total - 1
	}
	return start, end
}

// ParseInt parses an integer exactly as Redis's string2ll does: no sign other
// than a leading '-', no leading zeros, no spaces, no overflow.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i++
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}
