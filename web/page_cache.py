"""Signed-out pages whose markup is the same for every visitor but the CSRF token, rendered once per worker.

The log-in, sign-up and reset pages are mostly form rendering (allauth's elements, crispy's field templates:
about 4 ms of CPU each, `bench/README.md`), yet what a signed-out visitor gets from a GET differs from what the
next one gets only in the masked CSRF token of its forms. So the first such request of a worker renders the page
as usual; its markup is kept, with every CSRF token cut out, in the process's own ``pages`` cache (a
``LocMemCache``: nothing shared, no query), keyed by the host, the path with its query string and the active
language. Later visitors get that markup with a token masked for them (``get_token``, which also makes the CSRF
middleware set their cookie). Every middleware still runs on every request, so the headers (CSP, caching,
language) are theirs.

Only what is the same for everyone is kept: a GET or HEAD without a session cookie (nobody signed in) and without
a flash message to show, answered 200 with a page that added no message and set no cookie of its own. Anything
else (a POST with its errors, a signed-in person, a redirect) is rendered every time. The cache is emptied by a
restart, as the templates and translations it holds change only with a deploy; with ``DEBUG`` on it is skipped,
so template edits show at once.

``warm_up`` renders every such page in every language once, at ``SITE_URL``'s host, in gunicorn's master once it
has loaded the app (``preload_app``) and before it forks a worker (its ``when_ready`` hook, config/gunicorn.conf.py):
each worker it forks, and each one that replaces a recycled worker, starts with them, so no visitor waits for a
first rendering (tens of milliseconds: compiling templates, loading catalogues).
"""

import functools
import io
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.http.request import split_domain_port
from django.middleware.csrf import get_token
from django.urls import URLPattern, get_resolver, reverse
from django.utils import translation

logger = logging.getLogger(__name__)

CACHE_ALIAS = "pages"
# Django's {% csrf_token %} renders exactly this; the value is the one thing in the page that is the visitor's.
CSRF_INPUT = re.compile(r'(<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(">)')
VISITOR_SLOT = "\x00csrf-token\x00"  # cannot occur in rendered HTML: Django escapes nothing into NUL
View = Callable[..., HttpResponseBase]


def render_once_for_signed_out_visitors(view: View) -> View:
    """Serve ``view``'s signed-out GET page from this worker's copy, with the visitor's own CSRF token."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_the_same_for_everyone(request):
            return view(request, *args, **kwargs)
        key = cache_key(request)
        cached = caches[CACHE_ALIAS].get(key)
        if cached is not None:
            markup, headers = cached
            return HttpResponse(markup.replace(VISITOR_SLOT, get_token(request)), headers=headers)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render"):
            response.render()  # a TemplateResponse: none of the site's middleware changes one before rendering
        if isinstance(response, HttpResponse) and is_keepable(request, response):
            markup = CSRF_INPUT.sub(rf"\g<1>{VISITOR_SLOT}\g<2>", response.content.decode(response.charset))
            # The view's own headers too (allauth's never_cache: Expires, Cache-Control); its length changes.
            headers = {name: value for name, value in response.items() if name.lower() != "content-length"}
            caches[CACHE_ALIAS].set(key, (markup, headers))
        return response

    wrapper.same_for_everyone = True  # type: ignore[attr-defined]  # how warm_up finds the pages
    return wrapper


def is_the_same_for_everyone(request: HttpRequest) -> bool:
    """A signed-out GET of the page itself, no message waiting: what it shows depends on the language alone.

    With a query string (``?next=…``) the page is rendered each time: a copy per query string would let anyone
    fill the cache with ``?x=1``, ``?x=2``… and push out the pages everyone asks for.
    """
    return (
        not settings.DEBUG
        and request.method in ("GET", "HEAD")
        and not request.META.get("QUERY_STRING")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES  # the cookie storage's flash messages, shown once
    )


def is_keepable(request: HttpRequest, response: HttpResponse) -> bool:
    """A complete 200 page that left nothing for this visitor alone: no message queued, no cookie of its own."""
    if response.status_code != 200 or response.cookies:
        return False
    if getattr(get_messages(request), "_queued_messages", None):
        return False
    session = getattr(request, "session", None)
    return session is None or not session.modified


def cache_key(request: HttpRequest) -> str:
    """The host (without its port: every port of a host serves the same pages, and a copy per port would push the
    warm ones out), the language and the path."""
    host, _port = split_domain_port(request.get_host())
    return f"{host}|{translation.get_language()}|{request.path}"


def warm_up(application: WSGIHandler) -> None:
    """Render each page kept for signed-out visitors, in each language, through the whole middleware chain.

    A page that does not answer 200 is logged (``warm_up_failed``: ``SITE_URL``'s host missing from
    ``ALLOWED_HOSTS``, say) and left to be rendered by its first visitor; nothing here stops the server starting.
    """
    if settings.DEBUG or CACHE_ALIAS not in settings.CACHES:
        return  # nothing is kept (debug), or the app served is not the site (the benchmark's bare ceiling)
    site = urlsplit(settings.SITE_URL)
    statuses: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: object = None
    ) -> Callable[[bytes], object]:
        statuses.append(status)
        return len

    try:
        with translation.override(None):  # the workers forked from here start with no language active
            for path in kept_paths():
                for language, _name in settings.LANGUAGES:
                    environ = {
                        "REQUEST_METHOD": "GET",
                        "PATH_INFO": path,
                        "SERVER_NAME": site.hostname or "localhost",
                        "SERVER_PORT": str(site.port or (443 if site.scheme == "https" else 80)),
                        "HTTP_HOST": site.netloc,
                        "HTTP_ACCEPT_LANGUAGE": language,
                        "wsgi.url_scheme": site.scheme,
                        "wsgi.input": io.BytesIO(),
                        "wsgi.errors": io.StringIO(),
                    }
                    application(environ, start_response).close()  # closing sends request_finished, as gunicorn does
                    if not statuses[-1].startswith("200"):
                        logger.warning(
                            "a page kept for signed-out visitors could not be warmed up",
                            extra={
                                "event": "warm_up_failed",
                                "path": path,
                                "language": language,
                                "status": statuses[-1],
                            },
                        )
    except Exception:  # noqa: BLE001 - a cold page is slower, never a reason not to start
        logger.exception("warming up the pages kept for signed-out visitors failed", extra={"event": "warm_up_failed"})
    finally:
        connections.close_all()  # nothing the master opened may be shared with the workers it forks


def kept_paths() -> Iterator[str]:
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLPattern) and getattr(pattern.callback, "same_for_everyone", False) and pattern.name:
            yield reverse(pattern.name)
