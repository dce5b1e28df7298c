package rdb

import (
	"bytes"
	"strings"
	"testing"
)

// FUNCTION DUMP payloads round-trip, and a payload of the wrong kind or
// cut short is refused with Redis's reasons, never a panic.
func TestFunctionsPayload(t *testing.T) {
	codes := [][]byte{
		[]byte("#!lua name=a\nredis.register_function('fa', function() return 1 end)"),
		[]byte("#!lua name=b\n" + strings.Repeat("-- a comment that compresses well\n", 20)),
		[]byte("12345"), // int-encoded as an RDB string: still read back as text
	}
	p := AppendFunctions(codes)
	got, err := DecodeFunctions(p)
	if err != nil || len(got) != len(codes) {
		t.Fatalf("DecodeFunctions = %q, %v", got, err)
	}
	for i := range codes {
		if !bytes.Equal(got[i], codes[i]) {
			t.Fatalf("library %d = %q, want %q", i, got[i], codes[i])
		}
	}
	if got, err := DecodeFunctions(AppendFunctions(nil)); err != nil || len(got) != 0 {
		t.Fatalf("empty payload: %q, %v", got, err)
	}
	var w Writer
	w.Type(0) // a string value: a key's DUMP
	w.String([]byte("v"))
	if _, err := DecodeFunctions(w.Finish()); err != ErrNotFunction {
		t.Fatalf("a key's DUMP: %v", err)
	}
	w = Writer{}
	w.Type(opFunctionPreGA) // name, engine, no description, code
	w.String([]byte("mylib"))
	w.String([]byte("LUA"))
	w.Len(0)
	w.String([]byte("return 1"))
	if got, err := DecodeFunctions(w.Finish()); err != nil || len(got) != 1 || string(got[0]) != "#!LUA name=mylib\nreturn 1" {
		t.Fatalf("pre-GA: %q %v", got, err)
	}
	w = Writer{}
	w.Type(opFunction2)
	w.Len(1000) // a length past the payload's end
	if _, err := DecodeFunctions(w.Finish()); err != ErrLibPayload {
		t.Fatalf("cut short: %v", err)
	}
	bad := bytes.Clone(p)
	bad[3] ^= 1
	if _, err := DecodeFunctions(bad); err != ErrChecksum {
		t.Fatalf("bad CRC: %v", err)
	}
	for n := 0; n < len(p); n++ { // every prefix: an error or libraries, no panic
		DecodeFunctions(p[:n])
	}
}
