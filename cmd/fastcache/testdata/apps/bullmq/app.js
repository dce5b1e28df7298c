// A small BullMQ application, run by cmd/fastcache/apps_bullmq_test.go
// against fastcache (and, to compare, against redis-server): producers add
// jobs, workers process them, and what a user of the queue sees is printed as
// one JSON object on stdout for the Go test to check.
//
// usage: node app.js PORT [DRIVER] [STEP ...]
// DRIVER is ioredis (the default), node-redis (RESP2) or node-redis-resp3.
'use strict';

const { Queue, Worker, QueueEvents, FlowProducer } = require('bullmq');
const IORedis = require('ioredis');

const port = Number(process.argv[2]);
const driver = process.argv[3] || 'ioredis';
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
const prefix = 'app' + process.pid;

// o() is the options of one Queue, Worker, QueueEvents or FlowProducer: with
// ioredis, BullMQ makes its own connections from the options; with
// node-redis, each gets a client of its own (BullMQ duplicates it for a
// worker's blocking connection).
function o() {
  if (driver === 'ioredis') return { connection, prefix };
  if (driver !== 'node-redis' && driver !== 'node-redis-resp3') throw new Error('unknown driver ' + driver);
  const { createClient } = require('redis');
  const client = createClient({ socket: { host: '127.0.0.1', port }, RESP: driver === 'node-redis-resp3' ? 3 : 2, unstableResp3: true });
  client.on('error', () => {});
  return { connection: client, prefix };
}

function deadline(ms, what) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error('timed out: ' + what)), ms).unref());
}

function within(ms, what, promise) {
  return Promise.race([promise, deadline(ms, what)]);
}

// waitFor polls cond until it is true.
async function waitFor(ms, what, cond) {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error('timed out: ' + what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const out = {};
const closers = [];

// Plain jobs: N added in bulk and one by one, processed by two workers with
// concurrency; each completes once, its return value is stored, and
// QueueEvents (XREAD BLOCK on the events stream) reports every completion.
async function basic() {
  const N = 200;
  const q = new Queue('basic', o());
  closers.push(() => q.close());
  const events = new QueueEvents('basic', o());
  closers.push(() => events.close());
  await events.waitUntilReady();
  const evCompleted = new Set();
  events.on('completed', ({ jobId }) => evCompleted.add(jobId));

  const seen = new Map();
  const processor = async (job) => {
    seen.set(job.data.i, (seen.get(job.data.i) || 0) + 1);
    await job.updateProgress(50);
    return { double: job.data.i * 2 };
  };
  const w1 = new Worker('basic', processor, { ...o(), concurrency: 5 });
  const w2 = new Worker('basic', processor, { ...o(), concurrency: 5 });
  closers.push(() => w1.close(), () => w2.close());

  const bulk = [];
  for (let i = 0; i < N / 2; i++) bulk.push({ name: 'b', data: { i } });
  await q.addBulk(bulk);
  for (let i = N / 2; i < N; i++) await q.add('s', { i });

  await waitFor(30000, 'basic jobs completed', async () => (await q.getJobCounts('completed')).completed === N);
  await waitFor(10000, 'completed events', async () => evCompleted.size === N);
  const completed = await q.getJobs(['completed'], 0, -1);
  let resultsOK = 0;
  for (const j of completed) if (j.returnvalue && j.returnvalue.double === j.data.i * 2 && j.progress === 50) resultsOK++;
  const dup = [...seen.values()].filter((c) => c !== 1).length;
  out.basic = {
    added: N,
    processed: seen.size,
    processedTwice: dup,
    completed: completed.length,
    resultsOK,
    completedEvents: evCompleted.size,
    counts: await q.getJobCounts(),
  };
}

// Delayed jobs wait in the delayed zset and run no earlier than asked.
async function delayed() {
  const q = new Queue('delayed', o());
  closers.push(() => q.close());
  const ran = [];
  const w = new Worker('delayed', async (job) => { ran.push({ i: job.data.i, at: Date.now(), added: job.timestamp, delay: job.opts.delay }); }, o());
  closers.push(() => w.close());
  // (the first delay is long enough for the five adds and the count on a busy machine)
  for (let i = 0; i < 5; i++) await q.add('d', { i }, { delay: 1500 + 100 * i });
  const countsBefore = await q.getJobCounts('delayed');
  await waitFor(20000, 'delayed jobs completed', async () => (await q.getJobCounts('completed')).completed === 5);
  out.delayed = {
    delayedBefore: countsBefore.delayed,
    ran: ran.length,
    early: ran.filter((r) => r.at < r.added + r.delay).length,
  };
}

// Retries: a job that fails twice then succeeds with attempts=3, and a job
// that always fails ends in the failed set with its reason; the 'failed'
// and 'retries-exhausted' paths show in QueueEvents.
async function retries() {
  const q = new Queue('retries', o());
  closers.push(() => q.close());
  const events = new QueueEvents('retries', o());
  closers.push(() => events.close());
  await events.waitUntilReady();
  const failedEvents = [];
  events.on('failed', ({ jobId, failedReason }) => failedEvents.push({ jobId, failedReason }));
  const attempts = {};
  const w = new Worker('retries', async (job) => {
    attempts[job.data.kind] = (attempts[job.data.kind] || 0) + 1;
    if (job.data.kind === 'flaky' && job.attemptsMade < 2) throw new Error('flaky ' + job.attemptsMade);
    if (job.data.kind === 'broken') throw new Error('always broken');
    return 'ok';
  }, o());
  closers.push(() => w.close());
  const flaky = await q.add('flaky', { kind: 'flaky' }, { attempts: 3, backoff: { type: 'fixed', delay: 50 } });
  const broken = await q.add('broken', { kind: 'broken' }, { attempts: 2, backoff: { type: 'exponential', delay: 50 } });
  await waitFor(20000, 'retries settled', async () => {
    const c = await q.getJobCounts('completed', 'failed');
    return c.completed === 1 && c.failed === 1;
  });
  await waitFor(10000, 'failed event', async () => failedEvents.some((e) => e.jobId === broken.id));
  const f = await q.getJob(flaky.id);
  const b = await q.getJob(broken.id);
  out.retries = {
    flakyAttempts: attempts.flaky,
    flakyState: await f.getState(),
    flakyReturn: f.returnvalue,
    brokenAttempts: attempts.broken,
    brokenState: await b.getState(),
    brokenReason: b.failedReason,
    brokenStacktraces: (b.stacktrace || []).length,
  };
}

// Priorities: with the worker paused while jobs are added, higher priority
// (lower number) runs first.
async function priorities() {
  const q = new Queue('prio', o());
  closers.push(() => q.close());
  for (const [i, p] of [[0, 5], [1, 1], [2, 3], [3, 2], [4, 4]]) await q.add('p', { i }, { priority: p });
  const order = [];
  const w = new Worker('prio', async (job) => { order.push(job.opts.priority); }, { ...o(), concurrency: 1 });
  closers.push(() => w.close());
  await waitFor(20000, 'priority jobs completed', async () => (await q.getJobCounts('completed')).completed === 5);
  out.priorities = { order };
}

// Rate limiter: max 5 jobs per second.
async function rateLimited() {
  const q = new Queue('limited', o());
  closers.push(() => q.close());
  const times = [];
  const w = new Worker('limited', async (job) => { times.push(job.processedOn); }, { ...o(), concurrency: 5, limiter: { max: 5, duration: 1000 } });
  closers.push(() => w.close());
  const N = 15;
  const jobs = [];
  for (let i = 0; i < N; i++) jobs.push({ name: 'r', data: { i } });
  await q.addBulk(jobs);
  await waitFor(30000, 'rate-limited jobs completed', async () => (await q.getJobCounts('completed')).completed === N);
  times.sort((a, b) => a - b);
  // No window of 600 ms may start more than 5 jobs (processedOn is the
  // time the worker asked for the job, the limiter's window is kept by the
  // server with PEXPIRE).
  let maxInWindow = 0;
  for (let i = 0; i < times.length; i++) {
    let n = 0;
    for (let j = i; j < times.length && times[j] - times[i] < 600; j++) n++;
    maxInWindow = Math.max(maxInWindow, n);
  }
  out.rateLimited = { completed: times.length, maxInWindow, spanMs: times[times.length - 1] - times[0], at: times.map((x) => x - times[0]) };
}

// Job schedulers (repeatable jobs): every 100 ms, limited to 4 runs.
async function repeatable() {
  const q = new Queue('repeat', o());
  closers.push(() => q.close());
  let runs = 0;
  const w = new Worker('repeat', async () => { runs++; }, o());
  closers.push(() => w.close());
  await q.upsertJobScheduler('tick', { every: 100, limit: 4 }, { name: 'tick', data: {} });
  await waitFor(20000, 'repeatable jobs ran', async () => (await q.getJobCounts('completed')).completed >= 4);
  const schedulers = await q.getJobSchedulers();
  out.repeatable = { runsAtLeast4: runs >= 4, schedulers: schedulers.length, schedulerKey: schedulers[0] && schedulers[0].key };
  await q.removeJobScheduler('tick');
  out.repeatable.schedulersAfterRemove = (await q.getJobSchedulers()).length;
}

// Flows: a parent runs after its children and sees their results.
async function flows() {
  const flow = new FlowProducer(o());
  closers.push(() => flow.close());
  const q = new Queue('flow', o());
  closers.push(() => q.close());
  let parentSaw = null;
  const w = new Worker('flow', async (job) => {
    if (job.name === 'parent') {
      parentSaw = await job.getChildrenValues();
      return Object.values(parentSaw).reduce((a, b) => a + b, 0);
    }
    return job.data.n;
  }, { ...o(), concurrency: 3 });
  closers.push(() => w.close());
  const tree = await flow.add({
    name: 'parent', queueName: 'flow', data: {},
    children: [1, 2, 3].map((n) => ({ name: 'child', queueName: 'flow', data: { n } })),
  });
  await waitFor(20000, 'flow parent completed', async () => (await tree.job.getState()) === 'completed');
  const parent = await q.getJob(tree.job.id);
  out.flows = { childrenSeen: parentSaw ? Object.keys(parentSaw).length : 0, parentResult: parent.returnvalue };
}

// A job waited on by the producer (job.waitUntilFinished over QueueEvents),
// then removed, and the queue obliterated at the end.
async function waitAndClean() {
  const q = new Queue('wait', o());
  closers.push(() => q.close());
  const events = new QueueEvents('wait', o());
  closers.push(() => events.close());
  await events.waitUntilReady();
  const w = new Worker('wait', async (job) => job.data.x + 1, o());
  closers.push(() => w.close());
  const job = await q.add('w', { x: 41 }, { removeOnComplete: false });
  const result = await within(10000, 'waitUntilFinished', job.waitUntilFinished(events));
  await w.close();
  await q.obliterate({ force: true });
  const plain = new IORedis(connection);
  closers.push(() => plain.quit());
  out.waitAndClean = { result, keysLeft: (await plain.keys(prefix + ':wait:*')).length };
}

// The rest of a queue's life: pause and resume, the worker list (CLIENT
// SETNAME and CLIENT LIST), job logs, data updates, a delay changed and a
// delayed job promoted, LIFO, deduplication, metrics, clean and drain.
async function lifecycle() {
  const q = new Queue('life', o());
  closers.push(() => q.close());
  const r = {};
  await q.pause();
  r.paused = await q.isPaused();
  const w = new Worker('life', async (job) => {
    await job.log('started ' + job.name);
    await job.updateData({ ...job.data, touched: true });
    return job.name;
  }, { ...o(), name: 'lifeworker', concurrency: 1, metrics: { maxDataPoints: 60 } });
  closers.push(() => w.close());
  await w.waitUntilReady();
  await waitFor(5000, 'worker listed', async () => (await q.getWorkersCount()) === 1);
  r.workers = (await q.getWorkers()).map((c) => c.name);

  // LIFO: while paused, the last added with lifo runs first
  await q.add('first', {});
  await q.add('second', {});
  await q.add('third', {}, { lifo: true });
  // deduplication: the second add with the same id is the same job
  const d1 = await q.add('dedup', { n: 1 }, { deduplication: { id: 'same' } });
  const d2 = await q.add('dedup', { n: 2 }, { deduplication: { id: 'same' } });
  r.dedupSameJob = d1.id === d2.id;
  // a delay changed, and a delayed job promoted
  const late = await q.add('late', {}, { delay: 60000 });
  const promoted = await q.add('promoted', {}, { delay: 60000 });
  await late.changeDelay(100);
  await promoted.promote();
  r.waitingWhilePaused = (await q.getJobCounts('waiting', 'paused')).paused + (await q.getJobCounts('waiting')).waiting;
  const order = [];
  w.on('completed', (job) => order.push(job.name));
  await q.resume();
  r.pausedAfterResume = await q.isPaused();
  await waitFor(20000, 'lifecycle jobs completed', async () => (await q.getJobCounts('completed')).completed === 6);
  r.order = order;
  const anyJob = (await q.getJobs(['completed'], 0, 0))[0];
  r.logs = await q.getJobLogs(anyJob.id);
  r.touched = anyJob.data.touched === true;
  const metrics = await q.getMetrics('completed');
  r.metricsCount = metrics.count;
  // clean removes completed jobs older than the grace period; drain empties
  // the waiting list
  await w.pause();
  await q.add('drained', {});
  await q.add('drained', {});
  r.cleaned = (await q.clean(0, 100, 'completed')).length;
  await q.drain();
  r.countsAfter = await q.getJobCounts('completed', 'waiting', 'delayed', 'paused');
  out.lifecycle = r;
}

// A stalled job: one worker takes a job and never finishes it nor renews its
// lock; after the lock (a key with PX) runs out, another worker's stalled
// check moves it back and runs it.
async function stalled() {
  const q = new Queue('stalled', o());
  closers.push(() => q.close());
  const events = new QueueEvents('stalled', o());
  closers.push(() => events.close());
  await events.waitUntilReady();
  let stalledEvents = 0;
  events.on('stalled', () => stalledEvents++);
  const job = await q.add('s', { v: 1 });
  const lazy = new Worker('stalled', null, { ...o(), lockDuration: 500, skipStalledCheck: true });
  closers.push(() => lazy.close());
  const taken = await lazy.getNextJob('lazy-token');
  const takenId = taken && taken.id;
  const stateTaken = await job.getState();
  let ran = 0;
  const good = new Worker('stalled', async () => { ran++; return 'recovered'; }, { ...o(), stalledInterval: 300, lockDuration: 500 });
  closers.push(() => good.close());
  await waitFor(20000, 'stalled job recovered', async () => (await job.getState()) === 'completed');
  await waitFor(10000, 'stalled event', async () => stalledEvents > 0);
  const done = await q.getJob(job.id);
  out.stalled = { takenId, jobId: job.id, stateTaken, ran, result: done.returnvalue, stalledEvents: stalledEvents > 0 };
}

const steps = { basic, delayed, retries, priorities, rateLimited, repeatable, flows, waitAndClean, lifecycle, stalled };

async function main() {
  const only = process.argv.slice(4);
  const errors = {};
  for (const [name, fn] of Object.entries(steps)) {
    if (only.length && !only.includes(name)) continue;
    const t0 = Date.now();
    try {
      await within(45000, name, fn());
    } catch (e) {
      errors[name] = String(e && e.stack || e);
    }
    (out.ms = out.ms || {})[name] = Date.now() - t0;
  }
  out.errors = errors;
  await Promise.race([Promise.allSettled(closers.map((c) => c())), new Promise((r) => setTimeout(r, 5000))]);
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ fatal: String(e && e.stack || e) }) + '\n');
  process.exit(1);
});
