"""The site's own HTTP endpoints that belong to no app: the health check, and the page for a request that failed.

Every exception a request raises and nothing handles, in a view or in a middleware, reaches Django's ``handler500``,
``server_error`` here (with ``DEBUG`` off). A part the site depends on that failed for now (the database, the cache,
the CV's storage: ``web.outages``) is no bug of the site: that person gets a calm 503 page that says nothing was lost
and to try again shortly, and one line naming the part is logged. Anything else is a 500 with the same plain page as
ever.
"""

import sys
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token

from .outages import CACHE_FAULTS, failing_part, report_outage

RETRY_AFTER_SECONDS = 60
OUTAGE_REPORTED = "_outage_reported"  # set on a request once its failure is logged
HEALTH_CHECK_KEY = "healthz"
HEALTH_CACHE = "health"  # config/settings.py
CACHE_CHECK_FAULTS: tuple[type[Exception], ...] = (DatabaseError, *CACHE_FAULTS)  # the default cache may be a table


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """The page for a request that failed, with the site's name and nothing else: whatever failed (the database?) is
    not asked again. A part that failed for now is a 503 that says to try again; anything else a 500."""
    error = sys.exc_info()[1]
    context = {"site_name": settings.SITE_NAME}
    part = failing_part(error)
    if part is None:
        return HttpResponseServerError(loader.render_to_string("500.html", context))
    # A storage fault was logged where it was met (accounts.cv, with what was being done). A middleware that meets
    # the same outage on the way out (the session's save) reaches here again: the request's failure is one line.
    if part != "storage" and not getattr(request, OUTAGE_REPORTED, False):
        report_outage(request, part=part, error=error)  # type: ignore[arg-type]  # failing_part found one
        setattr(request, OUTAGE_REPORTED, True)
    response = HttpResponse(loader.render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    patch_cache_control(response, private=True, no_store=True)
    # Logged above, as an event; Django would add an ERROR line with a traceback.
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django's own flag: skip log_response()
    return response


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database takes a write and the cache answers; otherwise 503, naming the part that does not.

    A database that answers reads but cannot write (SQLite's lock held, a full disk, a read-only replica) fails every
    log-in and every save: only a committed write that changes a row tells (SQLite skips one that changes nothing).
    The write is one row of a table of its own (the ``health`` cache, made by ``migrate``), whatever ``CACHE_URL`` is.
    """
    parts = {"database": database_takes_a_write(), "cache": cache_answers()}
    healthy = all(parts.values())
    body = {"status": "ok" if healthy else "unavailable"} | {
        part: "ok" if answers else "unavailable" for part, answers in parts.items()
    }
    response = JsonResponse(body, status=200 if healthy else 503)
    # A load balancer polls this: an outage is its news, not an error report per poll.
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django's own flag: skip log_response()
    return response


def database_takes_a_write() -> bool:
    try:
        caches[HEALTH_CACHE].set(HEALTH_CHECK_KEY, time.time(), timeout=60)  # web.caches: a failed write raises
    except DatabaseError:
        return False
    return True


def cache_answers() -> bool:
    try:
        cache.set(HEALTH_CHECK_KEY, True, timeout=60)
        return cache.get(HEALTH_CHECK_KEY) is not None
    except CACHE_CHECK_FAULTS:
        return False
