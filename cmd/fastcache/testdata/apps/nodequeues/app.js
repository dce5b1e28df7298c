// Bull (BullMQ's predecessor, still widely deployed) and Bee-Queue, run by
// cmd/fastcache/apps_nodequeues_test.go against fastcache (and, to compare,
// against redis-server). What a user of each queue sees is printed as one
// JSON object on stdout for the Go test to check.
//
// usage: node app.js PORT
'use strict';

const Queue = require('bull');
const BeeQueue = require('bee-queue');

const port = Number(process.argv[2]);
const redis = { host: '127.0.0.1', port };
const out = { errors: {} };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(ms, what, cond) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out: ' + what);
    await sleep(20);
  }
}

async function bull() {
  const q = new Queue('bull', { redis });
  const r = {};
  try {
    const runs = new Map();
    const order = [];
    q.process('*', 3, async (job) => {
      runs.set(job.id, (runs.get(job.id) || 0) + 1);
      if (job.name === 'prio') order.push(job.opts.priority);
      if (job.data.fail && job.attemptsMade < 1) throw new Error('first run fails');
      if (job.data.broken) throw new Error('always broken');
      await job.progress(100);
      return job.data.i * 2;
    });
    const globalCompleted = new Set();
    q.on('global:completed', (id) => globalCompleted.add(String(id)));
    await q.isReady();
    await sleep(100); // the global event subscription is set up
    const N = 50;
    const jobs = await q.addBulk(Array.from({ length: N }, (_, i) => ({ name: 'plain', data: { i } })));
    const retried = await q.add('retried', { i: 100, fail: true }, { attempts: 2, backoff: 50 });
    const broken = await q.add('broken', { i: 0, broken: true }, { attempts: 1 });
    const t0 = Date.now();
    const delayed = await q.add('delayed', { i: 200 }, { delay: 500 });
    await q.add('repeat', { i: 400 }, { repeat: { every: 200, limit: 3 }, jobId: 'rep' });
    await waitFor(30000, 'bull jobs', async () => {
      const c = await q.getJobCounts();
      return c.completed >= N + 2 + 3 && c.failed === 1;
    });
    await waitFor(10000, 'global completed events', async () => jobs.every((j) => globalCompleted.has(String(j.id))));
    let resultsOK = 0;
    for (const j of jobs) {
      const got = await q.getJob(j.id);
      if (got.returnvalue === j.data.i * 2 && got.progress() === 100 && runs.get(j.id) === 1) resultsOK++;
    }
    const b = await q.getJob(broken.id);
    const d = await q.getJob(delayed.id);
    r.plainOK = resultsOK;
    r.retried = { runs: runs.get(retried.id), state: await (await q.getJob(retried.id)).getState() };
    r.broken = { state: await b.getState(), reason: b.failedReason };
    r.delayedEarly = d.processedOn < t0 + 500;
    r.repeatRuns = (await q.getCompleted(0, -1)).filter((j) => j.name === 'repeat').length >= 3;
    r.repeatable = (await q.getRepeatableJobs()).length;
    r.workers = (await q.getWorkers()).length;
    // priorities, with the queue paused while they are added
    await q.pause();
    for (const p of [3, 1, 2]) await q.add('prio', {}, { priority: p });
    await q.resume();
    await waitFor(10000, 'priority jobs', async () => order.length === 3);
    r.priorityOrder = order;
    await sleep(50); // clean(0) takes jobs finished before now
    await q.clean(0, 'completed');
    r.completedAfterClean = (await q.getJobCounts()).completed;
    await q.obliterate({ force: true });
    r.keysLeft = (await q.client.keys('bull:bull:*')).length;
  } finally {
    await q.close();
  }
  out.bull = r;
}

async function beeQueue() {
  const q = new BeeQueue('bee', { redis, activateDelayedJobs: true, removeOnSuccess: false, storeJobs: true });
  const r = {};
  try {
    await q.ready();
    const runs = new Map();
    q.process(3, async (job) => {
      runs.set(job.id, (runs.get(job.id) || 0) + 1);
      if (job.data.fail && runs.get(job.id) < 2) throw new Error('first run fails');
      if (job.data.broken) throw new Error('bee broken');
      job.reportProgress(100);
      return job.data.i + 1;
    });
    const results = new Map();
    const N = 30;
    const jobs = [];
    for (let i = 0; i < N; i++) {
      const job = q.createJob({ i });
      job.on('succeeded', (res) => results.set(job.id, res));
      jobs.push(job);
    }
    await q.saveAll(jobs);
    const retried = await q.createJob({ i: 7, fail: true }).retries(1).backoff('immediate').save();
    await q.createJob({ broken: true }).save();
    const t0 = Date.now();
    const delayed = await q.createJob({ i: 9 }).delayUntil(t0 + 500).save();
    let delayedEvent = false;
    delayed.on('succeeded', () => { delayedEvent = true; });
    await waitFor(30000, 'bee jobs', async () => {
      const h = await q.checkHealth();
      return h.succeeded === N + 2 && h.failed === 1;
    });
    await waitFor(10000, 'succeeded events', async () => results.size === N);
    // getJob answers from Bee-Queue's own cache of the jobs this process
    // created until their 'succeeded' event (pub/sub, another connection)
    // arrives; after it, from the server. Wait for it, or the status read
    // races the event's delivery.
    await waitFor(10000, 'the delayed job\'s succeeded event', async () => delayedEvent);
    r.resultsOK = jobs.filter((j) => results.get(j.id) === j.data.i + 1 && runs.get(j.id) === 1).length;
    r.retriedRuns = runs.get(retried.id);
    const d = await q.getJob(delayed.id);
    r.delayedRan = d.status === 'succeeded';
    const h = await q.checkHealth();
    r.health = { waiting: h.waiting, active: h.active, succeeded: h.succeeded, failed: h.failed, delayed: h.delayed };
    const failed = await q.getJobs('failed', { start: 0, end: 10 });
    r.failedReason = failed.map((j) => j.options.stacktraces && j.options.stacktraces[0] && j.options.stacktraces[0].split('\n')[0]);
    await q.destroy();
    r.keysLeft = (await new Promise((res, rej) => q.client.keys('bq:bee:*', (e, v) => (e ? rej(e) : res(v))))).length;
  } finally {
    await q.close();
  }
  out.beeQueue = r;
}

async function main() {
  for (const [name, fn] of Object.entries({ bull, beeQueue })) {
    try {
      await Promise.race([fn(), sleep(40000).then(() => { throw new Error('timed out'); })]);
    } catch (e) {
      out.errors[name] = String((e && e.stack) || e);
    }
  }
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}

main();
