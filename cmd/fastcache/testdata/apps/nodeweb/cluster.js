// The cluster clients of ioredis and node-redis, run by
// cmd/fastcache/apps_nodeweb_test.go against fastcache in cluster mode
// (cluster-enabled yes): each finds the cluster from one address, routes
// commands by slot, runs pipelines over many slots, transactions and
// scripts of one hash tag, and sees -CROSSSLOT for keys of different slots.
// What a user sees is printed as one JSON object on stdout.
//
// usage: node cluster.js PORT
'use strict';

const IORedis = require('ioredis');
const { createCluster } = require('redis');

const port = Number(process.argv[2]);
const out = { errors: {} };

async function ioredisCluster() {
  const c = new IORedis.Cluster([{ host: '127.0.0.1', port }], { redisOptions: { maxRetriesPerRequest: 2 } });
  try {
    const r = {};
    await c.set('user:1', 'ann');
    r.get = await c.get('user:1');
    const p = c.pipeline();
    for (let i = 0; i < 20; i++) p.set('k' + i, String(i));
    for (let i = 0; i < 20; i++) p.get('k' + i);
    r.pipeline = (await p.exec()).slice(20).map((x) => x[1]).join(',');
    r.multi = (await c.multi().incr('{cart:1}n').hset('{cart:1}items', 'apple', '2').expire('{cart:1}n', 60).exec()).map((x) => x[1]);
    r.mgetOneSlot = await c.mget('{cart:1}n', '{cart:1}missing');
    try {
      await c.mget('a', 'b');
      r.crossSlot = 'no error';
    } catch (e) {
      r.crossSlot = e.message.split(' ')[0];
    }
    r.eval = await c.eval("return redis.call('incr', KEYS[1])", 1, '{cart:1}n');
    r.masters = c.nodes('master').length;
    return r;
  } finally {
    c.disconnect();
  }
}

async function nodeRedisCluster() {
  const c = createCluster({ rootNodes: [{ socket: { host: '127.0.0.1', port } }] });
  c.on('error', () => {});
  await c.connect();
  try {
    const r = {};
    await c.set('user:2', 'bob');
    r.get = await c.get('user:2');
    r.multi = await c.multi().incr('{cart:2}n').hSet('{cart:2}items', 'pear', '1').exec();
    try {
      await c.sendCommand('a', false, ['MSET', 'a', '1', 'b', '2']);
      r.crossSlot = 'no error';
    } catch (e) {
      r.crossSlot = e.message.split(' ')[0];
    }
    r.masters = c.masters.length;
    return r;
  } finally {
    await c.close();
  }
}

(async () => {
  for (const [name, fn] of [['ioredis', ioredisCluster], ['nodeRedis', nodeRedisCluster]]) {
    try {
      out[name] = await fn();
    } catch (e) {
      out.errors[name] = String(e && e.stack || e);
    }
  }
  console.log(JSON.stringify(out));
  process.exit(0);
})();
