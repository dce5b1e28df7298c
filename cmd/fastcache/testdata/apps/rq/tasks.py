"""Job functions for app.py; the RQ workers import them by name."""

from rq import get_current_job


def _count():
    # each run of a job bumps its own counter, so the app can tell a job
    # that ran twice from one that ran once
    job = get_current_job()
    job.connection.incr("rqapp:ran:" + job.id)
    return job


def square(x):
    _count()
    return x * x


def flaky(key):
    """Fails on its first two runs, then succeeds."""
    job = _count()
    n = job.connection.incr(key)
    if n < 3:
        raise RuntimeError("flaky run %d" % n)
    return "ok after %d" % n


def broken():
    _count()
    raise ValueError("always broken")


def stamp(key):
    """Records when it ran (the server's clock, as RQ's scheduler uses)."""
    job = _count()
    sec, usec = job.connection.time()
    job.connection.rpush(key, "%d" % (sec * 1000 + usec // 1000))
    return key


def add_dep_results(a_id, b_id):
    """Runs after its dependencies and sums their results."""
    from rq.job import Job

    job = _count()
    a = Job.fetch(a_id, connection=job.connection)
    b = Job.fetch(b_id, connection=job.connection)
    return a.result + b.result


def on_success(job, connection, result, *args, **kwargs):
    connection.rpush("rqapp:callbacks", "success:" + job.id)


def on_failure(job, connection, type, value, traceback):
    connection.rpush("rqapp:callbacks", "failure:" + job.id)
