package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// scriptWrite10 sets ten keys (spread over the shards by their names) to
// the same value: after a crash each script's writes must be all there or
// none.
const scriptWrite10 = `
for i = 1, 10 do
  redis.call('SET', KEYS[1] .. ':' .. i, ARGV[1])
end
return ARGV[1]`

// TestCrashScriptsAlways: clients run scripts that each write 10 keys
// across shards while the server is killed -9 at random moments, under
// appendfsync always; after every restart each script's ten keys hold the
// same value (never half of a script), and no acknowledged script is lost.
// A FUNCTION library loaded before the crashes is back every time.
func TestCrashScriptsAlways(t *testing.T) {
	dir := t.TempDir()
	kills := 12
	if testing.Short() {
		kills = 4
	}
	var mu sync.Mutex
	acked := map[string]int64{} // group -> highest acknowledged value
	groups := 32
	for i := 0; i < kills; i++ {
		p := startReady(t, dir, "--appendfsync", "always", "--wal-segment-size", "128kb")
		rdb := p.client()
		if i == 0 {
			if err := rdb.Do(ctx(), "FUNCTION", "LOAD", "#!lua name=crashlib\nredis.register_function('w10', function(keys, args) "+
				"for i = 1, 10 do redis.call('SET', keys[1] .. ':' .. i, args[1]) end return args[1] end)").Err(); err != nil {
				t.Fatal(err)
			}
		}
		verifyScriptGroups(t, rdb, groups, acked)
		verifyRoundLibs(t, rdb, i-1)
		// Each round replaces the versioned library and swaps its
		// temporary one, so replay must apply the library records after
		// the snapshot cut exactly once, and those before it not again.
		ver := fmt.Sprintf("#!lua name=verlib\nredis.register_function{function_name='ver', flags={'no-writes'}, callback=function() return %d end}", i)
		if err := rdb.FunctionLoadReplace(ctx(), ver).Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.FunctionLoad(ctx(), fmt.Sprintf("#!lua name=tmp%d\nredis.register_function('tmp%d', function() return 1 end)", i, i)).Err(); err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			if err := rdb.FunctionDelete(ctx(), fmt.Sprintf("tmp%d", i-1)).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if i == 1 { // a snapshot holding libraries for sure (more come from BGSAVE below)
			if err := rdb.Save(ctx()).Err(); err != nil {
				t.Fatal(err)
			}
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
				for n := 0; n < 100000; n++ {
					select {
					case <-stop:
						return
					default:
					}
					g := w*(groups/8) + r.IntN(groups/8) // each writer owns its groups
					key := fmt.Sprintf("grp%d", g)
					mu.Lock()
					v := acked[key] + 1 + int64(r.IntN(1000))
					mu.Unlock()
					var err error
					if n%2 == 0 {
						err = rdb.Eval(ctx(), scriptWrite10, []string{key}, v).Err()
					} else {
						err = rdb.Do(ctx(), "FCALL", "w10", 1, key, v).Err()
					}
					if err != nil {
						return
					}
					mu.Lock()
					if v > acked[key] {
						acked[key] = v
					}
					mu.Unlock()
				}
			}(w)
		}
		pause := time.Duration(50+rand.IntN(400)) * time.Millisecond
		if i%2 == 1 { // a snapshot in the middle of the writes (it may be cut by the kill)
			time.Sleep(pause / 2)
			rdb.BgSave(ctx())
		}
		time.Sleep(pause)
		p.kill()
		close(stop)
		wg.Wait()
	}
	p := startReady(t, dir)
	verifyScriptGroups(t, p.client(), groups, acked)
	verifyRoundLibs(t, p.client(), kills-1)
	t.Logf("%d snapshot(s) at the end", len(snapshotFiles(t, dir)))
	if len(acked) == 0 {
		t.Fatal("no script was ever acknowledged")
	}
	if out := p.out.String(); contains(out, "panic") {
		t.Fatalf("server panicked:\n%s", out)
	}
}

// verifyScriptGroups checks that each group's ten keys are equal (or all
// missing) and at least the acknowledged value, and that the library is
// loaded.
func verifyScriptGroups(t *testing.T, rdb *redis.Client, groups int, acked map[string]int64) {
	t.Helper()
	for g := 0; g < groups; g++ {
		key := fmt.Sprintf("grp%d", g)
		keys := make([]string, 10)
		for i := range keys {
			keys[i] = key + ":" + strconv.Itoa(i+1)
		}
		vals, err := rdb.MGet(ctx(), keys...).Result()
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < 10; i++ {
			if vals[i] != vals[0] {
				t.Fatalf("group %s: half a script after the crash: %v", key, vals)
			}
		}
		if want := acked[key]; want > 0 {
			if vals[0] == nil {
				t.Fatalf("group %s: acknowledged script (value %d) lost", key, want)
			}
			got, _ := strconv.ParseInt(vals[0].(string), 10, 64)
			if got < want {
				// Values grow per group: an older value means a lost write.
				t.Fatalf("group %s: value %d older than the acknowledged %d", key, got, want)
			}
		}
	}
	if len(acked) > 0 || groups == 0 {
		if err := rdb.Do(ctx(), "FCALL_RO", "w10", 0).Err(); err == nil || !contains(err.Error(), "write flag") {
			t.Fatalf("library not back after restart: FCALL_RO answered %v", err)
		}
	}
}

// verifyRoundLibs checks the libraries the last round (-1: none) left:
// verlib's version and its one temporary library.
func verifyRoundLibs(t *testing.T, rdb *redis.Client, round int) {
	t.Helper()
	if round < 0 {
		return
	}
	if v, err := rdb.FCallRO(ctx(), "ver", nil).Int(); err != nil || v != round {
		t.Fatalf("after round %d: verlib's version %d (%v)", round, v, err)
	}
	libs, err := rdb.FunctionList(ctx(), redis.FunctionListQuery{LibraryNamePattern: "tmp*"}).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) != 1 || libs[0].Name != fmt.Sprintf("tmp%d", round) {
		t.Fatalf("after round %d: temporary libraries %v", round, libs)
	}
}
