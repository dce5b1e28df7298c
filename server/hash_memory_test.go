package server

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHashMemoryAndEviction: MEMORY USAGE grows with a hash's fields in both
// encodings, and with maxmemory and allkeys-lru, hashes are evicted like
// strings: used memory stays near the limit and evicted_keys counts them.
func TestHashMemoryAndEviction(t *testing.T) {
	ts := startServer(t, "maxmemory", "4mb", "maxmemory-policy", "allkeys-lru")
	rc := ts.rawConn(t)
	// (thousands of commands: more than the connection's 10 s under -race
	// on a loaded machine)
	rc.conn.SetDeadline(time.Now().Add(2 * time.Minute))
	usage := func(key string) int64 {
		r := rc.do("MEMORY", "USAGE", key)
		n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(r, ":")), 10, 64)
		if err != nil {
			t.Fatalf("MEMORY USAGE %s: %q", key, r)
		}
		return n
	}
	rc.do("HSET", "small", "f", "v")
	small := usage("small")
	args := []string{"HSET", "big"}
	for i := 0; i < 1000; i++ {
		args = append(args, fmt.Sprintf("field:%d", i), strings.Repeat("v", 20))
	}
	if r := rc.do(args...); r != ":1000\r\n" {
		t.Fatalf("HSET big: %q", r)
	}
	if big := usage("big"); big < 1000*20 || big <= small {
		t.Fatalf("MEMORY USAGE: big hash %d bytes, small %d", big, small)
	}
	for i := 0; i < 8000; i++ {
		args := []string{"HSET", fmt.Sprintf("h:%d", i)}
		for j := 0; j < 20; j++ {
			args = append(args, fmt.Sprintf("f%d", j), strings.Repeat("x", 40))
		}
		if r := rc.do(args...); r[0] != ':' {
			t.Fatalf("HSET h:%d: %q", i, r)
		}
	}
	st := ts.cache.Stats()
	if st.Evicted == 0 {
		t.Fatalf("no hash was evicted with 8000 hashes of ~1 KB under maxmemory 4mb (used %d)", st.UsedMemory)
	}
	if st.UsedMemory > 5<<20 {
		t.Fatalf("used memory %d, limit 4mb", st.UsedMemory)
	}
}
