package server

import (
	"errors"
	"math"
	"net"
	"os"
	"strconv"
	"time"

	"fastcache/cache"
	"fastcache/internal/rdb"
	"fastcache/pubsub"
)

// DUMP, RESTORE and MIGRATE (Redis 7.0): a key's value serialized as
// Redis's RDB encoding (package rdb), so payloads move between this
// server and redis-server in both directions.

func init() {
	register(
		&Command{Name: "dump", Arity: 2, Flags: flagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic",
			Since: "2.6.0", Summary: "Returns a serialized representation of the value stored at a key.", Handler: cmdDump},
		&Command{Name: "restore", Arity: -4, Flags: flagWrite | flagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic",
			Since: "2.6.0", Summary: "Creates a key from the serialized representation of a value.", Handler: cmdRestore},
		// RESTORE-ASKING is RESTORE as a cluster node receives it during
		// slot migration (after ASKING); standalone Redis serves it too.
		&Command{Name: "restore-asking", Arity: -4, Flags: flagWrite | flagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: "server",
			Since: "3.0.0", Summary: "An internal command for migrating keys in a cluster.", Handler: cmdRestore},
		&Command{Name: "migrate", Arity: -6, Flags: flagWrite, FirstKey: 3, LastKey: 3, Step: 1, Group: "generic",
			Since: "2.6.0", Summary: "Atomically transfers a key from one Redis instance to another.", Handler: cmdMigrate},
	)
}

func init() {
	extraFlags["restore-asking"] = []string{"asking"}
	aclAdjust["restore-asking"] = []string{"+@keyspace", "+@dangerous"}
	argSpecs["restore-asking"] = argSpecs["restore"]
}

func cmdDump(c *Client, args [][]byte) {
	p, _, ok, err := c.ks.Dump(args[1])
	switch {
	case err != nil:
		c.reply.Err(err)
	case !ok:
		c.reply.Null()
	default:
		c.reply.Bulk(p)
	}
}

const (
	errBadPayload = "ERR DUMP payload version or checksum are wrong"
	errBadFormat  = "ERR Bad data format"
)

func cmdRestore(c *Client, args [][]byte) {
	opts := cache.RestoreOptions{Idle: -1, Freq: -1}
	absttl := false
	for j := 4; j < len(args); j++ {
		more := len(args) - j - 1
		switch {
		case eqFold(args[j], "replace"):
			opts.Replace = true
		case eqFold(args[j], "absttl"):
			absttl = true
		case eqFold(args[j], "idletime") && more >= 1 && opts.Freq == -1:
			n, ok := cache.ParseInt(args[j+1])
			if !ok {
				c.reply.Error(errNotInt)
				return
			}
			if n < 0 {
				c.reply.Error("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			opts.Idle = n
			j++
		case eqFold(args[j], "freq") && more >= 1 && opts.Idle == -1:
			n, ok := cache.ParseInt(args[j+1])
			if !ok {
				c.reply.Error(errNotInt)
				return
			}
			if n < 0 || n > 255 {
				c.reply.Error("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			opts.Freq = int(n)
			j++
		default:
			c.reply.Error(errSyntax)
			return
		}
	}
	key := args[1]
	if !opts.Replace && c.ks.KeyExists(key) {
		c.reply.Err(cache.ErrBusyKey)
		return
	}
	ttl, ok := cache.ParseInt(args[2])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	if ttl < 0 {
		c.reply.Error("ERR Invalid TTL value, must be >= 0")
		return
	}
	decode := rdb.Decode
	if c.srv.skipChecksum.Load() {
		decode = rdb.DecodeUnchecked
	}
	v, err := decode(args[3])
	switch {
	case errors.Is(err, rdb.ErrChecksum):
		c.reply.Error(errBadPayload)
		return
	case err != nil:
		// As Redis logs a payload its sanitizer refused (the wording its
		// corrupt-dump tests look for).
		c.srv.log.Warn().Msg("RESTORE of a DUMP payload: integrity check failed (" + err.Error() + ")")
		c.reply.Error(errBadFormat)
		return
	}
	if ttl != 0 && !absttl {
		ttl += time.Now().UnixMilli() // wraps as Redis's does: then already expired
		if ttl == 0 {
			ttl = -1
		}
	}
	if err := c.ks.Restore(key, v, ttl, opts); err != nil {
		c.reply.Err(err)
		return
	}
	c.reply.OK()
}

// ---- MIGRATE ----

func cmdMigrate(c *Client, args [][]byte) {
	copyOpt, replace := false, false
	var user, pass []byte
	auth := false
	first, nkeys := 3, 1
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case eqFold(args[j], "copy"):
			copyOpt = true
		case eqFold(args[j], "replace"):
			replace = true
		case eqFold(args[j], "auth"):
			if more < 1 {
				c.reply.Error(errSyntax)
				return
			}
			j++
			pass, auth = args[j], true
		case eqFold(args[j], "auth2"):
			if more < 2 {
				c.reply.Error(errSyntax)
				return
			}
			user, pass, auth = args[j+1], args[j+2], true
			j += 2
		case eqFold(args[j], "keys"):
			if len(args[3]) != 0 {
				c.reply.Error("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
				return
			}
			first, nkeys = j+1, len(args)-j-1
			j = len(args)
		default:
			c.reply.Error(errSyntax)
			return
		}
	}
	timeout, ok := cache.ParseInt(args[5])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	dbid, ok := cache.ParseInt(args[4])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	if timeout <= 0 {
		timeout = 1000
	}
	type item struct {
		key, payload []byte
		ttl          int64
	}
	var items []item
	now := time.Now().UnixMilli()
	for _, key := range args[first : first+nkeys] {
		p, at, ok, err := c.ks.Dump(key)
		if err != nil {
			c.reply.Err(err)
			return
		}
		if !ok {
			continue
		}
		ttl := int64(0)
		if at != 0 {
			if ttl = at - now; ttl < 0 {
				continue
			}
			ttl = max(ttl, 1)
		}
		items = append(items, item{key, p, ttl})
	}
	if len(items) == 0 {
		c.reply.Simple("NOKEY")
		return
	}
	d := time.Duration(min(timeout, math.MaxInt64/int64(time.Millisecond))) * time.Millisecond
	addr := net.JoinHostPort(string(args[1]), string(args[2]))
	var out []byte
	cmd := func(parts ...[]byte) { out = pubsub.AppendCommand(out, parts) }
	var targetErr string
	var del [][]byte
	// As Redis's: the socket to the target is cached (migrate_sockets.go);
	// a socket error before any RESTORE reply that is not a timeout (the
	// target closed the cached connection) closes it and tries once more
	// on a new one.
	for retry := true; ; {
		cs, _, err := c.srv.migrateSocket(addr, d)
		if err != nil {
			c.reply.Error("IOERR error or timeout connecting to the client")
			return
		}
		conn := cs.conn
		sockErr := func(what string, err error) bool {
			c.srv.releaseMigrateSocket(cs, true)
			if retry && !errors.Is(err, os.ErrDeadlineExceeded) {
				return true
			}
			c.reply.Error("IOERR error or timeout " + what + " to target instance")
			return false
		}
		out = out[:0]
		if auth {
			if user != nil {
				cmd([]byte("AUTH"), user, pass)
			} else {
				cmd([]byte("AUTH"), pass)
			}
		}
		sel := cs.lastDB != dbid // SELECT only when the database changes
		if sel {
			cmd([]byte("SELECT"), strconv.AppendInt(nil, dbid, 10))
		}
		for _, it := range items {
			ttl := strconv.AppendInt(nil, it.ttl, 10)
			if replace {
				cmd([]byte("RESTORE"), it.key, ttl, it.payload, []byte("REPLACE"))
			} else {
				cmd([]byte("RESTORE"), it.key, ttl, it.payload)
			}
		}
		_ = conn.SetDeadline(time.Now().Add(d))
		if _, err := conn.Write(out); err != nil {
			if sockErr("writing", err) {
				retry = false
				continue
			}
			return
		}
		var rerr error
		readLine := func() (string, bool) {
			_ = conn.SetReadDeadline(time.Now().Add(d))
			line, err := cs.br.ReadString('\n')
			if err != nil || len(line) < 3 {
				rerr = err
				if rerr == nil {
					rerr = errors.New("short reply")
				}
				return "", false
			}
			return line[:len(line)-2], true
		}
		var authReply, selReply string
		ok := true
		if auth {
			authReply, ok = readLine()
		}
		if ok && sel {
			selReply, ok = readLine()
		}
		if !ok {
			if sockErr("reading", rerr) {
				retry = false
				continue
			}
			return
		}
		fromTarget, broken, acked := false, false, 0
		for _, it := range items {
			r, ok := readLine()
			if !ok {
				broken = true
				break
			}
			acked++
			if authReply != "" && authReply[0] == '-' || selReply != "" && selReply[0] == '-' || r[0] == '-' {
				if !fromTarget {
					fromTarget = true
					cs.lastDB = -1 // the target's database is unknown now
					e := r
					if authReply != "" && authReply[0] == '-' {
						e = authReply
					} else if selReply != "" && selReply[0] == '-' {
						e = selReply
					}
					targetErr = "ERR Target instance replied with error: " + e[1:]
				}
				continue
			}
			if !copyOpt {
				del = append(del, it.key)
			}
		}
		if broken && !fromTarget && acked == 0 && retry && !errors.Is(rerr, os.ErrDeadlineExceeded) {
			c.srv.releaseMigrateSocket(cs, true)
			retry = false
			continue
		}
		if broken && !fromTarget {
			targetErr = "IOERR error or timeout reading to target instance"
		}
		if !fromTarget && !broken {
			cs.lastDB = dbid
		}
		c.srv.releaseMigrateSocket(cs, broken)
		break
	}
	if len(del) > 0 {
		c.ks.Del(del)
	}
	if targetErr != "" {
		c.reply.Error(targetErr)
		return
	}
	c.reply.OK()
}
