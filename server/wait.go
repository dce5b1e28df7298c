package server

// WAIT numreplicas timeout: on a primary, how many replicas acknowledged
// the calling client's last write (as Redis's c->woff: other clients'
// later writes are not waited for); it blocks until numreplicas did, or
// timeout milliseconds pass (0: forever), and answers the count either way.
// A client that never wrote counts every streaming replica at once.
//
// Replicas acknowledge stream offsets (replication: "ACK <offset>" after
// applying). A client's last write is the LSN read right after it ran
// (Client.woff, which may cover a concurrent write of another client, never
// a later one); once the WAL writer has exported it, ReplicaAcks.AckTarget
// maps it to the stream offset published by the first writer round that
// covered it, and a replica that acknowledged that offset has the write.
// The blocked client parks on the "replica-ack" event (blocking.go), which
// every acknowledgement signals; it costs nothing between
// acknowledgements. Inside MULTI/EXEC WAIT answers at once; a replica
// refuses it with Redis's error.

import "fastcache/cache"

func init() {
	register(&Command{Name: "wait", Arity: 3, Group: "generic", Since: "3.0.0",
		Summary:    "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
		Complexity: "O(1)", Args: "numreplicas:integer timeout:integer", Handler: cmdWait})
	aclAdjust["wait"] = []string{"-@keyspace", "+@connection"}
}

// ReplicaAcks is what WAIT needs of Options.Replication (the replication
// package's Manager has it); without it WAIT counts no replica.
type ReplicaAcks interface {
	// IsReplica reports whether this server follows a primary.
	IsReplica() bool
	// AckTarget is the stream offset that covers every write up to lsn,
	// once they were exported (ok).
	AckTarget(lsn uint64) (offset int64, ok bool)
	// Acked counts the replicas that acknowledged offset.
	Acked(offset int64) int
	// OnAck sets a function called after each acknowledgement.
	OnAck(fn func())
}

// eventReplicaAck is the event each replica acknowledgement signals.
const eventReplicaAck = "replica-ack"

const errWaitReplica = "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."

// initWait makes replicas' acknowledgements wake the clients in WAIT.
func (s *Server) initWait() {
	if ra, ok := s.opts.Replication.(ReplicaAcks); ok {
		ra.OnAck(func() { s.signalEvent(eventReplicaAck) })
	}
}

func cmdWait(c *Client, args [][]byte) {
	ra, _ := c.srv.opts.Replication.(ReplicaAcks)
	if ra != nil && ra.IsReplica() {
		c.reply.Error(errWaitReplica)
		return
	}
	want, ok := cache.ParseInt(args[1])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	timeout, ok := parseBlockTimeoutMs(c, args[2])
	if !ok {
		return
	}
	lsn := c.woff
	var target int64
	known := false
	// count runs on this goroutine, then under the blocker's mutex.
	count := func() int64 {
		if ra == nil {
			return 0
		}
		if !known {
			if target, known = ra.AckTarget(lsn); !known {
				return 0 // not even sent yet
			}
		}
		return int64(ra.Acked(target))
	}
	if n := count(); n >= want || !c.mayBlock() {
		c.reply.Int(n)
		return
	}
	c.blockOnEvent(eventReplicaAck, timeout, func(_ cache.Keyspace, _ []byte, r *Reply) blockResult {
		n := count()
		if n < want {
			return blockNotReady
		}
		r.Int(n)
		return blockServed
	}, func(r *Reply) { r.Int(count()) })
}
