"""Session stores, rate limiters and caches from Debian's python3 packages,
run by cmd/fastcache/apps_pyweb_test.go against fastcache (and, to compare,
against redis-server): a Flask app with Flask-Session and Flask-Limiter
(driven through Flask's test client), the limits library's strategies on
their own, cachelib's RedisCache, and Django's cache and cache-backed
sessions on django-redis. What a user sees is printed as one JSON object on
stdout for the Go test to check.

usage: python3 app.py PORT
"""

import json
import sys
import time
import traceback

PORT = int(sys.argv[1])
URL = "redis://127.0.0.1:%d" % PORT

out = {"errors": {}}

# the program owns the server it is given
__import__("redis").Redis(port=PORT).flushall()


def step(fn):
    try:
        fn()
    except Exception:
        out["errors"][fn.__name__] = traceback.format_exc()
    return fn


@step
def flask_app():
    from flask import Flask, session
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address
    from flask_session import Session
    from redis import Redis

    app = Flask(__name__)
    app.config.update(SECRET_KEY="k", SESSION_TYPE="redis", SESSION_REDIS=Redis(port=PORT, db=1), SESSION_KEY_PREFIX="sess:")
    Session(app)
    limiter = Limiter(get_remote_address, app=app, storage_uri=URL + "/2", strategy="moving-window", headers_enabled=True)

    @app.route("/login/<name>")
    def login(name):
        session["user"] = name
        return "hi " + name

    @app.route("/me")
    def me():
        return session.get("user", "nobody")

    @app.route("/logout")
    def logout():
        session.clear()
        return "bye"

    @app.route("/api")
    @limiter.limit("5 per minute")
    def api():
        return "ok"

    r = {}
    a = app.test_client()
    b = app.test_client()
    r["login"] = a.get("/login/alice").get_data(as_text=True)
    r["meA"] = a.get("/me").get_data(as_text=True)
    r["meB"] = b.get("/me").get_data(as_text=True)
    red = Redis(port=PORT, db=1)
    keys = red.keys("sess:*")
    r["sessionKeys"] = len(keys)
    r["sessionTTLPositive"] = all(red.ttl(k) > 0 for k in keys)
    a.get("/logout")
    r["meAfterLogout"] = a.get("/me").get_data(as_text=True)

    codes, remaining = [], []
    for _ in range(7):
        resp = a.get("/api", environ_base={"REMOTE_ADDR": "10.0.0.1"})
        codes.append(resp.status_code)
        remaining.append(resp.headers.get("X-RateLimit-Remaining"))
    r["apiCodes"] = codes
    r["apiRemaining"] = remaining
    r["otherClient"] = b.get("/api", environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code
    out["flask"] = r


@step
def limits_strategies():
    from limits import parse, storage, strategies

    st = storage.RedisStorage(URL + "/2")
    r = {"check": st.check()}
    item = parse("3/second")
    for name, cls in (("fixed", strategies.FixedWindowRateLimiter), ("moving", strategies.MovingWindowRateLimiter),
                      ("elastic", strategies.FixedWindowElasticExpiryRateLimiter)):
        lim = cls(st)
        hits = [lim.hit(item, name, "u1") for _ in range(5)]
        stats = lim.get_window_stats(item, name, "u1")
        fresh = lim.get_window_stats(item, name, "never-hit")
        lim.clear(item, name, "u1")
        r[name] = {"hits": hits, "remaining": stats[1], "resetInFuture": stats[0] >= int(time.time()),
                   "freshRemaining": fresh[1], "afterClear": lim.test(item, name, "u1")}
    # a window passes: the moving window lets hits through again
    lim = strategies.MovingWindowRateLimiter(st)
    short = parse("2/second")
    first = [lim.hit(short, "again") for _ in range(3)]
    time.sleep(1.1)
    r["movingAfterWindow"] = first + [lim.hit(short, "again")]
    r["reset"] = st.reset() is not None
    r["keysAfterReset"] = len(st.storage.keys("LIMITER*"))
    out["limits"] = r


@step
def cachelib_cache():
    from cachelib.redis import RedisCache

    c = RedisCache(host="127.0.0.1", port=PORT, db=3, key_prefix="cl:", default_timeout=300)
    r = {}
    r["set"] = c.set("a", {"x": [1, 2]})
    r["get"] = c.get("a")
    r["add"] = [c.add("a", 2), c.add("b", 2)]
    r["inc"] = [c.inc("n"), c.inc("n", 5), c.dec("n", 2)]
    r["setMany"] = c.set_many({"m1": 1, "m2": "two", "m3": None})
    r["getMany"] = c.get_many("m1", "m2", "m3", "missing")
    r["has"] = [c.has("m1"), c.has("missing")]
    r["deleteMany"] = c.delete_many("m1", "m2")
    r["short"] = c.set("short", 1, timeout=1)
    time.sleep(1.2)
    r["shortAfter"] = c.get("short")
    r["clear"] = c.clear()
    r["afterClear"] = [c.get("a"), c.get("n")]
    out["cachelib"] = r


@step
def django_cache_and_sessions():
    import django
    from django.conf import settings

    settings.configure(
        CACHES={"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": URL + "/4",
                            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"}, "KEY_PREFIX": "dj"}},
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions", "cacheops"],
        CACHEOPS_REDIS=URL + "/7",
        CACHEOPS={"auth.*": {"ops": "all", "timeout": 60}},
        USE_TZ=True,
    )
    django.setup()
    from django.contrib.sessions.backends.cache import SessionStore
    from django.core.cache import cache

    r = {}
    cache.set("a", {"v": 1}, timeout=100)
    r["get"] = cache.get("a")
    r["ttl"] = 0 < cache.ttl("a") <= 100
    r["add"] = [cache.add("a", 2), cache.add("b", 2)]
    cache.set("n", 10)
    r["incr"] = [cache.incr("n"), cache.incr("n", 5), cache.decr("n", 3)]
    r["getOrSet"] = [cache.get_or_set("gos", lambda: "made"), cache.get_or_set("gos", lambda: "again")]
    cache.set_many({"k1": 1, "k2": 2, "k3": 3})
    r["getMany"] = cache.get_many(["k1", "k2", "k3", "missing"])
    r["keys"] = sorted(cache.keys("k*"))
    r["iterKeys"] = sorted(cache.iter_keys("k*"))
    r["persist"] = [cache.persist("a"), cache.ttl("a")]
    r["expire"] = [cache.expire("a", 50), 0 < cache.ttl("a") <= 50]
    r["touch"] = cache.touch("k1", 30)
    r["deletePattern"] = cache.delete_pattern("k*")
    r["afterDeletePattern"] = cache.get_many(["k1", "k2", "k3"])
    raw = cache.client.get_client()
    lock = cache.lock("djlock", timeout=5)
    r["lockAcquire"] = [lock.acquire(blocking=False), cache.lock("djlock", timeout=5).acquire(blocking=False)]
    r["lockHeld"] = raw.exists(cache.make_key("djlock"))
    lock.release()
    r["lockAfter"] = raw.exists(cache.make_key("djlock"))
    r["hasKey"] = [cache.has_key("a"), cache.has_key("nope")]

    s = SessionStore()
    s["cart"] = [1, 2, 3]
    s.save()
    key = s.session_key
    s2 = SessionStore(session_key=key)
    r["sessionLoad"] = s2.get("cart")
    r["sessionExists"] = s2.exists(key)
    s2.delete()
    r["sessionAfterDelete"] = SessionStore(session_key=key).get("cart")
    cache.clear()
    r["afterClear"] = cache.get("a")
    out["django"] = r


@step
def django_cacheops():
    """django-cacheops caches ORM querysets in the server (Lua scripts that
    decode their arguments with cjson) and invalidates them on writes; the
    number of SQL queries shows whether a read was served from the cache."""
    from cacheops import cached_as, invalidate_all
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from redis import Redis

    call_command("migrate", verbosity=0)

    def q(f):
        with CaptureQueriesContext(connection) as c:
            v = f()
        return [v, len(c.captured_queries)]

    active = lambda: sorted(u.username for u in User.objects.filter(is_active=True))  # noqa: E731
    r = {}
    invalidate_all()
    User.objects.create(username="a")
    User.objects.create(username="b")
    r["first"] = q(active)
    r["cached"] = q(active)
    r["count"] = [q(lambda: User.objects.count()), q(lambda: User.objects.count())]
    User.objects.create(username="c")
    r["afterCreate"] = q(active)
    u = User.objects.get(username="a")
    u.is_active = False
    u.save()
    r["afterUpdate"] = q(active)
    r["get"] = [q(lambda: User.objects.get(username="b").username), q(lambda: User.objects.get(username="b").username)]

    @cached_as(User, timeout=60)
    def names():
        return sorted(User.objects.values_list("username", flat=True))

    r["cachedAs"] = [q(names), q(names)]
    raw = Redis(port=PORT, db=7)
    r["keysCached"] = len(raw.keys("*")) > 0
    invalidate_all()
    r["keysAfterInvalidateAll"] = len(raw.keys("*"))
    out["cacheops"] = r


@step
def channels_layers():
    """Django Channels' Redis layers: the core layer (a Lua script per
    group send, BZPOPMIN to receive, capacity per channel) and the pub/sub
    layer."""
    import asyncio

    from channels.exceptions import ChannelFull
    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubChannelLayer

    async def core():
        layer = RedisChannelLayer(hosts=[("127.0.0.1", PORT)], capacity=5, expiry=10)
        r = {}
        ch = await layer.new_channel()
        await layer.send(ch, {"type": "hello", "n": 1})
        r["recv"] = await asyncio.wait_for(layer.receive(ch), 5)
        a, b = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("g", a)
        await layer.group_add("g", b)
        await layer.group_send("g", {"type": "g.msg", "x": 2})
        r["group"] = [await asyncio.wait_for(layer.receive(a), 5), await asyncio.wait_for(layer.receive(b), 5)]
        await layer.group_discard("g", b)
        await layer.group_send("g", {"type": "g.msg", "x": 3})
        r["afterDiscard"] = await asyncio.wait_for(layer.receive(a), 5)
        full = 0
        for i in range(7):
            try:
                await layer.send("specific!cap", {"type": "x", "i": i})
            except ChannelFull:
                full += 1
        r["channelFull"] = full
        # a receiver blocked before the message is sent
        waiter = asyncio.ensure_future(layer.receive("late"))
        await asyncio.sleep(0.2)
        await layer.send("late", {"type": "late"})
        r["blockedReceive"] = await asyncio.wait_for(waiter, 5)
        await layer.flush()
        await layer.close_pools()
        return r

    async def pubsub():
        layer = RedisPubSubChannelLayer(hosts=[{"address": URL}])
        ch = await layer.new_channel()
        await layer.send(ch, {"type": "ps", "v": 1})
        r = {"recv": await asyncio.wait_for(layer.receive(ch), 5)}
        await layer.group_add("pg", ch)
        await layer.group_send("pg", {"type": "pg", "v": 2})
        r["group"] = await asyncio.wait_for(layer.receive(ch), 5)
        await layer.flush()
        return r

    async def both():
        return {"core": await core(), "pubsub": await pubsub()}

    out["channels"] = asyncio.run(both())


print(json.dumps(out))
