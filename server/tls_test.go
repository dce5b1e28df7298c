package server

import (
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestTLSConcurrent: several TLS clients at once (on the event loops, or
// each on its own goroutine) while CONFIG SET changes the TLS settings under them and a
// TLS client is killed; every INCR is counted once (run under -race).
func TestTLSConcurrent(t *testing.T) {
	ts, addr, clientCfg := tlsTestServer(t)
	admin := ts.client(t, 2)
	const clients, n = 6, 200
	var wg sync.WaitGroup
	errs := make(chan error, clients+1)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: clientCfg, Protocol: 2 + i%2})
			defer c.Close()
			for j := range n {
				if err := c.Incr(ctx(), "n").Err(); err != nil {
					errs <- err
					return
				}
				if j%50 == 0 {
					c.Set(ctx(), "k"+strconv.Itoa(i), j, 0)
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // the settings change under the handshakes
		defer wg.Done()
		for i := range 20 {
			v := []string{"optional", "yes"}[i%2]
			if err := admin.ConfigSet(ctx(), "tls-auth-clients", v).Err(); err != nil {
				errs <- err
				return
			}
			admin.ConfigSet(ctx(), "tls-protocols", []string{"TLSv1.2 TLSv1.3", "TLSv1.3"}[i%2])
		}
	}()
	// a TLS client killed while the others run
	victim := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: clientCfg, MaxRetries: -1})
	defer victim.Close()
	id, err := victim.ClientID(ctx()).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.ClientKillByFilter(ctx(), "ID", strconv.FormatInt(id, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	if err := victim.Ping(ctx()).Err(); err == nil {
		t.Fatal("a killed TLS client was still served")
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if v := admin.Get(ctx(), "n").Val(); v != strconv.Itoa(clients*n) {
		t.Fatalf("n = %s after %d INCRs over TLS", v, clients*n)
	}
}
