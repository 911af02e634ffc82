"""gunicorn settings for production and for the end-to-end tests and benchmark."""

import gc
import multiprocessing
import os
from pathlib import Path
from typing import Any

import environ
from gunicorn.http.unreader import SocketUnreader

# Sync workers: the site is CPU-bound Django with short requests; (2 × cores) + 1 is gunicorn's advice.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
# On SIGTERM (a restart, a deploy) each worker may finish its request for this long, then is killed. A request may
# run for `timeout`: a shorter drain cut off uploads that the timeout allows, and left their partial files behind.
graceful_timeout = timeout
keepalive = 5
# Recycle workers now and then so a slow leak can never take a node down.
max_requests = 2000
max_requests_jitter = 200
# Import the app once in the master: a recycled worker is then a fork (milliseconds), not a ~1.5 s CPU
# import of Django that stalls its queued requests (bench/README.md).
preload_app = True
# gunicorn reads a request body up to 1 MiB per recv() and re-buffers the rest on every 64 KiB read Django
# makes: ~3.5 MiB of transient memory per upload and a 200 MiB body read 5x slower. Match Django's chunk.
SocketUnreader.max_body_chunk = 64 * 1024
accesslog = "-"
errorlog = "-"
# One JSON object per line, the access log's fields as fields (config/logging.py).
logger_class = "config.logging.GunicornLogger"
# X-Forwarded-Proto (the request's scheme: HTTPS redirects, secure cookies) is believed only from the proxies the site
# trusts for X-Forwarded-For too: one variable, DJANGO_TRUSTED_PROXIES, read here as config/settings.py reads it (the
# .env file included); none by default. gunicorn's own variable would let the two lists differ: refuse it.
environ.Env.read_env(Path(__file__).resolve().parent.parent / ".env")
if "GUNICORN_FORWARDED_ALLOW_IPS" in os.environ:
    raise RuntimeError("GUNICORN_FORWARDED_ALLOW_IPS is no longer read: set DJANGO_TRUSTED_PROXIES instead.")
forwarded_allow_ips = os.environ.get("DJANGO_TRUSTED_PROXIES", "")
# gunicorn's runtime control socket lives at one path per machine user (~/.gunicorn/gunicorn.ctl): a second
# instance on the machine (a staging copy, the tests' several sites) would take it from the first. Nothing
# here uses it; operators restart with signals (docs/deploy.md).
control_socket_disable = True


def when_ready(server: Any) -> None:
    """Before the first worker is forked: remove the partial uploads an earlier run's killed workers left behind
    (none of this server's workers is receiving one yet), and render the pages that are the same for every signed-out
    visitor, in the master (preload_app): every worker it forks, and every one that replaces a recycled worker, starts
    with them."""
    from accounts.uploads import remove_partial_uploads  # the app is loaded by now (preload_app)
    from web.page_cache import warm_up

    application = server.app.wsgi()
    remove_partial_uploads()
    warm_up(application)


def pre_fork(server: object, worker: object) -> None:
    """Move the preloaded app's objects out of the garbage collector's sight before each fork.

    They live as long as the worker, so collecting them is wasted work, and the collector's writes to their
    headers would copy the master's shared memory pages into every worker (Python's advice for pre-forking
    servers, `gc.freeze`).
    """
    gc.freeze()
