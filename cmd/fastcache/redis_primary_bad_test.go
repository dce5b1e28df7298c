package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"fastcache/internal/rdb"
)

// fakePrimary is the primary's side of Redis's replication protocol,
// scripted by a test: one connection of the replica.
type fakePrimary struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

// next reads the replica's next command, skipping the newlines it sends
// to keep the link alive.
func (f *fakePrimary) next() []string {
	f.t.Helper()
	for {
		line, err := f.br.ReadString('\n')
		if err != nil {
			f.t.Fatalf("reading the replica: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			continue
		}
		if line[0] != '*' {
			f.t.Fatalf("the replica sent %q", line)
		}
		n, _ := strconv.Atoi(line[1:])
		args := make([]string, n)
		for i := range args {
			l, _ := f.br.ReadString('\n')
			size, _ := strconv.Atoi(strings.TrimRight(l[1:], "\r\n"))
			b := make([]byte, size+2)
			if _, err := io.ReadFull(f.br, b); err != nil {
				f.t.Fatal(err)
			}
			args[i] = string(b[:size])
		}
		return args
	}
}

func (f *fakePrimary) send(s string) {
	f.t.Helper()
	if _, err := io.WriteString(f.c, s); err != nil {
		f.t.Fatal(err)
	}
}

// handshake answers FCSYNC as a redis-server does (unknown command) and
// the REPLCONFs with +OK; it returns the PSYNC.
func (f *fakePrimary) handshake() string {
	f.t.Helper()
	if cmd := f.next(); cmd[0] != "FCSYNC" {
		f.t.Fatalf("first command %q", cmd)
	}
	f.send("-ERR unknown command 'FCSYNC', with args beginning with: '?' '0' \r\n")
	for {
		cmd := f.next()
		switch cmd[0] {
		case "REPLCONF":
			f.send("+OK\r\n")
		case "PSYNC":
			return strings.Join(cmd, " ")
		default:
			f.t.Fatalf("unexpected %q in the handshake", cmd)
		}
	}
}

// ackAt reads the replica's REPLCONF ACKs (the one a GETACK asked for,
// and those it sends every second) until one reports off; one beyond it
// fails.
func (f *fakePrimary) ackAt(off int) {
	f.t.Helper()
	for {
		ack := f.next()
		if len(ack) != 3 || ack[0] != "REPLCONF" || ack[1] != "ACK" {
			f.t.Fatalf("the replica sent %q, want REPLCONF ACK", ack)
		}
		n, _ := strconv.Atoi(ack[2])
		if n == off {
			return
		}
		if n > off {
			f.t.Fatalf("REPLCONF ACK %d, want %d", n, off)
		}
	}
}

// closed waits until the replica closes the connection.
func (f *fakePrimary) closed() {
	f.t.Helper()
	f.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.Copy(io.Discard, f.br); err != nil {
		f.t.Fatalf("the replica did not close the link: %v", err)
	}
	f.c.Close()
}

func respCmd(args ...string) string {
	s := "*" + strconv.Itoa(len(args)) + "\r\n"
	for _, a := range args {
		s += "$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n"
	}
	return s
}

// TestFollowRedisPrimaryBadStream: a primary speaking Redis's protocol
// that sends what a redis-server never would: an RDB file that is not
// one, a bulk length beyond proto-max-bulk-len, a line that is no command,
// an error to PSYNC, a command fastcache does not know. The replica logs
// each and drops the link (or, for the unknown command, goes on), never
// crashes, keeps what it applied, and continues from the right offset
// (checked byte for byte with REPLCONF GETACK).
func TestFollowRedisPrimaryBadStream(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conns := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	accept := func() *fakePrimary {
		t.Helper()
		select {
		case c := <-conns:
			c.SetDeadline(time.Now().Add(30 * time.Second))
			return &fakePrimary{t: t, c: c, br: bufio.NewReader(c)}
		case <-time.After(30 * time.Second):
			t.Fatal("the replica did not connect")
		}
		return nil
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	p := startReady(t, t.TempDir(), "--replicaof", "127.0.0.1", port)
	fc := p.client()
	id := strings.Repeat("ab", 20)

	// PSYNC refused: the replica tries again
	f := accept()
	if ps := f.handshake(); ps != "PSYNC ? -1" {
		t.Fatalf("first PSYNC %q", ps)
	}
	f.send("-NOMASTERLINK Can't SYNC while not connected with my master\r\n")
	f.closed()

	// an RDB file that is not one
	f = accept()
	f.handshake()
	f.send("+FULLRESYNC " + id + " 100\r\n$5\r\nhello")
	f.closed()

	// a good file (a = 1 in database 0, c = x in database 3), a command,
	// then a bulk length beyond the limit
	var file bytes.Buffer
	w := rdb.NewFileWriter(&file, nil, rdb.FileOptions{})
	w.SelectDB(0, 1, 0)
	w.Key([]byte("a"), 0, append([]byte{0}, rdb.AppendString(nil, []byte("1"))...))
	w.SelectDB(3, 1, 0)
	w.Key([]byte("c"), 0, append([]byte{0}, rdb.AppendString(nil, []byte("x"))...))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f = accept()
	if ps := f.handshake(); ps != "PSYNC ? -1" {
		t.Fatalf("PSYNC %q before any file was loaded", ps)
	}
	f.send(fmt.Sprintf("+FULLRESYNC %s 100\r\n$%d\r\n", id, file.Len()) + file.String())
	f.ackAt(100) // at once: a diskless primary starts the stream then
	off := 100
	for _, c := range []string{respCmd("SELECT", "0"), respCmd("SET", "b", "2"), respCmd("PING")} {
		f.send(c)
		off += len(c)
	}
	f.send("*3\r\n$3\r\nSET\r\n$99999999999\r\n")
	f.closed()
	if v := fc.Get(ctx(), "a").Val() + fc.Get(ctx(), "b").Val(); v != "12" {
		t.Fatalf("a, b = %q after the stream broke, want 1 and 2", v)
	}

	// it continues after what it ran; a MULTI cut by the link is sent again
	f = accept()
	if ps, want := f.handshake(), fmt.Sprintf("PSYNC %s %d", id, off+1); ps != want {
		t.Fatalf("%q, want %q", ps, want)
	}
	f.send("+CONTINUE\r\n")
	for _, c := range []string{respCmd("INCR", "b"), respCmd("NOSUCHCOMMAND", "x"), respCmd("INCR", "b")} {
		f.send(c)
		off += len(c)
	}
	f.send(respCmd("REPLCONF", "GETACK", "*"))
	f.ackAt(off) // the GETACK's bytes not counted in its answer, as Redis's
	off += len(respCmd("REPLCONF", "GETACK", "*"))
	if v := fc.Get(ctx(), "b").Val(); v != "4" {
		t.Fatalf("b = %q, want 4 (the unknown command between the INCRs skipped)", v)
	}
	f.send(respCmd("MULTI") + respCmd("INCR", "b"))
	f.send("+not a command\r\n")
	f.closed()
	if v := fc.Get(ctx(), "b").Val(); v != "4" {
		t.Fatalf("b = %q: half a transaction applied", v)
	}

	f = accept()
	if ps, want := f.handshake(), fmt.Sprintf("PSYNC %s %d", id, off+1); ps != want {
		t.Fatalf("after a cut MULTI: %q, want %q (the offset before the MULTI)", ps, want)
	}
	f.send("+CONTINUE " + strings.Repeat("cd", 20) + "\r\n")
	f.send(respCmd("MULTI") + respCmd("INCR", "b") + respCmd("INCR", "b") + respCmd("EXEC"))
	off += len(respCmd("MULTI") + respCmd("INCR", "b") + respCmd("INCR", "b") + respCmd("EXEC"))
	f.send(respCmd("REPLCONF", "GETACK", "*"))
	f.ackAt(off)
	if v := fc.Get(ctx(), "b").Val(); v != "6" {
		t.Fatalf("b = %q after the transaction, want 6", v)
	}
	if v := inDB(t, fc, 3, "GET", "c"); v != "x<nil>" {
		t.Fatalf("c in database 3: %s", v)
	}
	select {
	case <-p.done:
		t.Fatalf("fastcache exited: %v\n%s", p.err, p.out.String())
	default:
	}
	for _, msg := range []string{"NOMASTERLINK", "loading the RDB file of the primary", "bad bulk length", "NOSUCHCOMMAND", "protocol error in the primary's stream"} {
		if !strings.Contains(p.out.String(), msg) {
			t.Errorf("the log does not mention %q", msg)
		}
	}
}
