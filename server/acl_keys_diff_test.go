package server

import "testing"

// TestRedisDiffACLSortAndMigrate: SORT's BY (with a pattern) and GET need a
// user that may read every key (all keys or %R~*), as Redis answers them;
// MIGRATE's keys skip AUTH's and AUTH2's arguments (a password "keys" is no
// KEYS), for ACL DRYRUN and COMMAND GETKEYS.
func TestRedisDiffACLSortAndMigrate(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	u := func(args ...string) diffStep { return diffStep{on: 1, args: args} }
	steps := []diffStep{
		c("SET", "v1", "1"), c("LPUSH", "mylist", "1"),
		c("ACL", "SETUSER", "srt", "on", "nopass", "(+sort ~mylist)"),
		u("AUTH", "srt", "x"),
		u("SORT", "mylist", "by", "v*"), u("SORT", "mylist", "get", "v*"), u("SORT", "mylist", "get", "#"),
		u("SORT", "mylist", "by", "nosort"), u("SORT", "mylist"),
		c("ACL", "SETUSER", "srt", "(+sort ~mylist ~v*)"),
		u("SORT", "mylist", "by", "v*"), u("SORT", "mylist", "get", "v*"),
		c("ACL", "SETUSER", "srt", "(+sort ~mylist %W~*)"),
		u("SORT", "mylist", "by", "v*"), u("SORT", "mylist", "get", "v*"),
		c("ACL", "SETUSER", "srt", "(+sort ~mylist %R~*)"),
		u("SORT", "mylist", "by", "v*"), u("SORT", "mylist", "get", "v*"),
		c("ACL", "SETUSER", "srt", "reset", "on", "nopass", "+sort", "allkeys"),
		u("SORT", "mylist", "by", "v*"),
		c("ACL", "SETUSER", "cmdtest", "+@all", "%R~read*", "%W~write*", "%RW~rw*"),
	}
	for _, tail := range [][]string{
		{"rw", "0", "500"}, {"read", "0", "500"}, {"write", "0", "500"},
		{"", "0", "5000", "KEYS", "rw"}, {"", "0", "5000", "KEYS", "read"},
		{"", "0", "5000", "AUTH", "KEYS", "KEYS", "rw"}, {"", "0", "5000", "AUTH", "KEYS", "KEYS", "read"},
		{"", "0", "5000", "AUTH2", "KEYS", "123", "KEYS", "rw"}, {"", "0", "5000", "AUTH2", "USER", "KEYS", "KEYS", "write"},
		{"x", "0", "5000", "KEYS", "rw"},
	} {
		args := append([]string{"MIGRATE", "whatever", "whatever"}, tail...)
		steps = append(steps, c(append([]string{"ACL", "DRYRUN", "cmdtest"}, args...)...),
			c(append([]string{"COMMAND", "GETKEYS"}, args...)...))
	}
	runDiffScripts(t, []diffScript{{"acl-sort-migrate", steps}})
}
