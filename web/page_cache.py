"""Pages whose markup is the same for many requests but the CSRF token, rendered once per worker and kept.

**Signed-out pages.** The log-in, sign-up and reset pages are mostly form rendering (allauth's elements, crispy's
field templates: about 4 ms of CPU each, `bench/README.md`), yet what a signed-out visitor gets from a GET differs
from what the next one gets only in the masked CSRF token of its forms. So the first such request of a worker
renders the page as usual; its markup is kept, with every CSRF token cut out, in the process's own ``pages`` cache
(a ``LocMemCache``: nothing shared, no query), keyed by the host, the path and the active language. Later visitors
get that markup with a token masked for them (``get_token``, which also makes the CSRF middleware set their
cookie). Every middleware still runs on every request, so the headers (CSP, caching, language) are theirs.

**A signed-in person's own pages** (the profile and its form): what they show is the person's row and nothing
else, so the page a person got is the page they get again until that row changes. Every signed-in request loads
the row anyway (the navigation shows who is signed in), so the key carries a digest of all of it (names, address,
language, time zone, CV, password hash, everything): a change made anywhere (this form, the admin, another worker,
a script) is a new key, and the old copy is never served again. The copies sit in the per-process ``people``
cache, which holds nothing across processes and culls the oldest past its size.

Only a copy that is right for the next request is kept: a GET or HEAD without a query string and without a flash
message waiting, answered 200 with a page that added no message, set no cookie and changed no session. Anything else
(a POST with its errors, a redirect, ``?next=``) is rendered every time. The caches are emptied by a restart, as the
templates and translations they hold change only with a deploy; with ``DEBUG`` on nothing is kept, so template
edits show at once.

``warm_up`` renders every signed-out page in every language once, at ``SITE_URL``'s host, in gunicorn's master once
it has loaded the app (``preload_app``) and before it forks a worker (its ``when_ready`` hook,
config/gunicorn.conf.py): each worker it forks, and each one that replaces a recycled worker, starts with them, so
no visitor waits for a first rendering (tens of milliseconds: compiling templates, loading catalogues). It also
prepares what a signed-in person's first page in a worker is made of (``prepare_signed_in_pages``).
"""

import functools
import hashlib
import io
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.http.request import split_domain_port
from django.middleware.csrf import get_token
from django.template import engines
from django.urls import URLPattern, get_resolver, reverse
from django.utils import translation

from accounts.time_zones import time_zone_choices
from security.browsers import name_of_user_agent

logger = logging.getLogger(__name__)

CACHE_ALIAS = "pages"
PEOPLE_CACHE_ALIAS = "people"
# Django's {% csrf_token %} renders exactly this; the value is the one thing in the page that is the visitor's.
CSRF_INPUT = re.compile(r'(<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(">)')
VISITOR_SLOT = "\x00csrf-token\x00"  # cannot occur in rendered HTML: Django escapes nothing into NUL
View = Callable[..., HttpResponseBase]
KeyOf = Callable[[HttpRequest], str | None]


def keep_rendered(view: View, *, alias: str, key_of: KeyOf) -> View:
    """Serve ``view``'s page from this worker's copy under ``key_of(request)``, with the visitor's own CSRF token;
    render it (and keep the copy, if it is right for the next request) when there is none, or when the key is None.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        key = key_of(request) if is_a_plain_get(request) else None
        if key is None:
            return view(request, *args, **kwargs)
        cached = caches[alias].get(key)
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
            caches[alias].set(key, (markup, headers))
        return response

    return wrapper


def render_once_for_signed_out_visitors(view: View) -> View:
    """Serve ``view``'s signed-out GET page from this worker's copy, with the visitor's own CSRF token."""
    wrapper = keep_rendered(view, alias=CACHE_ALIAS, key_of=signed_out_key)
    wrapper.same_for_everyone = True  # type: ignore[attr-defined]  # how warm_up finds the pages
    return wrapper


def render_once_per_version_of_the_person(
    view: View, *, varies_with: Callable[[HttpRequest], str] | None = None
) -> View:
    """Serve a signed-in person's GET of ``view`` from this worker's copy for the current version of their row.

    Only for a page that shows nothing but the person's row, the rows whose every change raises its revision
    (accounts/revisions.py) and what is the same for everyone: its key knows nothing else. ``varies_with(request)``
    names whatever else the page shows (the time zones' offsets this quarter hour, "this browser" and the minute a
    "5 minutes ago" is true in): its value goes into the key.
    """
    return keep_rendered(view, alias=PEOPLE_CACHE_ALIAS, key_of=lambda request: person_key(request, varies_with))


def is_a_plain_get(request: HttpRequest) -> bool:
    """A GET of the page itself: what it shows depends on who asks and in which language, nothing else.

    With a query string (``?next=…``) the page is rendered each time: a copy per query string would let anyone
    fill the cache with ``?x=1``, ``?x=2``… and push out the pages everyone asks for.
    """
    return not settings.DEBUG and request.method in ("GET", "HEAD") and not request.META.get("QUERY_STRING")


def signed_out_key(request: HttpRequest) -> str | None:
    """The host (without its port: every port of a host serves the same pages, and a copy per port would push the
    warm ones out), the language and the path; None for anyone with a session or a flash message to see."""
    if settings.SESSION_COOKIE_NAME in request.COOKIES or message_waiting(request):
        return None
    return f"{host_of(request)}|{translation.get_language()}|{request.path}"


def person_key(request: HttpRequest, varies_with: Callable[[HttpRequest], str] | None) -> str | None:
    """The signed-in person and a digest of their whole row (its revision included), the host, language and path,
    and ``varies_with(request)``; None for anyone signed out or with a flash message to see."""
    user = request.user
    if not user.is_authenticated or message_waiting(request):
        return None
    row = repr([getattr(user, field.attname) for field in user._meta.concrete_fields])
    version = hashlib.blake2b(row.encode(), digest_size=16).hexdigest()
    also = varies_with(request) if varies_with else ""
    return f"{user.pk}|{version}|{host_of(request)}|{translation.get_language()}|{request.path}|{also}"


def message_waiting(request: HttpRequest) -> bool:
    """A flash message to show: in its cookie, or where the cookie's overflow goes, the session (FallbackStorage). A
    cookie sent empty is one the site deleted, which some clients send back once."""
    if request.COOKIES.get(CookieStorage.cookie_name):
        return True
    return settings.SESSION_COOKIE_NAME in request.COOKIES and SessionStorage.session_key in request.session


def host_of(request: HttpRequest) -> str:
    host, _port = split_domain_port(request.get_host())
    return host


def is_keepable(request: HttpRequest, response: HttpResponse) -> bool:
    """A complete 200 page that left nothing for this visitor alone: no message queued, no cookie of its own."""
    if response.status_code != 200 or response.cookies:
        return False
    if getattr(get_messages(request), "_queued_messages", None):
        return False
    session = getattr(request, "session", None)
    return session is None or not session.modified


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
        prepare_signed_in_pages()
    except Exception:  # noqa: BLE001 - a cold page is slower, never a reason not to start
        logger.exception("warming up the pages failed", extra={"event": "warm_up_failed"})
    finally:
        connections.close_all()  # nothing the master opened may be shared with the workers it forks


def prepare_signed_in_pages() -> None:
    """What every signed-in page's first rendering in a worker would otherwise pay (25-55 ms, which showed in the
    pages' p99 at each worker's recycling): the site's templates compiled, the time zone choices of this quarter hour
    in each language, the browser-name rules for the common browsers. A person's own page cannot be rendered before
    they ask for it, but everything it is made of can."""
    engine = engines["django"].engine  # type: ignore[attr-defined]
    for folder in engine.dirs:
        for path in sorted(Path(folder).rglob("*")):
            if path.suffix in (".html", ".txt") and path.is_file():
                engine.get_template(path.relative_to(folder).as_posix())
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            time_zone_choices()
    for user_agent in COMMON_USER_AGENTS:
        name_of_user_agent(user_agent)


COMMON_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
)


def kept_paths() -> Iterator[str]:
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLPattern) and getattr(pattern.callback, "same_for_everyone", False) and pattern.name:
            yield reverse(pattern.name)
