package replication

import (
	"bufio"
	"strings"
	"testing"
)

// FuzzReadReplicaCommand: whatever a redis-server replica (or anything on
// its connection) sends, the primary's reader of its acknowledgements
// returns a command or an error, within bounds, and never panics.
func FuzzReadReplicaCommand(f *testing.F) {
	for _, s := range []string{"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$3\r\n123\r\n", "*5\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n1\r\n$4\r\nFACK\r\n$1\r\n1\r\n",
		"PING\r\n", "*99999999999\r\n", "*1\r\n$-5\r\n", "*2\r\n$2000\r\n", "\n", "*1\r\n$3\r\nab"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		br := bufio.NewReader(strings.NewReader(in))
		for range 8 {
			args, err := readReplicaCommand(br)
			if err != nil {
				return
			}
			if len(args) > 16 {
				t.Fatalf("%d arguments", len(args))
			}
			for _, a := range args {
				if len(a) > 1024 {
					t.Fatalf("an argument of %d bytes", len(a))
				}
			}
		}
	})
}

// TestRedisStreamHubOffsets: an acknowledged offset of the rendered stream
// maps to the WAL stream's offset of the last write it covers, and an
// offset before every write maps to none.
func TestRedisStreamHubOffsets(t *testing.T) {
	rs := &redisStreamConn{marks: []mark2{{10, 100}, {25, 180}, {40, 300}}}
	for _, tc := range []struct {
		acked, want int64
		ok          bool
	}{{5, 0, false}, {10, 100, true}, {24, 100, true}, {25, 180, true}, {39, 180, true}, {40, 300, true}, {1000, 300, true}} {
		got, ok := rs.hubOffsetAt(tc.acked)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ACK %d: %d %v, want %d", tc.acked, got, ok, tc.want)
		}
	}
}
