package main

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

// TestAppPythonWeb: session stores, rate limiters and caches from Debian's
// python3 packages run unchanged against fastcache, and what each shows its
// user is what it shows against Redis 7.0 (the wanted values below are
// redis-server 7.0.15's): Flask-Session keeps a login per client with a TTL
// and drops it on logout; Flask-Limiter's moving window (a Lua script over a
// list) lets 5 requests a minute through with the right X-RateLimit-Remaining
// and answers 429 after, per client address; the limits library's fixed,
// moving and elastic windows count, report, clear and reset (a Lua script
// calling KEYS); cachelib's RedisCache and Django's cache on django-redis
// set, add, count, expire, list keys (KEYS and SCAN), delete by pattern, lock
// (redis-py's Lua lock) and clear; Django's cache-backed sessions save, load
// and delete; django-cacheops serves repeated ORM reads from the server (no
// SQL query) through its cjson-decoding Lua scripts and invalidates them on
// writes; Django Channels' core layer (Lua group sends, BZPOPMIN receives,
// channel capacity) and pub/sub layer deliver to channels and groups.
func TestAppPythonWeb(t *testing.T) {
	py := pythonWith(t, "python3-flask-limiter python3-flask-session python3-cachelib python3-django-redis python3-django-cacheops python3-channels-redis",
		"flask_limiter", "flask_session", "limits", "cachelib", "django_redis", "cacheops", "channels_redis")
	dir := appDir(t, "pyweb")
	p := startReady(t, t.TempDir())
	args := func(port int) []string { return []string{"app.py", strconv.Itoa(port)} }
	var r map[string]json.RawMessage
	runApp(t, dir, 60*time.Second, p.port, &r, py, args)
	defer func() {
		if t.Failed() {
			alsoAgainstRedis(t, dir, 60*time.Second, py, args)
		}
	}()
	want := map[string]string{
		"flask":    `{"login":"hi alice","meA":"alice","meB":"nobody","sessionKeys":2,"sessionTTLPositive":true,"meAfterLogout":"nobody","apiCodes":[200,200,200,200,200,429,429],"apiRemaining":["4","3","2","1","0","0","0"],"otherClient":200}`,
		"limits":   `{"check":true,"fixed":{"hits":[true,true,true,false,false],"remaining":0,"resetInFuture":true,"freshRemaining":3,"afterClear":true},"moving":{"hits":[true,true,true,false,false],"remaining":0,"resetInFuture":true,"freshRemaining":3,"afterClear":true},"elastic":{"hits":[true,true,true,false,false],"remaining":0,"resetInFuture":true,"freshRemaining":3,"afterClear":true},"movingAfterWindow":[true,true,false,true],"reset":true,"keysAfterReset":0}`,
		"cachelib": `{"set":true,"get":{"x":[1,2]},"add":[false,true],"inc":[1,6,4],"setMany":["m1","m2","m3"],"getMany":[1,"two",null,null],"has":[true,false],"deleteMany":["cl:m1","cl:m2"],"short":true,"shortAfter":null,"clear":true,"afterClear":[null,null]}`,
		"cacheops": `{"first":[["a","b"],1],"cached":[["a","b"],0],"count":[[2,1],[2,0]],"afterCreate":[["a","b","c"],1],"afterUpdate":[["b","c"],1],"get":[["b",1],["b",0]],"cachedAs":[[["a","b","c"],1],[["a","b","c"],0]],"keysCached":true,"keysAfterInvalidateAll":0}`,
		"channels": `{"core":{"recv":{"type":"hello","n":1},"group":[{"type":"g.msg","x":2},{"type":"g.msg","x":2}],"afterDiscard":{"type":"g.msg","x":3},"channelFull":2,"blockedReceive":{"type":"late"}},"pubsub":{"recv":{"type":"ps","v":1},"group":{"type":"pg","v":2}}}`,
		"django":   `{"get":{"v":1},"ttl":true,"add":[false,true],"incr":[11,16,13],"getOrSet":["made","made"],"getMany":{"k1":1,"k2":2,"k3":3},"keys":["k1","k2","k3"],"iterKeys":["k1","k2","k3"],"persist":[true,null],"expire":[true,true],"touch":true,"deletePattern":3,"afterDeletePattern":{},"lockAcquire":[true,false],"lockHeld":1,"lockAfter":0,"hasKey":[true,false],"sessionLoad":[1,2,3],"sessionExists":true,"sessionAfterDelete":null,"afterClear":null}`,
	}
	checkAppJSON(t, r, want)
}

// TestAppPythonCluster: redis-py's cluster client (RedisCluster) on
// fastcache in cluster mode: found from one address, a pipeline over many
// slots, keys of one hash tag together, a script, the server's -CROSSSLOT
// (as redis-py's ClusterCrossSlotError). The wanted values are what it
// prints against a redis-server cluster of one node serving every slot.
func TestAppPythonCluster(t *testing.T) {
	py := pythonWith(t, "python3-redis", "redis")
	dir := appDir(t, "pyweb")
	p := startReady(t, t.TempDir(), "--cluster-enabled", "yes")
	var r map[string]json.RawMessage
	runApp(t, dir, 60*time.Second, p.port, &r, py, func(port int) []string { return []string{"cluster.py", strconv.Itoa(port)} })
	checkAppJSON(t, r, map[string]string{
		"redisPy": `{"get":"cy","pipeline":"0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19","msetOneSlot":[true],"mgetOneSlot":["1","2"],"crossSlot":"ClusterCrossSlotError","keyslot":9678,"nodes":1,"eval":1}`,
	})
}
