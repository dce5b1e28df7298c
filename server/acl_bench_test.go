package server

import "testing"

// The per-command ACL check: nothing for a user allowed everything (the
// default user: BenchmarkDispatch, BenchmarkParseDispatch); for a
// restricted user, the command bit and each key against its patterns.
func BenchmarkDispatchACLUser(b *testing.B) {
	for _, bc := range []struct {
		name  string
		rules []string
		args  [][]byte
	}{
		{"GET/allkeys", []string{"on", "nopass", "allkeys", "-@all", "+get", "+set"}, [][]byte{[]byte("GET"), []byte("key:000000000001")}},
		{"GET/pattern", []string{"on", "nopass", "~key:*", "-@all", "+get", "+set"}, [][]byte{[]byte("GET"), []byte("key:000000000001")}},
		{"SET/readwrite", []string{"on", "nopass", "%R~key:*", "%RW~key:0*", "-@all", "+get", "+set"},
			[][]byte{[]byte("SET"), []byte("key:000000000001"), []byte("value-of-thirty-two-bytes-000001")}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := benchClient(b)
			if msg := c.srv.acl.setUser(c, "bench", bc.rules); msg != "" {
				b.Fatal(msg)
			}
			c.user.Store(c.srv.acl.get("bench"))
			c.exec([][]byte{[]byte("SET"), []byte("key:000000000001"), []byte("x")})
			if string(c.reply.Bytes()) != "+OK\r\n" {
				b.Fatalf("SET as bench: %q", c.reply.Bytes())
			}
			c.reply.Reset()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.exec(bc.args)
				c.reply.Reset()
			}
		})
	}
}
