// Command syncstall measures how long a single client's writes wait while
// RDB files are taken as `redis-cli --rdb` takes them: one connection
// sends SET probe:<i> (1,000 keys, so every shard is hit) back to back,
// while -syncs transfers run one after the other (REPLCONF capa eof,
// REPLCONF rdb-only 1, SYNC, the file read and dropped, a pause between).
// It prints the SET latency percentiles and the maximum: the longest wait
// a transfer caused (for fastcache one shard's copy, for redis-server its
// fork). Point it at a loaded server:
//
//	go run ./bench/syncstall -addr 127.0.0.1:6379 -syncs 5
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"sync/atomic"
	"time"

	"fastcache/internal/rdb"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	syncs := flag.Int("syncs", 5, "RDB transfers to run")
	pause := flag.Duration("pause", 100*time.Millisecond, "pause between transfers")
	flag.Parse()
	c, err := net.Dial("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	r := bufio.NewReader(c)
	var stop atomic.Bool
	done := make(chan []time.Duration)
	go func() {
		var lat []time.Duration
		for i := 0; !stop.Load() && i < 100_000_000; i++ {
			t := time.Now()
			fmt.Fprintf(c, "SET probe:%d x\r\n", i%1000)
			if _, err := r.ReadString('\n'); err != nil {
				break
			}
			lat = append(lat, time.Since(t))
		}
		done <- lat
	}()
	time.Sleep(200 * time.Millisecond)
	var took []time.Duration
	for range *syncs {
		t := time.Now()
		if err := syncOnce(*addr); err != nil {
			fmt.Fprintln(os.Stderr, "SYNC:", err)
			os.Exit(1)
		}
		took = append(took, time.Since(t))
		time.Sleep(*pause)
	}
	stop.Store(true)
	lat := <-done
	if len(lat) == 0 {
		fmt.Fprintln(os.Stderr, "no SET answered")
		os.Exit(1)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	n := len(lat)
	fmt.Printf("sets=%d p50=%v p99=%v p99.9=%v max=%v; transfers=%d median=%v\n",
		n, lat[n/2], lat[n*99/100], lat[n*999/1000], lat[n-1], len(took), took[len(took)/2])
}

// syncOnce takes one RDB file as redis-cli --rdb does and drops it.
func syncOnce(addr string) error {
	s, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(10 * time.Minute))
	_, _, err = rdb.Fetch(s, io.Discard, true)
	return err
}
