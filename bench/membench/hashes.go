package main

// Bytes per hash field (-hashes): for each shape HxF (H hashes of F fields
// each), RSS and INFO used_memory of the server before and after loading
// them, persistence off; delta / (H x F). Fields are `field:%010d` (16 B),
// values 32 bytes (valOf), keys `hash:%011d` (16 B): the same sizes as the
// string rows' keys and values, so bytes per field reads against bytes per
// key.

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

type hashShape struct{ hashes, fields int }

func (s hashShape) String() string { return fmt.Sprintf("%dx%d", s.hashes, s.fields) }

func (s hashShape) total() int { return s.hashes * s.fields }

// parseShapes parses "10000x100,1x1000000".
func parseShapes(v string) ([]hashShape, error) {
	var out []hashShape
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		a, b, ok := strings.Cut(p, "x")
		h, err1 := strconv.Atoi(a)
		f, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || h < 1 || f < 1 {
			return nil, fmt.Errorf("bad hash shape %q, want HASHESxFIELDS like 10000x100", p)
		}
		out = append(out, hashShape{h, f})
	}
	return out, nil
}

type hashBytesResult struct {
	rssBefore, rssAfter   int64
	usedBefore, usedAfter int64
	encoding              string
	load                  time.Duration
}

func hashBytes(cfg config, kind, dir string, shape hashShape) (hashBytesResult, error) {
	var res hashBytesResult
	ctx := context.Background()
	port, err := freePort()
	if err != nil {
		return res, err
	}
	s, err := startServer(kind, binOf(cfg, kind), port, dir, noPersistArgs(kind)...)
	if err != nil {
		return res, err
	}
	defer s.kill9()
	if err := s.waitReady(30 * time.Second); err != nil {
		return res, err
	}
	c := newClient(s.addr(), 1)
	defer c.Close()
	time.Sleep(500 * time.Millisecond) // let start-up allocations settle
	if res.rssBefore, err = vmRSS(s.pid()); err != nil {
		return res, err
	}
	if res.usedBefore, err = usedMemory(ctx, c); err != nil {
		return res, err
	}
	t := time.Now()
	if err := loadHashes(ctx, s.addr(), 0, shape.hashes, shape.fields, cfg.loaders); err != nil {
		return res, err
	}
	res.load = time.Since(t)
	if n, err := c.DBSize(ctx).Result(); err != nil || n != int64(shape.hashes) {
		return res, fmt.Errorf("DBSIZE %d (err %v), want %d", n, err, shape.hashes)
	}
	for _, h := range []int{0, shape.hashes - 1} {
		if n, err := c.HLen(ctx, hashKeyOf(h)).Result(); err != nil || n != int64(shape.fields) {
			return res, fmt.Errorf("HLEN %s = %d (err %v), want %d", hashKeyOf(h), n, err, shape.fields)
		}
	}
	res.encoding, _ = c.ObjectEncoding(ctx, hashKeyOf(0)).Result()
	time.Sleep(time.Second)
	if res.rssAfter, err = vmRSS(s.pid()); err != nil {
		return res, err
	}
	if res.usedAfter, err = usedMemory(ctx, c); err != nil {
		return res, err
	}
	logf("  %s: loaded in %v, %s, RSS %s -> %s: %.1f B/field", shape, res.load.Round(time.Millisecond), res.encoding,
		mib(float64(res.rssBefore)), mib(float64(res.rssAfter)), float64(res.rssAfter-res.rssBefore)/float64(shape.total()))
	return res, nil
}

// runHashBytes measures every shape, rounds alternating fastcache and redis.
func runHashBytes(cfg config, shapes []hashShape, nextDir func(string) string) (map[string][]hashBytesResult, error) {
	out := map[string][]hashBytesResult{} // "<kind>/<shape>"
	for r := 1; r <= cfg.rounds; r++ {
		for _, shape := range shapes {
			for _, kind := range kinds {
				logf("bytes/field %s, round %d/%d: %s", shape, r, cfg.rounds, kind)
				res, err := hashBytes(cfg, kind, nextDir(kind), shape)
				if err != nil {
					return nil, fmt.Errorf("%s %s: %w", kind, shape, err)
				}
				out[kind+"/"+shape.String()] = append(out[kind+"/"+shape.String()], res)
			}
		}
	}
	return out, nil
}

func reportHashBytes(w io.Writer, cfg config, shapes []hashShape, res map[string][]hashBytesResult) {
	fmt.Fprintf(w, "## Bytes per hash field (medians over %d rounds)\n\n", cfg.rounds)
	fmt.Fprintf(w, "Keys `hash:%%011d` (16 B), fields `field:%%010d` (16 B), values 32 bytes; loaded with HSETs of up to 100 fields (10 per pipeline round trip, %d connections); persistence off. RSS = VmRSS before and 1 s after loading; used_memory = INFO memory before and after; both divided by hashes x fields. Hash-max-listpack-entries 128 on both (the defaults): a 100-field hash is `listpack` in both, a 1,000,000-field hash `hashtable`.\n\n", cfg.loaders)
	fmt.Fprintf(w, "| hashes x fields | server | encoding | RSS bytes/field | used_memory bytes/field | RSS after load | per round (RSS B/field) |\n|---|---|---|---:|---:|---:|---|\n")
	for _, shape := range shapes {
		n := float64(shape.total())
		rssPF := func(r hashBytesResult) float64 { return float64(r.rssAfter-r.rssBefore) / n }
		usedPF := func(r hashBytesResult) float64 { return float64(r.usedAfter-r.usedBefore) / n }
		rssAfter := func(r hashBytesResult) float64 { return float64(r.rssAfter) }
		med := func(kind string, f func(hashBytesResult) float64) float64 {
			var xs []float64
			for _, r := range res[kind+"/"+shape.String()] {
				xs = append(xs, f(r))
			}
			return median(xs)
		}
		for _, k := range kinds {
			rs := res[k+"/"+shape.String()]
			var per []string
			enc := ""
			for _, r := range rs {
				per = append(per, fmt.Sprintf("%.1f", rssPF(r)))
				enc = r.encoding
			}
			fmt.Fprintf(w, "| %d x %d | %s | %s | %.1f | %.1f | %s | %s |\n", shape.hashes, shape.fields, k, enc,
				med(k, rssPF), med(k, usedPF), mib(med(k, rssAfter)), strings.Join(per, ", "))
		}
		fmt.Fprintf(w, "| %d x %d | **fastcache/redis** | | **%s** | %s | %s | |\n", shape.hashes, shape.fields,
			ratio(med("fastcache", rssPF), med("redis", rssPF)), ratio(med("fastcache", usedPF), med("redis", usedPF)),
			ratio(med("fastcache", rssAfter), med("redis", rssAfter)))
	}
	fmt.Fprintf(w, "\n")
}
