package main

import (
	"bufio"
	le "encoding/binary"
	"fmt"
	"hash/crc32"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Snapshot-only persistence with appendonly no (rdb.go).

// lineReplies sends raw RESP and reads n one-line replies (+, -, :).
func lineReplies(t *testing.T, addr, raw string, n int) []string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := c.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	var out []string
	for i := 0; i < n; i++ {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reply %d: %v (so far %q)", i, err, out)
		}
		out = append(out, strings.TrimRight(l, "\r\n"))
	}
	return out
}

// waitFor polls cond for up to 30 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustGet(t *testing.T, rdb *redis.Client, key, want string) {
	t.Helper()
	got, err := rdb.Get(ctx(), key).Result()
	if want == "" {
		if err != redis.Nil {
			t.Fatalf("%s = %q %v, want missing", key, got, err)
		}
		return
	}
	if err != nil || got != want {
		t.Fatalf("%s = %q %v, want %q", key, got, err, want)
	}
}

// TestRDBSaveKillRestart: with appendonly no (and no save points), SAVE
// writes a snapshot that a restart after kill -9 loads; the writes after
// the last SAVE are lost (the documented window). BGSAVE too, and
// rdb_changes_since_last_save is reset by a save.
func TestRDBSaveKillRestart(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendonly", "no", "--save", "")
	rdb := p.client()
	for i := 0; i < 100; i++ {
		rdb.Set(ctx(), fmt.Sprintf("k:%d", i), i, 0)
	}
	rdb.HSet(ctx(), "h", "f", "v")
	rdb.Set(ctx(), "ttl", "v", time.Hour)
	if v := infoField(t, rdb, "persistence", "rdb_changes_since_last_save"); v != "102" {
		t.Fatalf("rdb_changes_since_last_save:%s before SAVE, want 102", v)
	}
	if err := rdb.Save(ctx()).Err(); err != nil {
		t.Fatalf("SAVE: %v", err)
	}
	if v := infoField(t, rdb, "persistence", "rdb_changes_since_last_save"); v != "0" {
		t.Fatalf("rdb_changes_since_last_save:%s after SAVE", v)
	}
	if v := infoField(t, rdb, "persistence", "rdb_last_bgsave_status"); v != "ok" {
		t.Fatalf("rdb_last_bgsave_status:%s", v)
	}
	last, err := rdb.LastSave(ctx()).Result()
	if err != nil || last < time.Now().Add(-time.Minute).Unix() {
		t.Fatalf("LASTSAVE %d %v", last, err)
	}
	if ts := infoField(t, rdb, "persistence", "rdb_last_save_time"); ts != strconv.FormatInt(last, 10) {
		t.Fatalf("rdb_last_save_time:%s, LASTSAVE %d", ts, last)
	}
	rdb.Set(ctx(), "bg", "v", 0)
	if err := rdb.BgSave(ctx()).Err(); err != nil {
		t.Fatalf("BGSAVE: %v", err)
	}
	waitFor(t, "the BGSAVE", func() bool {
		return infoField(t, rdb, "persistence", "rdb_changes_since_last_save") == "0" &&
			infoField(t, rdb, "persistence", "rdb_bgsave_in_progress") == "0"
	})
	rdb.Set(ctx(), "after", "v", 0) // after the last save: lost by the kill
	rdb.Del(ctx(), "k:0")
	p.kill()

	p2 := startReady(t, dir, "--appendonly", "no", "--save", "")
	rdb2 := p2.client()
	if n := rdb2.DBSize(ctx()).Val(); n != 103 {
		t.Fatalf("DBSIZE %d after the restart, want 103", n)
	}
	mustGet(t, rdb2, "k:0", "0")
	mustGet(t, rdb2, "k:99", "99")
	mustGet(t, rdb2, "bg", "v")
	mustGet(t, rdb2, "after", "")
	if v := rdb2.HGet(ctx(), "h", "f").Val(); v != "v" {
		t.Fatalf("h.f = %q", v)
	}
	if ttl := rdb2.TTL(ctx(), "ttl").Val(); ttl <= 0 || ttl > time.Hour {
		t.Fatalf("TTL %v after the restart", ttl)
	}
	if v := infoField(t, rdb2, "persistence", "rdb_changes_since_last_save"); v != "0" {
		t.Fatalf("rdb_changes_since_last_save:%s after loading", v)
	}
	p2.stop()
}

// TestRDBSavePoint: `save 1 1` starts a BGSAVE by itself once a change
// is a second old.
func TestRDBSavePoint(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendonly", "no", "--save", "1", "1")
	rdb := p.client()
	if got := rdb.ConfigGet(ctx(), "save").Val()["save"]; got != "1 1" {
		t.Fatalf("CONFIG GET save: %q", got)
	}
	saves := infoField(t, rdb, "persistence", "rdb_saves")
	rdb.Set(ctx(), "a", "1", 0)
	waitFor(t, "the save point's BGSAVE", func() bool {
		return infoField(t, rdb, "persistence", "rdb_saves") != saves &&
			infoField(t, rdb, "persistence", "rdb_changes_since_last_save") == "0"
	})
	// CONFIG SET save "" turns them off: a change stays unsaved
	if err := rdb.ConfigSet(ctx(), "save", "").Err(); err != nil {
		t.Fatal(err)
	}
	saves = infoField(t, rdb, "persistence", "rdb_saves")
	rdb.Set(ctx(), "b", "1", 0)
	// ... and CONFIG SET save turns them on again
	if err := rdb.ConfigSet(ctx(), "save", "1 1").Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the BGSAVE after CONFIG SET save", func() bool {
		return infoField(t, rdb, "persistence", "rdb_saves") != saves
	})
	p.kill()
	p2 := startReady(t, dir, "--appendonly", "no", "--save", "")
	mustGet(t, p2.client(), "a", "1")
	mustGet(t, p2.client(), "b", "1")
}

// TestRDBShutdown: with save points (Redis's defaults) SHUTDOWN and
// SIGTERM save; SHUTDOWN NOSAVE does not; without save points SHUTDOWN
// does not, SHUTDOWN SAVE does.
func TestRDBShutdown(t *testing.T) {
	dir := t.TempDir()
	shutdown := func(p *proc, args ...any) {
		t.Helper()
		p.client().Do(ctx(), append([]any{"SHUTDOWN"}, args...)...)
		if out, err := p.wait(60 * time.Second); err != nil {
			t.Fatalf("SHUTDOWN %v: exit %v\n%s", args, err, out)
		}
	}
	p := startReady(t, dir, "--appendonly", "no")
	if got := p.client().ConfigGet(ctx(), "save").Val()["save"]; got != "3600 1 300 100 60 10000" {
		t.Fatalf("default save: %q", got)
	}
	p.client().Set(ctx(), "a", "1", 0)
	shutdown(p)
	p = startReady(t, dir, "--appendonly", "no")
	mustGet(t, p.client(), "a", "1")
	p.client().Set(ctx(), "b", "1", 0)
	shutdown(p, "NOSAVE")
	p = startReady(t, dir, "--appendonly", "no")
	mustGet(t, p.client(), "a", "1")
	mustGet(t, p.client(), "b", "")
	p.client().Set(ctx(), "c", "1", 0)
	p.stop() // SIGTERM
	p = startReady(t, dir, "--appendonly", "no", "--save", "")
	mustGet(t, p.client(), "c", "1")
	p.client().Set(ctx(), "d", "1", 0)
	shutdown(p)
	p = startReady(t, dir, "--appendonly", "no", "--save", "")
	mustGet(t, p.client(), "d", "")
	p.client().Set(ctx(), "e", "1", 0)
	shutdown(p, "SAVE")
	p = startReady(t, dir, "--appendonly", "no", "--save", "")
	mustGet(t, p.client(), "c", "1")
	mustGet(t, p.client(), "e", "1")
	p.stop()
}

// TestRDBBGSaveInProgress: a BGSAVE or SAVE while a BGSAVE runs answers
// Redis's error; BGSAVE SCHEDULE answers that it is scheduled.
func TestRDBBGSaveInProgress(t *testing.T) {
	p := startReady(t, t.TempDir(), "--appendonly", "no", "--save", "", "--wal-compression", "none")
	rdb := p.client()
	val := strings.Repeat("x", 200)
	for b := 0; b < 40; b++ {
		pipe := rdb.Pipeline()
		for i := 0; i < 5000; i++ {
			pipe.Set(ctx(), fmt.Sprintf("k:%d:%d", b, i), val, 0)
		}
		if _, err := pipe.Exec(ctx()); err != nil {
			t.Fatal(err)
		}
	}
	for try := 0; ; try++ {
		got := lineReplies(t, p.addr(), "BGSAVE\r\nBGSAVE\r\nBGSAVE SCHEDULE\r\nSAVE\r\n", 4)
		if got[0] != "+Background saving started" {
			t.Fatalf("first BGSAVE: %q", got[0])
		}
		if got[1] == "-ERR Background save already in progress" {
			if got[2] != "+Background saving scheduled" || got[3] != "-ERR Background save already in progress" {
				t.Fatalf("BGSAVE SCHEDULE, SAVE while one runs: %q", got[2:])
			}
			break
		}
		if try == 5 {
			t.Fatalf("the second BGSAVE never met the first: %q", got)
		}
		waitFor(t, "the BGSAVE", func() bool { return infoField(t, rdb, "persistence", "rdb_bgsave_in_progress") == "0" })
	}
	waitFor(t, "the BGSAVE", func() bool { return infoField(t, rdb, "persistence", "rdb_bgsave_in_progress") == "0" })
}

// TestRDBDamagedSnapshotRefusesStart: with appendonly no, a damaged newest
// snapshot (even with an older one beside it) or one of an unknown version
// stops the start, and every file stays as it was.
func TestRDBDamagedSnapshotRefusesStart(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func([]byte)
		want string
	}{
		{"damaged", func(d []byte) { d[len(d)/2] ^= 0xff }, "move the file aside"},
		{"version", func(d []byte) {
			d[4] = 9
			le.LittleEndian.PutUint32(d[28:], crc32.Checksum(d[:28], crc32.MakeTable(crc32.Castagnoli)))
		}, "snapshot format version 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := startReady(t, dir, "--appendonly", "no", "--save", "", "--wal-compression", "none")
			rdb := p.client()
			rdb.Set(ctx(), "a", "v", 0)
			if err := rdb.Save(ctx()).Err(); err != nil {
				t.Fatal(err)
			}
			rdb.Set(ctx(), "b", strings.Repeat("v", 1000), 0)
			if err := rdb.Save(ctx()).Err(); err != nil {
				t.Fatal(err)
			}
			p.kill()
			snaps, _ := filepath.Glob(filepath.Join(dir, "snapshot", "*.fcs"))
			if len(snaps) != 2 {
				t.Fatalf("snapshots: %v", snaps)
			}
			newest := snaps[len(snaps)-1]
			data, _ := os.ReadFile(newest)
			tc.edit(data)
			os.WriteFile(newest, data, 0o644)
			before := dirFiles(t, dir)
			p = start(t, dir, "--appendonly", "no")
			out, err := p.wait(60 * time.Second)
			if err == nil || !strings.Contains(out, tc.want) || !strings.Contains(out, filepath.Base(newest)) {
				t.Fatalf("start on a %s snapshot: err %v, want %q and the file named\n%s", tc.name, err, tc.want, out)
			}
			if after := dirFiles(t, dir); !equalFiles(before, after) {
				t.Fatalf("files changed by a refused start")
			}
		})
	}
}

// TestRDBThenAppendOnlyYes: a snapshot taken with appendonly no supersedes
// the WAL an earlier appendonly yes left: a restart with appendonly yes
// loads it and replays none of the older log (a key deleted and a key
// overwritten without the log stay so), and the new log's records after it
// replay (their LSNs follow the snapshot's cuts).
func TestRDBThenAppendOnlyYes(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendonly", "yes", "--appendfsync", "always")
	rdb := p.client()
	rdb.Set(ctx(), "k", "old", 0)
	rdb.Set(ctx(), "d", "x", 0)
	if err := rdb.Save(ctx()).Err(); err != nil {
		t.Fatal(err)
	}
	// in the log after the snapshot only
	rdb.Set(ctx(), "k", "logged", 0)
	rdb.Set(ctx(), "late", "logged", 0)
	p.kill()

	// appendonly no loads the snapshot alone
	p = startReady(t, dir, "--appendonly", "no", "--save", "")
	rdb = p.client()
	mustGet(t, rdb, "k", "old")
	mustGet(t, rdb, "late", "")
	rdb.Set(ctx(), "k", "new", 0)
	rdb.Del(ctx(), "d")
	rdb.Set(ctx(), "e", "1", 0)
	if err := rdb.Save(ctx()).Err(); err != nil {
		t.Fatal(err)
	}
	p.kill()

	p = startReady(t, dir, "--appendonly", "yes", "--appendfsync", "always")
	rdb = p.client()
	check := func(rdb *redis.Client) {
		t.Helper()
		mustGet(t, rdb, "k", "new")
		mustGet(t, rdb, "d", "")
		mustGet(t, rdb, "late", "")
		mustGet(t, rdb, "e", "1")
	}
	check(rdb)
	rdb.Set(ctx(), "f", "logged", 0)
	rdb.Incr(ctx(), "e")
	p.kill()
	p = startReady(t, dir, "--appendonly", "yes")
	rdb = p.client()
	mustGet(t, rdb, "f", "logged")
	mustGet(t, rdb, "e", "2")
	mustGet(t, rdb, "k", "new")
	mustGet(t, rdb, "d", "")
	mustGet(t, rdb, "late", "")
	p.stop()
}

// TestRDBLiveSwitch: CONFIG SET appendonly no starts the snapshots without
// the log (SAVE works, a save point fires), CONFIG SET appendonly yes takes
// its base snapshot over them.
func TestRDBLiveSwitch(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendonly", "yes", "--appendfsync", "always", "--save", "1 1")
	rdb := p.client()
	rdb.Set(ctx(), "a", "1", 0)
	if err := rdb.ConfigSet(ctx(), "appendonly", "no").Err(); err != nil {
		t.Fatal(err)
	}
	rdb.Set(ctx(), "b", "1", 0)
	waitFor(t, "the save point's BGSAVE", func() bool {
		return infoField(t, rdb, "persistence", "rdb_changes_since_last_save") == "0"
	})
	if v := infoField(t, rdb, "persistence", "aof_rewrites"); v != "0" {
		t.Fatalf("aof_rewrites:%s with appendonly no", v)
	}
	p.kill()
	p = startReady(t, dir, "--appendonly", "no", "--save", "", "--appendfsync", "always")
	rdb = p.client()
	mustGet(t, rdb, "a", "1")
	mustGet(t, rdb, "b", "1")
	if err := rdb.ConfigSet(ctx(), "appendonly", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	rdb.Set(ctx(), "c", "1", 0)
	p.kill()
	p = startReady(t, dir, "--appendonly", "yes")
	rdb = p.client()
	mustGet(t, rdb, "a", "1")
	mustGet(t, rdb, "b", "1")
	mustGet(t, rdb, "c", "1")
	p.stop()
}

// TestRDBRepliesDiff: SAVE, BGSAVE, LASTSAVE and their errors answer as
// redis-server's with appendonly no (LASTSAVE's value aside: an integer).
func TestRDBRepliesDiff(t *testing.T) {
	raddr := startRedisServer(t, "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	p := startReady(t, t.TempDir(), "--appendonly", "no", "--save", "")
	steps := []string{
		"SET k v", "SAVE", "SAVE extra", "BGSAVE foo", "BGSAVE SCHEDULE x", "LASTSAVE", "LASTSAVE x",
	}
	run := func(addr string) []string {
		var raw strings.Builder
		for _, s := range steps {
			f := strings.Fields(s)
			fmt.Fprintf(&raw, "*%d\r\n", len(f))
			for _, a := range f {
				fmt.Fprintf(&raw, "$%d\r\n%s\r\n", len(a), a)
			}
		}
		out := lineReplies(t, addr, raw.String(), len(steps))
		for i, l := range out {
			if strings.HasPrefix(l, ":") {
				out[i] = ":<int>"
			}
		}
		// BGSAVE alone, then wait for it (its reply, and the fields after)
		out = append(out, lineReplies(t, addr, "*1\r\n$6\r\nBGSAVE\r\n", 1)...)
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer c.Close()
		waitFor(t, "the BGSAVE", func() bool { return infoField(t, c, "persistence", "rdb_bgsave_in_progress") == "0" })
		for _, f := range []string{"rdb_changes_since_last_save", "rdb_last_bgsave_status", "rdb_bgsave_in_progress"} {
			out = append(out, f+":"+infoField(t, c, "persistence", f))
		}
		if ls, ts := c.LastSave(ctx()).Val(), infoField(t, c, "persistence", "rdb_last_save_time"); strconv.FormatInt(ls, 10) != ts {
			out = append(out, fmt.Sprintf("LASTSAVE %d != rdb_last_save_time %s", ls, ts))
		}
		return out
	}
	want, got := run(raddr), run(p.addr())
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("fastcache:\n%s\nredis-server:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRDBFlushAllSaves: with save points, FLUSHALL saves the emptied
// dataset at once, as Redis's: a kill -9 after it does not bring the keys
// back from the snapshot before.
func TestRDBFlushAllSaves(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendonly", "no")
	rdb := p.client()
	rdb.Set(ctx(), "a", "1", 0)
	if err := rdb.Save(ctx()).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.FlushAll(ctx()).Err(); err != nil {
		t.Fatal(err)
	}
	p.kill()
	p = startReady(t, dir, "--appendonly", "no")
	if n := p.client().DBSize(ctx()).Val(); n != 0 {
		t.Fatalf("DBSIZE %d after FLUSHALL and kill -9", n)
	}
}

// TestFlushAllChangesDiff: FLUSHALL resets rdb_changes_since_last_save to 0
// when save points are set (Redis saves the emptied dataset) and leaves it
// counting without them, with appendonly no and yes, as redis-server's
// with the same settings (the counts of the steps compared as deltas; a
// FLUSHALL that does not reset it only has to add to it: Redis adds a
// change per key removed, fastcache one).
func TestFlushAllChangesDiff(t *testing.T) {
	steps := []string{"SET a 1", "SET b 2", "FLUSHALL", "CONFIG|SET|save|3600 1", "SET a 1", "FLUSHALL",
		"SET c 3", "FLUSHALL ASYNC", "CONFIG|SET|save|", "SET d 4", "FLUSHALL"}
	run := func(addr string) []string {
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer c.Close()
		changes := func() int {
			n, _ := strconv.Atoi(infoField(t, c, "persistence", "rdb_changes_since_last_save"))
			return n
		}
		var out []string
		prev := changes()
		for _, s := range steps {
			f := strings.Fields(s)
			if strings.Contains(s, "|") {
				f = strings.Split(s, "|")
			}
			args := make([]any, len(f))
			for i, a := range f {
				args[i] = a
			}
			if err := c.Do(ctx(), args...).Err(); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			n := changes()
			switch {
			case n == 0:
				out = append(out, s+": 0")
			case strings.HasPrefix(s, "FLUSHALL"):
				// Redis counts each key removed, fastcache one change
				out = append(out, s+": more")
			default:
				out = append(out, fmt.Sprintf("%s: +%d", s, n-prev))
			}
			prev = n
		}
		return out
	}
	for _, aof := range []string{"no", "yes"} {
		raddr := startRedisServer(t, "--save", "", "--appendonly", aof, "--dir", t.TempDir())
		p := startReady(t, t.TempDir(), "--appendonly", aof, "--save", "")
		want, got := run(raddr), run(p.addr())
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("appendonly %s: fastcache:\n%s\nredis-server:\n%s", aof, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestBGSaveInMulti: BGSAVE and BGREWRITEAOF inside MULTI answer that they
// are scheduled, as Redis's (it forks after the transaction), and run once
// EXEC is over.
func TestBGSaveInMulti(t *testing.T) {
	p := startReady(t, t.TempDir(), "--appendonly", "no", "--save", "")
	rdb := p.client()
	got := lineReplies(t, p.addr(), "MULTI\r\nSET foo bar\r\nBGREWRITEAOF\r\nBGSAVE\r\nEXEC\r\n", 8)
	want := []string{"+OK", "+QUEUED", "+QUEUED", "+QUEUED", "*3", "+OK",
		"+Background append only file rewriting scheduled", "+Background saving scheduled"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("MULTI with BGREWRITEAOF, BGSAVE: %q", got)
	}
	waitFor(t, "the scheduled save", func() bool {
		return infoField(t, rdb, "persistence", "rdb_changes_since_last_save") == "0" &&
			infoField(t, rdb, "persistence", "rdb_bgsave_in_progress") == "0"
	})
}

// TestRDBShutdownSaveFails: with appendonly no and save points, a final
// snapshot that cannot be written refuses SHUTDOWN and SIGTERM, as Redis's
// prepareForShutdown: the client gets Redis's error, the server keeps
// serving and accepting writes, and the keys are saved by a later shutdown
// once the disk is back. SHUTDOWN FORCE exits regardless.
func TestRDBShutdownSaveFails(t *testing.T) {
	dir := t.TempDir()
	snapDir := filepath.Join(dir, "snapshot")
	p := startReady(t, dir, "--appendonly", "no")
	rdb := p.client()
	rdb.Set(ctx(), "a", "1", 0)
	breakDir := func() {
		t.Helper()
		if err := os.RemoveAll(snapDir); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(snapDir, []byte("not a directory"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	breakDir()
	if err := rdb.Do(ctx(), "SHUTDOWN").Err(); err == nil || err.Error() != "ERR Errors trying to SHUTDOWN. Check logs." {
		t.Fatalf("SHUTDOWN with the snapshot failing: %v", err)
	}
	if err := rdb.Set(ctx(), "b", "2", 0).Err(); err != nil {
		t.Fatalf("a write after the refused SHUTDOWN: %v", err)
	}
	// SIGTERM: refused too, and said in the log.
	p.cmd.Process.Signal(syscall.SIGTERM)
	waitFor(t, "the refused SIGTERM in the log", func() bool { return strings.Contains(p.out.String(), "still running") })
	if err := rdb.Set(ctx(), "c", "3", 0).Err(); err != nil {
		t.Fatalf("a write after the refused SIGTERM: %v", err)
	}
	// The disk is back: SHUTDOWN saves and exits.
	os.Remove(snapDir)
	if err := os.Mkdir(snapDir, 0o755); err != nil {
		t.Fatal(err)
	}
	rdb.Do(ctx(), "SHUTDOWN")
	if out, err := p.wait(60 * time.Second); err != nil {
		t.Fatalf("SHUTDOWN: exit %v\n%s", err, out)
	}
	p = startReady(t, dir, "--appendonly", "no")
	rdb = p.client()
	for _, k := range []string{"a", "b", "c"} {
		mustGet(t, rdb, k, map[string]string{"a": "1", "b": "2", "c": "3"}[k])
	}
	// FORCE exits even though the snapshot fails.
	rdb.Set(ctx(), "d", "4", 0)
	breakDir()
	rdb.Do(ctx(), "SHUTDOWN", "FORCE")
	if out, err := p.wait(60 * time.Second); err != nil {
		t.Fatalf("SHUTDOWN FORCE: exit %v\n%s", err, out)
	}
}

// TestWALShutdownSaveNoSave: with the WAL on, SHUTDOWN NOSAVE skips the
// snapshot-on-shutdown and SHUTDOWN SAVE takes one even when
// snapshot-on-shutdown is off; the WAL holds every write either way.
func TestWALShutdownSaveNoSave(t *testing.T) {
	dir := t.TempDir()
	snaps := func() int {
		m, _ := filepath.Glob(filepath.Join(dir, "snapshot", "*"))
		return len(m)
	}
	shutdown := func(p *proc, args ...any) {
		t.Helper()
		p.client().Do(ctx(), append([]any{"SHUTDOWN"}, args...)...)
		if out, err := p.wait(60 * time.Second); err != nil {
			t.Fatalf("SHUTDOWN %v: exit %v\n%s", args, err, out)
		}
	}
	p := startReady(t, dir)
	p.client().Set(ctx(), "a", "1", 0)
	shutdown(p, "NOSAVE")
	if n := snaps(); n != 0 {
		t.Fatalf("SHUTDOWN NOSAVE left %d snapshot files", n)
	}
	p = startReady(t, dir, "--snapshot-on-shutdown", "no")
	mustGet(t, p.client(), "a", "1")
	p.client().Set(ctx(), "b", "2", 0)
	shutdown(p, "SAVE")
	if n := snaps(); n == 0 {
		t.Fatal("SHUTDOWN SAVE took no snapshot")
	}
	p = startReady(t, dir)
	mustGet(t, p.client(), "a", "1")
	mustGet(t, p.client(), "b", "2")
}

// TestShutdownAbortSignal: a SIGTERM's shutdown runs from the cron, as in
// Redis: while DEBUG PAUSE-CRON holds it SHUTDOWN ABORT cancels it and the
// server carries on; without an abort it happens once the cron resumes.
func TestShutdownAbortSignal(t *testing.T) {
	p := startReady(t, t.TempDir(), "--appendonly", "yes", "--enable-debug-command", "yes")
	rdb := p.client()
	if err := rdb.Do(ctx(), "SHUTDOWN", "ABORT").Err(); err == nil || err.Error() != "ERR No shutdown in progress." {
		t.Fatalf("SHUTDOWN ABORT with none pending: %v", err)
	}
	rdb.Do(ctx(), "DEBUG", "PAUSE-CRON", "1")
	p.cmd.Process.Signal(syscall.SIGTERM)
	waitFor(t, "the deferred shutdown in the log", func() bool { return strings.Contains(p.out.String(), "waits for the cron") })
	if err := rdb.Do(ctx(), "SHUTDOWN", "ABORT").Err(); err != nil {
		t.Fatalf("SHUTDOWN ABORT of the pending SIGTERM: %v", err)
	}
	waitFor(t, "the aborted shutdown in the log", func() bool { return strings.Contains(p.out.String(), "Shutdown manually aborted") })
	rdb.Do(ctx(), "DEBUG", "PAUSE-CRON", "0")
	time.Sleep(1500 * time.Millisecond) // more than one cron tick: the shutdown would have run
	if err := rdb.Set(ctx(), "alive", "1", 0).Err(); err != nil {
		t.Fatalf("the server after the aborted SIGTERM: %v", err)
	}
	// Not aborted: the shutdown runs once the cron resumes.
	rdb.Do(ctx(), "DEBUG", "PAUSE-CRON", "1")
	p.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	if err := rdb.Ping(ctx()).Err(); err != nil {
		t.Fatalf("the server stopped while the cron was paused: %v", err)
	}
	rdb.Do(ctx(), "DEBUG", "PAUSE-CRON", "0")
	if out, err := p.wait(30 * time.Second); err != nil {
		t.Fatalf("SIGTERM after the cron resumed: exit %v\n%s", err, out)
	}
}
