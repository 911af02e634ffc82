"""Two-factor through allauth.mfa, as configured here: secrets encrypted at rest, log-in with a code, the keys' site
name, the notification emails, and an address change for a person with two-factor."""

import json
import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.core.management import call_command
from django.test import Client

from security.encryption import UndecryptableSecret
from security.models import SecurityEvent
from testkit.people import PASSWORD
from testkit.totp import AuthenticatorApp, a_wrong_code, totp_code

pytestmark = pytest.mark.django_db

SECRET_FIELD = re.compile(r'id="authenticator_secret"[^>]*?value="([A-Z2-7]+)"')
RECOVERY_CODES = re.compile(r"<ul[^>]*data-recovery-codes[^>]*>(.*?)</ul>", re.S)


def recovery_codes_on(page: str) -> list[str]:
    """The unused codes, as the recovery codes page lists them."""
    return re.findall(r"<li>(\w+)</li>", RECOVERY_CODES.search(page).group(1))


def activate_totp(client: Client, clock, capture) -> str:
    """Turn on the authenticator app from its page, as a person does; return the secret the page showed."""
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200, page.status_code
    secret = SECRET_FIELD.search(page.content.decode()).group(1)
    with capture(execute=True):
        response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret, clock.now)})
    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/recovery-codes/")
    return secret


@pytest.fixture
def two_factor(reauthenticated, user, clock, django_capture_on_commit_callbacks):
    """``user`` with the authenticator app turned on; returns its secret. The client stays signed in."""
    client = reauthenticated(user)
    secret = activate_totp(client, clock, django_capture_on_commit_callbacks)
    clock.advance(30)  # a new window: the next code is a new one
    return secret


def log_in_with_password(client: Client, user) -> None:
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/authenticate/")


def log_in_with_code(user, code: str) -> Client:
    client = Client()
    log_in_with_password(client, user)
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert (response.status_code, response["Location"]) == (302, "/profile/")
    return client


def test_the_test_suites_authenticator_app_computes_the_codes_allauth_expects():
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    for moment in (0, 59, 1_111_111_109, time.time()):
        assert totp_code(secret, moment) == format_hotp_value(hotp_value(secret, int(moment // 30)))


def test_the_test_suites_authenticator_app_gives_two_codes_in_a_row_that_the_site_takes(two_factor, user, clock):
    app = AuthenticatorApp(two_factor)
    client = log_in_with_code(user, app.code())

    confirmed = client.post("/accounts/2fa/reauthenticate/", {"code": app.code()})

    assert confirmed.status_code == 302
    with pytest.raises(AssertionError, match="Use a recovery code"):
        app.code()
    clock.advance(30)
    assert client.post("/accounts/2fa/reauthenticate/", {"code": app.code()}).status_code == 302


def test_the_adapter_encrypts_a_secret_anew_each_time_and_decrypts_it_back():
    adapter = get_adapter()
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

    tokens = [adapter.encrypt(secret) for _ in range(2)]

    assert tokens[0] != tokens[1] and secret not in tokens[0] + tokens[1]
    assert [adapter.decrypt(token) for token in tokens] == [secret, secret]


def test_the_authenticator_secret_is_stored_encrypted(two_factor, user):
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    recovery = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)

    stored = json.dumps(totp.data) + json.dumps(recovery.data)
    assert two_factor not in stored
    assert totp.data["secret"].startswith("gAAAAA")  # a Fernet token


def test_password_then_code_logs_the_person_in(two_factor, user, clock):
    client = Client()
    log_in_with_password(client, user)
    assert not client.get("/profile/").wsgi_request.user.is_authenticated

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(two_factor, clock.now)})

    assert (response.status_code, response["Location"]) == (302, "/profile/")
    assert client.get("/profile/").wsgi_request.user == user


def test_a_code_is_accepted_once(two_factor, user, clock):
    code = totp_code(two_factor, clock.now)
    first = Client()
    log_in_with_password(first, user)
    assert first.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302

    second = Client()
    log_in_with_password(second, user)
    replayed = second.post("/accounts/2fa/authenticate/", {"code": code})

    assert replayed.status_code == 200 and "Incorrect code." in replayed.content.decode()


@pytest.mark.parametrize("windows", [-1, 1])
def test_a_code_of_the_window_before_or_after_is_accepted(two_factor, user, clock, windows):
    """A person typing a code in its last second, or whose phone's clock is a little off, is let in."""
    client = Client()
    log_in_with_password(client, user)

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(two_factor, clock.now + 30 * windows)})

    assert (response.status_code, response["Location"]) == (302, "/profile/")


@pytest.mark.parametrize("windows", [-2, 2])
def test_a_code_two_windows_away_is_refused(two_factor, user, clock, windows):
    client = Client()
    log_in_with_password(client, user)

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(two_factor, clock.now + 30 * windows)})

    assert response.status_code == 200 and "Incorrect code." in response.content.decode()


@pytest.mark.parametrize("later", [31, 61])
def test_a_used_code_is_refused_for_as_long_as_it_would_be_accepted(two_factor, user, clock, later):
    # The next window's code is accepted for 90 s from now: allauth forgets a used code after 30.
    code = totp_code(two_factor, clock.now + 30)
    log_in_with_code(user, code)
    clock.advance(later)

    replay = Client()
    log_in_with_password(replay, user)
    response = replay.post("/accounts/2fa/authenticate/", {"code": code})

    assert response.status_code == 200 and "Incorrect code." in response.content.decode()
    assert not replay.get("/profile/").wsgi_request.user.is_authenticated
    assert SecurityEvent.objects.filter(user=user, kind="two_factor_failed").count() == 1


def test_a_replayed_code_counts_against_the_failed_attempts_and_never_clears_them(two_factor, user, clock):
    code = totp_code(two_factor, clock.now + 30)
    log_in_with_code(user, code)
    clock.advance(31)
    attacker = Client()
    log_in_with_password(attacker, user)
    for _ in range(4):
        attacker.post("/accounts/2fa/authenticate/", {"code": a_wrong_code(two_factor, clock.now)})

    attacker.post("/accounts/2fa/authenticate/", {"code": code})  # the fifth failure, not a reset of the four
    fresh = attacker.post("/accounts/2fa/authenticate/", {"code": totp_code(two_factor, clock.now + 30)})

    assert fresh.status_code == 200 and "Too many failed login attempts" in fresh.content.decode()
    assert not attacker.get("/profile/").wsgi_request.user.is_authenticated


def test_a_used_code_does_not_confirm_it_is_you_either(two_factor, user, clock):
    code = totp_code(two_factor, clock.now + 30)
    client = log_in_with_code(user, code)
    clock.advance(31)

    replay = client.post("/accounts/2fa/reauthenticate/", {"code": code})
    fresh = client.post("/accounts/2fa/reauthenticate/", {"code": totp_code(two_factor, clock.now + 30)})

    assert replay.status_code == 200 and "Incorrect code." in replay.content.decode()
    assert fresh.status_code == 302


def test_a_recovery_code_works_once(two_factor, user, client):
    page = client.get("/accounts/2fa/recovery-codes/").content.decode()
    recovery_code = recovery_codes_on(page)[0]

    first = Client()
    log_in_with_password(first, user)
    assert first.post("/accounts/2fa/authenticate/", {"code": recovery_code})["Location"] == "/profile/"
    second = Client()
    log_in_with_password(second, user)
    again = second.post("/accounts/2fa/authenticate/", {"code": recovery_code})

    assert again.status_code == 200 and "Incorrect code." in again.content.decode()


def test_secrets_stored_under_a_retired_key_work_while_it_is_a_fallback(two_factor, user, clock, settings):
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a new secret key for the rotation test, long enough to be real"
    client = Client()
    log_in_with_password(client, user)

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(two_factor, clock.now)})

    assert response["Location"] == "/profile/"


def test_without_the_old_key_a_secret_fails_loudly_not_as_a_wrong_code(two_factor, user, clock, settings):
    settings.SECRET_KEY = "a new secret key for the rotation test, long enough to be real"
    client = Client(raise_request_exception=True)
    log_in_with_password(client, user)

    with pytest.raises(UndecryptableSecret, match="DJANGO_SECRET_KEY_FALLBACKS"):
        client.post("/accounts/2fa/authenticate/", {"code": totp_code(two_factor, clock.now)})


def test_reencrypting_moves_every_secret_to_the_current_key(two_factor, user, clock, client, settings):
    codes_before = recovery_codes_on(client.get("/accounts/2fa/recovery-codes/").content.decode())
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY_FALLBACKS = [old_key]
    settings.SECRET_KEY = "a new secret key for the rotation test, long enough to be real"

    call_command("reencrypt_mfa_secrets", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.SECRET_KEY_FALLBACKS = []  # the old key is retired

    visitor = Client()
    log_in_with_password(visitor, user)
    assert visitor.post("/accounts/2fa/authenticate/", {"code": totp_code(two_factor, clock.now)})["Location"] == (
        "/profile/"
    )
    recovery = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    assert recovery.wrap().get_unused_codes() == codes_before


def test_security_keys_name_the_site_not_the_host(reauthenticated, user):
    client = reauthenticated(user)
    page = client.get("/accounts/2fa/webauthn/add/").content.decode()

    data = json.loads(re.search(r'<script id="js_data" type="application/json">(.*?)</script>', page, re.S).group(1))
    assert data["creation_options"]["publicKey"]["rp"] == {"id": "testserver", "name": "Vitae"}


def test_turning_on_the_authenticator_app_is_notified_with_a_link_to_the_settings(two_factor, user, settings):
    [notice] = [m for m in mail.outbox if "Authenticator app activated" in m.subject]

    assert notice.to == [user.email]
    assert f"{settings.SITE_URL}/accounts/2fa/" in notice.body
    assert "IP address: 127.0.0.1" in notice.body


def test_a_person_with_two_factor_changes_their_address(two_factor, user, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/email/", {"action_add": "", "email": "new@example.com"})

    assert response.status_code == 302
    [verification] = [m for m in mail.outbox if "new@example.com" in m.to and "confirm" in m.subject.lower()]
    confirm_path = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", verification.body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm_path)
    user.refresh_from_db()
    assert user.email == "new@example.com"
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "primary")) == [("new@example.com", True)]


def test_a_pending_address_change_does_not_stop_turning_on_two_factor(
    reauthenticated, user, clock, django_capture_on_commit_callbacks
):
    client = reauthenticated(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/email/", {"action_add": "", "email": "new@example.com"})

    activate_totp(client, clock, django_capture_on_commit_callbacks)

    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
