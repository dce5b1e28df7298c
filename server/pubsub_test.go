package server

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pub/sub with real clients: go-redis's PubSub over RESP2 and RESP3,
// redis-cli subscribe, and a subscriber that stops reading.

func TestPubSubGoRedis(t *testing.T) {
	ts := startServer(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprint("resp", proto), func(t *testing.T) {
			rdb := ts.client(t, proto)
			pub := ts.client(t, proto)
			sub := rdb.Subscribe(ctx(), "news")
			defer sub.Close()
			if _, err := sub.Receive(ctx()); err != nil { // the confirmation
				t.Fatal(err)
			}
			if err := sub.PSubscribe(ctx(), "sp*"); err != nil {
				t.Fatal(err)
			}
			if err := sub.SSubscribe(ctx(), "shardy"); err != nil {
				t.Fatal(err)
			}
			// Subscriptions are in place once the server counts them.
			waitFor(t, 5*time.Second, "subscriptions", func() bool {
				n, _ := pub.PubSubNumPat(ctx()).Result()
				m, _ := pub.PubSubShardNumSub(ctx(), "shardy").Result()
				return n == 1 && m["shardy"] == 1
			})
			for _, p := range []struct{ ch, msg string }{{"news", "hello"}, {"sport", "goal"}, {"nothing", "lost"}} {
				n, err := pub.Publish(ctx(), p.ch, p.msg).Result()
				if err != nil {
					t.Fatal(err)
				}
				if want := map[string]int64{"news": 1, "sport": 1}[p.ch]; n != want {
					t.Fatalf("PUBLISH %s = %d, want %d", p.ch, n, want)
				}
			}
			if n, err := pub.SPublish(ctx(), "shardy", "s1").Result(); err != nil || n != 1 {
				t.Fatalf("SPUBLISH: %d %v", n, err)
			}
			want := []redis.Message{
				{Channel: "news", Payload: "hello"},
				{Channel: "sport", Pattern: "sp*", Payload: "goal"},
				{Channel: "shardy", Payload: "s1"},
			}
			for _, w := range want {
				m, err := sub.ReceiveTimeout(ctx(), 5*time.Second)
				for err == nil {
					if _, ok := m.(*redis.Subscription); !ok {
						break
					}
					m, err = sub.ReceiveTimeout(ctx(), 5*time.Second)
				}
				if err != nil {
					t.Fatal(err)
				}
				got, ok := m.(*redis.Message)
				if !ok || got.Channel != w.Channel || got.Pattern != w.Pattern || got.Payload != w.Payload {
					t.Fatalf("received %#v, want %+v", m, w)
				}
			}
			// PING on a subscribed connection.
			if err := sub.Ping(ctx()); err != nil {
				t.Fatal(err)
			}
			if m, err := sub.ReceiveTimeout(ctx(), 5*time.Second); err != nil {
				t.Fatal(err)
			} else if _, ok := m.(*redis.Pong); !ok {
				t.Fatalf("after PING: %#v", m)
			}
			// The Channel() API.
			ch := sub.Channel()
			pub.Publish(ctx(), "news", "via channel")
			select {
			case m := <-ch:
				if m.Payload != "via channel" {
					t.Fatalf("channel got %+v", m)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no message on Channel()")
			}
			if err := sub.Unsubscribe(ctx(), "news"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 5*time.Second, "unsubscribed", func() bool {
				m, _ := pub.PubSubNumSub(ctx(), "news").Result()
				return m["news"] == 0
			})
		})
	}
}

// TestPubSubRESP3SameConnection: over RESP3 a subscribed connection keeps
// running ordinary commands, and messages arrive as push frames between
// replies.
func TestPubSubRESP3SameConnection(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	rc.do("HELLO", "3")
	if got := rc.do("SUBSCRIBE", "c"); got != ">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n" {
		t.Fatalf("SUBSCRIBE: %q", got)
	}
	if got := rc.do("SET", "k", "v"); got != "+OK\r\n" {
		t.Fatalf("SET while subscribed: %q", got)
	}
	pub := ts.rawConn(t)
	if got := pub.do("PUBLISH", "c", "m"); got != ":1\r\n" {
		t.Fatalf("PUBLISH: %q", got)
	}
	if got := rc.read(); got != ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n" {
		t.Fatalf("push: %q", got)
	}
	if got := rc.do("GET", "k"); got != "$1\r\nv\r\n" {
		t.Fatalf("GET: %q", got)
	}
	// Publishing to itself: the message comes before PUBLISH's reply, as in Redis.
	rc.write(encodeCmd("PUBLISH", "c", "me"))
	if got := rc.read(); got != ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nme\r\n" {
		t.Fatalf("self push: %q", got)
	}
	if got := rc.read(); got != ":1\r\n" {
		t.Fatalf("self PUBLISH reply: %q", got)
	}
}

func TestPubSubRedisCLI(t *testing.T) {
	bin := redisCLIPath(t)
	ts := startServer(t)
	host, port, _ := net.SplitHostPort(ts.addr)
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(c, bin, "-h", host, "-p", port, "subscribe", "alerts", "logs")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	pub := ts.client(t, 2)
	waitFor(t, 10*time.Second, "redis-cli subscribed", func() bool {
		m, _ := pub.PubSubNumSub(ctx(), "alerts", "logs").Result()
		return m["alerts"] == 1 && m["logs"] == 1
	})
	pub.Publish(ctx(), "logs", "disk full")
	pub.Publish(ctx(), "alerts", "on fire")
	sc := bufio.NewScanner(out)
	var lines []string
	for len(lines) < 12 && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	want := "subscribe alerts 1 subscribe logs 2 message logs disk full message alerts on fire"
	if got := strings.Join(lines, " "); got != want {
		t.Fatalf("redis-cli subscribe printed %q, want %q", got, want)
	}
}

// TestPubSubSlowSubscriber: a subscriber that never reads is disconnected
// once its pending output passes the pubsub class's hard limit, its memory
// is released, and neither the publisher nor a healthy subscriber waits.
func TestPubSubSlowSubscriber(t *testing.T) {
	ts := startServer(t, "client-output-buffer-limit", "pubsub 1mb 512kb 60")
	slow, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	slow.(*net.TCPConn).SetReadBuffer(4096)
	slow.Write([]byte(encodeCmd("SUBSCRIBE", "firehose")))
	healthy := ts.client(t, 2).Subscribe(ctx(), "firehose")
	defer healthy.Close()
	if _, err := healthy.Receive(ctx()); err != nil {
		t.Fatal(err)
	}
	pub := ts.client(t, 2)
	waitFor(t, 5*time.Second, "two subscribers", func() bool {
		m, _ := pub.PubSubNumSub(ctx(), "firehose").Result()
		return m["firehose"] == 2
	})
	received := make(chan int, 1)
	go func() {
		n := 0
		for {
			m, err := healthy.ReceiveTimeout(ctx(), 10*time.Second)
			if err != nil {
				received <- -n
				return
			}
			if m, ok := m.(*redis.Message); ok {
				if m.Payload == "last" {
					received <- n
					return
				}
				n++
			}
		}
	}()
	payload := strings.Repeat("x", 16<<10)
	start := time.Now()
	sent := 0
	// At most 64 MB in total, far beyond the 1 MB limit plus socket buffers.
	for sent < 4096 {
		n, err := pub.Publish(ctx(), "firehose", payload).Result()
		if err != nil {
			t.Fatalf("PUBLISH %d: %v", sent, err)
		}
		sent++
		if n == 1 {
			break // the slow subscriber is gone
		}
	}
	if sent == 4096 {
		t.Fatal("the subscriber that never reads was not disconnected")
	}
	t.Logf("slow subscriber closed after %d messages of 16 KiB in %v", sent, time.Since(start))
	// It is gone from the server: the socket is closed after at most what
	// was already in flight.
	slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64<<10)
	total := 0
	for {
		n, err := slow.Read(buf)
		total += n
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("slow subscriber's connection still open after %d bytes", total)
			}
			break
		}
	}
	if total > 4<<20 {
		t.Errorf("slow subscriber got %d bytes: more than the limit plus socket buffers", total)
	}
	waitFor(t, 5*time.Second, "client gone", func() bool {
		list, _ := pub.ClientList(ctx()).Result()
		return strings.Count(list, "\n") == 2 // pub and the healthy subscriber
	})
	// The healthy subscriber got every message.
	pub.Publish(ctx(), "firehose", "last")
	if n := <-received; n != sent {
		t.Errorf("healthy subscriber received %d of %d messages (negative: then failed)", n, sent)
	}
}

// TestPubSubInfoAndClientList: INFO's pubsub counters, CLIENT LIST's
// sub/psub/ssub fields and P flag, and the pubsub client type.
func TestPubSubInfoAndClientList(t *testing.T) {
	ts := startServer(t)
	sub := ts.rawConn(t)
	sub.do("CLIENT", "SETNAME", "listener")
	sub.write(encodeCmd("SUBSCRIBE", "a", "b"))
	sub.read()
	sub.read()
	sub.do("PSUBSCRIBE", "p*")
	sub.do("SSUBSCRIBE", "s")
	rdb := ts.client(t, 2)
	info, err := rdb.Info(ctx(), "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pubsub_channels:2\r\n", "pubsub_patterns:1\r\n", "pubsubshard_channels:1\r\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO stats lacks %q", want)
		}
	}
	list, err := rdb.ClientList(ctx()).Result()
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(list, "\n") {
		if strings.Contains(l, "name=listener ") {
			line = l
		}
	}
	for _, want := range []string{" flags=P ", " sub=2 ", " psub=1 ", " ssub=1 ", " cmd=ssubscribe "} {
		if !strings.Contains(line, want) {
			t.Errorf("CLIENT LIST line %q lacks %q", line, want)
		}
	}
	if l, _ := rdb.Do(ctx(), "CLIENT", "LIST", "TYPE", "pubsub").Text(); strings.Count(l, "\n") != 1 || !strings.Contains(l, "name=listener ") {
		t.Errorf("CLIENT LIST TYPE pubsub: %q", l)
	}
	if l, _ := rdb.Do(ctx(), "CLIENT", "LIST", "TYPE", "normal").Text(); strings.Contains(l, "name=listener ") {
		t.Errorf("CLIENT LIST TYPE normal lists the subscriber: %q", l)
	}
	if n, err := rdb.Do(ctx(), "CLIENT", "KILL", "TYPE", "pubsub").Int(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL TYPE pubsub: %d %v", n, err)
	}
	sub.expectClosed(5 * time.Second)
	waitFor(t, 5*time.Second, "counters back to 0", func() bool {
		info, _ := rdb.Info(ctx(), "stats").Result()
		return strings.Contains(info, "pubsub_channels:0\r\n") && strings.Contains(info, "pubsub_patterns:0\r\n") && strings.Contains(info, "pubsubshard_channels:0\r\n")
	})
}

// TestPubSubResetBackToRESP2: RESET ends the subscriptions and RESP3; a
// new subscription then gets RESP2 messages.
func TestPubSubResetBackToRESP2(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	rc.do("HELLO", "3")
	rc.do("SUBSCRIBE", "c")
	if got := rc.do("RESET"); got != "+RESET\r\n" {
		t.Fatalf("RESET: %q", got)
	}
	if got := rc.do("SUBSCRIBE", "c"); got != "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n" {
		t.Fatalf("SUBSCRIBE after RESET: %q", got)
	}
	pub := ts.rawConn(t)
	if got := pub.do("PUBLISH", "c", "m"); got != ":1\r\n" {
		t.Fatalf("PUBLISH: %q", got)
	}
	if got := rc.read(); got != "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n" {
		t.Fatalf("message after RESET: %q", got)
	}
}
