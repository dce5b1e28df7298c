package server

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Blocking stream reads: XREAD BLOCK and XREADGROUP BLOCK with several
// go-redis clients, and the blocked replies compared byte for byte with
// redis-server's.

// blockedClients polls INFO clients until n clients are blocked.
func waitBlockedDiff(t *testing.T, dc *diffConn, n int) {
	t.Helper()
	want := fmt.Sprintf("blocked_clients:%d\r\n", n)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := dc.do([]string{"INFO", "clients"})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never %d blocked clients: %q", n, r)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRedisDiffStreamsBlocking: a client blocks, another acts, and the
// blocked client's reply must be the same bytes from both servers.
func TestRedisDiffStreamsBlocking(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	type scenario struct {
		name  string
		setup [][]string
		block []string
		act   [][]string
	}
	scenarios := []scenario{
		{"xread-woken-by-xadd", [][]string{{"XADD", "s", "1-1", "a", "1"}},
			[]string{"XREAD", "BLOCK", "0", "STREAMS", "s", "other", "$", "0"},
			[][]string{{"XADD", "s", "2-1", "b", "2"}}},
		{"xread-two-streams", [][]string{{"XADD", "s", "1-1", "a", "1"}},
			[]string{"XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "t", "s", "0", "$"},
			[][]string{{"XADD", "t", "5-1", "b", "2"}}},
		{"xread-new-stream", nil,
			[]string{"XREAD", "BLOCK", "0", "STREAMS", "s", "$"},
			[][]string{{"XADD", "s", "3-1", "c", "3"}}},
		{"xread-woken-by-exec", [][]string{{"XADD", "s", "1-1", "a", "1"}},
			[]string{"XREAD", "BLOCK", "0", "STREAMS", "s", "$"},
			[][]string{{"MULTI"}, {"XADD", "s", "2-1", "b", "2"}, {"XADD", "s", "2-2", "b", "3"}, {"EXEC"}}},
		{"xread-added-then-deleted", [][]string{{"XADD", "s", "1-1", "a", "1"}},
			[]string{"XREAD", "BLOCK", "0", "STREAMS", "s", "$"},
			[][]string{{"MULTI"}, {"XADD", "s", "2-1", "b", "2"}, {"XDEL", "s", "2-1"}, {"EXEC"}}},
		{"xreadgroup-woken", [][]string{{"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}},
			[]string{"XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">"},
			[][]string{{"XADD", "s", "2-1", "b", "2"}, {"XPENDING", "s", "g"}}},
		{"xreadgroup-noack-count", [][]string{{"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}},
			[]string{"XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "BLOCK", "0", "NOACK", "STREAMS", "s", ">"},
			[][]string{{"MULTI"}, {"XADD", "s", "2-1", "b", "2"}, {"XADD", "s", "2-2", "b", "3"}, {"EXEC"}, {"XPENDING", "s", "g"}, {"XINFO", "GROUPS", "s"}}},
		{"xreadgroup-del", [][]string{{"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}},
			[]string{"XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">"},
			[][]string{{"DEL", "s"}}},
		{"xreadgroup-set", [][]string{{"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}},
			[]string{"XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">"},
			[][]string{{"SET", "s", "x"}}},
		{"xreadgroup-flushall", [][]string{{"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}},
			[]string{"XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">"},
			[][]string{{"FLUSHALL"}}},
		{"xreadgroup-destroy", [][]string{{"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}},
			[]string{"XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">"},
			[][]string{{"XGROUP", "DESTROY", "s", "g"}}},
		{"xread-timeout", [][]string{{"XADD", "s", "1-1", "a", "1"}},
			[]string{"XREAD", "BLOCK", "50", "STREAMS", "s", "$"}, nil},
		{"xreadgroup-timeout", [][]string{{"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}},
			[]string{"XREADGROUP", "GROUP", "g", "c1", "BLOCK", "50", "STREAMS", "s", ">"}, nil},
		// a last ID past the one asked for but no entry past it: block
		// (a timeout), never an empty [key, []] (issue #5299)
		{"xread-ran-dry-timeout", [][]string{{"XADD", "s", "666", "f", "v"}, {"XADD", "s", "667", "f", "v"}, {"XDEL", "s", "667"}},
			[]string{"XREAD", "BLOCK", "20", "STREAMS", "s", "666"}, nil},
		{"xread-ran-dry-woken", [][]string{{"XADD", "s", "666", "f", "v"}, {"XDEL", "s", "666"}},
			[]string{"XREAD", "BLOCK", "0", "STREAMS", "s", "665"},
			[][]string{{"XADD", "s", "666", "k", "v"}, {"XADD", "s", "667", "k", "v"}}},
		{"xreadgroup-ran-dry-timeout", [][]string{{"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}, {"XADD", "s", "666", "f", "v"},
			{"XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"}, {"XADD", "s", "667", "f", "v"}, {"XDEL", "s", "667"}},
			[]string{"XREADGROUP", "GROUP", "g", "c1", "BLOCK", "20", "STREAMS", "s", ">"}, nil},
		{"xreadgroup-ran-dry-woken", [][]string{{"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}, {"XADD", "s", "666", "f", "v"}, {"XDEL", "s", "666"}},
			[]string{"XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">"},
			[][]string{{"XADD", "s", "667", "k", "v"}}},
	}
	for _, proto := range []int{2, 3} {
		for _, sc := range scenarios {
			t.Run(fmt.Sprintf("%s/resp%d", sc.name, proto), func(t *testing.T) {
				var got [2][]string
				for i, addr := range []string{redisAddr, fc.addr} {
					blocker, actor := diffDial(t, addr), diffDial(t, addr)
					if proto == 3 {
						blocker.do([]string{"HELLO", "3"})
						actor.do([]string{"HELLO", "3"})
					}
					actor.do([]string{"FLUSHALL"})
					for _, c := range sc.setup {
						actor.do(c)
					}
					blocker.conn.SetDeadline(time.Now().Add(10 * time.Second))
					if _, err := blocker.conn.Write(diffEncode(sc.block)); err != nil {
						t.Fatal(err)
					}
					if sc.act != nil {
						waitBlockedDiff(t, actor, 1)
					}
					for _, c := range sc.act {
						r, err := actor.do(c)
						if err != nil {
							t.Fatal(err)
						}
						got[i] = append(got[i], r)
					}
					r, err := diffReadReply(blocker.br)
					if err != nil {
						t.Fatalf("blocked reply: %v (%q)", err, r)
					}
					got[i] = append(got[i], "blocked: "+r)
					r, _ = actor.do([]string{"XINFO", "GROUPS", "s"})
					got[i] = append(got[i], streamTimes(r))
					waitBlockedDiff(t, actor, 0)
				}
				if strings.Join(got[0], "|") != strings.Join(got[1], "|") {
					t.Errorf("\n  redis:     %q\n  fastcache: %q", got[0], got[1])
				}
			})
		}
	}
}

// TestXReadGroupBlockedConsumers: several go-redis consumers block on one
// group; each XADD serves one of them (first blocked, first served), with
// a pending entry for it, and XREAD clients blocked meanwhile all see
// every entry.
func TestXReadGroupBlockedConsumers(t *testing.T) {
	ts := startServer(t)
	admin := ts.client(t, 3)
	if err := admin.XGroupCreateMkStream(ctx(), "jobs", "g", "$").Err(); err != nil {
		t.Fatal(err)
	}
	const consumers, readers = 4, 3
	type got struct {
		who string
		ids []string
	}
	results := make(chan got, consumers+readers)
	var wg sync.WaitGroup
	for i := 0; i < consumers; i++ {
		rdb := ts.client(t, 2+i%2)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := fmt.Sprintf("c%d", i)
			res, err := rdb.XReadGroup(ctx(), &redis.XReadGroupArgs{Group: "g", Consumer: name, Streams: []string{"jobs", ">"}, Block: 0}).Result()
			if err != nil {
				t.Errorf("%s: %v", name, err)
				return
			}
			var ids []string
			for _, m := range res[0].Messages {
				ids = append(ids, m.ID)
			}
			results <- got{name, ids}
		}(i)
	}
	for i := 0; i < readers; i++ {
		rdb := ts.client(t, 2+i%2)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var ids []string
			last := "$"
			for len(ids) < consumers {
				res, err := rdb.XRead(ctx(), &redis.XReadArgs{Streams: []string{"jobs", last}, Block: 0}).Result()
				if err != nil {
					t.Errorf("reader %d: %v", i, err)
					return
				}
				for _, m := range res[0].Messages {
					ids = append(ids, m.ID)
					last = m.ID
				}
			}
			results <- got{fmt.Sprintf("r%d", i), ids}
		}(i)
	}
	waitFor(t, 10*time.Second, "all clients blocked", func() bool {
		return ts.srv.blk.count.Load() == consumers+readers
	})
	var added []string
	for i := 0; i < consumers; i++ {
		id, err := admin.XAdd(ctx(), &redis.XAddArgs{Stream: "jobs", Values: []any{"n", i}}).Result()
		if err != nil {
			t.Fatal(err)
		}
		added = append(added, id)
		// the next XADD only once this one is served (each consumer gets one)
		waitFor(t, 10*time.Second, "a consumer served", func() bool {
			n, _ := admin.XPending(ctx(), "jobs", "g").Result()
			return n != nil && n.Count == int64(i+1)
		})
	}
	wg.Wait()
	close(results)
	owners := map[string]string{}
	for r := range results {
		if strings.HasPrefix(r.who, "r") {
			if strings.Join(r.ids, ",") != strings.Join(added, ",") {
				t.Errorf("XREAD client %s saw %v, want %v", r.who, r.ids, added)
			}
			continue
		}
		if len(r.ids) != 1 {
			t.Errorf("consumer %s got %v, want one entry", r.who, r.ids)
			continue
		}
		owners[r.ids[0]] = r.who
	}
	pend, err := admin.XPendingExt(ctx(), &redis.XPendingExtArgs{Stream: "jobs", Group: "g", Start: "-", End: "+", Count: 100}).Result()
	if err != nil || len(pend) != consumers {
		t.Fatalf("XPENDING: %v %v", pend, err)
	}
	seen := map[string]bool{}
	for _, p := range pend {
		if owners[p.ID] != p.Consumer || seen[p.Consumer] {
			t.Errorf("pending %s owned by %s; delivered to %s", p.ID, p.Consumer, owners[p.ID])
		}
		seen[p.Consumer] = true
	}
	if n := ts.srv.blk.count.Load(); n != 0 {
		t.Fatalf("%d clients still blocked", n)
	}
}

// TestXReadBlockInMulti: inside MULTI a blocking read answers at once, as
// with a timeout.
func TestXReadBlockInMulti(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	rc.do("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
	rc.do("MULTI")
	rc.do("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	rc.do("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
	if got := rc.do("EXEC"); got != "*2\r\n*-1\r\n*-1\r\n" {
		t.Fatalf("EXEC: %q", got)
	}
}

// TestRedisDiffBlockedErrorStats: a blocked command served with an error
// (XGROUP DESTROY under a blocked XREADGROUP, CLIENT UNBLOCK ERROR) counts
// in errorstats, total_error_replies and the command's failed_calls, as
// with redis-server.
func TestRedisDiffBlockedErrorStats(t *testing.T) {
	redisAddr := diffRedisServer(t)
	fc := startServer(t)
	stats := func(dc *diffConn) string {
		var out []string
		for _, sec := range []string{"errorstats", "commandstats", "stats"} {
			r, _ := dc.do([]string{"INFO", sec})
			for _, l := range strings.Split(r, "\r\n") {
				switch {
				case strings.HasPrefix(l, "errorstat_"), strings.HasPrefix(l, "total_error_replies:"):
					out = append(out, l)
				case strings.HasPrefix(l, "cmdstat_xreadgroup:"), strings.HasPrefix(l, "cmdstat_blpop:"):
					out = append(out, l[:strings.Index(l, ",")]+l[strings.Index(l, ",rejected"):])
				}
			}
		}
		sort.Strings(out) // (Redis lists commandstats in its dict's order)
		return strings.Join(out, " ")
	}
	var got [2]string
	for i, addr := range []string{redisAddr, fc.addr} {
		blocker, actor := diffDial(t, addr), diffDial(t, addr)
		actor.do([]string{"FLUSHALL"})
		actor.do([]string{"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"})
		actor.do([]string{"CONFIG", "RESETSTAT"})
		id, _ := blocker.do([]string{"CLIENT", "ID"})
		blocker.conn.SetDeadline(time.Now().Add(10 * time.Second))
		blocker.conn.Write(diffEncode([]string{"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"}))
		waitBlockedDiff(t, actor, 1)
		actor.do([]string{"XGROUP", "DESTROY", "s", "g"})
		r1, _ := diffReadReply(blocker.br)
		blocker.conn.Write(diffEncode([]string{"BLPOP", "l", "0"}))
		waitBlockedDiff(t, actor, 1)
		actor.do([]string{"CLIENT", "UNBLOCK", strings.TrimSpace(strings.TrimPrefix(id, ":")), "ERROR"})
		r2, _ := diffReadReply(blocker.br)
		got[i] = r1 + r2 + stats(actor)
	}
	if got[0] != got[1] {
		t.Errorf("\n  redis:     %q\n  fastcache: %q", got[0], got[1])
	}
}
