package shard

import "testing"

// TestLFUDecayTime: the counter loses one per lfu-decay-time minutes of
// idleness, and nothing with 0.
func TestLFUDecayTime(t *testing.T) {
	defer LFUDecayTime.Store(LFUDecayTime.Load())
	meta := ((lruClock()-600)&0xFFFFFF)<<8 | 20 // 10 minutes idle, counter 20
	for _, c := range []struct {
		minutes int64
		want    uint8
	}{{1, 10}, {5, 18}, {3, 17}, {0, 20}, {20, 20}} {
		LFUDecayTime.Store(c.minutes)
		if got := LFUCount(meta); got != c.want {
			t.Errorf("lfu-decay-time %d: counter %d, want %d", c.minutes, got, c.want)
		}
	}
}
