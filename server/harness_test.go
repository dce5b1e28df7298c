package server

import (
	"context"
	"flag"
	"net"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

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
	return startServerOpts(t, nil, directives...)
}

// testGoroutines makes the test servers use the goroutine-per-connection
// network layer (netconn.go) instead of the epoll event loops.
var testGoroutines bool

// TestMain runs the package's tests twice where event loops exist: over the
// event loops, then over the goroutine-per-connection layer, which is the
// only one on macOS and the BSDs. Benchmarks (-bench) and fuzzing (-fuzz)
// run once.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	once := flag.Lookup("test.bench").Value.String() != "" || flag.Lookup("test.fuzz").Value.String() != ""
	if code == 0 && eventLoops && !once {
		testGoroutines = true
		code = m.Run()
	}
	os.Exit(code)
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
