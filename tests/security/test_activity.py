"""The security activity log: each of allauth's and Django's signals records one event of the right kind, with
the client's address and visitor and nothing secret; the page, the export and the pruning command."""

import io
import json
import re
import zipfile
from datetime import datetime, timedelta

import pytest
from allauth.account import signals as account_signals
from allauth.account.internal.flows.login import record_authentication
from allauth.account.models import EmailAddress
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.sessions.middleware import SessionMiddleware
from django.core import mail
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.models import User
from security.models import SecurityEvent
from testkit.logs import recorded_events
from testkit.people import PASSWORD
from testkit.totp import a_wrong_code, totp_code

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"  # noqa: E501 (a real header, whole)
NEW_PASSWORD = "another long password 2"


@pytest.fixture
def visitor(db) -> Client:
    """A visitor in Firefox on Linux (the test client's address is 127.0.0.1)."""
    return Client(HTTP_USER_AGENT=FIREFOX)


def log_in(client: Client, email: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def kinds(user: User) -> list[str]:
    return list(SecurityEvent.objects.filter(user=user).order_by("created_at", "pk").values_list("kind", flat=True))


def latest(user: User) -> SecurityEvent:
    return SecurityEvent.objects.filter(user=user).latest("created_at", "pk")


def link_in(message, path_prefix: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}\S+)", message.body)
    assert match, message.body
    return match.group(1)


# --- Signing in and out ----------------------------------------------------------------------------


def test_a_sign_in_with_a_password_is_recorded_with_address_and_browser(visitor, user):
    assert log_in(visitor, user.email).status_code == 302
    assert kinds(user) == ["signed_in_password"]
    event = latest(user)
    assert (event.ip, event.browser) == ("127.0.0.1", "Firefox on Linux")
    assert event.get_kind_display() == "Logged in with your password"


def test_a_sign_in_with_two_factor_is_recorded_once_when_it_completes(visitor, user, clock):
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    assert log_in(visitor, user.email)["Location"] == "/accounts/2fa/authenticate/"
    assert kinds(user) == []  # the password alone has not signed anyone in

    response = visitor.post("/accounts/2fa/authenticate/", {"code": totp_code(secret, clock.now)})
    assert response.status_code == 302
    assert kinds(user) == ["signed_in_two_factor"]
    assert "device" in response.cookies  # the response of the step that completed the sign-in knows the browser


def test_a_wrong_two_factor_code_is_recorded(visitor, user, clock):
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    log_in(visitor, user.email)
    visitor.post("/accounts/2fa/authenticate/", {"code": a_wrong_code(secret, clock.now)})
    # And, since the password was right, the owner was warned (tests/security/test_known_password.py).
    assert kinds(user) == ["two_factor_failed", "password_known_warning"]


@pytest.mark.parametrize(
    ("steps", "kind"),
    [
        ([{"method": "password", "email": "x@example.com"}], "signed_in_password"),
        ([{"method": "code", "email": "x@example.com"}], "signed_in_code"),
        ([{"method": "mfa", "type": "webauthn", "passwordless": True}], "signed_in_passkey"),
        ([{"method": "password"}, {"method": "mfa", "type": "totp"}], "signed_in_two_factor"),
        ([{"method": "code"}, {"method": "mfa", "type": "recovery_codes"}], "signed_in_two_factor"),
        ([], "signed_in"),  # signed in by confirming the address just after signing up
    ],
)
def test_the_sign_in_records_how_it_was_made(user, steps, kind):
    """allauth's user_logged_in, sent as its log-in flows send it, after their authentication steps."""
    request = RequestFactory().post("/accounts/login/", HTTP_USER_AGENT=CHROME_ANDROID, REMOTE_ADDR="203.0.113.7")
    SessionMiddleware(lambda request: HttpResponse()).process_request(request)
    request.user = user
    for step in steps:
        record_authentication(request, user, **step)

    account_signals.user_logged_in.send(sender=User, request=request, response=HttpResponse(), user=user)

    assert kinds(user) == [kind]
    assert (latest(user).ip, latest(user).browser) == ("203.0.113.7", "Chrome on Android")


def test_a_sign_out_is_recorded(visitor, user):
    log_in(visitor, user.email)
    visitor.post("/accounts/logout/")
    assert kinds(user) == ["signed_in_password", "signed_out"]


def test_a_log_out_without_a_sign_in_records_nothing(visitor, db):
    visitor.post("/accounts/logout/")
    assert SecurityEvent.objects.count() == 0


def test_ending_the_other_sessions_is_recorded_once(visitor, user):
    log_in(Client(), user.email)
    log_in(visitor, user.email)
    assert visitor.post("/accounts/sessions/").status_code == 302
    assert kinds(user)[-1] == "sessions_ended"
    assert kinds(user).count("sessions_ended") == 1


# --- Failed sign-ins ------------------------------------------------------------------------------


def test_a_wrong_password_is_recorded_against_the_account(visitor, user):
    log_in(visitor, user.email, "my wrong password 1")
    assert kinds(user) == ["sign_in_failed"]
    assert latest(user).ip == "127.0.0.1"


def test_a_wrong_password_under_another_spelling_of_the_address_finds_the_account(visitor, make_user):
    person = make_user(email="grace@example.com")
    log_in(visitor, "  Grace@EXAMPLE.com ", "my wrong password 1")
    assert kinds(person) == ["sign_in_failed"]


def test_a_wrong_password_for_an_address_with_no_account_is_counted_not_stored(visitor, user, caplog):
    log_in(visitor, "nobody@example.com", "my wrong password 1")
    assert SecurityEvent.objects.count() == 0
    [counted] = recorded_events(caplog.records, "sign_in_failed_unknown")
    assert "nobody" not in json.dumps(counted.__dict__, default=str)


def test_a_wrong_password_given_to_djangos_own_authenticate_is_recorded(client, user):
    assert not client.login(username=user.email, password="my wrong password 1")
    assert kinds(user) == ["sign_in_failed"]


def test_a_wrong_password_when_confirming_it_is_you_is_recorded_as_such(visitor, user):
    log_in(visitor, user.email)
    visitor.post("/accounts/reauthenticate/", {"password": "my wrong password 1"})
    assert kinds(user) == ["signed_in_password", "reauthentication_failed"]


def test_a_rejected_emailed_code_is_recorded_against_its_account(user):
    request = RequestFactory().post("/accounts/login/code/confirm/", HTTP_USER_AGENT=FIREFOX)
    account_signals.login_code_rejected.send(sender=object, request=request, user=user, last_attempt=False)
    assert kinds(user) == ["sign_in_code_rejected"]


def test_nothing_typed_is_ever_stored(visitor, user):
    typed_password = "Hunter2-typed-secret"
    log_in(visitor, user.email, typed_password)
    log_in(visitor, typed_password, typed_password)  # a password typed into the email box
    log_in(visitor, user.email)
    visitor.post("/accounts/reauthenticate/", {"password": typed_password})

    stored = json.dumps(list(SecurityEvent.objects.values()), default=str)
    assert typed_password not in stored and PASSWORD not in stored and FIREFOX not in stored
    assert user.email not in stored
    assert {field.name for field in SecurityEvent._meta.get_fields()} == {
        "id",
        "user",
        "kind",
        "created_at",
        "ip",
        "browser",
    }


# --- Passwords -------------------------------------------------------------------------------------


def test_a_password_change_is_recorded(visitor, user):
    log_in(visitor, user.email)
    response = visitor.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert kinds(user)[-1] == "password_changed"


def test_a_password_set_is_recorded(visitor, user):
    user.set_unusable_password()
    user.save()
    visitor.force_login(user)
    response = visitor.post("/accounts/password/set/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert kinds(user) == ["password_set"]


def test_a_password_reset_is_recorded_with_the_resetting_browser(visitor, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post("/accounts/password/reset/", {"email": user.email})
    [message] = [m for m in mail.outbox if "Password reset" in m.subject]
    form_path = visitor.get(link_in(message, "/accounts/password/reset/key/"))["Location"]
    visitor.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert kinds(user) == ["password_reset"]
    assert latest(user).browser == "Firefox on Linux"


# --- Email addresses --------------------------------------------------------------------------------


def test_the_first_address_verified_at_sign_up_is_recorded_once(visitor, django_capture_on_commit_callbacks):
    fields = {"email": "ada@example.com", "password1": PASSWORD, "password2": PASSWORD}
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post("/accounts/signup/", fields)
    visitor.post(link_in(mail.outbox[-1], "/accounts/confirm-email/"))
    user = User.objects.get(email="ada@example.com")
    assert kinds(user) == ["email_verified", "signed_in"]  # not a change of primary address


def test_an_email_change_records_added_then_verified_and_the_new_primary(
    visitor, user, password_confirmed, django_capture_on_commit_callbacks
):
    log_in(visitor, user.email)
    password_confirmed(visitor)  # changing addresses asks the person to confirm it is them
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post("/accounts/email/", {"action_add": "", "email": "new@example.com"})
    assert kinds(user)[-1] == "email_added"
    confirm = link_in([m for m in mail.outbox if "new@example.com" in m.to][-1], "/accounts/confirm-email/")
    Client().post(confirm)  # the link may be opened anywhere, signed out
    assert kinds(user)[-3:] == ["email_added", "email_verified", "email_made_primary"]


def test_removing_an_address_is_recorded(visitor, user, password_confirmed):
    EmailAddress.objects.create(user=user, email="second@example.com", verified=True, primary=False)
    log_in(visitor, user.email)
    password_confirmed(visitor)
    assert visitor.post("/accounts/email/", {"action_remove": "", "email": "second@example.com"}).status_code == 302
    assert kinds(user)[-1] == "email_removed"


def test_making_another_address_primary_is_recorded(visitor, user, password_confirmed):
    EmailAddress.objects.create(user=user, email="second@example.com", verified=True, primary=False)
    log_in(visitor, user.email)
    password_confirmed(visitor)
    visitor.post("/accounts/email/", {"action_primary": "", "email": "second@example.com"})
    assert kinds(user)[-1] == "email_made_primary"


def test_an_administrator_verifying_an_address_leaves_their_own_address_out(client, user, make_user):
    address = EmailAddress.objects.create(user=user, email="second@example.com", verified=False, primary=False)
    client.force_login(make_user(is_staff=True, is_superuser=True))
    client.post(
        "/admin/accounts/accountemailaddress/",
        {"action": "make_verified", "_selected_action": [address.pk]},
        HTTP_USER_AGENT=FIREFOX,
    )
    assert kinds(user) == ["email_verified"]
    assert (latest(user).ip, latest(user).browser) == (None, "")


# --- Two-factor authentication and keys -----------------------------------------------------------


def test_turning_two_factor_on_and_off_is_recorded(
    visitor, user, password_confirmed, django_capture_on_commit_callbacks, clock
):
    log_in(visitor, user.email)
    password_confirmed(visitor)
    visitor.get("/accounts/2fa/totp/activate/")
    secret = visitor.session["mfa.totp.secret"]
    with django_capture_on_commit_callbacks(execute=True):
        assert visitor.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret, clock.now)}).status_code == 302
    assert kinds(user)[-2:] == ["two_factor_enabled", "recovery_codes_generated"]

    with django_capture_on_commit_callbacks(execute=True):
        visitor.post("/accounts/2fa/recovery-codes/generate/")
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post("/accounts/2fa/totp/deactivate/")
    # Turning the app off also drops its recovery codes: one event for what the person did.
    assert kinds(user)[-2:] == ["recovery_codes_generated", "two_factor_disabled"]


def webauthn_key(user: User, *, passkey: bool) -> Authenticator:
    credential = {"clientExtensionResults": {"credProps": {"rk": passkey}}}
    return Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"credential": credential})


@pytest.mark.parametrize(
    ("passkey", "added", "removed"), [(True, "passkey", "passkey"), (False, "security_key", "security_key")]
)
def test_adding_and_removing_a_key_is_recorded_as_a_passkey_or_a_security_key(user, passkey, added, removed):
    """allauth.mfa's signals, sent as its WebAuthn flows send them."""
    key = webauthn_key(user, passkey=passkey)
    request = RequestFactory().post("/accounts/2fa/webauthn/add/", HTTP_USER_AGENT=FIREFOX)
    request.user = user
    mfa_signals.authenticator_added.send(sender=Authenticator, request=request, user=user, authenticator=key)
    key.delete()
    mfa_signals.authenticator_removed.send(sender=Authenticator, request=request, user=user, authenticator=key)
    assert kinds(user) == [f"{added}_added", f"{removed}_removed"]


# --- Behind proxies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "recorded"),
    [
        # The last entry is written by our proxy; the first ones by whoever sent the request.
        (["10.0.0.0/8"], "198.51.100.9, 203.0.113.7", "203.0.113.7"),
        # Two proxies: the address the outer one saw, not the inner proxy's own.
        (["10.0.0.0/8", "192.0.2.10"], "192.0.2.1, 198.51.100.9, 192.0.2.10", "198.51.100.9"),
    ],
    ids=["one proxy", "two proxies"],
)
def test_behind_trusted_proxies_the_address_the_outermost_one_saw_is_recorded(
    visitor, user, settings, proxies, forwarded_for, recorded
):
    settings.TRUSTED_PROXIES = proxies
    visitor.post(
        "/accounts/login/",
        {"login": user.email, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )
    assert latest(user).ip == recorded


def test_without_trusted_proxies_a_forwarded_address_is_ignored(visitor, user):
    visitor.post("/accounts/login/", {"login": user.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert latest(user).ip == "127.0.0.1"


def test_a_request_around_the_proxies_is_recorded_with_its_own_address(visitor, user, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    response = visitor.post(
        "/accounts/login/", {"login": user.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    assert response.status_code == 302
    assert latest(user).ip == "127.0.0.1"


# --- The page -------------------------------------------------------------------------------------


def test_the_page_is_for_signed_in_people_only(client, db):
    assert client.get("/accounts/activity/")["Location"] == "/accounts/login/?next=/accounts/activity/"


EVENT = re.compile(
    r'<li class="list-group-item activity-event[^"]*">.*?<p class="activity-event-what[^"]*">(.*?)</p>\s*'
    r'<ul class="activity-event-facts[^"]*">(.*?)</ul>',
    re.S,
)


def page_events(page: str) -> list[tuple[str, list[str]]]:
    """The activity page's items: what happened, and its facts (when, browser, place) as shown."""
    return [(what, re.findall(r"<li>(.*?)</li>", facts, re.S)) for what, facts in EVENT.findall(page)]


def test_the_page_shows_what_happened_newest_first(visitor, user):
    log_in(visitor, user.email, "my wrong password 1")
    log_in(visitor, user.email)
    page = visitor.get("/accounts/activity/").content.decode()
    events = page_events(page)
    assert [(what, facts[1:]) for what, facts in events] == [
        ("Logged in with your password", ["Firefox on Linux", "IP address 127.0.0.1 (the server&#x27;s own machine)"]),
        ("Failed log-in: wrong password", ["Firefox on Linux", "IP address 127.0.0.1 (the server&#x27;s own machine)"]),
    ]
    stamp = latest(user).created_at
    assert events[0][1][0] == f'<time datetime="{stamp:%Y-%m-%dT%H:%M:%S+0000}">{stamp.day} {stamp:%B %Y, %H:%M}</time>'


def test_the_page_shows_only_the_last_90_days(visitor, user):
    log_in(visitor, user.email)
    SecurityEvent.objects.create(user=user, kind="password_changed", created_at=timezone.now() - timedelta(days=91))
    page = visitor.get("/accounts/activity/").content.decode()
    assert "Logged in with your password" in page and "Password changed" not in page


def test_the_page_shows_no_one_elses_activity(visitor, user, make_user):
    SecurityEvent.objects.create(user=make_user(), kind="password_changed")
    log_in(visitor, user.email)
    assert "Password changed" not in visitor.get("/accounts/activity/").content.decode()


def test_the_page_has_an_empty_state(client, user):
    client.force_login(user)
    assert (
        "Nothing has happened to your account’s security in the last 90 days."
        in client.get("/accounts/activity/").content.decode()
    )


def test_the_page_shows_fifty_at_a_time(client, user):
    SecurityEvent.objects.bulk_create(SecurityEvent(user=user, kind="signed_out") for _ in range(120))
    client.force_login(user)
    first, last = client.get("/accounts/activity/"), client.get("/accounts/activity/?page=3")
    assert len(page_events(first.content.decode())) == 50 and len(page_events(last.content.decode())) == 20
    assert "Page 1 of 3" in first.content.decode()
    assert client.get("/accounts/activity/?page=4").status_code == 404


def test_the_page_costs_the_same_queries_however_long_the_history(client, user, django_assert_num_queries):
    client.force_login(user)
    SecurityEvent.objects.bulk_create(SecurityEvent(user=user, kind="signed_out") for _ in range(5))
    with django_assert_num_queries(4):  # session, user, count, page
        client.get("/accounts/activity/")
    SecurityEvent.objects.bulk_create(SecurityEvent(user=user, kind="signed_out") for _ in range(100))
    with django_assert_num_queries(4):
        client.get("/accounts/activity/")


def test_the_page_is_linked_from_the_profile(client, user):
    client.force_login(user)
    page = client.get("/profile/").content.decode()
    assert '<a class="nav-link" href="/accounts/activity/">Security activity</a>' in page


# --- Export and pruning ------------------------------------------------------------------------------


def test_the_export_includes_the_activity(visitor, user, password_confirmed, clock):
    log_in(visitor, user.email)
    password_confirmed(visitor)  # the export asks the person to confirm it is them
    with zipfile.ZipFile(io.BytesIO(b"".join(visitor.get("/accounts/export/").streaming_content))) as archive:
        profile = json.loads(archive.read("profile.json"))
    [signed_in] = profile["security_activity"]
    assert signed_in["event"] == "signed_in_password"
    assert signed_in["description"] == "Logged in with your password"
    assert (signed_in["ip_address"], signed_in["browser"]) == ("127.0.0.1", "Firefox on Linux")
    assert datetime.fromisoformat(signed_in["at"]) == timezone.now()  # the clock stood still since the sign-in
    assert len(profile["browsers"]) == 1


def test_the_prune_command_deletes_entries_older_than_90_days(user, make_user):
    other = make_user()
    now = timezone.now()
    SecurityEvent.objects.create(user=user, kind="signed_out", created_at=now - timedelta(days=91))
    SecurityEvent.objects.create(user=other, kind="signed_out", created_at=now - timedelta(days=365))
    kept = SecurityEvent.objects.create(user=user, kind="signed_out", created_at=now - timedelta(days=89))
    output = io.StringIO()
    call_command("prune_security_events", stdout=output)
    assert list(SecurityEvent.objects.all()) == [kept]
    assert "2 security events" in output.getvalue()
