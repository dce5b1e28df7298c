package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestImportRedisRDB: a first start next to a Redis dump.rdb imports it:
// every database, every type and encoding, the TTLs, without the keys
// already expired, each key's DUMP then byte for byte the one redis-server
// gives; the import is in the log (a kill -9 keeps it) and a later start
// loads fastcache's own data, not the file again. A damaged file stops the
// start with an error that says so.
func TestImportRedisRDB(t *testing.T) {
	rdir := t.TempDir()
	raddr := startRedisServer(t, "--dir", rdir, "--save", "", "--appendonly", "no", "--enable-debug-command", "yes")
	r := redis.NewClient(&redis.Options{Addr: raddr, MaxRetries: -1})
	defer r.Close()
	must := func(cmd *redis.Cmd) {
		t.Helper()
		if err := cmd.Err(); err != nil {
			t.Fatalf("%v: %v", cmd.Args(), err)
		}
	}
	do := func(db int, args ...any) {
		t.Helper()
		pipe := r.Pipeline()
		pipe.Do(ctx(), "SELECT", db)
		c := pipe.Do(ctx(), args...)
		pipe.Exec(ctx())
		must(c)
	}
	keys := map[int][]string{}
	add := func(db int, key string, args ...any) {
		t.Helper()
		do(db, args...)
		keys[db] = append(keys[db], key)
	}
	add(0, "int", "SET", "int", "12345")
	add(0, "str", "SET", "str", "hello")
	add(0, "lzf", "SET", "lzf", strings.Repeat("abcdefgh", 200))
	add(0, "ttl", "SET", "ttl", "v", "PX", "3600000")
	add(0, "smalllist", "RPUSH", "smalllist", "a", "b", "1")
	big := []any{"RPUSH", "biglist"}
	for i := range 3000 {
		big = append(big, fmt.Sprintf("element-%d", i))
	}
	add(0, "biglist", big...)
	add(0, "intset", "SADD", "intset", 1, 2, 3, -7)
	add(0, "lpset", "SADD", "lpset", "a", "b", "c")
	hset := []any{"SADD", "htset"}
	for i := range 600 {
		hset = append(hset, fmt.Sprintf("m%d", i))
	}
	add(0, "htset", hset...)
	add(3, "zsmall", "ZADD", "zsmall", 1, "a", 2.5, "b", "-inf", "c")
	zbig := []any{"ZADD", "zbig"}
	for i := range 300 {
		zbig = append(zbig, i, fmt.Sprintf("m%d", i))
	}
	add(3, "zbig", zbig...)
	add(3, "hsmall", "HSET", "hsmall", "f1", "v1", "f2", "2")
	add(3, "hbig", "HSET", "hbig", "f", strings.Repeat("x", 100))
	add(15, "stream", "XADD", "stream", "1-1", "a", "1")
	do(15, "XADD", "stream", "2-1", "b", "2")
	do(15, "XGROUP", "CREATE", "stream", "g", "0")
	do(15, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "stream", ">")
	add(15, "ttl15", "HSET", "ttl15", "f", "v")
	do(15, "PEXPIRE", "ttl15", 7200000)
	// a key expired in the file: the active expiry off, so SAVE writes it
	must(r.Do(ctx(), "DEBUG", "SET-ACTIVE-EXPIRE", "0"))
	do(0, "SET", "gone", "x", "PX", "30")
	must(r.Do(ctx(), "FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)"))
	time.Sleep(100 * time.Millisecond) // "gone" expires (no assertion rests on the time)
	must(r.Do(ctx(), "SAVE"))
	dump, err := os.ReadFile(filepath.Join(rdir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}

	fdir := t.TempDir()
	if err := os.WriteFile(filepath.Join(fdir, "dump.rdb"), dump, 0o644); err != nil {
		t.Fatal(err)
	}
	p := startReady(t, fdir, "--appendonly", "yes", "--appendfsync", "always")
	if !strings.Contains(p.out.String(), "imported a Redis RDB file") || !strings.Contains(p.out.String(), "imported the function libraries") {
		t.Fatalf("no import in the log:\n%s", p.out.String())
	}
	compare := func(p *proc) {
		t.Helper()
		f := redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: -1})
		defer f.Close()
		for db, ks := range keys {
			for _, k := range ks {
				rp := r.Pipeline()
				rp.Do(ctx(), "SELECT", db)
				rd, rt := rp.Dump(ctx(), k), rp.PTTL(ctx(), k)
				rp.Exec(ctx())
				fp := f.Pipeline()
				fp.Do(ctx(), "SELECT", db)
				fd, ft := fp.Dump(ctx(), k), fp.PTTL(ctx(), k)
				fp.Exec(ctx())
				if fd.Err() != nil || fd.Val() != rd.Val() {
					t.Errorf("db %d key %q: DUMP differs from redis-server's (%v; %d vs %d bytes)", db, k, fd.Err(), len(fd.Val()), len(rd.Val()))
				}
				if (rt.Val() > 0) != (ft.Val() > 0) || ft.Val() > rt.Val()+time.Minute {
					t.Errorf("db %d key %q: PTTL %v, redis-server %v", db, k, ft.Val(), rt.Val())
				}
			}
		}
		if v, err := f.Do(ctx(), "FCALL", "f", 0).Int(); v != 1 || err != nil {
			t.Errorf("the imported function: %v %v", v, err)
		}
		if n := f.Exists(ctx(), "gone").Val(); n != 0 {
			t.Error("a key expired in the file was imported")
		}
		if n := f.DBSize(ctx()).Val(); n != int64(len(keys[0])) {
			t.Errorf("db 0 holds %d keys, want %d", n, len(keys[0]))
		}
	}
	compare(p)
	// After a kill -9 the import is there (from the log), and a change made
	// after it is not overwritten by a second import.
	fc := p.client()
	if err := fc.Set(ctx(), "str", "changed", 0).Err(); err != nil {
		t.Fatal(err)
	}
	p.kill()
	p = startReady(t, fdir, "--appendonly", "yes")
	if strings.Contains(p.out.String(), "imported a Redis RDB file") {
		t.Fatal("the file was imported again over fastcache's own data")
	}
	if v := p.client().Get(ctx(), "str").Val(); v != "changed" {
		t.Fatalf("after the restart str = %q, want the change made after the import", v)
	}
	must(r.Do(ctx(), "SET", "str", "changed"))
	compare(p)
	p.stop()

	// A damaged file stops a first start, with the reason.
	bad := append([]byte(nil), dump...)
	bad[len(bad)/2] ^= 0xff
	ddir := t.TempDir()
	os.WriteFile(filepath.Join(ddir, "dump.rdb"), bad, 0o644)
	q := start(t, ddir, "--appendonly", "yes")
	out, err := q.wait(60 * time.Second)
	if err == nil || !strings.Contains(out, "import the Redis RDB file") {
		t.Fatalf("a damaged dump.rdb: exit %v\n%s", err, out)
	}
}
