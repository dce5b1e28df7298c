// Session stores, rate limiters, caches and locks for Node, run by
// cmd/fastcache/apps_nodeweb_test.go against fastcache (and, to compare,
// against redis-server): an Express app with express-session on
// connect-redis and express-rate-limit on rate-limit-redis, served on
// loopback and driven with fetch; rate-limiter-flexible on ioredis and on
// node-redis; Keyv on @keyv/redis under cache-manager; redlock on ioredis.
// What a user sees is printed as one JSON object on stdout for the Go test.
//
// usage: node app.js PORT
'use strict';

const express = require('express');
const session = require('express-session');
const { RedisStore } = require('connect-redis');
const { rateLimit } = require('express-rate-limit');
const { RedisStore: RateLimitRedisStore } = require('rate-limit-redis');
const { RateLimiterRedis, RateLimiterRes } = require('rate-limiter-flexible');
const IORedis = require('ioredis');
const { createClient } = require('redis');
const Keyv = require('keyv').default || require('keyv');
const KeyvRedis = require('@keyv/redis').default;
const { createCache } = require('cache-manager');
const Redlock = require('redlock');

const port = Number(process.argv[2]);
const out = { errors: {} };
const closers = [];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function ioredis(db = 0) {
  const c = new IORedis({ host: '127.0.0.1', port, db, maxRetriesPerRequest: 2 });
  closers.push(() => c.quit());
  return c;
}

async function nodeRedis(db = 0) {
  const c = createClient({ socket: { host: '127.0.0.1', port }, database: db });
  c.on('error', () => {});
  await c.connect();
  closers.push(() => c.quit());
  return c;
}

// listen serves app on a loopback port and returns its base URL.
function listen(app) {
  return new Promise((resolve) => {
    const srv = app.listen(0, '127.0.0.1', () => resolve('http://127.0.0.1:' + srv.address().port));
    closers.push(() => new Promise((r) => srv.close(r)));
  });
}

// A browser of sorts: keeps the session cookie between requests.
function browser(base) {
  let cookie = '';
  return async (path, headers = {}) => {
    const res = await fetch(base + path, { headers: { ...headers, cookie } });
    const set = res.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0];
    return { status: res.status, body: await res.text(), headers: res.headers };
  };
}

async function sessions() {
  const client = await nodeRedis(1);
  const store = new RedisStore({ client, prefix: 'sess:' });
  const app = express();
  app.use(session({ store, secret: 'k', resave: false, saveUninitialized: false, cookie: { maxAge: 60000 } }));
  app.get('/login/:name', (req, res) => { req.session.user = req.params.name; req.session.visits = 0; res.send('hi ' + req.params.name); });
  app.get('/me', (req, res) => {
    if (!req.session.user) return res.send('nobody');
    req.session.visits++;
    res.send(req.session.user + ' ' + req.session.visits);
  });
  app.get('/logout', (req, res) => req.session.destroy(() => res.send('bye')));
  const base = await listen(app);
  const alice = browser(base);
  const bob = browser(base);
  const r = {};
  r.login = [(await alice('/login/alice')).body, (await bob('/login/bob')).body];
  r.me = [(await alice('/me')).body, (await alice('/me')).body, (await bob('/me')).body];
  const all = await new Promise((res, rej) => store.all((e, v) => (e ? rej(e) : res(v))));
  r.storeAll = all.map((s) => s.user).sort();
  r.storeLength = await new Promise((res, rej) => store.length((e, v) => (e ? rej(e) : res(v))));
  const keys = await client.keys('sess:*');
  const ttls = await Promise.all(keys.map((k) => client.ttl(k)));
  r.ttlsInRange = ttls.every((t) => t > 0 && t <= 60);
  r.logout = (await alice('/logout')).body;
  r.meAfterLogout = [(await alice('/me')).body, (await bob('/me')).body];
  r.storeLengthAfter = await new Promise((res, rej) => store.length((e, v) => (e ? rej(e) : res(v))));
  await new Promise((res, rej) => store.clear((e) => (e ? rej(e) : res())));
  r.keysAfterClear = (await client.keys('sess:*')).length;
  out.sessions = r;
}

async function expressRateLimit() {
  const c = ioredis(2);
  const app = express();
  const limiter = rateLimit({
    windowMs: 60000, limit: 3, standardHeaders: 'draft-7', legacyHeaders: false,
    keyGenerator: (req) => req.get('x-client') || 'anon',
    store: new RateLimitRedisStore({ sendCommand: (command, ...args) => c.call(command, ...args), prefix: 'rl:' }),
  });
  app.get('/api', limiter, (req, res) => res.send('ok'));
  const base = await listen(app);
  const get = browser(base);
  const r = { codes: [], limits: [] };
  for (let i = 0; i < 5; i++) {
    const res = await get('/api', { 'x-client': 'a' });
    r.codes.push(res.status);
    r.limits.push((res.headers.get('ratelimit') || '').replace(/, reset=\d+/, ''));
  }
  r.otherClient = (await get('/api', { 'x-client': 'b' })).status;
  await limiter.resetKey('a');
  r.afterReset = (await get('/api', { 'x-client': 'a' })).status;
  const ttl = await c.pttl('rl:a');
  r.keyTTLInWindow = ttl > 0 && ttl <= 60000;
  out.expressRateLimit = r;
}

async function flexible(name, storeClient, extra) {
  const rl = new RateLimiterRedis({ storeClient, keyPrefix: 'rlflx-' + name, points: 5, duration: 2, blockDuration: 0, ...extra });
  const r = { consumed: [] };
  for (let i = 0; i < 6; i++) {
    try {
      const res = await rl.consume('u1');
      r.consumed.push(res.remainingPoints);
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      r.consumed.push('rejected');
      r.rejectedWaitInWindow = e.msBeforeNext > 0 && e.msBeforeNext <= 2000;
    }
  }
  const got = await rl.get('u1');
  r.get = got && got.consumedPoints;
  r.getMissing = await rl.get('nobody');
  await rl.reward('u1', 2);
  r.afterReward = (await rl.get('u1')).consumedPoints;
  await rl.penalty('u1', 1);
  r.afterPenalty = (await rl.get('u1')).consumedPoints;
  await rl.block('u2', 1);
  try {
    await rl.consume('u2');
    r.blocked = false;
  } catch (e) {
    r.blocked = e instanceof RateLimiterRes && e.msBeforeNext > 0 && e.msBeforeNext <= 1000;
  }
  r.deleted = await rl.delete('u1');
  r.afterDelete = await rl.get('u1');
  // the window passes: points come back
  const short = new RateLimiterRedis({ storeClient, keyPrefix: 'rlflx-short-' + name, points: 1, duration: 1, ...extra });
  await short.consume('x');
  let again;
  try { await short.consume('x'); again = 'allowed'; } catch (e) { again = 'rejected'; }
  await sleep(1100);
  const after = await short.consume('x');
  r.windowPasses = [again, after.remainingPoints];
  return r;
}

async function rateLimiterFlexible() {
  out.rateLimiterFlexible = {
    ioredis: await flexible('io', ioredis(3)),
    nodeRedis: await flexible('nr', await nodeRedis(3), { useRedisPackage: true }),
  };
}

async function caches() {
  const keyv = new Keyv({ store: new KeyvRedis('redis://127.0.0.1:' + port + '/4'), namespace: 'app' });
  closers.push(() => keyv.disconnect());
  const cache = createCache({ stores: [keyv] });
  const r = {};
  await cache.set('user:1', { name: 'ann' }, 60000);
  r.get = await cache.get('user:1');
  let calls = 0;
  const load = async () => { calls++; return 'loaded'; };
  r.wrap = [await cache.wrap('w', load, 60000), await cache.wrap('w', load, 60000), calls];
  await cache.mset([{ key: 'm1', value: 1 }, { key: 'm2', value: 'two', ttl: 60000 }]);
  r.mget = await cache.mget(['m1', 'm2', 'missing']);
  const ttl = await cache.ttl('user:1');
  r.ttlInFuture = typeof ttl === 'number' && ttl > Date.now() && ttl <= Date.now() + 60000;
  await cache.set('short', 'x', 300);
  await sleep(500);
  r.shortAfter = (await cache.get('short')) ?? null;
  r.del = await cache.del('m1');
  r.afterDel = await cache.get('m1');
  r.has = [await keyv.has('m2'), await keyv.has('m1')];
  const keys = [];
  for await (const [k] of keyv.iterator()) keys.push(k);
  r.iterator = keys.sort();
  await cache.clear();
  r.afterClear = [await cache.get('user:1'), await cache.get('m2')];
  out.caches = r;
}

async function locks() {
  const c = ioredis(5);
  const redlock = new Redlock([c], { retryCount: 0, driftFactor: 0.01 });
  const r = {};
  const lock = await redlock.lock('locks:res', 2000);
  r.pttlAfterLock = (await c.pttl('locks:res')) > 0;
  try {
    await redlock.lock('locks:res', 2000);
    r.secondLock = 'acquired';
  } catch (e) {
    r.secondLock = e.name;
  }
  const ext = await lock.extend(5000);
  const pttl = await c.pttl('locks:res');
  r.extended = pttl > 2000 && pttl <= 5000;
  await ext.unlock();
  r.afterUnlock = await c.exists('locks:res');
  const again = await redlock.lock('locks:res', 1000);
  r.relock = again.value !== lock.value;
  await again.unlock();
  out.locks = r;
}

const steps = { sessions, expressRateLimit, rateLimiterFlexible, caches, locks };

async function main() {
  const flush = ioredis(0);
  await flush.flushall();
  for (const [name, fn] of Object.entries(steps)) {
    try {
      await Promise.race([fn(), sleep(30000).then(() => { throw new Error('timed out'); })]);
    } catch (e) {
      out.errors[name] = String((e && e.stack) || e);
    }
  }
  await Promise.race([Promise.allSettled(closers.map((c) => c())), sleep(3000)]);
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ fatal: String((e && e.stack) || e) }) + '\n');
  process.exit(1);
});
