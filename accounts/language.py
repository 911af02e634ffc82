"""A person's language, its whole life: the choice saved on their account, spoken on every page they see signed in,
kept in the browser's cookie for when they are signed out, and the language of every email to them.

The site speaks ``settings.LANGUAGES``. A signed-in person's saved language wins over the cookie and the browser
(``AccountLanguageMiddleware``); a visitor gets Django's choice (the ``set_language`` cookie, else the browser's
Accept-Language). The choice is saved at sign-up (the page's language), on the profile, and by the footer's switch.
"""

from collections.abc import Callable

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponseBase
from django.utils import translation

from .models import User
from .paths import path_info_of


def supported_language(code: str | None) -> str:
    """``code`` if it is one of the site's languages (settings.LANGUAGES), else blank (not known)."""
    return code if code in dict(settings.LANGUAGES) else ""


def save_choice(user: AbstractBaseUser | AnonymousUser, language: str) -> None:
    """Keep a signed-in person's choice on their account (one column, only when it changes), so that the site and
    every email speak it on any browser; nothing for a visitor or a language the site does not speak."""
    if isinstance(user, User) and supported_language(language) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def speak(request: HttpRequest, response: HttpResponseBase, language: str) -> None:
    """Speak ``language`` from now on: in what is left of this request (its message), and in this browser once the
    person has logged out (Django's language cookie, as ``set_language`` sets it)."""
    translation.activate(language)
    request.LANGUAGE_CODE = language
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def recipient_language(email: str, user: object = None) -> str | None:
    """The language an email to ``email`` is written in: its account's saved one, else the active one (the request's).

    Most of allauth's emails carry their user; a log-in code does not, so its account is found by the address. An
    address with no account (a reset or sign-up for an unknown one) gets the active language: the request's.
    """
    if isinstance(user, User):
        return user.language or None
    # The address it signed up with, else one it verified (a code may go to either; an unverified one is nobody's).
    language = User.objects.filter(email=email).values_list("language", flat=True).first()
    if language is None:
        address = EmailAddress.objects.filter(email=email, verified=True).values_list("user__language", flat=True)
        language = address.first()
    return language or None


class AccountLanguageMiddleware:
    """Speak a signed-in person's saved language, whatever their browser or cookie says (LocaleMiddleware's choice
    stays for everyone else, and for an account that has not chosen one yet).

    It costs no query: a request without a session cookie has nobody signed in and is left alone (its user is never
    loaded), and with one every page loads the user anyway, of which the language is a column. Listed after
    AuthenticationMiddleware (it reads the user) and LocaleMiddleware (it overrides it).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.health_check = path_info_of("healthz")

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # The health check answers with one query, whoever polls it (a load balancer, a signed-in browser).
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.path_info != self.health_check:
            language = supported_language(getattr(request.user, "language", ""))
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)
