"""The site's own HTTP endpoints that belong to no app: the health check, and the page for a request that failed.

Every exception a request raises and nothing handles, in a view or in a middleware, reaches Django's ``handler500``,
``server_error`` here (with ``DEBUG`` off). A part the site depends on that failed for now (the CV's storage) is no
bug of the site: that person gets a calm 503 page that says nothing was lost and to try again shortly, and the
failure was logged once where it was met. Anything else is a 500 with the same plain page as ever.
"""

import sys

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token

from accounts.cv import CVStorageUnavailable

# Failures of a part the site depends on, not of the site: the request can succeed again in a few minutes.
TEMPORARY_FAILURES: tuple[type[BaseException], ...] = (CVStorageUnavailable,)
RETRY_AFTER_SECONDS = 60


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """The page for a request that failed, with the site's name and nothing else: whatever failed (the database?) is
    not asked again. A temporary failure is a 503 that says to try again; anything else a 500."""
    error = sys.exc_info()[1]
    context = {"site_name": settings.SITE_NAME}
    if not isinstance(error, TEMPORARY_FAILURES):
        return HttpResponseServerError(loader.render_to_string("500.html", context))
    response = HttpResponse(loader.render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    patch_cache_control(response, private=True, no_store=True)
    # The failure was logged once where it was met, as an event; Django would add an ERROR line with a traceback.
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django's own flag: skip log_response()
    return response


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers one trivial query, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        response = JsonResponse({"status": "unavailable"}, status=503)
        # A load balancer polls this: an outage is its news, not an error report per poll.
        response._has_been_logged = True  # type: ignore[attr-defined]  # Django's own flag: skip log_response()
        return response
    return JsonResponse({"status": "ok"})
