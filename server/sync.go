package server

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fastcache/cache"
	"fastcache/internal/rdb"
)

// SYNC and REPLCONF as `redis-cli --rdb` and `--functions-rdb` use them
// (Redis 7.0's getRDB): REPLCONF capa eof, REPLCONF rdb-only 1 and, for
// the functions alone, REPLCONF rdb-filter-only functions, then SYNC. The
// reply is an RDB file of the whole dataset at one point in time
// (cache.WriteRDB), which redis-server loads as dump.rdb:
//
//   - with capa eof (and repl-diskless-sync yes, the default), streamed as
//     it is serialized, framed as Redis's diskless sync frames it:
//     "$EOF:<40 random bytes>\r\n", the file, the same 40 bytes;
//   - otherwise as a bulk of known length ("$<len>\r\n" and the file):
//     the file is first written to a temporary file in dir, while a "\n"
//     goes out each second to keep the link alive, as Redis's master does
//     during its BGSAVE.
//
// rdbcompression and rdbchecksum apply to the file as to Redis's. Then the
// connection is closed. A SYNC without rdb-only, and PSYNC, are a
// redis-server replica's: the file, then the writes as Redis commands
// (replication/redis_replica.go; fastcache's own replicas use FCSYNC).

const eofMarkLen = 40 // RDB_EOF_MARK_SIZE

// replConf is what a client asked for with REPLCONF before its SYNC.
type replConf struct {
	capaEOF bool
	rdbOnly bool
	port    int    // listening-port (a redis-server replica's, INFO)
	ip      string // ip-address
	// filtered: rdb-filter-only was given; functions: the filter named
	// "functions" (with filtered and not functions, the file is empty)
	filtered, functions bool
}

func init() {
	register(
		&Command{Name: "sync", Arity: 1, Flags: flagAdmin | flagNoMulti, Group: "server", Since: "1.0.0",
			Summary: "Internal command used for replication", Handler: cmdSync},
		&Command{Name: "psync", Arity: -3, Flags: flagAdmin | flagNoMulti, Group: "server", Since: "2.8.0",
			Summary: "Internal command used for replication", Handler: cmdPsync},
		&Command{Name: "replconf", Arity: -1, Flags: flagAdmin | flagLoading, Group: "server", Since: "3.0.0",
			Summary: "An internal command for configuring the replication stream", Handler: cmdReplconf},
	)
}

// cmdReplconf is REPLCONF <option> <value> ...: the options a replica or
// redis-cli sends before SYNC. listening-port, ip-address and ack are
// accepted and have no effect (fastcache's replicas announce themselves
// in FCSYNC); GETACK is for a primary to ask its replica, which a client
// is not.
func cmdReplconf(c *Client, args [][]byte) {
	if len(args)%2 == 0 {
		c.reply.Error(errSyntax)
		return
	}
	rc := c.replConf
	if rc == nil {
		rc = &replConf{}
	}
	next := *rc
	for i := 1; i < len(args); i += 2 {
		opt, val := strings.ToLower(string(args[i])), args[i+1]
		switch opt {
		case "listening-port":
			n, err := strconv.ParseInt(string(val), 10, 64)
			if err != nil {
				c.reply.Error(errNotInt)
				return
			}
			next.port = int(n)
		case "ip-address":
			if len(val) >= 256 { // NET_HOST_STR_LEN
				c.reply.Error(fmt.Sprintf("ERR REPLCONF ip-address provided by replica instance is too long: %d bytes", len(val)))
				return
			}
			next.ip = string(val)
		case "capa":
			if strings.EqualFold(string(val), "eof") {
				next.capaEOF = true
			}
		case "ack", "getack":
			return // no reply, as Redis answers neither to a client
		case "rdb-only":
			v, err := strconv.ParseInt(string(val), 10, 64)
			if err != nil {
				c.reply.Error(errNotInt)
				return
			}
			if v != 0 && v != 1 {
				c.reply.Error("ERR value is out of range, value must between 0 and 1")
				return
			}
			next.rdbOnly = v == 1
		case "rdb-filter-only":
			next.filtered, next.functions = true, false
			for _, f := range strings.Fields(string(val)) {
				if !strings.EqualFold(f, "functions") {
					c.reply.Error("ERR Unsupported rdb-filter-only option: " + f)
					return
				}
				next.functions = true
			}
		default:
			c.reply.Error("ERR Unrecognized REPLCONF option: " + string(args[i]))
			return
		}
	}
	c.replConf = &next
	c.reply.OK()
}

// cmdSync is SYNC: the dataset as an RDB file, then the connection closes.
func cmdSync(c *Client, args [][]byte) {
	if c.multi {
		c.rejectInMulti()
		c.reply.Error("ERR Command not allowed inside a transaction")
		return
	}
	if r := c.srv.opts.Replication; r != nil {
		if ri := r.Role(); !ri.Master && ri.State != "connected" {
			c.reply.Error("NOMASTERLINK Can't SYNC while not connected with my master")
			return
		}
	}
	rc := c.replConf
	if rc == nil {
		rc = &replConf{}
	}
	if rc.filtered && !rc.capaEOF {
		c.reply.Error("ERR Filtered replica requires EOF capability")
		return
	}
	if !rc.rdbOnly && !rc.filtered {
		// a replica's SYNC (redis-cli --replica, an old Redis): the file,
		// then the stream of commands, without a +FULLRESYNC line
		serveRedisReplica(c, RedisReplicaRequest{}, rc)
		return
	}
	cfg := c.srv.cfg
	opts := cache.RDBOptions{Keys: !rc.filtered, Functions: !rc.filtered || rc.functions, Aux: c.srv.rdbAux(),
		File: c.srv.rdbFileOptions()}
	// streamed when the client takes the EOF framing, unless
	// repl-diskless-sync is no (a filtered file is streamed anyway, as
	// Redis's startBgsaveForReplication decides)
	stream := rc.capaEOF && (cfg.ParamYes("repl-diskless-sync") || rc.filtered)
	srv := c.srv
	srv.rdbSyncs.Add(1)
	c.detach = func(conn net.Conn) {
		drained := make(chan struct{})
		go func() { // the client sends nothing more that counts
			io.Copy(io.Discard, conn)
			close(drained)
		}()
		defer closeAfterPeer(conn, drained)
		var err error
		out := &deadlineWriter{Conn: conn, timeout: cfg.ReplTimeout()}
		if stream {
			err = srv.syncEOF(out, opts)
		} else {
			err = srv.syncBulk(out, opts)
		}
		if err != nil {
			srv.log.Warn().Err(err).Str("addr", conn.RemoteAddr().String()).Msg("SYNC: the RDB transfer failed")
			return
		}
		srv.log.Info().Str("addr", conn.RemoteAddr().String()).Msg("SYNC: RDB file sent")
	}
}

// deadlineWriter gives each write repl-timeout to make progress, as Redis
// drops a replica whose transfer has not moved for that long: a client
// that stops reading does not hold the transfer (and its copies) forever.
type deadlineWriter struct {
	net.Conn
	timeout time.Duration
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	d.Conn.SetWriteDeadline(time.Now().Add(d.timeout))
	return d.Conn.Write(p)
}

// closeAfterPeer ends the transfer: it shuts down the sending side, so
// the file's last bytes arrive before the end of stream, and closes once
// the peer has closed its side (drained) or after 10 s. Closing at once
// could reset the connection over bytes the peer sent meanwhile and drop
// the file's tail still in flight.
func closeAfterPeer(conn net.Conn, drained <-chan struct{}) {
	inner := conn
	if p, ok := conn.(*prefixConn); ok {
		inner = p.Conn
	}
	if cw, ok := inner.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		select {
		case <-drained:
		case <-time.After(10 * time.Second):
		}
	}
	conn.Close()
}

// rdbFileOptions are rdbcompression and rdbchecksum for an RDB file this
// server writes.
func (s *Server) rdbFileOptions() rdb.FileOptions {
	return rdb.FileOptions{NoCompress: !s.cfg.ParamYes("rdbcompression"), NoChecksum: !s.cfg.ParamYes("rdbchecksum")}
}

// rdbAux are the AUX fields of an RDB file this server writes, Redis
// 7.0's (rdbSaveInfoAuxFields), and fastcache's own version.
func (s *Server) rdbAux() [][2]string {
	return [][2]string{
		{"redis-ver", Version},
		{"redis-bits", "64"},
		{"ctime", strconv.FormatInt(time.Now().Unix(), 10)},
		{"used-mem", strconv.FormatInt(s.cache.UsedMemory(), 10)},
		{"aof-base", "0"},
		{"fastcache-ver", FastcacheVersion},
	}
}

// syncEOF streams the file between two EOF marks (capa eof).
func (s *Server) syncEOF(conn io.Writer, opts cache.RDBOptions) error {
	var raw [eofMarkLen / 2]byte
	rand.Read(raw[:])
	mark := hex.EncodeToString(raw[:])
	if _, err := io.WriteString(conn, "$EOF:"+mark+"\r\n"); err != nil {
		return err
	}
	if err := s.cache.WriteRDB(conn, opts); err != nil {
		return err
	}
	_, err := io.WriteString(conn, mark)
	return err
}

// syncBulk sends the file as a bulk of known length: written first to a
// temporary file in dir (removed after), with a newline each second to
// the client meanwhile.
func (s *Server) syncBulk(conn io.Writer, opts cache.RDBOptions) error {
	dir := s.cfg.Dir()
	if dir == "" {
		dir = os.TempDir()
	}
	tmp, err := os.CreateTemp(dir, "temp-sync-*.rdb")
	if err != nil {
		io.WriteString(conn, "-ERR can't create the RDB file for SYNC: "+err.Error()+"\r\n")
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	stop, alive := make(chan struct{}), make(chan error, 1)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				alive <- nil
				return
			case <-t.C:
				if _, err := conn.Write([]byte("\n")); err != nil {
					alive <- err
					return
				}
			}
		}
	}()
	bw := bufio.NewWriter(tmp)
	werr := s.cache.WriteRDB(bw, opts)
	if werr == nil {
		werr = bw.Flush()
	}
	close(stop)
	if err := <-alive; err != nil {
		return err
	}
	if werr != nil {
		io.WriteString(conn, "-ERR can't write the RDB file for SYNC: "+werr.Error()+"\r\n")
		return fmt.Errorf("%s: %w", filepath.Base(tmp.Name()), werr)
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.WriteString(conn, "$"+strconv.FormatInt(size, 10)+"\r\n"); err != nil {
		return err
	}
	_, err = io.Copy(conn, tmp)
	return err
}

// cmdPsync is PSYNC <replid> <offset> from a redis-server replica: the
// rest of the stream it followed (+CONTINUE), while this server still
// holds it, else a full resynchronization (+FULLRESYNC, the dataset as an
// RDB file); then the writes as Redis commands
// (replication/redis_replica.go). fastcache's own replicas use FCSYNC.
func cmdPsync(c *Client, args [][]byte) {
	if c.multi {
		c.rejectInMulti()
		c.reply.Error("ERR Command not allowed inside a transaction")
		return
	}
	rc := c.replConf
	if rc == nil {
		rc = &replConf{}
	}
	off, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil {
		off = -1 // (no offset: a full resynchronization)
	}
	serveRedisReplica(c, RedisReplicaRequest{PSync: true, ReplID: string(args[1]), Offset: off}, rc)
}

func serveRedisReplica(c *Client, req RedisReplicaRequest, rc *replConf) {
	r := c.srv.opts.Replication
	if r == nil {
		c.reply.Error("ERR replication is not available on this server")
		return
	}
	if ri := r.Role(); !ri.Master {
		c.reply.Error("ERR fastcache serves redis-server replicas as a primary only")
		return
	}
	req.EOF = rc.capaEOF && c.srv.cfg.ParamYes("repl-diskless-sync")
	req.Port, req.IP = rc.port, rc.ip
	c.detach = func(conn net.Conn) { r.ServeRedisReplica(conn, req) }
}

// WriteReplicaRDB writes the dataset as an RDB file for a redis-server
// replica, framed for it (eof: between EOF marks, else as a bulk of known
// length), and returns the LSN it holds every record up to.
func (s *Server) WriteReplicaRDB(conn io.Writer, eof bool) (uint64, error) {
	var lsn uint64
	opts := cache.RDBOptions{Keys: true, Functions: true, Aux: s.rdbAux(), LSN: &lsn, File: s.rdbFileOptions()}
	var err error
	if eof {
		err = s.syncEOF(conn, opts)
	} else {
		err = s.syncBulk(conn, opts)
	}
	return lsn, err
}
