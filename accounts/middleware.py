"""Responses that belong to one visitor are never cached; an account due for deletion sees only the page to keep it;
a signed-in person is spoken to in their saved language."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control


class PrivateResponsesMiddleware:
    """Mark every response that belongs to one visitor ``Cache-Control: private, no-store``.

    A response belongs to one visitor when the request carries their session cookie (a signed-in person:
    profile, allauth's pages, deletion, export, downloads, the admin), or when it sets a cookie: a session
    (a log-in), the CSRF token a form embeds (the page then holds that visitor's secret), a flash message.
    A shared cache must not store those, nor replay their ``Set-Cookie`` to someone else; and a browser
    must not show a signed-in page from its cache after the person has logged out.

    Everything else stays cacheable; since every page's footer holds the language switch (a POST form to
    Django's ``set_language``, so with a CSRF token), that is the signed-out responses without a page:
    redirects, static files. The decision reads cookies only: it
    never loads the session or the user, so it costs no query. Listed before the session, CSRF and message
    middleware, it sees the cookies they set; after WhiteNoise, so static files keep their long caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES or response.cookies:
            patch_cache_control(response, private=True, no_store=True)
        return response


class ScheduledDeletionMiddleware:
    """Keep a signed-in person whose account is due for deletion on the page offering "Keep my account" and
    "Delete now": every other page redirects there; logging out, static files and the health check still work.

    It costs no query of its own: without a session cookie nobody is signed in, and with one, every page loads
    the user anyway (the navigation shows who is signed in), and the mark is a column of that row.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if settings.SESSION_COOKIE_NAME in request.COOKIES and not self.always_open(request.path):
            user = request.user
            if user.is_authenticated and getattr(user, "deletion_due_at", None) is not None:
                return redirect("account_deletion_scheduled")
        return self.get_response(request)

    @staticmethod
    def always_open(path: str) -> bool:
        open_paths = {reverse("account_deletion_scheduled"), reverse("account_logout"), reverse("healthz")}
        return path in open_paths or path.startswith(settings.STATIC_URL)


class AccountLanguageMiddleware:
    """Speak a signed-in person's saved language, whatever their browser or cookie says (LocaleMiddleware's choice
    stays for everyone else, and for an account that has not chosen one yet).

    Like ScheduledDeletionMiddleware it costs no query: a request without a session cookie has nobody signed in and
    is left alone (its user is never loaded), and with one every page loads the user anyway, of which the language
    is a column. Listed after AuthenticationMiddleware (it reads the user) and LocaleMiddleware (it overrides it).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # The health check answers with one query, whoever polls it (a load balancer, a signed-in browser).
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.path != reverse("healthz"):
            language = getattr(request.user, "language", "")
            if language and language in dict(settings.LANGUAGES):
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)
