package rdb

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// pipeConn answers Fetch from a script: what it reads is the server's
// side; what Fetch writes is kept.
type pipeConn struct {
	io.Reader
	sent bytes.Buffer
}

func (p *pipeConn) Write(b []byte) (int, error) { return p.sent.Write(b) }

// TestFetch: both framings, keepalive newlines, a file longer than the
// copy buffer with the mark split over reads, and the errors.
func TestFetch(t *testing.T) {
	file := bytes.Repeat([]byte("0123456789abcdef"), 40000) // 640 KB
	mark := strings.Repeat("m", 40)
	for _, tc := range []struct {
		name, head string
		eof        bool
		tail       string
		ok, marked bool
	}{
		{"eof", "+OK\r\n+OK\r\n\n\n$EOF:" + mark + "\r\n", true, mark, true, true},
		{"bulk", "+OK\r\n\n$640000\r\n", false, "", true, false},
		{"bulk to an eof client", "+OK\r\n+OK\r\n$640000\r\n", true, "", true, false},
		{"no mark", "+OK\r\n+OK\r\n$EOF:" + mark + "\r\n", true, "", false, true},
		{"refused", "+OK\r\n-NOMASTERLINK Can't SYNC while not connected with my master\r\n", false, "", false, false},
		{"no rdb-only", "-ERR Unrecognized REPLCONF option: rdb-only\r\n", false, "", false, false},
		{"cut short", "+OK\r\n$700000\r\n", false, "", false, false},
	} {
		c := &pipeConn{Reader: io.MultiReader(strings.NewReader(tc.head), bytes.NewReader(file), strings.NewReader(tc.tail))}
		var got bytes.Buffer
		n, marked, err := Fetch(c, &got, tc.eof)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.name, err)
			continue
		}
		if !tc.ok {
			continue
		}
		if marked != tc.marked || n != int64(len(file)) || !bytes.Equal(got.Bytes(), file) {
			t.Errorf("%s: %d bytes, marked %v, equal %v", tc.name, n, marked, bytes.Equal(got.Bytes(), file))
		}
		want := "REPLCONF rdb-only 1\r\nSYNC\r\n"
		if tc.eof {
			want = "REPLCONF capa eof\r\nREPLCONF rdb-only 1\r\nSYNC\r\n"
		}
		if c.sent.String() != want {
			t.Errorf("%s: sent %q", tc.name, c.sent.String())
		}
	}
}
