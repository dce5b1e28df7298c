package server

import "strings"

// CLUSTER and READONLY, READWRITE, ASKING: the commands of Redis Cluster
// that cluster clients send (CLUSTER INFO, CLUSTER SLOTS to detect a
// cluster). Without cluster-enabled they answer as a Redis 7.0 without
// cluster support does: every CLUSTER subcommand, HELP included, answers
// that cluster support is disabled. With it, cluster.go answers.

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
			Summary: c.summary, Complexity: "O(1)", Handler: cmdReadonlyEtc})
		aclAdjust[c.name] = []string{"+@connection"}
	}

	// Redis 7.0's CLUSTER subcommands: name, arity, admin, no_async_loading,
	// summary. All are flagged stale; HELP also loading; RESET noscript.
	subs := []struct {
		name         string
		arity        int
		admin, noAsy bool
		since, sum   string
	}{
		{"addslots", -3, true, true, "3.0.0", "Assign new hash slots to receiving node"},
		{"addslotsrange", -4, true, true, "7.0.0", "Assign new hash slots to receiving node"},
		{"bumpepoch", 2, true, true, "3.0.0", "Advance the cluster config epoch"},
		{"count-failure-reports", 3, true, false, "3.0.0", "Return the number of failure reports active for a given node"},
		{"countkeysinslot", 3, false, false, "3.0.0", "Return the number of local keys in the specified hash slot"},
		{"delslots", -3, true, true, "3.0.0", "Set hash slots as unbound in receiving node"},
		{"delslotsrange", -4, true, true, "7.0.0", "Set hash slots as unbound in receiving node"},
		{"failover", -2, true, true, "3.0.0", "Forces a replica to perform a manual failover of its master."},
		{"flushslots", 2, true, true, "3.0.0", "Delete a node's own slots information"},
		{"forget", 3, true, true, "3.0.0", "Remove a node from the nodes table"},
		{"getkeysinslot", 4, false, false, "3.0.0", "Return local key names in the specified hash slot"},
		{"help", 2, false, false, "5.0.0", "Show helpful text about the different subcommands"},
		{"info", 2, false, false, "3.0.0", "Provides info about Redis Cluster node state"},
		{"keyslot", 3, false, false, "3.0.0", "Returns the hash slot of the specified key"},
		{"links", 2, false, false, "7.0.0", "Returns a list of all TCP links to and from peer nodes in cluster"},
		{"meet", -4, true, true, "3.0.0", "Force a node cluster to handshake with another node"},
		{"myid", 2, false, false, "3.0.0", "Return the node id"},
		{"nodes", 2, false, false, "3.0.0", "Get Cluster config for the node"},
		{"replicas", 3, true, false, "5.0.0", "List replica nodes of the specified master node"},
		{"replicate", 3, true, true, "3.0.0", "Reconfigure a node as a replica of the specified master node"},
		{"reset", -2, true, false, "3.0.0", "Reset a Redis Cluster node"},
		{"saveconfig", 2, true, true, "3.0.0", "Forces the node to save cluster state on disk"},
		{"set-config-epoch", 3, true, true, "3.0.0", "Set the configuration epoch in a new node"},
		{"setslot", -4, true, true, "3.0.0", "Bind a hash slot to a specific node"},
		{"shards", 2, false, false, "7.0.0", "Get array of cluster slots to node mappings"},
		{"slaves", 3, true, false, "3.0.0", "List replica nodes of the specified master node"},
		{"slots", 2, false, false, "3.0.0", "Get array of Cluster slot to node mappings"},
	}
	cluster := &Command{Name: "cluster", Arity: -2, Group: "cluster", Since: "3.0.0",
		Summary: "A container for cluster commands", Complexity: "Depends on subcommand."}
	cluster.Handler = func(c *Client, args [][]byte) { runSub(c, cluster, args) }
	var list []*Command
	for _, s := range subs {
		name := "cluster|" + s.name
		var f flags
		if s.admin {
			f |= flagAdmin
		}
		if s.name == "help" {
			f |= flagLoading
		} else {
			extraFlags[name] = []string{"stale"}
			if s.noAsy {
				extraFlags[name] = append(extraFlags[name], "no_async_loading")
			}
		}
		list = append(list, &Command{Name: name, Arity: s.arity, Flags: f, Group: "cluster", Since: s.since,
			Summary: s.sum, Complexity: "O(1)", Args: clusterArgs[s.name], Handler: clusterSubHandler(s.name)})
	}
	cluster.Sub = subTable(list...)
	register(cluster)
}

// clusterArgs are the arguments of the CLUSTER subcommands (COMMAND DOCS).
var clusterArgs = map[string]string{
	"addslots":              "slot:integer...",
	"addslotsrange":         "range=(start-slot:integer end-slot:integer)...",
	"count-failure-reports": "node-id:string",
	"countkeysinslot":       "slot:integer",
	"delslots":              "slot:integer...",
	"delslotsrange":         "range=(start-slot:integer end-slot:integer)...",
	"failover":              "[options=(FORCE|TAKEOVER)]",
	"forget":                "node-id:string",
	"getkeysinslot":         "slot:integer count:integer",
	"keyslot":               "key:string",
	"meet":                  "ip:string port:integer [cluster-bus-port:integer]",
	"replicas":              "node-id:string",
	"replicate":             "node-id:string",
	"reset":                 "[reset-type=(HARD|SOFT)]",
	"set-config-epoch":      "config-epoch:integer",
	"setslot":               "slot:integer subcommand=(IMPORTING node-id:string|MIGRATING node-id:string|NODE node-id:string|STABLE)",
	"slaves":                "node-id:string",
}

func cmdClusterDisabled(c *Client, args [][]byte) {
	c.reply.Error("ERR This instance has cluster support disabled")
}

// cmdReadonlyEtc is READONLY, READWRITE and ASKING: accepted in cluster
// mode (this node is the primary of every slot: nothing to redirect).
func cmdReadonlyEtc(c *Client, args [][]byte) {
	if c.srv.cluster == nil {
		cmdClusterDisabled(c, args)
		return
	}
	c.reply.OK()
}

func clusterSubHandler(name string) func(c *Client, args [][]byte) {
	return func(c *Client, args [][]byte) {
		cs := c.srv.cluster
		if cs == nil {
			cmdClusterDisabled(c, args)
			return
		}
		clusterSubs[name](c, cs, args)
	}
}

// clusterSubNames lists the CLUSTER subcommands (tests).
func clusterSubNames() []string {
	var out []string
	for _, s := range sortedSubs(commands["cluster"]) {
		_, n, _ := strings.Cut(s.Name, "|")
		out = append(out, n)
	}
	return out
}
