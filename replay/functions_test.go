package replay_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"fastcache/cache"
	"fastcache/persistence"
	"fastcache/replay"
)

// libs is a stand-in for the server's function registry: it applies
// function records as the server's hook does and counts the records that
// reached it from the log (LSN > 0) and from a snapshot (LSN 0).
type libs struct {
	mu                sync.Mutex
	m                 map[string]string
	fromLog, fromSnap int
}

func newLibs() *libs { return &libs{m: map[string]string{}} }

func (l *libs) hooks() cache.FunctionHooks {
	return cache.FunctionHooks{Apply: l.apply, Libraries: l.list}
}

func (l *libs) apply(r *persistence.Record) {
	var items []string
	persistence.Items(r.Value, func(it []byte) { items = append(items, string(it)) })
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.LSN > 0 {
		l.fromLog++
	} else {
		l.fromSnap++
	}
	switch r.Op {
	case persistence.OpFunctionLoad:
		l.m[items[0]] = items[1]
	case persistence.OpFunctionDelete:
		delete(l.m, items[0])
	case persistence.OpFunctionFlush:
		l.m = map[string]string{}
	}
}

func (l *libs) list() (names, codes []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for n := range l.m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		codes = append(codes, l.m[n])
	}
	return names, codes
}

func (l *libs) snapshot() map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]string{}
	for k, v := range l.m {
		out[k] = v
	}
	return out
}

var changes int

// change makes a library change the way FUNCTION does: under Atomic, the
// registry changed and the record logged in the same transaction.
func change(c *cache.Cache, l *libs, op persistence.Op, items ...string) {
	changes++
	key := []byte(fmt.Sprintf("k%d", changes))
	c.Atomic(nil, func(k cache.Keyspace) {
		var body []byte
		for _, it := range items {
			body = persistence.AppendItem(body, []byte(it))
		}
		r := persistence.Record{Op: op, Value: body, LSN: 1}
		l.apply(&r)
		l.fromLog-- // not a replayed record
		k.LogFunction(op, body)
		k.Set(key, []byte("v"), cache.SetOptions{}, nil) // data in the same group
	})
}

// TestFunctionRecordsExactlyOnce: library changes logged before a snapshot
// come back from the snapshot (not again from the log, which replay reads
// from its first segment here), those after it from the log, each exactly
// once; a snapshot's libraries replace what a target held (a replica's full
// sync), and a replica target logs them again.
func TestFunctionRecordsExactlyOnce(t *testing.T) {
	const shards = 8
	dir := t.TempDir()
	walDir, snapDir := filepath.Join(dir, "wal"), filepath.Join(dir, "snapshot")
	w, err := persistence.Open(persistence.Options{Dir: walDir, Shards: shards, Fsync: "no"})
	if err != nil {
		t.Fatal(err)
	}
	c := cache.New(cache.Options{Shards: shards, WAL: w})
	primary := newLibs()
	c.SetFunctionHooks(primary.hooks())

	change(c, primary, persistence.OpFunctionLoad, "a", "code a1")
	change(c, primary, persistence.OpFunctionLoad, "gone", "code g")
	change(c, primary, persistence.OpFunctionDelete, "gone")
	sw, err := persistence.CreateSnapshot(snapDir, shards, "none", 0) // segment 0: replay sees every record
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteSnapshot(sw); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sw.Commit(); err != nil {
		t.Fatal(err)
	}
	change(c, primary, persistence.OpFunctionLoad, "b", "code b")
	change(c, primary, persistence.OpFunctionDelete, "a")
	change(c, primary, persistence.OpFunctionLoad, "a", "code a2")
	want := primary.snapshot()
	c.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want, map[string]string{"a": "code a2", "b": "code b"}) {
		t.Fatalf("primary registry %v", want)
	}

	// Restart: snapshot, then the log after its cut.
	c2 := cache.New(cache.Options{Shards: shards})
	restarted := newLibs()
	restarted.m["stale"] = "x" // replaced by the snapshot's libraries
	c2.SetFunctionHooks(restarted.hooks())
	meta, err := replay.LoadNewestSnapshot(snapDir, c2, zerolog.Nop())
	if err != nil || meta == nil {
		t.Fatalf("snapshot: %v %v", meta, err)
	}
	if got := restarted.snapshot(); !reflect.DeepEqual(got, map[string]string{"a": "code a1"}) {
		t.Fatalf("after the snapshot: %v", got)
	}
	if restarted.fromSnap != 2 { // a flush, then the one library
		t.Fatalf("%d function entries in the snapshot, want 2", restarted.fromSnap)
	}
	if meta.Keys != 3 { // the three data keys written before it; the libraries are no key
		t.Fatalf("snapshot counts %d keys, want 3", meta.Keys)
	}
	res, err := replay.Run(walDir, c2, replay.Options{Cut: replay.NewCut(meta), Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if got := restarted.snapshot(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after replay: %v, want %v", got, want)
	}
	if restarted.fromLog != 3 {
		t.Fatalf("%d function records applied from the log, want the 3 after the cut", restarted.fromLog)
	}
	if res.Skipped == 0 {
		t.Fatal("replay skipped nothing: the cut did not apply")
	}
	if c2.Keyspace().DBSize() != 6 {
		t.Fatalf("dbsize %d, want 6", c2.Keyspace().DBSize())
	}

	// A replica's full sync: the snapshot's entries through ApplyLogged,
	// then the stream after the cut, logged into the replica's own WAL.
	rdir := t.TempDir()
	rw, err := persistence.Open(persistence.Options{Dir: rdir, Shards: shards, Fsync: "no"})
	if err != nil {
		t.Fatal(err)
	}
	c3 := cache.New(cache.Options{Shards: shards, WAL: rw})
	replica := newLibs()
	replica.m["stale"] = "x"
	c3.SetFunctionHooks(replica.hooks())
	list, _ := persistence.ListSnapshots(snapDir)
	meta3, err := persistence.ReadSnapshot(list[0], 1, func(_ int, r *persistence.Record) { c3.ApplyLogged(r) })
	if err != nil {
		t.Fatal(err)
	}
	cut := replay.NewCut(meta3)
	_, err = persistence.ReadDir(walDir, persistence.ReadOptions{ReadOnly: true}, func(r *persistence.Record) error {
		cut.ApplyAfter(r, c3.Logged())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := replica.snapshot(); !reflect.DeepEqual(got, want) {
		t.Fatalf("replica: %v, want %v", got, want)
	}
	c3.Close()
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	// The replica's own log rebuilds the same libraries.
	c4 := cache.New(cache.Options{Shards: shards})
	again := newLibs()
	again.m["stale"] = "x"
	c4.SetFunctionHooks(again.hooks())
	if _, err := replay.Run(rdir, c4, replay.Options{Cut: replay.NewCut(nil), Log: zerolog.Nop()}); err != nil {
		t.Fatal(err)
	}
	if got := again.snapshot(); !reflect.DeepEqual(got, want) {
		t.Fatalf("replica's log replayed: %v, want %v", got, want)
	}
}
