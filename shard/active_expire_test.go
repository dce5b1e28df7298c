package shard

import (
	"strconv"
	"testing"
	"time"
)

// TestActiveExpireEffort: a round of the active expiry cycle samples 20
// volatile keys at active-expire-effort 1 (effort 0 here) and 20 + 5 per
// step above it (65 at 10), as Redis 7.0's; it repeats while the stale
// share of a sample is over 10% (less a point per step), so with every
// volatile key expired it removes them all, whatever the effort.
func TestActiveExpireEffort(t *testing.T) {
	fill := func(n int, expireAt int64) *DB {
		s := New(0, 1, nil)
		d := s.DB(0)
		s.Lock()
		for i := 0; i < n; i++ {
			d.Set([]byte("k"+strconv.Itoa(i)), []byte("v"), expireAt, &captured{})
		}
		s.Unlock()
		return d
	}
	now := time.Now().UnixMilli()
	deadline := time.Now().Add(time.Minute)
	for _, c := range []struct{ effort, sample int }{{0, 20}, {4, 40}, {9, 65}, {20, 65}, {-3, 20}} {
		d := fill(1000, now+3600_000) // nothing expired: one round
		if sampled, expired := d.ActiveExpire(now, deadline, c.effort, &captured{}); sampled != c.sample || expired != 0 {
			t.Fatalf("effort %d: sampled %d expired %d, want %d and 0", c.effort, sampled, expired, c.sample)
		}
		d = fill(1000, now-1) // every key expired: rounds until none is left
		if _, expired := d.ActiveExpire(now, deadline, c.effort, &captured{}); expired != 1000 || d.Volatile() != 0 {
			t.Fatalf("effort %d: expired %d of 1000, %d volatile left", c.effort, expired, d.Volatile())
		}
	}
}
