"""Responses that belong to one visitor are never cached."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
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
