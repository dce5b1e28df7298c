//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSocketMarkID: socket-mark-id marks the listening socket, the
// connections it accepts (Linux copies the mark to them), and a replica's
// connection to its primary, as `ss -e` shows (fwmark), as Redis's
// anetSetSockMarkId does. Marks need CAP_NET_ADMIN (root in CI).
func TestSocketMarkID(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SO_MARK needs CAP_NET_ADMIN")
	}
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss (iproute2) not installed")
	}
	primary := startReady(t, t.TempDir(), "--socket-mark-id", "4660") // 0x1234
	if got := ss(t, "-tlne", fmt.Sprintf("sport = :%d", primary.port)); !strings.Contains(got, "fwmark:0x1234") {
		t.Fatalf("the listening socket is not marked:\n%s", got)
	}
	c := primary.client()
	if err := c.Ping(ctx()).Err(); err != nil {
		t.Fatal(err)
	}
	if got := ss(t, "-tne", fmt.Sprintf("sport = :%d", primary.port)); !strings.Contains(got, "fwmark:0x1234") {
		t.Fatalf("an accepted connection is not marked:\n%s", got)
	}
	replica := startReady(t, t.TempDir(), "--socket-mark-id", "22136", "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port)) // 0x5678
	rc := replica.client()
	waitFor(t, "the replica's link", func() bool { return strings.Contains(rc.Info(ctx(), "replication").Val(), "master_link_status:up") })
	if got := ss(t, "-tne", fmt.Sprintf("dport = :%d", primary.port)); !strings.Contains(got, "fwmark:0x5678") {
		t.Fatalf("the replica's connection to its primary is not marked:\n%s", got)
	}

	plain := startReady(t, t.TempDir())
	if got := ss(t, "-tlne", fmt.Sprintf("sport = :%d", plain.port)); strings.Contains(got, "fwmark") {
		t.Fatalf("a socket is marked without socket-mark-id:\n%s", got)
	}
}

func ss(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("ss", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ss %v: %v\n%s", args, err, out)
	}
	return string(out)
}
