package replication

// A redis-server replica of this server (REPLICAOF on the redis-server,
// Redis's replication protocol): the way back from fastcache to Redis
// without stopping, and the stream tools that follow a primary as a
// replica (redis-cli --replica, migration and change-capture tools) read.
//
//	replica:  PING, REPLCONF listening-port / capa eof psync2, PSYNC <id> <off>
//	primary:  +FULLRESYNC <replid> <offset>           (always: no partial resync)
//	          $EOF:<mark> <RDB> <mark>  or  $<len> <RDB>
//	          then the writes after the file, as Redis commands: each WAL
//	          record rendered by its kind (persistence.Commands), a group
//	          (MULTI/EXEC, a script, a multi-key command) in MULTI/EXEC,
//	          SELECT when the database changes, PING every
//	          repl-ping-replica-period
//	replica:  REPLCONF ACK <offset> every second (WAIT counts it)
//
// The replica is a Sub of the Hub like a fastcache replica, fed the WAL
// frames through redisStreamConn, which renders them instead of sending
// them. The file is the dataset at the moment every shard was held
// (cache.WriteRDB), so the records up to that moment's LSN are in it and
// skipped; the Sub attached before it, so nothing after is missing.
// Offsets in the replica's stream count the rendered bytes; an ACK is
// mapped back to the WAL stream offset of the frames it covers.

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"fastcache/object"
	"fastcache/persistence"
	"fastcache/pubsub"
	"fastcache/server"
)

// ServeRedisReplica takes over the connection of a redis-server replica
// after its PSYNC or SYNC.
func (m *Manager) ServeRedisReplica(conn net.Conn, req server.RedisReplicaRequest) {
	conn.SetDeadline(time.Time{})
	log := m.o.Log.With().Str("replica", conn.RemoteAddr().String()).Logger()
	if m.o.RedisRDB == nil || m.o.Snapshot == nil || (m.o.Serving != nil && !m.o.Serving()) {
		io.WriteString(conn, "-ERR this server cannot serve replicas: it runs with appendonly no\r\n")
		conn.Close()
		return
	}
	if req.PSync && m.resumeRedis(conn, req, log) {
		return
	}
	hub := m.o.Hub
	var b [20]byte
	rand.Read(b[:])
	t := &redisStreamConn{Conn: conn, id: hex.EncodeToString(b[:]), db: -1, unknown: map[persistence.Op]bool{},
		blMax: max(hub.BacklogSize(), 1<<20), warn: func(op persistence.Op) {
			log.Warn().Str("op", op.String()).Msg("a WAL record with no Redis command: not sent to the redis-server replica")
		}}
	sub, off, err := hub.AttachReplica(t, false, 0, true) // (with PUBLISHes)
	if err != nil {
		io.WriteString(conn, "-ERR "+err.Error()+"\r\n")
		conn.Close()
		return
	}
	t.hubOff = off
	sub.Port, sub.IP = req.Port, req.IP
	if req.PSync && req.ReplID != "?" {
		m.syncPartialErr.Add(1)
	}
	m.syncFull.Add(1)
	log.Info().Bool("psync", req.PSync).Msg("a redis-server replica: full resynchronization, the dataset as an RDB file")
	start := time.Now()
	if req.PSync {
		conn.SetWriteDeadline(time.Now().Add(hub.writeTimeout()))
		if _, err := fmt.Fprintf(conn, "+FULLRESYNC %s 0\r\n", t.id); err != nil {
			sub.Close(err)
			return
		}
	}
	// (a write that has not moved for repl-timeout drops the replica, as
	// Redis drops one whose transfer stalls)
	lsn, err := m.o.RedisRDB(&deadlineConn{Conn: conn, timeout: m.timeout()}, req.EOF)
	if err != nil {
		log.Warn().Err(err).Msg("the RDB transfer to the redis-server replica failed")
		sub.Close(err)
		conn.Close()
		return
	}
	t.skipTo = lsn
	log.Info().Dur("took", time.Since(start).Round(time.Microsecond)).Uint64("lsn", lsn).Msg("RDB file sent to the redis-server replica, streaming the writes as commands")
	// The replica finds the end of a diskless file by its last bytes read
	// being the mark: nothing may follow them until it has loaded the file
	// and says so with its first ACK, as Redis's primary waits for it.
	m.streamRedis(conn, sub, t, req.EOF, log)
}

// resumeRedis continues the stream of a redis-server replica that
// reconnects (PSYNC <id> <offset>) from where it stopped: the commands it
// missed are still in its session's backlog and the frames after them in
// the WAL stream's. It reports whether it did (else a full
// resynchronization follows).
func (m *Manager) resumeRedis(conn net.Conn, req server.RedisReplicaRequest, log zerolog.Logger) bool {
	m.redisMu.Lock()
	t := m.redisSess[req.ReplID]
	if live := m.redisLive[req.ReplID]; t == nil && live != nil {
		// The replica is back before its old connection was seen to go (a
		// Redis replica reconnects within a second of cutting its link; a
		// busy primary can notice the cut later): end that stream and take
		// its session once it is parked, as Redis's primary continues from
		// its backlog whatever the state of the old connection.
		old, kept := live.stream, live.kept
		m.redisMu.Unlock()
		old.Close()
		select {
		case <-kept:
		case <-time.After(5 * time.Second):
		}
		m.redisMu.Lock()
		t = m.redisSess[req.ReplID]
	}
	delete(m.redisSess, req.ReplID)
	m.redisMu.Unlock()
	if t == nil {
		return false
	}
	t.mu.Lock()
	need := req.Offset - 1 // the first byte it lacks (Redis asks for its offset + 1)
	ok := need >= t.blStart && need <= t.sent
	var missed []byte
	if ok {
		missed = append(missed, t.backlog[need-t.blStart:]...)
	}
	t.Conn, t.pending = conn, nil // (a frame cut in two comes again whole from hubOff)
	hubOff := t.hubOff
	t.mu.Unlock()
	if !ok {
		log.Info().Int64("offset", req.Offset).Msg("a redis-server replica asks for an offset no longer held: full resynchronization")
		return false
	}
	sub, _, err := m.o.Hub.AttachReplica(t, true, hubOff, true)
	if err != nil {
		log.Info().Err(err).Msg("a redis-server replica's frames are no longer in the WAL stream's backlog: full resynchronization")
		return false
	}
	sub.Port, sub.IP = req.Port, req.IP
	conn.SetWriteDeadline(time.Now().Add(m.o.Hub.writeTimeout()))
	if _, err := io.WriteString(conn, "+CONTINUE "+t.id+"\r\n"); err != nil {
		sub.Close(err)
		return true
	}
	if _, err := conn.Write(missed); err != nil {
		sub.Close(err)
		return true
	}
	m.syncPartialOK.Add(1)
	log.Info().Int64("offset", req.Offset).Int("resent", len(missed)).Msg("a redis-server replica continues its stream (partial resynchronization)")
	m.streamRedis(conn, sub, t, false, log)
	return true
}

// streamRedis runs a redis-server replica's stream until it goes: its
// ACKs read, PINGs sent, the rendered frames; its session is kept after
// for a reconnection to continue (resumeRedis). With waitAck, the stream
// starts at the replica's first ACK.
func (m *Manager) streamRedis(conn net.Conn, sub *Sub, t *redisStreamConn, waitAck bool, log zerolog.Logger) {
	// REPLCONF ACK <offset> (7.2+: and FACK <offset>), every second: mapped
	// to the WAL stream's offset
	firstAck := make(chan struct{})
	var once sync.Once
	go m.readAcks(conn, sub, func(br *bufio.Reader) (int64, bool, error) {
		args, err := readReplicaCommand(br)
		if err != nil {
			return 0, false, err
		}
		if len(args) >= 3 && strings.EqualFold(args[0], "replconf") && strings.EqualFold(args[1], "ack") {
			once.Do(func() { close(firstAck) })
			if n, err := strconv.ParseInt(args[2], 10, 64); err == nil {
				h, ok := t.hubOffsetAt(n)
				return h, ok, nil
			}
		}
		return 0, false, nil
	})
	if waitAck {
		select {
		case <-firstAck:
		case <-sub.Done():
			conn.Close()
			return
		}
	}
	m.redisMu.Lock()
	if m.redisLive == nil {
		m.redisLive = map[string]*redisStreamConn{}
	}
	m.redisLive[t.id] = t
	t.stream, t.kept = conn, make(chan struct{})
	m.redisMu.Unlock()
	sub.Start()
	go func() { // PING every repl-ping-replica-period, as Redis's primary
		for {
			select {
			case <-sub.Done():
				return
			case <-time.After(m.pingPeriod()):
			}
			if t.ping() != nil {
				sub.Close(errors.New("write: ping"))
				return
			}
		}
	}()
	if err := sub.Run(); err == nil {
		log.Info().Msg("redis-server replica disconnected")
	}
	conn.Close()
	m.redisMu.Lock()
	if m.redisSess == nil {
		m.redisSess = map[string]*redisStreamConn{}
	}
	for len(m.redisSess) >= maxRedisSessions { // a few at most: the one gone longest goes
		oldest := ""
		for id, o := range m.redisSess {
			if oldest == "" || o.goneAt.Before(m.redisSess[oldest].goneAt) {
				oldest = id
			}
		}
		delete(m.redisSess, oldest)
	}
	t.goneAt = time.Now()
	m.redisSess[t.id] = t
	if m.redisLive[t.id] == t {
		delete(m.redisLive, t.id)
	}
	close(t.kept)
	m.redisMu.Unlock()
}

// maxRedisSessions bounds the sessions of gone redis-server replicas kept
// for their reconnection (each holds up to repl-backlog-size of commands).
const maxRedisSessions = 4

// deadlineConn gives each write the timeout to make progress.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (d *deadlineConn) Write(p []byte) (int, error) {
	d.Conn.SetWriteDeadline(time.Now().Add(d.timeout))
	return d.Conn.Write(p)
}

// redisStreamConn is the Sub's connection to a redis-server replica: the
// WAL frames written to it go out as Redis commands.
type redisStreamConn struct {
	net.Conn // the replica's (only the interface's methods are promoted)

	id     string    // the replication ID the replica knows this stream by
	goneAt time.Time // when its replica went (redisSess, under Manager.redisMu)
	// stream is the connection of its live stream; kept is closed once
	// that stream ended and the session is parked in redisSess (both
	// under Manager.redisMu)
	stream net.Conn
	kept   chan struct{}

	mu      sync.Mutex
	pending []byte // a frame not complete yet
	// backlog: the last blMax bytes sent, from stream offset blStart (a
	// reconnection continues from them: resumeRedis)
	backlog []byte
	blStart int64
	blMax   int64
	dec     persistence.FrameDecoder
	skipTo  uint64 // records up to this LSN are in the RDB file
	db      int    // the database of the last command sent (-1: none)
	out     []byte
	sent    int64   // bytes of commands sent: the replica's offset
	hubOff  int64   // the WAL stream's offset after the frames rendered
	marks   []mark2 // (sent, hubOff) after each write, oldest first
	unknown map[persistence.Op]bool
	warn    func(op persistence.Op) // once per kind of record skipped
	// render's scratch: the group's commands, how many, the database of
	// the record being rendered, a number's digits
	grp    []byte
	ncmds  int
	recDB  int
	num    []byte
	emitFn func(args ...[]byte)
}

type mark2 struct{ sent, hub int64 }

// Write renders whole frames of b (a partial one waits for the rest).
func (t *redisStreamConn) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	data := b
	if len(t.pending) > 0 {
		t.pending = append(t.pending, b...)
		data = t.pending
	}
	t.out = t.out[:0]
	for len(data) >= 2 {
		if isMessageFrame(data) {
			// a PUBLISH between the frames: part of a Redis replica's
			// stream (not of the WAL stream's offsets)
			if len(data) < msgHeaderSize {
				break
			}
			cl, ml := int(binary.LittleEndian.Uint32(data[4:])), int(binary.LittleEndian.Uint32(data[8:]))
			n := msgHeaderSize + cl + ml
			if len(data) < n {
				break
			}
			switch data[2] {
			case msgKindPublish, msgKindShard:
				name := "PUBLISH"
				if data[2] == msgKindShard {
					name = "SPUBLISH"
				}
				t.out = pubsub.AppendCommand(t.out, [][]byte{[]byte(name), data[msgHeaderSize : msgHeaderSize+cl], data[msgHeaderSize+cl : n]})
			}
			data = data[n:]
			continue
		}
		if len(data) < persistence.FrameHeaderSize {
			break
		}
		n, err := persistence.FrameLen(data)
		if err != nil {
			return 0, fmt.Errorf("the WAL stream: %w", err)
		}
		if len(data) < n {
			break
		}
		recs, used, err := t.dec.Decode(data[:n])
		if err != nil {
			return 0, fmt.Errorf("the WAL stream: %w", err)
		}
		t.render(recs)
		data = data[used:]
		t.hubOff += int64(used)
	}
	t.pending = append(t.pending[:0:0], data...)
	if err := t.flush(); err != nil {
		return 0, err
	}
	return len(b), nil
}

// render appends recs's commands to t.out: each group in MULTI/EXEC.
func (t *redisStreamConn) render(recs []persistence.Record) {
	for i := 0; i < len(recs); {
		n := max(recs[i].Group, 1)
		if i+n > len(recs) {
			n = len(recs) - i
		}
		group := recs[i : i+n]
		i += n
		t.grp, t.ncmds = t.grp[:0], 0
		if hasXNodes(group) {
			for _, r := range orderForRedis(group) {
				t.renderRecord(r)
			}
		} else {
			for j := range group {
				t.renderRecord(&group[j])
			}
		}
		switch {
		case t.ncmds == 1:
			t.out = append(t.out, t.grp...)
		case t.ncmds > 1:
			t.out = pubsub.AppendCommand(t.out, [][]byte{[]byte("MULTI")})
			t.out = append(t.out, t.grp...)
			t.out = pubsub.AppendCommand(t.out, [][]byte{[]byte("EXEC")})
		}
	}
}

// renderRecord appends r's commands to t.grp (the group being rendered),
// after a SELECT if r is of another database than the last command.
func (t *redisStreamConn) renderRecord(r *persistence.Record) {
	if r.LSN <= t.skipTo {
		return
	}
	t.recDB = r.DB
	if persistence.IsFunctionOp(r.Op) {
		t.recDB = -1 // (any database)
	}
	if t.emitFn == nil {
		t.emitFn = t.emit
	}
	if !persistence.Commands(r, t.emitFn) && r.Op != persistence.OpReplPos && !t.unknown[r.Op] {
		t.unknown[r.Op] = true
		t.warn(r.Op)
	}
}

// emit is renderRecord's receiver of one command.
func (t *redisStreamConn) emit(args ...[]byte) {
	if t.recDB >= 0 && t.recDB != t.db {
		t.num = strconv.AppendInt(t.num[:0], int64(t.recDB), 10)
		t.grp = pubsub.AppendCommand(t.grp, [][]byte{[]byte("SELECT"), t.num})
		t.db = t.recDB
	}
	t.grp = pubsub.AppendCommand(t.grp, args)
	t.ncmds++
}

func hasXNodes(group []persistence.Record) bool {
	for i := range group {
		if group[i].Op == object.OpXNodes {
			return true
		}
	}
	return false
}

// orderForRedis puts a stream's XSETID after the entries a group rebuilds
// it with (RENAME, COPY, RESTORE log the stream's counters first; Redis
// takes no entry below the last ID).
func orderForRedis(group []persistence.Record) []*persistence.Record {
	out := make([]*persistence.Record, 0, len(group))
	type dbKey struct {
		db  int
		key string
	}
	var lastNodes map[dbKey]int // a stream's last OpXNodes in the group
	for i := range group {
		if r := &group[i]; r.Op == object.OpXNodes {
			if lastNodes == nil {
				lastNodes = map[dbKey]int{}
			}
			lastNodes[dbKey{r.DB, string(r.Key)}] = i
		}
	}
	var held map[dbKey][]*persistence.Record
	for i := range group {
		r := &group[i]
		if lastNodes == nil {
			out = append(out, r)
			continue
		}
		k := dbKey{r.DB, string(r.Key)}
		if last, ok := lastNodes[k]; ok && r.Op == object.OpXSetID && last > i {
			if held == nil {
				held = map[dbKey][]*persistence.Record{}
			}
			held[k] = append(held[k], r)
			continue
		}
		out = append(out, r)
		if r.Op == object.OpXNodes && lastNodes[k] == i {
			out = append(out, held[k]...)
			delete(held, k)
		}
	}
	return out
}

// flush sends t.out and notes the offsets (t.mu held).
func (t *redisStreamConn) flush() error {
	if len(t.out) > 0 {
		t.backlog = append(t.backlog, t.out...)
		if over := int64(len(t.backlog)) - t.blMax; over > t.blMax/4 {
			t.backlog = append(t.backlog[:0], t.backlog[over:]...)
			t.blStart += over
		}
		_, err := t.Conn.Write(t.out)
		t.sent += int64(len(t.out)) // (in the backlog: a reconnection gets it again)
		if err != nil {
			return err
		}
	}
	t.marks = append(t.marks, mark2{t.sent, t.hubOff})
	if len(t.marks) > 4096 {
		t.marks = append(t.marks[:0], t.marks[len(t.marks)-2048:]...)
	}
	return nil
}

// ping sends a PING in the stream (counted in its offsets).
func (t *redisStreamConn) ping() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	t.out = pubsub.AppendCommand(t.out[:0], [][]byte{[]byte("PING")})
	return t.flush()
}

// hubOffsetAt maps the replica's offset to the WAL stream offset of the
// frames it has applied: that of the last write it covers.
func (t *redisStreamConn) hubOffsetAt(acked int64) (int64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h, ok := int64(0), false
	for i, m := range t.marks {
		if m.sent > acked {
			t.marks = t.marks[max(i-1, 0):] // (the one it covers stays for the next ACK)
			break
		}
		h, ok = m.hub, true
	}
	return h, ok
}

// readReplicaCommand reads one command a replica sends (a RESP array of bulk
// strings, or an inline line).
func readReplicaCommand(br *bufio.Reader) ([]string, error) {
	line, err := readLine(br, 1024)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(line, "*") {
		return strings.Fields(line), nil
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n < 0 || n > 16 {
		return nil, fmt.Errorf("bad command from the replica: %q", line)
	}
	args := make([]string, 0, n)
	for range n {
		h, err := readLine(br, 64)
		if err != nil {
			return nil, err
		}
		l, err := strconv.Atoi(strings.TrimPrefix(h, "$"))
		if err != nil || !strings.HasPrefix(h, "$") || l < 0 || l > 1024 {
			return nil, fmt.Errorf("bad command from the replica: %q", h)
		}
		b := make([]byte, l+2)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, err
		}
		args = append(args, string(b[:l]))
	}
	return args, nil
}
