"""The Celery app and its tasks for app.py; the worker imports them by name.
The broker and the result backend are the server on FASTCACHE_APP_PORT."""

import os

from celery import Celery

url = "redis://127.0.0.1:%s/%s" % (os.environ["FASTCACHE_APP_PORT"], os.environ.get("FASTCACHE_APP_DB", "0"))
app = Celery("tasks", broker=url, backend=url)
app.conf.update(
    task_acks_late=True,
    worker_prefetch_multiplier=4,
    broker_connection_retry_on_startup=True,
    result_expires=600,
    task_track_started=True,
    worker_send_task_events=True,
    task_send_sent_event=True,
)


@app.task
def add(x, y):
    app.backend.client.incr("celeryapp:ran:%s" % add.request.id)
    return x + y


@app.task(bind=True, max_retries=3, default_retry_delay=0.2)
def flaky(self, key):
    """Fails on its first two runs, then succeeds."""
    n = app.backend.client.incr(key)
    if n < 3:
        raise self.retry(exc=RuntimeError("flaky run %d" % n))
    return "ok after %d" % n


@app.task
def broken():
    raise ValueError("always broken")


@app.task
def tsum(values):
    return sum(values)


@app.task
def stamp():
    import time

    return time.time()
