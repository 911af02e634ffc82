"""A person's time zone: guessed from the browser at sign-up (UTC when it is not a zone), chosen on the profile, active
on every signed-in page at no extra query, and the zone of the times in their emails; one date format per language."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from security.models import SecurityEvent
from testkit.people import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long new password 47"


def sign_up(client: Client, email: str, **extra: str):
    return client.post(
        "/accounts/signup/", {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, **extra}
    )


@pytest.mark.parametrize(
    ("sent", "saved"),
    [
        ({"time_zone": "Europe/Berlin"}, "Europe/Berlin"),
        ({"time_zone": "America/Argentina/Buenos_Aires"}, "America/Argentina/Buenos_Aires"),
        ({"time_zone": "Mars/Olympus_Mons"}, "UTC"),
        ({"time_zone": "x" * 5000}, "UTC"),
        ({"time_zone": ""}, "UTC"),
        ({}, "UTC"),
    ],
)
def test_the_sign_up_keeps_the_browsers_time_zone_or_utc(client, sent, saved):
    response = sign_up(client, "new@example.com", **sent)

    assert response.status_code == 302
    assert User.objects.get(email="new@example.com").time_zone == saved


def test_the_sign_up_page_is_the_same_for_every_visitor_and_brings_its_script(client):
    first = Client().get("/accounts/signup/").content.decode()
    second = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/signup/").content.decode()

    field = re.search(r'<input type="hidden" name="time_zone"[^>]*>', first).group(0)
    assert "value=" not in field and "data-time-zone-guess" in field
    assert re.search(r'<script src="/static/js/time-zone-guess[^"]*\.js" defer></script>', first)
    assert re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", first) == re.sub(
        r'name="csrfmiddlewaretoken" value="[^"]+"', "", second
    )


def test_the_profile_offers_time_zones_by_region_with_their_offsets(client, make_user):
    user = make_user(time_zone="Europe/Berlin")
    client.force_login(user)

    page = client.get("/profile/edit/").content.decode()

    assert re.search(r'<label\s+for="id_time_zone"[^>]*>\s*Time zone\s*</label>', page)
    select = re.search(r'<select name="time_zone"[^>]*>(.*?)</select>', page, re.S).group(1)
    groups = re.findall(r'<optgroup label="([^"]+)">', select)
    assert groups[:3] == ["Europe", "America", "Asia"]
    assert re.search(r'<option value="Europe/Berlin" selected>Berlin \(UTC\+0[12]:00\)</option>', select)
    assert re.search(r'<option value="Asia/Kolkata">Kolkata \(UTC\+05:30\)</option>', select)
    assert '<option value="UTC">UTC</option>' in select
    assert "Etc/GMT" not in select and "US/Eastern" not in select


def test_the_profile_saves_a_chosen_time_zone_and_refuses_an_unknown_one(client, user):
    client.force_login(user)
    response = client.post("/profile/edit/", {"first_name": "Ada", "language": "en", "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.time_zone == "Asia/Tokyo"

    response = client.post("/profile/edit/", {"first_name": "Ada", "language": "en", "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.time_zone == "Asia/Tokyo"


def test_german_speakers_get_german_region_names(client, make_user):
    client.force_login(make_user(language="de"))
    page = client.get("/profile/edit/").content.decode()
    assert re.search(r'<label\s+for="id_time_zone"[^>]*>\s*Zeitzone\s*</label>', page)
    assert '<optgroup label="Europa">' in page and '<optgroup label="Amerika">' in page


def test_a_signed_in_page_shows_times_in_the_persons_zone(client, make_user):
    user = make_user(time_zone="Asia/Kolkata")
    SecurityEvent.objects.create(
        user=user, kind="password_changed", created_at=datetime(2026, 12, 7, 20, 0, tzinfo=ZoneInfo("UTC"))
    )
    client.force_login(user)

    page = client.get("/accounts/activity/").content.decode()

    assert ">8 December 2026, 01:30</time>" in page  # 20:00 UTC is 01:30 the next day in India
    assert "Times are in your time zone, Asia/Kolkata" in page


def test_a_zone_does_not_follow_the_thread_to_the_next_visitor(client, make_user):
    """One worker thread serves one person after another: a visitor sees UTC whoever came before."""
    kolkata = Client()
    kolkata.force_login(make_user(time_zone="Asia/Kolkata"))
    utc = make_user()
    SecurityEvent.objects.create(
        user=utc, kind="password_changed", created_at=datetime(2026, 12, 7, 20, 0, tzinfo=ZoneInfo("UTC"))
    )
    kolkata.get("/profile/")
    client.force_login(utc)
    assert ">7 December 2026, 20:00</time>" in client.get("/accounts/activity/").content.decode()


def test_the_zone_costs_no_query(client, make_user, django_assert_max_num_queries):
    client.force_login(make_user(time_zone="Europe/Berlin"))
    with django_assert_max_num_queries(2):  # its session and its user, as tests/test_query_budgets.py
        assert client.get("/profile/").status_code == 200


@pytest.mark.parametrize(
    ("language", "joined"),
    [("en", "Member since 7 December 2026"), ("de", "Mitglied seit 7. Dezember 2026")],
)
def test_one_date_format_per_language(client, make_user, language, joined):
    user = make_user(language=language)
    User.objects.filter(pk=user.pk).update(date_joined=datetime(2026, 12, 7, 12, tzinfo=ZoneInfo("UTC")))
    client.force_login(user)
    text = " ".join(re.sub(r"<[^>]+>", " ", client.get("/profile/").content.decode()).split())
    assert joined in text


def test_the_deletion_email_gives_the_date_in_the_recipients_zone(
    client, make_user, password_confirmed, deferring_tasks, queued_emails
):
    user = make_user(language="de", time_zone="America/New_York")
    client.force_login(user)
    password_confirmed(client)
    client.post("/accounts/delete/", {"action": "schedule"})

    due = User.objects.get(pk=user.pk).deletion_due_at.astimezone(ZoneInfo("America/New_York"))
    [message] = [m for m in queued_emails() if "gelöscht" in m.subject]
    assert f"{due.day}. " in message.subject
    assert f"{due:%H:%M} (America/New_York)" in message.body


def test_allauths_notices_give_the_time_in_the_zone_and_the_browser_in_the_language(
    make_user, django_capture_on_commit_callbacks
):
    user = make_user(language="de", time_zone="Asia/Tokyo")
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/accounts/password/change/",
            {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )

    [notice] = [m for m in mail.outbox if m.to == [user.email]]
    [html] = [content for content, kind in notice.alternatives if kind == "text/html"]
    for part in (notice.body, html):
        assert "Browser: Firefox auf Linux" in part
        assert "(Asia/Tokyo)" in part


@pytest.mark.parametrize("value", ["Europe/Berlin", "UTC", "Mars/Olympus", "", None])
def test_the_zones_select_is_djangos_markup(value):
    """TimeZoneSelect joins options rendered once; Django renders each through a template. Same markup."""
    from django import forms
    from django.test.html import parse_html

    from accounts.time_zones import TimeZoneSelect, time_zone_choices

    choices = time_zone_choices()
    attrs = {"id": "id_time_zone", "class": "form-select", "aria-describedby": "id_time_zone_helptext"}
    ours = TimeZoneSelect(choices=choices).render("time_zone", value, attrs=attrs)
    djangos = forms.Select(choices=list(choices)).render("time_zone", value, attrs=attrs)

    assert parse_html(ours) == parse_html(djangos)
    assert ours.count(" selected") == (value in ("Europe/Berlin", "UTC"))


def test_the_choices_are_built_once_per_language_and_quarter_hour():
    from django.utils import translation

    from accounts.time_zones import time_zone_choices

    quarter = datetime(2026, 12, 7, 12, 15, tzinfo=ZoneInfo("UTC"))
    first = time_zone_choices(now=quarter)
    assert time_zone_choices(now=quarter.replace(minute=29, second=59)) is first
    assert time_zone_choices(now=quarter.replace(minute=30)) is not first
    with translation.override("de"):
        assert time_zone_choices(now=quarter) is not first
        assert dict(time_zone_choices(now=quarter))["Europa"]


def test_an_offset_changes_with_the_clock_change_it_follows():
    from accounts.time_zones import time_zone_choices

    def berlin(now: datetime) -> str:
        return dict(dict(time_zone_choices(now=now))["Europe"])["Europe/Berlin"]

    # Berlin moves from UTC+01:00 to UTC+02:00 at 01:00 UTC on 28 March 2027; Kathmandu's +05:45 never moves.
    assert berlin(datetime(2027, 3, 28, 0, 59, 59, tzinfo=ZoneInfo("UTC"))) == "Berlin (UTC+01:00)"
    assert berlin(datetime(2027, 3, 28, 1, 0, tzinfo=ZoneInfo("UTC"))) == "Berlin (UTC+02:00)"
    asia = dict(dict(time_zone_choices(now=datetime(2027, 3, 28, tzinfo=ZoneInfo("UTC"))))["Asia"])
    assert asia["Asia/Kathmandu"] == "Kathmandu (UTC+05:45)"
