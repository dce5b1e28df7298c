package server

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"fastcache/cache"
	"fastcache/config"
)

// ACL users seen by applications: go-redis with Username/Password (AUTH
// user pass in RESP2, HELLO 3 AUTH user pass in RESP3) and a redis://
// URL, permissions enforced, connections of deleted users closed, pub/sub
// connections closed when their channels are revoked, the aclfile.

func aclUserClient(t *testing.T, ts *testServer, proto int, user, pass string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: proto, Username: user, Password: pass, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func mustOK(t *testing.T, rdb *redis.Client, args ...any) {
	t.Helper()
	if err := rdb.Do(ctx(), args...).Err(); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
}

func TestACLGoRedisUsers(t *testing.T) {
	ts := startServer(t, "requirepass", "adminpw")
	admin := aclUserClient(t, ts, 2, "", "adminpw")
	mustOK(t, admin, "ACL", "SETUSER", "app", "on", ">secret", "~app:*", "&events", "+@all", "-@dangerous")
	mustOK(t, admin, "ACL", "SETUSER", "reader", "on", ">rpw", "%R~app:*", "-@all", "+@read", "+@connection")
	for _, proto := range []int{2, 3} {
		app := aclUserClient(t, ts, proto, "app", "secret")
		if err := app.Set(ctx(), "app:1", "v", 0).Err(); err != nil {
			t.Fatalf("resp%d SET as app: %v", proto, err)
		}
		if who, err := app.Do(ctx(), "ACL", "WHOAMI").Text(); err != nil || who != "app" {
			t.Fatalf("resp%d WHOAMI: %q %v", proto, who, err)
		}
		err := app.Set(ctx(), "other", "v", 0).Err()
		if err == nil || err.Error() != "NOPERM this user has no permissions to access one of the keys used as arguments" {
			t.Fatalf("resp%d SET other: %v", proto, err)
		}
		err = app.FlushAll(ctx()).Err()
		if err == nil || err.Error() != "NOPERM this user has no permissions to run the 'flushall' command" {
			t.Fatalf("resp%d FLUSHALL: %v", proto, err)
		}
		err = app.Publish(ctx(), "news", "x").Err()
		if err == nil || err.Error() != "NOPERM this user has no permissions to access one of the channels used as arguments" {
			t.Fatalf("resp%d PUBLISH news: %v", proto, err)
		}
		if err := app.Publish(ctx(), "events", "x").Err(); err != nil {
			t.Fatalf("resp%d PUBLISH events: %v", proto, err)
		}
		// A transaction: the denied command fails the whole EXEC.
		_, err = app.TxPipelined(ctx(), func(p redis.Pipeliner) error {
			p.Incr(ctx(), "app:n")
			p.Incr(ctx(), "nope")
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "EXECABORT") {
			t.Fatalf("resp%d MULTI with a denied key: %v", proto, err)
		}
		// Scripts run as their caller.
		err = app.Eval(ctx(), "return redis.call('set', 'other', '1')", nil).Err()
		if err == nil || !strings.Contains(err.Error(), "The user executing the script can't access at least one of the keys") {
			t.Fatalf("resp%d EVAL writing other: %v", proto, err)
		}
		if v, err := app.Eval(ctx(), "return redis.call('incr', KEYS[1])", []string{"app:s"}).Int(); err != nil || v < 1 {
			t.Fatalf("resp%d EVAL incr app:s: %v %v", proto, v, err)
		}

		reader := aclUserClient(t, ts, proto, "reader", "rpw")
		if v, err := reader.Get(ctx(), "app:1").Result(); err != nil || v != "v" {
			t.Fatalf("resp%d reader GET: %q %v", proto, v, err)
		}
		if err := reader.Set(ctx(), "app:1", "x", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
			t.Fatalf("resp%d reader SET: %v", proto, err)
		}

		bad := aclUserClient(t, ts, proto, "app", "wrong")
		if err := bad.Ping(ctx()).Err(); err == nil || err.Error() != "WRONGPASS invalid username-password pair or user is disabled." {
			t.Fatalf("resp%d wrong password: %v", proto, err)
		}
	}
	// A redis:// URL with a user, as applications configure it.
	opt, err := redis.ParseURL("redis://app:secret@" + ts.addr + "/0")
	if err != nil {
		t.Fatal(err)
	}
	url := redis.NewClient(opt)
	defer url.Close()
	if v, err := url.Get(ctx(), "app:1").Result(); err != nil || v != "v" {
		t.Fatalf("URL client GET: %q %v", v, err)
	}
	// requirepass is the default user's password.
	if err := aclUserClient(t, ts, 2, "default", "adminpw").Ping(ctx()).Err(); err != nil {
		t.Fatalf("default with requirepass: %v", err)
	}
	mustOK(t, admin, "CONFIG", "SET", "requirepass", "newpw")
	if err := aclUserClient(t, ts, 2, "", "adminpw").Ping(ctx()).Err(); err == nil {
		t.Fatal("the old requirepass still authenticates")
	}
	if err := aclUserClient(t, ts, 3, "", "newpw").Ping(ctx()).Err(); err != nil {
		t.Fatalf("new requirepass: %v", err)
	}
	// The ACL LOG saw the denials.
	entries, err := admin.Do(ctx(), "ACL", "LOG").Slice()
	if err != nil || len(entries) == 0 {
		t.Fatalf("ACL LOG: %v %v", entries, err)
	}
}

// CLIENT LIST shows each connection's user; CLIENT KILL USER closes a
// user's connections; ACL DELUSER closes them too.
func TestACLDelUserClosesConnections(t *testing.T) {
	ts := startServer(t)
	admin := ts.rawConn(t)
	admin.do("ACL", "SETUSER", "alice", "on", ">pw", "~*", "&*", "+@all")
	admin.do("ACL", "SETUSER", "bob", "on", ">pw", "~*", "&*", "+@all")
	a1, a2, b := ts.rawConn(t), ts.rawConn(t), ts.rawConn(t)
	for _, c := range []*rawConn{a1, a2} {
		if r := c.do("AUTH", "alice", "pw"); r != "+OK\r\n" {
			t.Fatalf("AUTH alice: %q", r)
		}
	}
	if r := b.do("AUTH", "bob", "pw"); r != "+OK\r\n" {
		t.Fatalf("AUTH bob: %q", r)
	}
	list := admin.val("CLIENT", "LIST").str
	if strings.Count(list, "user=alice") != 2 || strings.Count(list, "user=bob") != 1 || strings.Count(list, "user=default") != 1 {
		t.Fatalf("CLIENT LIST users:\n%s", list)
	}
	if r := admin.do("CLIENT", "KILL", "USER", "bob"); r != ":1\r\n" {
		t.Fatalf("CLIENT KILL USER bob: %q", r)
	}
	b.expectClosed(5 * time.Second)
	if r := admin.do("CLIENT", "KILL", "USER", "nobody"); r != "-ERR No such user 'nobody'\r\n" {
		t.Fatalf("CLIENT KILL USER nobody: %q", r)
	}
	if r := admin.do("ACL", "DELUSER", "alice", "nobody"); r != ":1\r\n" {
		t.Fatalf("ACL DELUSER: %q", r)
	}
	a1.expectClosed(5 * time.Second)
	a2.expectClosed(5 * time.Second)
	if r := admin.do("PING"); r != "+PONG\r\n" {
		t.Fatalf("admin after DELUSER: %q", r)
	}
	// A user deleting itself gets its reply, then the connection closes.
	admin.do("ACL", "SETUSER", "self", "on", "nopass", "+@all")
	s := ts.rawConn(t)
	s.do("AUTH", "self", "x")
	if r := s.do("ACL", "DELUSER", "self"); r != ":1\r\n" {
		t.Fatalf("DELUSER self: %q", r)
	}
	s.expectClosed(5 * time.Second)
}

// Revoking a channel closes the user's connections subscribed to it, as
// Redis does; a subscriber whose channels are all still allowed stays.
func TestACLSetUserClosesRevokedSubscribers(t *testing.T) {
	ts := startServer(t)
	admin := ts.rawConn(t)
	admin.do("ACL", "SETUSER", "sub", "on", ">pw", "resetchannels", "&news", "&sports", "+@all")
	news, sports, pat := ts.rawConn(t), ts.rawConn(t), ts.rawConn(t)
	for _, c := range []*rawConn{news, sports, pat} {
		c.do("AUTH", "sub", "pw")
	}
	news.do("SUBSCRIBE", "news")
	sports.do("SUBSCRIBE", "sports")
	if r := pat.do("PSUBSCRIBE", "n*"); !strings.HasPrefix(r, "-NOPERM") {
		t.Fatalf("PSUBSCRIBE n* (not a pattern of the user): %q", r)
	}
	pat.do("PSUBSCRIBE", "news")
	if r := admin.do("ACL", "SETUSER", "sub", "resetchannels", "&sports"); r != "+OK\r\n" {
		t.Fatalf("SETUSER: %q", r)
	}
	news.expectClosed(5 * time.Second)
	pat.expectClosed(5 * time.Second)
	if r := admin.do("PUBLISH", "sports", "goal"); r != ":1\r\n" {
		t.Fatalf("PUBLISH sports: %q", r)
	}
	if r := sports.read(); !strings.Contains(r, "goal") {
		t.Fatalf("sports subscriber: %q", r)
	}
}

// The aclfile: loaded at start, ACL SAVE writes it, ACL LOAD replaces the
// users (all or nothing) and closes the connections of the users replaced.
func TestACLFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "users.acl")
	if err := os.WriteFile(file, []byte("user app on >secret ~app:* +@all\n\nuser default on nopass ~* &* +@all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, "aclfile", file)
	if err := ts.srv.LoadACLFile(); err != nil {
		t.Fatal(err)
	}
	admin := ts.rawConn(t)
	if r := admin.val("ACL", "USERS").strs(); strings.Join(r, ",") != "app,default" {
		t.Fatalf("ACL USERS after start: %v", r)
	}
	app := aclUserClient(t, ts, 3, "app", "secret")
	if err := app.Set(ctx(), "app:x", "1", 0).Err(); err != nil {
		t.Fatalf("app SET: %v", err)
	}
	admin.do("ACL", "SETUSER", "ops", "on", ">o", "-@all", "+info")
	if r := admin.do("ACL", "SAVE"); r != "+OK\r\n" {
		t.Fatalf("ACL SAVE: %q", r)
	}
	data, _ := os.ReadFile(file)
	want := "user app on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~app:* resetchannels +@all\n" +
		"user default on nopass ~* &* +@all\n" +
		"user ops on #65c74c15a686187bb6bbf9958f494fc6b80068034a659a9ad44991b08c58f2d2 resetchannels -@all +info\n"
	if string(data) != want {
		t.Fatalf("saved aclfile:\n%s\nwant:\n%s", data, want)
	}
	// A bad file changes nothing.
	os.WriteFile(file, []byte("user ok on nopass\nuser bad on +nocmd\nnotuser x\n"), 0o644)
	r := admin.do("ACL", "LOAD")
	wantErr := "-ERR " + file + ":2: Error in applying operation '+nocmd': Unknown command or category name in ACL. " + file + ":3 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n"
	if r != wantErr {
		t.Fatalf("ACL LOAD of a bad file:\n%q\nwant\n%q", r, wantErr)
	}
	const unchanged = "WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n"
	for _, tc := range []struct{ content, want string }{
		{"user x on nopass\nuser x off\nuser a\tb on\n",
			"-ERR WARNING: Duplicate user 'x' found on line 2. '" + file + ":3: username 'a\tb' contains invalid characters. " + unchanged},
		{"user  x  on   nopass  \n", "-ERR " + file + ":1: Syntax error. " + unchanged},
		{"user x on #abc >pw bogus\n", "-ERR " + file + ":1: The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters. " + unchanged},
		{"user x on (~a\n", "-ERR " + file + ":1: Unmatched parenthesis in selector definition." + unchanged},
	} {
		os.WriteFile(file, []byte(tc.content), 0o644)
		if r := admin.do("ACL", "LOAD"); r != tc.want {
			t.Errorf("ACL LOAD of %q:\n%q\nwant\n%q", tc.content, r, tc.want)
		}
	}
	if r := admin.val("ACL", "USERS").strs(); strings.Join(r, ",") != "app,default,ops" {
		t.Fatalf("ACL USERS after a failed LOAD: %v", r)
	}
	// A good one replaces every user; app's connection is closed.
	conn := ts.rawConn(t)
	conn.do("AUTH", "app", "secret")
	os.WriteFile(file, []byte("user app on >other ~* +@all\n"), 0o644)
	if r := admin.do("ACL", "LOAD"); r != "+OK\r\n" {
		t.Fatalf("ACL LOAD: %q", r)
	}
	conn.expectClosed(5 * time.Second)
	if r := admin.val("ACL", "LIST").strs(); len(r) != 2 || !strings.HasPrefix(r[1], "user default on nopass ~* &* +@all") {
		t.Fatalf("ACL LIST after LOAD: %q", r)
	}
	if err := aclUserClient(t, ts, 2, "app", "other").Ping(ctx()).Err(); err != nil {
		t.Fatalf("app with its new password: %v", err)
	}
	os.Remove(file)
	if r := admin.do("ACL", "LOAD"); r != "-ERR Error loading ACLs, opening file '"+file+"': No such file or directory\r\n" {
		t.Fatalf("ACL LOAD of a missing file: %q", r)
	}
}

// A start with a broken aclfile fails, as Redis refuses to start.
func TestACLFileBrokenStart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "users.acl")
	os.WriteFile(file, []byte("user x on (~a\n"), 0o644)
	ts := startServer(t, "aclfile", file)
	if err := ts.srv.LoadACLFile(); err == nil || !strings.Contains(err.Error(), "Unmatched parenthesis") {
		t.Fatalf("LoadACLFile: %v", err)
	}
}

// Users declared in the config file ("user" lines, as in redis.conf) exist
// at start, the default user reset to its line; an aclfile as well is
// refused, and a relative aclfile is found in dir.
func TestACLConfigUsers(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "fastcache.conf")
	os.WriteFile(conf, []byte("user default on nopass ~* +@all -flushdb\nuser app on >pw ~app:* +get +set\n"), 0o644)
	ts := startServerFile(t, conf)
	if err := ts.srv.LoadACLFile(); err != nil {
		t.Fatal(err)
	}
	admin := ts.rawConn(t)
	if r := admin.val("ACL", "LIST").strs(); strings.Join(r, "|") != "user app on #"+
		"30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~app:* resetchannels -@all +get +set|"+
		"user default on nopass sanitize-payload ~* resetchannels +@all -flushdb" { // as redis-server 7.0.15
		t.Errorf("ACL LIST: %q", r)
	}
	if r := admin.do("FLUSHDB"); !strings.HasPrefix(r, "-NOPERM") {
		t.Errorf("FLUSHDB as default: %q", r)
	}
	app := aclUserClient(t, ts, 2, "app", "pw")
	if err := app.Set(ctx(), "app:1", "v", 0).Err(); err != nil {
		t.Errorf("app SET: %v", err)
	}

	for _, tc := range []struct{ conf, want string }{
		{"user app on >pw\naclfile users.acl\n", "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid"},
		{"user app on +nocmd\n", "Error in user declaration 'app': Error in ACL SETUSER modifier '+nocmd': Unknown command or category name in ACL"},
		{"user app on\nuser app off\n", "Error in user declaration 'app': Duplicate user found"},
	} {
		os.WriteFile(conf, []byte(tc.conf), 0o644)
		ts := startServerFile(t, conf)
		if err := ts.srv.LoadACLFile(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: LoadACLFile: %v, want %q", tc.conf, err, tc.want)
		}
	}

	// aclfile users.acl is dir/users.acl
	os.WriteFile(filepath.Join(dir, "users.acl"), []byte("user ops on nopass +ping\n"), 0o644)
	ts = startServer(t, "dir", dir, "aclfile", "users.acl")
	if err := ts.srv.LoadACLFile(); err != nil {
		t.Fatal(err)
	}
	if r := ts.rawConn(t).val("ACL", "USERS").strs(); strings.Join(r, ",") != "default,ops" {
		t.Errorf("ACL USERS with a relative aclfile: %v", r)
	}
}

// Revoking all channels from a user that had allchannels closes its
// subscribers, and a closed client is gone from CLIENT LIST at once, as
// Redis frees it before the ACL SETUSER reply.
func TestACLRevokeAllChannels(t *testing.T) {
	ts := startServer(t)
	admin := ts.rawConn(t)
	admin.do("ACL", "SETUSER", "ps", "on", ">pw", "allchannels", "+@all")
	sub := ts.rawConn(t)
	sub.do("AUTH", "ps", "pw")
	sub.do("CLIENT", "SETNAME", "deathrow")
	sub.do("PSUBSCRIBE", "foo")
	if r := admin.do("ACL", "SETUSER", "ps", "resetchannels"); r != "+OK\r\n" {
		t.Fatalf("SETUSER: %q", r)
	}
	if list := admin.val("CLIENT", "LIST").str; strings.Contains(list, "deathrow") {
		t.Errorf("CLIENT LIST right after the revocation:\n%s", list)
	}
	sub.expectClosed(5 * time.Second)
}

// startServerFile starts a server with the config file given (and the test
// servers' port, bind and appendonly flags).
func startServerFile(t *testing.T, file string) *testServer {
	t.Helper()
	cfg, err := config.Load([]string{file, "--port", "0", "--bind", "127.0.0.1", "--appendonly", "no"})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	c := cache.New(cache.Options{Shards: 16})
	c.Start(10)
	srv := New(Options{Config: cfg, Cache: c, Log: zerolog.New(io.Discard), Goroutines: testGoroutines})
	if err := srv.Listen(); err != nil {
		t.Fatalf("listen: %v", err)
	}
	go srv.Serve()
	t.Cleanup(func() { closeOrDump(t, func() { srv.Close(); c.Close() }) })
	return &testServer{srv: srv, cache: c, cfg: cfg, addr: srv.Addrs()[0].String()}
}
