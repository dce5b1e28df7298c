package server

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"fastcache/cache"
)

func TestConfigGet(t *testing.T) {
	ts := startServer(t, "maxmemory", "1mb")
	rc := ts.rawConn(t)
	v := rc.val("CONFIG", "GET", "maxmemory")
	if v.kind != '*' || len(v.elems) != 2 || v.elems[0].str != "maxmemory" || v.elems[1].str != "1048576" {
		t.Fatalf("RESP2 CONFIG GET maxmemory: %+v", v)
	}
	// Several patterns, globs, no duplicates.
	v = rc.val("CONFIG", "GET", "maxmemory*", "maxmemory", "port")
	got := map[string]string{}
	for i := 0; i+1 < len(v.elems); i += 2 {
		if _, dup := got[v.elems[i].str]; dup {
			t.Fatalf("duplicate %q in %v", v.elems[i].str, v.strs())
		}
		got[v.elems[i].str] = v.elems[i+1].str
	}
	for _, k := range []string{"maxmemory", "maxmemory-policy", "maxmemory-samples", "port"} {
		if _, ok := got[k]; !ok {
			t.Errorf("CONFIG GET maxmemory* maxmemory port lacks %s: %v", k, got)
		}
	}
	if got["maxmemory-policy"] != "noeviction" {
		t.Errorf("maxmemory-policy = %q", got["maxmemory-policy"])
	}
	if v := rc.val("CONFIG", "GET", "no-such-thing"); v.kind != '*' || len(v.elems) != 0 {
		t.Errorf("CONFIG GET of nothing: %+v", v)
	}
	if got := rc.do("CONFIG", "GET"); got != "-ERR wrong number of arguments for 'config|get' command\r\n" {
		t.Errorf("CONFIG GET without pattern: %q", got)
	}
	rc.do("HELLO", "3")
	if got := rc.do("CONFIG", "GET", "maxmemory"); got != "%1\r\n$9\r\nmaxmemory\r\n$7\r\n1048576\r\n" {
		t.Errorf("RESP3 CONFIG GET is a map: %q", got)
	}
	for _, proto := range []int{2, 3} {
		m, err := ts.client(t, proto).ConfigGet(ctx(), "maxmemory*").Result()
		if err != nil || m["maxmemory"] != "1048576" || m["maxmemory-policy"] != "noeviction" {
			t.Errorf("go-redis proto %d ConfigGet: %v, %v", proto, m, err)
		}
	}
}

func TestConfigSet(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	if got := rc.do("CONFIG", "SET", "maxmemory", "10mb"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET maxmemory: %q", got)
	}
	if n := ts.cache.MaxMemory(); n != 10<<20 {
		t.Fatalf("cache maxmemory = %d after CONFIG SET", n)
	}
	if got := rc.do("CONFIG", "SET", "maxmemory-policy", "allkeys-lru", "maxmemory", "0"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET two pairs: %q", got)
	}
	if p := ts.cache.Policy(); p != "allkeys-lru" {
		t.Fatalf("cache policy = %q", p)
	}
	if n := ts.cache.MaxMemory(); n != 0 {
		t.Fatalf("cache maxmemory = %d", n)
	}
	if got := rc.do("CONFIG", "SET", "maxmemory-samples", "7"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET maxmemory-samples: %q", got)
	}
	if v := rc.val("CONFIG", "GET", "maxmemory-samples"); len(v.elems) != 2 || v.elems[1].str != "7" {
		t.Fatalf("CONFIG GET after SET: %+v", v)
	}
	if got := rc.do("CONFIG", "SET", "maxmemory", "1", "maxmemory-policy"); got != "-ERR syntax error\r\n" { // as Redis 7.0
		t.Errorf("odd CONFIG SET: %q", got)
	}
	if got := rc.do("CONFIG", "SET", "maxmemory"); got != "-ERR wrong number of arguments for 'config|set' command\r\n" {
		t.Errorf("short CONFIG SET: %q", got)
	}
	if got := rc.do("CONFIG", "SET", "no-such-option", "1"); !strings.HasPrefix(got, "-ERR ") || !strings.Contains(got, "no-such-option") {
		t.Errorf("CONFIG SET unknown: %q", got)
	}
	// go-redis.
	rdb := ts.client(t, 3)
	if err := rdb.ConfigSet(ctx(), "maxmemory", "2mb").Err(); err != nil {
		t.Fatal(err)
	}
	if n := ts.cache.MaxMemory(); n != 2<<20 {
		t.Fatalf("cache maxmemory = %d after go-redis ConfigSet", n)
	}
	// maxmemory from CONFIG SET is enforced: a write over it is refused.
	if commands["set"] != nil {
		big := strings.Repeat("x", 1<<20)
		// (the policy is allkeys-lru from above; noeviction refuses instead)
		rdb.ConfigSet(ctx(), "maxmemory-policy", "noeviction")
		rdb.ConfigSet(ctx(), "maxmemory", "1mb")
		var err error
		for i := 0; i < 5 && err == nil; i++ {
			err = rdb.Set(ctx(), "k"+strconv.Itoa(i), big, 0).Err()
		}
		if err == nil || !strings.HasPrefix(err.Error(), "OOM ") {
			t.Fatalf("writes over maxmemory set at run time: %v", err)
		}
	}
}

// TestConfigSetBackgroundKnobs: active-expire-effort and
// maxmemory-eviction-tenacity reach the cache, from the command line and
// from CONFIG SET (what they do there: cache's TestEvictionTenacity and
// shard's TestActiveExpireEffort).
func TestConfigSetBackgroundKnobs(t *testing.T) {
	ts := startServer(t, "active-expire-effort", "3", "maxmemory-eviction-tenacity", "40")
	if e, n := ts.cache.ActiveExpireEffort(), ts.cache.EvictionTenacity(); e != 3 || n != 40 {
		t.Fatalf("from the command line: effort %d, tenacity %d; want 3 and 40", e, n)
	}
	rc := ts.rawConn(t)
	// each alone (one hook sets both)
	if got := rc.do("CONFIG", "SET", "maxmemory-eviction-tenacity", "100"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET: %q", got)
	}
	if n := ts.cache.EvictionTenacity(); n != 100 {
		t.Fatalf("after CONFIG SET: tenacity %d; want 100", n)
	}
	if got := rc.do("CONFIG", "SET", "active-expire-effort", "10"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET: %q", got)
	}
	if e := ts.cache.ActiveExpireEffort(); e != 10 {
		t.Fatalf("after CONFIG SET: effort %d; want 10", e)
	}
	if got := rc.do("CONFIG", "SET", "maxmemory-eviction-tenacity", "0", "active-expire-effort", "1"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET: %q", got)
	}
	if e, n := ts.cache.ActiveExpireEffort(), ts.cache.EvictionTenacity(); e != 1 || n != 0 {
		t.Fatalf("after CONFIG SET: effort %d, tenacity %d; want 1 and 0", e, n)
	}
	// a refused value changes nothing
	if got := rc.do("CONFIG", "SET", "active-expire-effort", "11"); !strings.HasPrefix(got, "-ERR ") {
		t.Fatalf("CONFIG SET active-expire-effort 11: %q", got)
	}
	if e := ts.cache.ActiveExpireEffort(); e != 1 {
		t.Fatalf("effort %d after a refused CONFIG SET, want 1", e)
	}
}

func TestConfigOtherSubcommands(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	rc.do("CONFIG", "RESETSTAT") // command statistics are the process's: other tests ran ECHO too
	rc.do("ECHO", "x")
	if !strings.Contains(rc.val("INFO", "commandstats").str, "cmdstat_echo:calls=1,") {
		t.Fatal("no echo in commandstats")
	}
	if got := rc.do("CONFIG", "RESETSTAT"); got != "+OK\r\n" {
		t.Fatalf("CONFIG RESETSTAT: %q", got)
	}
	info := rc.val("INFO", "all").str
	if strings.Contains(info, "cmdstat_echo") {
		t.Errorf("commandstats not reset: %q", info)
	}
	if !strings.Contains(info, "total_connections_received:0\r\n") {
		t.Errorf("stats not reset")
	}
	if got := rc.do("CONFIG", "REWRITE"); !strings.HasPrefix(got, "-ERR ") {
		t.Errorf("CONFIG REWRITE: %q", got)
	}
	help := rc.val("CONFIG", "HELP")
	if len(help.elems) < 4 || help.elems[0].str != "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" {
		t.Errorf("CONFIG HELP: %v", help.strs())
	}
	if got := rc.do("CONFIG", "foo"); got != "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n" {
		t.Errorf("CONFIG foo: %q", got)
	}
	if got := rc.do("CONFIG"); got != "-ERR wrong number of arguments for 'config' command\r\n" {
		t.Errorf("CONFIG: %q", got)
	}
	if got := rc.do("CONFIG", "RESETSTAT", "x"); got != "-ERR wrong number of arguments for 'config|resetstat' command\r\n" {
		t.Errorf("CONFIG RESETSTAT x: %q", got)
	}
}

func TestTimeDBSizeLastSave(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	before := time.Now()
	v := rc.val("TIME")
	if v.kind != '*' || len(v.elems) != 2 || v.elems[0].kind != '$' || v.elems[1].kind != '$' {
		t.Fatalf("TIME: %+v", v)
	}
	sec, _ := strconv.ParseInt(v.elems[0].str, 10, 64)
	usec, _ := strconv.ParseInt(v.elems[1].str, 10, 64)
	if sec < before.Unix()-1 || sec > time.Now().Unix()+1 || usec < 0 || usec > 999999 {
		t.Fatalf("TIME = %d %d", sec, usec)
	}
	if tm, err := ts.client(t, 3).Time(ctx()).Result(); err != nil || time.Since(tm).Abs() > 5*time.Second {
		t.Fatalf("go-redis TIME: %v %v", tm, err)
	}

	if got := rc.do("DBSIZE"); got != ":0\r\n" {
		t.Fatalf("DBSIZE empty: %q", got)
	}
	ks := ts.cache.Keyspace()
	for i := 0; i < 25; i++ {
		ks.Set([]byte("k"+strconv.Itoa(i)), []byte("v"), cache.SetOptions{}, nil)
	}
	if got := rc.do("DBSIZE"); got != ":25\r\n" {
		t.Fatalf("DBSIZE: %q", got)
	}
	// Inside EXEC every shard is locked: DBSIZE must not lock again.
	rc.do("MULTI")
	rc.do("DBSIZE")
	rc.do("TIME")
	rc.do("LASTSAVE")
	done := make(chan string, 1)
	go func() {
		b, err := readRawConn(rc, encodeCmd("EXEC"))
		if err != nil {
			b = err.Error()
		}
		done <- b
	}()
	select {
	case got := <-done:
		if !strings.HasPrefix(got, "*3\r\n:25\r\n*2\r\n") {
			t.Fatalf("EXEC [DBSIZE TIME LASTSAVE]: %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("EXEC with DBSIZE did not answer (deadlock?)")
	}

	got := rc.val("LASTSAVE")
	if got.kind != ':' || got.n != ts.srv.startTime.Unix() {
		t.Fatalf("LASTSAVE = %+v, want the start time %d", got, ts.srv.startTime.Unix())
	}
}

func readRawConn(rc *rawConn, cmd string) (string, error) {
	if _, err := rc.conn.Write([]byte(cmd)); err != nil {
		return "", err
	}
	return readRaw(rc.br)
}

func TestShutdown(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	fail := false
	ts := startServerOpts(t, func(o *Options) {
		o.Shutdown = func(save *bool, force bool) error {
			mu.Lock()
			defer mu.Unlock()
			call := "default"
			switch {
			case save == nil:
			case *save:
				call = "save"
			default:
				call = "nosave"
			}
			if force {
				call += " force"
			}
			calls = append(calls, call)
			if fail {
				return errors.New("disk on fire")
			}
			return nil
		}
	})
	rc := ts.rawConn(t)
	errs := []struct {
		args []string
		want string
	}{
		{[]string{"SHUTDOWN", "ABORT"}, "-ERR No shutdown in progress.\r\n"},
		{[]string{"SHUTDOWN", "ABORT", "NOW"}, "-ERR syntax error\r\n"},
		{[]string{"SHUTDOWN", "SAVE", "NOSAVE"}, "-ERR syntax error\r\n"},
		{[]string{"SHUTDOWN", "bogus"}, "-ERR syntax error\r\n"},
	}
	for _, e := range errs {
		if got := rc.do(e.args...); got != e.want {
			t.Errorf("%q: %q, want %q", e.args, got, e.want)
		}
	}
	// Inside MULTI it is refused at once and the transaction is aborted.
	rc.do("MULTI")
	if got := rc.do("SHUTDOWN"); got != "-ERR Command not allowed inside a transaction\r\n" {
		t.Errorf("SHUTDOWN in MULTI: %q", got)
	}
	if got := rc.do("EXEC"); !strings.HasPrefix(got, "-EXECABORT") {
		t.Errorf("EXEC after SHUTDOWN in MULTI: %q", got)
	}
	mu.Lock()
	if len(calls) != 0 {
		t.Fatalf("Shutdown called by a refused SHUTDOWN: %v", calls)
	}
	fail = true
	mu.Unlock()
	if got := rc.do("SHUTDOWN", "NOW"); got != "-ERR Errors trying to SHUTDOWN. Check logs.\r\n" {
		t.Errorf("failed SHUTDOWN: %q", got)
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	for _, c := range []struct{ arg, want string }{{"NOSAVE", "nosave force"}, {"save", "save force"}, {"", "default"}} {
		conn := ts.rawConn(t)
		args := []string{"SHUTDOWN"}
		if c.arg != "" {
			args = append(args, c.arg, "NOW", "FORCE")
		}
		conn.write(encodeCmd(args...))
		if got := conn.expectClosed(5 * time.Second); got != "" {
			t.Errorf("SHUTDOWN %s: the client got %q, want no reply", c.arg, got)
		}
		mu.Lock()
		last := calls[len(calls)-1]
		mu.Unlock()
		if last != c.want {
			t.Errorf("SHUTDOWN %s: save = %s, want %s", c.arg, last, c.want)
		}
	}
	// Without a Shutdown handler it fails.
	ts2 := startServer(t)
	if got := ts2.rawConn(t).do("SHUTDOWN"); got != "-ERR Errors trying to SHUTDOWN. Check logs.\r\n" {
		t.Errorf("SHUTDOWN without handler: %q", got)
	}
}

func TestMaxClients(t *testing.T) {
	ts := startServer(t, "maxclients", "2")
	a := ts.rawConn(t)
	b := ts.rawConn(t)
	if a.do("PING") != "+PONG\r\n" || b.do("PING") != "+PONG\r\n" {
		t.Fatal("first two clients not served")
	}
	c := ts.rawConn(t)
	if got := c.expectClosed(5 * time.Second); got != "-ERR max number of clients reached\r\n" {
		t.Fatalf("third client: %q", got)
	}
	if !strings.Contains(a.val("INFO", "stats").str, "rejected_connections:1\r\n") {
		t.Error("rejected_connections not counted")
	}
	// go-redis fails to connect: with the error text, or with a broken
	// pipe when its HELLO is written after the server closed (as with Redis).
	rdb := redis.NewClient(&redis.Options{Addr: ts.addr, MaxRetries: -1})
	defer rdb.Close()
	if err := rdb.Ping(ctx()).Err(); err == nil {
		t.Fatal("go-redis connected over maxclients")
	}
	// A slot frees up when a client leaves.
	b.conn.Close()
	waitFor(t, 5*time.Second, "a free slot", func() bool {
		d := ts.rawConn(t)
		d.write(encodeCmd("PING"))
		d.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		s, _ := readRaw(d.br)
		d.conn.Close()
		return s == "+PONG\r\n"
	})
	// maxclients can be raised at run time.
	if got := a.do("CONFIG", "SET", "maxclients", "10"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET maxclients: %q", got)
	}
	for i := 0; i < 3; i++ {
		if got := ts.rawConn(t).do("PING"); got != "+PONG\r\n" {
			t.Fatalf("after raising maxclients: %q", got)
		}
	}
}

func TestIdleTimeout(t *testing.T) {
	ts := startServer(t, "timeout", "1")
	idle := ts.rawConn(t)
	idle.do("PING")
	busy := ts.rawConn(t)
	start := time.Now()
	closed := make(chan string, 1)
	go func() {
		idle.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 64)
		n, err := idle.br.Read(buf)
		closed <- string(buf[:n]) + "|" + errString(err)
	}()
	for {
		select {
		case got := <-closed:
			if !strings.HasPrefix(got, "|") || strings.Contains(got, "timeout") {
				t.Fatalf("idle client: %q", got)
			}
			if el := time.Since(start); el > 5*time.Second {
				t.Fatalf("idle client closed after %v", el)
			}
			// The busy client, active every 200 ms, is still served.
			if got := busy.do("PING"); got != "+PONG\r\n" {
				t.Fatalf("busy client: %q", got)
			}
			return
		case <-time.After(200 * time.Millisecond):
			if got := busy.do("PING"); got != "+PONG\r\n" {
				t.Fatalf("busy client closed: %q", got)
			}
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
