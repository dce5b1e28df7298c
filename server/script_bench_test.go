package server

import (
	"bufio"
	"strings"
	"testing"
)

// BenchmarkEvalSha runs a one-command script by SHA1 in pipelines of 16
// over one connection (server and client in this process).
func BenchmarkEvalSha(b *testing.B) {
	ts := startServer(b)
	conn := ts.raw(b)
	br := bufio.NewReader(conn)
	body := "return redis.call('INCR', KEYS[1])"
	sha := sha1hex([]byte(body))
	conn.Write([]byte(encodeCmd("SCRIPT", "LOAD", body)))
	diffReadReply(br)
	req := []byte(strings.Repeat(encodeCmd("EVALSHA", sha, "1", "k"), 16))
	b.ResetTimer()
	for i := 0; i < b.N; i += 16 {
		conn.Write(req)
		for j := 0; j < 16; j++ {
			if _, err := diffReadReply(br); err != nil {
				b.Fatal(err)
			}
		}
	}
}
