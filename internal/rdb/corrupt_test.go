package rdb

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// TestCorruptPayloadReasons: a refused payload says what was wrong in the
// words Redis logs (its corrupt-dump tests look for them), and is still
// ErrBadFormat to the caller.
func TestCorruptPayloadReasons(t *testing.T) {
	var dup Listpack
	for _, s := range []string{"a", "1", "b", "2", "a", "3"} {
		dup.Append([]byte(s))
	}
	emptyZipmap := append([]byte{TypeHashZipmap}, AppendString(nil, []byte{0, 0xFF})...)
	// a ziplist of one entry whose tail offset points past it
	zl := []byte{0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0xF2, 0xFF}
	binary.LittleEndian.PutUint32(zl, uint32(len(zl)))
	binary.LittleEndian.PutUint32(zl[4:], 11)
	goodZl := append([]byte(nil), zl...)
	binary.LittleEndian.PutUint32(goodZl[4:], 10)
	for _, c := range []struct {
		name, payload string
		want          string // "" = accepted
	}{
		{"hash listpack with a repeated field", string(append([]byte{TypeHashListpack}, AppendString(nil, dup.Bytes())...)),
			"Hash listpack integrity check failed. (listpack with dup elements)"},
		{"empty zipmap", string(emptyZipmap), "Zipmap integrity check failed."},
		{"ziplist tail offset", string(append([]byte{TypeListZiplist}, AppendString(nil, zl)...)), "List ziplist integrity check failed."},
		{"ziplist tail offset right", string(append([]byte{TypeListZiplist}, AppendString(nil, goodZl)...)), ""},
		{"empty plain quicklist node", string([]byte{TypeListQuicklist2, 1, 1, 0}), "quicklist encoded_len is 0"},
		{"empty list", string([]byte{TypeList, 0}), "empty key"},
	} {
		v, err := Decode(dumpOf([]byte(c.payload)))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.want == "":
			if v.Kind != KindList || len(v.Items) != 1 || string(v.Items[0]) != "1" {
				t.Errorf("%s: %+v", c.name, v)
			}
		case err == nil:
			t.Errorf("%s: accepted", c.name)
		case !errors.Is(err, ErrBadFormat) || !strings.Contains(err.Error(), c.want):
			t.Errorf("%s: error %q, want ErrBadFormat with %q", c.name, err, c.want)
		}
	}
}

// TestDecodeUnchecked: the CRC64 is skipped (DEBUG
// SET-SKIP-CHECKSUM-VALIDATION), the version is not.
func TestDecodeUnchecked(t *testing.T) {
	p := dumpOf(append([]byte{TypeString}, AppendString(nil, []byte("v"))...))
	p[len(p)-1] ^= 0xFF
	if _, err := Decode(p); !errors.Is(err, ErrChecksum) {
		t.Fatalf("Decode with a bad CRC: %v", err)
	}
	if v, err := DecodeUnchecked(p); err != nil || string(v.Str) != "v" {
		t.Fatalf("DecodeUnchecked: %v %v", v, err)
	}
	binary.LittleEndian.PutUint16(p[len(p)-10:], Version+1)
	if _, err := DecodeUnchecked(p); !errors.Is(err, ErrChecksum) {
		t.Fatalf("DecodeUnchecked of a later version: %v", err)
	}
}

// TestReadFileSkipsEmptyKeys: a file's empty collections are skipped and
// counted, as Redis 7.0 loads them; the keys after them load.
func TestReadFileSkipsEmptyKeys(t *testing.T) {
	b := []byte("REDIS0010")
	b = append(b, opSelectDB, 0, TypeSet)
	b = AppendString(b, []byte("emptyset"))
	b = AppendLen(b, 0)
	b = append(b, TypeZSetListpack)
	b = AppendString(b, []byte("emptyzset"))
	b = AppendString(b, new(Listpack).Bytes())
	b = append(b, TypeString)
	b = AppendString(b, []byte("k"))
	b = AppendString(b, []byte("v"))
	b = append(b, opEOF)
	b = binary.LittleEndian.AppendUint64(b, CRC64(0, b))
	var keys []string
	info, err := ReadFile(b, func(e FileEntry) error { keys = append(keys, string(e.Key)); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if info.Keys != 1 || info.Empty != 2 || strings.Join(info.EmptyKeys, ",") != "emptyset,emptyzset" || strings.Join(keys, ",") != "k" {
		t.Fatalf("keys %v, info %+v", keys, info)
	}
}
