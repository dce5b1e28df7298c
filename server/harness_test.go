package server

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"fastcache/cache"
	"fastcache/config"
)

// testServer is a real server on a loopback port picked by the OS, with no
// WAL unless the test configures one.
type testServer struct {
	srv   *Server
	cache *cache.Cache
	cfg   *config.Config
	addr  string
}

// startServer starts a server with the given extra directives
// (e.g. "requirepass", "secret") and stops it when the test ends.
func startServer(t testing.TB, directives ...string) *testServer {
	t.Helper()
	args := []string{"--port", "0", "--bind", "127.0.0.1", "--appendonly", "no"}
	for i := 0; i+1 < len(directives); i += 2 {
		args = append(args, "--"+directives[i], directives[i+1])
	}
	cfg, err := config.Load(args)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	c := cache.New(cache.Options{Shards: 16, MaxMemory: cfg.MaxMemory(), Policy: cfg.MaxMemoryPolicy()})
	c.Start(10)
	srv := New(Options{Config: cfg, Cache: c, Log: zerolog.New(io.Discard)})
	if err := srv.Listen(); err != nil {
		t.Fatalf("listen: %v", err)
	}
	go srv.Serve()
	ts := &testServer{srv: srv, cache: c, cfg: cfg, addr: srv.Addrs()[0].String()}
	t.Cleanup(func() {
		srv.Close()
		c.Close()
	})
	return ts
}

// client returns a go-redis client speaking protocol proto (2 or 3).
func (ts *testServer) client(t testing.TB, proto int) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: proto, DisableIdentity: false, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// raw opens a plain TCP connection for byte-level tests.
func (ts *testServer) raw(t testing.TB) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { conn.Close() })
	return conn
}

func ctx() context.Context { return context.Background() }
