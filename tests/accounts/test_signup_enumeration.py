"""Sign-up does the same costly work whether or not the address has an account, so its response time tells no one
which addresses are registered.

What a sign-up costs in production is one Argon2 hash (some 100 ms) and, if mail were sent inside the request, a
mail server's round trips (seconds). So the cause of equal timing is asserted here, in-process, where nothing else
runs: one password hash for either address, and no mail sent inside the request. Timing itself, which a loaded
machine moves by a factor of two, is measured in ``make bench`` (bench/signup.py), never asserted.
"""

from collections.abc import Callable
from typing import ClassVar

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client

from testkit.people import PASSWORD

pytestmark = pytest.mark.django_db

REGISTERED = "ada@example.com"
NEW = "grace@example.com"


class CountingMD5PasswordHasher(MD5PasswordHasher):
    """The suite's fast hasher, noting each password it hashes: in production that step is the slow Argon2 hash."""

    hashed: ClassVar[list[str]] = []

    def encode(self, password: str, salt: str) -> str:
        self.hashed.append(password)
        return super().encode(password, salt)


@pytest.fixture
def hashed_passwords(settings) -> list[str]:
    """The passwords hashed from now on in this test, in order."""
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingMD5PasswordHasher"]
    CountingMD5PasswordHasher.hashed = []
    return CountingMD5PasswordHasher.hashed


@pytest.fixture
def sign_up(django_capture_on_commit_callbacks) -> Callable[[str], None]:
    """``sign_up(email)``: a visitor's sign-up form, in a browser of its own; whatever waits for the commit runs."""

    def submit(email: str) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(
                "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
            )
        assert (response.status_code, response["Location"]) == (302, "/accounts/confirm-email/")

    return submit


@pytest.fixture
def registered(make_user):
    return make_user(email=REGISTERED)


def test_a_registered_address_costs_the_same_password_hash_as_a_new_one(registered, hashed_passwords, sign_up):
    sign_up(REGISTERED)
    for_registered = list(hashed_passwords)
    hashed_passwords.clear()
    sign_up(NEW)

    assert for_registered == hashed_passwords == [PASSWORD]  # the typed password, hashed once, either way


def test_neither_sign_up_sends_mail_inside_the_request(registered, deferring_tasks, queued_emails, sign_up):
    """With the database task backend (the site's, wherever it runs for people), the mail of either answer is a row
    written in the request's transaction; a worker sends it later, so no mail server's delay reaches the response.

    The mail differs in number (the owner of a registered address is told so once, a new address gets its
    confirmation and the welcome), but each message is the same work: rendered, encrypted, inserted."""
    sign_up(REGISTERED)
    sign_up(NEW)

    assert mail.outbox == []
    queued = {(message.to[0], message.subject) for message in queued_emails()}
    assert queued == {
        (REGISTERED, "[Vitae] Account already exists"),
        (NEW, "[Vitae] Confirm your email address"),
        (NEW, "Welcome to Vitae"),
    }
