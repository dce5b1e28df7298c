package rdb

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

func TestCRC64CheckValue(t *testing.T) {
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64 = %#x", got)
	}
}

func TestLZFRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	inputs := [][]byte{
		bytes.Repeat([]byte("a"), 21),
		bytes.Repeat([]byte("abcabcabd"), 1000),
		[]byte("hello hello hello hello hello world"),
	}
	for i := 0; i < 200; i++ {
		n := 3 + r.IntN(3000)
		b := make([]byte, n)
		alpha := 1 + r.IntN(255)
		for j := range b {
			b[j] = byte(r.IntN(alpha))
		}
		inputs = append(inputs, b)
	}
	for _, in := range inputs {
		c := lzfCompress(in, len(in)-4)
		if c == nil {
			continue
		}
		if len(c) > len(in)-4 {
			t.Fatalf("compressed %d > %d", len(c), len(in)-4)
		}
		out, err := lzfDecompress(c, len(in))
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("round trip of %d bytes: %v", len(in), err)
		}
	}
}

func TestStringEncodings(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []byte
	}{
		{"0", []byte{0xC0, 0}},
		{"-1", []byte{0xC0, 0xFF}},
		{"300", []byte{0xC1, 0x2C, 0x01}},
		{"70000", []byte{0xC2, 0x70, 0x11, 0x01, 0x00}},
		{"007", []byte{3, '0', '0', '7'}},
		{"-0", []byte{2, '-', '0'}},
		{"4294967296", append([]byte{10}, "4294967296"...)},
	} {
		if got := AppendString(nil, []byte(c.in)); !bytes.Equal(got, c.want) {
			t.Errorf("%q: % x, want % x", c.in, got, c.want)
		}
	}
}

func dumpOf(body []byte) []byte {
	w := Writer{b: append([]byte(nil), body...)}
	return w.Finish()
}

func TestDecodeRoundTrip(t *testing.T) {
	var w Writer
	w.Type(TypeString)
	w.String(bytes.Repeat([]byte("xyz"), 100))
	v, err := Decode(w.Finish())
	if err != nil || v.Kind != KindString || string(v.Str) != string(bytes.Repeat([]byte("xyz"), 100)) {
		t.Fatalf("%v %+v", err, v)
	}
	var lp Listpack
	for _, s := range []string{"a", "1", "-5000", "70000", "-9223372036854775808", string(bytes.Repeat([]byte("q"), 5000)), "12345678", "-100"} {
		lp.Append([]byte(s))
	}
	items, err := listpackItems(lp.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if string(items[3]) != "70000" || string(items[4]) != "-9223372036854775808" || string(items[2]) != "-5000" || string(items[7]) != "-100" || len(items[5]) != 5000 {
		t.Fatalf("items %q", items)
	}
	// bad version
	p := dumpOf([]byte{0, 1, 'x'})
	binary.LittleEndian.PutUint16(p[len(p)-10:], 11)
	if _, err := Decode(p); err != ErrChecksum {
		t.Fatalf("version 11: %v", err)
	}
}

// FuzzRestorePayload feeds arbitrary bodies, sealed with a valid footer
// so the decoder itself runs, and checks it never panics and that what it
// accepts is a well-formed value.
func FuzzRestorePayload(f *testing.F) {
	var w Writer
	w.Type(TypeString)
	w.String([]byte("hello world hello world hello world"))
	f.Add(w.b)
	var lp Listpack
	lp.Append([]byte("f"))
	lp.Append([]byte("1"))
	f.Add(append([]byte{TypeHashListpack}, AppendString(nil, lp.Bytes())...))
	f.Add(append([]byte{TypeZSetListpack}, AppendString(nil, lp.Bytes())...))
	f.Add(append([]byte{TypeListQuicklist2, 1, 2}, AppendString(nil, lp.Bytes())...))
	f.Add(append([]byte{TypeSetIntset}, AppendString(nil, Intset(2, 2, []byte{1, 0, 2, 0}))...))
	f.Add([]byte{TypeZSet2, 1, 1, 'a', 0, 0, 0, 0, 0, 0, 0xF0, 0x3F})
	f.Add([]byte{TypeHash, 1, 1, 'a', 1, 'b'})
	f.Add([]byte{TypeSet, 2, 1, 'a', 0xC0, 5})
	f.Add([]byte{TypeListQuicklist, 1, 13, 13, 0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0xF2, 0xFF})
	for _, t := range []byte{TypeStreamListpack, TypeStreamListpack2, TypeStreamListpack3} {
		f.Add(encodeStream(t, sampleStream()))
	}
	f.Add(encodeStream(TypeStreamListpack2, &Stream{LastID: StreamID{5, 0}}))
	f.Add([]byte{opFunction2, 3, 'a', 'b', 'c', opFunctionPreGA, 1, 'n', 3, 'L', 'U', 'A', 0, 1, 'x'})
	f.Fuzz(func(t *testing.T, body []byte) {
		if codes, err := DecodeFunctions(dumpOf(body)); err == nil { // a FUNCTION RESTORE payload
			for _, c := range codes {
				_ = c[:len(c)]
			}
		}
		v, err := Decode(dumpOf(body))
		if err != nil {
			return
		}
		switch v.Kind {
		case KindString:
		case KindList, KindSet:
			if len(v.Items) == 0 {
				t.Fatal("empty collection accepted")
			}
		case KindHash:
			if len(v.Items) == 0 || len(v.Items)%2 != 0 {
				t.Fatal("bad hash")
			}
		case KindZSet:
			if len(v.Items) == 0 || len(v.Items) != len(v.Scores) {
				t.Fatal("bad zset")
			}
		case KindStream:
			checkStreamValue(t, v.Stream)
		default:
			t.Fatalf("kind %d", v.Kind)
		}
	})
}

func TestDecodeMutations(t *testing.T) {
	// random mutations of valid payloads (the fuzz seeds run as unit tests
	// too; this adds a deterministic sweep)
	r := rand.New(rand.NewPCG(3, 4))
	var lp Listpack
	for i := 0; i < 50; i++ {
		lp.Append([]byte{byte('a' + i%26), byte(i)})
		lp.Append([]byte("123"))
	}
	seeds := [][]byte{
		append([]byte{TypeHashListpack}, AppendString(nil, lp.Bytes())...),
		append([]byte{TypeListQuicklist2, 1, 2}, AppendString(nil, lp.Bytes())...),
		append([]byte{TypeSetIntset}, AppendString(nil, Intset(2, 2, []byte{1, 0, 2, 0}))...),
		encodeStream(TypeStreamListpack2, sampleStream()),
		encodeStream(TypeStreamListpack3, sampleStream()),
		encodeStream(TypeStreamListpack, sampleStream()),
	}
	for i := 0; i < 30000; i++ {
		b := append([]byte(nil), seeds[i%len(seeds)]...)
		for k := 0; k <= r.IntN(4); k++ {
			switch r.IntN(3) {
			case 0:
				b[r.IntN(len(b))] = byte(r.Uint32())
			case 1:
				b = b[:r.IntN(len(b))+1]
			case 2:
				j := r.IntN(len(b))
				b = append(b[:j], append([]byte{byte(r.Uint32())}, b[j:]...)...)
			}
		}
		if v, err := Decode(dumpOf(b)); err == nil && v.Kind == KindStream {
			checkStreamValue(t, v.Stream)
		}
	}
}

// checkStreamValue checks what the server relies on in an accepted
// stream: every pending entry owned by a consumer of its group.
func checkStreamValue(t *testing.T, s *Stream) {
	t.Helper()
	if s == nil {
		t.Fatal("stream kind without a stream")
	}
	for _, g := range s.Groups {
		for _, p := range g.PEL {
			if p.Consumer < 0 || p.Consumer >= len(g.Consumers) {
				t.Fatalf("pending entry %v without a consumer", p.ID)
			}
		}
	}
}

// TestCRC64Slicing: the eight-bytes-at-a-time CRC64 equals the bytewise
// definition for every length and alignment, continued over split input.
func TestCRC64Slicing(t *testing.T) {
	bytewise := func(crc uint64, p []byte) uint64 {
		for _, b := range p {
			crc = crcTables[0][byte(crc)^b] ^ crc>>8
		}
		return crc
	}
	buf := make([]byte, 300)
	for i := range buf {
		buf[i] = byte(i*131 + i>>3)
	}
	for start := 0; start < 9; start++ {
		for n := 0; start+n <= len(buf); n += 7 {
			p := buf[start : start+n]
			want := bytewise(0, p)
			if got := CRC64(0, p); got != want {
				t.Fatalf("start %d len %d: %x, want %x", start, n, got, want)
			}
			if h := n / 3; CRC64(CRC64(0, p[:h]), p[h:]) != want {
				t.Fatalf("start %d len %d: split at %d differs", start, n, h)
			}
		}
	}
}

func BenchmarkCRC64(b *testing.B) {
	p := make([]byte, 1<<20)
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		CRC64(0, p)
	}
}

// TestLZFOutputFull: inputs that compress to about their own size, so the
// output fills up in every possible place (a run of 32 literals ending
// right at the limit, then a back reference, crashed the server with an
// index out of range on a 1,000-letter random value in an RDB file or a
// DUMP); each either fits and round-trips or is stored as it is.
func TestLZFOutputFull(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		n := 21 + r.IntN(1200)
		b := make([]byte, n)
		alpha := 2 + r.IntN(40)
		for j := range b {
			b[j] = byte('a' + r.IntN(alpha))
		}
		for _, limit := range []int{n - 4, n / 2, n - 1} {
			c := lzfCompress(b, limit)
			if c == nil {
				continue
			}
			if len(c) > limit {
				t.Fatalf("compressed %d > %d", len(c), limit)
			}
			if out, err := lzfDecompress(c, n); err != nil || !bytes.Equal(out, b) {
				t.Fatalf("round trip of %d bytes: %v", n, err)
			}
		}
	}
}

func FuzzLZF(f *testing.F) {
	f.Add([]byte("hello hello hello hello hello world"), 20)
	f.Fuzz(func(t *testing.T, in []byte, limit int) {
		if limit < 0 || limit > 1<<16 {
			return
		}
		if c := lzfCompress(in, limit); c != nil {
			if len(c) > limit {
				t.Fatalf("compressed %d > %d", len(c), limit)
			}
			if out, err := lzfDecompress(c, len(in)); err != nil || !bytes.Equal(out, in) {
				t.Fatalf("round trip: %v", err)
			}
		}
	})
}
