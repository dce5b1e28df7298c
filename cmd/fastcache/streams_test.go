package main

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Streams on the real binary: replay equivalence (WAL, snapshots, RENAME
// and COPY records), crashes under appendfsync always with producers and
// consumer groups, and replicas converging, group state included.

// dumpStreams is every stream's whole state (XINFO STREAM FULL: entries,
// counters, groups, PELs with delivery times and counts, consumers with
// their seen times) and absolute expiry.
func dumpStreams(t *testing.T, rdb *redis.Client) map[string]string {
	t.Helper()
	out := map[string]string{}
	var cursor uint64
	for {
		keys, next, err := rdb.ScanType(ctx(), cursor, "*", 1000, "stream").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			v, err := rdb.Do(ctx(), "XINFO", "STREAM", k, "FULL", "COUNT", "0").Result()
			if err != nil {
				t.Fatalf("XINFO STREAM %s: %v", k, err)
			}
			exp, _ := rdb.Do(ctx(), "PEXPIRETIME", k).Int64()
			out[k] = fmt.Sprintf("%v exp=%d", v, exp)
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	return out
}

func diffStreams(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	var problems []string
	for k, b := range before {
		a, ok := after[k]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s missing", k))
		case a != b:
			problems = append(problems, fmt.Sprintf("%s:\n  was %.1500s\n  now %.1500s", k, b, a))
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			problems = append(problems, fmt.Sprintf("%s appeared", k))
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		t.Fatalf("%s: %d streams differ:\n%s", what, len(problems), strings.Join(problems[:min(len(problems), 5)], "\n"))
	}
}

// streamWorkload runs n random stream commands (entries, trims, deletes,
// groups, deliveries, acks, claims, renames) over a few keys.
func streamWorkload(t *testing.T, rdb *redis.Client, n int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	keys := []string{"st:a", "st:b", "st:c", "st:d"}
	groups := []string{"g1", "g2"}
	cons := []string{"c1", "c2", "c3"}
	for i := 0; i < n; i++ {
		k := keys[r.IntN(len(keys))]
		g := groups[r.IntN(len(groups))]
		c := cons[r.IntN(len(cons))]
		var args []any
		switch x := r.IntN(100); {
		case x < 35:
			args = []any{"XADD", k}
			switch r.IntN(10) {
			case 0:
				args = append(args, "MAXLEN", "~", r.IntN(300))
			case 1:
				args = append(args, "MAXLEN", r.IntN(200))
			case 2:
				args = append(args, "MINID", "~", fmt.Sprint(time.Now().UnixMilli()-int64(r.IntN(50))))
			}
			args = append(args, "*", "f", r.IntN(1000), "g", strings.Repeat("v", r.IntN(40)))
			if r.IntN(3) == 0 {
				args = append(args, "h", "x")
			}
		case x < 40:
			args = []any{"XDEL", k, fmt.Sprintf("%d-0", time.Now().UnixMilli()-int64(r.IntN(30)))}
		case x < 42:
			args = []any{"XTRIM", k, "MAXLEN", r.IntN(100)}
		case x < 44:
			args = []any{"XGROUP", "CREATE", k, g, []string{"$", "0"}[r.IntN(2)], "MKSTREAM"}
		case x < 45:
			args = []any{"XGROUP", "SETID", k, g, "0"}
		case x < 46:
			args = []any{"XGROUP", "DELCONSUMER", k, g, c}
		case x < 47:
			args = []any{"XGROUP", "CREATECONSUMER", k, g, c}
		case x < 62:
			args = []any{"XREADGROUP", "GROUP", g, c, "COUNT", 1 + r.IntN(5)}
			if r.IntN(8) == 0 {
				args = append(args, "NOACK")
			}
			args = append(args, "STREAMS", k, []string{">", ">", "0"}[r.IntN(3)])
		case x < 75:
			res, err := rdb.Do(ctx(), "XPENDING", k, g, "-", "+", 5).Slice()
			if err != nil || len(res) == 0 {
				continue
			}
			args = []any{"XACK", k, g}
			for _, e := range res {
				if r.IntN(2) == 0 {
					args = append(args, e.([]any)[0])
				}
			}
			if len(args) == 3 {
				continue
			}
		case x < 82:
			res, err := rdb.Do(ctx(), "XPENDING", k, g, "-", "+", 3).Slice()
			if err != nil || len(res) == 0 {
				continue
			}
			args = []any{"XCLAIM", k, g, c, 0, res[r.IntN(len(res))].([]any)[0]}
			if r.IntN(2) == 0 {
				args = append(args, "RETRYCOUNT", r.IntN(9), "IDLE", r.IntN(100000))
			}
		case x < 86:
			args = []any{"XAUTOCLAIM", k, g, c, 0, "0", "COUNT", 1 + r.IntN(4)}
		case x < 87:
			args = []any{"XSETID", k, fmt.Sprintf("%d-0", time.Now().UnixMilli()+int64(r.IntN(5)))}
		case x < 88:
			args = []any{"RENAME", k, keys[r.IntN(len(keys))]}
		case x < 89:
			args = []any{"COPY", k, keys[r.IntN(len(keys))], "REPLACE"}
		case x < 90:
			args = []any{"PEXPIRE", k, 3600000 + r.IntN(1000)}
		case x < 91:
			args = []any{"DEL", k}
		default:
			args = []any{"XREADGROUP", "GROUP", g, c, "STREAMS", k, ">"}
		}
		if err := rdb.Do(ctx(), args...).Err(); err != nil && err != redis.Nil && !isExpectedStreamErr(err) {
			t.Fatalf("%v: %v", args, err)
		}
	}
}

func isExpectedStreamErr(err error) bool {
	s := err.Error()
	for _, p := range []string{"NOGROUP", "BUSYGROUP", "ERR no such key", "ERR The XGROUP subcommand requires", "ERR The ID specified in XSETID", "ERR The ID specified in XADD", "ERR source and destination"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// TestStreamsReplayEquivalence: after random stream work with snapshots in
// between, a clean restart and a kill -9 under appendfsync always each give
// back exactly the same streams: entries, node layout, counters, groups,
// pending entries (with delivery times and counts) and consumers.
func TestStreamsReplayEquivalence(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--wal-segment-size", "64kb", "--appendfsync", "always")
	rdb := p.client()
	streamWorkload(t, rdb, 1500, 1)
	if err := rdb.BgSave(ctx()).Err(); err != nil {
		t.Fatal(err)
	}
	waitSaved(t, p, 1)
	streamWorkload(t, rdb, 1500, 2)
	before := dumpStreams(t, rdb)
	if len(before) == 0 {
		t.Fatal("no streams")
	}
	p.stop()
	p2 := startReady(t, dir, "--appendfsync", "always")
	rdb2 := p2.client()
	diffStreams(t, "clean restart", before, dumpStreams(t, rdb2))
	streamWorkload(t, rdb2, 1500, 3)
	before = dumpStreams(t, rdb2)
	p2.kill()
	p3 := startReady(t, dir)
	diffStreams(t, "restart after kill -9", before, dumpStreams(t, p3.client()))
}

// TestStreamsReplicaConverges: a replica that syncs while producers and
// consumer groups work ends up with the same streams, groups and PELs.
func TestStreamsReplicaConverges(t *testing.T) {
	primary := startReady(t, t.TempDir())
	prdb := primary.client()
	streamWorkload(t, prdb, 1000, 11)
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	streamWorkload(t, prdb, 2000, 12)
	replicaHasAll(t, prdb)
	diffStreams(t, "replica", dumpStreams(t, prdb), dumpStreams(t, rrdb))

	// A client blocked in XREAD on the replica is served by the primary's XADD.
	got := make(chan []redis.XStream, 1)
	go func() {
		res, _ := rrdb.XRead(ctx(), &redis.XReadArgs{Streams: []string{"st:a", "$"}, Block: 0}).Result()
		got <- res
	}()
	waitFor := time.Now().Add(10 * time.Second)
	for infoField(t, rrdb, "clients", "blocked_clients") != "1" {
		if time.Now().After(waitFor) {
			t.Fatal("XREAD did not block on the replica")
		}
		time.Sleep(10 * time.Millisecond)
	}
	id, err := prdb.XAdd(ctx(), &redis.XAddArgs{Stream: "st:a", Values: []any{"late", "1"}}).Result()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-got:
		if len(res) != 1 || len(res[0].Messages) != 1 || res[0].Messages[0].ID != id {
			t.Fatalf("blocked XREAD on the replica got %v, want %s", res, id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("blocked XREAD on the replica was not served by the primary's XADD")
	}
}

// streamCrashModel is what producers and consumers were told by the server.
type streamCrashModel struct {
	mu        sync.Mutex
	added     map[string]string // acknowledged XADD: id -> payload
	delivered map[string]string // id -> consumer (XREADGROUP reply received)
	ackSent   map[string]bool   // XACK sent (maybe applied)
	acked     map[string]bool   // XACK acknowledged
	maxID     string            // the largest ID any reply showed
}

func parseStreamID(s string) (ms, seq uint64) {
	a, b, _ := strings.Cut(s, "-")
	ms, _ = strconv.ParseUint(a, 10, 64)
	seq, _ = strconv.ParseUint(b, 10, 64)
	return
}

func idLess(a, b string) bool {
	am, as := parseStreamID(a)
	bm, bs := parseStreamID(b)
	return am < bm || (am == bm && as < bs)
}

func (m *streamCrashModel) see(id string) {
	if m.maxID == "" || idLess(m.maxID, id) {
		m.maxID = id
	}
}

// TestStreamsCrashAlways: producers XADD and consumers XREADGROUP + XACK
// under appendfsync always while the server is killed with -9 at random
// moments. After each restart: every acknowledged XADD is in the stream,
// every delivered and unacknowledged entry is in its consumer's PEL, no
// acknowledged entry is pending again, nothing delivered is delivered as
// new again, and new auto IDs are greater than every ID seen before.
func TestStreamsCrashAlways(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	m := &streamCrashModel{added: map[string]string{}, delivered: map[string]string{}, ackSent: map[string]bool{}, acked: map[string]bool{}}
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	for round := 0; round < rounds; round++ {
		p := startOn(t, port, dir, "--appendfsync", "always")
		p.waitReady(60 * time.Second)
		rdb := p.client()
		if round == 0 {
			if err := rdb.XGroupCreateMkStream(ctx(), "jobs", "g", "0").Err(); err != nil {
				t.Fatal(err)
			}
		} else {
			m.verify(t, rdb)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 3; w++ {
			wg.Add(2)
			go func(w int) { // producer
				defer wg.Done()
				for seq := 0; ; seq++ {
					select {
					case <-stop:
						return
					default:
					}
					payload := fmt.Sprintf("r%d-p%d-%d", round, w, seq)
					id, err := rdb.XAdd(ctx(), &redis.XAddArgs{Stream: "jobs", Values: []any{"job", payload}}).Result()
					if err != nil {
						return
					}
					m.mu.Lock()
					m.added[id] = payload
					m.see(id)
					m.mu.Unlock()
				}
			}(w)
			go func(w int) { // consumer
				defer wg.Done()
				name := fmt.Sprintf("c%d", w)
				r := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				for {
					select {
					case <-stop:
						return
					default:
					}
					block := time.Duration(-1) // half the reads block: a delivery to a blocked consumer is durable too
					if r.IntN(2) == 0 {
						block = 20 * time.Millisecond
					}
					res, err := rdb.XReadGroup(ctx(), &redis.XReadGroupArgs{Group: "g", Consumer: name, Streams: []string{"jobs", ">"}, Count: 5, Block: block}).Result()
					if err != nil && err != redis.Nil {
						return
					}
					var ids []string
					m.mu.Lock()
					for _, s := range res {
						for _, msg := range s.Messages {
							m.delivered[msg.ID] = name
							m.see(msg.ID)
							if r.IntN(10) < 7 {
								ids = append(ids, msg.ID)
								m.ackSent[msg.ID] = true
							}
						}
					}
					m.mu.Unlock()
					if len(ids) == 0 {
						continue
					}
					n, err := rdb.XAck(ctx(), "jobs", "g", ids...).Result()
					if err != nil {
						return
					}
					if int(n) != len(ids) {
						t.Errorf("XACK of %d delivered entries acknowledged %d", len(ids), n)
					}
					m.mu.Lock()
					for _, id := range ids {
						m.acked[id] = true
					}
					m.mu.Unlock()
				}
			}(w)
		}
		time.Sleep(time.Duration(300+rand.IntN(1200)) * time.Millisecond)
		p.kill()
		close(stop)
		wg.Wait()
		m.mu.Lock()
		t.Logf("round %d: %d added, %d delivered, %d acked so far", round, len(m.added), len(m.delivered), len(m.acked))
		m.mu.Unlock()
	}
	p := startOn(t, port, dir)
	p.waitReady(60 * time.Second)
	m.verify(t, p.client())
}

func (m *streamCrashModel) verify(t *testing.T, rdb *redis.Client) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	entries, err := rdb.XRange(ctx(), "jobs", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]string{}
	for _, e := range entries {
		have[e.ID], _ = e.Values["job"].(string)
	}
	for id, payload := range m.added {
		if have[id] != payload {
			t.Fatalf("acknowledged XADD %s (%s) is not in the stream after the crash (got %q)", id, payload, have[id])
		}
	}
	pending := map[string]string{}
	res, err := rdb.XPendingExt(ctx(), &redis.XPendingExtArgs{Stream: "jobs", Group: "g", Start: "-", End: "+", Count: 1 << 30}).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res {
		pending[p.ID] = p.Consumer
	}
	for id, c := range m.delivered {
		switch {
		case m.acked[id]:
			if _, ok := pending[id]; ok {
				t.Fatalf("%s was acknowledged (XACK) but is pending again after the crash", id)
			}
		case !m.ackSent[id]:
			if pending[id] != c {
				t.Fatalf("%s was delivered to %s and not acknowledged, but after the crash its pending owner is %q", id, c, pending[id])
			}
		}
	}
	groups, err := rdb.XInfoGroups(ctx(), "jobs").Result()
	if err != nil || len(groups) != 1 {
		t.Fatalf("XINFO GROUPS: %v %v", groups, err)
	}
	for id := range m.delivered {
		if idLess(groups[0].LastDeliveredID, id) {
			t.Fatalf("group's last delivered ID %s is before delivered entry %s: it would be delivered as new again", groups[0].LastDeliveredID, id)
		}
	}
	nid, err := rdb.XAdd(ctx(), &redis.XAddArgs{Stream: "jobs", Values: []any{"job", "probe"}}).Result()
	if err != nil {
		t.Fatal(err)
	}
	if m.maxID != "" && !idLess(m.maxID, nid) {
		t.Fatalf("new auto ID %s is not after %s, the largest ID before the crash", nid, m.maxID)
	}
	m.added[nid] = "probe"
	m.see(nid)
}
