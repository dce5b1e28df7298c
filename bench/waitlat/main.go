// Command waitlat measures how long WAIT 1 takes on a fastcache primary with
// one fastcache replica (appendfsync everysec unless -fsync says otherwise)
// while a background load writes: the time from a marker SET until WAIT 1
// returns is how far the replica runs behind acknowledged writes. Run it
// with an I/O burner on the same disk to see what a slow fdatasync does.
//
//	go run ./bench/waitlat -fastcache /tmp/fc -dur 60s
//
// -fsync-delay 1.5s makes every fdatasync of the primary that long (strace
// fault injection: strace must be installed; it slows every syscall of the
// primary a little, with either binary).
//
// It prints the WAIT latency percentiles, the background load's throughput
// and the primary's WAL figures (fsyncs, delayed fsyncs, queue waits).
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startServer(bin, dir string, port int, extra ...string) *exec.Cmd {
	args := append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--loglevel", "warning"}, extra...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	return cmd
}

func waitReady(rdb *redis.Client) {
	for i := 0; i < 600; i++ {
		if rdb.DBSize(context.Background()).Err() == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	panic("server not ready")
}

func infoField(rdb *redis.Client, section, name string) string {
	s, _ := rdb.Info(context.Background(), section).Result()
	for _, l := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return v
		}
	}
	return ""
}

func main() {
	bin := flag.String("fastcache", "/tmp/fc", "fastcache binary")
	dur := flag.Duration("dur", 60*time.Second, "how long to measure")
	fsync := flag.String("fsync", "everysec", "appendfsync of the primary")
	loaders := flag.Int("loaders", 2, "background connections doing SET")
	every := flag.Duration("every", 20*time.Millisecond, "pause between marker SET+WAIT")
	dir := flag.String("dir", "", "data directories go under it (default: a temp dir)")
	pargs := flag.String("primary-args", "", "more directives for the primary, space-separated (e.g. \"--wal-segment-size 8mb\")")
	delay := flag.Duration("fsync-delay", 0, "delay every fdatasync of the primary by this much (strace)")
	flag.Parse()
	ctx := context.Background()

	base, err := os.MkdirTemp(*dir, "waitlat")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(base)
	os.Mkdir(base+"/p", 0o755)
	os.Mkdir(base+"/r", 0o755)
	pport, rport := freePort(), freePort()
	p := startServer(*bin, base+"/p", pport, append([]string{"--appendfsync", *fsync}, strings.Fields(*pargs)...)...)
	defer func() { p.Process.Kill(); p.Wait() }()
	prdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", pport), PoolSize: *loaders + 4, ReadTimeout: 30 * time.Second})
	waitReady(prdb)
	r := startServer(*bin, base+"/r", rport, "--replicaof", fmt.Sprintf("127.0.0.1 %d", pport), "--appendonly", "no")
	defer func() { r.Process.Kill(); r.Wait() }()
	rrdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", rport)})
	waitReady(rrdb)
	for infoField(rrdb, "replication", "master_link_status") != "up" {
		time.Sleep(100 * time.Millisecond)
	}

	if *delay > 0 {
		st := exec.Command("strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fdatasync",
			"-e", fmt.Sprintf("inject=fdatasync:delay_enter=%d", delay.Microseconds()), "-p", fmt.Sprint(p.Process.Pid))
		if err := st.Start(); err != nil {
			panic(err)
		}
		defer func() { st.Process.Kill(); st.Wait() }()
		time.Sleep(time.Second) // (attached)
	}
	stop := make(chan struct{})
	var sets atomic.Int64
	var wg sync.WaitGroup
	val := strings.Repeat("v", 64)
	for l := 0; l < *loaders; l++ {
		wg.Add(1)
		go func(l int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				pipe := prdb.Pipeline()
				for j := 0; j < 16; j++ {
					pipe.Set(ctx, fmt.Sprintf("k%d:%d", l, (i*16+j)%200000), val, 0)
				}
				if _, err := pipe.Exec(ctx); err == nil {
					sets.Add(16)
				}
			}
		}(l)
	}

	conn := prdb.Conn()
	var lats []time.Duration
	var timeouts int
	start := time.Now()
	for time.Since(start) < *dur {
		t0 := time.Now()
		err := conn.Set(ctx, "marker", t0.UnixNano(), 0).Err()
		var n int64
		if err == nil {
			n, err = conn.Wait(ctx, 1, 10000).Result()
		}
		d := time.Since(t0)
		if err != nil || n != 1 {
			timeouts++
		}
		if err != nil { // (a client-side timeout leaves the connection unusable)
			conn.Close()
			conn = prdb.Conn()
		}
		lats = append(lats, d)
		time.Sleep(*every)
	}
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	slices.Sort(lats)
	pct := func(q float64) time.Duration { return lats[min(len(lats)-1, int(q*float64(len(lats))))] }
	fmt.Printf("bin=%s fsync=%s dur=%s waits=%d timeouts=%d\n", *bin, *fsync, elapsed.Round(time.Second), len(lats), timeouts)
	fmt.Printf("WAIT 1 after SET: p50 %s p90 %s p99 %s max %s\n", pct(0.5).Round(10*time.Microsecond), pct(0.9).Round(10*time.Microsecond),
		pct(0.99).Round(10*time.Microsecond), lats[len(lats)-1].Round(time.Millisecond))
	fmt.Printf("background SETs: %d (%.0f/s)\n", sets.Load(), float64(sets.Load())/elapsed.Seconds())
	for _, f := range []string{"wal_fsyncs", "wal_delayed_fsync", "wal_queue_waits", "wal_last_fsync_usec", "wal_rotations"} {
		fmt.Printf("%s:%s ", f, infoField(prdb, "persistence", f))
	}
	fmt.Println()
}
