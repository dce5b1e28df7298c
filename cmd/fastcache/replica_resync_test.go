package main

import (
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Resynchronizations while the primary takes writes: a full resync (the
// snapshot is cut while writes go on, the stream starts at the offset the
// replica attached at) and a resume from the backlog after a broken link
// must each leave the replica with every acknowledged write, of every
// kind, once WAIT says it has them.

// linkProxy forwards loopback connections to target and can break them
// all at once (a network failure between a replica and its primary).
type linkProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

func startLinkProxy(t *testing.T, target string) *linkProxy {
	t.Helper()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	if err != nil {
		t.Fatal(err)
	}
	p := &linkProxy{ln: ln, target: target}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); io.Copy(u, c); u.Close() }()
			go func() { defer p.wg.Done(); io.Copy(c, u); c.Close() }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *linkProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// cut closes every forwarded connection.
func (p *linkProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// resyncModel is what the acknowledged writes of one writer left.
type resyncModel struct {
	strs   map[string]string
	hashes map[string]map[string]string
	ctrs   map[string]int64
}

// resyncWriter writes strings (SET, DEL, cross-shard MSET groups), hash
// fields, counters and HyperLogLogs to keys of its own, 16 commands per
// pipeline, until stop is closed; the model holds what every acknowledged
// pipeline did.
func resyncWriter(t *testing.T, rdb *redis.Client, w int, stop <-chan struct{}, acked *atomic.Int64) (*resyncModel, *sync.WaitGroup) {
	m := &resyncModel{strs: map[string]string{}, hashes: map[string]map[string]string{}, ctrs: map[string]int64{}}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 10_000_000; {
			select {
			case <-stop:
				return
			default:
			}
			pipe := rdb.Pipeline()
			type strW struct {
				k, v string
				del  bool
			}
			var sw []strW
			hw := map[[2]string]string{}
			cw := map[string]int64{}
			for j := 0; j < 16; j, i = j+1, i+1 {
				s := fmt.Sprintf("rs:%d:s%d", w, i%3000)
				switch i % 8 {
				case 0, 1:
					v := fmt.Sprintf("v%d", i)
					pipe.Set(ctx(), s, v, 0)
					sw = append(sw, strW{k: s, v: v})
				case 2:
					h, f, v := fmt.Sprintf("rs:%d:h%d", w, i%40), fmt.Sprintf("f%d", i%100), strconv.Itoa(i)
					pipe.HSet(ctx(), h, f, v)
					hw[[2]string{h, f}] = v
				case 3:
					c := fmt.Sprintf("rs:%d:c%d", w, i%10)
					pipe.IncrBy(ctx(), c, 3)
					cw[c] += 3
				case 4:
					pipe.PFAdd(ctx(), fmt.Sprintf("rs:%d:x%d", w, i%20), "e"+strconv.Itoa(i), "f"+strconv.Itoa(i))
				case 5: // a group over (most likely) two shards
					s2, v := fmt.Sprintf("rs:%d:s%d", w, (i*7+1)%3000), fmt.Sprintf("m%d", i)
					pipe.MSet(ctx(), s, v, s2, v)
					sw = append(sw, strW{k: s, v: v}, strW{k: s2, v: v})
				case 6:
					if i%48 == 6 {
						pipe.Del(ctx(), s)
						sw = append(sw, strW{k: s, del: true})
					} else {
						v := fmt.Sprintf("a%d", i)
						pipe.Set(ctx(), s, v, 0)
						sw = append(sw, strW{k: s, v: v})
					}
				case 7:
					h := fmt.Sprintf("rs:%d:h%d", w, i%40)
					pipe.HSet(ctx(), h, "last", strconv.Itoa(i))
					hw[[2]string{h, "last"}] = strconv.Itoa(i)
				}
			}
			if _, err := pipe.Exec(ctx()); err != nil {
				t.Errorf("writer %d: %v", w, err)
				return
			}
			for _, s := range sw {
				if s.del {
					delete(m.strs, s.k)
				} else {
					m.strs[s.k] = s.v
				}
			}
			for hf, v := range hw {
				if m.hashes[hf[0]] == nil {
					m.hashes[hf[0]] = map[string]string{}
				}
				m.hashes[hf[0]][hf[1]] = v
			}
			for c, n := range cw {
				m.ctrs[c] += n
			}
			acked.Add(16)
		}
	}()
	return m, &wg
}

// dumpPipelined reads every key of database 0 (strings, hashes) with its
// absolute expiry, pipelined: the preload is too large for a round trip
// per key.
func dumpPipelined(t *testing.T, rdb *redis.Client) map[string]string {
	t.Helper()
	out := map[string]string{}
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx(), cursor, "*", 2000).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) > 0 {
			pipe := rdb.Pipeline()
			types := make([]*redis.StatusCmd, len(keys))
			for i, k := range keys {
				types[i] = pipe.Type(ctx(), k)
			}
			if _, err := pipe.Exec(ctx()); err != nil {
				t.Fatal(err)
			}
			pipe = rdb.Pipeline()
			vals := make([]redis.Cmder, len(keys))
			exps := make([]*redis.Cmd, len(keys))
			for i, k := range keys {
				switch typ := types[i].Val(); typ {
				case "string":
					vals[i] = pipe.Get(ctx(), k)
				case "hash":
					vals[i] = pipe.HGetAll(ctx(), k)
				default:
					t.Fatalf("%s: unexpected type %q", k, typ)
				}
				exps[i] = pipe.Do(ctx(), "PEXPIRETIME", k)
			}
			if _, err := pipe.Exec(ctx()); err != nil {
				t.Fatal(err)
			}
			for i, k := range keys {
				var v string
				switch c := vals[i].(type) {
				case *redis.StringCmd:
					v = fmt.Sprintf("%x", c.Val())
				case *redis.MapStringStringCmd:
					var fs []string
					for f, fv := range c.Val() {
						fs = append(fs, f+"="+fv)
					}
					sort.Strings(fs)
					v = strings.Join(fs, ",")
				}
				out[k] = fmt.Sprintf("%d %s", exps[i].Val(), v)
			}
		}
		if cursor = next; cursor == 0 {
			return out
		}
	}
}

// TestReplicaResyncsUnderWrites: two writers keep writing to the primary
// while the replica is made to resynchronize again and again: three full
// resyncs (REPLICAOF NO ONE, then REPLICAOF: a new snapshot is cut while
// the writes go on) and three resumes from the backlog after the link is
// cut. After WAIT 1, every write acknowledged to the writers is on the
// replica, and both keyspaces are identical.
func TestReplicaResyncsUnderWrites(t *testing.T) {
	primary := startReady(t, t.TempDir())
	prdb := redis.NewClient(&redis.Options{Addr: primary.addr(), PoolSize: 8})
	defer prdb.Close()
	load(t, prdb, 50_000) // a snapshot that takes a while to cut and send
	proxy := startLinkProxy(t, primary.addr())
	replicaOf := []any{"REPLICAOF", "127.0.0.1", strconv.Itoa(proxy.port())}
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", proxy.port()))
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")

	stop := make(chan struct{})
	var acked atomic.Int64
	var models []*resyncModel
	var wgs []*sync.WaitGroup
	for w := 0; w < 2; w++ {
		m, wg := resyncWriter(t, prdb, w, stop, &acked)
		models, wgs = append(models, m), append(wgs, wg)
	}
	halt := func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		for _, wg := range wgs {
			wg.Wait()
		}
	}
	defer halt()
	// waitWrites waits until the writers acknowledged n more writes.
	waitWrites := func(n int64) {
		want := acked.Load() + n
		deadline := time.Now().Add(60 * time.Second)
		for acked.Load() < want {
			if time.Now().After(deadline) || t.Failed() {
				t.Fatalf("writers stalled at %d acknowledged writes", acked.Load())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitWrites(500)
	stats := func() (full, partial int64) {
		return infoInt(t, prdb, "stats", "sync_full"), infoInt(t, prdb, "stats", "sync_partial_ok")
	}
	full0, partial0 := stats()
	for round := 0; round < 6; round++ {
		before := acked.Load()
		if round%2 == 0 {
			if err := rrdb.Do(ctx(), "REPLICAOF", "NO", "ONE").Err(); err != nil {
				t.Fatal(err)
			}
			waitWrites(200) // the replica misses these: its resync must bring them
			if err := rrdb.Do(ctx(), replicaOf...).Err(); err != nil {
				t.Fatal(err)
			}
		} else {
			proxy.cut()
			waitWrites(200)
		}
		// the primary served the resync (a full one, or a resume), and the
		// replica streams again
		deadline := time.Now().Add(60 * time.Second)
		for {
			full, partial := stats()
			if full-full0 == int64(round/2+1) && partial-partial0 == int64((round+1)/2) &&
				infoField(t, rrdb, "replication", "master_link_status") == "up" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: sync_full grew by %d, sync_partial_ok by %d; replica:\n%s", round, full-full0, partial-partial0,
					rrdb.Info(ctx(), "replication").Val())
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Logf("round %d: %d writes acknowledged during the resync", round, acked.Load()-before)
		waitWrites(500) // and the stream after it
	}
	halt()
	if t.Failed() {
		return
	}
	replicaHasAll(t, prdb)

	if full, partial := stats(); full-full0 != 3 || partial-partial0 != 3 {
		t.Fatalf("sync_full grew by %d, sync_partial_ok by %d: want 3 full resyncs and 3 resumes", full-full0, partial-partial0)
	}
	// every acknowledged write, as the writers saw it
	var missing []string
	for _, m := range models {
		for k, v := range m.strs {
			if got, err := rrdb.Get(ctx(), k).Result(); err != nil || got != v {
				missing = append(missing, fmt.Sprintf("%s = %q %v, want %q", k, got, err, v))
			}
		}
		for h, fs := range m.hashes {
			got := rrdb.HGetAll(ctx(), h).Val()
			for f, v := range fs {
				if got[f] != v {
					missing = append(missing, fmt.Sprintf("%s %s = %q, want %q", h, f, got[f], v))
				}
			}
		}
		for c, n := range m.ctrs {
			if got, err := rrdb.Get(ctx(), c).Int64(); err != nil || got != n {
				missing = append(missing, fmt.Sprintf("%s = %d %v, want %d", c, got, err, n))
			}
		}
	}
	if len(missing) > 0 {
		if len(missing) > 20 {
			missing = append(missing[:20], fmt.Sprintf("... %d more", len(missing)-20))
		}
		t.Fatalf("the replica lacks acknowledged writes:\n%s", strings.Join(missing, "\n"))
	}
	// and everything else (the HyperLogLogs' bytes, the preload) as the primary has it
	want, got := dumpPipelined(t, prdb), dumpPipelined(t, rrdb)
	var diffs []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			diffs = append(diffs, k+" missing")
		} else if g != w {
			diffs = append(diffs, k+" differs")
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, k+" should not exist")
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		if len(diffs) > 20 {
			diffs = append(diffs[:20], fmt.Sprintf("... %d more", len(diffs)-20))
		}
		t.Fatalf("replica differs from the primary in %d keys:\n%s", len(diffs), strings.Join(diffs, "\n"))
	}
	t.Logf("%d keys identical after %d acknowledged writes", len(want), acked.Load())
}
