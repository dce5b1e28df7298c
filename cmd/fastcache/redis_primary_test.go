package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestFollowRedisPrimary: fastcache (the binary) as a replica of a real
// redis-server, the way a running Redis dataset moves to fastcache. A
// dataset of every type goes over in the primary's RDB file (diskless,
// EOF-marked, and from disk, with its length), then random writes of every
// family run on the primary while it streams them: commands Redis
// propagates as they are and those it rewrites (SPOP as SREM, INCRBYFLOAT
// as SET KEEPTTL, EXPIRE and SET EX as absolute times, scripts and
// XREADGROUP as their effects, MULTI/EXEC). The link is cut twice (a
// partial resynchronization continues it from the primary's backlog) and
// the replica is killed with kill -9 and restarted (a full
// resynchronization). After each phase fastcache's dataset, taken as an
// RDB file, loaded into a fresh redis-server, equals that of a redis-server
// replica of the same primary key by key (DEBUG DIGEST-VALUE) and whole
// (DEBUG DIGEST), and the stream groups are the same.
func TestFollowRedisPrimary(t *testing.T) {
	for _, diskless := range []string{"yes", "no"} {
		t.Run("repl-diskless-sync="+diskless, func(t *testing.T) { followRedisPrimary(t, diskless) })
	}
}

func followRedisPrimary(t *testing.T, diskless string) {
	paddr := startRedisServer(t, "--save", "", "--appendonly", "no", "--enable-debug-command", "yes",
		"--repl-diskless-sync", diskless, "--repl-diskless-sync-delay", "0", "--dir", t.TempDir())
	prim := redis.NewClient(&redis.Options{Addr: paddr, MaxRetries: -1, PoolSize: 8})
	defer prim.Close()
	host, port, _ := strings.Cut(paddr, ":")
	rng := rand.New(rand.NewPCG(11, uint64(time.Now().UnixNano())))
	w := &primaryLoad{rng: rng, c: prim, t: t}
	w.run(1500) // the dataset the RDB file carries
	if err := prim.Do(ctx(), "FUNCTION", "LOAD", "REPLACE", "#!lua name=plib\nredis.register_function('pset', function(keys, args) return redis.call('SET', keys[1], args[1]) end)").Err(); err != nil {
		t.Fatal(err)
	}

	// The reference: a redis-server replica of the same primary. (Not the
	// primary itself: Redis does not propagate everything it changes, e.g.
	// a PFADD that fails on a corrupted HyperLogLog after changing a
	// register keeps the change on the primary and sends nothing; its
	// replicas, fastcache's as Redis's, do not have it.)
	ref := redis.NewClient(&redis.Options{Addr: startRedisServer(t, "--save", "", "--appendonly", "no", "--enable-debug-command", "yes",
		"--dir", t.TempDir(), "--replicaof", host, port), MaxRetries: -1})
	defer ref.Close()
	dir := t.TempDir()
	p := startReady(t, dir, "--appendonly", "yes", "--enable-debug-command", "yes", "--replicaof", host, port)
	fc := p.client()
	// writes go on while the file is made and loaded
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w2 := &primaryLoad{rng: rand.New(rand.NewPCG(12, uint64(time.Now().UnixNano()))), c: prim, t: t, prefix: "b:"}
		w2.run(1500)
	}()
	waitFor(t, "the replica's link", func() bool { return strings.Contains(fc.Info(ctx(), "replication").Val(), "master_link_status:up") })
	wg.Wait()
	w.run(1500)
	sameDataset(t, prim, ref, p, "after the full resynchronization")
	if got, _ := fc.Set(ctx(), "x", "1", 0).Result(); got == "OK" {
		t.Fatal("a write of the replica's own client was taken")
	}
	if v := prim.Do(ctx(), "FCALL", "pset", 1, "viafunction", "v").Err(); v != nil {
		t.Fatal(v)
	}

	// Cut the links twice (both replicas'): the streams continue from the
	// primary's backlog.
	stat := func(name string) int {
		n, _ := strconv.Atoi(infoField(t, prim, "stats", name))
		return n
	}
	full0, partial0 := stat("sync_full"), stat("sync_partial_ok")
	for i := range 2 {
		if err := prim.Do(ctx(), "CLIENT", "KILL", "TYPE", "replica").Err(); err != nil {
			t.Fatal(err)
		}
		w.run(500)
		waitFor(t, "a partial resynchronization", func() bool { return stat("sync_partial_ok") == partial0+2*(i+1) })
	}
	if full := stat("sync_full"); full != full0 {
		t.Fatalf("sync_full %d after the link was cut (%d before): a full resynchronization instead of a partial one", full, full0)
	}
	w.run(500)
	sameDataset(t, prim, ref, p, "after two partial resynchronizations")

	// A fastcache replica of this replica (fastcache's own protocol) gets
	// what the redis-server primary's commands did here.
	sub := startReady(t, t.TempDir(), "--appendonly", "yes", "--enable-debug-command", "yes", "--replicaof", "127.0.0.1", strconv.Itoa(p.port))
	sc := sub.client()
	want, err := fc.Do(ctx(), "DEBUG", "DIGEST").Text()
	if err != nil || want == strings.Repeat("0", 40) {
		t.Fatalf("DEBUG DIGEST of the replica: %q %v", want, err)
	}
	waitFor(t, "the replica's replica", func() bool { got, _ := sc.Do(ctx(), "DEBUG", "DIGEST").Text(); return got == want })
	// The primary's PUBLISH reaches the subscribers of the replica and of
	// its replica, as it reaches a Redis replica's and their replicas'.
	for _, c := range []*redis.Client{fc, sc} {
		ps := c.Subscribe(ctx(), "news")
		if _, err := ps.Receive(ctx()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "a message of the primary", func() bool {
			prim.Publish(ctx(), "news", "hello")
			m, err := ps.ReceiveTimeout(ctx(), 200*time.Millisecond)
			msg, ok := m.(*redis.Message)
			return err == nil && ok && msg.Payload == "hello"
		})
		ps.Close()
	}
	sub.kill()

	// A clean stop (SIGTERM): the restart continues from the primary's
	// backlog, as a Redis replica does from its RDB file, in the database
	// the stream was in (the primary does not select it again).
	indb2 := redis.NewClient(&redis.Options{Addr: paddr, DB: 2, MaxRetries: -1})
	defer indb2.Close()
	w.run(300)
	indb2.Set(ctx(), "resume:before", "1", 0)
	if n, _ := prim.Do(ctx(), "WAIT", 2, 10000).Int(); n != 2 {
		t.Fatal("the replicas do not acknowledge")
	}
	partial1 := stat("sync_partial_ok")
	p.stop()
	indb2.Set(ctx(), "resume:after", "2", 0) // no SELECT before it in the stream
	w.run(300)
	p = startReady(t, dir, "--appendonly", "yes", "--enable-debug-command", "yes", "--replicaof", host, port)
	waitFor(t, "a partial resynchronization after a clean restart", func() bool { return stat("sync_partial_ok") == partial1+1 })
	if full := stat("sync_full"); full != full0 {
		t.Fatalf("sync_full %d after a clean restart (%d before): a full resynchronization instead of a partial one", full, full0)
	}
	w.run(300)
	sameDataset(t, prim, ref, p, "after a clean restart")

	// kill -9 the replica; it restarts on its own data, then resynchronizes.
	p.kill()
	w.run(500)
	p = startReady(t, dir, "--appendonly", "yes", "--replicaof", host, port)
	waitFor(t, "a second full resynchronization", func() bool { return stat("sync_full") == full0+1 })
	w.run(500)
	sameDataset(t, prim, ref, p, "after kill -9 and a restart")
}

// sameDataset waits until the replica has what the primary wrote (WAIT),
// then compares the datasets.
func sameDataset(t *testing.T, prim, ref *redis.Client, p *proc, when string) {
	t.Helper()
	fc := p.client()
	if n, err := prim.Do(ctx(), "WAIT", 2, 10000).Int(); err != nil || n != 2 {
		t.Fatalf("%s: WAIT 2 answered %d %v: the replicas do not acknowledge", when, n, err)
	}
	// The replica's offset reaches the primary's (the primary may send a
	// PING meanwhile, every repl-ping-replica-period: past it is fine), and
	// is never ahead of the primary's at the time.
	offset := func(c *redis.Client, field string) int64 {
		n, err := strconv.ParseInt(infoField(t, c, "replication", field), 10, 64)
		if err != nil {
			t.Fatalf("%s: INFO replication %s: %v", when, field, err)
		}
		return n
	}
	po := offset(prim, "master_repl_offset")
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := offset(fc, "slave_repl_offset")
		if now := offset(prim, "master_repl_offset"); got > now {
			t.Fatalf("%s: the replica's offset %d is ahead of the primary's %d", when, got, now)
		}
		if got >= po {
			break
		}
		if time.Now().After(deadline) {
			p.cmd.Process.Signal(syscall.SIGQUIT)
			time.Sleep(time.Second)
			t.Fatalf("%s: the replica's offset %d, the primary's %d\n%s", when, got, po, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for offset(ref, "slave_repl_offset") < po { // (acknowledged: applied next)
		if time.Now().After(deadline) {
			t.Fatalf("%s: the redis-server replica's offset stays behind %d", when, po)
		}
		time.Sleep(20 * time.Millisecond)
	}
	loaded := loadedCopy(t, p)
	defer loaded.Close()
	compareDatasets(t, ref, loaded, when)
}

// loadedCopy is a fresh redis-server that loaded fastcache's dataset (an
// RDB file taken with SYNC), for comparing it with DEBUG DIGEST.
func loadedCopy(t *testing.T, p *proc) *redis.Client {
	t.Helper()
	ldir := t.TempDir()
	file, _ := syncFileAs(t, p.addr(), true) // (repl-diskless-sync no: a bulk of known length)
	if err := os.WriteFile(filepath.Join(ldir, "dump.rdb"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	return redis.NewClient(&redis.Options{Addr: startRedisServer(t, "--dir", ldir, "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"), MaxRetries: -1})
}

// compareDatasets compares two redis-servers' datasets (want: the
// reference) in databases 0-3: the keys, each value (DEBUG DIGEST-VALUE),
// the whole (DEBUG DIGEST), stream groups and pending entries, and the
// function library of the loads.
func compareDatasets(t *testing.T, prim, loaded *redis.Client, when string) {
	t.Helper()
	for db := range 4 {
		want, got := keysOf(t, prim, db), keysOf(t, loaded, db)
		if strings.Join(want, ",") != strings.Join(got, ",") {
			t.Fatalf("%s: db %d: the replica holds keys\n%v\nthe primary\n%v", when, db, got, want)
		}
		for _, k := range want {
			if rv, lv := digestValue(t, prim, db, k), digestValue(t, loaded, db, k); rv != lv {
				t.Errorf("%s: db %d key %q (%s): DEBUG DIGEST-VALUE %s on the replica, %s on the primary", when, db, k, inDB(t, prim, db, "TYPE", k), lv, rv)
				if typ := inDB(t, prim, db, "TYPE", k); strings.HasPrefix(typ, "string") {
					t.Logf("primary: %q pttl %s; replica: %q pttl %s", inDB(t, prim, db, "GET", k), inDB(t, prim, db, "PTTL", k),
						inDB(t, loaded, db, "GET", k), inDB(t, loaded, db, "PTTL", k))
				}
			}
			if typ := inDB(t, prim, db, "TYPE", k); strings.HasPrefix(typ, "stream") {
				// XINFO GROUPS but entries-read and lag: Redis 7.0
				// propagates XREADGROUP as XCLAIMs, which do not carry the
				// group's entries-read (a replica of redis-server 7.0 has
				// the same difference from its primary).
				if a, b := groupsOf(t, prim, db, k), groupsOf(t, loaded, db, k); a != b {
					t.Errorf("%s: db %d XINFO GROUPS %s: %s on the replica, %s on the primary", when, db, k, b, a)
				}
				for _, q := range [][]any{{"XPENDING", k, "g1"}, {"XINFO", "STREAM", k}} {
					if a, b := inDB(t, prim, db, q...), inDB(t, loaded, db, q...); a != b {
						t.Errorf("%s: db %d %v: %s on the replica, %s on the primary", when, db, q, b, a)
					}
				}
			}
		}
	}
	pd, _ := prim.Do(ctx(), "DEBUG", "DIGEST").Text()
	ld, _ := loaded.Do(ctx(), "DEBUG", "DIGEST").Text()
	if pd != ld {
		t.Errorf("%s: DEBUG DIGEST of the replica's data %s, of the primary %s", when, ld, pd)
	}
	if lib := fmt.Sprint(loaded.Do(ctx(), "FUNCTION", "LIST").Val()); !strings.Contains(lib, "plib") {
		t.Errorf("%s: the replica has not the primary's function library: %s", when, lib)
	}
}

// groupsOf is XINFO GROUPS of key without entries-read and lag.
func groupsOf(t *testing.T, c *redis.Client, db int, key string) string {
	t.Helper()
	pipe := c.Pipeline()
	pipe.Do(ctx(), "SELECT", db)
	r := pipe.XInfoGroups(ctx(), key)
	pipe.Exec(ctx())
	var out []string
	for _, g := range r.Val() {
		out = append(out, fmt.Sprintf("%s consumers %d pending %d last-delivered-id %s", g.Name, g.Consumers, g.Pending, g.LastDeliveredID))
		// the pending entries, but their idle times (the primary's XCLAIM
		// gives each its delivery time; idle is that to the clock now)
		pipe := c.Pipeline()
		pipe.Do(ctx(), "SELECT", db)
		pe := pipe.XPendingExt(ctx(), &redis.XPendingExtArgs{Stream: key, Group: g.Name, Start: "-", End: "+", Count: 100000})
		pipe.Exec(ctx())
		for _, e := range pe.Val() {
			out = append(out, fmt.Sprintf("%s %s %d", e.ID, e.Consumer, e.RetryCount))
		}
	}
	return fmt.Sprint(out, r.Err())
}

// primaryLoad writes random commands of every family to a redis-server,
// in the four databases 0-3.
type primaryLoad struct {
	t      *testing.T
	rng    *rand.Rand
	c      *redis.Client
	prefix string // of the keys (two loads at once write apart)
	n      int
}

func (w *primaryLoad) run(ops int) {
	pipe := w.c.Pipeline()
	for range ops {
		w.n++
		pipe.Do(ctx(), "SELECT", w.rng.IntN(4))
		if w.rng.IntN(40) == 0 {
			// a transaction
			pipe.Do(ctx(), "MULTI")
			for range 1 + w.rng.IntN(4) {
				pipe.Do(ctx(), w.op()...)
			}
			pipe.Do(ctx(), "EXEC")
		} else {
			pipe.Do(ctx(), w.op()...)
		}
		if w.n%100 == 0 {
			pipe.Exec(ctx()) // WRONGTYPE and the like: as Redis answers them
		}
	}
	pipe.Exec(ctx())
}

func (w *primaryLoad) op() []any {
	r := w.rng
	fam := r.IntN(7)
	key := fmt.Sprintf("%s%s%d", w.prefix, []string{"s", "h", "l", "set", "z", "x", "m"}[fam], r.IntN(10))
	val := func() string {
		switch r.IntN(3) {
		case 0:
			return strconv.Itoa(r.IntN(2000) - 1000)
		case 1:
			return strings.Repeat("v", 1+r.IntN(90))
		}
		return fmt.Sprint("m", r.IntN(300))
	}
	at := time.Now().Add(2*time.Hour).UnixMilli() + int64(r.IntN(100000))
	switch fam {
	case 0: // strings
		switch r.IntN(9) {
		case 0:
			return []any{"SET", key, val()}
		case 1:
			return []any{"SET", key, val(), "EX", 3600 + r.IntN(1000)} // propagated as PXAT
		case 2:
			return []any{"INCRBYFLOAT", key, "1.5"} // as SET KEEPTTL
		case 3:
			return []any{"APPEND", key, val()}
		case 4:
			return []any{"SETRANGE", key, r.IntN(20), val()}
		case 5:
			return []any{"GETEX", key, "EX", 5000} // as PEXPIREAT
		case 6:
			return []any{"SETBIT", key, r.IntN(200), 1}
		case 7:
			return []any{"PFADD", key, val(), val()}
		}
		return []any{"EVAL", "redis.call('INCRBY', KEYS[1], ARGV[1]) return redis.call('SET', KEYS[2], ARGV[1])", 2, key, key + "e", r.IntN(9)}
	case 1: // hashes
		switch r.IntN(5) {
		case 0, 1:
			args := []any{"HSET", key}
			for range 1 + r.IntN(40) {
				args = append(args, fmt.Sprint("f", r.IntN(200)), val())
			}
			return args
		case 2:
			return []any{"HDEL", key, fmt.Sprint("f", r.IntN(200))}
		case 3:
			return []any{"HINCRBYFLOAT", key, "n", "0.25"}
		}
		return []any{"HINCRBY", key, "c", r.IntN(10)}
	case 2: // lists
		switch r.IntN(6) {
		case 0, 1:
			args := []any{[]string{"LPUSH", "RPUSH"}[r.IntN(2)], key}
			for range 1 + r.IntN(60) {
				args = append(args, val())
			}
			return args
		case 2:
			return []any{"LPOP", key, 1 + r.IntN(10)}
		case 3:
			return []any{"LMOVE", key, fmt.Sprintf("%sl%d", w.prefix, r.IntN(10)), "LEFT", "RIGHT"}
		case 4:
			return []any{"LTRIM", key, 0, 100}
		}
		return []any{"BLMOVE", key, key, "RIGHT", "LEFT", "0.01"} // as LMOVE (or nothing)
	case 3: // sets
		switch r.IntN(5) {
		case 0, 1:
			args := []any{"SADD", key}
			for range 1 + r.IntN(60) {
				if r.IntN(3) == 0 {
					args = append(args, val())
				} else {
					args = append(args, r.IntN(600))
				}
			}
			return args
		case 2:
			return []any{"SPOP", key, 1 + r.IntN(3)} // as SREM of what it popped
		case 3:
			return []any{"SMOVE", key, fmt.Sprintf("%sset%d", w.prefix, r.IntN(10)), r.IntN(600)}
		}
		return []any{"SUNIONSTORE", key, key, fmt.Sprintf("%sset%d", w.prefix, r.IntN(10))}
	case 4: // sorted sets
		switch r.IntN(5) {
		case 0, 1:
			args := []any{"ZADD", key}
			for range 1 + r.IntN(50) {
				args = append(args, float64(r.IntN(1000))/8, val())
			}
			return args
		case 2:
			return []any{"ZINCRBY", key, 2.5, val()}
		case 3:
			return []any{"ZPOPMIN", key, 1 + r.IntN(3)}
		}
		return []any{"ZREMRANGEBYSCORE", key, 0, r.IntN(20)}
	case 5: // streams and groups
		switch r.IntN(6) {
		case 0, 1:
			return []any{"XADD", key, "MAXLEN", "~", 300, "*", "f", val()}
		case 2:
			return []any{"XGROUP", "CREATE", key, "g1", "0", "MKSTREAM"}
		case 3:
			return []any{"XREADGROUP", "GROUP", "g1", fmt.Sprint("c", r.IntN(3)), "COUNT", 1 + r.IntN(5), "STREAMS", key, ">"} // as XCLAIMs
		case 4:
			return []any{"XAUTOCLAIM", key, "g1", "c9", 0, "0-0", "COUNT", 2}
		}
		return []any{"XTRIM", key, "MAXLEN", 100}
	}
	// keys of any family
	other := fmt.Sprintf("%s%s%d", w.prefix, []string{"s", "h", "l", "set", "z", "x"}[r.IntN(6)], r.IntN(10))
	switch r.IntN(9) {
	case 0:
		return []any{"EXPIRE", other, 3600 + r.IntN(100)} // as PEXPIREAT
	case 1:
		return []any{"PEXPIREAT", other, at}
	case 2:
		return []any{"PERSIST", other}
	case 3:
		return []any{"DEL", other}
	case 4:
		return []any{"RENAME", other, key}
	case 5:
		return []any{"COPY", other, key, "DB", r.IntN(4), "REPLACE"}
	case 6:
		return []any{"MOVE", other, r.IntN(4)}
	case 7:
		if r.IntN(20) == 0 {
			return []any{"SWAPDB", r.IntN(4), r.IntN(4)}
		}
		return []any{"UNLINK", other}
	}
	return []any{"SORT", fmt.Sprintf("%sl%d", w.prefix, r.IntN(10)), "ALPHA", "LIMIT", 0, 20, "STORE", key}
}

// TestFollowRedisPrimaryExpiry: as a replica of redis-server, a key that
// expired is missing to the replica's clients, but stays until the primary
// deletes it (its DEL comes when it expires the key there), as Redis's
// replicas keep it: a command of the primary that ran before the key
// expired there finds it here too.
func TestFollowRedisPrimaryExpiry(t *testing.T) {
	paddr := startRedisServer(t, "--save", "", "--appendonly", "no", "--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0")
	// one connection: WAIT waits for that connection's own writes
	prim := redis.NewClient(&redis.Options{Addr: paddr, MaxRetries: -1, PoolSize: 1})
	defer prim.Close()
	host, port, _ := strings.Cut(paddr, ":")
	p := startReady(t, t.TempDir(), "--replicaof", host, port)
	fc := p.client()
	waitFor(t, "the replica's link", func() bool { return strings.Contains(fc.Info(ctx(), "replication").Val(), "master_link_status:up") })
	if err := prim.Do(ctx(), "DEBUG", "SET-ACTIVE-EXPIRE", 0).Err(); err != nil { // the primary expires on access only
		t.Fatal(err)
	}
	prim.Set(ctx(), "short", "v", time.Second)
	prim.Set(ctx(), "kept", "v", 0)
	if n, _ := prim.Do(ctx(), "WAIT", 1, 5000).Int(); n != 1 {
		t.Fatal("the replica does not acknowledge")
	}
	if v, err := fc.Get(ctx(), "short").Result(); v != "v" {
		t.Fatalf("GET short on the replica before it expired: %q %v\n%s", v, err, p.out.String())
	}
	time.Sleep(1500 * time.Millisecond) // and several active expiry cycles
	if err := fc.Get(ctx(), "short").Err(); err != redis.Nil {
		t.Fatalf("GET of an expired key on the replica: %v, want nil", err)
	}
	if n := fc.Exists(ctx(), "short").Val(); n != 0 {
		t.Fatalf("EXISTS of an expired key on the replica: %d", n)
	}
	if n := fc.DBSize(ctx()).Val(); n != 2 {
		t.Fatalf("DBSIZE on the replica %d, want 2: the replica deleted an expired key itself", n)
	}
	prim.Get(ctx(), "short") // the primary expires it and sends its DEL
	if n, _ := prim.Do(ctx(), "WAIT", 1, 5000).Int(); n != 1 {
		t.Fatal("the replica does not acknowledge")
	}
	waitFor(t, "the primary's DEL", func() bool { return fc.DBSize(ctx()).Val() == 1 })
	// REPLICAOF NO ONE: a primary again, whose keys expire by themselves
	if err := fc.Do(ctx(), "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	fc.Set(ctx(), "mine", "v", 100*time.Millisecond)
	waitFor(t, "the active expiry of a primary again", func() bool { return fc.DBSize(ctx()).Val() == 1 })
}
