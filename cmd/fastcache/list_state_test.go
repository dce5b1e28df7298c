package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Lists in the typed workload (typed_state_test.go): replay equivalence
// after a clean restart and a kill -9, and replica convergence, cover every
// list record (pushes, pops, LSET, LINSERT, LREM, LTRIM, LMOVE rotations and
// moves, SORT ... STORE, served blocking pops) and big lists in snapshots.

func init() {
	typeDumpers["list"] = func(t *testing.T, c *redis.Client, key string) string {
		v, err := c.LRange(ctx(), key, 0, -1).Result()
		if err != nil {
			t.Fatalf("LRANGE %s: %v", key, err)
		}
		return fmt.Sprintf("%q", v)
	}
	okErr := func(err error) error {
		if err != nil && (strings.Contains(err.Error(), "no such key") || strings.Contains(err.Error(), "index out of range")) {
			return nil
		}
		return err
	}
	val := func(r *rand.Rand) string {
		switch r.IntN(4) {
		case 0:
			return strconv.Itoa(r.IntN(200) - 100)
		case 1:
			return strings.Repeat("x", r.IntN(300))
		}
		return "e" + strconv.Itoa(r.IntN(50))
	}
	typedOps = append(typedOps,
		func(r *rand.Rand, c *redis.Client, key func() string) error {
			args := []any{}
			for i := 0; i <= r.IntN(5); i++ {
				args = append(args, val(r))
			}
			if r.IntN(2) == 0 {
				return c.LPush(ctx(), "l"+key(), args...).Err()
			}
			return c.RPush(ctx(), "l"+key(), args...).Err()
		},
		func(r *rand.Rand, c *redis.Client, key func() string) error {
			if r.IntN(2) == 0 {
				return c.LPopCount(ctx(), "l"+key(), 1+r.IntN(3)).Err()
			}
			return c.RPop(ctx(), "l"+key()).Err()
		},
		func(r *rand.Rand, c *redis.Client, key func() string) error {
			return okErr(c.LSet(ctx(), "l"+key(), int64(r.IntN(20)-10), val(r)).Err())
		},
		func(r *rand.Rand, c *redis.Client, key func() string) error {
			return c.LInsert(ctx(), "l"+key(), []string{"BEFORE", "AFTER"}[r.IntN(2)], val(r), val(r)).Err()
		},
		func(r *rand.Rand, c *redis.Client, key func() string) error {
			return c.LRem(ctx(), "l"+key(), int64(r.IntN(5)-2), val(r)).Err()
		},
		func(r *rand.Rand, c *redis.Client, key func() string) error {
			return c.LTrim(ctx(), "l"+key(), int64(r.IntN(4)), int64(-1-r.IntN(4))).Err()
		},
		func(r *rand.Rand, c *redis.Client, key func() string) error {
			ends := []string{"LEFT", "RIGHT"}
			src := "l" + key()
			dst := src
			if r.IntN(3) != 0 {
				dst = "l" + key()
			}
			return c.LMove(ctx(), src, dst, ends[r.IntN(2)], ends[r.IntN(2)]).Err()
		},
		func(r *rand.Rand, c *redis.Client, key func() string) error {
			return c.LMPop(ctx(), "right", int64(1+r.IntN(4)), "l"+key(), "l"+key()).Err()
		},
		func(r *rand.Rand, c *redis.Client, key func() string) error {
			// served at once (or after a short timeout): a blocking pop is
			// logged like a pop
			// (go-redis rounds timeouts up to 1 s: the command is sent as is)
			return c.Do(ctx(), "BLPOP", "l"+key(), "l"+key(), "0.01").Err()
		},
		func(r *rand.Rand, c *redis.Client, key func() string) error {
			return c.Do(ctx(), "BLMOVE", "l"+key(), "l"+key(), "RIGHT", "LEFT", "0.01").Err()
		},
		func(r *rand.Rand, c *redis.Client, key func() string) error {
			return c.SortStore(ctx(), "l"+key(), "l"+key(), &redis.Sort{Alpha: true, Count: int64(r.IntN(10)) - 1}).Err()
		},
		func(r *rand.Rand, c *redis.Client, key func() string) error {
			// a big list: many nodes, snapshots of it, rotations
			k := "biglist" + strconv.Itoa(r.IntN(2))
			args := []any{}
			for i := 0; i < 200; i++ {
				args = append(args, val(r))
			}
			if err := c.RPush(ctx(), k, args...).Err(); err != nil {
				return err
			}
			if r.IntN(4) == 0 {
				return c.LTrim(ctx(), k, int64(r.IntN(100)), -1).Err()
			}
			return okErr(c.LSet(ctx(), k, int64(r.IntN(300)), "set").Err())
		},
		func(r *rand.Rand, c *redis.Client, key func() string) error {
			err := c.Rename(ctx(), "l"+key(), "l"+key()).Err()
			if err != nil && strings.Contains(err.Error(), "no such key") {
				return nil
			}
			return err
		},
		func(r *rand.Rand, c *redis.Client, key func() string) error {
			err := c.Move(ctx(), "l"+key(), r.IntN(stateDBs)).Err()
			if err != nil && strings.Contains(err.Error(), "same") {
				return nil
			}
			return err
		},
	)
}
