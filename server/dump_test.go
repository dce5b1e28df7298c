package server

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RESTORE of a list or sorted set into place wakes the clients blocked
// on the key (issue 18), as a push does.
func TestRestoreWakesBlockedClients(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	rdb.RPush(ctx(), "src:l", "a", "b")
	rdb.ZAdd(ctx(), "src:z", redis.Z{Score: 1, Member: "m1"}, redis.Z{Score: 2, Member: "m2"})
	pl := rdb.Dump(ctx(), "src:l").Val()
	pz := rdb.Dump(ctx(), "src:z").Val()

	res := blockClients(t, ts, 2, blpop("q"))
	if err := rdb.Restore(ctx(), "q", 0, pl).Err(); err != nil {
		t.Fatal(err)
	}
	got := map[int]string{}
	for i := 0; i < 2; i++ {
		r := <-res
		if r.err != nil {
			t.Fatal(r.err)
		}
		got[r.who] = r.val[1]
	}
	if got[0] != "a" || got[1] != "b" {
		t.Fatalf("BLPOP woken by RESTORE got %v", got)
	}

	zres := blockClients(t, ts, 1, func(c *redis.Client) ([]string, error) {
		z, err := c.BZPopMin(ctx(), 0, "zq").Result()
		if err != nil {
			return nil, err
		}
		return []string{z.Key, z.Member.(string), strconv.FormatFloat(z.Score, 'g', -1, 64)}, nil
	})
	if err := rdb.RestoreReplace(ctx(), "zq", 0, pz).Err(); err != nil {
		t.Fatal(err)
	}
	r := <-zres
	if r.err != nil || strings.Join(r.val, " ") != "zq m1 1" {
		t.Fatalf("BZPOPMIN woken by RESTORE: %v %v", r.val, r.err)
	}
	if v := rdb.ZRange(ctx(), "zq", 0, -1).Val(); len(v) != 1 || v[0] != "m2" {
		t.Fatalf("zq after pop: %v", v)
	}
}

func TestRestoreTTLAndNotify(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	rdb.ConfigSet(ctx(), "notify-keyspace-events", "KEg")
	sub := ts.client(t, 2).PSubscribe(ctx(), "__keyevent@0__:*")
	defer sub.Close()
	if _, err := sub.Receive(ctx()); err != nil {
		t.Fatal(err)
	}
	rdb.Set(ctx(), "s", "v", 0)
	p := rdb.Dump(ctx(), "s").Val()
	if err := rdb.Restore(ctx(), "r", 5*time.Second, p).Err(); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.ReceiveMessage(ctx())
	if err != nil || msg.Channel != "__keyevent@0__:restore" || msg.Payload != "r" {
		t.Fatalf("event %v %v", msg, err)
	}
	if ttl := rdb.PTTL(ctx(), "r").Val(); ttl <= 0 || ttl > 5*time.Second {
		t.Fatalf("pttl %v", ttl)
	}
}

// MIGRATE between two servers: the key moves (or is copied), REPLACE
// overwrites, KEYS moves several, NOKEY when none exists, and the
// target's BUSYKEY comes back.
func TestMigrate(t *testing.T) {
	a, b := startServer(t), startServer(t)
	ra, rb := a.client(t, 2), b.client(t, 2)
	host, port := "127.0.0.1", b.addr[strings.LastIndexByte(b.addr, ':')+1:]
	ra.RPush(ctx(), "l", "1", "2", "3")
	ra.HSet(ctx(), "h", "f", "v")
	ra.Set(ctx(), "s", "str", time.Hour)
	mig := func(args ...any) (string, error) {
		return ra.Do(ctx(), append([]any{"migrate", host, port}, args...)...).Text()
	}
	if r, err := mig("l", 0, 1000); r != "OK" || err != nil {
		t.Fatalf("migrate l: %q %v", r, err)
	}
	if ra.Exists(ctx(), "l").Val() != 0 || strings.Join(rb.LRange(ctx(), "l", 0, -1).Val(), ",") != "1,2,3" {
		t.Fatal("l not moved")
	}
	if r, err := mig("h", 3, 1000, "COPY"); r != "OK" || err != nil {
		t.Fatalf("migrate h copy: %q %v", r, err)
	}
	if ra.Exists(ctx(), "h").Val() != 1 {
		t.Fatal("h not kept")
	}
	rb3 := redis.NewClient(&redis.Options{Addr: b.addr, DB: 3})
	defer rb3.Close()
	if rb3.HGet(ctx(), "h", "f").Val() != "v" {
		t.Fatal("h not copied to db 3")
	}
	_, err := mig("h", 3, 1000, "COPY")
	if err == nil || err.Error() != "ERR Target instance replied with error: BUSYKEY Target key name already exists." {
		t.Fatalf("busykey: %v", err)
	}
	ra.HSet(ctx(), "h", "f", "v2")
	if r, err := mig("h", 3, 1000, "REPLACE"); r != "OK" || err != nil {
		t.Fatalf("replace: %q %v", r, err)
	}
	if rb3.HGet(ctx(), "h", "f").Val() != "v2" || ra.Exists(ctx(), "h").Val() != 0 {
		t.Fatal("h not replaced/moved")
	}
	ra.Set(ctx(), "k1", "a", 0)
	ra.Set(ctx(), "k2", "b", 0)
	if r, err := mig("", 0, 1000, "KEYS", "k1", "missing", "k2", "s"); r != "OK" || err != nil {
		t.Fatalf("keys: %q %v", r, err)
	}
	if rb.Get(ctx(), "k1").Val() != "a" || rb.Get(ctx(), "k2").Val() != "b" || ra.Exists(ctx(), "k1", "k2", "s").Val() != 0 {
		t.Fatalf("KEYS not moved: %q %q %d", rb.Get(ctx(), "k1").Val(), rb.Get(ctx(), "k2").Val(), ra.Exists(ctx(), "k1", "k2", "s").Val())
	}
	if ttl := rb.PTTL(ctx(), "s").Val(); ttl <= 59*time.Minute {
		t.Fatalf("s ttl %v", ttl)
	}
	if r, err := mig("nothing", 0, 1000); r != "NOKEY" || err != nil {
		t.Fatalf("nokey: %q %v", r, err)
	}
	// a target that is not there
	ra.Set(ctx(), "x", "1", 0)
	if _, err := ra.Do(ctx(), "migrate", "127.0.0.1", "1", "x", 0, 200).Result(); err == nil || !strings.HasPrefix(err.Error(), "IOERR") {
		t.Fatalf("unreachable target: %v", err)
	}
}

// MIGRATE from this server into redis-server.
func TestMigrateToRedis(t *testing.T) {
	addr := diffRedisServer(t)
	red := redis.NewClient(&redis.Options{Addr: addr})
	defer red.Close()
	fc := startServer(t).client(t, 2)
	fc.ZAdd(ctx(), "z", redis.Z{Score: 1.5, Member: "a"}, redis.Z{Score: -2, Member: "b"})
	fc.SAdd(ctx(), "set", "1", "2", "x")
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	if r, err := fc.Do(ctx(), "migrate", "127.0.0.1", port, "", 0, 1000, "KEYS", "z", "set").Text(); r != "OK" || err != nil {
		t.Fatalf("%q %v", r, err)
	}
	if z := red.ZRangeWithScores(ctx(), "z", 0, -1).Val(); len(z) != 2 || z[0].Member != "b" || z[1].Score != 1.5 {
		t.Fatalf("z on redis: %v", z)
	}
	if n := red.SCard(ctx(), "set").Val(); n != 3 {
		t.Fatalf("set on redis: %d", n)
	}
	fc.Set(ctx(), "z", "again", 0)
	_, err := fc.Do(ctx(), "migrate", "127.0.0.1", port, "z", 0, 1000, "COPY").Result()
	if err == nil || err.Error() != "ERR Target instance replied with error: BUSYKEY Target key name already exists." {
		t.Fatalf("busykey from redis: %v", err)
	}
}

// TestRestoreIdleTime: RESTORE ... IDLETIME n gives a key OBJECT IDLETIME
// n (plus the seconds since), also when n is longer than the server has
// been up (the LRU clock counts from the start and wraps modulo 2^24).
func TestRestoreIdleTime(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	rdb.Set(ctx(), "src", "v", 0)
	payload := rdb.Dump(ctx(), "src").Val()
	for _, idle := range []int64{0, 5, 1000, 86400 * 30} {
		key := "k" + strconv.FormatInt(idle, 10)
		if err := rdb.Do(ctx(), "RESTORE", key, "0", payload, "IDLETIME", idle).Err(); err != nil {
			t.Fatal(err)
		}
		got, err := rdb.ObjectIdleTime(ctx(), key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if s := int64(got.Seconds()); s < idle || s > idle+10 {
			t.Errorf("IDLETIME %d: OBJECT IDLETIME %d", idle, s)
		}
	}
}

// TestMigrateCachedSocketsDiff: MIGRATE keeps its connection to a target,
// as Redis's: INFO migrate_cached_sockets counts it, MIGRATEs to the same
// target connect once and send SELECT only when the database changes, a
// connection the target closed is replaced without an error (one retry),
// and the socket is closed 10 s after its last use. Compared with a
// redis-server migrating to a redis-server.
func TestMigrateCachedSocketsDiff(t *testing.T) {
	run := func(src, dst string) []string {
		s := redis.NewClient(&redis.Options{Addr: src})
		defer s.Close()
		d := redis.NewClient(&redis.Options{Addr: dst, PoolSize: 1})
		defer d.Close()
		port := dst[strings.LastIndexByte(dst, ':')+1:]
		field := func(c *redis.Client, section, name string) string {
			for _, l := range strings.Split(c.Info(ctx(), section).Val(), "\r\n") {
				if v, ok := strings.CutPrefix(l, name+":"); ok {
					return v
				}
			}
			return "(none)"
		}
		selects := func() string {
			v := field(d, "commandstats", "cmdstat_select")
			if calls, _, ok := strings.Cut(v, ","); ok {
				return calls
			}
			return v
		}
		var out []string
		conns0 := 0
		note := func(step string) {
			n, _ := strconv.Atoi(field(d, "stats", "total_connections_received"))
			out = append(out, fmt.Sprintf("%s: cached %s, target connections +%d, SELECT %s", step,
				field(s, "stats", "migrate_cached_sockets"), n-conns0, selects()))
		}
		if err := d.ConfigResetStat(ctx()).Err(); err != nil {
			t.Fatal(err)
		}
		conns0, _ = strconv.Atoi(field(d, "stats", "total_connections_received"))
		for _, k := range []string{"k1", "k2", "k3", "k4"} {
			s.Set(ctx(), k, "v", 0)
		}
		mig := func(key string, db int) {
			if r, err := s.Do(ctx(), "MIGRATE", "127.0.0.1", port, key, db, 5000).Text(); r != "OK" || err != nil {
				t.Fatalf("MIGRATE %s %d: %q %v", key, db, r, err)
			}
		}
		mig("k1", 0)
		note("first")
		mig("k2", 0)
		note("same db")
		mig("k3", 1)
		note("other db")
		if err := d.Do(ctx(), "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes").Err(); err != nil {
			t.Fatal(err)
		}
		mig("k4", 1)
		note("after the target closed it")
		deadline := time.Now().Add(30 * time.Second)
		for field(s, "stats", "migrate_cached_sockets") != "0" && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
		}
		out = append(out, "idle: cached "+field(s, "stats", "migrate_cached_sockets"))
		return out
	}
	want := run(diffRedisServer(t), diffRedisServer(t))
	got := run(startServer(t).addr, startServer(t).addr)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("fastcache:\n%s\nredis-server:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
