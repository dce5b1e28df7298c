package rdb

import (
	"encoding/binary"
	"testing"
)

// testFile builds a small RDB file: two databases, an expiry in ms and in
// seconds, AUX fields, a function library, then EOF and the checksum.
func testFile() []byte {
	b := []byte("REDIS0010")
	b = append(b, opAux)
	b = AppendString(b, []byte("redis-ver"))
	b = AppendString(b, []byte("7.0.15"))
	b = append(b, opFunction2)
	b = AppendString(b, []byte("#!lua name=l\nredis.register_function('f', function() return 1 end)"))
	b = append(b, opSelectDB, 0, opResizeDB, 2, 1)
	b = append(b, TypeString)
	b = AppendString(b, []byte("a"))
	b = AppendString(b, []byte("1"))
	b = append(b, opExpireMs)
	b = binary.LittleEndian.AppendUint64(b, 1700000000123)
	b = append(b, TypeList)
	b = AppendString(b, []byte("l"))
	b = AppendLen(b, 2)
	b = AppendString(b, []byte("x"))
	b = AppendString(b, []byte("y"))
	b = append(b, opSelectDB, 5, opExpireSec)
	b = binary.LittleEndian.AppendUint32(b, 1700000000)
	b = append(b, TypeString)
	b = AppendString(b, []byte("s"))
	b = AppendString(b, []byte("v"))
	b = append(b, opEOF)
	return binary.LittleEndian.AppendUint64(b, CRC64(0, b))
}

func TestReadFile(t *testing.T) {
	var got []FileEntry
	info, err := ReadFile(testFile(), func(e FileEntry) error { got = append(got, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != 10 || info.Aux["redis-ver"] != "7.0.15" || len(info.Functions) != 1 || info.Keys != 3 {
		t.Fatalf("info %+v", info)
	}
	want := []struct {
		db       int
		key      string
		kind     Kind
		expireAt int64
	}{{0, "a", KindString, 0}, {0, "l", KindList, 1700000000123}, {5, "s", KindString, 1700000000000}}
	if len(got) != len(want) {
		t.Fatalf("%d entries", len(got))
	}
	for i, w := range want {
		g := got[i]
		if g.DB != w.db || string(g.Key) != w.key || g.Value.Kind != w.kind || g.ExpireAt != w.expireAt {
			t.Errorf("entry %d: db %d key %q kind %d expire %d, want %+v", i, g.DB, g.Key, g.Value.Kind, g.ExpireAt, w)
		}
	}
	// A newer version, no signature, a bad checksum, a module: errors.
	f := testFile()
	f[8] = '9' // REDIS0019
	if _, err := ReadFile(f, func(FileEntry) error { return nil }); err == nil {
		t.Error("version 19 read")
	}
	if _, err := ReadFile([]byte("RUBBISH00"), func(FileEntry) error { return nil }); err != ErrNotRDB {
		t.Errorf("no signature: %v", err)
	}
	f = testFile()
	f[len(f)-1] ^= 1
	if _, err := ReadFile(f, func(FileEntry) error { return nil }); err == nil {
		t.Error("a bad checksum read")
	}
	// Every truncation is an error, never a panic.
	f = testFile()
	for n := range len(f) - 8 {
		if _, err := ReadFile(f[:n], func(FileEntry) error { return nil }); err == nil {
			t.Errorf("the file cut at %d read without error", n)
		}
	}
}

// FuzzReadFile: any bytes are an error or a file, never a panic.
func FuzzReadFile(f *testing.F) {
	f.Add(testFile())
	f.Fuzz(func(t *testing.T, b []byte) {
		ReadFile(b, func(FileEntry) error { return nil })
	})
}

// TestZipmap: a hash of Redis before 2.6 (type 9) reads as a hash; a
// zipmap cut short or without its end marker is refused.
func TestZipmap(t *testing.T) {
	zm := []byte{2, 1, 'a', 2, 0, 'x', 'y', 3, 'b', 'c', 'd', 1, 2, 'z', 0, 0, 255}
	p := append([]byte{TypeHashZipmap}, AppendString(nil, zm)...)
	r := &reader{b: p}
	v, err := r.object()
	if err != nil {
		t.Fatal(err)
	}
	if v.Kind != KindHash || len(v.Items) != 4 || string(v.Items[0]) != "a" || string(v.Items[1]) != "xy" ||
		string(v.Items[2]) != "bcd" || string(v.Items[3]) != "z" {
		t.Fatalf("zipmap read as %d %q", v.Kind, v.Items)
	}
	for n := 1; n < len(zm); n++ {
		if _, err := zipmapItems(zm[:n]); err == nil {
			t.Errorf("zipmap cut at %d read", n)
		}
	}
}
