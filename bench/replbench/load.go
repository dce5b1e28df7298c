package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"fastcache/bench/hist"
	"fastcache/replication"
)

// loadResult is one SET load against a primary.
type loadResult struct {
	ops    int64 // SETs answered +OK
	errs   int64 // error replies and failed requests
	dur    time.Duration
	capped bool // the time cap ended it before the op count
	h      *hist.Hist
}

func (r loadResult) opsPerSec() float64 {
	if r.dur <= 0 {
		return 0
	}
	return float64(r.ops) / r.dur.Seconds()
}

// setCmd encodes SET key:%012d <value> into dst.
func setCmd(dst []byte, k int, value []byte) []byte {
	dst = append(dst[:0], "*3\r\n$3\r\nSET\r\n$16\r\nkey:"...)
	var num [12]byte
	for i := 11; i >= 0; i-- {
		num[i] = byte('0' + k%10)
		k /= 10
	}
	dst = append(dst, num[:]...)
	dst = append(dst, "\r\n$"...)
	dst = strconv.AppendInt(dst, int64(len(value)), 10)
	dst = append(dst, "\r\n"...)
	dst = append(dst, value...)
	return append(dst, "\r\n"...)
}

// runLoad issues n SETs of valueSize-byte values to keys drawn uniformly
// from [0, keyspace) over clients connections, one request in flight per
// connection, recording each request's latency. It stops issuing after
// timeCap. All connections are open before the clock starts.
func runLoad(addr string, n int64, clients, valueSize, keyspace int, timeCap time.Duration) (loadResult, error) {
	conns := make([]*conn, clients)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	for i := range conns {
		c, err := dial(addr, 10*time.Second)
		if err != nil {
			return loadResult{}, fmt.Errorf("load connection %d: %w", i, err)
		}
		conns[i] = c
	}
	value := bytes.Repeat([]byte("v"), valueSize)
	for i := range value {
		value[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[i%36]
	}
	var (
		next   atomic.Int64
		ops    atomic.Int64
		errs   atomic.Int64
		capped atomic.Bool
		mu     sync.Mutex
		total  = hist.New()
		wg     sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(timeCap)
	for w, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := hist.New()
			rng := rand.New(rand.NewPCG(uint64(w)+1, uint64(start.UnixNano())))
			var buf []byte
			failures := 0
			for next.Add(1) <= n {
				if time.Now().After(deadline) {
					capped.Store(true)
					break
				}
				buf = setCmd(buf, rng.IntN(keyspace), value)
				t0 := time.Now()
				s, _, err := c.roundTrip(buf)
				el := time.Since(t0)
				if err == nil && s == "OK" {
					ops.Add(1)
					h.Record(uint64(el))
					continue
				}
				errs.Add(1)
				var re respError
				if err != nil && !errors.As(err, &re) {
					// The connection is gone: give up on this worker
					// after a few failures rather than spin.
					failures++
					if failures > 3 {
						break
					}
					c.Close()
					nc, derr := dial(addr, 10*time.Second)
					if derr != nil {
						break
					}
					*c = *nc
				}
			}
			mu.Lock()
			total.Merge(h)
			mu.Unlock()
		}()
	}
	wg.Wait()
	dur := time.Since(start)
	return loadResult{ops: ops.Load(), errs: errs.Load(), dur: dur, capped: capped.Load(), h: total}, nil
}

// subscriber is one in-process WAL export consumer.
type subscriber struct {
	nc       net.Conn
	offset   atomic.Int64 // stream offset after the last frame decoded
	records  atomic.Int64
	markerAt atomic.Int64 // unix ns when the marker record arrived
	err      atomic.Pointer[error]
	done     chan struct{}
}

// markerKey is written last, after a load; its value is unique per run.
const markerKey = "replbench:marker"

// startSubscriber connects to a WAL export listener (retrying for up to
// 10 s while the listener comes up), reads the hello and then decodes
// frames with replication.StreamReader until the connection closes.
func startSubscriber(addr string, marker *atomic.Pointer[string]) (*subscriber, error) {
	var nc net.Conn
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if nc, err = net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("WAL export %s: %w", addr, err)
	}
	br := bufio.NewReaderSize(nc, 256<<10)
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, off, err := replication.ReadHello(br)
	if err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetReadDeadline(time.Time{})
	s := &subscriber{nc: nc, done: make(chan struct{})}
	s.offset.Store(off)
	mk := []byte(markerKey)
	go func() {
		defer close(s.done)
		sr := replication.NewStreamReader(br, off)
		for {
			recs, _, err := sr.Next()
			if err != nil {
				s.err.Store(&err)
				return
			}
			for i := range recs {
				if bytes.Equal(recs[i].Key, mk) && s.markerAt.Load() == 0 {
					if m := marker.Load(); m != nil && string(recs[i].Value) == *m {
						s.markerAt.Store(time.Now().UnixNano())
					}
				}
			}
			s.records.Add(int64(len(recs)))
			s.offset.Store(sr.Offset)
		}
	}()
	return s, nil
}

func (s *subscriber) close() {
	s.nc.Close()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
}

// follower is what trails a primary: a replica process or a set of
// export subscribers. offset is its stream position (the slowest one's);
// markerSeen reports whether the marker value has arrived, and when.
type follower interface {
	offset() (int64, error)
	markerSeen(val string) (bool, time.Time, error)
	linkUp() (bool, string, error)
}

type replicaFollower struct{ c *conn }

func (r replicaFollower) offset() (int64, error) {
	return r.c.infoInt("replication", "slave_repl_offset")
}

func (r replicaFollower) markerSeen(val string) (bool, time.Time, error) {
	s, null, err := r.c.do("GET", markerKey)
	if err != nil {
		return false, time.Time{}, err
	}
	return !null && s == val, time.Now(), nil
}

func (r replicaFollower) linkUp() (bool, string, error) {
	m, err := r.c.info("replication")
	if err != nil {
		return false, "", err
	}
	if m["master_link_status"] != "up" {
		return false, "master_link_status:" + m["master_link_status"], nil
	}
	if m["master_sync_in_progress"] == "1" {
		return false, "master_sync_in_progress:1", nil
	}
	// Redis rewrites its AOF after a full sync: let that finish first.
	if p, err := r.c.info("persistence"); err == nil {
		if p["aof_rewrite_in_progress"] == "1" || p["aof_rewrite_scheduled"] == "1" || p["loading"] == "1" {
			return false, "replica persistence busy (AOF rewrite or loading)", nil
		}
	}
	return true, "", nil
}

type subsFollower []*subscriber

func (s subsFollower) offset() (int64, error) {
	var low int64 = -1
	for _, sub := range s {
		if p := sub.err.Load(); p != nil {
			return 0, fmt.Errorf("subscriber: %w", *p)
		}
		if o := sub.offset.Load(); low < 0 || o < low {
			low = o
		}
	}
	return low, nil
}

func (s subsFollower) markerSeen(string) (bool, time.Time, error) {
	var last int64
	for _, sub := range s {
		at := sub.markerAt.Load()
		if at == 0 {
			return false, time.Time{}, nil
		}
		last = max(last, at)
	}
	return true, time.Unix(0, last), nil
}

func (s subsFollower) linkUp() (bool, string, error) {
	for _, sub := range s {
		if p := sub.err.Load(); p != nil {
			return false, "", fmt.Errorf("subscriber: %w", *p)
		}
	}
	return true, "", nil
}

func primaryOffset(c *conn) (int64, error) {
	return c.infoInt("replication", "master_repl_offset")
}

// waitSync waits (at most timeout) until the follower's link is up and its
// offset equals the primary's, twice in a row 50 ms apart.
func waitSync(primary *conn, f follower, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	why := "not checked"
	ok := 0
	for time.Now().Before(deadline) {
		up, reason, err := f.linkUp()
		if err != nil {
			return err
		}
		if !up {
			why, ok = reason, 0
		} else {
			po, err1 := primaryOffset(primary)
			fo, err2 := f.offset()
			if err := errors.Join(err1, err2); err != nil {
				return err
			}
			if po == fo {
				if ok++; ok >= 2 {
					return nil
				}
			} else {
				why, ok = fmt.Sprintf("primary offset %d, follower offset %d", po, fo), 0
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("follower not in sync after %v: %s", timeout, why)
}

// sampleLag samples primary offset − follower offset every interval until
// stop is closed (or maxSamples are taken) and returns the samples.
func sampleLag(primary *conn, f follower, interval time.Duration, maxSamples int, stop <-chan struct{}) []int64 {
	var out []int64
	t := time.NewTicker(interval)
	defer t.Stop()
	for len(out) < maxSamples {
		select {
		case <-stop:
			return out
		case <-t.C:
		}
		po, err1 := primaryOffset(primary)
		fo, err2 := f.offset()
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, max(po-fo, 0))
	}
	return out
}

// catchUp writes the marker key last and measures, from the marker's
// acknowledgement, how long until the follower's offset reaches the
// primary's offset (read right after the ack) and until the marker is
// visible on the follower. A value of -1 means not reached within timeout.
func catchUp(primary *conn, f follower, marker *atomic.Pointer[string], timeout time.Duration) (toOffset, toMarker time.Duration, err error) {
	val := fmt.Sprintf("m%d", time.Now().UnixNano())
	marker.Store(&val)
	if _, _, err := primary.do("SET", markerKey, val); err != nil {
		return -1, -1, fmt.Errorf("SET marker: %w", err)
	}
	ack := time.Now()
	target, err := primaryOffset(primary)
	if err != nil {
		return -1, -1, err
	}
	toOffset, toMarker = -1, -1
	for deadline := ack.Add(timeout); time.Now().Before(deadline) && (toOffset < 0 || toMarker < 0); {
		if toOffset < 0 {
			o, err := f.offset()
			if err != nil {
				return -1, -1, err
			}
			if o >= target {
				toOffset = time.Since(ack)
			}
		}
		if toMarker < 0 {
			seen, at, err := f.markerSeen(val)
			if err != nil {
				return -1, -1, err
			}
			if seen {
				toMarker = max(at.Sub(ack), 0)
			}
		}
		time.Sleep(500 * time.Microsecond)
	}
	return toOffset, toMarker, nil
}
