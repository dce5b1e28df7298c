package server

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"fastcache/persistence"
)

// Blocking commands with several real clients (go-redis) in goroutines:
// order of wake-ups, timeouts, MULTI, disconnects, CLIENT UNBLOCK, keys
// moved into place, durability of served pops.

// waitBlocked polls INFO until n clients are blocked.
func waitBlocked(t *testing.T, ts *testServer, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for ts.srv.blk.count.Load() != n {
		if time.Now().After(deadline) {
			t.Fatalf("blocked clients: %d, want %d", ts.srv.blk.count.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
	info := ts.client(t, 2).Info(ctx(), "clients").Val()
	if !strings.Contains(info, "blocked_clients:"+strconv.FormatInt(n, 10)+"\r\n") {
		t.Fatalf("INFO clients: %q, want blocked_clients:%d", info, n)
	}
}

type popResult struct {
	who int
	val []string
	err error
}

// blockClients starts n clients that each run cmd once, in order (each one
// blocked before the next starts); results arrive on the channel.
func blockClients(t *testing.T, ts *testServer, n int, cmd func(rdb *redis.Client) ([]string, error)) chan popResult {
	t.Helper()
	out := make(chan popResult, n)
	base := ts.srv.blk.count.Load()
	for i := 0; i < n; i++ {
		rdb := ts.client(t, 2)
		rdb.Ping(ctx())
		go func(i int) {
			v, err := cmd(rdb)
			out <- popResult{i, v, err}
		}(i)
		waitBlocked(t, ts, base+int64(i)+1)
	}
	return out
}

func blpop(keys ...string) func(rdb *redis.Client) ([]string, error) {
	return func(rdb *redis.Client) ([]string, error) { return rdb.BLPop(ctx(), 0, keys...).Result() }
}

func TestBlockingWakeOrder(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	res := blockClients(t, ts, 3, blpop("q"))
	rdb.RPush(ctx(), "q", "a", "b", "c")
	got := map[int]string{}
	for i := 0; i < 3; i++ {
		r := <-res
		if r.err != nil {
			t.Fatal(r.err)
		}
		got[r.who] = r.val[0] + "=" + r.val[1]
	}
	if fmt.Sprint(got) != "map[0:q=a 1:q=b 2:q=c]" {
		t.Fatalf("wake order: %v", got)
	}
	if n := rdb.Exists(ctx(), "q").Val(); n != 0 {
		t.Fatalf("q left behind")
	}
	// one element per push: first blocked, first served, one at a time
	res = blockClients(t, ts, 3, blpop("q"))
	for i, v := range []string{"x", "y", "z"} {
		rdb.LPush(ctx(), "q", v)
		r := <-res
		if r.who != i || r.val[1] != v {
			t.Fatalf("push %s went to %d (%v)", v, r.who, r.val)
		}
	}
}

func TestBlockingServesFromReadyKeyAndTimesOut(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	res := blockClients(t, ts, 1, blpop("a", "b", "c"))
	rdb.RPush(ctx(), "b", "vb")
	if r := <-res; r.err != nil || fmt.Sprint(r.val) != "[b vb]" {
		t.Fatalf("BLPOP a b c: %v %v", r.val, r.err)
	}
	// timeouts give a nil reply; a zero timeout waits forever
	start := time.Now()
	if err := rdb.BLPop(ctx(), 100*time.Millisecond, "none").Err(); err != redis.Nil {
		t.Fatalf("BLPOP timeout: %v", err)
	}
	if time.Since(start) < 100*time.Millisecond {
		t.Fatalf("BLPOP returned before its timeout")
	}
	if err := rdb.BRPopLPush(ctx(), "none", "dst", 50*time.Millisecond).Err(); err != redis.Nil {
		t.Fatalf("BRPOPLPUSH timeout: %v", err)
	}
	if err := rdb.BLMPop(ctx(), 50*time.Millisecond, "left", 2, "none").Err(); err != redis.Nil {
		t.Fatalf("BLMPOP timeout: %v", err)
	}
	waitBlocked(t, ts, 0)
	if n := ts.srv.blk.timeouts.Load(); n != 0 {
		t.Fatalf("clients in timeout table: %d", n)
	}
}

// The command that pushed finishes serving its waiters before its
// client's next command runs: a pipelined LPOP cannot take the element a
// blocked client waits for (as in Redis).
func TestBlockingPusherCannotStealBack(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	for i := 0; i < 20; i++ {
		res := blockClients(t, ts, 1, blpop("q"))
		cmds, _ := rdb.Pipelined(ctx(), func(p redis.Pipeliner) error {
			p.RPush(ctx(), "q", "x"+strconv.Itoa(i))
			p.LPop(ctx(), "q")
			return nil
		})
		if err := cmds[1].Err(); err != redis.Nil {
			t.Fatalf("the pusher's LPOP got %v", cmds[1])
		}
		if r := <-res; r.err != nil || r.val[1] != "x"+strconv.Itoa(i) {
			t.Fatalf("waiter: %v %v", r.val, r.err)
		}
	}
}

func TestBlockingMulti(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	// inside MULTI a blocking pop answers at once
	cmds, err := rdb.TxPipelined(ctx(), func(p redis.Pipeliner) error {
		p.BLPop(ctx(), 0, "none")
		p.BRPopLPush(ctx(), "none", "d", 0)
		p.BLMPop(ctx(), 0, "left", 1, "none")
		return nil
	})
	if err != redis.Nil || len(cmds) != 3 {
		t.Fatalf("MULTI BLPOP: %v %v", cmds, err)
	}
	for _, c := range cmds {
		if c.Err() != redis.Nil {
			t.Fatalf("%v", c)
		}
	}
	// a waiter is served once the whole transaction is applied: what the
	// transaction pushed and popped again is gone
	res := blockClients(t, ts, 1, blpop("q"))
	rdb.TxPipelined(ctx(), func(p redis.Pipeliner) error {
		p.RPush(ctx(), "q", "gone")
		p.LPop(ctx(), "q")
		p.RPush(ctx(), "q", "kept1", "kept2")
		return nil
	})
	if r := <-res; r.err != nil || fmt.Sprint(r.val) != "[q kept1]" {
		t.Fatalf("after EXEC: %v %v", r.val, r.err)
	}
	if v := rdb.LRange(ctx(), "q", 0, -1).Val(); fmt.Sprint(v) != "[kept2]" {
		t.Fatalf("q: %v", v)
	}
}

func TestBlockingDisconnectLeavesNothing(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	for i := 0; i < 3; i++ {
		rc := ts.rawConn(t)
		rc.write(encodeCmd("BLPOP", "q", "k"+strconv.Itoa(i), "0"))
		waitBlocked(t, ts, 1)
		rc.conn.Close()
		waitBlocked(t, ts, 0)
	}
	rdb.RPush(ctx(), "q", "v")
	if v := rdb.LRange(ctx(), "q", 0, -1).Val(); fmt.Sprint(v) != "[v]" {
		t.Fatalf("q after the waiters left: %v", v)
	}
	ts.srv.blk.mu.Lock()
	queues, ids := len(ts.srv.blk.queues), len(ts.srv.blk.byID)
	ts.srv.blk.mu.Unlock()
	if queues != 0 || ids != 0 || ts.cache.ReadyPending() {
		t.Fatalf("left behind: %d queues, %d clients, pending %v", queues, ids, ts.cache.ReadyPending())
	}
	// a killed client is forgotten too
	rc := ts.rawConn(t)
	rc.write(encodeCmd("CLIENT", "ID"))
	id := strings.TrimSpace(strings.TrimPrefix(rc.read(), ":"))
	rc.write(encodeCmd("BLPOP", "none", "0"))
	waitBlocked(t, ts, 1)
	if list := rdb.ClientList(ctx()).Val(); !strings.Contains(list, "id="+id+" ") || !strings.Contains(list, "flags=b ") {
		t.Fatalf("CLIENT LIST without flag b: %s", list)
	}
	if err := rdb.Do(ctx(), "CLIENT", "KILL", "ID", id).Err(); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, ts, 0)
}

func TestClientUnblock(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	for _, mode := range []string{"", "TIMEOUT", "ERROR"} {
		waiter := ts.client(t, 2)
		id := waiter.ClientID(ctx()).Val()
		done := make(chan error, 1)
		go func() { done <- waiter.BLPop(ctx(), 0, "none").Err() }()
		waitBlocked(t, ts, 1)
		args := []any{"CLIENT", "UNBLOCK", id}
		if mode != "" {
			args = append(args, mode)
		}
		if n, err := rdb.Do(ctx(), args...).Int(); n != 1 || err != nil {
			t.Fatalf("CLIENT UNBLOCK %s: %d %v", mode, n, err)
		}
		err := <-done
		if mode == "ERROR" {
			if err == nil || err.Error() != "UNBLOCKED client unblocked via CLIENT UNBLOCK" {
				t.Fatalf("unblocked with error: %v", err)
			}
		} else if err != redis.Nil {
			t.Fatalf("unblocked %s: %v", mode, err)
		}
		if n, _ := rdb.Do(ctx(), "CLIENT", "UNBLOCK", id).Int(); n != 0 {
			t.Fatalf("CLIENT UNBLOCK of a client no longer blocked: %d", n)
		}
		// the connection goes on
		if err := waiter.Ping(ctx()).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// Keys renamed, moved or swapped into place wake their waiters, and
// BLMOVE's push wakes the destination's waiters in the same round.
func TestBlockingKeysMovedIntoPlace(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	res := blockClients(t, ts, 1, blpop("dst"))
	rdb.RPush(ctx(), "tmp", "renamed")
	rdb.Rename(ctx(), "tmp", "dst")
	if r := <-res; fmt.Sprint(r.val) != "[dst renamed]" {
		t.Fatalf("RENAME: %v %v", r.val, r.err)
	}
	db1 := redis.NewClient(&redis.Options{Addr: ts.addr, DB: 1})
	defer db1.Close()
	res = blockClients(t, ts, 1, func(_ *redis.Client) ([]string, error) { return db1.BLPop(ctx(), 0, "k").Result() })
	rdb.RPush(ctx(), "k", "moved")
	rdb.Move(ctx(), "k", 1)
	if r := <-res; fmt.Sprint(r.val) != "[k moved]" {
		t.Fatalf("MOVE: %v %v", r.val, r.err)
	}
	res = blockClients(t, ts, 1, blpop("sw"))
	db1.RPush(ctx(), "sw", "swapped")
	rdb.Do(ctx(), "SWAPDB", 0, 1)
	if r := <-res; fmt.Sprint(r.val) != "[sw swapped]" {
		t.Fatalf("SWAPDB: %v %v", r.val, r.err)
	}
	rdb.Do(ctx(), "SWAPDB", 0, 1)
	res = blockClients(t, ts, 1, blpop("cp"))
	rdb.RPush(ctx(), "orig", "copied")
	rdb.Copy(ctx(), "orig", "cp", 0, false)
	if r := <-res; fmt.Sprint(r.val) != "[cp copied]" {
		t.Fatalf("COPY: %v %v", r.val, r.err)
	}
	// chain: BLMOVE src -> mid, BLPOP mid
	mover := blockClients(t, ts, 1, func(rdb *redis.Client) ([]string, error) {
		v, err := rdb.BLMove(ctx(), "src", "mid", "LEFT", "RIGHT", 0).Result()
		return []string{v}, err
	})
	popper := blockClients(t, ts, 1, blpop("mid"))
	rdb.RPush(ctx(), "src", "chained")
	if r := <-mover; fmt.Sprint(r.val) != "[chained]" {
		t.Fatalf("BLMOVE: %v %v", r.val, r.err)
	}
	if r := <-popper; fmt.Sprint(r.val) != "[mid chained]" {
		t.Fatalf("BLPOP after BLMOVE: %v %v", r.val, r.err)
	}
	// a BLMOVE whose destination became another type gets WRONGTYPE; the
	// element stays
	mover = blockClients(t, ts, 1, func(rdb *redis.Client) ([]string, error) {
		v, err := rdb.BLMove(ctx(), "src", "str", "LEFT", "RIGHT", 0).Result()
		return []string{v}, err
	})
	rdb.Set(ctx(), "str", "x", 0)
	rdb.RPush(ctx(), "src", "stays")
	if r := <-mover; r.err == nil || !strings.HasPrefix(r.err.Error(), "WRONGTYPE") {
		t.Fatalf("BLMOVE to a string: %v %v", r.val, r.err)
	}
	if v := rdb.LRange(ctx(), "src", 0, -1).Val(); fmt.Sprint(v) != "[stays]" {
		t.Fatalf("src: %v", v)
	}
	// a key that became another type does not wake list waiters
	res = blockClients(t, ts, 1, blpop("h"))
	rdb.HSet(ctx(), "h", "f", "v")
	rdb.Del(ctx(), "h")
	rdb.RPush(ctx(), "h", "list-again")
	if r := <-res; fmt.Sprint(r.val) != "[h list-again]" {
		t.Fatalf("after a hash: %v %v", r.val, r.err)
	}
}

// Commands pipelined after a blocking one wait for it, then run in order.
func TestBlockingPipelineContinues(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	rc := ts.rawConn(t)
	rc.write(encodeCmd("SET", "before", "1") + encodeCmd("BLPOP", "q", "0") + encodeCmd("INCR", "before") + encodeCmd("PING"))
	if got := rc.read(); got != "+OK\r\n" {
		t.Fatalf("before: %q", got)
	}
	waitBlocked(t, ts, 1)
	if v := rdb.Get(ctx(), "before").Val(); v != "1" {
		t.Fatalf("the command after BLPOP ran: %q", v)
	}
	rdb.RPush(ctx(), "q", "v")
	for _, want := range []string{"*2\r\n$1\r\nq\r\n$1\r\nv\r\n", ":2\r\n", "+PONG\r\n"} {
		if got := rc.read(); got != want {
			t.Fatalf("got %q want %q", got, want)
		}
	}
	// RESP3 timeout reply
	rc.do("HELLO", "3")
	if got := rc.do("BLPOP", "q", "0.01"); got != "_\r\n" {
		t.Fatalf("RESP3 timeout: %q", got)
	}
}

// Many producers and consumers: every element is received exactly once.
func TestBlockingManyProducersConsumers(t *testing.T) {
	ts := startServer(t)
	const producers, consumers, per = 4, 12, 300
	var wg sync.WaitGroup
	got := make(chan string, producers*per)
	stop := make(chan struct{})
	for i := 0; i < consumers; i++ {
		rdb := ts.client(t, 2)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for {
				var v []string
				var err error
				switch i % 3 {
				case 0:
					v, err = rdb.BLPop(ctx(), 200*time.Millisecond, "q1", "q2").Result()
				case 1:
					v, err = rdb.BRPop(ctx(), 200*time.Millisecond, "q2", "q1").Result()
				default:
					var k string
					k, v, err = rdb.BLMPop(ctx(), 200*time.Millisecond, "left", 3, "q1", "q2").Result()
					v = append([]string{k}, v...)
				}
				if err == redis.Nil {
					select {
					case <-stop:
						return
					default:
						continue
					}
				}
				if err != nil {
					t.Error(err)
					return
				}
				for _, x := range v[1:] {
					got <- x
				}
			}
		}(i)
	}
	var pw sync.WaitGroup
	for p := 0; p < producers; p++ {
		rdb := ts.client(t, 2)
		pw.Add(1)
		go func(p int) {
			defer pw.Done()
			for i := 0; i < per; i++ {
				rdb.RPush(ctx(), "q"+strconv.Itoa(1+(i%2)), fmt.Sprintf("%d-%d", p, i))
			}
		}(p)
	}
	pw.Wait()
	var all []string
	for len(all) < producers*per {
		select {
		case x := <-got:
			all = append(all, x)
		case <-time.After(20 * time.Second):
			t.Fatalf("received %d of %d", len(all), producers*per)
		}
	}
	close(stop)
	wg.Wait()
	sort.Strings(all)
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			t.Fatalf("%s received twice", all[i])
		}
	}
}

// Under appendfsync always a served pop is acknowledged only once it is
// durable, blocking or not.
func TestBlockingPopDurableUnderAlways(t *testing.T) {
	ts, _ := startAlwaysServer(t, persistence.Options{})
	rdb := ts.client(t, 2)
	for i := 0; i < 30; i++ {
		res := blockClients(t, ts, 1, blpop("q"))
		rdb.RPush(ctx(), "q", "v")
		r := <-res
		if r.err != nil {
			t.Fatal(r.err)
		}
		if d, l := ts.cache.DurableLSN(), ts.cache.LastLSN(); d < l {
			t.Fatalf("pop acknowledged at durable LSN %d < last LSN %d", d, l)
		}
		rdb.RPush(ctx(), "q", "w")
		if v, err := rdb.LPop(ctx(), "q").Result(); v != "w" || err != nil {
			t.Fatal(v, err)
		}
		if d, l := ts.cache.DurableLSN(), ts.cache.LastLSN(); d < l {
			t.Fatalf("LPOP acknowledged at durable LSN %d < last LSN %d", d, l)
		}
	}
}

func TestBlockingTimeoutErrors(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	for arg, want := range map[string]string{
		"-1": "ERR timeout is negative", "abc": "ERR timeout is not a float or out of range",
		"inf": "ERR timeout is negative", "nan": "ERR timeout is not a float or out of range",
	} {
		err := rdb.Do(ctx(), "BLPOP", "q", arg).Err()
		if err == nil || err.Error() != want {
			t.Errorf("BLPOP q %s: %v, want %s", arg, err, want)
		}
	}
	if err := rdb.Do(ctx(), "BLPOP", "q", "0.01").Err(); !errors.Is(err, redis.Nil) {
		t.Fatal(err)
	}
}

// fakeRepl is a Replication that accepts any REPLICAOF.
type fakeRepl struct{}

func (fakeRepl) ReplicaOf(host, port string) (bool, error) { return true, nil }
func (fakeRepl) ServeReplica(conn net.Conn, id string, off int64, p int, caps []string) {
	conn.Close()
}
func (fakeRepl) Role() RoleInfo            { return RoleInfo{Master: true} }
func (fakeRepl) ForwardsPublish(bool) bool { return false }
func (fakeRepl) ServeRedisReplica(conn net.Conn, _ RedisReplicaRequest) {
	conn.Close()
}
func (fakeRepl) ForwardPublish(_, _ bool, _, _ []byte) {}

// Becoming a replica disconnects blocked clients with Redis's error (a
// replica's lists follow its primary: nobody may pop them).
func TestBlockedClientsDisconnectedOnReplicaOf(t *testing.T) {
	ts := startServerOpts(t, func(o *Options) { o.Replication = fakeRepl{} })
	rc := ts.rawConn(t)
	rc.write(encodeCmd("BLPOP", "q", "0") + encodeCmd("PING"))
	waitBlocked(t, ts, 1)
	if err := ts.client(t, 2).Do(ctx(), "REPLICAOF", "127.0.0.1", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if got := rc.read(); got != "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n" {
		t.Fatalf("blocked client got %q", got)
	}
	if got := rc.expectClosed(5 * time.Second); got != "" {
		t.Fatalf("after the error: %q", got)
	}
	waitBlocked(t, ts, 0)
}
