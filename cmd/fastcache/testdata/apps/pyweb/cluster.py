# redis-py's cluster client (redis.cluster.RedisCluster), run by
# cmd/fastcache/apps_pyweb_test.go against fastcache in cluster mode
# (cluster-enabled yes): found from one address, commands routed by slot, a
# pipeline over many slots, keys of one hash tag together, -CROSSSLOT for
# keys of different slots. What a user sees is printed as one JSON object.
#
# usage: python3 cluster.py PORT
import json
import sys

from redis.cluster import RedisCluster
from redis.exceptions import RedisClusterException, ResponseError

port = int(sys.argv[1])
out = {"errors": {}}
try:
    rc = RedisCluster(host="127.0.0.1", port=port, decode_responses=True)
    r = {}
    rc.set("user:3", "cy")
    r["get"] = rc.get("user:3")
    p = rc.pipeline()
    for i in range(20):
        p.set("p%d" % i, i)
    for i in range(20):
        p.get("p%d" % i)
    r["pipeline"] = ",".join(p.execute()[20:])
    r["msetOneSlot"] = rc.mset_nonatomic({"{cart:3}a": "1", "{cart:3}b": "2"})
    r["mgetOneSlot"] = rc.execute_command("MGET", "{cart:3}a", "{cart:3}b")
    try:
        # sent to the node as is (redis-py checks slots of the commands it
        # knows itself): the server's -CROSSSLOT
        rc.execute_command("MSET", "a", "1", "b", "2", target_nodes=RedisCluster.PRIMARIES)
        r["crossSlot"] = "no error"
    except (ResponseError, RedisClusterException) as e:
        r["crossSlot"] = type(e).__name__
    r["keyslot"] = rc.keyslot("{cart:3}a")
    r["nodes"] = len(rc.get_nodes())
    r["eval"] = rc.eval("return redis.call('incr', KEYS[1])", 1, "{cart:3}n")
    rc.close()
    out["redisPy"] = r
except Exception as e:  # noqa: BLE001 (printed for the Go test)
    out["errors"]["redisPy"] = repr(e)
print(json.dumps(out))
