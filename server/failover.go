package server

// FAILOVER (Redis 7.0): its arguments and errors as redis-server's. A
// coordinated failover to a connected replica (pause writes, wait for the
// replica to catch up, swap roles) is not implemented: with replicas
// connected and valid arguments it answers errFailoverUnsupported.

const errFailoverUnsupported = "ERR FAILOVER is not supported by fastcache: the coordinated switch-over to a replica is not implemented; run REPLICAOF NO ONE on the replica and REPLICAOF <host> <port> here instead"

func init() {
	register(&Command{Name: "failover", Arity: -1, Flags: flagAdmin, Group: "server", Since: "6.2.0",
		Summary: "Start a coordinated failover between this server and one of its replicas.", Complexity: "O(1)",
		Args: "[target=(TO host:string port:integer [FORCE])] [ABORT] [TIMEOUT milliseconds:integer]", Handler: cmdFailover})
	extraFlags["failover"] = []string{"stale"}
}

func cmdFailover(c *Client, args [][]byte) {
	if c.srv.cluster != nil {
		c.reply.Error("ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.")
		return
	}
	if len(args) == 2 && eqFold(args[1], "abort") {
		c.reply.Error("ERR No failover in progress.")
		return
	}
	var timeout, port int64
	var host []byte
	force := false
	for j := 1; j < len(args); j++ {
		switch {
		case eqFold(args[j], "timeout") && j+1 < len(args) && timeout == 0:
			v, ok := parseInt64(args[j+1])
			if !ok {
				c.reply.Error(msgNotInteger)
				return
			}
			if v <= 0 {
				c.reply.Error("ERR FAILOVER timeout must be greater than 0")
				return
			}
			timeout = v
			j++
		case eqFold(args[j], "to") && j+2 < len(args) && host == nil:
			v, ok := parseInt64(args[j+2])
			if !ok {
				c.reply.Error(msgNotInteger)
				return
			}
			host, port = args[j+1], v
			j += 2
		case eqFold(args[j], "force") && !force:
			force = true
		default:
			c.reply.Error(msgSyntaxErr)
			return
		}
	}
	role := RoleInfo{Master: true}
	if r := c.srv.opts.Replication; r != nil {
		role = r.Role()
	}
	switch {
	case !role.Master:
		c.reply.Error("ERR FAILOVER is not valid when server is a replica.")
		return
	case len(role.Replicas) == 0:
		c.reply.Error("ERR FAILOVER requires connected replicas.")
		return
	case force && (timeout == 0 || host == nil):
		c.reply.Error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
		return
	}
	if host != nil {
		found := false
		for _, r := range role.Replicas {
			if r.IP == string(host) && int64(r.Port) == port {
				found = true
			}
		}
		if !found {
			c.reply.Error("ERR FAILOVER target HOST and PORT is not a replica.")
			return
		}
	}
	c.reply.Error(errFailoverUnsupported)
}
