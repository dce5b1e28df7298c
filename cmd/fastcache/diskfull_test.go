package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDiskFull puts the data directory on a small tmpfs, fills it, and checks
// invariant 8: writes fail with -MISCONF, reads keep working, INFO shows the
// error, writes resume by themselves once space is freed, and a restart loses
// nothing that was acknowledged.
func TestDiskFull(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root; CI runs as root): %v %s", err, out)
	}
	defer exec.Command("umount", "-l", dir).Run()

	p := startReady(t, dir, "--appendfsync", "always", "--wal-segment-size", "256kb", "--wal-compression", "none")
	rdb := p.client()
	// leave ~300 KB free
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	var st0 = freeBytes(t, dir)
	chunk := make([]byte, 64<<10)
	for written := int64(0); written < st0-300<<10; written += int64(len(chunk)) {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()

	acked := map[string]string{}
	val := strings.Repeat("x", 200)
	var misconf error
	for i := 0; i < 100000; i++ {
		k := fmt.Sprintf("k%06d", i)
		if err := rdb.Set(ctx(), k, val, 0).Err(); err != nil {
			misconf = err
			break
		}
		acked[k] = val
	}
	if misconf == nil || !strings.HasPrefix(misconf.Error(), "MISCONF Errors writing to the WAL") {
		t.Fatalf("expected a MISCONF error once the disk is full, got %v", misconf)
	}
	if err := rdb.Set(ctx(), "another", "write", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "MISCONF") {
		t.Fatalf("writes must stay refused while the disk is full, got %v", err)
	}
	// reads work
	for k := range acked {
		if v, err := rdb.Get(ctx(), k).Result(); err != nil || v != val {
			t.Fatalf("read of %s while disk full: %v", k, err)
		}
		break
	}
	// PING is refused too, as Redis refuses it on a disk error: a health
	// check sees the trouble
	if err := rdb.Ping(ctx()).Err(); err == nil || !strings.HasPrefix(err.Error(), "MISCONF Errors writing to the WAL") {
		t.Fatalf("PING while disk full: %v, want MISCONF", err)
	}
	info, _ := rdb.Info(ctx(), "persistence").Result()
	if !strings.Contains(info, "wal_last_write_status:err") {
		t.Fatalf("INFO persistence does not show the error:\n%s", info)
	}
	// free space: writes come back by themselves
	os.Remove(filler)
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := rdb.Set(ctx(), "after", "ok", 0).Err()
		if err == nil {
			acked["after"] = "ok"
			if err := rdb.Ping(ctx()).Err(); err != nil {
				t.Fatalf("PING once the disk has room again: %v", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes did not resume after space was freed: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.stop()
	if out, err := exec.Command(binary(t), "wal", "check", dir).CombinedOutput(); err != nil {
		t.Fatalf("wal check after recovery: %v\n%s", err, out)
	}
	p2 := startReady(t, dir)
	rdb2 := p2.client()
	for k, v := range acked {
		got, err := rdb2.Get(ctx(), k).Result()
		if err != nil || got != v {
			t.Fatalf("acknowledged key %s lost after restart: %v", k, err)
		}
	}
}

func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	out, err := exec.Command("df", "-B1", "--output=avail", dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(out))
	var n int64
	fmt.Sscan(lines[len(lines)-1], &n)
	return n
}

// TestDiskFullIncr: INCR at the moment the disk fills, under appendfsync
// always. The INCR whose log write fails ran already (it cannot be taken
// back), so its reply is a MISCONF that says the outcome is unknown; INCRs
// refused afterwards take no effect; once space returns, the unknown one is
// logged and survives a restart, exactly once.
func TestDiskFullIncr(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root; CI runs as root): %v %s", err, out)
	}
	defer exec.Command("umount", "-l", dir).Run()

	p := startReady(t, dir, "--appendfsync", "always", "--wal-segment-size", "256kb", "--wal-compression", "none")
	rdb := p.client()
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for written, free := int64(0), freeBytes(t, dir); written < free-300<<10; written += int64(len(chunk)) {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()

	acked := 0
	pad := strings.Repeat("x", 4000)
	var failed error
	for i := 0; i < 100000 && failed == nil; i++ {
		pipe := rdb.Pipeline()
		pipe.Set(ctx(), fmt.Sprintf("pad%d", i), pad, 0)
		incr := pipe.Incr(ctx(), "n")
		pipe.Exec(ctx())
		if err := incr.Err(); err != nil {
			failed = err
			break
		}
		if incr.Val() != int64(acked+1) {
			t.Fatalf("INCR %d answered %d", acked+1, incr.Val())
		}
		acked++
	}
	if failed == nil || !strings.HasPrefix(failed.Error(), "MISCONF Errors writing to the WAL; outcome unknown") {
		t.Fatalf("the INCR that met the full disk: %v, want MISCONF ... outcome unknown", failed)
	}
	for i := 0; i < 3; i++ {
		if err := rdb.Incr(ctx(), "n").Err(); err == nil || !strings.HasPrefix(err.Error(), "MISCONF Errors writing to the WAL; writes are refused") {
			t.Fatalf("INCR while the disk is full: %v, want refused", err)
		}
	}
	want := strconv.Itoa(acked + 1) // the INCR of unknown outcome ran; the refused ones did not
	if v, err := rdb.Get(ctx(), "n").Result(); err != nil || v != want {
		t.Fatalf("n = %q (%v) while the disk is full, want %s", v, err, want)
	}
	os.Remove(filler)
	deadline := time.Now().Add(20 * time.Second)
	for rdb.Set(ctx(), "after", "ok", 0).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("writes did not resume after space was freed")
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.stop()
	p2 := startReady(t, dir)
	if v, err := p2.client().Get(ctx(), "n").Result(); err != nil || v != want {
		t.Fatalf("n = %q (%v) after a restart, want %s", v, err, want)
	}
}
