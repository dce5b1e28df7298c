package main

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// replLib's w sets ten keys (spread over the shards by their names) and a
// hash field to one value, in the caller's database; r reads the ten keys.
const replLib = `#!lua name=repllib
redis.register_function('w', function(keys, args)
  for i = 1, 10 do redis.call('SET', keys[1] .. ':' .. i, args[1]) end
  redis.call('HSET', keys[1] .. ':h', 'v', args[1])
  return args[1]
end)
redis.register_function{function_name='r', flags={'no-writes'}, callback=function(keys)
  local ks = {}
  for i = 1, 10 do ks[i] = keys[1] .. ':' .. i end
  return redis.call('MGET', unpack(ks))
end}`

// TestReplicaNeverShowsHalfAScript: while the primary runs EVAL scripts
// and FCALLs that each write ten keys across shards and a hash field (FCALL
// in database 2), readers on the replica (MGET of the ten keys; a MULTI of
// that MGET and the HGET) never see part of a script's writes without the
// rest. The library reaches the replica through the full sync, a library
// loaded later through the stream, and both end identical.
func TestReplicaNeverShowsHalfAScript(t *testing.T) {
	primary := startReady(t, t.TempDir())
	prdb := primary.client()
	if err := prdb.FunctionLoad(ctx(), replLib).Err(); err != nil {
		t.Fatal(err)
	}
	replica := startReady(t, t.TempDir(), "--replicaof", fmt.Sprintf("127.0.0.1 %d", primary.port))
	rrdb := replica.client()
	waitInfo(t, rrdb, "replication", "master_link_status", "up")
	if err := rrdb.FCallRO(ctx(), "r", []string{"none"}).Err(); err != nil {
		t.Fatalf("the library did not come with the full sync: %v", err)
	}
	if err := prdb.FunctionLoad(ctx(), "#!lua name=later\nredis.register_function{function_name='later', flags={'no-writes'}, callback=function() return 'here' end}").Err(); err != nil {
		t.Fatal(err)
	}

	const script = `for i = 1, 10 do redis.call('SET', KEYS[1] .. ':' .. i, ARGV[1]) end
redis.call('HSET', KEYS[1] .. ':h', 'v', ARGV[1])
return 1`
	db2 := func(addr string) *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: 2, MaxRetries: -1, ReadTimeout: 10 * time.Second})
		t.Cleanup(func() { c.Close() })
		return c
	}
	pdb2, rdb2 := db2(primary.addr()), db2(replica.addr())
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written atomic.Int64
	var once sync.Once
	halt := func() { once.Do(func() { close(stop); wg.Wait() }) }
	defer halt() // a failed check stops the writers before the clients close
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			key := fmt.Sprintf("s%d", w)
			for v := 1; v < 1_000_000; v++ {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				if w%2 == 0 {
					err = prdb.Eval(ctx(), script, []string{key}, v).Err()
				} else {
					err = pdb2.FCall(ctx(), "w", []string{key}, v).Err()
				}
				if err != nil {
					select {
					case <-stop:
					default:
						t.Error(err)
					}
					return
				}
				written.Add(1)
			}
		}(w)
	}
	checks := 0
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		w := checks % 4
		key := fmt.Sprintf("s%d", w)
		rdb := rrdb
		if w%2 == 1 {
			rdb = rdb2
		}
		keys := make([]string, 10)
		for i := range keys {
			keys[i] = key + ":" + strconv.Itoa(i+1)
		}
		var mget *redis.SliceCmd
		var hget *redis.StringCmd
		_, err := rdb.TxPipelined(ctx(), func(p redis.Pipeliner) error {
			mget = p.MGet(ctx(), keys...)
			hget = p.HGet(ctx(), key+":h", "v")
			return nil
		})
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		vals := mget.Val()
		for i := 1; i < 10; i++ {
			if vals[i] != vals[0] {
				t.Fatalf("replica shows half of a script (db %d): %v", w%2*2, vals)
			}
		}
		h, _ := hget.Result()
		if s, _ := vals[0].(string); s != h {
			t.Fatalf("replica shows half of a script (db %d): keys %v, hash field %q", w%2*2, vals[0], h)
		}
		checks++
	}
	halt()
	if written.Load() < 10 || checks < 100 {
		t.Fatalf("too little happened: %d scripts run, %d checks", written.Load(), checks)
	}
	convergeOffsets(t, prdb, rrdb)
	if v, err := rrdb.FCallRO(ctx(), "later", nil).Text(); err != nil || v != "here" {
		t.Fatalf("the library loaded after the sync: %q %v", v, err)
	}
	pd, _ := prdb.FunctionDump(ctx()).Result()
	rd, _ := rrdb.FunctionDump(ctx()).Result()
	if pd == "" || pd != rd {
		t.Fatal("FUNCTION DUMP differs between primary and replica")
	}
	diffTyped(t, dumpTyped(t, primary.addr(), ""), dumpTyped(t, replica.addr(), ""))
}
