"""Sensitive actions ask the person to confirm it is them (even right after logging in), with any method their
account has, for five minutes at a time, and the confirmation is rate limited like a log-in."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from testkit.people import PASSWORD
from testkit.totp import a_wrong_code, totp_code

pytestmark = pytest.mark.django_db

EXPORT_CONFIRMATION = "/accounts/reauthenticate/?next=%2Faccounts%2Fexport%2F"
# Asked for without a confirmation, the export goes by the page that says the download has started, so that the
# confirmation leads there (and the file starts from it), not to the file alone.
EXPORT_STARTED = "/accounts/export/started/"
EXPORT_STARTED_CONFIRMATION = "/accounts/reauthenticate/?next=%2Faccounts%2Fexport%2Fstarted%2F"
EMAIL_CONFIRMATION = "/accounts/reauthenticate/?next=%2Faccounts%2Femail%2F"
SECRET_FIELD = re.compile(r'id="authenticator_secret"[^>]*?value="([A-Z2-7]+)"')


def logged_in(user) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/profile/")
    return client


def test_the_export_asks_to_confirm_even_right_after_logging_in(user):
    client = logged_in(user)

    response = client.get("/accounts/export/")

    assert (response.status_code, response["Location"]) == (302, EXPORT_STARTED)
    assert client.get(EXPORT_STARTED)["Location"] == EXPORT_STARTED_CONFIRMATION


def test_the_confirmation_leads_to_the_page_that_starts_the_download(user):
    client = logged_in(user)

    response = client.post(EXPORT_STARTED_CONFIRMATION, {"password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, EXPORT_STARTED)
    page = client.get(EXPORT_STARTED).content.decode()
    assert "<h1>Your download has started</h1>" in page
    assert '<a href="/accounts/export/" data-start-download>Download it again</a>' in page
    assert '<a class="btn btn-outline-secondary" href="/profile/">Back to your profile</a>' in page


def test_the_password_confirms_it_and_the_export_follows(user):
    client = logged_in(user)

    response = client.post(EXPORT_CONFIRMATION, {"password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/accounts/export/")
    download = client.get("/accounts/export/")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"


def test_a_wrong_password_confirms_nothing(user):
    client = logged_in(user)

    response = client.post(EXPORT_CONFIRMATION, {"password": "not the password"})

    assert response.status_code == 200 and "Incorrect password." in response.content.decode()
    assert client.get("/accounts/export/")["Location"] == EXPORT_STARTED


def test_a_confirmation_lasts_five_minutes(user, clock):
    client = logged_in(user)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})

    clock.advance(299)
    assert client.get("/accounts/export/").status_code == 200
    clock.advance(2)
    assert client.get("/accounts/export/")["Location"] == EXPORT_STARTED


@pytest.fixture
def second_address(user) -> EmailAddress:
    return EmailAddress.objects.create(user=user, email="second@example.com", verified=True, primary=False)


EMAIL_ACTIONS = {
    "add": ({"action_add": "", "email": "new@example.com"}, lambda user: user.emailaddress_set.count() == 3),
    "remove": (
        {"action_remove": "", "email": "second@example.com"},
        lambda user: not user.emailaddress_set.filter(email="second@example.com").exists(),
    ),
    "make primary": (
        {"action_primary": "", "email": "second@example.com"},
        lambda user: user.emailaddress_set.get(primary=True).email == "second@example.com",
    ),
}


@pytest.mark.parametrize("action", EMAIL_ACTIONS)
def test_changing_email_addresses_asks_to_confirm_first_then_does_it(
    user, second_address, action, django_capture_on_commit_callbacks
):
    fields, done = EMAIL_ACTIONS[action]
    client = logged_in(user)
    before = list(user.emailaddress_set.values_list("email", "verified", "primary"))

    asked = client.post("/accounts/email/", fields)

    assert (asked.status_code, asked["Location"]) == (302, EMAIL_CONFIRMATION)
    assert list(user.emailaddress_set.values_list("email", "verified", "primary")) == before
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(EMAIL_CONFIRMATION, {"password": PASSWORD})
    assert confirmed.status_code == 302  # the change, as it was asked for, is carried out now
    assert done(user)


def test_turning_on_two_factor_asks_to_confirm_first(user):
    client = logged_in(user)

    response = client.get("/accounts/2fa/totp/activate/")

    assert response["Location"] == "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"


# --- With two-factor: the authenticator app confirms it too -----------------------------------------


@pytest.fixture
def secret(reauthenticated, user, clock, django_capture_on_commit_callbacks) -> str:
    """``user`` has the authenticator app on; the returned secret is what it was set up with."""
    client = reauthenticated(user)
    value = SECRET_FIELD.search(client.get("/accounts/2fa/totp/activate/").content.decode()).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/accounts/2fa/totp/activate/", {"code": totp_code(value, clock.now)}).status_code == 302
    clock.advance(30)
    return value


def logged_in_with_two_factor(user, secret: str, clock) -> Client:
    client = Client()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret, clock.now)})
    assert response["Location"] == "/profile/"
    clock.advance(30)
    return client


def test_the_confirmation_page_offers_the_authenticator_app(user, secret, clock):
    client = logged_in_with_two_factor(user, secret, clock)

    page = client.get(EXPORT_CONFIRMATION).content.decode()

    assert 'href="/accounts/2fa/reauthenticate/?next=%2Faccounts%2Fexport%2F"' in page
    assert "Use your authenticator app or a recovery code" in page


def test_an_authenticator_code_confirms_it_and_the_export_follows(user, secret, clock):
    client = logged_in_with_two_factor(user, secret, clock)

    response = client.post(
        "/accounts/2fa/reauthenticate/?next=%2Faccounts%2Fexport%2F", {"code": totp_code(secret, clock.now)}
    )

    assert (response.status_code, response["Location"]) == (302, "/accounts/export/")
    assert client.get("/accounts/export/").status_code == 200


def test_an_authenticator_code_confirms_an_address_change(user, secret, clock, django_capture_on_commit_callbacks):
    client = logged_in_with_two_factor(user, secret, clock)
    assert client.post("/accounts/email/", {"action_add": "", "email": "new@example.com"})["Location"] == (
        EMAIL_CONFIRMATION
    )

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/2fa/reauthenticate/?next=%2Faccounts%2Femail%2F", {"code": totp_code(secret, clock.now)})

    assert EmailAddress.objects.filter(user=user, email="new@example.com", verified=False).exists()
    assert [m.to for m in mail.outbox if "Confirm" in m.subject] == [["new@example.com"]]


def test_wrong_authenticator_codes_are_checked_at_most_five_times(user, secret, clock):
    client = logged_in_with_two_factor(user, secret, clock)
    wrong = a_wrong_code(secret, clock.now)

    answers = [client.post("/accounts/2fa/reauthenticate/", {"code": wrong}).content.decode() for _ in range(6)]

    assert ["Incorrect code." in answer for answer in answers] == [True] * 5 + [False]
    assert "Too many failed login attempts" in answers[5]
    right_code = client.post("/accounts/2fa/reauthenticate/", {"code": totp_code(secret, clock.now)})
    assert right_code.status_code == 200, "the right code was let in past the limit"


def test_confirmations_are_at_most_ten_a_minute_whatever_the_method(user, secret, clock):
    client = logged_in_with_two_factor(user, secret, clock)
    for _ in range(5):
        assert client.post("/accounts/reauthenticate/", {"password": "not it"}).status_code == 200
    for _ in range(5):
        assert client.post("/accounts/2fa/reauthenticate/", {"code": "12345678"}).status_code == 200

    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})

    assert response.status_code == 429
