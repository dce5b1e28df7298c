package main

import (
	"bufio"
	"bytes"
	le "encoding/binary"
	"encoding/json"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// copyTree copies the directory src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

type goldenKey struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	PExpireTime int64  `json:"pexpiretime"`
}

// checkGolden compares the server's keys in database 0 with expected.txt,
// which the format-1 binary itself printed from the same data.
func checkGolden(t *testing.T, rdb *redis.Client, extra int) {
	t.Helper()
	f, err := os.Open("testdata/v1/expected.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var g goldenKey
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatal(err)
		}
		n++
		v, err := rdb.Get(ctx(), g.Key).Result()
		if err != nil || v != g.Value {
			t.Fatalf("key %q = %q (%v), want %q", g.Key, v, err, g.Value)
		}
		e, err := rdb.Do(ctx(), "PEXPIRETIME", g.Key).Int64()
		if err != nil || e != g.PExpireTime {
			t.Fatalf("PEXPIRETIME %q = %d (%v), want %d", g.Key, e, err, g.PExpireTime)
		}
	}
	if size := rdb.DBSize(ctx()).Val(); size != int64(n+extra) {
		t.Fatalf("DBSIZE %d, want %d", size, n+extra)
	}
}

// TestUpgradeFromFormat1 starts this binary on a data directory written by
// the format-1 binary (commit f6a39f5: a snapshot, then WAL segments of
// version-1 frames after it, left by kill -9) and finds every key, value
// and expiry; then writes hashes and other databases into the same log and
// finds everything again after another kill -9.
func TestUpgradeFromFormat1(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, "testdata/v1/data", dir)
	p := startReady(t, dir, "--appendfsync", "always")
	rdb := p.client()
	checkGolden(t, rdb, 0)
	if err := rdb.HSet(ctx(), "upgraded:h", "f", "v").Err(); err != nil {
		t.Fatal(err)
	}
	db2 := redis.NewClient(&redis.Options{Addr: p.addr(), DB: 2})
	defer db2.Close()
	if err := db2.Set(ctx(), "in-db2", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	p.kill()
	p = startReady(t, dir)
	rdb = p.client()
	checkGolden(t, rdb, 1)
	if v := rdb.HGet(ctx(), "upgraded:h", "f").Val(); v != "v" {
		t.Fatalf("hash written after the upgrade: %q", v)
	}
	db2 = redis.NewClient(&redis.Options{Addr: p.addr(), DB: 2})
	defer db2.Close()
	if v := db2.Get(ctx(), "in-db2").Val(); v != "x" {
		t.Fatalf("db 2 after restart: %q", v)
	}
}

// lastFrame finds the offset of the last frame of a segment.
func lastFrame(t *testing.T, data []byte) int {
	t.Helper()
	const segHdr, frameHdr = 32, 40
	off, last := segHdr, -1
	for off+frameHdr <= len(data) && le.LittleEndian.Uint16(data[off:]) == 0xFC57 {
		last = off
		stored := int(le.LittleEndian.Uint32(data[off+4:]))
		off += (frameHdr + stored + 7) &^ 7
	}
	if last < 0 {
		t.Fatal("no frame in segment")
	}
	return last
}

// resign recomputes a frame's checksum after an edit (CRC32C of header
// bytes 0..31 and the payload), so the frame reads as intact.
func resign(data []byte, off int) {
	tab := crc32.MakeTable(crc32.Castagnoli)
	stored := int(le.LittleEndian.Uint32(data[off+4:]))
	sum := crc32.Update(crc32.Checksum(data[off:off+32], tab), tab, data[off+40:off+40+stored])
	le.LittleEndian.PutUint32(data[off+32:], sum)
}

// TestUnknownFormatRefusesStart: a frame of an unknown version, or a record
// of an unknown kind, at the very end of the log (where damage would be cut
// off as a torn tail) stops the start with a message naming the file and
// offset, and leaves every file as it was; so does a snapshot of an unknown
// version.
func TestUnknownFormatRefusesStart(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(data []byte, off int)
		want string
	}{
		{"frame version", func(d []byte, off int) { d[off+2] = 99 }, "unknown frame version 99"},
		{"record kind", func(d []byte, off int) { d[off+40] = 250 }, "unknown record type 250"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := startReady(t, dir, "--appendfsync", "always", "--wal-compression", "none")
			rdb := p.client()
			for _, k := range []string{"a", "b", "c"} {
				if err := rdb.Set(ctx(), k, "v", 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			p.kill()
			segs, _ := filepath.Glob(filepath.Join(dir, "wal", "*.wal"))
			if len(segs) == 0 {
				t.Fatal("no segment")
			}
			seg := segs[len(segs)-1]
			data, _ := os.ReadFile(seg)
			off := lastFrame(t, data)
			tc.edit(data, off)
			resign(data, off)
			if err := os.WriteFile(seg, data, 0o644); err != nil {
				t.Fatal(err)
			}
			before := dirFiles(t, dir)
			p = start(t, dir)
			out, err := p.wait(60 * time.Second)
			if err == nil {
				t.Fatalf("started on data of an unknown format:\n%s", out)
			}
			if !strings.Contains(out, tc.want) || !strings.Contains(out, filepath.Base(seg)) {
				t.Fatalf("start failed without naming the file and the unknown format (%q):\n%s", tc.want, out)
			}
			if after := dirFiles(t, dir); !equalFiles(before, after) {
				t.Fatalf("files changed by a refused start")
			}
		})
	}
	t.Run("snapshot version", func(t *testing.T) {
		dir := t.TempDir()
		p := startReady(t, dir)
		rdb := p.client()
		rdb.Set(ctx(), "a", "v", 0)
		if err := rdb.Save(ctx()).Err(); err != nil {
			t.Fatal(err)
		}
		p.kill()
		snaps, _ := filepath.Glob(filepath.Join(dir, "snapshot", "*.fcs"))
		if len(snaps) == 0 {
			t.Fatal("no snapshot")
		}
		data, _ := os.ReadFile(snaps[len(snaps)-1])
		data[4] = 9
		le.LittleEndian.PutUint32(data[28:], crc32.Checksum(data[:28], crc32.MakeTable(crc32.Castagnoli)))
		os.WriteFile(snaps[len(snaps)-1], data, 0o644)
		before := dirFiles(t, dir)
		p = start(t, dir)
		out, err := p.wait(60 * time.Second)
		if err == nil || !strings.Contains(out, "snapshot format version 9") {
			t.Fatalf("snapshot of version 9: err %v\n%s", err, out)
		}
		if after := dirFiles(t, dir); !equalFiles(before, after) {
			t.Fatalf("files changed by a refused start")
		}
	})
}

func dirFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && filepath.Base(p) != "LOCK" {
			m[p], _ = os.ReadFile(p)
		}
		return nil
	})
	return m
}

func equalFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
