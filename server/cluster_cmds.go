package server

// READONLY, READWRITE and ASKING: the connection commands of Redis Cluster
// that cluster clients send. fastcache runs as a standalone server, so they
// answer as a Redis without cluster support does.

func init() {
	for _, c := range []struct{ name, summary string }{
		{"readonly", "Enables read queries for a connection to a cluster replica node"},
		{"readwrite", "Disables read queries for a connection to a cluster replica node"},
		{"asking", "Sent by cluster clients after an -ASK redirect"},
	} {
		f := flagFast
		if c.name != "asking" {
			f |= flagLoading
		}
		register(&Command{Name: c.name, Arity: 1, Flags: f, Group: "cluster", Since: "3.0.0",
			Summary: c.summary, Complexity: "O(1)", Handler: cmdClusterDisabled})
		aclAdjust[c.name] = []string{"+@connection"}
	}
}

func cmdClusterDisabled(c *Client, args [][]byte) {
	c.reply.Error("ERR This instance has cluster support disabled")
}
