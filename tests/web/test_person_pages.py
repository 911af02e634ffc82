"""A signed-in person's own pages, kept per worker for the current version of their row (web/page_cache.py).

The one rule: a kept page is served only while it is exactly what a fresh rendering would show the same person in
the same session, but for the CSRF token. Each test below changes one thing a page shows, in the way the site or
anyone else would change it, and compares what is served with a rendering made then from nothing.
"""

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.usersessions.models import UserSession
from django.core.cache import caches
from django.db import connection
from django.test import Client

from accounts.models import User
from security.models import SecurityEvent
from testkit.people import PASSWORD

PERSON_PAGES = [
    "/profile/",
    "/profile/edit/",
    "/accounts/email/",
    "/accounts/2fa/",
    "/accounts/sessions/",
    "/accounts/activity/",
]
TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+')


def tokens(page: str) -> list[str]:
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False  # with DEBUG on nothing is kept
    return settings


def without_tokens(page: str) -> str:
    return TOKEN.sub(r"\1", page)


def fresh(client: Client, path: str) -> str:
    """What the page shows this client when nothing is kept."""
    caches["people"].clear()
    response = client.get(path)
    assert response.status_code == 200 and response.templates
    return without_tokens(response.content.decode())


def signed_in(user: User) -> Client:
    """A browser logged in through allauth's form, as a person logs in (their session's row, its event), with the
    log-in's message seen."""
    client = Client()
    assert client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}).status_code == 302
    client.get("/profile/")  # shows the "Successfully signed in" message, as the page after the log-in does
    caches["people"].clear()
    return client


@pytest.mark.parametrize("path", PERSON_PAGES)
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_second_visit_is_the_kept_page_with_a_fresh_token_and_no_query_beyond_session_and_user(
    make_user, path, language, django_assert_num_queries
):
    client = signed_in(make_user(language=language))
    first = client.get(path)
    assert first.status_code == 200 and first.templates

    with django_assert_num_queries(2):  # the session and the person's row; nothing of the page's own
        second = client.get(path)

    assert not second.templates  # served from the worker's copy
    first_page, second_page = first.content.decode(), second.content.decode()
    assert without_tokens(first_page) == without_tokens(second_page)
    assert tokens(first_page) and not set(tokens(first_page)) & set(tokens(second_page))
    assert f'<html lang="{language}"' in second_page
    assert {"private", "no-store"} <= {part.strip() for part in second["Cache-Control"].split(",")}


@pytest.mark.parametrize("path", PERSON_PAGES)
def test_nobody_is_served_another_persons_page(make_user, path):
    ada, bob = signed_in(make_user(first_name="Ada")), signed_in(make_user(first_name="Ada"))
    ada.get(path)
    response = bob.get(path)
    assert response.templates  # rendered for Bob, never Ada's copy
    assert not ada.get(path).templates  # while Ada's is still hers


def test_a_token_from_a_kept_page_saves_the_form(user):
    client = Client(enforce_csrf_checks=True)
    client.login(email=user.email, password=PASSWORD)
    client.get("/profile/edit/")
    page = client.get("/profile/edit/")
    assert not page.templates
    token = tokens(page.content.decode())[0]
    response = client.post(
        "/profile/edit/",
        {"first_name": "Ada", "last_name": "", "language": "en", "time_zone": "UTC", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).first_name == "Ada"


def change_the_row_behind_the_sites_back(user: User) -> None:
    """As the admin, another worker or a script would: nothing of this process hears of it."""
    User.objects.filter(pk=user.pk).update(first_name="Zed", time_zone="Asia/Tokyo")


def add_an_address(user: User) -> None:
    EmailAddress.objects.create(user=user, email="second@example.com", verified=False)


def remove_the_added_address(user: User) -> None:
    with connection.cursor() as cursor:  # raw SQL: no model, no signal
        cursor.execute("DELETE FROM account_emailaddress WHERE email = %s", ["second@example.com"])


def turn_on_recovery_codes(user: User) -> None:
    RecoveryCodes.activate(user)


def log_in_elsewhere(user: User) -> None:
    signed_in(user)


def note_a_password_change(user: User) -> None:
    SecurityEvent.objects.create(user=user, kind="password_changed")


def mark_every_session_seen_long_ago(user: User) -> None:
    UserSession.objects.filter(user=user).update(last_seen_at=datetime(2026, 1, 1, tzinfo=UTC))


# Each page, and a change to what it shows (True) or to the row it is kept for but does not show (False).
CHANGES: list[tuple[str, Callable[[User], None], bool]] = [
    *(
        (path, change_the_row_behind_the_sites_back, path not in ("/accounts/email/", "/accounts/2fa/"))
        for path in PERSON_PAGES
    ),
    ("/accounts/email/", add_an_address, True),
    ("/accounts/2fa/", turn_on_recovery_codes, True),
    ("/accounts/sessions/", log_in_elsewhere, True),
    ("/accounts/sessions/", mark_every_session_seen_long_ago, True),
    ("/accounts/activity/", note_a_password_change, True),
]


@pytest.mark.parametrize(("path", "change", "shown"), CHANGES, ids=lambda value: getattr(value, "__name__", value))
def test_a_change_shows_on_the_next_visit(make_user, path, change, shown):
    user = make_user()
    signed_in(user)  # another browser: the sessions page lists it, with when it was last active
    client = signed_in(user)
    before = without_tokens(client.get(path).content.decode())
    assert not client.get(path).templates  # kept

    change(user)
    response = client.get(path)

    assert response.templates  # rendered again, not the copy from before
    after = without_tokens(response.content.decode())
    assert (after != before) is shown
    assert after == fresh(client, path)


def test_an_address_added_and_removed_again_is_gone_at_once(user):
    client = signed_in(user)
    client.get("/accounts/email/")
    add_an_address(user)
    assert "second@example.com" in client.get("/accounts/email/").content.decode()
    remove_the_added_address(user)  # the rows are what they were, but the revision is not
    response = client.get("/accounts/email/")
    assert response.templates and "second@example.com" not in response.content.decode()


def test_a_saved_profile_shows_its_message_once_and_then_is_kept(user):
    client = signed_in(user)
    client.get("/profile/")
    client.post("/profile/edit/", {"first_name": "Ada", "last_name": "", "language": "en", "time_zone": "UTC"})

    with_message = client.get("/profile/")
    assert with_message.templates and "Your profile was saved." in with_message.content.decode()
    again = client.get("/profile/")
    assert again.templates and "Your profile was saved." not in again.content.decode()  # not the copy with it
    assert not client.get("/profile/").templates


def test_a_page_with_a_query_string_is_rendered_each_time(user):
    client = signed_in(user)
    for _ in range(2):
        assert client.get("/accounts/activity/?page=1").templates
    assert not caches["people"]._cache  # type: ignore[attr-defined]


def test_each_session_sees_itself_as_this_browser(user):
    laptop, phone = signed_in(user), signed_in(user)
    laptop.get("/accounts/sessions/")
    page = phone.get("/accounts/sessions/")
    assert page.templates  # not the laptop's copy, which marks the laptop's session
    assert without_tokens(page.content.decode()) == fresh(phone, "/accounts/sessions/")


def test_logged_out_nothing_is_served(user):
    client = signed_in(user)
    client.get("/profile/")
    client.post("/accounts/logout/")
    response = client.get("/profile/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_the_sessions_page_is_kept_for_a_minute_at_most(user):
    with time_machine.travel(datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC), tick=False) as traveller:
        client = signed_in(user)
        client.get("/accounts/sessions/")
        traveller.shift(59)
        assert not client.get("/accounts/sessions/").templates
        traveller.shift(1)
        assert client.get("/accounts/sessions/").templates


def test_the_activity_is_kept_for_the_day_and_loses_an_event_90_days_old_at_midnight(user):
    with time_machine.travel(datetime(2026, 12, 7, 23, 0, tzinfo=UTC), tick=False) as traveller:
        old = SecurityEvent.objects.create(user=user, kind="password_changed")
        SecurityEvent.objects.filter(pk=old.pk).update(created_at=datetime(2026, 9, 8, 12, 0, tzinfo=UTC))
        client = signed_in(user)
        assert "2026" in client.get("/accounts/activity/").content.decode()
        page = client.get("/accounts/activity/").content.decode()
        assert 'datetime="2026-09-08' in page  # 90 days ago counted from this midnight

        traveller.shift(timedelta(hours=1))  # midnight: the 90 days start a day later
        response = client.get("/accounts/activity/")
        assert response.templates and 'datetime="2026-09-08' not in response.content.decode()


def test_the_profile_form_shows_the_offsets_of_its_quarter_hour(make_user):
    # Berlin moves from UTC+01:00 to UTC+02:00 at 01:00 UTC on 28 March 2027.
    with time_machine.travel(datetime(2027, 3, 28, 0, 59, tzinfo=UTC), tick=False) as traveller:
        client = signed_in(make_user(time_zone="Europe/Berlin"))
        assert "Berlin (UTC+01:00)" in client.get("/profile/edit/").content.decode()
        assert not client.get("/profile/edit/").templates
        traveller.shift(60)
        response = client.get("/profile/edit/")
        assert response.templates and "Berlin (UTC+02:00)" in response.content.decode()
