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
		time.Sleep(time.Duration(50+rand.IntN(400)) * time.Millisecond)
		p.kill()
		close(stop)
		wg.Wait()
	}
	p := startReady(t, dir)
	verifyScriptGroups(t, p.client(), groups, acked)
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
