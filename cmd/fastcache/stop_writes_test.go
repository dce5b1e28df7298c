package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestStopWritesOnBgsaveErrorDiff: with appendonly no and save points set,
// a failed BGSAVE makes the server refuse writes and PING with Redis's
// MISCONF until a snapshot succeeds, as redis-server's
// stop-writes-on-bgsave-error does; CONFIG SET of it or of save lifts and
// restores the refusal. Reply by reply against redis-server, each made to
// fail its snapshot the same way (a directory where its file must go).
func TestStopWritesOnBgsaveErrorDiff(t *testing.T) {
	rdir, fdir := t.TempDir(), t.TempDir()
	rs := redis.NewClient(&redis.Options{Addr: startRedisServer(t, "--appendonly", "no", "--save", "3600 1", "--dir", rdir), MaxRetries: -1})
	defer rs.Close()
	fc := startReady(t, fdir, "--appendonly", "no", "--save", "3600 1").client()
	breakIt := map[*redis.Client]func(){
		// redis-server renames its temp file to dump.rdb: a directory there fails it
		rs: func() { must(t, os.Mkdir(filepath.Join(rdir, "dump.rdb"), 0o755)) },
		// fastcache writes into <dir>/snapshot: a file there fails it
		fc: func() {
			must(t, os.RemoveAll(filepath.Join(fdir, "snapshot")))
			must(t, os.WriteFile(filepath.Join(fdir, "snapshot"), nil, 0o644))
		},
	}
	fixIt := map[*redis.Client]func(){
		rs: func() { must(t, os.Remove(filepath.Join(rdir, "dump.rdb"))) },
		fc: func() { must(t, os.Remove(filepath.Join(fdir, "snapshot"))) },
	}
	show := func(v any, err error) string {
		if err != nil {
			return "error: " + err.Error()
		}
		return stringOf(v)
	}
	bgsave := func(c *redis.Client) string {
		out := show(c.Do(ctx(), "BGSAVE").Result())
		waitFor(t, "the BGSAVE", func() bool { return infoField(t, c, "persistence", "rdb_bgsave_in_progress") == "0" })
		return out + " status:" + infoField(t, c, "persistence", "rdb_last_bgsave_status")
	}
	steps := []struct {
		cmd []any
		fn  string // "break", "fix", "bgsave", "save"
	}{
		{cmd: []any{"SET", "k", "1"}},
		{fn: "break"},
		{fn: "save"}, // a failed SAVE (in the foreground) stops nothing
		{cmd: []any{"SET", "k", "1"}},
		{cmd: []any{"PING"}},
		{fn: "bgsave"},
		{cmd: []any{"SET", "k", "2"}},
		{cmd: []any{"PING"}},
		{cmd: []any{"GET", "k"}},
		{cmd: []any{"INCR", "n"}},
		{cmd: []any{"CONFIG", "SET", "stop-writes-on-bgsave-error", "no"}},
		{cmd: []any{"SET", "k", "3"}},
		{cmd: []any{"PING"}},
		{cmd: []any{"CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"}},
		{cmd: []any{"SET", "k", "4"}},
		{cmd: []any{"CONFIG", "SET", "save", ""}},
		{cmd: []any{"SET", "k", "5"}},
		{cmd: []any{"CONFIG", "SET", "save", "3600 1"}},
		{cmd: []any{"DEL", "k"}},
		{fn: "fix"},
		{fn: "bgsave"},
		{cmd: []any{"SET", "k", "6"}},
		{cmd: []any{"PING"}},
		{cmd: []any{"GET", "k"}},
	}
	for i, st := range steps {
		var got, want string
		switch st.fn {
		case "break":
			breakIt[rs]()
			breakIt[fc]()
			continue
		case "fix":
			fixIt[rs]()
			fixIt[fc]()
			continue
		case "bgsave":
			want, got = bgsave(rs), bgsave(fc)
		case "save":
			// (the error texts differ: Redis's is a bare ERR)
			if rs.Save(ctx()).Err() == nil || fc.Save(ctx()).Err() == nil {
				t.Fatalf("step %d: SAVE succeeded with the snapshot's place taken", i)
			}
			continue
		default:
			want, got = show(rs.Do(ctx(), st.cmd...).Result()), show(fc.Do(ctx(), st.cmd...).Result())
		}
		if got != want {
			t.Errorf("step %d %v %s: fastcache %q, redis %q", i, st.cmd, st.fn, got, want)
		}
	}
}

func stringOf(v any) string {
	if v == nil {
		return "<nil>"
	}
	return fmt.Sprint(v)
}
