package main

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

// TestAppNodeWeb: session stores, rate limiters, caches and locks from npm
// run unchanged against fastcache, and what each shows its user is what it
// shows against Redis 7.0 (the wanted values below are redis-server
// 7.0.15's): express-session on connect-redis (node-redis) keeps a session
// per browser with its TTL, lists them (SCAN and MGET), destroys and clears
// them; express-rate-limit on rate-limit-redis (SCRIPT LOAD and EVALSHA)
// answers 429 after 3 requests with the RateLimit header counting down,
// per client, until the key is reset; rate-limiter-flexible on ioredis and
// on node-redis consumes, rejects, rewards, penalizes, blocks and deletes,
// and gives points back when the window passes; cache-manager over Keyv on
// @keyv/redis sets, wraps, expires, lists (SCAN) and clears; redlock holds,
// refuses a second holder, extends and releases a lock (Lua scripts).
func TestAppNodeWeb(t *testing.T) {
	node, dir := nodeApp(t, "nodeweb")
	p := startReady(t, t.TempDir())
	args := func(port int) []string { return []string{"app.js", strconv.Itoa(port)} }
	var r map[string]json.RawMessage
	runApp(t, dir, 60*time.Second, p.port, &r, node, args)
	defer func() {
		if t.Failed() {
			alsoAgainstRedis(t, dir, 60*time.Second, node, args)
		}
	}()
	if f := r["fatal"]; f != nil {
		t.Fatalf("app failed: %s", f)
	}
	checkAppJSON(t, r, map[string]string{
		"sessions":            `{"login":["hi alice","hi bob"],"me":["alice 1","alice 2","bob 1"],"storeAll":["alice","bob"],"storeLength":2,"ttlsInRange":true,"logout":"bye","meAfterLogout":["nobody","bob 2"],"storeLengthAfter":1,"keysAfterClear":0}`,
		"expressRateLimit":    `{"codes":[200,200,200,429,429],"limits":["limit=3, remaining=2","limit=3, remaining=1","limit=3, remaining=0","limit=3, remaining=0","limit=3, remaining=0"],"otherClient":200,"afterReset":200,"keyTTLInWindow":true}`,
		"rateLimiterFlexible": `{"ioredis":{"consumed":[4,3,2,1,0,"rejected"],"rejectedWaitInWindow":true,"get":6,"getMissing":null,"afterReward":4,"afterPenalty":5,"blocked":true,"deleted":true,"afterDelete":null,"windowPasses":["rejected",0]},"nodeRedis":{"consumed":[4,3,2,1,0,"rejected"],"rejectedWaitInWindow":true,"get":6,"getMissing":null,"afterReward":4,"afterPenalty":5,"blocked":true,"deleted":true,"afterDelete":null,"windowPasses":["rejected",0]}}`,
		"caches":              `{"get":{"name":"ann"},"wrap":["loaded","loaded",1],"mget":[1,"two",null],"ttlInFuture":true,"shortAfter":null,"del":true,"has":[true,false],"iterator":["m2","user:1","w"],"afterClear":[null,null]}`,
		"locks":               `{"pttlAfterLock":true,"secondLock":"LockError","extended":true,"afterUnlock":0,"relock":true}`,
	})
}

// TestAppNodeCluster: the cluster clients of ioredis (Redis.Cluster) and
// node-redis (createCluster) on fastcache in cluster mode: found from one
// address, a pipeline over many slots, transactions and a script of one
// hash tag, -CROSSSLOT across slots. The wanted values are what both
// print against a redis-server cluster of one node serving every slot
// (with cluster-announce-ip set: a lone Redis node does not know its own
// address, and both clients hang on the empty one it gives).
func TestAppNodeCluster(t *testing.T) {
	node, dir := nodeApp(t, "nodeweb")
	p := startReady(t, t.TempDir(), "--cluster-enabled", "yes")
	var r map[string]json.RawMessage
	runApp(t, dir, 60*time.Second, p.port, &r, node, func(port int) []string { return []string{"cluster.js", strconv.Itoa(port)} })
	checkAppJSON(t, r, map[string]string{
		"errors":    `{}`,
		"ioredis":   `{"get":"ann","pipeline":"0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19","multi":[1,1,1],"mgetOneSlot":["1",null],"crossSlot":"CROSSSLOT","eval":2,"masters":1}`,
		"nodeRedis": `{"get":"bob","multi":[1,1],"crossSlot":"CROSSSLOT","masters":1}`,
	})
}
