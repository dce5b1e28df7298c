package server

import (
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

// BZPOPMIN, BZPOPMAX and BZMPOP: their non-blocking paths, errors and
// RESP3 replies against redis-server, and their blocking with several real
// clients (the machinery is blocking.go's; blocking_test.go tests it
// through the list commands).

func TestRedisDiffZSetBlocking(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	now := []diffStep{
		c("ZADD", "z1", "1", "a", "2", "b", "3", "c"), c("ZADD", "z2", "-inf", "m", "inf", "n"),
		c("BZPOPMIN", "nokey", "z1", "z2", "0"), c("BZPOPMAX", "nokey", "z2", "z1", "0"), c("BZPOPMAX", "z2", "1.5"),
		c("BZPOPMIN", "nokey", "0.01"), c("BZPOPMAX", "nokey", "0.01"),
		c("BZMPOP", "0", "2", "nokey", "z1", "MAX", "COUNT", "5"), c("BZMPOP", "0.01", "1", "nokey", "MIN"),
		c("ZADD", "z3", "1.5", "x", "2.5", "y", "1e300", "zz"), c("BZMPOP", "0", "1", "z3", "min"),
		c("BZMPOP", "0", "1", "z3", "max", "count", "1"), c("EXISTS", "z3"), c("BZPOPMIN", "z3", "0"), c("EXISTS", "z3"),
		c("BZMPOP", "0", "0", "nokey", "MIN"), c("BZMPOP", "x", "1", "nokey", "MIN"), c("BZMPOP", "-1", "1", "nokey", "MIN"),
		c("BZMPOP", "0", "1", "nokey", "MIN", "COUNT", "0"), c("BZMPOP", "0", "1", "nokey", "MIN", "COUNT", "-1"),
		c("BZMPOP", "0", "2", "nokey", "MIN"), c("BZMPOP", "0", "1", "nokey", "UP"), c("BZMPOP", "0", "1", "nokey", "MIN", "COUNT"),
		c("BZMPOP", "0", "1", "nokey", "MIN", "COUNT", "1", "COUNT", "2"), c("BZMPOP", "0", "1", "nokey", "MIN", "FOO"),
		c("BZMPOP", "0", "99999999999", "nokey", "MIN"), c("BZMPOP", "0", "-1", "k", "MIN"),
		c("BZPOPMIN", "k", "-1"), c("BZPOPMIN", "k", "x"), c("BZPOPMIN", "k", "nan"), c("BZPOPMIN", "k", "inf"),
		c("BZPOPMAX", "k", "1e400"), c("BZPOPMIN", "k"), c("BZPOPMIN"), c("BZMPOP", "0", "1", "k"), c("BZMPOP", "0"),
		c("SET", "s", "v"), c("BZPOPMIN", "s", "0"), c("BZPOPMAX", "nokey", "s", "0"), c("BZMPOP", "0", "2", "nokey", "s", "MIN"),
		c("ZADD", "z4", "1", "a"), c("BZPOPMIN", "z4", "s", "0"), c("ZADD", "z4", "1", "a"), c("BZMPOP", "0", "2", "z4", "s", "MIN"),
		// inside MULTI the blocking forms answer at once
		c("MULTI"), c("BZPOPMIN", "nokey", "0"), c("BZPOPMAX", "nokey", "1"), c("BZMPOP", "0", "1", "nokey", "MIN"),
		c("ZADD", "nokey", "5", "v"), c("BZPOPMAX", "nokey", "0"), c("EXEC"),
		// scripts answer at once too
		c("EVAL", "return redis.call('BZPOPMIN', KEYS[1], 0)", "1", "nokey"),
		c("EVAL", "redis.call('ZADD', KEYS[1], 3, 'q'); return redis.call('BZMPOP', 0, 1, KEYS[1], 'MAX')", "1", "nokey"),
	}
	resp3 := []diffStep{
		c("HELLO", "3").with(diffHello),
		c("ZADD", "r3", "1", "a", "2", "b", "3.25", "c"),
		c("BZPOPMIN", "r3", "0"), c("BZPOPMAX", "r3", "0"), c("BZMPOP", "0", "1", "r3", "MIN", "COUNT", "3"),
		c("BZPOPMIN", "nokey", "0.01"), c("BZMPOP", "0.01", "1", "nokey", "MAX"),
		c("MULTI"), c("BZPOPMIN", "nokey", "0"), c("BZMPOP", "0", "1", "nokey", "MIN"), c("EXEC"),
	}
	runDiffScripts(t, []diffScript{{"zset-blocking-now", now}, {"zset-blocking-resp3", resp3}})
}

func bzpop(max bool, keys ...string) func(rdb *redis.Client) ([]string, error) {
	return func(rdb *redis.Client) ([]string, error) {
		var z *redis.ZWithKey
		var err error
		if max {
			z, err = rdb.BZPopMax(ctx(), 0, keys...).Result()
		} else {
			z, err = rdb.BZPopMin(ctx(), 0, keys...).Result()
		}
		if err != nil {
			return nil, err
		}
		return []string{z.Key, fmt.Sprint(z.Member), fmt.Sprint(z.Score)}, nil
	}
}

// Waiters are served first blocked, first served, by ZADD from another
// client, by a MULTI/EXEC that adds, and by a sorted set renamed into place;
// the pops are gone from the set.
func TestBlockingZPop(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	res := blockClients(t, ts, 3, bzpop(false, "z", "other"))
	rdb.ZAdd(ctx(), "z", redis.Z{Score: 3, Member: "c"}, redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"})
	got := map[int]string{}
	for i := 0; i < 3; i++ {
		r := <-res
		if r.err != nil {
			t.Fatal(r.err)
		}
		got[r.who] = fmt.Sprint(r.val)
	}
	if fmt.Sprint(got) != "map[0:[z a 1] 1:[z b 2] 2:[z c 3]]" {
		t.Fatalf("wake order: %v", got)
	}
	if rdb.Exists(ctx(), "z").Val() != 0 {
		t.Fatalf("z left behind")
	}

	// BZPOPMAX woken at the end of a MULTI/EXEC, which sees its whole effect
	res = blockClients(t, ts, 1, bzpop(true, "z"))
	pipe := rdb.TxPipeline()
	pipe.ZAdd(ctx(), "z", redis.Z{Score: 1, Member: "lo"})
	pipe.ZAdd(ctx(), "z", redis.Z{Score: 9, Member: "hi"})
	if _, err := pipe.Exec(ctx()); err != nil {
		t.Fatal(err)
	}
	if r := <-res; r.err != nil || fmt.Sprint(r.val) != "[z hi 9]" {
		t.Fatalf("BZPOPMAX after EXEC: %v %v", r.val, r.err)
	}
	if m := rdb.ZRange(ctx(), "z", 0, -1).Val(); fmt.Sprint(m) != "[lo]" {
		t.Fatalf("z after the pop: %v", m)
	}

	// BZMPOP with COUNT, woken by a RENAME into place
	out := make(chan string, 1)
	c2 := ts.client(t, 2)
	go func() {
		k, zs, err := c2.BZMPop(ctx(), 0, "max", 10, "dst").Result()
		out <- fmt.Sprint(k, " ", zs, " ", err)
	}()
	waitBlocked(t, ts, 1)
	rdb.ZAdd(ctx(), "src", redis.Z{Score: 1, Member: "x"}, redis.Z{Score: 2, Member: "y"})
	rdb.Rename(ctx(), "src", "dst")
	if got := <-out; got != "dst [{2 y} {1 x}] <nil>" {
		t.Fatalf("BZMPOP after RENAME: %s", got)
	}

	// a timeout answers nil, and a key of another type is an error at once
	if err := rdb.BZPopMin(ctx(), 0.05e9, "none").Err(); err != redis.Nil {
		t.Fatalf("BZPOPMIN timeout: %v", err)
	}
	if _, _, err := rdb.BZMPop(ctx(), 0.05e9, "min", 1, "none").Result(); err != redis.Nil {
		t.Fatalf("BZMPOP timeout: %v", err)
	}
	rdb.RPush(ctx(), "l", "v")
	if err := rdb.BZPopMin(ctx(), 0, "l").Err(); err == nil || err.Error() != "WRONGTYPE Operation against a key holding the wrong kind of value" {
		t.Fatalf("BZPOPMIN on a list: %v", err)
	}
	waitBlocked(t, ts, 0)
}

// A client blocked in BZPOPMIN and one in BLPOP on the same key name: a
// list pushed there serves the BLPOP; the BZPOPMIN keeps waiting until a
// sorted set appears there (Redis serves a waiter only from its own type).
func TestBlockingZPopAndListOnOneKey(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	zres := blockClients(t, ts, 1, bzpop(false, "k"))
	lres := blockClients(t, ts, 1, blpop("k"))
	rdb.RPush(ctx(), "k", "e")
	if r := <-lres; r.err != nil || fmt.Sprint(r.val) != "[k e]" {
		t.Fatalf("BLPOP: %v %v", r.val, r.err)
	}
	waitBlocked(t, ts, 1)
	rdb.ZAdd(ctx(), "k", redis.Z{Score: 4, Member: "m"})
	if r := <-zres; r.err != nil || fmt.Sprint(r.val) != "[k m 4]" {
		t.Fatalf("BZPOPMIN: %v %v", r.val, r.err)
	}
}

// The same with the waiters the other way round: BLPOP first, then
// BZPOPMIN; a sorted set at the key serves the second waiter.
func TestBlockingListAndZPopOnOneKey(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t, 2)
	lres := blockClients(t, ts, 1, blpop("k"))
	zres := blockClients(t, ts, 1, bzpop(false, "k"))
	rdb.ZAdd(ctx(), "k", redis.Z{Score: 4, Member: "m"})
	if r := <-zres; r.err != nil || fmt.Sprint(r.val) != "[k m 4]" {
		t.Fatalf("BZPOPMIN: %v %v", r.val, r.err)
	}
	rdb.RPush(ctx(), "k", "e")
	if r := <-lres; r.err != nil || fmt.Sprint(r.val) != "[k e]" {
		t.Fatalf("BLPOP: %v %v", r.val, r.err)
	}
}
