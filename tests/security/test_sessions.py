"""The sessions page: each session by its browser's and place's names, when it was last active, "This browser" on the
current one, a "Log out" on each other one that ends that session only (and is recorded), and "last active" written
at most once every five minutes."""

import re

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client
from django.utils import timezone

from security.models import SecurityEvent
from security.session_activity import INTERVAL
from testkit.people import PASSWORD

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile "
    "Safari/537.36"
)


def logged_in(user, user_agent: str, address: str = "127.0.0.1") -> Client:
    client = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    assert client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}).status_code == 302
    return client


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def items(page: str) -> list[str]:
    """The text of each item of the list of sessions, as a person reads it."""
    main = re.split(r'<(?:form|p) class="mt-3', page.split('<ul class="list-group session-list"', 1)[1])[0]
    return [text_of(item) for item in re.split(r'<li class="list-group-item session[^"]*">', main)[1:]]


def test_each_session_is_named_by_browser_and_place_this_browser_first(user):
    phone = logged_in(user, CHROME_ANDROID, "203.0.113.7")
    laptop = logged_in(user, FIREFOX)

    page = laptop.get("/accounts/sessions/").content.decode()

    this, other = items(page)
    assert this.startswith("Firefox on Linux This browser")
    assert "IP address 127.0.0.1 (the server's own machine)" in this.replace("&#x27;", "'")
    assert "Active now" in this and "Log out" not in this
    assert other.startswith("Chrome on Android")
    assert "IP address 203.0.113.7" in other and "Last active" in other and "Logged in on" in other
    assert other.endswith("Log out")
    assert "Mozilla" not in page
    assert phone.get("/profile/").status_code == 200


def test_the_page_speaks_german_to_a_german_reader(make_user):
    user = make_user(language="de")
    logged_in(user, CHROME_ANDROID)
    laptop = logged_in(user, FIREFOX)

    this, other = items(laptop.get("/accounts/sessions/").content.decode())

    assert this.startswith("Firefox auf Linux Dieser Browser") and "Gerade aktiv" in this
    assert other.startswith("Chrome auf Android") and "Zuletzt aktiv" in other and other.endswith("Abmelden")


def test_log_out_ends_that_session_only_and_is_recorded(user):
    phone = logged_in(user, CHROME_ANDROID)
    tablet = logged_in(user, CHROME_ANDROID)
    laptop = logged_in(user, FIREFOX)
    phone_session = UserSession.objects.get(session_key=phone.session.session_key)

    response = laptop.post(f"/accounts/sessions/{phone_session.pk}/logout/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/sessions/")
    assert "The session in Chrome on Android was logged out." in laptop.get("/accounts/sessions/").content.decode()
    assert phone.get("/profile/").status_code == 302  # logged out: sent to log in
    assert tablet.get("/profile/").status_code == 200
    assert laptop.get("/profile/").status_code == 200
    assert SecurityEvent.objects.filter(user=user).latest("created_at", "pk").kind == "sessions_ended"


def test_log_out_ends_no_one_elses_session_nor_this_browsers_own(user, make_user):
    stranger = logged_in(make_user(), FIREFOX)
    laptop = logged_in(user, FIREFOX)
    theirs = UserSession.objects.get(session_key=stranger.session.session_key)
    own = UserSession.objects.get(session_key=laptop.session.session_key)

    assert laptop.post(f"/accounts/sessions/{theirs.pk}/logout/").status_code == 404
    assert laptop.post(f"/accounts/sessions/{own.pk}/logout/").status_code == 404
    assert laptop.get(f"/accounts/sessions/{theirs.pk}/logout/").status_code == 405
    assert stranger.get("/profile/").status_code == 200 and laptop.get("/profile/").status_code == 200


def test_log_out_asks_to_log_in_first(client, db):
    response = client.post("/accounts/sessions/1/logout/")
    assert response["Location"].startswith("/accounts/login/")


def test_last_active_is_written_once_every_few_minutes(user, clock, django_assert_num_queries):
    laptop = logged_in(user, FIREFOX)
    session = UserSession.objects.get(session_key=laptop.session.session_key)
    logged_in_at = session.last_seen_at

    clock.advance(INTERVAL - 60)
    laptop.get("/profile/")
    session.refresh_from_db()
    assert session.last_seen_at == logged_in_at  # within the interval: nothing written

    clock.advance(120)
    laptop.get("/profile/")
    session.refresh_from_db()
    assert session.last_seen_at == timezone.now()

    clock.advance(60)
    with django_assert_num_queries(2):  # its session and its user: the write waits for the next interval
        laptop.get("/profile/")


def test_last_active_notes_the_address_the_session_is_used_from(user, clock):
    laptop = logged_in(user, FIREFOX, "203.0.113.7")
    clock.advance(INTERVAL + 1)
    laptop.get("/profile/", REMOTE_ADDR="198.51.100.9")
    assert UserSession.objects.get(session_key=laptop.session.session_key).ip == "198.51.100.9"
