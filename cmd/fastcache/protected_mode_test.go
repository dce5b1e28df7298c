package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// nonLoopbackIPv4 is an IPv4 address of this host other than loopback ("" if none).
func nonLoopbackIPv4() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

// TestProtectedModeDiff: with protected-mode yes (the default) and no
// password for the default user, a client from an address other than the
// loopback interface gets Redis's -DENIED text and is disconnected, whatever
// bind says; a password (requirepass) or protected-mode no lets it in, and
// clearing the password shuts it out again. Compared with redis-server bound
// to the same addresses.
func TestProtectedModeDiff(t *testing.T) {
	ip := nonLoopbackIPv4()
	if ip == "" {
		t.Skip("no non-loopback IPv4 address on this host")
	}
	bin := redisServerBin(t)
	bind := "127.0.0.1 " + ip
	rport := freePort(t)
	rs := exec.Command(bin, "--port", strconv.Itoa(rport), "--bind", bind, "--save", "", "--appendonly", "no")
	if err := rs.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Process.Kill(); rs.Wait() })
	p := startReady(t, t.TempDir(), "--bind", bind)

	// remote sends cmds from the non-loopback address and reads until the
	// server closes the connection or 1.5 s pass without a byte.
	remote := func(port int, cmds string) string {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, strconv.Itoa(port)), 5*time.Second)
		if err != nil {
			return "dial: " + err.Error()
		}
		defer c.Close()
		c.Write([]byte(cmds))
		var out strings.Builder
		r := bufio.NewReader(c)
		for {
			c.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
			b, err := r.ReadByte()
			var ne net.Error
			if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
				// closed, by a FIN or, when the client's command was still
				// unread, a reset (redis-server does either, by timing)
				out.WriteString("<closed>")
				break
			}
			if err != nil {
				break // still open after 1.5 s of silence
			}
			out.WriteByte(b)
		}
		return out.String()
	}
	run := func(port int) []string {
		local := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), MaxRetries: -1})
		defer local.Close()
		waitFor(t, "the server", func() bool { return local.Ping(ctx()).Err() == nil })
		var out []string
		step := func(name, cmds string) { out = append(out, name+": "+remote(port, cmds)) }
		set := func(k, v string) {
			if err := local.ConfigSet(ctx(), k, v).Err(); err != nil {
				t.Fatalf("CONFIG SET %s %s: %v", k, v, err)
			}
		}
		step("default", "PING\r\n")
		out = append(out, "rejected_connections:"+infoField(t, local, "stats", "rejected_connections"))
		set("requirepass", "secret")
		step("requirepass", "AUTH secret\r\nPING\r\n")
		set("requirepass", "")
		step("no password again", "PING\r\n")
		set("protected-mode", "no")
		step("protected-mode no", "PING\r\n")
		out = append(out, "rejected_connections:"+infoField(t, local, "stats", "rejected_connections"))
		return out
	}
	want, got := run(rport), run(p.port)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("fastcache:\n%s\nredis-server:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(want[0], "-DENIED") {
		t.Fatalf("redis-server did not refuse the non-loopback client: %s", want[0])
	}
}
