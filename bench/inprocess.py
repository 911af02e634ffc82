"""Requests made in this process through a WSGI application, as gunicorn makes them and with wrk's headers.

The bench's in-process measurements (queries, the cost breakdown) run after ``workspace.prepare_site`` has set
Django up with the site's production settings against the bench's own database. Each request is what wrk sends
(``Host`` and, signed in, the load's session cookie), and it is finished as gunicorn finishes it: the body is
read and ``close()`` is called, which sends ``request_finished``.
"""

import io
import sys
from collections.abc import Callable, Iterable
from typing import Any

from .pages import Page

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environ(page: Page, session_cookie: str | None) -> dict[str, Any]:
    from django.conf import settings

    headers = {"HTTP_HOST": "127.0.0.1"}
    if page.signed_in:
        if not session_cookie:
            raise ValueError(f"{page.label} needs the signed-in session cookie")
        headers["HTTP_COOKIE"] = f"{settings.SESSION_COOKIE_NAME}={session_cookie}"
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": page.path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **headers,
    }


def request(application: WSGIApplication, page: Page, session_cookie: str | None) -> bytes:
    """GET ``page`` once; raise unless it answers 200. Returns the body."""
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        statuses.append(status)

    response = application(environ(page, session_cookie), start_response)
    try:
        body = b"".join(response)
    finally:
        close = getattr(response, "close", None)
        if close is not None:
            close()
    if not statuses or not statuses[0].startswith("200"):
        raise RuntimeError(f"GET {page.label} answered {statuses[0] if statuses else 'nothing'} in-process")
    return body
