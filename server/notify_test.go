package server

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Keyspace notifications with go-redis: expired from the active cycle (no
// command touches the key), evicted from eviction, and CONFIG GET's
// canonical flag string.

func TestKeyspaceEventsActiveExpiry(t *testing.T) {
	ts := startServer(t, "notify-keyspace-events", "Ex")
	for _, proto := range []int{2, 3} {
		rdb := ts.client(t, proto)
		sub := rdb.Subscribe(ctx(), "__keyevent@0__:expired")
		if _, err := sub.Receive(ctx()); err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprint("short-lived-", proto)
		if err := rdb.Set(ctx(), key, "v", 20*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
		m, err := sub.ReceiveMessage(ctx())
		if err != nil {
			t.Fatal(err)
		}
		if m.Payload != key {
			t.Fatalf("expired event for %q, want %q", m.Payload, key)
		}
		sub.Close()
	}
}

func TestKeyspaceEventsEviction(t *testing.T) {
	ts := startServer(t, "notify-keyspace-events", "Ee", "maxmemory", "16mb", "maxmemory-policy", "allkeys-random")
	rdb := ts.client(t, 2)
	sub := ts.client(t, 3).Subscribe(ctx(), "__keyevent@0__:evicted")
	defer sub.Close()
	if _, err := sub.Receive(ctx()); err != nil {
		t.Fatal(err)
	}
	val := strings.Repeat("v", 1000)
	for i := 0; i < 30000; i++ {
		if err := rdb.Set(ctx(), fmt.Sprint("key:", i), val, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	info, _ := rdb.Info(ctx(), "stats").Result()
	var evicted int
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, "evicted_keys:"); ok {
			evicted, _ = strconv.Atoi(v)
		}
	}
	if evicted == 0 {
		t.Fatal("nothing was evicted")
	}
	seen := map[string]bool{}
	for len(seen) < evicted {
		m, err := sub.ReceiveTimeout(ctx(), 5*time.Second)
		if err != nil {
			t.Fatalf("after %d of %d evicted events: %v", len(seen), evicted, err)
		}
		msg := m.(*redis.Message)
		if seen[msg.Payload] {
			continue // evicted, written again, evicted again
		}
		seen[msg.Payload] = true
	}
	for k := range seen {
		if !strings.HasPrefix(k, "key:") {
			t.Fatalf("evicted event for %q", k)
		}
	}
}

func TestKeyspaceEventsConfig(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	for in, want := range map[string]string{"KEA": "AKE", "g$lshzxetd": "A", "An": "A", "nmEK": "nKEm", "tde": "etd", "": ""} {
		if err := rdb.ConfigSet(ctx(), "notify-keyspace-events", in).Err(); err != nil {
			t.Fatal(err)
		}
		got, _ := rdb.ConfigGet(ctx(), "notify-keyspace-events").Result()
		if got["notify-keyspace-events"] != want {
			t.Errorf("CONFIG SET %q: CONFIG GET gives %q, want %q", in, got["notify-keyspace-events"], want)
		}
	}
	err := rdb.ConfigSet(ctx(), "notify-keyspace-events", "KEQ").Err()
	if err == nil || err.Error() != "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'." {
		t.Errorf("bad class: %v", err)
	}
}
