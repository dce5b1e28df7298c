// A BullMQ queue across a crash of the server, run by
// cmd/fastcache/apps_bullmq_test.go (TestAppBullMQCrash): jobs are added
// (each add acknowledged), workers process them, and once some are done the
// program prints "KILL" on its own line; the test then kill -9s fastcache
// (appendfsync always) and starts it again on the same port and data. The
// clients reconnect by themselves; the program waits for every job to be
// completed and prints one JSON object with what it saw.
//
// usage: node crash.js PORT
'use strict';

const { Queue, Worker } = require('bullmq');

const port = Number(process.argv[2]);
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null, retryStrategy: () => 200 };
const opts = { connection, prefix: 'crash' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const N = 300;
  const errors = [];
  const q = new Queue('jobs', opts);
  q.on('error', (e) => errors.push('queue: ' + e.message));
  const runs = new Map();
  let done = 0;
  const processor = async (job) => {
    runs.set(job.data.i, (runs.get(job.data.i) || 0) + 1);
    await sleep(5);
    done++;
    return { double: job.data.i * 2 };
  };
  const wopts = { ...opts, concurrency: 4, lockDuration: 3000, stalledInterval: 1000, maxStalledCount: 5 };
  const workers = [new Worker('jobs', processor, wopts), new Worker('jobs', processor, wopts)];
  for (const w of workers) w.on('error', (e) => errors.push('worker: ' + e.message));

  const added = [];
  for (let i = 0; i < N; i += 50) {
    const batch = [];
    for (let j = i; j < i + 50; j++) batch.push({ name: 'j', data: { i: j }, opts: { jobId: 'job-' + j } });
    added.push(...(await q.addBulk(batch)).map((j) => j.id));
  }
  while (done < 50) await sleep(5);
  process.stdout.write('KILL\n');

  // wait for every job to complete, through the outage
  const end = Date.now() + 50000;
  let counts = null;
  for (;;) {
    try {
      counts = await q.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed', 'prioritized');
      if (counts.completed === N) break;
    } catch (e) {
      // the server is down or loading: try again
    }
    if (Date.now() > end) break;
    await sleep(100);
  }
  let resultsOK = 0;
  let missing = 0;
  try {
    for (const id of added) {
      const job = await q.getJob(id);
      if (!job) missing++;
      else if (job.returnvalue && job.returnvalue.double === job.data.i * 2) resultsOK++;
    }
  } catch (e) {
    errors.push('read: ' + e.message);
  }
  const ranTwice = [...runs.values()].filter((n) => n > 1).length;
  process.stdout.write(JSON.stringify({
    added: added.length, counts, resultsOK, missing, ranAtLeastOnce: runs.size, ranTwice,
    errorsSeen: errors.length, firstErrors: errors.slice(0, 3),
  }) + '\n');
  await Promise.race([Promise.allSettled([...workers.map((w) => w.close()), q.close()]), sleep(3000)]);
  process.exit(0);
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ fatal: String((e && e.stack) || e) }) + '\n');
  process.exit(1);
});
