"""The right password followed by a wrong second factor: the owner is told by email (when, from where, which browser,
what to do; in their language and time zone; links from SITE_URL), at most once in a quarter of an hour, and it is a
line in their activity. And the two events of their own: a recovery code used, a log-in code emailed."""

import re
from zoneinfo import ZoneInfo

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.test import Client

from security.models import SecurityEvent
from testkit.people import PASSWORD
from testkit.totp import a_wrong_code, totp_code

pytestmark = pytest.mark.django_db

CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile "
    "Safari/537.36"
)
WARNING = "Someone knows your Vitae password"
BERLIN = ZoneInfo("Europe/Berlin")
GERMAN_MONTHS = "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split()


@pytest.fixture
def stranger() -> Client:
    return Client(HTTP_USER_AGENT=CHROME_ANDROID, REMOTE_ADDR="203.0.113.7")


@pytest.fixture
def secret(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def kinds(user) -> list[str]:
    return list(SecurityEvent.objects.filter(user=user).order_by("created_at", "pk").values_list("kind", flat=True))


def warnings_to(user) -> list:
    return [message for message in mail.outbox if message.to == [user.email] and "knows your" in message.subject]


def wrong_second_factor(client: Client, user, secret: str, clock, capture) -> None:
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    with capture(execute=True):
        client.post("/accounts/2fa/authenticate/", {"code": a_wrong_code(secret, clock.now)})


def test_the_right_password_then_a_wrong_code_warns_the_owner_by_email(
    stranger, user, secret, clock, settings, django_capture_on_commit_callbacks
):
    wrong_second_factor(stranger, user, secret, clock, django_capture_on_commit_callbacks)

    [warning] = warnings_to(user)
    assert warning.subject == WARNING
    body = warning.body
    when = SecurityEvent.objects.get(user=user, kind="password_known_warning").created_at
    assert f"When: {when.day} {when:%B %Y, %H:%M} (UTC)" in body
    assert "Where: IP address 203.0.113.7\n" in body
    assert "Browser: Chrome on Android" in body
    assert f"Change your password: {settings.SITE_URL}/accounts/password/change/" in body
    assert f"Your sessions: {settings.SITE_URL}/accounts/sessions/" in body
    [html] = [content for content, kind in warning.alternatives if kind == "text/html"]
    assert f'href="{settings.SITE_URL}/accounts/password/change/"' in html
    assert kinds(user) == ["two_factor_failed", "password_known_warning"]


def test_the_warning_is_in_the_owners_language_and_time_zone(
    stranger, make_user, clock, django_capture_on_commit_callbacks
):
    user = make_user(language="de", time_zone="Europe/Berlin")
    secret = generate_totp_secret()
    TOTP.activate(user, secret)

    wrong_second_factor(stranger, user, secret, clock, django_capture_on_commit_callbacks)

    [warning] = [message for message in mail.outbox if message.to == [user.email]]
    assert "Jemand kennt Ihr Passwort" in warning.subject
    assert "Browser: Chrome auf Android" in warning.body
    when = SecurityEvent.objects.get(user=user, kind="password_known_warning").created_at.astimezone(BERLIN)
    assert (
        f"Wann: {when.day}. {GERMAN_MONTHS[when.month - 1]} {when.year}, {when:%H:%M} (Europe/Berlin)\n" in warning.body
    )


def test_a_second_wrong_code_within_a_quarter_of_an_hour_sends_no_second_warning(
    stranger, user, secret, clock, django_capture_on_commit_callbacks
):
    wrong_second_factor(stranger, user, secret, clock, django_capture_on_commit_callbacks)
    clock.advance(10 * 60)
    wrong_second_factor(Client(REMOTE_ADDR="198.51.100.2"), user, secret, clock, django_capture_on_commit_callbacks)
    assert len(warnings_to(user)) == 1
    assert kinds(user).count("password_known_warning") == 1

    clock.advance(6 * 60)
    wrong_second_factor(stranger, user, secret, clock, django_capture_on_commit_callbacks)
    assert len(warnings_to(user)) == 2


def test_a_wrong_code_when_confirming_it_is_you_sends_no_warning(
    user, secret, clock, django_capture_on_commit_callbacks
):
    client = Client()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret, clock.now)})
    clock.advance(30)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/2fa/reauthenticate/", {"code": a_wrong_code(secret, clock.now)})

    assert warnings_to(user) == []
    assert "two_factor_failed" in kinds(user)


def test_a_recovery_code_used_to_log_in_is_an_event_of_its_own(user, secret):
    [code, *_] = RecoveryCodes.activate(user).get_unused_codes()
    client = Client()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    response = client.post("/accounts/2fa/authenticate/", {"code": code})

    assert response.status_code == 302
    assert kinds(user) == ["recovery_code_used", "signed_in_two_factor"]
    assert SecurityEvent.objects.get(user=user, kind="recovery_code_used").get_kind_display() == "Recovery code used"


def test_a_log_in_code_emailed_is_an_event_of_its_own(user, make_user, django_capture_on_commit_callbacks):
    client = Client(HTTP_USER_AGENT=CHROME_ANDROID)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/login/code/", {"email": user.email})

    assert [message.to for message in mail.outbox] == [[user.email]]
    event = SecurityEvent.objects.get(user=user)
    assert (event.kind, event.get_kind_display(), event.browser) == (
        "login_code_sent",
        "Log-in code emailed",
        "Chrome on Android",
    )


def test_a_log_in_code_asked_for_an_address_with_no_account_is_kept_nowhere(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/accounts/login/code/", {"email": "nobody@example.com"})
    assert not SecurityEvent.objects.exists()


def test_the_activity_page_speaks_of_logging_in_and_out(client, user):
    for kind in ("signed_in_password", "signed_out", "sessions_ended", "sign_in_failed"):
        SecurityEvent.objects.create(user=user, kind=kind)
    client.force_login(user)
    page = client.get("/accounts/activity/").content.decode()
    text = re.sub(r"<[^>]+>", " ", page.split("<main", 1)[1])
    for words in ("Logged in with your password", "Logged out", "Logged out other sessions", "Failed log-in"):
        assert words in text
    assert not re.search(r"(?i)\bsign(ed)?[ -]?(in|out)\b", text)
