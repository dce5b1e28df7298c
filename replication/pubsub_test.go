package replication

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"fastcache/persistence"
)

// streamRig is a WAL whose frames feed a hub, as in the server.
type streamRig struct {
	w   *persistence.WAL
	hub *Hub
	dir string
}

func newRig(t *testing.T, shards int) *streamRig {
	t.Helper()
	hub := NewHub(HubOptions{Log: zerolog.New(io.Discard)})
	dir := t.TempDir()
	w, err := persistence.Open(persistence.Options{Dir: dir, Shards: shards, Fsync: "everysec",
		Export: hub.Publish, Followed: hub.Followed, Exported: hub.Exported, Log: zerolog.New(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	hub.SetLog(w)
	t.Cleanup(func() { w.Close() })
	return &streamRig{w: w, hub: hub, dir: dir}
}

// end waits until n messages were queued for the replicas, then writes a
// last record: a reader's Next returns once it arrives.
func (r *streamRig) end(t *testing.T, n int64) {
	deadline := time.Now().Add(30 * time.Second)
	for r.hub.ps.Forwarded.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d messages forwarded, want %d", r.hub.ps.Forwarded.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
	r.w.Queue(0).Record(persistence.OpSet, 0, []byte("end"), nil, 0)
}

// attach connects a peer over loopback: a replica (taking messages or not)
// or an export subscriber. It returns the reading end.
func (r *streamRig) attach(t *testing.T, replica, pubsub bool) *bufio.Reader {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	client.SetReadDeadline(time.Now().Add(30 * time.Second))
	var sub *Sub
	if replica {
		sub, _, err = r.hub.AttachReplica(server, false, 0, pubsub)
		sub.Start()
	} else {
		sub, _, err = r.hub.Attach(server)
	}
	if err != nil {
		t.Fatal(err)
	}
	go sub.Run()
	return bufio.NewReader(client)
}

// item is what a reader saw: a record's key=value or a message.
type item struct {
	msg  bool
	text string
}

// collect reads the stream until wantMsgs messages and wantRecs records
// arrived (the last item must be a record: Next returns frames only) and
// returns what it saw and the final offset.
func collect(t *testing.T, br *bufio.Reader, start int64, wantMsgs, wantRecs int, handle bool) ([]item, int64) {
	t.Helper()
	var items []item
	msgs, recs := 0, 0
	sr := NewStreamReader(br, start)
	if handle {
		sr.Messages = func(shard bool, ch, m []byte) {
			kind := "message"
			if shard {
				kind = "smessage"
			}
			items = append(items, item{true, kind + " " + string(ch) + " " + string(m)})
			msgs++
		}
	}
	for msgs < wantMsgs || recs < wantRecs {
		got, _, err := sr.Next()
		if err != nil {
			t.Fatalf("%v after %d messages, %d records", err, msgs, recs)
		}
		for _, rec := range got {
			items = append(items, item{false, string(rec.Key) + "=" + string(rec.Value)})
			recs++
		}
	}
	return items, sr.Offset
}

// TestMessagesFollowTheirWrites: on a replica taking messages, each message
// comes after the records written before it was published, messages keep
// their order, and their bytes are not stream offset; a replica without the
// capability and an export subscriber get the same frames and no message.
func TestMessagesFollowTheirWrites(t *testing.T) {
	const shards, writers, per = 4, 4, 200
	r := newRig(t, shards)
	withMsgs := r.attach(t, true, true)
	plain := r.attach(t, true, false)
	export := r.attach(t, false, false)
	if !r.hub.ForwardsMessages() {
		t.Fatal("hub does not forward messages to a replica that asked for them")
	}
	var wg sync.WaitGroup
	var locks [shards]sync.Mutex
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			key := []byte("k" + strconv.Itoa(w))
			for i := 1; i <= per; i++ {
				locks[w%shards].Lock()
				r.w.Queue(w%shards).Record(persistence.OpSet, 0, key, []byte(strconv.Itoa(i)), 0)
				locks[w%shards].Unlock()
				r.hub.ForwardMessage(i%2 == 0, []byte("ch"+strconv.Itoa(w)), []byte(strconv.Itoa(i)))
			}
		}(w)
	}
	wg.Wait()
	r.end(t, writers*per)
	items, off := collect(t, withMsgs, 0, writers*per, writers*per+1, true)
	last := map[string]int{}    // key -> value applied
	lastMsg := map[string]int{} // channel -> last message
	nmsg := 0
	for _, it := range items {
		if !it.msg {
			k, v, _ := strings.Cut(it.text, "=")
			last[k], _ = strconv.Atoi(v)
			continue
		}
		nmsg++
		f := strings.Fields(it.text)
		w := strings.TrimPrefix(f[1], "ch")
		i, _ := strconv.Atoi(f[2])
		if want := map[bool]string{true: "smessage", false: "message"}[i%2 == 0]; f[0] != want {
			t.Fatalf("%q: want kind %s", it.text, want)
		}
		if last["k"+w] < i {
			t.Fatalf("message %q arrived before its write (k%s is %d)", it.text, w, last["k"+w])
		}
		if lastMsg[f[1]] != i-1 {
			t.Fatalf("message %q after %d: out of order", it.text, lastMsg[f[1]])
		}
		lastMsg[f[1]] = i
	}
	if nmsg != writers*per {
		t.Fatalf("%d messages, want %d", nmsg, writers*per)
	}
	for _, br := range []*bufio.Reader{plain, export} {
		got, off2 := collect(t, br, 0, 0, writers*per+1, true)
		for _, it := range got {
			if it.msg {
				t.Fatalf("a peer that did not ask got a message: %q", it.text)
			}
		}
		if off2 != off {
			t.Fatalf("offsets differ: %d with messages, %d without", off, off2)
		}
	}
	if ho := r.hub.Offset(); ho != off {
		t.Fatalf("stream offset %d, hub offset %d: message bytes were counted", off, ho)
	}
	if err := r.w.Flush(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(r.dir, "*.wal"))
	for _, s := range segs {
		b, _ := os.ReadFile(s)
		if bytes.Contains(b, []byte("ch0")) {
			t.Fatalf("segment %s holds a pub/sub message", s)
		}
	}
}

// TestMessageWithoutWrites: with nothing written since the WAL opened,
// messages go out (the first waits for one writer round, which it kicks).
func TestMessageWithoutWrites(t *testing.T) {
	r := newRig(t, 2)
	br := r.attach(t, true, true)
	for i := 0; i < 3; i++ {
		r.hub.ForwardMessage(false, []byte("c"), []byte(fmt.Sprint(i)))
	}
	r.end(t, 3)
	items, _ := collect(t, br, 0, 3, 1, true)
	for i, it := range items[:3] {
		if it.text != fmt.Sprintf("message c %d", i) {
			t.Fatalf("item %d: %q", i, it.text)
		}
	}
	if n := r.hub.ps.Forwarded.Load(); n != 3 {
		t.Fatalf("forwarded %d", n)
	}
}

// TestStreamReaderSkipsMessages: a reader without a Messages handler skips
// message frames; a damaged one is an error, not a frame.
func TestStreamReaderSkipsMessages(t *testing.T) {
	var b []byte
	b = appendMessageFrame(b, false, []byte("a"), []byte("x"))
	b = appendMessageFrame(b, true, []byte("b"), nil)
	sr := NewStreamReader(bufio.NewReader(bytes.NewReader(b)), 7)
	if _, _, err := sr.Next(); err != io.EOF || sr.Offset != 7 {
		t.Fatalf("err %v offset %d", err, sr.Offset)
	}
	bad := appendMessageFrame(nil, false, []byte("a"), []byte("x"))
	bad[2] = 9
	sr = NewStreamReader(bufio.NewReader(bytes.NewReader(bad)), 0)
	if _, _, err := sr.Next(); err == nil || !strings.Contains(err.Error(), "message frame") {
		t.Fatalf("bad kind: %v", err)
	}
	sr = NewStreamReader(bufio.NewReader(bytes.NewReader(b[:15])), 0)
	if _, _, err := sr.Next(); err == nil || err == io.EOF {
		t.Fatalf("torn message frame: %v", err)
	}
}

// readCommand reads one RESP array of bulk strings.
func readCommand(t *testing.T, br *bufio.Reader) []string {
	t.Helper()
	args, _, _, err := readStreamCommand(br, nil)
	if err != nil || len(args) == 0 {
		t.Fatalf("reading a command: %q %v", args, err)
	}
	var out []string
	for _, a := range args {
		out = append(out, string(a))
	}
	return out
}

// TestReplicaAsksForMessagesAndFallsBack: a replica asks for message frames
// with the capability word; a primary older than them refuses the extra
// argument, and the replica asks again without it on the same connection.
func TestReplicaAsksForMessagesAndFallsBack(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	m := NewManager(ManagerOptions{Hub: NewHub(HubOptions{Log: zerolog.New(io.Discard)}), Log: zerolog.New(io.Discard),
		MasterAuth: func() string { return "" }, Port: 6390, Publish: func(bool, []byte, []byte) {}})
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	r := startReplica(m, host, port, nil)
	defer r.Stop()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(conn)
	if got := strings.Join(readCommand(t, br), " "); got != "FCSYNC ? 0 6390 pubsub heartbeat" {
		t.Fatalf("first FCSYNC: %q", got)
	}
	io.WriteString(conn, "-ERR wrong number of arguments for 'fcsync' command\r\n")
	if got := strings.Join(readCommand(t, br), " "); got != "FCSYNC ? 0 6390" {
		t.Fatalf("FCSYNC to an older primary: %q", got)
	}
}
