package server

import (
	"strings"
	"testing"
)

// redis-cli --user default --pass authenticates with AUTH default <pass>
// (Redis 6+ style); a wrong user or password gets WRONGPASS; ACL SETUSER
// default >password adds a password new connections may use.
func TestRedisCLIUserPass(t *testing.T) {
	ts := startServer(t, "requirepass", "s3cret")
	if out := cli(t, ts, "", "--user", "default", "--pass", "s3cret", "--no-auth-warning", "ACL", "WHOAMI"); strings.TrimSpace(out) != "default" {
		t.Fatalf("ACL WHOAMI: %q", out)
	}
	out, errOut, _ := runCLI(t, ts, "", "--user", "other", "--pass", "s3cret", "--no-auth-warning", "PING")
	if !strings.Contains(out+errOut, "WRONGPASS invalid username-password pair or user is disabled.") {
		t.Fatalf("other user: stdout %q stderr %q", out, errOut)
	}
	out, errOut, _ = runCLI(t, ts, "", "--user", "default", "--pass", "wrong", "--no-auth-warning", "PING")
	if !strings.Contains(out+errOut, "WRONGPASS") {
		t.Fatalf("wrong password: stdout %q stderr %q", out, errOut)
	}
	if out := cli(t, ts, "", "--user", "default", "--pass", "s3cret", "--no-auth-warning", "ACL", "SETUSER", "default", ">new"); strings.TrimSpace(out) != "OK" {
		t.Fatalf("ACL SETUSER: %q", out)
	}
	// As in Redis, requirepass stays what CONFIG SET made it: the default
	// user now has both passwords.
	if out := cli(t, ts, "", "--user", "default", "--pass", "new", "--no-auth-warning", "CONFIG", "GET", "requirepass"); !strings.Contains(out, "s3cret") {
		t.Fatalf("CONFIG GET requirepass after ACL SETUSER default >new: %q", out)
	}
	if out := cli(t, ts, "", "--user", "default", "--pass", "new", "--no-auth-warning", "ACL", "LIST"); !strings.HasPrefix(out, "user default on #") {
		t.Fatalf("ACL LIST: %q", out)
	}
}
