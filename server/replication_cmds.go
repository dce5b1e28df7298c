package server

import (
	"net"
	"strconv"
	"strings"
	"time"
)

// Replication is the owner's replication role (package replication).
type Replication interface {
	// ReplicaOf follows host:port, or becomes a primary when host is "".
	ReplicaOf(host, port string) (changed bool, err error)
	// ServeReplica takes over a replica's connection after FCSYNC (caps:
	// the capability words after its port, e.g. pubsub, heartbeat).
	ServeReplica(conn net.Conn, runID string, offset int64, port int, caps []string)
	// ForwardsPublish reports whether PUBLISHes go to replicas (cheap):
	// a primary's, and a replica's when fromPrimary (the master client
	// runs a redis-server primary's PUBLISH).
	ForwardsPublish(fromPrimary bool) bool
	// ForwardPublish sends a PUBLISH (shard: SPUBLISH) to the replicas,
	// at most once, after the writes made before it; it never blocks and
	// copies its arguments.
	ForwardPublish(fromPrimary, shard bool, channel, message []byte)
	// ServeRedisReplica takes over the connection of a redis-server
	// replica after its PSYNC or SYNC: the dataset as an RDB file, or the
	// rest of a stream it followed, then the writes as Redis commands.
	ServeRedisReplica(conn net.Conn, req RedisReplicaRequest)
	// Role describes the replication role for ROLE.
	Role() RoleInfo
}

// RedisReplicaRequest is what a redis-server replica asked for.
type RedisReplicaRequest struct {
	PSync  bool   // PSYNC (else SYNC: no +FULLRESYNC line)
	ReplID string // PSYNC's replication ID ("?": none)
	Offset int64  // PSYNC's offset (the replica's offset + 1)
	EOF    bool   // the diskless framing of the file
	Port   int    // REPLCONF listening-port
	IP     string // REPLCONF ip-address
}

// RoleInfo is what ROLE reports.
type RoleInfo struct {
	Master bool
	Offset int64 // master: stream offset; replica: applied offset
	// master: its replicas
	Replicas []ReplicaInfo
	// replica: its primary and the link state (connect, sync, connected)
	Host  string
	Port  int
	State string
}

// ReplicaInfo is one replica as its primary sees it.
type ReplicaInfo struct {
	IP      string
	Port    int
	Offset  int64
	LastAck time.Time // its last acknowledgement (min-replicas-max-lag)
	Online  bool      // it streams (its snapshot is sent)
}

func init() {
	register(
		&Command{Name: "replicaof", Arity: 3, Flags: flagAdmin, Group: "server", Since: "5.0.0",
			Summary: "Configures a server as replica of another, or promotes it to a master.", Handler: cmdReplicaOf},
		&Command{Name: "slaveof", Arity: 3, Flags: flagAdmin, Group: "server", Since: "1.0.0",
			Summary: "Sets a Redis server as a replica of another, or promotes it to being a master.", Handler: cmdReplicaOf},
		&Command{Name: "role", Arity: 1, Flags: flagLoading | flagFast, Group: "server", Since: "2.8.12",
			Summary: "Returns the replication role.", Handler: cmdRole},
		&Command{Name: "fcsync", Arity: -4, Flags: flagAdmin | flagNoMulti, Group: "server", Since: "7.0.0",
			Summary: "Internal: a fastcache replica asks for the primary's snapshot and WAL stream.", Handler: cmdFCSync},
	)
}

// cmdReplicaOf is REPLICAOF/SLAVEOF. Inside MULTI it is queued, as in
// Redis; at EXEC it runs after the transaction's other commands, once the
// shards are unlocked (stopping a replica waits for its apply loop, which
// needs them), its reply in its place (Client.afterExec).
func cmdReplicaOf(c *Client, args [][]byte) {
	if c.ks.InTx() {
		c.afterExec(func() { cmdReplicaOf(c, args) })
		return
	}
	if c.srv.cluster != nil {
		c.reply.Error("ERR REPLICAOF not allowed in cluster mode.")
		return
	}
	r := c.srv.opts.Replication
	host, port := string(args[1]), string(args[2])
	if r == nil {
		if strings.EqualFold(host, "no") && strings.EqualFold(port, "one") {
			c.reply.OK() // a server without replication is a primary already
			return
		}
		c.reply.Error("ERR replication is not available on this server")
		return
	}
	if strings.EqualFold(host, "no") && strings.EqualFold(port, "one") {
		if _, err := r.ReplicaOf("", ""); err != nil {
			c.reply.Err(err)
			return
		}
		c.srv.applyOOMScoreAdj() // a primary's score (it logs a failure)
		c.reply.Simple("OK")
		return
	}
	if p, err := strconv.ParseInt(port, 10, 64); err != nil || p < 0 || p > 65535 {
		c.reply.Error("ERR Invalid master port")
		return
	}
	changed, err := r.ReplicaOf(host, port)
	if err != nil {
		c.reply.Err(err)
		return
	}
	if !changed {
		c.reply.Simple("OK Already connected to specified master")
		return
	}
	// a replica's data follows its primary: nobody may pop from it
	c.srv.disconnectBlocked("UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)")
	c.srv.applyOOMScoreAdj() // a replica's score (it logs a failure)
	c.reply.Simple("OK")
}

func cmdFCSync(c *Client, args [][]byte) {
	if c.multi {
		c.rejectInMulti()
		c.reply.Error("ERR Command not allowed inside a transaction")
		return
	}
	r := c.srv.opts.Replication
	if r == nil {
		c.reply.Error("ERR replication is not available on this server")
		return
	}
	off, err1 := strconv.ParseInt(string(args[2]), 10, 64)
	port, err2 := strconv.Atoi(string(args[3]))
	if err1 != nil || err2 != nil {
		c.reply.Error(errNotInt)
		return
	}
	runID := string(args[1])
	// Capability words follow; unknown ones are ignored (a newer replica).
	caps := make([]string, 0, len(args)-4)
	for _, a := range args[4:] {
		caps = append(caps, string(a))
	}
	c.detach = func(conn net.Conn) { r.ServeReplica(conn, runID, off, port, caps) }
}

func cmdRole(c *Client, args [][]byte) {
	r := c.srv.opts.Replication
	if r == nil {
		c.reply.Array(3)
		c.reply.BulkString("master")
		c.reply.Int(0)
		c.reply.Array(0)
		return
	}
	ri := r.Role()
	if ri.Master {
		c.reply.Array(3)
		c.reply.BulkString("master")
		c.reply.Int(ri.Offset)
		c.reply.Array(len(ri.Replicas))
		for _, rep := range ri.Replicas {
			c.reply.Array(3)
			c.reply.BulkString(rep.IP)
			c.reply.BulkString(strconv.Itoa(rep.Port))
			c.reply.BulkString(strconv.FormatInt(rep.Offset, 10))
		}
		return
	}
	c.reply.Array(5)
	c.reply.BulkString("slave")
	c.reply.BulkString(ri.Host)
	c.reply.Int(int64(ri.Port))
	c.reply.BulkString(ri.State)
	c.reply.Int(ri.Offset)
}
