package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"fastcache/persistence"
)

type keyState struct {
	val string
	exp int64 // PEXPIRETIME: -1 none
}

// snapshotKeys reads every key with its value and absolute expiry.
func snapshotKeys(t *testing.T, rdb *redis.Client) map[string]keyState {
	t.Helper()
	keys, err := rdb.Keys(ctx(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]keyState, len(keys))
	for _, k := range keys {
		v, err := rdb.Get(ctx(), k).Result()
		if err == redis.Nil {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		exp, err := rdb.Do(ctx(), "PEXPIRETIME", k).Int64()
		if err != nil {
			t.Fatal(err)
		}
		out[k] = keyState{v, exp}
	}
	return out
}

func diffStates(t *testing.T, before, after map[string]keyState) {
	t.Helper()
	var problems []string
	for k, b := range before {
		a, ok := after[k]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s missing after restart", k))
		case a.val != b.val:
			problems = append(problems, fmt.Sprintf("%s = %q, was %q", k, a.val, b.val))
		case a.exp != b.exp:
			problems = append(problems, fmt.Sprintf("%s expiry %d, was %d", k, a.exp, b.exp))
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			problems = append(problems, fmt.Sprintf("%s appeared after restart", k))
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		if len(problems) > 20 {
			problems = problems[:20]
		}
		t.Fatalf("%d differences after restart:\n%s", len(problems), strings.Join(problems, "\n"))
	}
}

// randomWorkload runs n random write commands of every kind over a small key space.
func randomWorkload(t *testing.T, rdb *redis.Client, n int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	key := func() string { return fmt.Sprintf("k%d", r.IntN(60)) }
	for i := 0; i < n; i++ {
		k := key()
		var err error
		switch op := r.IntN(21); op {
		case 0, 1, 2:
			err = rdb.Set(ctx(), k, fmt.Sprint("v", i), 0).Err()
		case 3:
			err = rdb.Set(ctx(), k, fmt.Sprint("e", i), time.Duration(10+r.IntN(1000))*time.Second).Err()
		case 4:
			err = rdb.Incr(ctx(), "n"+k).Err()
		case 5:
			err = rdb.Append(ctx(), k, "+a").Err()
		case 6:
			err = rdb.SetRange(ctx(), k, int64(r.IntN(8)), "xy").Err()
		case 7:
			err = rdb.Del(ctx(), k, key()).Err()
		case 8:
			err = rdb.Expire(ctx(), k, time.Duration(100+r.IntN(1000))*time.Second).Err()
		case 9:
			err = rdb.Persist(ctx(), k).Err()
		case 10:
			err = rdb.Rename(ctx(), k, key()).Err()
			if err != nil && strings.Contains(err.Error(), "no such key") {
				err = nil
			}
		case 11:
			err = rdb.Copy(ctx(), k, key(), 0, true).Err()
			if err != nil && strings.Contains(err.Error(), "source and destination objects are the same") {
				err = nil // Redis's answer to COPY k k
			}
		case 12:
			err = rdb.MSet(ctx(), k, "m1", key(), "m2", key(), "m3").Err()
		case 13:
			err = rdb.GetDel(ctx(), k).Err()
		case 14:
			err = rdb.GetEx(ctx(), k, time.Duration(100+r.IntN(100))*time.Second).Err()
		case 15:
			_, err = rdb.TxPipelined(ctx(), func(p redis.Pipeliner) error {
				p.Set(ctx(), k, "tx", 0)
				p.IncrBy(ctx(), "n"+key(), 5)
				p.Del(ctx(), key())
				return nil
			})
		case 16:
			err = rdb.IncrByFloat(ctx(), "f"+k, 1.5).Err()
		case 17:
			err = rdb.Set(ctx(), k, "short", 30*time.Millisecond).Err() // expires during the run
		case 18:
			err = rdb.Do(ctx(), "PEXPIREAT", k, time.Now().Add(time.Hour).UnixMilli()).Err()
		case 19:
			if r.IntN(50) == 0 {
				err = rdb.FlushAll(ctx()).Err()
			} else {
				err = rdb.SetNX(ctx(), k, "nx", 0).Err()
			}
		case 20:
			if r.IntN(4) == 0 {
				err = rdb.BitOpXor(ctx(), k, key(), key()).Err()
			} else {
				err = rdb.SetBit(ctx(), k, int64(r.IntN(200)), r.IntN(2)).Err()
			}
		}
		if err != nil && err != redis.Nil {
			t.Fatalf("op %d on %s: %v", i, k, err)
		}
	}
}

// TestReplayEquivalence: after a long random workload over all write
// commands, a clean restart gives back exactly the same keys, values and
// absolute expiries.
func TestReplayEquivalence(t *testing.T) {
	for _, comp := range []string{"none", "s2", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			dir := t.TempDir()
			p := startReady(t, dir, "--wal-compression", comp, "--wal-segment-size", "64kb")
			rdb := p.client()
			randomWorkload(t, rdb, 8000, uint64(len(comp)))
			time.Sleep(50 * time.Millisecond) // let the 30 ms keys expire
			before := snapshotKeys(t, rdb)
			p.stop()
			p2 := startReady(t, dir, "--wal-compression", comp)
			diffStates(t, before, snapshotKeys(t, p2.client()))
			// and once more after a kill -9 (appendfsync everysec writes every round)
			randomWorkload(t, p2.client(), 2000, 99)
			time.Sleep(50 * time.Millisecond)
			before = snapshotKeys(t, p2.client())
			p2.stop()
			p3 := startReady(t, dir)
			diffStates(t, before, snapshotKeys(t, p3.client()))
		})
	}
}

// TestExpiredWhileDown: keys whose expiry passed while the server was down
// are gone after the restart; others keep their absolute expiry.
func TestExpiredWhileDown(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir)
	rdb := p.client()
	rdb.Set(ctx(), "short", "x", 300*time.Millisecond)
	rdb.Set(ctx(), "long", "y", time.Hour)
	rdb.Set(ctx(), "forever", "z", 0)
	exp, _ := rdb.Do(ctx(), "PEXPIRETIME", "long").Int64()
	p.stop()
	time.Sleep(400 * time.Millisecond)
	p2 := startReady(t, dir)
	rdb2 := p2.client()
	if n, _ := rdb2.Exists(ctx(), "short").Result(); n != 0 {
		t.Fatal("key that expired while the server was down came back")
	}
	if got, _ := rdb2.Do(ctx(), "PEXPIRETIME", "long").Int64(); got != exp {
		t.Fatalf("long expiry = %d, want %d", got, exp)
	}
	if v, _ := rdb2.Get(ctx(), "forever").Result(); v != "z" {
		t.Fatalf("forever = %q", v)
	}
}

func segments(t *testing.T, dir string) []string {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "wal", "*.wal"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(segs)
	return segs
}

// TestCorruptionRefusesStart: a flipped byte in the middle of the log stops
// the start with a message naming the segment and offset; --wal-repair yes
// starts and keeps the records before the damage.
func TestCorruptionRefusesStart(t *testing.T) {
	dir := t.TempDir()
	// No snapshot on shutdown: the test needs the log itself to hold the data.
	p := startReady(t, dir, "--wal-segment-size", "64kb", "--wal-compression", "none", "--snapshot-on-shutdown", "no")
	rdb := p.client()
	for i := 0; i < 5000; i++ {
		if err := rdb.Set(ctx(), fmt.Sprintf("key:%05d", i), strings.Repeat("v", 40), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	p.stop()
	segs := segments(t, dir)
	if len(segs) < 3 {
		t.Fatalf("want several segments, got %d", len(segs))
	}
	victim := segs[1]
	data, err := os.ReadFile(victim)
	if err != nil {
		t.Fatal(err)
	}
	// a byte of a frame's payload near the middle (not of the zero padding
	// between frames, which no checksum covers and no data uses)
	flipped := false
	for off := 32; off+persistence.FrameHeaderSize <= len(data); { // (after the segment header)
		n, err := persistence.FrameLen(data[off:])
		if err != nil {
			break
		}
		if off+n > len(data)/2 {
			data[off+persistence.FrameHeaderSize] ^= 0xFF
			flipped = true
			break
		}
		off += n
	}
	if !flipped {
		t.Fatalf("no frame found in the middle of %s", victim)
	}
	if err := os.WriteFile(victim, data, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := start(t, dir)
	out, err := bad.wait(30 * time.Second)
	if err == nil {
		t.Fatalf("server started on a corrupt log:\n%s", out)
	}
	if !strings.Contains(out, filepath.Base(victim)) || !strings.Contains(out, "offset") || !strings.Contains(out, "repair") {
		t.Fatalf("error does not name the segment, the offset and how to repair:\n%s", out)
	}
	// the offline check finds it too
	chk := exec.Command(binary(t), "wal", "check", dir)
	if o, err := chk.CombinedOutput(); err == nil {
		t.Fatalf("wal check passed a corrupt log:\n%s", o)
	}
	rp := startReady(t, dir, "--wal-repair", "yes")
	n, err := rp.client().DBSize(ctx()).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || n >= 5000 {
		t.Fatalf("after repair DBSIZE = %d, want the keys before the damage (0 < n < 5000)", n)
	}
	// Every key that survived is intact, and the survivors are the keys
	// written before the damage: all of those up to the first one missing,
	// then at most a writer round's worth of later ones. (The log keeps
	// each shard's records in order, and a round writes the records it
	// takes shard after shard, cut into frames: cutting at a damaged frame
	// keeps the frames before it in the file, which may hold another
	// shard's records a little later than some in the frame cut.)
	c := rp.client()
	firstMissing, present := -1, 0
	for i := 0; i < 5000; i++ {
		v, err := c.Get(ctx(), fmt.Sprintf("key:%05d", i)).Result()
		switch {
		case err == redis.Nil:
			if firstMissing < 0 {
				firstMissing = i
			}
		case err != nil || len(v) != 40:
			t.Fatalf("key:%05d damaged after repair (%q, %v)", i, v, err)
		default:
			present++
			if firstMissing >= 0 && i > firstMissing+1000 {
				t.Fatalf("key:%05d survived the repair, %d keys after key:%05d which did not: not a cut at the damage", i, i-firstMissing, firstMissing)
			}
		}
	}
	if int64(firstMissing) != n {
		t.Logf("after repair: %d keys, the first missing key:%05d (%d later keys kept)", n, firstMissing, n-int64(firstMissing))
	}
	if firstMissing <= 0 || int64(present) != n {
		t.Fatalf("after repair: first missing key %d, %d keys present, DBSIZE %d", firstMissing, present, n)
	}
}

// TestTornTailStarts: a crash in the middle of a frame leaves a torn tail,
// which start-up cuts off with a warning.
func TestTornTailStarts(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--wal-compression", "none")
	rdb := p.client()
	for i := 0; i < 100; i++ {
		rdb.Set(ctx(), fmt.Sprintf("a%d", i), "v", 0)
	}
	p.stop()
	segs := segments(t, dir)
	last := segs[len(segs)-1]
	st, _ := os.Stat(last)
	if err := os.Truncate(last, st.Size()-7); err != nil {
		t.Fatal(err)
	}
	p2 := startReady(t, dir)
	n, _ := p2.client().DBSize(ctx()).Result()
	if n < 1 || n > 100 {
		t.Fatalf("DBSIZE after torn tail = %d", n)
	}
	if !strings.Contains(p2.out.String(), "torn") {
		t.Fatalf("no torn-tail warning in the log:\n%s", p2.out.String())
	}
}
