package cache

import (
	"math"
	"math/rand/v2"
	"runtime"
	"time"

	"fastcache/internal/latency"
	"fastcache/pubsub"
	"fastcache/shard"
)

// Eviction follows Redis's approximated algorithms: sample maxmemory-samples
// keys from a few random shards into a small pool of the best candidates
// (kept between rounds, as Redis's EvictionPoolLRU), then evict the best
// candidate that still exists, until used memory is under the limit.

const evictPoolSize = 16

type candidate struct {
	key   []byte
	shard int
	db    int
	score uint64 // higher = evict first
}

type evictPool struct {
	c []candidate
}

func (p *evictPool) insert(key []byte, shardIdx, db int, score uint64) {
	for i := range p.c {
		if p.c[i].shard == shardIdx && p.c[i].db == db && string(p.c[i].key) == string(key) {
			return
		}
	}
	if len(p.c) == evictPoolSize && score <= p.c[len(p.c)-1].score {
		return
	}
	cand := candidate{key: append([]byte(nil), key...), shard: shardIdx, db: db, score: score}
	i := len(p.c)
	for i > 0 && p.c[i-1].score < score {
		i--
	}
	p.c = append(p.c, candidate{})
	copy(p.c[i+1:], p.c[i:])
	p.c[i] = cand
	if len(p.c) > evictPoolSize {
		p.c = p.c[:evictPoolSize]
	}
}

func (c *Cache) score(policy string, e shard.Entry) (uint64, bool) {
	volatileOnly := policy[:8] == "volatile"
	if volatileOnly && e.ExpireAt == 0 {
		return 0, false
	}
	switch policy {
	case "allkeys-lru", "volatile-lru":
		return uint64(shard.IdleSeconds(e.Meta))<<8 | uint64(255-shard.LFUCount(e.Meta)), true
	case "allkeys-lfu", "volatile-lfu":
		return uint64(255-shard.LFUCount(e.Meta))<<32 | uint64(shard.IdleSeconds(e.Meta)), true
	case "volatile-ttl":
		return math.MaxInt64 - uint64(e.ExpireAt), true
	}
	return rand.Uint64(), true // *-random
}

// evictionTimeLimit is the time one eviction round may take at tenacity t
// (maxmemory-eviction-tenacity, Redis's evictionTimeLimitUs): 50 us a step
// up to 10 (the default: 500 us), then 15% more a step (about 2 minutes
// at 99); none at 100 (-1).
func evictionTimeLimit(t int64) time.Duration {
	switch {
	case t <= 10:
		return time.Duration(50*t) * time.Microsecond
	case t < 100:
		return time.Duration(500*math.Pow(1.15, float64(t-10))) * time.Microsecond
	}
	return -1
}

// evictLater goes on evicting in the background, a round of the
// tenacity's time at a time, until memory is under maxmemory (Redis's
// evictionTimeProc); one such goroutine at a time.
func (c *Cache) evictLater() {
	if !c.evictBg.CompareAndSwap(false, true) {
		return
	}
	if !c.goBackground(func() {
		defer c.evictBg.Store(false)
		for {
			select {
			case <-c.stop:
				return
			default:
			}
			max := c.maxMemory.Load()
			if max <= 0 || c.ignoreMax.Load() || c.UsedMemory() <= max {
				return
			}
			if done, err := c.evict(max); done || err != nil {
				return
			}
			runtime.Gosched() // commands run between rounds, as between Redis's timer events
		}
	}) {
		c.evictBg.Store(false)
	}
}

// evict frees memory down to max (done), or stops when the round has
// taken the time maxmemory-eviction-tenacity gives it (not done, the
// memory still over: Redis's EVICT_RUNNING, the command goes on), or
// returns ErrOOM when nothing can be evicted.
func (c *Cache) evict(max int64) (done bool, err error) {
	policy := c.Policy()
	if policy == "noeviction" || len(policy) < 8 {
		return false, ErrOOM
	}
	c.evictMu.Lock()
	defer c.evictMu.Unlock()
	start := time.Now()
	defer func() { c.lat.Note(latency.EventEviction, time.Since(start)) }()
	limit := evictionTimeLimit(c.tenacity.Load())
	freed := 0
	volatileOnly := policy[:8] == "volatile"
	samples := int(c.samples.Load())
	var pool evictPool
	failures := 0
	for c.UsedMemory() > max {
		// refill the pool from a few shards that have candidates (keys;
		// keys with a TTL for the volatile policies, as Redis samples
		// its expires dict), from a random one on (random picks alone
		// miss the few candidates of a small dataset among many shards,
		// and the write failed with OOM; with volatile policies a shard
		// of keys without a TTL was no better)
		first, sampled := rand.IntN(len(c.shards)), 0
		for i := 0; i < len(c.shards) && sampled < 4; i++ {
			si := (first + i) % len(c.shards)
			s := c.shards[si]
			if s.Keys() == 0 || volatileOnly && s.VolatileKeys() == 0 {
				continue
			}
			sampled++
			s.Lock()
			for db := 0; db < s.Databases(); db++ {
				d := s.DB(db)
				if d.Keys() == 0 || volatileOnly && d.VolatileKeys() == 0 {
					continue
				}
				d.Sample(samples, volatileOnly, func(k []byte, e shard.Entry) {
					if sc, ok := c.score(policy, e); ok {
						pool.insert(k, si, db, sc)
					}
				})
			}
			s.Unlock()
		}
		evicted := false
		for len(pool.c) > 0 && !evicted {
			best := pool.c[0]
			pool.c = pool.c[1:]
			s := c.shards[best.shard]
			s.Queue().WaitRoom()
			s.Lock()
			evicted = s.DB(best.db).Evict(best.key, s.Queue())
			if evicted {
				c.notifyShard(best.shard, pubsub.Evicted, "evicted", best.db, best.key)
			}
			c.unlockShard(s, nil)
		}
		if !evicted {
			failures++
			if failures > 8 {
				return false, ErrOOM
			}
			continue
		}
		// the clock read every 16 keys, as Redis's
		if freed++; freed%16 == 0 && limit >= 0 && time.Since(start) > limit && c.UsedMemory() > max {
			return false, nil
		}
	}
	return true, nil
}
