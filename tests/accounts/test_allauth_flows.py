"""Every allauth flow through Django's test client: sign-up, verification, log-in, reset, change."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import User
from testkit.people import PASSWORD

pytestmark = pytest.mark.django_db


def signup(client, email: str, password1: str = PASSWORD, password2: str = PASSWORD):
    return client.post("/accounts/signup/", {"email": email, "password1": password1, "password2": password2})


def link_in(message, path_prefix: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}\S+)", message.body)
    assert match, message.body
    return match.group(1)


def email_to(address: str, subject_part: str):
    return next(m for m in reversed(mail.outbox) if address in m.to and subject_part.lower() in m.subject.lower())


def test_signup_asks_for_email_and_password_twice_and_no_username(client):
    page = client.get("/accounts/signup/").content.decode()
    form = page[page.index("<main") : page.index("</main>")]  # the footer's language switch is not the form's
    labels = [
        re.sub(r"<[^>]+>|\*", "", label).strip() for label in re.findall(r"<label[^>]*>(.*?)</label>", form, re.S)
    ]
    assert labels == ["Email", "Password", "Password (again)"]
    assert "username" not in page.lower()


def test_signup_then_confirm_by_link_logs_the_person_in(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client, "ada@example.com")
    assert response["Location"] == "/accounts/confirm-email/"
    assert not client.get("/profile/").wsgi_request.user.is_authenticated  # verification is mandatory
    confirm_path = link_in(email_to("ada@example.com", "Confirm"), "/accounts/confirm-email/")
    assert client.get(confirm_path).status_code == 200  # a page with a button, not a GET that acts
    response = client.post(confirm_path)
    assert response.status_code == 302
    profile = client.get("/profile/")
    assert profile.status_code == 200 and b"ada@example.com" in profile.content
    assert EmailAddress.objects.get(email="ada@example.com").verified


def test_login_before_verification_sends_to_the_verification_page(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "ada@example.com")
    client.logout()
    response = client.post("/accounts/login/", {"login": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/confirm-email/"


def test_signup_with_an_existing_email_in_another_case_reveals_nothing(
    client, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client, user.email.upper())
    assert response.status_code == 302 and response["Location"] == "/accounts/confirm-email/"
    assert User.objects.filter(email__iexact=user.email).count() == 1
    assert (
        "already" in email_to(user.email, "Account Already Exists").body.lower()
    )  # the owner is told, the visitor is not


@pytest.mark.parametrize(
    ("password1", "password2", "message"),
    [
        ("password", "password", "This password is too common"),
        ("short", "short", "too short"),
        ("12345678901234", "12345678901234", "entirely numeric"),
        (PASSWORD, PASSWORD + "x", "You must type the same password each time"),
    ],
)
def test_signup_refuses_bad_passwords_with_a_clear_message(client, password1, password2, message):
    response = signup(client, "ada@example.com", password1, password2)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()


def test_signup_refuses_an_invalid_email(client):
    response = signup(client, "not-an-email")
    assert response.status_code == 200 and "Enter a valid email address." in response.content.decode()


def test_login_with_a_wrong_password_shows_an_error(client, user):
    response = client.post("/accounts/login/", {"login": user.email, "password": "wrong password"})
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_login_and_logout(client, user):
    response = client.post("/accounts/login/", {"login": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/profile/"
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/profile/").status_code == 302


def test_repeated_failed_logins_are_rate_limited(client, user):
    for _ in range(5):
        client.post("/accounts/login/", {"login": user.email, "password": "wrong password"})
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated  # even the right password waits


def test_password_reset_by_emailed_link_works_once(client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response["Location"] == "/accounts/password/reset/done/"
    reset_path = link_in(email_to(user.email, "Password Reset"), "/accounts/password/reset/key/")
    form_path = client.get(reset_path)["Location"]  # allauth moves the key out of the URL
    new = {"password1": "another long password 2", "password2": "another long password 2"}
    assert client.post(form_path, new)["Location"] == "/accounts/password/reset/key/done/"
    assert client.login(username=user.email, password="another long password 2")
    client.logout()
    again = client.get(reset_path, follow=True)
    assert b"Invalid link" in again.content or b"invalid" in again.content.lower()


def test_password_reset_for_an_unknown_address_looks_the_same(client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/accounts/password/reset/", {"email": user.email})
        unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert not any(
        "nobody@example.com" in m.to and "reset" in m.body.lower() and "/key/" in m.body for m in mail.outbox
    )


def test_password_change_keeps_this_session_and_sends_a_notification(client, user, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/password/change/",
            {"oldpassword": PASSWORD, "password1": "another long password 2", "password2": "another long password 2"},
        )
    assert response.status_code == 302
    assert client.get("/profile/").status_code == 200
    assert email_to(user.email, "Password Changed")


def test_email_change_is_verified_before_it_counts(client, reauthenticated, user, django_capture_on_commit_callbacks):
    reauthenticated(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/email/", {"action_add": "", "email": "new@example.com"})
    assert response.status_code == 302
    assert not EmailAddress.objects.get(email="new@example.com").verified
    confirm_path = link_in(email_to("new@example.com", "Confirm"), "/accounts/confirm-email/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm_path)
    user.refresh_from_db()
    assert user.email == "new@example.com"
    assert EmailAddress.objects.get(user=user).email == "new@example.com"


def test_too_many_signups_from_one_address_get_the_429_page(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/m/ip"}
    for number in range(2):
        assert signup(client, f"person{number}@example.com").status_code == 302
    response = signup(client, "one-too-many@example.com")
    assert response.status_code == 429
    assert b"Too many attempts" in response.content
    assert not User.objects.filter(email="one-too-many@example.com").exists()


def test_a_pending_email_change_page_has_no_inline_style(
    client, reauthenticated, user, django_capture_on_commit_callbacks
):
    reauthenticated(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/email/", {"action_add": "", "email": "new@example.com"})
    page = client.get("/accounts/email/").content.decode()
    assert "new@example.com" in page and 'id="pending-email"' in page
    assert "style=" not in page  # the CSP forbids inline styles


# --- Every flow ends with a next step ------------------------------------------------------------------------


def test_a_reset_ends_on_a_page_that_says_so_once_and_leads_to_the_log_in(
    client, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": user.email})
    form_path = client.get(link_in(email_to(user.email, "Password Reset"), "/accounts/password/reset/key/"))["Location"]
    new = {"password1": "another long password 2", "password2": "another long password 2"}

    page = client.post(form_path, new, follow=True).content.decode()

    main = page[page.index("<main") : page.index("</main>")]
    assert "<h1>Password changed</h1>" in main
    assert main.count("Your password is now changed.") == 1
    assert "Password successfully changed." not in main  # allauth's message too would say it twice
    assert '<a class="btn btn-primary" href="/accounts/login/">Log in</a>' in main


def test_a_password_change_still_says_so_in_a_message(client, user):
    client.force_login(user)
    new = {"oldpassword": PASSWORD, "password1": "another long password 2", "password2": "another long password 2"}
    page = client.post("/accounts/password/change/", new, follow=True).content.decode()
    assert "Password successfully changed." in page


def test_the_verification_page_sends_the_email_again_on_request(client, clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "ada@example.com")
    page = client.get("/accounts/confirm-email/").content.decode()
    assert re.search(r'<form method="post" action="/accounts/confirm-email/resend/">', page)
    assert re.search(r"<button [^>]*>Resend the email</button>", page)

    # At once: allauth's cooldown holds a second email back a few minutes, and the page says so.
    with django_capture_on_commit_callbacks(execute=True):
        soon = client.post("/accounts/confirm-email/resend/", follow=True)
    assert soon.redirect_chain == [("/accounts/confirm-email/", 302)]
    assert "We sent it a moment ago" in soon.content.decode()
    assert len([m for m in mail.outbox if "Confirm" in m.subject]) == 1

    clock.advance(181)
    with django_capture_on_commit_callbacks(execute=True):
        later = client.post("/accounts/confirm-email/resend/", follow=True)
    assert "We have sent the email again." in later.content.decode()
    confirmations = [m for m in mail.outbox if "ada@example.com" in m.to and "Confirm" in m.subject]
    assert len(confirmations) == 2
    assert client.post(link_in(confirmations[-1], "/accounts/confirm-email/")).status_code == 302
    assert EmailAddress.objects.get(email="ada@example.com").verified


def test_resending_for_a_registered_address_answers_the_same_and_tells_only_its_owner(
    client, user, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, user.email)
    clock.advance(181)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/confirm-email/resend/", follow=True)

    assert response.redirect_chain == [("/accounts/confirm-email/", 302)]
    assert "We have sent the email again." in response.content.decode()
    assert len([m for m in mail.outbox if user.email in m.to and "already exists" in m.subject.lower()]) == 2


def test_resending_with_nothing_pending_leads_to_the_log_in(client):
    response = client.post("/accounts/confirm-email/resend/", follow=True)
    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert "Log in with your email address and password to get a new email." in response.content.decode()
