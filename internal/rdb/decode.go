package rdb

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
)

// Errors of Decode: ErrChecksum is RESTORE's "DUMP payload version or
// checksum are wrong", ErrBadFormat its "Bad data format".
var (
	ErrChecksum  = errors.New("rdb: payload version or checksum wrong")
	ErrBadFormat = errors.New("rdb: bad data format")
)

// Verify checks the footer: a version of at most Version and the CRC64.
func Verify(p []byte) error {
	if len(p) < 10 {
		return ErrChecksum
	}
	f := p[len(p)-10:]
	if binary.LittleEndian.Uint16(f) > Version {
		return ErrChecksum
	}
	if CRC64(0, p[:len(p)-8]) != binary.LittleEndian.Uint64(f[2:]) {
		return ErrChecksum
	}
	return nil
}

// Decode verifies p and decodes the value it holds. Like Redis, it reads
// the value from the whole payload: bytes after the value are ignored, and
// a value cut short reads on into the footer as Redis's does.
func Decode(p []byte) (*Value, error) {
	if err := Verify(p); err != nil {
		return nil, err
	}
	return decode(p)
}

// DecodeUnchecked is Decode without the CRC64 check (the version is still
// checked): RESTORE under DEBUG SET-SKIP-CHECKSUM-VALIDATION 1, as Redis's
// test hook for payloads corrupted on purpose. The decoding checks every
// length and count as Decode's does.
func DecodeUnchecked(p []byte) (*Value, error) {
	if len(p) < 10 || binary.LittleEndian.Uint16(p[len(p)-10:]) > Version {
		return nil, ErrChecksum
	}
	return decode(p)
}

func decode(p []byte) (*Value, error) {
	r := &reader{b: p}
	v, err := r.object()
	if err != nil {
		var fe *formatError
		if errors.As(err, &fe) {
			return nil, badf(integrityMsg(p[0]) + " (" + fe.msg + ")")
		}
		return nil, badf(integrityMsg(p[0]))
	}
	return v, nil
}

type reader struct {
	b []byte
	p int
}

var errBad = ErrBadFormat

// formatError is ErrBadFormat with what was wrong, in the words Redis logs
// when it refuses a payload (its corrupt-dump tests look for them in the
// log): errors.Is(err, ErrBadFormat) holds.
type formatError struct{ msg string }

func (e *formatError) Error() string        { return e.msg }
func (e *formatError) Is(target error) bool { return target == ErrBadFormat }

func badf(msg string) error { return &formatError{msg} }

// ErrEmpty: a collection without elements, which RESTORE refuses (as Bad
// data format) and a file's load skips, as Redis 7.0 does (older Redis
// versions could write such keys).
var ErrEmpty error = &formatError{"empty key"}

// integrityMsg is Redis's log line for a refused value of RDB type t.
func integrityMsg(t byte) string {
	switch t {
	case TypeSetIntset:
		return "Intset integrity check failed."
	case TypeListZiplist:
		return "List ziplist integrity check failed."
	case TypeListQuicklist:
		return "Ziplist integrity check failed."
	case TypeListQuicklist2:
		return "Listpack integrity check failed."
	case TypeSetListpack:
		return "Set listpack integrity check failed."
	case TypeHashZipmap:
		return "Zipmap integrity check failed."
	case TypeHashZiplist:
		return "Hash ziplist integrity check failed."
	case TypeHashListpack:
		return "Hash listpack integrity check failed."
	case TypeZSetZiplist:
		return "Zset ziplist integrity check failed."
	case TypeZSetListpack:
		return "Zset listpack integrity check failed."
	case TypeStreamListpack, TypeStreamListpack2, TypeStreamListpack3:
		return "Stream listpack integrity check failed."
	}
	return "Value integrity check failed."
}

func (r *reader) left() int { return len(r.b) - r.p }

func (r *reader) byte() (byte, error) {
	if r.p >= len(r.b) {
		return 0, errBad
	}
	c := r.b[r.p]
	r.p++
	return c, nil
}

func (r *reader) bytes(n uint64) ([]byte, error) {
	if n > uint64(r.left()) {
		return nil, errBad
	}
	s := r.b[r.p : r.p+int(n)]
	r.p += int(n)
	return s, nil
}

// length reads an RDB length; enc reports a special string encoding
// (11xxxxxx) whose kind is returned as the value.
func (r *reader) length() (n uint64, enc bool, err error) {
	c, err := r.byte()
	if err != nil {
		return 0, false, err
	}
	switch c >> 6 {
	case 0:
		return uint64(c & 0x3F), false, nil
	case 1:
		d, err := r.byte()
		return uint64(c&0x3F)<<8 | uint64(d), false, err
	case 2:
		switch c {
		case 0x80:
			b, err := r.bytes(4)
			if err != nil {
				return 0, false, err
			}
			return uint64(binary.BigEndian.Uint32(b)), false, nil
		case 0x81:
			b, err := r.bytes(8)
			if err != nil {
				return 0, false, err
			}
			return binary.BigEndian.Uint64(b), false, nil
		}
		return 0, false, errBad
	}
	return uint64(c & 0x3F), true, nil
}

// count reads a length of a collection of at least min bytes per element,
// refusing one that the bytes left cannot hold (no allocation from a
// forged count) and an empty one (Redis refuses empty keys).
func (r *reader) count(min int) (int, error) {
	n, enc, err := r.length()
	if err != nil || enc {
		return 0, errBad
	}
	if n == 0 {
		return 0, ErrEmpty
	}
	if n > uint64(r.left()/min) {
		return 0, errBad
	}
	return int(n), nil
}

// maxExpand bounds what an LZF blob of n bytes can expand to (a 3-byte
// back reference yields at most 264 bytes).
func maxExpand(n uint64) uint64 { return n*88 + 64 }

// str reads a string in any of its encodings (the returned bytes may
// alias the payload).
func (r *reader) str() ([]byte, error) {
	n, enc, err := r.length()
	if err != nil {
		return nil, err
	}
	if !enc {
		return r.bytes(n)
	}
	switch n {
	case encInt8:
		c, err := r.byte()
		return strconv.AppendInt(nil, int64(int8(c)), 10), err
	case encInt16:
		b, err := r.bytes(2)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(b))), 10), nil
	case encInt32:
		b, err := r.bytes(4)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(b))), 10), nil
	case encLZF:
		clen, e1, err := r.length()
		if err != nil || e1 {
			return nil, errBad
		}
		ulen, e2, err := r.length()
		if err != nil || e2 || ulen == 0 || ulen > maxExpand(clen) {
			return nil, errBad
		}
		c, err := r.bytes(clen)
		if err != nil {
			return nil, err
		}
		out, err := lzfDecompress(c, int(ulen))
		if err != nil {
			return nil, errBad
		}
		return out, nil
	}
	return nil, errBad
}

// binaryDouble reads 8 bytes little endian.
func (r *reader) binaryDouble() (float64, error) {
	b, err := r.bytes(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
}

// textDouble reads an old-style (type 3) score: a length byte, with 253,
// 254 and 255 for nan, +inf and -inf, then that many characters.
func (r *reader) textDouble() (float64, error) {
	c, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch c {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	b, err := r.bytes(uint64(c))
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, errBad
	}
	return f, nil
}

func (r *reader) object() (*Value, error) {
	t, err := r.byte()
	if err != nil {
		return nil, err
	}
	return r.value(t)
}

// value reads a value of type t (the byte before it).
func (r *reader) value(t byte) (*Value, error) {
	switch t {
	case TypeString:
		s, err := r.str()
		if err != nil {
			return nil, err
		}
		return &Value{Kind: KindString, Str: s}, nil
	case TypeList, TypeSet:
		n, err := r.count(1)
		if err != nil {
			return nil, err
		}
		v := &Value{Kind: KindList, Items: make([][]byte, 0, n)}
		if t == TypeSet {
			v.Kind = KindSet
		}
		for i := 0; i < n; i++ {
			s, err := r.str()
			if err != nil {
				return nil, err
			}
			v.Items = append(v.Items, s)
		}
		return v, checkUnique(v, "")
	case TypeHash:
		n, err := r.count(2)
		if err != nil {
			return nil, err
		}
		v := &Value{Kind: KindHash, Items: make([][]byte, 0, 2*n)}
		for i := 0; i < 2*n; i++ {
			s, err := r.str()
			if err != nil {
				return nil, err
			}
			v.Items = append(v.Items, s)
		}
		return v, checkUnique(v, "")
	case TypeZSet, TypeZSet2:
		n, err := r.count(2)
		if err != nil {
			return nil, err
		}
		v := &Value{Kind: KindZSet, Items: make([][]byte, 0, n), Scores: make([]float64, 0, n)}
		for i := 0; i < n; i++ {
			m, err := r.str()
			if err != nil {
				return nil, err
			}
			var s float64
			if t == TypeZSet2 {
				s, err = r.binaryDouble()
			} else {
				s, err = r.textDouble()
			}
			if err != nil {
				return nil, err
			}
			if math.IsNaN(s) {
				return nil, errBad
			}
			v.Items = append(v.Items, m)
			v.Scores = append(v.Scores, s)
		}
		return v, checkUnique(v, "")
	case TypeSetIntset:
		blob, err := r.str()
		if err != nil {
			return nil, err
		}
		items, err := intsetItems(blob)
		if err != nil {
			return nil, err
		}
		return &Value{Kind: KindSet, Items: items}, nil
	case TypeListZiplist, TypeListQuicklist, TypeListQuicklist2:
		return r.list(t)
	case TypeSetListpack, TypeHashListpack, TypeZSetListpack, TypeHashZiplist, TypeZSetZiplist:
		blob, err := r.str()
		if err != nil {
			return nil, err
		}
		var items [][]byte
		if t == TypeHashZiplist || t == TypeZSetZiplist {
			items, err = ziplistItems(blob)
		} else {
			items, err = listpackItems(blob)
		}
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return nil, ErrEmpty
		}
		switch t {
		case TypeSetListpack:
			v := &Value{Kind: KindSet, Items: items}
			return v, checkUnique(v, "listpack ")
		case TypeHashListpack, TypeHashZiplist:
			if len(items)%2 != 0 {
				return nil, errBad
			}
			v := &Value{Kind: KindHash, Items: items}
			return v, checkUnique(v, "listpack ")
		}
		if len(items)%2 != 0 {
			return nil, errBad
		}
		v := &Value{Kind: KindZSet}
		for i := 0; i < len(items); i += 2 {
			f, err := strconv.ParseFloat(string(items[i+1]), 64)
			if err != nil && !isInfText(items[i+1]) || math.IsNaN(f) {
				return nil, errBad
			}
			v.Items = append(v.Items, items[i])
			v.Scores = append(v.Scores, f)
		}
		return v, checkUnique(v, "listpack ")
	case TypeStreamListpack, TypeStreamListpack2, TypeStreamListpack3:
		return r.stream(t)
	case TypeHashZipmap:
		blob, err := r.str()
		if err != nil {
			return nil, err
		}
		items, err := zipmapItems(blob)
		if err != nil || len(items) == 0 {
			return nil, errBad
		}
		v := &Value{Kind: KindHash, Items: items}
		return v, checkUnique(v, "zipmap ")
	}
	return nil, errBad
}

// zipmapItems reads a zipmap (the hash encoding of Redis before 2.6): a
// count byte, then per field its length, the field, the value's length, a
// byte of free space after the value, the value and that free space, up to
// 0xFF. A length below 254 is one byte; 254 starts a 4-byte one.
func zipmapItems(b []byte) ([][]byte, error) {
	if len(b) < 2 {
		return nil, errBad
	}
	p := 1
	length := func() (int, bool) {
		if p >= len(b) || b[p] == 255 {
			return 0, false
		}
		if b[p] < 254 {
			p++
			return int(b[p-1]), true
		}
		if p+5 > len(b) {
			return 0, false
		}
		n := binary.LittleEndian.Uint32(b[p+1:])
		p += 5
		return int(n), uint64(n) <= uint64(len(b))
	}
	var items [][]byte
	for p < len(b) && b[p] != 255 {
		klen, ok := length()
		if !ok || p+klen > len(b) {
			return nil, errBad
		}
		key := b[p : p+klen]
		p += klen
		vlen, ok := length()
		if !ok || p >= len(b) {
			return nil, errBad
		}
		free := int(b[p])
		p++
		if p+vlen+free > len(b) {
			return nil, errBad
		}
		items = append(items, key, b[p:p+vlen])
		p += vlen + free
	}
	if p != len(b)-1 {
		return nil, errBad // no end marker, or bytes after it
	}
	return items, nil
}

// isInfText reports a score text that ParseFloat refused only for range
// ("1e999" is +inf to strtod as well).
func isInfText(b []byte) bool {
	f, err := strconv.ParseFloat(string(b), 64)
	var ne *strconv.NumError
	return errors.As(err, &ne) && ne.Err == strconv.ErrRange && math.IsInf(f, 0)
}

func (r *reader) list(t byte) (*Value, error) {
	v := &Value{Kind: KindList}
	if t == TypeListZiplist {
		blob, err := r.str()
		if err != nil {
			return nil, err
		}
		if v.Items, err = ziplistItems(blob); err != nil {
			return nil, err
		}
		if len(v.Items) == 0 {
			return nil, ErrEmpty
		}
		return v, nil
	}
	nodes, err := r.count(2)
	if err != nil {
		return nil, err
	}
	for i := 0; i < nodes; i++ {
		container := uint64(2)
		if t == TypeListQuicklist2 {
			c, enc, err := r.length()
			if err != nil || enc || (c != 1 && c != 2) {
				return nil, errBad
			}
			container = c
		}
		blob, err := r.str()
		if err != nil {
			return nil, err
		}
		if container == 1 { // a plain node: one element (longer than any packed node holds)
			if len(blob) == 0 {
				return nil, badf("quicklist encoded_len is 0")
			}
			v.Items = append(v.Items, blob)
			v.Nodes = append(v.Nodes, 1)
			continue
		}
		var items [][]byte
		if t == TypeListQuicklist {
			items, err = ziplistItems(blob)
		} else {
			items, err = listpackItems(blob)
		}
		if err != nil {
			return nil, err
		}
		if len(items) == 0 { // Redis skips an empty node silently
			continue
		}
		v.Items = append(v.Items, items...)
		v.Nodes = append(v.Nodes, len(items))
	}
	if len(v.Items) == 0 {
		return nil, ErrEmpty
	}
	return v, nil
}

// checkUnique refuses a set with a repeated member, a hash with a
// repeated field or a sorted set with a repeated member; enc names the
// packed encoding the value came in, for the error ("listpack with dup
// elements", as Redis logs it).
func checkUnique(v *Value, enc string) error {
	step := 1
	if v.Kind == KindHash {
		step = 2
	}
	if v.Kind == KindList {
		return nil
	}
	seen := make(map[string]struct{}, len(v.Items)/step)
	for i := 0; i < len(v.Items); i += step {
		k := string(v.Items[i])
		if _, dup := seen[k]; dup {
			return badf(enc + "with dup elements")
		}
		seen[k] = struct{}{}
	}
	return nil
}

// intsetItems reads an intset blob: its values as decimal strings.
func intsetItems(b []byte) ([][]byte, error) {
	if len(b) < 8 {
		return nil, errBad
	}
	w := binary.LittleEndian.Uint32(b)
	n := binary.LittleEndian.Uint32(b[4:])
	if n == 0 && (w == 2 || w == 4 || w == 8) && len(b) == 8 {
		return nil, ErrEmpty
	}
	if w != 2 && w != 4 && w != 8 || n == 0 || uint64(len(b)-8) != uint64(n)*uint64(w) {
		return nil, errBad
	}
	items := make([][]byte, 0, n)
	var prev int64
	for i := 0; i < int(n); i++ {
		var v int64
		p := b[8+i*int(w):]
		switch w {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(p)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(p)))
		default:
			v = int64(binary.LittleEndian.Uint64(p))
		}
		if i > 0 && v <= prev {
			return nil, errBad
		}
		prev = v
		items = append(items, strconv.AppendInt(nil, v, 10))
	}
	return items, nil
}

// listpackItems reads every entry of a listpack, checking its header,
// each entry's back length and the terminator.
func listpackItems(b []byte) ([][]byte, error) {
	var items [][]byte
	if len(b) >= 7 {
		if want := int(binary.LittleEndian.Uint16(b[4:])); want != 65535 && want <= len(b) {
			items = make([][]byte, 0, want)
		}
	}
	// integers are formatted into one buffer (each item capacity-limited)
	var nums []byte
	err := listpackEach(b, func(e lpElem) {
		if !e.isInt {
			items = append(items, e.s)
			return
		}
		if cap(nums)-len(nums) < 20 {
			nums = make([]byte, 0, 512)
		}
		i := len(nums)
		nums = strconv.AppendInt(nums, e.v, 10)
		items = append(items, nums[i:len(nums):len(nums)])
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}

// lpElem is a listpack element: an integer (isInt, v) or a string s
// (aliasing the listpack); c is its encoding byte.
type lpElem struct {
	s     []byte
	v     int64
	isInt bool
	c     byte
}

// listpackEach calls fn with every element of a listpack, checking its
// header, each element's back length, the count and the terminator.
func listpackEach(b []byte, fn func(e lpElem)) error {
	if len(b) < 7 || int(binary.LittleEndian.Uint32(b)) != len(b) || b[len(b)-1] != 0xFF {
		return errBad
	}
	want := int(binary.LittleEndian.Uint16(b[4:]))
	n := 0
	p, end := 6, len(b)-1
	for p < end {
		start := p
		c := b[p]
		e := lpElem{c: c}
		need := func(n int) bool { return n >= 0 && p+n <= end }
		switch {
		case c&0x80 == 0:
			e.v, e.isInt = int64(c), true
			p++
		case c&0xC0 == 0x80:
			n := int(c & 0x3F)
			if !need(1 + n) {
				return errBad
			}
			e.s, p = b[p+1:p+1+n], p+1+n
		case c&0xE0 == 0xC0:
			if !need(2) {
				return errBad
			}
			u := int64(c&0x1F)<<8 | int64(b[p+1])
			if u >= 1<<12 {
				u -= 1 << 13
			}
			e.v, e.isInt, p = u, true, p+2
		case c&0xF0 == 0xE0:
			if !need(2) {
				return errBad
			}
			n := int(c&0x0F)<<8 | int(b[p+1])
			if !need(2 + n) {
				return errBad
			}
			e.s, p = b[p+2:p+2+n], p+2+n
		case c == 0xF0:
			if !need(5) {
				return errBad
			}
			n := binary.LittleEndian.Uint32(b[p+1:])
			if uint64(n) > uint64(end-p-5) {
				return errBad
			}
			e.s, p = b[p+5:p+5+int(n)], p+5+int(n)
		case c >= 0xF1 && c <= 0xF4:
			w := [...]int{2, 3, 4, 8}[c-0xF1]
			if !need(1 + w) {
				return errBad
			}
			var u uint64
			for i := w - 1; i >= 0; i-- {
				u = u<<8 | uint64(b[p+1+i])
			}
			v := int64(u << (64 - 8*w) >> 0)
			v >>= 64 - 8*w // sign-extend
			e.v, e.isInt, p = v, true, p+1+w
		default:
			return errBad
		}
		var tmp [5]byte
		bl := appendBacklen(tmp[:0], p-start)
		if p+len(bl) > end || string(bl) != string(b[p:p+len(bl)]) {
			return errBad
		}
		p += len(bl)
		n++
		fn(e)
	}
	if want != 65535 && want != n {
		return errBad
	}
	return nil
}

// ziplistItems reads every entry of a ziplist (RDB versions before 10):
//
//	zlbytes u32 | zltail u32 | zllen u16 | entry* | 0xFF
//	entry: prevlen (1 byte, or 0xFE and u32) | encoding | data
func ziplistItems(b []byte) ([][]byte, error) {
	if len(b) < 11 || int(binary.LittleEndian.Uint32(b)) != len(b) || b[len(b)-1] != 0xFF {
		return nil, errBad
	}
	want := int(binary.LittleEndian.Uint16(b[8:]))
	var items [][]byte
	p, end := 10, len(b)-1
	prev, last := 0, 10
	for p < end {
		start := p
		last = start
		// previous entry length
		if b[p] < 254 {
			if int(b[p]) != prev {
				return nil, errBad
			}
			p++
		} else {
			if b[p] != 254 || p+5 > end || int(binary.LittleEndian.Uint32(b[p+1:])) != prev {
				return nil, errBad
			}
			p += 5
		}
		if p >= end {
			return nil, errBad
		}
		c := b[p]
		var s []byte
		need := func(n int) bool { return n >= 0 && p+n <= end }
		switch c >> 6 {
		case 0:
			n := int(c & 0x3F)
			if !need(1 + n) {
				return nil, errBad
			}
			s, p = b[p+1:p+1+n], p+1+n
		case 1:
			if !need(2) {
				return nil, errBad
			}
			n := int(c&0x3F)<<8 | int(b[p+1])
			if !need(2 + n) {
				return nil, errBad
			}
			s, p = b[p+2:p+2+n], p+2+n
		case 2:
			if c != 0x80 || !need(5) {
				return nil, errBad
			}
			n := binary.BigEndian.Uint32(b[p+1:])
			if uint64(n) > uint64(end-p-5) {
				return nil, errBad
			}
			s, p = b[p+5:p+5+int(n)], p+5+int(n)
		default:
			var v int64
			switch {
			case c == 0xC0:
				if !need(3) {
					return nil, errBad
				}
				v, p = int64(int16(binary.LittleEndian.Uint16(b[p+1:]))), p+3
			case c == 0xD0:
				if !need(5) {
					return nil, errBad
				}
				v, p = int64(int32(binary.LittleEndian.Uint32(b[p+1:]))), p+5
			case c == 0xE0:
				if !need(9) {
					return nil, errBad
				}
				v, p = int64(binary.LittleEndian.Uint64(b[p+1:])), p+9
			case c == 0xF0:
				if !need(4) {
					return nil, errBad
				}
				u := int32(uint32(b[p+1])<<8 | uint32(b[p+2])<<16 | uint32(b[p+3])<<24)
				v, p = int64(u>>8), p+4
			case c == 0xFE:
				if !need(2) {
					return nil, errBad
				}
				v, p = int64(int8(b[p+1])), p+2
			case c >= 0xF1 && c <= 0xFD:
				v, p = int64(c&0x0F)-1, p+1
			default:
				return nil, errBad
			}
			s = strconv.AppendInt(nil, v, 10)
		}
		prev = p - start
		items = append(items, s)
	}
	if want != 65535 && want != len(items) {
		return nil, errBad
	}
	if int(binary.LittleEndian.Uint32(b[4:])) != last {
		return nil, badf("ziplist tail offset is not its last entry's")
	}
	return items, nil
}
