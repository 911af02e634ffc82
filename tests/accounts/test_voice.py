"""One voice on allauth's pages, in English: "Log in", "Sign up", "Log out", and sentence case in titles, headings
and buttons (locale_overrides/en rewords allauth's strings), never "Sign In", "Sign Up", "Signup" or "Sign Out"; an
email address called an email address; no jargon ("reauthenticate", "Confirm access"); in German, "Sie" throughout
(locale_overrides/de rewords allauth's German where it says "du")."""

import re
from html import unescape

import pytest
from django.conf import settings
from django.test import Client

from testkit.people import PASSWORD
from testkit.totp import totp_code

pytestmark = pytest.mark.django_db

SIGNED_OUT_PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/login/code/",
    "/accounts/confirm-email/",
    "/accounts/password/reset/key/1-bad-key/",
    "/accounts/password/reset/key/done/",
]
SIGNED_IN_PAGES = [
    "/accounts/logout/",
    "/accounts/reauthenticate/",
    "/accounts/reauthenticate/?next=/accounts/export/",
    "/accounts/reauthenticate/?next=/accounts/email/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/2fa/",
    "/accounts/2fa/totp/activate/",
    "/accounts/2fa/webauthn/",
    "/accounts/2fa/webauthn/add/",
    "/accounts/2fa/webauthn/add/?type=security-key",
    "/accounts/sessions/",
    "/accounts/export/started/",
    "/accounts/delete/",
]
# "Sign up" is the site's word; signing in and out, allauth's capitals and its "Signup" are not.
ALLAUTHS_WORDS = re.compile(r"(?i:\bsign[ -]?(in|out)\b)|\bSign[ -]?Up\b|\b[Ss]ignup\b")
# allauth's German says "du" in places; the site says "Sie".
INFORMAL_GERMAN = re.compile(r"\b(du|dich|dir|dein|deine|deinen|deinem|deiner|deines)\b", re.IGNORECASE)
# An address is an "email address": allauth's "Current email", "Change Email", "Add Email" are not the site's words.
EMAIL_FOR_AN_ADDRESS = re.compile(r"\b(?:current|new|change|add|primary)\s+email\b(?!\s+address)", re.IGNORECASE)
# Words a person should never have to read: allauth's "reauthenticate" and its "Confirm access", which says nothing
# of what is being confirmed.
JARGON = re.compile(r"reauthenticat|confirm access", re.IGNORECASE)
SECRET_FIELD = re.compile(r'id="authenticator_secret"[^>]*?value="([A-Z2-7]+)"')
# Words that keep their capital inside a sentence.
PROPER = {"I", "CV", "IP", "TOTP", "English", "Deutsch", "OK"}


def visible_texts(page: str, tag: str) -> list[str]:
    texts = re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", page, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split()) for text in texts]


def title_cased(text: str) -> list[str]:
    """The words after the first that start with a capital and are not names: "Sign In" -> ["In"]."""
    text = text.replace(settings.SITE_NAME, "")
    words = re.findall(r"[A-Za-z][\w'-]*", text)
    return [word for word in words[1:] if word[0].isupper() and word not in PROPER]


def page_text(page: str) -> str:
    without_scripts = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", without_scripts)).split())


def assert_formal_german(path: str, page: str) -> None:
    text = page_text(page)
    assert '<html lang="de"' in page, path
    assert not INFORMAL_GERMAN.search(text), f"{path}: {INFORMAL_GERMAN.search(text).group(0)!r} in {text!r}"


def assert_one_voice(path: str, page: str) -> None:
    text = page_text(page)
    assert not ALLAUTHS_WORDS.search(text), f"{path}: {ALLAUTHS_WORDS.search(text).group(0)!r} in {text!r}"
    assert not EMAIL_FOR_AN_ADDRESS.search(text), f"{path}: {EMAIL_FOR_AN_ADDRESS.search(text).group(0)!r}"
    assert not JARGON.search(text), f"{path}: {JARGON.search(text).group(0)!r} in {text!r}"
    labels = [
        *visible_texts(page, "title"),
        *visible_texts(page, "h1"),
        *visible_texts(page, "h2"),
        *visible_texts(page, "button"),
        *re.findall(r'<input[^>]+type="submit"[^>]+value="([^"]+)"', page),
    ]
    cased = {label: title_cased(label.split(" · ")[0]) for label in labels}
    assert {label: words for label, words in cased.items() if words} == {}, path


@pytest.mark.parametrize("path", SIGNED_OUT_PAGES)
def test_allauths_signed_out_pages_speak_with_the_sites_voice(client: Client, path: str):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, path
    assert_one_voice(path, response.content.decode())
    german = client.get(path, HTTP_ACCEPT_LANGUAGE="de")
    assert_formal_german(path, german.content.decode())


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_allauths_signed_in_pages_speak_with_the_sites_voice(reauthenticated, user, path: str):
    client = reauthenticated(user)
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, path
    assert_one_voice(path, response.content.decode())
    german = client.get(path, HTTP_ACCEPT_LANGUAGE="de")
    assert_formal_german(path, german.content.decode())


def test_the_two_factor_pages_speak_with_the_sites_voice(
    reauthenticated, user, clock, django_capture_on_commit_callbacks
):
    client = reauthenticated(user)
    secret = SECRET_FIELD.search(client.get("/accounts/2fa/totp/activate/").content.decode()).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret, clock.now)})
    for path in (
        "/accounts/2fa/",
        "/accounts/2fa/recovery-codes/",
        "/accounts/2fa/recovery-codes/generate/",
        "/accounts/2fa/totp/deactivate/",
        "/accounts/2fa/reauthenticate/?next=/accounts/export/",
    ):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, path
        assert_one_voice(path, response.content.decode())
        assert_formal_german(path, client.get(path, HTTP_ACCEPT_LANGUAGE="de").content.decode())

    client.post("/accounts/logout/")
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/2fa/authenticate/"
    assert_one_voice("/accounts/2fa/authenticate/", response.content.decode())


def test_the_log_in_code_step_speaks_with_the_sites_voice(client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/login/code/", {"email": user.email}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/code/confirm/"
    assert_one_voice("/accounts/login/code/confirm/", response.content.decode())
