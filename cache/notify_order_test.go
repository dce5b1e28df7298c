package cache

import (
	"sync"
	"testing"
	"time"

	"fastcache/pubsub"
)

// slowNotifier records events; it stalls on the first "set" so that a
// write by someone else can run in between the set's unlock and its
// delivery.
type slowNotifier struct {
	mu     sync.Mutex
	names  []string
	stall  chan struct{} // closed once the first set is being delivered
	stalls bool
}

func (n *slowNotifier) KeyEvents(_ any, evs []Event) {
	for _, e := range evs {
		if e.Name == "set" && n.stalls {
			n.stalls = false
			close(n.stall)
			time.Sleep(50 * time.Millisecond)
		}
		n.mu.Lock()
		n.names = append(n.names, e.Name)
		n.mu.Unlock()
	}
}

// TestKeyEventsKeepWriteOrder: a SET whose events are still being delivered
// when a DEL of the same key (on another goroutine, as another event loop
// or the expiry loop) completes must still be seen first. Without the
// shards' emit turn the DEL's "del" overtakes the SET's "set", and a
// subscriber mirroring the keyspace would believe the key exists.
func TestKeyEventsKeepWriteOrder(t *testing.T) {
	for _, multiKey := range []bool{false, true} {
		c := New(Options{Shards: 4})
		n := &slowNotifier{stall: make(chan struct{}), stalls: true}
		c.SetNotifier(n, pubsub.Generic|pubsub.String)
		k := c.Keyspace()
		done := make(chan struct{})
		go func() {
			defer close(done)
			<-n.stall // the set is unlocked, its delivery stalls
			if multiKey {
				k.Del([][]byte{[]byte("k"), []byte("other1"), []byte("other2"), []byte("other3")})
			} else {
				k.Del([][]byte{[]byte("k")})
			}
		}()
		k.Set([]byte("k"), []byte("v"), SetOptions{}, nil)
		<-done
		if k.Exists([][]byte{[]byte("k")}) != 0 {
			t.Fatal("the DEL ran before the SET")
		}
		n.mu.Lock()
		got := append([]string(nil), n.names...)
		n.mu.Unlock()
		if len(got) != 2 || got[0] != "set" || got[1] != "del" {
			t.Fatalf("multiKey=%v: events %q, want [set del] (the order of the writes)", multiKey, got)
		}
	}
}
