package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"fastcache/internal/rdb"
)

// fillEveryType writes one dataset through do (database, command): every
// type and encoding over three databases, TTLs as absolute times (so two
// servers given the same calls hold the same expiries), a stream with a
// group, consumers and pending entries, and a function library.
func fillEveryType(t *testing.T, do func(db int, args ...any)) {
	t.Helper()
	at := time.Now().Add(2*time.Hour).UnixMilli() / 1000 * 1000
	do(0, "SET", "int", "12345")
	do(0, "SET", "neg", "-7")
	do(0, "SET", "str", "hello")
	do(0, "SET", "lzf", strings.Repeat("abcdefgh", 200))
	do(0, "SET", "bin", "\x00\xff\r\n")
	do(0, "SET", "ttl", "v")
	do(0, "PEXPIREAT", "ttl", at)
	do(0, "PFADD", "hll", "a", "b", "c")
	do(0, "SETBIT", "bits", 1000, 1)
	do(0, "RPUSH", "smalllist", "a", "b", "1", "-5")
	big := []any{"RPUSH", "biglist"}
	for i := range 3000 {
		big = append(big, fmt.Sprintf("element-%d", i))
	}
	do(0, big...)
	do(0, "SADD", "intset", 1, 2, 3, -7, 1<<40)
	do(0, "SADD", "smallset", "a", "b", "c")
	hset := []any{"SADD", "bigset"}
	for i := range 600 {
		hset = append(hset, fmt.Sprintf("m%d", i))
	}
	do(0, hset...)
	do(3, "ZADD", "zsmall", 1, "a", 2.5, "b", "-inf", "c", "inf", "d", 0.1, "e")
	zbig := []any{"ZADD", "zbig"}
	for i := range 300 {
		zbig = append(zbig, float64(i)/3, fmt.Sprintf("m%d", i))
	}
	do(3, zbig...)
	do(3, "HSET", "hsmall", "f1", "v1", "f2", "2")
	do(3, "HSET", "hbig", "f", strings.Repeat("x", 100), "g", "1")
	hbig := []any{"HSET", "hmany"}
	for i := range 700 {
		hbig = append(hbig, fmt.Sprintf("f%d", i), i)
	}
	do(3, hbig...)
	do(3, "PEXPIREAT", "hmany", at+5000)
	do(15, "XADD", "stream", "1-1", "a", "1")
	do(15, "XADD", "stream", "2-1", "b", "2", "c", "3")
	do(15, "XADD", "stream", "3-0", "a", "4")
	do(15, "XDEL", "stream", "2-1")
	do(15, "XGROUP", "CREATE", "stream", "g", "0")
	do(15, "XGROUP", "CREATE", "stream", "idle", "$")
	do(15, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "stream", ">")
	do(15, "XREADGROUP", "GROUP", "g", "bob", "STREAMS", "stream", ">")
	do(15, "XACK", "stream", "g", "3-0")
	do(15, "SET", "db15", "x")
	do(0, "FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)")
}

// doOn runs calls against a server, each in its database.
func doOn(t *testing.T, c *redis.Client) func(db int, args ...any) {
	return func(db int, args ...any) {
		t.Helper()
		pipe := c.Pipeline()
		pipe.Do(ctx(), "SELECT", db)
		cmd := pipe.Do(ctx(), args...)
		pipe.Exec(ctx())
		if err := cmd.Err(); err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
}

// redisCLI runs redis-cli with args and returns its stderr and stdout.
func redisCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not installed (apt-get install redis-tools)")
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

// TestRedisCLIRDBBackup: `redis-cli --rdb` against fastcache gets an RDB
// file that redis-check-rdb accepts and redis-server loads as dump.rdb
// into the very dataset a redis-server given the same commands holds
// (DEBUG DIGEST equal: every key, type, value and expiry), stream groups
// and their pending entries as fastcache holds them, and the function
// library. `--functions-rdb` gets the libraries alone. A fastcache started
// next to the file imports it back into the same data.
func TestRedisCLIRDBBackup(t *testing.T) {
	ref := redis.NewClient(&redis.Options{Addr: startRedisServer(t, "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"), MaxRetries: -1})
	defer ref.Close()
	p := startReady(t, t.TempDir(), "--appendonly", "yes")
	fc := p.client()
	fillEveryType(t, doOn(t, ref))
	fillEveryType(t, doOn(t, fc))

	file := filepath.Join(t.TempDir(), "backup.rdb")
	out, err := redisCLI(t, "-p", strconv.Itoa(p.port), "--rdb", file)
	if err != nil || !strings.Contains(out, "Transfer finished with success") {
		t.Fatalf("redis-cli --rdb: %v\n%s", err, out)
	}
	if out, err := exec.Command("redis-check-rdb", file).CombinedOutput(); err != nil || !strings.Contains(string(out), "RDB looks OK") {
		t.Fatalf("redis-check-rdb: %v\n%s", err, out)
	}

	// redis-server loads it: the same data as the reference server
	ldir := t.TempDir()
	copyFile(t, file, filepath.Join(ldir, "dump.rdb"))
	loaded := redis.NewClient(&redis.Options{Addr: startRedisServer(t, "--dir", ldir, "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"), MaxRetries: -1})
	defer loaded.Close()
	for _, db := range []int{0, 3, 15} {
		want, got := keysOf(t, ref, db), keysOf(t, loaded, db)
		if strings.Join(want, ",") != strings.Join(got, ",") {
			t.Fatalf("db %d: the loaded file holds keys %v, the reference %v", db, got, want)
		}
		for _, k := range want {
			rv := digestValue(t, ref, db, k)
			if lv := digestValue(t, loaded, db, k); lv != rv {
				t.Errorf("db %d key %q: DEBUG DIGEST-VALUE %s from the file, %s on the reference", db, k, lv, rv)
			}
			rt, lt := pttl(t, ref, db, k), pttl(t, loaded, db, k)
			if (rt > 0) != (lt > 0) || lt > rt+time.Minute || rt > lt+time.Minute {
				t.Errorf("db %d key %q: PTTL %v from the file, %v on the reference", db, k, lt, rt)
			}
		}
	}
	rd, _ := ref.Do(ctx(), "DEBUG", "DIGEST").Text()
	ld, _ := loaded.Do(ctx(), "DEBUG", "DIGEST").Text()
	if rd != ld || rd == strings.Repeat("0", 40) {
		t.Errorf("DEBUG DIGEST of the loaded file %s, of the reference %s", ld, rd)
	}
	// the stream's groups, consumers and pending entries are fastcache's
	for _, args := range [][]any{{"XINFO", "STREAM", "stream", "FULL"}, {"XPENDING", "stream", "g"}, {"XINFO", "GROUPS", "stream"}} {
		f, l := inDB(t, fc, 15, args...), inDB(t, loaded, 15, args...)
		if f != l {
			t.Errorf("%v: fastcache %s, loaded file %s", args, f, l)
		}
	}
	if v, err := loaded.Do(ctx(), "FCALL", "f", 0).Int(); v != 1 || err != nil {
		t.Errorf("the library in the file: FCALL f = %v, %v", v, err)
	}

	// --functions-rdb: the libraries alone
	ffile := filepath.Join(t.TempDir(), "functions.rdb")
	if out, err := redisCLI(t, "-p", strconv.Itoa(p.port), "--functions-rdb", ffile); err != nil || !strings.Contains(out, "Transfer finished with success") {
		t.Fatalf("redis-cli --functions-rdb: %v\n%s", err, out)
	}
	fdir := t.TempDir()
	copyFile(t, ffile, filepath.Join(fdir, "dump.rdb"))
	fonly := redis.NewClient(&redis.Options{Addr: startRedisServer(t, "--dir", fdir, "--save", "", "--appendonly", "no"), MaxRetries: -1})
	defer fonly.Close()
	if n := fonly.DBSize(ctx()).Val(); n != 0 {
		t.Errorf("the functions-only file holds %d keys", n)
	}
	if v, err := fonly.Do(ctx(), "FCALL", "f", 0).Int(); v != 1 || err != nil {
		t.Errorf("the functions-only file: FCALL f = %v, %v", v, err)
	}

	// fastcache imports the file back: the same data (its own digest)
	idir := t.TempDir()
	copyFile(t, file, filepath.Join(idir, "dump.rdb"))
	back := startReady(t, idir)
	fd, _ := fc.Do(ctx(), "DEBUG", "DIGEST").Text()
	bd, _ := back.client().Do(ctx(), "DEBUG", "DIGEST").Text()
	if fd != bd {
		t.Errorf("fastcache's DEBUG DIGEST %s, after importing its own backup %s", fd, bd)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func keysOf(t *testing.T, c *redis.Client, db int) []string {
	t.Helper()
	pipe := c.Pipeline()
	pipe.Do(ctx(), "SELECT", db)
	k := pipe.Keys(ctx(), "*")
	pipe.Exec(ctx())
	ks := k.Val()
	sort.Strings(ks)
	return ks
}

func inDB(t *testing.T, c *redis.Client, db int, args ...any) string {
	t.Helper()
	pipe := c.Pipeline()
	pipe.Do(ctx(), "SELECT", db)
	r := pipe.Do(ctx(), args...)
	pipe.Exec(ctx())
	return fmt.Sprint(r.Val(), r.Err())
}

func digestValue(t *testing.T, c *redis.Client, db int, key string) string {
	return inDB(t, c, db, "DEBUG", "DIGEST-VALUE", key)
}

func pttl(t *testing.T, c *redis.Client, db int, key string) time.Duration {
	t.Helper()
	pipe := c.Pipeline()
	pipe.Do(ctx(), "SELECT", db)
	r := pipe.PTTL(ctx(), key)
	pipe.Exec(ctx())
	return r.Val()
}

// syncFile asks addr for its RDB file as redis-cli does (REPLCONF capa
// eof, rdb-only, then SYNC) when eof, or with a bare SYNC (a bulk of known
// length) otherwise, and returns the file; the server must close the
// connection after it, and send it EOF-marked exactly when asked.
func syncFile(t *testing.T, addr string, eof bool) []byte {
	t.Helper()
	b, marked := syncFileAs(t, addr, eof)
	if marked != eof {
		t.Fatalf("SYNC: EOF-marked %v, asked for it %v", marked, eof)
	}
	return b
}

// syncFileAs is syncFile, reporting whether the file came EOF-marked.
func syncFileAs(t *testing.T, addr string, eof bool) ([]byte, bool) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Minute))
	var file bytes.Buffer
	_, marked, err := rdb.Fetch(conn, &file, eof)
	if err != nil {
		t.Fatalf("SYNC: %v", err)
	}
	if n, err := conn.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("the connection is still open after the file (%d, %v)", n, err)
	}
	return file.Bytes(), marked
}

// TestSyncBulkTransfer: a SYNC without the EOF capability (older tools)
// gets the file as a bulk of known length, then the connection closes;
// the file reads back into every key. rdbcompression, rdbchecksum and
// repl-diskless-sync act on the file and its transfer as on Redis's.
func TestSyncBulkTransfer(t *testing.T) {
	p := startReady(t, t.TempDir())
	fc := p.client()
	fillEveryType(t, doOn(t, fc))
	for _, eof := range []bool{false, true} {
		b := syncFile(t, p.addr(), eof)
		var keys int64
		info, err := rdb.ReadFile(b, func(rdb.FileEntry) error { keys++; return nil })
		if err != nil {
			t.Fatalf("eof %v: the file does not read: %v", eof, err)
		}
		var want int64
		for _, db := range []int{0, 3, 15} {
			want += int64(len(keysOf(t, fc, db)))
		}
		if keys != want || len(info.Functions) != 1 || info.Aux["redis-ver"] == "" {
			t.Fatalf("eof %v: %d keys (want %d), %d libraries, aux %v", eof, keys, want, len(info.Functions), info.Aux)
		}
	}
	if n := infoInt(t, fc, "stats", "sync_full"); n != 2 {
		t.Errorf("INFO sync_full %d after two SYNCs", n)
	}
	if m, _ := filepath.Glob(filepath.Join(p.dir, "temp-sync-*")); len(m) > 0 {
		t.Errorf("temporary files left in the data folder: %v", m)
	}
	long := []byte(strings.Repeat("abcdefgh", 200)) // "lzf": compressible
	if b := syncFile(t, p.addr(), true); bytes.Contains(b, long) || bytes.Equal(b[len(b)-8:], make([]byte, 8)) {
		t.Error("by default the file's strings are not LZF-compressed, or it has no checksum")
	}

	// rdbcompression no, rdbchecksum no, repl-diskless-sync no: strings
	// as they are, a checksum of 0, and a bulk of known length even to a
	// client that takes the EOF framing
	q := startReady(t, t.TempDir(), "--rdbcompression", "no", "--rdbchecksum", "no", "--repl-diskless-sync", "no")
	fillEveryType(t, doOn(t, q.client()))
	b, marked := syncFileAs(t, q.addr(), true)
	if marked {
		t.Error("with repl-diskless-sync no the file came EOF-marked")
	}
	if !bytes.Contains(b, long) || !bytes.Equal(b[len(b)-8:], make([]byte, 8)) {
		t.Error("with rdbcompression no and rdbchecksum no: a compressed string, or a checksum")
	}
	if _, err := rdb.ReadFile(b, func(rdb.FileEntry) error { return nil }); err != nil {
		t.Fatalf("the file without compression and checksum does not read: %v", err)
	}
}

// TestSyncPointInTime: files taken while transactions and scripts each
// change keys on many shards show every transaction whole or not at all,
// as the child of Redis's BGSAVE does: in each file the eight counters a
// MULTI/EXEC increments together are equal, and so are the ten keys a
// script sets together; 200 MB of other values make the copy take a
// while (with shards copied one by one under their own locks alone, a
// transaction lands between two copies within a few files).
// Each file also holds every transaction the one before it held.
func TestSyncPointInTime(t *testing.T) {
	p := startReady(t, t.TempDir(), "--appendonly", "no", "--save", "")
	fc := p.client()
	val := strings.Repeat("v", 512<<10)
	for i := 0; i < 400; i += 10 {
		args := []any{"MSET"}
		for j := i; j < i+10; j++ {
			args = append(args, fmt.Sprintf("filler:%d", j), val)
		}
		if err := fc.Do(ctx(), args...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: -1})
			defer c.Close()
			for i := 0; !stop.Load() && i < 1_000_000; i++ {
				if w == 0 {
					c.Eval(ctx(), "for i = 1, 10 do redis.call('SET', 's'..i, ARGV[1]) end", []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10"}, i)
					continue
				}
				c.TxPipelined(ctx(), func(pipe redis.Pipeliner) error {
					for k := range 8 {
						pipe.Incr(ctx(), fmt.Sprintf("counter:%d", k))
					}
					return nil
				})
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()
	time.Sleep(100 * time.Millisecond)
	var last int64
	for round := range 6 {
		b := syncFile(t, p.addr(), round%2 == 0)
		counters, scripts := map[string]string{}, map[string]string{}
		_, err := rdb.ReadFile(b, func(e rdb.FileEntry) error {
			k := string(e.Key)
			if strings.HasPrefix(k, "counter:") {
				counters[k] = string(e.Value.Str)
			} else if len(k) <= 3 && strings.HasPrefix(k, "s") {
				scripts[k] = string(e.Value.Str)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(counters) != 8 || len(scripts) != 10 {
			t.Fatalf("round %d: %d counters, %d script keys in the file", round, len(counters), len(scripts))
		}
		for k, v := range counters {
			if v != counters["counter:0"] {
				t.Fatalf("round %d: a transaction is cut in half: %s = %s, counter:0 = %s", round, k, v, counters["counter:0"])
			}
		}
		for k, v := range scripts {
			if v != scripts["s1"] {
				t.Fatalf("round %d: a script is cut in half: %s = %s, s1 = %s", round, k, v, scripts["s1"])
			}
		}
		n, _ := strconv.ParseInt(counters["counter:0"], 10, 64)
		if n < last {
			t.Fatalf("round %d: counters at %d, the file before held %d", round, n, last)
		}
		last = n
	}
	if last == 0 {
		t.Fatal("no transaction ran during the transfers")
	}
}

// TestSyncFieldTTLsAndReplicaLink: a hash's fields past their TTL are not
// in the file and the others are, without TTLs (RDB version 10 has none);
// a replica whose link to its primary is down refuses SYNC as Redis does.
func TestSyncFieldTTLsAndReplicaLink(t *testing.T) {
	p := startReady(t, t.TempDir())
	fc := p.client()
	fc.HSet(ctx(), "hf", "gone", "1", "kept", "2", "plain", "3")
	fc.Do(ctx(), "HPEXPIRE", "hf", 1, "FIELDS", 1, "gone")
	fc.Do(ctx(), "HEXPIRE", "hf", 3600, "FIELDS", 1, "kept")
	fc.HSet(ctx(), "allgone", "a", "1")
	fc.Do(ctx(), "HPEXPIRE", "allgone", 1, "FIELDS", 1, "a")
	time.Sleep(20 * time.Millisecond)
	got := map[string][]string{}
	if _, err := rdb.ReadFile(syncFile(t, p.addr(), true), func(e rdb.FileEntry) error {
		for _, it := range e.Value.Items {
			got[string(e.Key)] = append(got[string(e.Key)], string(it))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["allgone"]; ok || len(got) != 1 {
		t.Fatalf("keys in the file: %v", got)
	}
	m := map[string]string{}
	for i := 0; i+1 < len(got["hf"]); i += 2 {
		m[got["hf"][i]] = got["hf"][i+1]
	}
	if len(m) != 2 || m["kept"] != "2" || m["plain"] != "3" {
		t.Fatalf("hf in the file: %v", m)
	}

	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", freePort(t)))
	conn, err := net.Dial("tcp", replica.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "SYNC\r\n")
	if l, _ := bufio.NewReader(conn).ReadString('\n'); l != "-NOMASTERLINK Can't SYNC while not connected with my master\r\n" {
		t.Fatalf("SYNC on a replica without its primary: %q", l)
	}
}

// TestRDBBackupRandomized: thousands of random writes of every type over
// three databases (sizes that cross the listpack, intset and quicklist
// thresholds both ways, deletions, trims, absolute expiries) go to
// fastcache and to a reference redis-server; redis-server loading the file
// `redis-cli --rdb` took from fastcache then holds what the reference
// holds, key by key (DEBUG DIGEST-VALUE) and as a whole (DEBUG DIGEST).
func TestRDBBackupRandomized(t *testing.T) {
	ref := redis.NewClient(&redis.Options{Addr: startRedisServer(t, "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"), MaxRetries: -1})
	defer ref.Close()
	p := startReady(t, t.TempDir())
	fc := p.client()
	rng := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	at := time.Now().Add(3*time.Hour).UnixMilli() / 1000 * 1000
	small := false // the key at hand is one kept small (below)
	val := func() string {
		n := 4
		if small {
			n = 1 // no long values: packed encodings
		}
		switch rng.IntN(4) % n {
		case 0:
			return strconv.Itoa(rng.IntN(2000) - 1000)
		case 1:
			return strings.Repeat("v", 1+rng.IntN(100)) // crosses the 64-byte listpack value limit
		default:
			return fmt.Sprint("m", rng.IntN(700))
		}
	}
	ops := 4000
	if testing.Short() {
		ops = 1000
	}
	fcPipe, refPipe := fc.Pipeline(), ref.Pipeline()
	for i := range ops {
		db := rng.IntN(3)
		op := rng.IntN(22)
		// a family of keys per type (so most keys keep their type); the
		// first few of each kept small (packed encodings: listpacks,
		// intsets) and the rest let grow
		kn := rng.IntN(12)
		key := fmt.Sprintf("%s%d", []string{"str", "hash", "list", "set", "zset", "stream"}[opFamily(op)], kn)
		small = kn < 4
		size := func(big int) int {
			if small {
				return 1 + rng.IntN(3)
			}
			return 1 + rng.IntN(big)
		}
		var args []any
		switch op {
		case 0:
			args = []any{"SET", key, val()}
		case 1:
			args = []any{"APPEND", key, val()}
		case 2:
			args = []any{"INCRBY", key, rng.IntN(100)}
		case 3, 4:
			n := size(60)
			args = []any{"HSET", key}
			for range n {
				args = append(args, fmt.Sprint("f", rng.IntN(600)), val())
			}
		case 5:
			args = []any{"HDEL", key, fmt.Sprint("f", rng.IntN(600)), fmt.Sprint("f", rng.IntN(600))}
		case 6:
			args = []any{"HINCRBY", key, fmt.Sprint("n", rng.IntN(5)), rng.IntN(50)}
		case 7, 8:
			args = []any{[]string{"RPUSH", "LPUSH"}[rng.IntN(2)], key}
			for range size(80) {
				args = append(args, val())
			}
		case 9:
			args = []any{[]string{"LPOP", "RPOP"}[rng.IntN(2)], key, 1 + rng.IntN(40)}
		case 10:
			args = []any{"LTRIM", key, rng.IntN(5), 50 + rng.IntN(400)}
		case 11:
			args = []any{"LSET", key, rng.IntN(20), val()}
		case 12, 13:
			args = []any{"SADD", key}
			for range size(80) {
				if kn >= 2 && rng.IntN(3) == 0 { // sets 0 and 1 stay intsets
					args = append(args, val())
				} else {
					args = append(args, rng.IntN(800)) // intsets, until a string joins
				}
			}
		case 14:
			args = []any{"SREM", key, rng.IntN(800), val()}
		case 15, 16:
			args = []any{"ZADD", key}
			for range size(60) {
				args = append(args, float64(rng.IntN(1000))/7, val())
			}
		case 17:
			args = []any{"ZREMRANGEBYRANK", key, 0, rng.IntN(30)}
		case 18:
			args = []any{"XADD", key, "MAXLEN", "~", 50 + rng.IntN(200), fmt.Sprintf("%d-%d", i+1, rng.IntN(3)), "f", val(), "g", val()}
		case 19:
			args = []any{"PEXPIREAT", key, at + int64(rng.IntN(100000))}
		case 20:
			args = []any{"PERSIST", key}
		case 21:
			args = []any{"DEL", key}
		}
		if small && op == 9 {
			args[2] = 1
		}
		for _, pipe := range []redis.Pipeliner{fcPipe, refPipe} {
			pipe.Do(ctx(), "SELECT", db)
			pipe.Do(ctx(), args...)
		}
		if i%200 == 199 || i == ops-1 {
			fcPipe.Exec(ctx()) // WRONGTYPE and the like answer both alike (the differential tests)
			refPipe.Exec(ctx())
		}
	}
	file := filepath.Join(t.TempDir(), "backup.rdb")
	if out, err := redisCLI(t, "-p", strconv.Itoa(p.port), "--rdb", file); err != nil || !strings.Contains(out, "Transfer finished with success") {
		t.Fatalf("redis-cli --rdb: %v\n%s", err, out)
	}
	ldir := t.TempDir()
	copyFile(t, file, filepath.Join(ldir, "dump.rdb"))
	loaded := redis.NewClient(&redis.Options{Addr: startRedisServer(t, "--dir", ldir, "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"), MaxRetries: -1})
	defer loaded.Close()
	for db := range 3 {
		want, got := keysOf(t, ref, db), keysOf(t, loaded, db)
		if strings.Join(want, ",") != strings.Join(got, ",") {
			t.Fatalf("db %d: the loaded file holds keys %v, the reference %v", db, got, want)
		}
		for _, k := range want {
			if rv, lv := digestValue(t, ref, db, k), digestValue(t, loaded, db, k); rv != lv {
				t.Errorf("db %d key %q (%s): DEBUG DIGEST-VALUE %s from the file, %s on the reference", db, k, inDB(t, ref, db, "TYPE", k), lv, rv)
			}
		}
	}
	rd, _ := ref.Do(ctx(), "DEBUG", "DIGEST").Text()
	ld, _ := loaded.Do(ctx(), "DEBUG", "DIGEST").Text()
	if rd != ld {
		t.Errorf("DEBUG DIGEST of the loaded file %s, of the reference %s", ld, rd)
	}
}

// opFamily is the key family of TestRDBBackupRandomized's operation op;
// the expiry and DEL operations (19-21) fall on any family.
func opFamily(op int) int {
	switch {
	case op <= 2:
		return 0
	case op <= 6:
		return 1
	case op <= 11:
		return 2
	case op <= 14:
		return 3
	case op <= 17:
		return 4
	case op == 18:
		return 5
	}
	return op % 6
}

// TestSyncStalledReader: a client that asks for the file and stops
// reading is dropped once a write has not moved for repl-timeout, as Redis
// drops a replica whose transfer stalls; the server goes on serving, and
// the next file is whole.
func TestSyncStalledReader(t *testing.T) {
	p := startReady(t, t.TempDir(), "--repl-timeout", "1")
	fc := p.client()
	rng := rand.New(rand.NewPCG(1, 2))
	val := make([]byte, 1000)
	for i := 0; i < 30000; i += 1000 { // 30 MB that LZF cannot shrink: more than the socket buffers hold
		args := []any{"MSET"}
		for j := i; j < i+1000; j++ {
			for b := range val {
				val[b] = byte('a' + rng.IntN(26))
			}
			args = append(args, fmt.Sprint("k", j), string(val))
		}
		if err := fc.Do(ctx(), args...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := net.Dial("tcp", p.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4096)
	io.WriteString(conn, "SYNC\r\n") // and never read (a replica's SYNC: the file, then the stream)
	waitFor(t, "the stalled transfer to be dropped", func() bool {
		return strings.Contains(p.out.String(), "the RDB transfer to the redis-server replica failed")
	})
	if err := fc.Ping(ctx()).Err(); err != nil {
		t.Fatal(err)
	}
	var keys int
	if _, err := rdb.ReadFile(syncFile(t, p.addr(), true), func(rdb.FileEntry) error { keys++; return nil }); err != nil || keys != 30000 {
		t.Fatalf("the next file: %d keys, %v", keys, err)
	}
}
