package main

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestSlowSubscribersRSSBounded: subscribers that never read are
// disconnected at client-output-buffer-limit, so the server's memory stays
// bounded while the publisher goes on: 10 subscribers would otherwise hold
// 10 x 64 MB of messages.
func TestSlowSubscribersRSSBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	p := startReady(t, t.TempDir(), "--appendonly", "no", "--client-output-buffer-limit", "pubsub 4mb 1mb 60")
	rdb := p.client()
	base := rssBytes(t, p.cmd.Process.Pid)
	const subs = 10
	for i := 0; i < subs; i++ {
		c, err := net.Dial("tcp", p.addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.(*net.TCPConn).SetReadBuffer(4096)
		fmt.Fprintf(c, "*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nslow\r\n")
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		m, _ := rdb.PubSubNumSub(ctx(), "slow").Result()
		if m["slow"] == subs {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscribers: %v", m)
		}
		time.Sleep(10 * time.Millisecond)
	}
	payload := strings.Repeat("x", 64<<10)
	peak := base
	sent := 0
	for ; sent < 1024; sent++ { // 64 MB per subscriber at most
		n, err := rdb.Publish(ctx(), "slow", payload).Result()
		if err != nil {
			t.Fatalf("PUBLISH %d: %v", sent, err)
		}
		if sent%16 == 0 {
			peak = max(peak, rssBytes(t, p.cmd.Process.Pid))
		}
		if n == 0 {
			break
		}
	}
	if sent == 1024 {
		t.Fatal("subscribers that never read were not all disconnected")
	}
	t.Logf("all %d subscribers disconnected after %d messages of 64 KiB; RSS %d MB at start, peak %d MB", subs, sent, base>>20, peak>>20)
	if peak-base > 200<<20 {
		t.Errorf("RSS grew by %d MB for %d subscribers limited to 4 MB each", (peak-base)>>20, subs)
	}
	info, _ := rdb.Info(ctx(), "clients").Result()
	if !strings.Contains(info, "connected_clients:1\r\n") {
		t.Errorf("clients left: %s", info)
	}
}
