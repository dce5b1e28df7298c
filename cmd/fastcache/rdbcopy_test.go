package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestSaveRDBCopy: with save-rdb-copy yes, SAVE and BGSAVE leave
// <dir>/<dbfilename> as a backup tool expects after them, a Redis RDB file
// of the dataset that redis-server loads with the same keys and values (a
// mix of every type in four databases, a function library), in both
// persistence modes; then a fresh fastcache started on the file alone
// imports it (the way back from such a backup).
func TestSaveRDBCopy(t *testing.T) {
	for _, aof := range []string{"yes", "no"} {
		t.Run("appendonly="+aof, func(t *testing.T) {
			dir := t.TempDir()
			p := startReady(t, dir, "--appendonly", aof, "--save", "", "--save-rdb-copy", "yes", "--dbfilename", "backup.rdb")
			fc := p.client()
			w := &primaryLoad{rng: rand.New(rand.NewPCG(31, uint64(time.Now().UnixNano()))), c: fc, t: t}
			w.run(2000)
			if err := fc.Do(ctx(), "FUNCTION", "LOAD", "REPLACE", "#!lua name=plib\nredis.register_function('pset', function(keys, args) return redis.call('SET', keys[1], args[1]) end)").Err(); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, "backup.rdb")
			if err := fc.Save(ctx()).Err(); err != nil {
				t.Fatal(err)
			}
			sameAsFile(t, p, file, "after SAVE")

			w.run(1000)
			os.Remove(file)
			if err := fc.BgSave(ctx()).Err(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				info := fc.Info(ctx(), "persistence").Val()
				_, err := os.Stat(file)
				if err == nil && strings.Contains(info, "rdb_bgsave_in_progress:0") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no %s after BGSAVE: %v\n%s", file, err, info)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if m, _ := filepath.Glob(filepath.Join(dir, "temp-*.rdb")); len(m) != 0 {
				t.Fatalf("temporary files left: %v", m)
			}
			sameAsFile(t, p, file, "after BGSAVE")

			// a fresh data folder with the file alone: imported at start
			want := loadedCopy(t, p)
			defer want.Close()
			p.stop()
			fresh := t.TempDir()
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(fresh, "backup.rdb"), b, 0o644)
			q := startReady(t, fresh, "--appendonly", aof, "--dbfilename", "backup.rdb")
			got := loadedCopy(t, q)
			defer got.Close()
			compareDatasets(t, want, got, "a fastcache started on the copy")
		})
	}
}

// sameAsFile compares fastcache's dataset with what redis-server loads
// from the RDB file at path.
func sameAsFile(t *testing.T, p *proc, path, when string) {
	t.Helper()
	want := loadedCopy(t, p)
	defer want.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	ldir := t.TempDir()
	if err := os.WriteFile(filepath.Join(ldir, "dump.rdb"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	got := redis.NewClient(&redis.Options{Addr: startRedisServer(t, "--dir", ldir, "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"), MaxRetries: -1})
	defer got.Close()
	compareDatasets(t, want, got, when)
}
