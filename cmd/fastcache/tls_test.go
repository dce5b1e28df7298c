package main

import (
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"fastcache/internal/testcert"
)

// makeTLSFiles writes a test CA and certificates (internal/testcert).
func makeTLSFiles(t *testing.T) *testcert.Files {
	t.Helper()
	f, err := testcert.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// tlsServerArgs are the directives of a server on tlsPort with f's files.
func tlsServerArgs(f *testcert.Files, tlsPort int) []string {
	return []string{"--tls-port", strconv.Itoa(tlsPort), "--tls-cert-file", f.ServerCert, "--tls-key-file", f.ServerKey, "--tls-ca-cert-file", f.CA}
}

// TestTLS: fastcache on tls-port with Redis's parameters: go-redis and
// redis-cli --tls talk to it (big values, pipelines, pub/sub between a TLS
// and a plain client), a client without a certificate is refused under
// tls-auth-clients yes and taken under no, plain RESP on the TLS port gets
// nothing and harms nothing, CONFIG SET of a file that does not load is
// refused with Redis's words and changes nothing, and CONFIG SET tls-port
// moves the listener.
func TestTLS(t *testing.T) {
	f := makeTLSFiles(t)
	tp := freePort(t)
	p := startReady(t, t.TempDir(), tlsServerArgs(f, tp)...)
	plain := p.client()
	taddr := "127.0.0.1:" + strconv.Itoa(tp)
	tc := redis.NewClient(&redis.Options{Addr: taddr, TLSConfig: f.ClientConfig(true), MaxRetries: -1})
	defer tc.Close()
	if err := tc.Set(ctx(), "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET over TLS: %v", err)
	}
	if v := plain.Get(ctx(), "k").Val(); v != "v" {
		t.Fatalf("GET on the plain port of a key set over TLS: %q", v)
	}
	big := strings.Repeat("0123456789", 300_000) // 3 MB: many TLS records
	if err := tc.Set(ctx(), "big", big, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v := tc.Get(ctx(), "big").Val(); v != big {
		t.Fatalf("a 3 MB value over TLS came back %d bytes long", len(v))
	}
	pipe := tc.Pipeline()
	for i := range 1000 {
		pipe.Incr(ctx(), "n")
		if i == 999 {
			break
		}
	}
	if _, err := pipe.Exec(ctx()); err != nil || tc.Get(ctx(), "n").Val() != "1000" {
		t.Fatalf("a pipeline of 1000 INCRs over TLS: %v, n = %s", err, tc.Get(ctx(), "n").Val())
	}
	sub := tc.Subscribe(ctx(), "ch")
	defer sub.Close()
	if _, err := sub.Receive(ctx()); err != nil {
		t.Fatal(err)
	}
	plain.Publish(ctx(), "ch", "hello")
	if m, err := sub.ReceiveMessage(ctx()); err != nil || m.Payload != "hello" {
		t.Fatalf("a message to a TLS subscriber: %v %v", m, err)
	}
	if cl := plain.ClientList(ctx()).Val(); strings.Count(cl, "fd=-1") != 0 {
		t.Fatalf("CLIENT LIST shows a connection without its descriptor:\n%s", cl)
	}

	// no client certificate: refused under tls-auth-clients yes
	nc := redis.NewClient(&redis.Options{Addr: taddr, TLSConfig: f.ClientConfig(false), MaxRetries: -1})
	defer nc.Close()
	if err := nc.Ping(ctx()).Err(); err == nil {
		t.Fatal("a client without a certificate was served under tls-auth-clients yes")
	}
	// plain RESP on the TLS port: no reply, the server unharmed
	conn, err := net.Dial("tcp", taddr)
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("*1\r\n$4\r\nPING\r\n"))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, _ := readAll(conn); strings.Contains(string(b), "PONG") {
		t.Fatalf("plain RESP on the TLS port answered %q", b)
	}
	conn.Close()

	// redis-cli --tls
	if out, err := redisCLI(t, "--tls", "--cacert", f.CA, "--cert", f.ClientCert, "--key", f.ClientKey, "-p", strconv.Itoa(tp), "GET", "k"); err != nil || strings.TrimSpace(out) != "v" {
		t.Fatalf("redis-cli --tls GET k: %v %q", err, out)
	}

	// CONFIG SET
	if err := plain.ConfigSet(ctx(), "tls-auth-clients", "no").Err(); err != nil {
		t.Fatal(err)
	}
	if err := nc.Ping(ctx()).Err(); err != nil {
		t.Fatalf("a client without a certificate under tls-auth-clients no: %v", err)
	}
	err = plain.ConfigSet(ctx(), "tls-cert-file", filepath.Join(f.Dir, "nosuch.crt")).Err()
	if want := "ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. Check server logs."; err == nil || err.Error() != want {
		t.Fatalf("CONFIG SET tls-cert-file of a missing file: %v, want %q", err, want)
	}
	if v := plain.ConfigGet(ctx(), "tls-cert-file").Val()["tls-cert-file"]; v != f.ServerCert {
		t.Fatalf("tls-cert-file %q after a refused change", v)
	}
	// (the log line reaches the output after the reply, through a pipe)
	waitFor(t, "the log to say why the TLS configuration was refused", func() bool { return strings.Contains(p.out.String(), "nosuch.crt") })
	tp2 := freePort(t)
	if err := plain.ConfigSet(ctx(), "tls-port", strconv.Itoa(tp2)).Err(); err != nil {
		t.Fatal(err)
	}
	tc2 := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(tp2), TLSConfig: f.ClientConfig(true), MaxRetries: -1})
	defer tc2.Close()
	if v := tc2.Get(ctx(), "k").Val(); v != "v" {
		t.Fatalf("GET on the new tls-port: %q", v)
	}
	if _, err := net.DialTimeout("tcp", taddr, time.Second); err == nil {
		t.Fatal("the old tls-port still listens")
	}
	select {
	case <-p.done:
		t.Fatalf("fastcache exited: %v", p.err)
	default:
	}
}

func readAll(c net.Conn) ([]byte, error) {
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return out, err
		}
	}
}

// TestTLSOnly: port 0 with a tls-port serves TLS alone, as Redis does.
func TestTLSOnly(t *testing.T) {
	f := makeTLSFiles(t)
	tp := freePort(t)
	p := start(t, t.TempDir(), append(tlsServerArgs(f, tp), "--port", "0")...)
	addr := "127.0.0.1:" + strconv.Itoa(tp)
	c := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: f.ClientConfig(true), MaxRetries: -1})
	defer c.Close()
	waitFor(t, "the TLS listener", func() bool { return c.Ping(ctx()).Err() == nil })
	if err := c.Set(ctx(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss not installed (iproute2; .ci/run installs it)")
	}
	if out, _ := exec.Command("ss", "-ltnp").CombinedOutput(); strings.Count(string(out), "pid="+strconv.Itoa(p.cmd.Process.Pid)+",") != 1 {
		t.Fatalf("fastcache listens on more than its tls-port:\n%s", out)
	}
}

// TestTLSStartErrors: a start that asks for TLS without what it needs
// stops with the reason, as redis-server does not start either.
func TestTLSStartErrors(t *testing.T) {
	f := makeTLSFiles(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-port", "0", "--tls-replication", "yes"}, "tls-cert-file and tls-key-file must be set"},
		{[]string{"--tls-port", strconv.Itoa(freePort(t)), "--tls-cert-file", f.ServerCert, "--tls-key-file", f.ServerKey}, "either tls-ca-cert-file or tls-ca-cert-dir must be set"},
		{[]string{"--tls-port", strconv.Itoa(freePort(t)), "--tls-cert-file", f.ServerCert, "--tls-key-file", f.ClientKey, "--tls-ca-cert-file", f.CA}, "private key does not match public key"},
	} {
		p := start(t, t.TempDir(), tc.args...)
		out, err := p.wait(30 * time.Second)
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %v, want an error saying %q\n%s", tc.args, err, tc.want, out)
		}
	}
}

// TestTLSReplication: with tls-replication yes a replica reaches its
// primary over TLS: a fastcache primary's tls-port, and a redis-server's
// (in Redis's protocol).
func TestTLSReplication(t *testing.T) {
	f := makeTLSFiles(t)
	ptp := freePort(t)
	prim := startReady(t, t.TempDir(), append(tlsServerArgs(f, ptp), "--appendonly", "yes")...)
	pc := prim.client()
	pc.Set(ctx(), "a", "1", 0)
	rep := startReady(t, t.TempDir(), "--tls-replication", "yes", "--tls-cert-file", f.ClientCert, "--tls-key-file", f.ClientKey,
		"--tls-ca-cert-file", f.CA, "--replicaof", "127.0.0.1", strconv.Itoa(ptp))
	rc := rep.client()
	waitFor(t, "the replica over TLS", func() bool { return rc.Get(ctx(), "a").Val() == "1" })
	pc.Set(ctx(), "b", "2", 0)
	waitFor(t, "a write streamed over TLS", func() bool { return rc.Get(ctx(), "b").Val() == "2" })
	if !strings.Contains(rc.Info(ctx(), "replication").Val(), "master_link_status:up") {
		t.Fatal("link down")
	}

	// a redis-server primary on TLS only (redisServerBin skips, or fails
	// under FASTCACHE_REQUIRE_REDIS=1, without redis-server)
	rtp := freePort(t)
	raddr := startRedisServerTLS(t, rtp, f)
	redisPrim := redis.NewClient(&redis.Options{Addr: raddr, TLSConfig: f.ClientConfig(true), MaxRetries: -1})
	defer redisPrim.Close()
	redisPrim.Set(ctx(), "r", "from redis", 0)
	if err := rc.Do(ctx(), "REPLICAOF", "127.0.0.1", strconv.Itoa(rtp)).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the redis-server primary's data over TLS", func() bool { return rc.Get(ctx(), "r").Val() == "from redis" })
	redisPrim.Set(ctx(), "r2", "streamed", 0)
	waitFor(t, "the redis-server primary's stream over TLS", func() bool { return rc.Get(ctx(), "r2").Val() == "streamed" })
}

// startRedisServerTLS starts a redis-server serving TLS only on tlsPort.
func startRedisServerTLS(t *testing.T, tlsPort int, f *testcert.Files) string {
	t.Helper()
	bin := redisServerBin(t)
	rs := exec.Command(bin, "--port", "0", "--tls-port", strconv.Itoa(tlsPort), "--bind", "127.0.0.1",
		"--tls-cert-file", f.ServerCert, "--tls-key-file", f.ServerKey, "--tls-ca-cert-file", f.CA,
		"--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0", "--dir", t.TempDir())
	if err := rs.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Process.Kill(); rs.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(tlsPort)
	rc := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: f.ClientConfig(true), MaxRetries: -1})
	defer rc.Close()
	waitFor(t, "redis-server on TLS", func() bool { return rc.Ping(ctx()).Err() == nil })
	return addr
}
