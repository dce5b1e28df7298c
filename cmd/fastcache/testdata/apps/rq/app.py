"""A small RQ application, run by cmd/fastcache/apps_rq_test.go against
fastcache (and, to compare, against redis-server): jobs are enqueued, two
worker processes run them, and what a user of the queue sees is printed as one
JSON object on stdout for the Go test to check.

usage: python3 app.py PORT
"""

import json
import multiprocessing
import os
import sys
import time
import traceback
from datetime import datetime, timedelta, timezone

from redis import Redis
from rq import Queue, Retry, Worker
from rq.command import send_shutdown_command
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, FinishedJobRegistry

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tasks  # noqa: E402

PORT = int(sys.argv[1])
N = 50


def conn():
    return Redis(host="127.0.0.1", port=PORT)


def run_worker(name):
    w = Worker(["high", "default"], connection=conn(), name=name)
    w.work(with_scheduler=True, logging_level="WARNING")


def server_ms(r):
    sec, usec = r.time()
    return sec * 1000 + usec // 1000


def wait_for(what, cond, timeout=30):
    end = time.time() + timeout
    while not cond():
        if time.time() > end:
            raise TimeoutError("timed out: " + what)
        time.sleep(0.1)


def main():
    r = conn()
    out = {"errors": {}, "ms": {}}
    t0 = time.time()

    def lap(name):
        out["ms"][name] = int((time.time() - t0) * 1000)

    high = Queue("high", connection=r)
    default = Queue("default", connection=r)

    # plain jobs, on two queues
    plain = [default.enqueue(tasks.square, i) for i in range(N)]
    plain += [high.enqueue(tasks.square, i, at_front=(i % 2 == 0)) for i in range(N, N + 10)]
    # retries: one that succeeds on its third run, one that never does
    flaky = default.enqueue(tasks.flaky, "rqapp:flaky", retry=Retry(max=3))
    broken = default.enqueue(tasks.broken, retry=Retry(max=1, interval=1), on_failure=tasks.on_failure)
    # callbacks
    cb = default.enqueue(tasks.square, 7, on_success=tasks.on_success)
    # dependencies
    a = default.enqueue(tasks.square, 3)
    b = default.enqueue(tasks.square, 4)
    c = default.enqueue(tasks.add_dep_results, a.id, b.id, depends_on=[a, b])
    # scheduled jobs: in one second, and at a given time
    t_sched = server_ms(r)
    sched_in = default.enqueue_in(timedelta(seconds=1), tasks.stamp, "rqapp:stamp:in")
    sched_at = default.enqueue_at(datetime.now(timezone.utc) + timedelta(seconds=1), tasks.stamp, "rqapp:stamp:at")
    out["scheduledBefore"] = [sched_in.get_status(), sched_at.get_status()]

    names = ["w1-%d" % os.getpid(), "w2-%d" % os.getpid()]
    procs = [multiprocessing.Process(target=run_worker, args=(n,)) for n in names]
    for p in procs:
        p.start()
    try:
        wait_for("workers registered", lambda: len(Worker.all(connection=r)) == 2)
        out["workersRegistered"] = len(Worker.all(connection=r))
        lap("workersRegistered")
        everything = plain + [flaky, broken, cb, a, b, c, sched_in, sched_at]

        def settled():
            for j in everything:
                if j.get_status(refresh=True) not in (JobStatus.FINISHED, JobStatus.FAILED):
                    return False
            return True

        wait_for("all jobs settled", settled, timeout=40)
        lap("settled")

        ran = [int(r.get("rqapp:ran:" + j.id) or 0) for j in plain]
        out["plain"] = {
            "enqueued": len(plain),
            "finished": sum(1 for j in plain if j.get_status() == JobStatus.FINISHED),
            "ranOnce": sum(1 for n in ran if n == 1),
            "resultsOK": sum(1 for j in plain if j.return_value() == j.args[0] ** 2),
            "latestResultOK": sum(1 for j in plain if j.latest_result() is not None and j.latest_result().type.name == "SUCCESSFUL"),
        }
        broken.refresh()
        out["retries"] = {
            "flakyStatus": flaky.get_status(),
            "flakyResult": flaky.return_value(),
            "flakyRuns": int(r.get("rqapp:ran:" + flaky.id)),
            "brokenStatus": broken.get_status(),
            "brokenRuns": int(r.get("rqapp:ran:" + broken.id)),
            "brokenExcHasError": "always broken" in (broken.exc_info or ""),
            "failedRegistry": FailedJobRegistry(queue=default).get_job_ids(),
            "brokenId": broken.id,
        }
        # on_failure runs after each failed attempt (RQ 1.13), so compare the set
        out["callbacks"] = sorted({x.decode() for x in r.lrange("rqapp:callbacks", 0, -1)})
        out["callbacksWant"] = sorted(["success:" + cb.id, "failure:" + broken.id])
        out["dependencies"] = {"result": c.return_value(), "status": c.get_status()}
        stamps = [int(r.lrange(k, 0, -1)[0]) for k in ("rqapp:stamp:in", "rqapp:stamp:at")]
        out["scheduled"] = {
            "status": [sched_in.get_status(), sched_at.get_status()],
            # RQ keeps a job's scheduled time in whole seconds: no job may run
            # before the second after the one it was scheduled in
            "earlyMs": [max(0, (t_sched // 1000 + 1) * 1000 - s) for s in stamps],
        }
        out["finishedRegistry"] = len(FinishedJobRegistry(queue=default)) + len(FinishedJobRegistry(queue=high))
        out["queuesEmpty"] = [len(high), len(default)]
    except Exception:
        out["errors"]["main"] = traceback.format_exc()
    finally:
        # stop the workers the way an operator does: the shutdown command over pub/sub
        for n in names:
            send_shutdown_command(r, n)
        for p in procs:
            p.join(15)
        out["workersExited"] = [p.exitcode for p in procs]
        lap("workersExited")
        for p in procs:
            if p.is_alive():
                p.kill()
        out["workersAfter"] = len(Worker.all(connection=r))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
