package replication

// Following a redis-server primary: REPLICAOF <a redis-server> makes this
// server its replica in Redis's own protocol, so a running Redis dataset
// moves to fastcache without stopping the applications that write to it
// (follow it, let the replica catch up, then point the applications here
// and REPLICAOF NO ONE).
//
// The replica first asks for FCSYNC, fastcache's protocol; a primary that
// answers "unknown command" is a redis-server, and the session goes on in
// Redis's (a replica's side of it, as Redis 7.0's replication.c):
//
//	replica -> primary: REPLCONF listening-port <port>   (and ip-address <replica-announce-ip>)
//	replica -> primary: REPLCONF capa eof capa psync2
//	replica -> primary: PSYNC <replid> <offset+1>        (PSYNC ? -1 the first time)
//	primary -> replica: +FULLRESYNC <replid> <offset>, then the RDB file:
//	                    $<length>\r\n<file> or $EOF:<40-byte mark>\r\n<file><mark>
//	                or  +CONTINUE [<new replid>]          (the stream resumes after <offset>)
//	primary -> replica: the commands it propagates (RESP arrays), PINGs,
//	                    REPLCONF GETACK *
//	replica -> primary: REPLCONF ACK <offset> every second, after loading
//	                    the file, and in answer to GETACK
//
// The file replaces the whole dataset (server.LoadRDB: every database and
// the function libraries, logged when the log is on); the commands run as
// Redis's master client runs them (server.MasterClient). The offset is
// the bytes of the stream run, not counting a MULTI whose EXEC has not
// come: a reconnection continues from the MULTI. The position is kept for
// reconnections while the server runs; after a restart the replica asks
// for a full resynchronization (the log of a fastcache replica of a
// fastcache primary holds its position; the commands of a Redis primary
// are not logged with theirs).

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fastcache/cache"
	"fastcache/internal/mapfile"
	"fastcache/server"
)

// RedisPrimaryHooks are what following a redis-server primary needs of
// the server.
type RedisPrimaryHooks struct {
	// Runner returns the client that runs the primary's commands.
	Runner func() *server.MasterClient
	// LoadRDB replaces the dataset with an RDB file's (server.LoadRDB
	// with flush).
	LoadRDB func(b []byte) (server.RDBLoad, error)
}

// redisLink is what a replica keeps of a redis-server primary between
// sessions (the run goroutine's).
type redisLink struct {
	replID string // "": no position (PSYNC ? -1)
	offset int64  // the stream's offset run (the primary's master_repl_offset)
	runner *server.MasterClient
	// resumeDB: the database the stream was in when this server shut
	// down (with a position from its log: resumeFromLog), selected again
	// before the stream continues; -1 none
	resumeDB int
}

// redisPosPrefix marks a position in a redis-server primary's stream in
// this server's log (cache.ReplPos.RunID: "redis:<replid>:<db>").
const redisPosPrefix = "redis:"

// redisPosition is where a clean stop left the link: the primary's
// replication ID, the offset applied, and the database its stream was in
// (a +CONTINUE does not select it again); false if there is none to keep.
func (l *redisLink) position() (cache.ReplPos, bool) {
	if l.replID == "" || l.runner == nil {
		return cache.ReplPos{}, false
	}
	return cache.ReplPos{RunID: redisPosPrefix + l.replID + ":" + strconv.Itoa(l.runner.DB()), Offset: l.offset}, true
}

// resumeFromLog takes a position a clean stop logged (redisPosition) for
// the next PSYNC; false if pos is not one.
func (l *redisLink) resumeFromLog(pos cache.ReplPos) bool {
	rest, ok := strings.CutPrefix(pos.RunID, redisPosPrefix)
	if !ok {
		return false
	}
	id, dbText, ok := strings.Cut(rest, ":")
	db, err := strconv.Atoi(dbText)
	if !ok || len(id) != 40 || err != nil || db < 0 {
		return false
	}
	l.replID, l.offset, l.resumeDB = id, pos.Offset, db
	return true
}

// maxBulk bounds one argument of the primary's stream, as the default
// proto-max-bulk-len bounds a client's.
const maxBulk = 512 << 20

// redisSession follows a redis-server primary on conn, after the FCSYNC it
// did not know.
func (r *Replica) redisSession(conn net.Conn, br *bufio.Reader, tr *timeoutReader) error {
	h := r.m.o.RedisPrimary
	if h.Runner == nil || h.LoadRDB == nil {
		return errors.New("the primary does not speak fastcache's replication protocol (FCSYNC)")
	}
	if !r.redis.Swap(true) {
		r.m.o.Log.Info().Msg("the primary is a redis-server: following it in Redis's replication protocol (PSYNC)")
		r.m.o.Cache.ExpireByPrimary(true)
	}
	l := &r.rl
	if l.runner == nil {
		l.runner = h.Runner()
	}
	if l.resumeDB >= 0 {
		l.runner.Reset(l.resumeDB)
		l.resumeDB = -1
	}
	port := int64(r.m.o.Port)
	if f := r.m.o.AnnouncePort; f != nil && f() > 0 {
		port = f()
	}
	// Each REPLCONF is answered before the next goes; a primary that does
	// not know one is followed without it, as Redis's replica does.
	confs := [][]string{{"REPLCONF", "listening-port", strconv.FormatInt(port, 10)}}
	if f := r.m.o.AnnounceIP; f != nil && f() != "" {
		confs = append(confs, []string{"REPLCONF", "ip-address", f()})
	}
	confs = append(confs, []string{"REPLCONF", "capa", "eof", "capa", "psync2"})
	for _, c := range confs {
		if _, err := conn.Write(respCommand(c...)); err != nil {
			return err
		}
		line, err := readReplyLine(br)
		if err != nil {
			return err
		}
		if line != "+OK" {
			r.m.o.Log.Warn().Str("reply", line).Msg("(non critical) the primary does not understand " + strings.Join(c[:2], " "))
		}
	}
	psync := []string{"PSYNC", "?", "-1"}
	if l.replID != "" {
		psync = []string{"PSYNC", l.replID, strconv.FormatInt(l.offset+1, 10)}
	}
	// Whatever comes now changes the data: a position a clean stop logged
	// no longer describes it. Its end is made durable before, so a crash
	// from here on finds no position and resynchronizes in full.
	r.m.o.Cache.LogReplPos(cache.ReplPos{})
	if err := r.m.o.Cache.FlushLog(); err != nil {
		return fmt.Errorf("logging the end of the replica's position: %w", err)
	}
	if _, err := conn.Write(respCommand(psync...)); err != nil {
		return err
	}
	line, err := readReplyLine(br)
	if err != nil {
		return err
	}
	f := strings.Fields(line)
	switch {
	case len(f) == 3 && f[0] == "+FULLRESYNC":
		off, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || len(f[1]) != 40 {
			return fmt.Errorf("bad FULLRESYNC line %q", line)
		}
		l.replID = "" // no position until the file is loaded
		r.offset.Store(off)
		if err := r.redisFullSync(conn, br, h); err != nil {
			return err
		}
		l.replID, l.offset = f[1], off
		l.runner.Reset(0) // the primary selects a database before its first command
	case len(f) >= 1 && f[0] == "+CONTINUE":
		if len(f) == 2 {
			l.replID = f[1] // psync2: the primary's new replication ID
		}
		l.runner.Reset(-1) // a MULTI the link cut: the stream sends it again
		r.m.o.Log.Info().Int64("offset", l.offset).Msg("replication resumed from the redis-server primary's backlog")
	case strings.HasPrefix(line, "-"):
		return errors.New(strings.TrimPrefix(line, "-"))
	default:
		return fmt.Errorf("unexpected reply to PSYNC: %q", line)
	}
	id := l.replID
	r.runID.Store(&id)
	r.offset.Store(l.offset)
	conn.SetWriteDeadline(time.Time{})
	tr.off = false // the primary PINGs every repl-ping-replica-period
	r.linkUp.Store(true)
	r.lastIO.Store(time.Now().UnixMilli())
	r.lastErr.Store(nil)

	w := &ackWriter{conn: conn}
	w.ack(l.offset) // a diskless primary starts the stream on the first ACK
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			if w.ack(r.offset.Load()) != nil {
				conn.Close()
				return
			}
		}
	}()
	var scratch []byte
	read := l.offset // the bytes of the stream read, a MULTI's included
	for {
		args, n, buf, err := readStreamCommand(br, scratch)
		scratch = buf
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("the primary closed the connection")
			}
			return err
		}
		if len(args) > 0 { // (an empty line is not part of the stream)
			read += n
		}
		switch {
		case len(args) == 0:
		case len(args) >= 2 && strings.EqualFold(string(args[0]), "replconf") && strings.EqualFold(string(args[1]), "getack"):
			if err := w.ack(l.offset); err != nil {
				return err
			}
		case len(args) == 1 && strings.EqualFold(string(args[0]), "ping"):
		default:
			if err := l.runner.Run(args); err != nil {
				if strings.HasPrefix(err.Error(), "MISCONF") {
					// This replica cannot write its data: stop here, and
					// resynchronize once it can.
					return fmt.Errorf("a command of the primary failed: %w", err)
				}
				r.m.o.Log.Warn().Err(err).Str("command", string(args[0])).Msg("a command of the redis-server primary failed")
			}
			r.applied.Add(1)
		}
		if !l.runner.InTransaction() {
			l.offset = read
			r.offset.Store(read)
		}
	}
}

// redisFullSync receives the primary's RDB file into a file of the data
// directory, then replaces the dataset with it (answering -LOADING
// meanwhile).
func (r *Replica) redisFullSync(conn net.Conn, br *bufio.Reader, h RedisPrimaryHooks) error {
	r.syncing.Store(true)
	defer r.syncing.Store(false)
	r.replacing.Store(true)
	defer r.replacing.Store(false)
	line, err := readReplyLine(br)
	if err != nil {
		return err
	}
	start := time.Now()
	// "\n" to the primary while the file comes and loads, as Redis's
	// replica sends them: a long load is not a dead replica.
	defer startKeepAlive(conn)()
	path := filepath.Join(r.m.o.Dir, "replica-sync.rdb.tmp")
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	var size int64
	if mark, ok := strings.CutPrefix(line, "$EOF:"); ok {
		if len(mark) != 40 {
			file.Close()
			return fmt.Errorf("bad EOF mark in %q", line)
		}
		size, err = copyToMark(file, br, []byte(mark))
	} else {
		size, err = strconv.ParseInt(strings.TrimPrefix(line, "$"), 10, 64)
		if err != nil || !strings.HasPrefix(line, "$") || size < 0 {
			file.Close()
			return fmt.Errorf("bad RDB length line %q", line)
		}
		_, err = io.CopyN(file, br, size)
	}
	if err != nil {
		file.Close()
		return fmt.Errorf("receiving the RDB file: %w", err)
	}
	if err := file.Close(); err != nil {
		return err
	}
	b, release, err := mapfile.Map(path)
	if err != nil {
		return err
	}
	defer release()
	if r.m.o.SetLoading != nil {
		r.m.o.SetLoading(true)
		defer r.m.o.SetLoading(false)
	}
	// No fastcache position stays: a restart resynchronizes in full.
	r.m.o.Cache.ApplyGroupLogged(nil, &cache.ReplPos{})
	res, err := h.LoadRDB(b)
	if err != nil {
		return fmt.Errorf("loading the RDB file of the primary: %w", err)
	}
	r.fullSyncs.Add(1)
	r.m.o.Log.Info().Int64("bytes", size).Int64("keys", res.Keys-res.Expired).Str("redis_version", res.Aux["redis-ver"]).
		Dur("took", time.Since(start).Round(time.Microsecond)).Msg("full resynchronization with the redis-server primary done")
	return nil
}

// copyToMark copies br to w up to the EOF mark that ends a diskless RDB
// transfer; the mark is not copied. The primary sends nothing after it
// until the replica's first ACK, so the mark ends a read.
func copyToMark(w io.Writer, br *bufio.Reader, mark []byte) (int64, error) {
	buf := make([]byte, 256<<10)
	held := 0 // buf[:held]: read, not written (the last bytes may be the mark)
	var n int64
	for {
		m, err := br.Read(buf[held:])
		held += m
		if held >= len(mark) && bytes.Equal(buf[held-len(mark):held], mark) {
			k, werr := w.Write(buf[:held-len(mark)])
			return n + int64(k), werr
		}
		if keep := len(mark); held > keep {
			k, werr := w.Write(buf[:held-keep])
			n += int64(k)
			if werr != nil {
				return n, werr
			}
			held = copy(buf, buf[held-keep:held])
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("the primary closed the connection before the end of the RDB file")
			}
			return n, err
		}
	}
}

// ackWriter writes REPLCONF ACKs (the ticker's and GETACK's answers).
type ackWriter struct {
	mu   sync.Mutex
	conn net.Conn
}

func (w *ackWriter) ack(off int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := w.conn.Write(respCommand("REPLCONF", "ACK", strconv.FormatInt(off, 10)))
	return err
}

// readStreamCommand reads one command of the primary's stream, a RESP array of
// bulk strings, and returns it with the bytes it took (an empty line: no
// arguments). The arguments alias buf's storage (returned for reuse),
// until the next call.
func readStreamCommand(br *bufio.Reader, buf []byte) (args [][]byte, n int64, _ []byte, err error) {
	line, took, err := readCRLF(br)
	if err != nil {
		return nil, 0, buf, err
	}
	n = int64(took)
	if len(line) == 0 {
		return nil, n, buf, nil
	}
	if line[0] != '*' {
		return nil, n, buf, fmt.Errorf("protocol error in the primary's stream: %q", truncLine(line))
	}
	count, perr := strconv.ParseInt(string(line[1:]), 10, 64)
	if perr != nil || count < 0 || count > 1<<24 {
		return nil, n, buf, fmt.Errorf("protocol error in the primary's stream: bad array length %q", truncLine(line))
	}
	buf = buf[:0]
	ends := make([]int, 0, count)
	for range count {
		line, took, err := readCRLF(br)
		if err != nil {
			return nil, n, buf, err
		}
		n += int64(took)
		if len(line) == 0 || line[0] != '$' {
			return nil, n, buf, fmt.Errorf("protocol error in the primary's stream: expected a bulk string, got %q", truncLine(line))
		}
		size, perr := strconv.ParseInt(string(line[1:]), 10, 64)
		if perr != nil || size < 0 || size > maxBulk {
			return nil, n, buf, fmt.Errorf("protocol error in the primary's stream: bad bulk length %q", truncLine(line))
		}
		// Read in steps of at most 1 MiB: memory grows with the bytes
		// that come, not with what a length claims.
		for left := int(size) + 2; left > 0; {
			step := min(left, 1<<20)
			start := len(buf)
			buf = slices.Grow(buf, step)[:start+step]
			if _, err := io.ReadFull(br, buf[start:]); err != nil {
				return nil, n, buf, err
			}
			left -= step
		}
		if buf[len(buf)-2] != '\r' || buf[len(buf)-1] != '\n' {
			return nil, n, buf, errors.New("protocol error in the primary's stream: a bulk string without its CRLF")
		}
		buf = buf[:len(buf)-2]
		n += size + 2
		ends = append(ends, len(buf))
	}
	args = make([][]byte, len(ends))
	start := 0
	for i, e := range ends {
		args[i] = buf[start:e:e]
		start = e
	}
	return args, n, buf, nil
}

// readCRLF reads a line ending in "\r\n" (or "\n"): the line without its
// end, and the bytes it took.
func readCRLF(br *bufio.Reader) ([]byte, int, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, 0, errors.New("protocol error in the primary's stream: a line too long")
	}
	if err != nil {
		return nil, 0, err
	}
	took := len(line)
	line = line[:len(line)-1]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, took, nil
}

func truncLine(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "..."
	}
	return string(b)
}
