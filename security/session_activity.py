"""When each signed-in session was last active, for the sessions page: noted at most once every few minutes.

allauth's own tracking (``USERSESSIONS_TRACK_ACTIVITY``) writes the session's row on every request: every signed-in
page would pay a write. Here the session itself remembers when its row was last written (one number in the session,
which every signed-in page loads anyway), so a request within ``INTERVAL`` of that write costs nothing, and the one
after it costs an update of the row and of the session. "Last active" is then true to within ``INTERVAL``.
"""

import time
from collections.abc import Callable

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import SESSION_KEY as SIGNED_IN_KEY
from django.http import HttpRequest, HttpResponseBase
from django.urls import get_resolver
from django.utils import timezone

from .clients import client_ip

INTERVAL = 5 * 60  # seconds
NOTED_AT_KEY = "security.session_active_at"


def note_signed_in(request: HttpRequest) -> None:
    """A session that just logged in was written just now (allauth's row for it is new): nothing to note for a while."""
    request.session[NOTED_AT_KEY] = int(time.time())


def note_activity(request: HttpRequest) -> bool:
    """Write that the request's session is active, and from which address, unless it was written in the last
    ``INTERVAL`` seconds; True if it wrote."""
    session = request.session
    if SIGNED_IN_KEY not in session or session.session_key is None:
        return False
    now = time.time()
    noted_at = session.get(NOTED_AT_KEY)
    if isinstance(noted_at, int) and 0 <= now - noted_at < INTERVAL:
        return False
    changes: dict[str, object] = {"last_seen_at": timezone.now()}
    if ip := client_ip(request):
        changes["ip"] = ip
    UserSession.objects.filter(session_key=session.session_key).update(**changes)
    session[NOTED_AT_KEY] = int(now)
    return True


class SessionActivityMiddleware:
    """Note, after each signed-in request, that its session is active (``note_activity``: at most once per INTERVAL).

    Without a session cookie nobody is signed in and nothing is read. Listed after SessionMiddleware, so the session it
    changes is saved, and after the view, so a log-in or log-out in it has had its say.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.health_check = "/" + get_resolver().reverse("healthz")  # as path_info has it; reversed once

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # The health check answers with one query, whoever polls it.
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.path_info != self.health_check:
            note_activity(request)
        return response
