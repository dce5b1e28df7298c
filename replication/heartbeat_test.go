package replication

import (
	"io"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"fastcache/persistence"
)

// TestHeartbeatsHaveNoOffset: heartbeats between WAL frames reach the
// reader's Ping, never its records, and the offset after them is the
// primary's: a heartbeat takes no room in the stream.
func TestHeartbeatsHaveNoOffset(t *testing.T) {
	r := newRig(t, 2)
	br := r.attach(t, true, false)
	sub := r.hub.Subs()[0]
	sr := NewStreamReader(br, r.hub.Offset())
	pings := 0
	sr.Ping = func() { pings++ }
	for i := range 3 {
		sub.pushPing()
		r.w.Queue(i%2).Record(persistence.OpSet, 0, []byte{'k', byte('0' + i)}, []byte("v"), 0)
		deadline := time.Now().Add(30 * time.Second)
		for r.hub.Offset() == sr.Offset && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		recs, _, err := sr.Next()
		if err != nil || len(recs) != 1 || string(recs[0].Key) != string([]byte{'k', byte('0' + i)}) {
			t.Fatalf("round %d: %d records, %v", i, len(recs), err)
		}
	}
	if pings != 3 {
		t.Fatalf("%d heartbeats read, want 3", pings)
	}
	if sr.Offset != r.hub.Offset() || sub.Sent() != r.hub.Offset() {
		t.Fatalf("reader offset %d, sent %d, primary offset %d", sr.Offset, sub.Sent(), r.hub.Offset())
	}
}

// TestAckTargetIsTheWritersRound: WAIT's target for an LSN is the offset
// at the end of the writer round that exported it, not the latest offset;
// nothing written means 0; an LSN not exported yet has none; one older than
// every round kept maps to the oldest kept (waiting longer, never less).
func TestAckTargetIsTheWritersRound(t *testing.T) {
	h := NewHub(HubOptions{Log: zerolog.New(io.Discard)})
	h.Publish(make([]byte, 100))
	h.Exported(5)
	h.Publish(make([]byte, 50))
	h.Exported(9)
	h.Exported(9) // a round with nothing new
	for _, tc := range []struct {
		lsn uint64
		off int64
		ok  bool
	}{{0, 0, true}, {1, 100, true}, {5, 100, true}, {6, 150, true}, {9, 150, true}, {10, 0, false}} {
		if off, ok := h.AckTarget(tc.lsn); off != tc.off || ok != tc.ok {
			t.Fatalf("AckTarget(%d) = %d %v, want %d %v", tc.lsn, off, ok, tc.off, tc.ok)
		}
	}
	for i := range ackMarks {
		h.Publish(make([]byte, 1))
		h.Exported(uint64(10 + i))
	}
	if off, ok := h.AckTarget(1); !ok || off != 151 {
		t.Fatalf("AckTarget of a forgotten round = %d %v, want the oldest kept (151)", off, ok)
	}
}
