package rdb

import (
	"bytes"
	"errors"
	"testing"
)

// TestFileWriterRoundTrip: a file written by FileWriter reads back with
// ReadFile (the reader of Redis's dump.rdb): AUX fields, a library, keys of
// a database selected twice, an expiry, and a checksum that a changed byte
// breaks. A failing destination's error comes out of Close.
func TestFileWriterRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	f := NewFileWriter(&buf, [][2]string{{"redis-ver", "7.0.15"}, {"redis-bits", "64"}}, FileOptions{})
	f.Function([]byte("#!lua name=lib\nredis.register_function('f', function() return 1 end)"))
	var v Writer
	put := func(key string, exp int64, s string) {
		v.Reset()
		v.Type(TypeString)
		v.String([]byte(s))
		f.Key([]byte(key), exp, v.Value())
	}
	f.SelectDB(0, 2, 1)
	put("a", 0, "1")
	put("b", 1893456000000, string(bytes.Repeat([]byte("xy"), 100)))
	f.SelectDB(5, 1, 0)
	put("c", 0, "three")
	f.SelectDB(0, 1, 0)
	put("d", 0, "-12")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	file := buf.Bytes()
	type kv struct {
		db       int
		key, val string
		exp      int64
	}
	var got []kv
	info, err := ReadFile(file, func(e FileEntry) error {
		got = append(got, kv{e.DB, string(e.Key), string(e.Value.Str), e.ExpireAt})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []kv{{0, "a", "1", 0}, {0, "b", string(bytes.Repeat([]byte("xy"), 100)), 1893456000000}, {5, "c", "three", 0}, {0, "d", "-12", 0}}
	if len(got) != len(want) {
		t.Fatalf("read %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("key %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if info.Version != Version || info.Aux["redis-ver"] != "7.0.15" || info.Aux["redis-bits"] != "64" || len(info.Functions) != 1 {
		t.Errorf("info %+v", info)
	}
	bad := bytes.Clone(file)
	bad[len(bad)/2] ^= 1
	if _, err := ReadFile(bad, func(FileEntry) error { return nil }); err == nil {
		t.Error("a changed byte was not noticed")
	}

	werr := errors.New("disk full")
	f = NewFileWriter(failWriter{werr}, nil, FileOptions{})
	f.SelectDB(0, 1, 0)
	put("a", 0, string(bytes.Repeat([]byte("z"), 300<<10))) // past the buffer
	if err := f.Close(); !errors.Is(err, werr) {
		t.Fatalf("Close after a failed write: %v", err)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }
