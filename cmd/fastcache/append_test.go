package main

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"
)

// TestAppendLogsTheAppendedBytes: growing a value with APPEND (a log kept in
// one key) writes about the appended bytes to the WAL, not the whole value
// each time (5,000 appends of 100 bytes used to log 1.25 GB), and after
// kill -9 the value, a SETRANGE past its end and the key's TTL are back.
func TestAppendLogsTheAppendedBytes(t *testing.T) {
	dir := t.TempDir()
	p := startReady(t, dir, "--appendfsync", "always", "--wal-compression", "none")
	rdb := p.client()
	if err := rdb.Set(ctx(), "log", "head:", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	before := infoInt(t, rdb, "persistence", "wal_raw_bytes_written")
	want := []byte("head:")
	rng := rand.New(rand.NewPCG(1, 2))
	const appends, size = 5000, 100
	for i := 0; i < appends; i += 500 {
		pipe := rdb.Pipeline()
		for j := 0; j < 500; j++ {
			part := make([]byte, size)
			for k := range part {
				part[k] = byte('a' + rng.IntN(26))
			}
			want = append(want, part...)
			pipe.Append(ctx(), "log", string(part))
		}
		if _, err := pipe.Exec(ctx()); err != nil {
			t.Fatal(err)
		}
	}
	end := int64(len(want) + 10)
	if err := rdb.SetRange(ctx(), "log", end, "tail").Err(); err != nil {
		t.Fatal(err)
	}
	want = append(append(want, make([]byte, 10)...), "tail"...)
	logged := infoInt(t, rdb, "persistence", "wal_raw_bytes_written") - before
	if max := int64(2 * appends * size); logged > max {
		t.Fatalf("%d appends of %d bytes logged %d bytes (more than %d): the whole value per append?", appends, size, logged, max)
	}
	p.kill()

	p2 := startReady(t, dir)
	rdb2 := p2.client()
	got, err := rdb2.Get(ctx(), "log").Bytes()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("after kill -9: %d bytes (%v), want %d", len(got), err, len(want))
	}
	if ttl := rdb2.TTL(ctx(), "log").Val(); ttl <= 0 || ttl > time.Hour {
		t.Fatalf("TTL after restart: %v", ttl)
	}
}
