package replication

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzReadStreamCommand: the reader of a redis-server primary's stream
// never panics, reports the bytes each command took (their sum never
// passes the input), and reads back what respCommand encodes.
func FuzzReadStreamCommand(f *testing.F) {
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$4\r\nPING\r\n"))
	f.Add([]byte("\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"))
	f.Add([]byte("*1\r\n$99999999999\r\n"))
	f.Add([]byte("*-1\r\n+OK\r\n"))
	f.Add([]byte("*2\r\n$1\r\nab\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(in), 64)
		var total int64
		var buf []byte
		for {
			args, n, b, err := readStreamCommand(br, buf)
			buf = b
			if err != nil {
				return
			}
			total += n
			if total > int64(len(in)) {
				t.Fatalf("%d bytes taken of %d", total, len(in))
			}
			if len(args) == 0 {
				continue
			}
			strs := make([]string, len(args))
			for i, a := range args {
				strs[i] = string(a)
			}
			enc := respCommand(strs...)
			back, m, _, err := readStreamCommand(bufio.NewReader(bytes.NewReader(enc)), nil)
			if err != nil || m != int64(len(enc)) || len(back) != len(args) {
				t.Fatalf("%q read back as %q (%d of %d bytes) %v", strs, back, m, len(enc), err)
			}
			for i := range back {
				if !bytes.Equal(back[i], args[i]) {
					t.Fatalf("argument %d: %q, read back %q", i, args[i], back[i])
				}
			}
		}
	})
}
