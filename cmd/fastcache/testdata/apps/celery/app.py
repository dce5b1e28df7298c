"""A small Celery application with the Redis broker and result backend, run
by cmd/fastcache/apps_celery_test.go against fastcache (and, to compare,
against redis-server): a worker runs in a child process, tasks are sent and
their results read back, and what a user sees is printed as one JSON object
on stdout for the Go test to check.

usage: python3 app.py PORT
"""

import json
import os
import subprocess
import sys
import time
import traceback

os.environ["FASTCACHE_APP_PORT"] = sys.argv[1]
os.environ.setdefault("FASTCACHE_APP_DB", "3")  # a numbered database, as many deployments use
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from celery import chain, chord, group  # noqa: E402

import tasks  # noqa: E402

T = 30  # seconds to wait for any one result


def main():
    out = {"errors": {}, "ms": {}}
    t0 = time.time()
    r = tasks.app.backend.client

    def lap(name):
        out["ms"][name] = int((time.time() - t0) * 1000)

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tasks", "worker", "--pool=prefork", "--concurrency=2",
         "--loglevel=WARNING", "--without-mingle", "--without-gossip", "-n", "w1@%h"],
        cwd=os.path.dirname(os.path.abspath(__file__)),
        stdout=sys.stderr,
    )
    try:
        # the worker answers a ping over the pidbox (broadcast on pub/sub,
        # replies on a list)
        end = time.time() + 30
        while True:
            pong = tasks.app.control.ping(timeout=0.5)
            if pong or time.time() > end:
                break
        out["ping"] = len(pong)
        lap("ping")

        # plain tasks
        N = 100
        results = [tasks.add.delay(i, i) for i in range(N)]
        got = [res.get(timeout=T) for res in results]
        out["plain"] = {
            "sent": N,
            "resultsOK": sum(1 for i, g in enumerate(got) if g == 2 * i),
            "ranOnce": sum(1 for res in results if int(r.get("celeryapp:ran:%s" % res.id) or 0) == 1),
            "states": sorted({res.state for res in results}),
        }
        lap("plain")

        # retries and failures
        fl = tasks.flaky.delay("celeryapp:flaky:%d" % os.getpid())
        out["flaky"] = {"result": fl.get(timeout=T), "state": fl.state}
        br = tasks.broken.delay()
        try:
            br.get(timeout=T)
            out["broken"] = {"raised": None}
        except ValueError as e:
            out["broken"] = {"raised": "ValueError", "message": str(e), "state": br.state}
        lap("retries")

        # countdown: held by the worker (in the broker's unacked set) until due
        t_sent = time.time()
        cd = tasks.stamp.apply_async(countdown=1)
        ran_at = cd.get(timeout=T)
        out["countdown"] = {"earlyMs": max(0, int((t_sent + 1 - ran_at) * 1000))}
        lap("countdown")

        # canvas: a chain, a group, a chord (the backend counts the chord's
        # parts in the server)
        out["chain"] = chain(tasks.add.s(1, 2), tasks.add.s(3), tasks.add.s(4)).apply_async().get(timeout=T)
        out["group"] = group(tasks.add.s(i, 1) for i in range(10)).apply_async().get(timeout=T)
        out["chord"] = chord(tasks.add.s(i, i) for i in range(10))(tasks.tsum.s()).get(timeout=T)
        lap("canvas")

        # revoke a task before it runs (a broadcast to the worker)
        rv = tasks.stamp.apply_async(countdown=3)
        rv.revoke()
        try:
            rv.get(timeout=T)
            out["revoked"] = "ran"
        except Exception as e:
            out["revoked"] = type(e).__name__
        lap("revoke")

        # inspect: the worker reports its registered tasks
        reg = tasks.app.control.inspect(timeout=2).registered() or {}
        out["registered"] = sorted(t for ts in reg.values() for t in ts if t.startswith("tasks."))
        lap("inspect")
    except Exception:
        out["errors"]["main"] = traceback.format_exc()
    finally:
        # stop the worker the way an operator does: the shutdown broadcast
        try:
            tasks.app.control.shutdown()
            worker.wait(20)
        except Exception:
            out["errors"]["shutdown"] = traceback.format_exc()
        out["workerExit"] = worker.poll()
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        lap("shutdown")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
