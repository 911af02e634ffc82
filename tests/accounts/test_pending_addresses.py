"""An address someone added to their account, unverified, never blocks or reaches the mailbox's owner."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from accounts.models import User
from testkit.people import PASSWORD

pytestmark = pytest.mark.django_db

REQUESTER = "ada@example.com"
STRANGER = "sam@example.com"
NEW_PASSWORD = "another long password 2"


def link_path(message, path_prefix: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}\S+)", message.body)
    assert match, message.body
    return match.group(1)


def mails_to(address: str, subject_part: str) -> list:
    return [m for m in mail.outbox if address in m.to and subject_part.lower() in m.subject.lower()]


@pytest.fixture
def requester(client, reauthenticated, make_user, django_capture_on_commit_callbacks) -> User:
    """A signed-in person who has added a stranger's address to their own account (unverified)."""
    user = make_user(email=REQUESTER)
    reauthenticated(user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/accounts/email/", {"action_add": "", "email": STRANGER}).status_code == 302
    assert EmailAddress.objects.filter(user=user, email=STRANGER, verified=False).exists()
    return user


def sign_up_and_verify(django_capture_on_commit_callbacks) -> Client:
    """The stranger signs up in a browser of their own and opens the verification link they were sent."""
    stranger = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = stranger.post("/accounts/signup/", {"email": STRANGER, "password1": PASSWORD, "password2": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/accounts/confirm-email/")
    # Their own verification mail, although the requester's went out a moment ago.
    _requested, verification = mails_to(STRANGER, "Confirm")
    with django_capture_on_commit_callbacks(execute=True):
        stranger.post(link_path(verification, "/accounts/confirm-email/"))
    return stranger


def test_the_owner_of_an_address_pending_elsewhere_can_sign_up_verify_and_log_in(
    requester, django_capture_on_commit_callbacks
):
    stranger = sign_up_and_verify(django_capture_on_commit_callbacks)

    account = User.objects.get(email=STRANGER)
    assert account != requester
    assert EmailAddress.objects.get(user=account).verified
    assert stranger.get("/profile/").wsgi_request.user == account
    stranger.logout()
    response = stranger.post("/accounts/login/", {"login": STRANGER, "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/profile/")


def test_the_pending_copy_is_removed_once_the_owner_verifies_it(requester, django_capture_on_commit_callbacks):
    sign_up_and_verify(django_capture_on_commit_callbacks)

    assert not EmailAddress.objects.filter(user=requester).exclude(email=REQUESTER).exists()
    requester.refresh_from_db()
    assert requester.email == REQUESTER


def test_a_reset_for_a_pending_address_resets_nobody_and_answers_as_for_any_other(
    requester, django_capture_on_commit_callbacks
):
    visitor = Client()
    with django_capture_on_commit_callbacks(execute=True):
        pending = visitor.post("/accounts/password/reset/", {"email": STRANGER})
        known = visitor.post("/accounts/password/reset/", {"email": REQUESTER})
    assert (pending.status_code, pending["Location"]) == (known.status_code, known["Location"])
    assert [m for m in mails_to(STRANGER, "") if "/accounts/password/reset/key/" in m.body] == []
    assert len(mails_to(REQUESTER, "Password Reset")) == 1


def test_after_the_owner_signs_up_a_reset_for_the_address_resets_only_their_account(
    requester, django_capture_on_commit_callbacks
):
    stranger = Client()
    with django_capture_on_commit_callbacks(execute=True):
        stranger.post("/accounts/signup/", {"email": STRANGER, "password1": PASSWORD, "password2": PASSWORD})
    with django_capture_on_commit_callbacks(execute=True):
        stranger.post("/accounts/password/reset/", {"email": STRANGER})
    [reset_mail] = mails_to(STRANGER, "Password Reset")

    form_path = stranger.get(link_path(reset_mail, "/accounts/password/reset/key/"))["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        done = stranger.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done["Location"] == "/accounts/password/reset/key/done/"

    assert User.objects.get(email=STRANGER).check_password(NEW_PASSWORD)
    requester.refresh_from_db()
    assert requester.check_password(PASSWORD)


def test_the_verification_mail_for_an_added_address_does_not_name_the_requester(requester):
    [verification] = mails_to(STRANGER, "Confirm")
    assert REQUESTER not in verification.subject + verification.body
    assert STRANGER in verification.body  # says which address it is about
    page = Client().get(link_path(verification, "/accounts/confirm-email/"))
    assert page.status_code == 200 and REQUESTER not in page.content.decode()


def test_the_requester_sees_their_own_account_named_on_the_confirmation_page(client, requester):
    [verification] = mails_to(STRANGER, "Confirm")
    page = client.get(link_path(verification, "/accounts/confirm-email/"))
    assert f"is an email address for user {REQUESTER}" in page.content.decode()


def test_a_link_for_the_pending_copy_cannot_take_the_address_from_the_account_that_signed_up_with_it(
    requester, django_capture_on_commit_callbacks
):
    [requested] = mails_to(STRANGER, "Confirm")
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/accounts/signup/", {"email": STRANGER, "password1": PASSWORD, "password2": PASSWORD})

    response = Client().post(link_path(requested, "/accounts/confirm-email/"), follow=True)

    assert response.status_code == 200
    assert "already confirmed by a different account" in response.content.decode()
    requester.refresh_from_db()
    assert requester.email == REQUESTER
    assert not EmailAddress.objects.filter(email=STRANGER, verified=True).exists()
