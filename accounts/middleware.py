"""An account due for deletion sees only the page to keep it."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect

from .paths import path_info_of


class ScheduledDeletionMiddleware:
    """Keep a signed-in person whose account is due for deletion on the page offering "Keep my account" and
    "Delete now": every other page redirects there; logging out, the confirmation "Delete now" asks for, static
    files and the health check still work.

    It costs no query of its own: without a session cookie nobody is signed in, and with one, every page loads
    the user anyway (the navigation shows who is signed in), and the mark is a column of that row.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.open_paths = {
            path_info_of(name)
            for name in (
                "account_deletion_scheduled",
                "account_logout",
                "healthz",
                # allauth's confirmation that it is the person (password, authenticator code or recovery code,
                # security key or passkey), which "Delete now" asks for first.
                "account_reauthenticate",
                "mfa_reauthenticate",
                "mfa_reauthenticate_webauthn",
            )
        }

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if settings.SESSION_COOKIE_NAME in request.COOKIES and not self.always_open(request):
            user = request.user
            if user.is_authenticated and getattr(user, "deletion_due_at", None) is not None:
                return redirect("account_deletion_scheduled")
        return self.get_response(request)

    def always_open(self, request: HttpRequest) -> bool:
        return request.path_info in self.open_paths or request.path.startswith(settings.STATIC_URL)
