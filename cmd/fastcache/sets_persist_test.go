package main

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Persistence of sets and sorted sets on the real binary: crash safety
// under appendfsync always, replay equivalence (clean stop, kill -9, with
// and without a snapshot), and replica convergence.

// collectionState reads every key of the keyspace as one comparable
// string per key: its type, contents (sets sorted, sorted sets in order
// with their scores) and absolute expiry.
func collectionState(t *testing.T, rdb *redis.Client) map[string]string {
	t.Helper()
	out := map[string]string{}
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx(), cursor, "*", 1000).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			typ, err := rdb.Type(ctx(), k).Result()
			if err != nil {
				t.Fatal(err)
			}
			var v string
			switch typ {
			case "none":
				continue
			case "string":
				v, err = rdb.Get(ctx(), k).Result()
			case "set":
				var ms []string
				ms, err = rdb.SMembers(ctx(), k).Result()
				sort.Strings(ms)
				v = strings.Join(ms, ",")
			case "zset":
				var zs []redis.Z
				zs, err = rdb.ZRangeWithScores(ctx(), k, 0, -1).Result()
				var b strings.Builder
				for _, z := range zs {
					fmt.Fprintf(&b, "%v=%s,", z.Member, strconv.FormatFloat(z.Score, 'g', 17, 64))
				}
				v = b.String()
			case "hash":
				var h map[string]string
				h, err = rdb.HGetAll(ctx(), k).Result()
				v = fmt.Sprint(h)
			case "list":
				var l []string
				l, err = rdb.LRange(ctx(), k, 0, -1).Result()
				v = strings.Join(l, ",")
			default:
				v = "?"
			}
			if err == redis.Nil {
				continue
			}
			if err != nil {
				t.Fatalf("%s %s: %v", typ, k, err)
			}
			exp, err := rdb.Do(ctx(), "PEXPIRETIME", k).Int64()
			if err != nil {
				t.Fatal(err)
			}
			out[k] = fmt.Sprintf("%s %s exp=%d", typ, v, exp)
		}
		cursor = next
		if cursor == 0 {
			return out
		}
	}
}

func diffCollections(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	var problems []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s missing", k))
		case g != w:
			problems = append(problems, fmt.Sprintf("%s = %.300s\n   want %.300s", k, g, w))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			problems = append(problems, fmt.Sprintf("%s should not exist", k))
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		if len(problems) > 10 {
			problems = problems[:10]
		}
		t.Fatalf("%s: %d differences:\n%s", what, len(problems), strings.Join(problems, "\n"))
	}
}

// collectionWorkload runs n random writes over sets, sorted sets and geo
// sets (every write command, the STORE forms, pops, renames, copies,
// expiries and transactions) on a small key space.
func collectionWorkload(t *testing.T, rdb *redis.Client, n int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 77))
	sk := func() string { return "s" + strconv.Itoa(r.IntN(8)) }
	zk := func() string { return "z" + strconv.Itoa(r.IntN(8)) }
	mem := func() string {
		switch r.IntN(6) {
		case 0:
			return strings.Repeat("x", 60+r.IntN(10)) + strconv.Itoa(r.IntN(5))
		case 1, 2:
			return strconv.Itoa(r.IntN(700))
		}
		return "m" + strconv.Itoa(r.IntN(300))
	}
	score := func() string {
		switch r.IntN(12) {
		case 0:
			return "inf"
		case 1:
			return "-0"
		case 2:
			return strconv.FormatFloat(r.NormFloat64()*1e3, 'g', -1, 64)
		}
		return strconv.Itoa(r.IntN(100))
	}
	for i := 0; i < n; i++ {
		var args []any
		switch r.IntN(24) {
		case 0, 1, 2:
			args = []any{"SADD", sk()}
			for j := 0; j < 1+r.IntN(r.IntN(200)+1); j++ {
				args = append(args, mem())
			}
		case 3:
			args = []any{"SREM", sk(), mem(), mem(), mem()}
		case 4:
			args = []any{"SPOP", sk(), r.IntN(20)}
		case 5:
			args = []any{"SMOVE", sk(), sk(), mem()}
		case 6:
			args = []any{[]string{"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"}[r.IntN(3)], sk(), sk(), sk()}
		case 7, 8, 9:
			args = []any{"ZADD", zk()}
			if r.IntN(5) == 0 {
				args = append(args, []string{"NX", "XX", "GT", "LT"}[r.IntN(4)])
			}
			for j := 0; j < 1+r.IntN(r.IntN(200)+1); j++ {
				args = append(args, score(), mem())
			}
		case 10:
			args = []any{"ZINCRBY", zk(), score(), mem()}
		case 11:
			args = []any{"ZREM", zk(), mem(), mem()}
		case 12:
			args = []any{[]string{"ZPOPMIN", "ZPOPMAX"}[r.IntN(2)], zk(), r.IntN(10)}
		case 13:
			args = []any{"ZMPOP", 2, zk(), zk(), "MIN", "COUNT", 1 + r.IntN(5)}
		case 14:
			switch r.IntN(3) {
			case 0:
				args = []any{"ZREMRANGEBYRANK", zk(), r.IntN(10), -r.IntN(10) - 1}
			case 1:
				args = []any{"ZREMRANGEBYSCORE", zk(), r.IntN(50), "(" + strconv.Itoa(r.IntN(100))}
			default:
				args = []any{"ZREMRANGEBYLEX", zk(), "[m1", "(m5"}
			}
		case 15:
			args = []any{[]string{"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"}[r.IntN(3)], zk(), 2, zk(), sk()}
		case 16:
			args = []any{"ZRANGESTORE", zk(), zk(), 0, r.IntN(200)}
		case 17:
			args = []any{"GEOADD", "g", strconv.FormatFloat(r.Float64()*360-180, 'f', 5, 64), strconv.FormatFloat(r.Float64()*170-85, 'f', 5, 64), mem()}
		case 18:
			args = []any{"GEOSEARCHSTORE", zk(), "g", "FROMLONLAT", 0, 0, "BYRADIUS", 5000, "km", "STOREDIST"}
		case 19:
			if r.IntN(2) == 0 {
				args = []any{"RENAME", sk(), sk()}
			} else {
				args = []any{"COPY", zk(), zk(), "REPLACE"}
			}
		case 20:
			args = []any{"PEXPIREAT", []string{sk(), zk()}[r.IntN(2)], time.Now().Add(time.Hour).UnixMilli() + int64(r.IntN(1000))}
		case 21:
			k := zk()
			_, err := rdb.TxPipelined(ctx(), func(p redis.Pipeliner) error {
				p.ZAdd(ctx(), k, redis.Z{Score: float64(r.IntN(10)), Member: mem()})
				p.SAdd(ctx(), sk(), mem())
				p.ZPopMin(ctx(), zk(), 1)
				return nil
			})
			if err != nil {
				t.Fatalf("op %d: MULTI: %v", i, err)
			}
			continue
		case 22:
			args = []any{"DEL", []string{sk(), zk()}[r.IntN(2)]}
		default:
			args = []any{"SADD", "ints", r.IntN(2000)}
		}
		flat := []any{}
		for _, a := range args {
			flat = append(flat, a)
		}
		err := rdb.Do(ctx(), flat...).Err()
		if err != nil && err != redis.Nil && !strings.HasPrefix(err.Error(), "WRONGTYPE") && !strings.Contains(err.Error(), "no such key") &&
			!strings.Contains(err.Error(), "could not decode") && !strings.Contains(err.Error(), "objects are the same") {
			t.Fatalf("op %d %v: %v", i, args, err)
		}
	}
}

// TestReplayEquivalenceSetsZSets: after a random workload of set, sorted
// set and geo writes, a clean restart, a kill -9 under appendfsync always
// and a restart from a snapshot plus the log after it all give back
// exactly the same keys, contents and expiries.
func TestReplayEquivalenceSetsZSets(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendfsync", "always", "--wal-segment-size", "256kb")
	rdb := p.client()
	collectionWorkload(t, rdb, 4000, 1)
	before := collectionState(t, rdb)
	if len(before) < 10 {
		t.Fatalf("workload left only %d keys", len(before))
	}
	p.stop()

	p = startReady(t, dir, "--appendfsync", "always")
	rdb = p.client()
	diffCollections(t, "after a clean restart", before, collectionState(t, rdb))

	collectionWorkload(t, rdb, 2000, 2)
	if err := rdb.Do(ctx(), "SAVE").Err(); err != nil {
		t.Fatal(err)
	}
	collectionWorkload(t, rdb, 2000, 3) // after the snapshot: replayed from the log
	before = collectionState(t, rdb)
	p.kill()

	p = startReady(t, dir, "--appendfsync", "always")
	diffCollections(t, "after kill -9 (snapshot + log)", before, collectionState(t, p.client()))
}

// TestCrashSetsZSetsAlways: concurrent ZINCRBY, ZADD, SADD, SPOP and
// BZPOPMIN, and consumers blocked in BZPOPMAX served by other clients'
// ZADDs, under appendfsync always, kill -9 at a random moment, twice: after
// each restart every acknowledged write is there, and no member an
// acknowledged pop returned is back.
func TestCrashSetsZSetsAlways(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendfsync", "always")
	const writers = 8
	const popSize = 3000
	// the sets SPOP drains, filled before the crashes
	for w := 0; w < writers; w++ {
		args := []any{"SADD", fmt.Sprintf("pop:%d", w)}
		for i := 0; i < popSize; i++ {
			args = append(args, "p"+strconv.Itoa(i))
		}
		if err := p.client().Do(ctx(), args...).Err(); err != nil {
			t.Fatal(err)
		}
		zargs := []any{"ZADD", fmt.Sprintf("bz:%d", w)}
		for i := 0; i < popSize; i++ {
			zargs = append(zargs, i, "p"+strconv.Itoa(i))
		}
		if err := p.client().Do(ctx(), zargs...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	type state struct {
		mu       sync.Mutex
		incrSent map[string]int64   // member -> increments sent
		incrAck  map[string]float64 // member -> highest score acknowledged
		zadded   map[string]bool    // acked ZADD members (key/member)
		sadded   map[string]bool    // acked SADD members (key/member)
		popped   map[string]bool    // acked SPOP, BZPOPMIN and BZPOPMAX members (key/member)
	}
	st := &state{incrSent: map[string]int64{}, incrAck: map[string]float64{}, zadded: map[string]bool{}, sadded: map[string]bool{}, popped: map[string]bool{}}
	for round := 0; round < 2; round++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var ops atomic.Int64
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				rdb := redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: -1, PoolSize: 1})
				defer rdb.Close()
				r := rand.New(rand.NewPCG(uint64(w), uint64(round)))
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					switch r.IntN(6) {
					case 4: // a pop that can be served at once
						k := fmt.Sprintf("bz:%d", w)
						z, err := rdb.BZPopMin(ctx(), time.Second, k).Result()
						if err != nil {
							return
						}
						st.mu.Lock()
						st.popped[k+"/"+z.Member.(string)] = true
						st.mu.Unlock()
					case 5: // feed the blocked consumers of "bq"
						m := fmt.Sprintf("w%d-r%d-%d", w, round, i)
						if err := rdb.ZAdd(ctx(), "bq", redis.Z{Score: float64(i), Member: m}).Err(); err != nil {
							return
						}
					case 0:
						m := fmt.Sprintf("zi:%d/m%d", w, r.IntN(20))
						st.mu.Lock()
						st.incrSent[m]++
						st.mu.Unlock()
						s, err := rdb.ZIncrBy(ctx(), fmt.Sprintf("zi:%d", w), 1, m).Result()
						if err != nil {
							return
						}
						st.mu.Lock()
						st.incrAck[m] = max(st.incrAck[m], s)
						st.mu.Unlock()
					case 1:
						k, m := fmt.Sprintf("za:%d", w), fmt.Sprintf("r%d-%d", round, i)
						if err := rdb.ZAdd(ctx(), k, redis.Z{Score: float64(i), Member: m}).Err(); err != nil {
							return
						}
						st.mu.Lock()
						st.zadded[k+"/"+m] = true
						st.mu.Unlock()
					case 2:
						k, m := fmt.Sprintf("sa:%d", w), fmt.Sprintf("r%d-%d", round, i)
						if err := rdb.SAdd(ctx(), k, m).Err(); err != nil {
							return
						}
						st.mu.Lock()
						st.sadded[k+"/"+m] = true
						st.mu.Unlock()
					default:
						k := fmt.Sprintf("pop:%d", w)
						ms, err := rdb.SPopN(ctx(), k, int64(1+r.IntN(3))).Result()
						if err != nil {
							return
						}
						st.mu.Lock()
						for _, m := range ms {
							st.popped[k+"/"+m] = true
						}
						st.mu.Unlock()
					}
					ops.Add(1)
				}
			}(w)
		}
		// consumers that wait in BZPOPMAX on "bq" and are served by the
		// writers' ZADDs (the pop made when a blocked client is served)
		for c := 0; c < 3; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rdb := redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: -1, PoolSize: 1, ReadTimeout: 30 * time.Second})
				defer rdb.Close()
				for {
					select {
					case <-stop:
						return
					default:
					}
					z, err := rdb.BZPopMax(ctx(), time.Second, "bq").Result()
					if err == redis.Nil {
						continue
					}
					if err != nil {
						return
					}
					st.mu.Lock()
					st.popped["bq/"+z.Member.(string)] = true
					st.mu.Unlock()
					ops.Add(1)
				}
			}()
		}
		// kill at a random moment once some writes were acknowledged
		target := int64(500 + rand.IntN(3000))
		deadline := time.Now().Add(30 * time.Second)
		for ops.Load() < target && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		p.kill()
		close(stop)
		wg.Wait()
		if ops.Load() == 0 {
			t.Fatal("no write was acknowledged before the kill")
		}
		p = startReady(t, dir, "--appendfsync", "always")
		rdb := p.client()
		st.mu.Lock()
		for m, s := range st.incrAck {
			w := strings.TrimPrefix(strings.Split(m, "/")[0], "zi:")
			got, err := rdb.ZScore(ctx(), "zi:"+w, m).Result()
			if err != nil || got < s || got > float64(st.incrSent[m]) {
				t.Fatalf("round %d: ZINCRBY %s: score %v (%v), acknowledged %v, sent %d", round, m, got, err, s, st.incrSent[m])
			}
		}
		check := func(what string, acked map[string]bool, present bool, isMember func(k, m string) bool) {
			for km := range acked {
				k, m, _ := strings.Cut(km, "/")
				if isMember(k, m) != present {
					t.Fatalf("round %d: %s %s/%s: member %v after kill -9, want %v", round, what, k, m, !present, present)
				}
			}
		}
		check("ZADD", st.zadded, true, func(k, m string) bool { return rdb.ZScore(ctx(), k, m).Err() == nil })
		check("SADD", st.sadded, true, func(k, m string) bool { return rdb.SIsMember(ctx(), k, m).Val() })
		check("SPOP/BZPOPMIN/BZPOPMAX", st.popped, false, func(k, m string) bool {
			if strings.HasPrefix(k, "pop:") {
				return rdb.SIsMember(ctx(), k, m).Val()
			}
			return rdb.ZScore(ctx(), k, m).Err() == nil
		})
		t.Logf("round %d: %d writes acknowledged before kill -9; %d increments, %d ZADDs, %d SADDs, %d popped members checked",
			round, ops.Load(), len(st.incrAck), len(st.zadded), len(st.sadded), len(st.popped))
		st.mu.Unlock()
	}
}

// TestReplicaSetsZSets: a replica following a primary that runs the random
// set/zset/geo workload (SPOP and the STORE forms included) ends with the
// same contents, key by key.
func TestReplicaSetsZSets(t *testing.T) {
	primary := startReady(t, t.TempDir())
	prdb := primary.client()
	collectionWorkload(t, prdb, 1500, 5) // before the replica: full sync
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	collectionWorkload(t, prdb, 2500, 6) // while it follows: the stream
	replicaHasAll(t, prdb)
	want := collectionState(t, prdb)
	diffCollections(t, "replica", want, collectionState(t, rrdb))
	t.Logf("%d keys converged", len(want))
}
