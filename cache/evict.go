package cache

import (
	"math"
	"math/rand/v2"
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

// evict frees memory down to max, or returns ErrOOM.
func (c *Cache) evict(max int64) error {
	policy := c.Policy()
	if policy == "noeviction" || len(policy) < 8 {
		return ErrOOM
	}
	c.evictMu.Lock()
	defer c.evictMu.Unlock()
	start := time.Now()
	defer func() { c.lat.Note(latency.EventEviction, time.Since(start)) }()
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
		start, sampled := rand.IntN(len(c.shards)), 0
		for i := 0; i < len(c.shards) && sampled < 4; i++ {
			si := (start + i) % len(c.shards)
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
				return ErrOOM
			}
		}
	}
	return nil
}
