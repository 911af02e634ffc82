"""Every link in every email is built from SITE_URL, whatever Host header (an allowed one) the request came with."""

import re
import urllib.parse
from email.message import EmailMessage

import pytest

from testkit.http import Browser
from testkit.people import PASSWORD, unique_email
from testkit.sites import Site, clear_rate_limits
from testkit.smtp import SMTPSink
from testkit.totp import AuthenticatorApp

NEW_PASSWORD = "another long e2e password 43"
LINK = re.compile(r"https?://[^\s<>\"')]+", re.IGNORECASE)
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
TOKEN_AND_SECRET = re.compile(
    r'name="csrfmiddlewaretoken" value="([^"]+)".*id="authenticator_secret"[^>]*?value="([A-Z2-7]+)"', re.S
)

# What each flow below must have mailed: a sweep that found none of these would prove nothing.
EXPECTED_SUBJECTS = [
    "Confirm your email address",
    "Welcome to",
    "Account Already Exists",
    "Password Reset Email",
    "Unknown Account",
    "Password Changed",
    "Email Changed",
    "Log-in code",
    "Authenticator App Activated",
    "New Recovery Codes Generated",
    "Authenticator App Deactivated",
    "New log-in",
    "account has been deleted",
]


def bodies(message: EmailMessage) -> list[str]:
    """Every text part of a message, plain and HTML."""
    return [part.get_content() for part in message.walk() if part.get_content_type() in ("text/plain", "text/html")]


def path_of_link(message: EmailMessage, path_part: str) -> str:
    for body in bodies(message):
        for link in LINK.findall(body):
            if path_part in link:
                parts = urllib.parse.urlsplit(link)
                return parts.path + (f"?{parts.query}" if parts.query else "")
    raise AssertionError(f"no link with {path_part!r} in {message['Subject']!r}")


def confirm(browser: Browser, message: EmailMessage) -> None:
    """Open the emailed verification link in ``browser`` and press Confirm."""
    assert browser.post_form(path_of_link(message, "/accounts/confirm-email/"), {}).status == 302


def walk_every_flow_that_mails(site: Site, smtp: SMTPSink, host: str) -> None:
    """Every flow that sends an email, each request carrying ``Host: host``."""
    database = site.env["DATABASE_URL"]

    def visitor() -> Browser:
        return Browser(site.url, headers={"Host": host})

    def fresh_limits() -> None:
        # allauth mails one address at most once in 3 minutes; each step here must mail it again.
        clear_rate_limits(database)

    person, email = visitor(), unique_email("links")
    fields = {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    assert person.post_form("/accounts/signup/", fields).status == 302  # verification and welcome
    signup_verification = smtp.wait_for(email, "Confirm")

    fresh_limits()
    visitor().post_form("/accounts/login/", {"login": email, "password": PASSWORD})  # resends the verification
    site.wait_for_tasks()
    assert len(smtp.to(email)) == 3
    confirm(person, signup_verification)

    fresh_limits()
    assert visitor().post_form("/accounts/signup/", fields).status == 302  # the account already exists
    fresh_limits()
    assert visitor().post_form("/accounts/password/reset/", {"email": email}).status == 302
    assert visitor().post_form("/accounts/password/reset/", {"email": unique_email("nobody")}).status == 302

    change = {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert person.post_form("/accounts/password/change/", change).status == 302
    # Changing email and two-factor ask the person to confirm it is them first (for the next five minutes).
    assert person.post_form("/accounts/reauthenticate/", {"password": NEW_PASSWORD}).status == 302
    new_email = unique_email("moved")
    assert person.post_form("/accounts/email/", {"action_add": "", "email": new_email}).status == 302
    confirm(person, smtp.wait_for(new_email, "Confirm"))  # the old address is told of the change

    # Two-factor on, new recovery codes, two-factor off: each is notified. The page's secret is the one to use.
    token, secret = TOKEN_AND_SECRET.search(person.get("/accounts/2fa/totp/activate/").text).groups()
    code = AuthenticatorApp(secret).code()
    assert person.submit("/accounts/2fa/totp/activate/", token, {"code": code}).status == 302
    assert person.post_form("/accounts/2fa/recovery-codes/generate/", {}).status == 302
    assert person.post_form("/accounts/2fa/totp/deactivate/", {}).status == 302

    fresh_limits()
    assert visitor().post_form("/accounts/login/code/", {"email": new_email}).status == 302
    assert visitor().post_form("/accounts/login/code/", {"email": unique_email("nobody")}).status == 302
    visitor().log_in(new_email, NEW_PASSWORD)  # a browser the account has not used before: a warning
    assert person.post_form("/accounts/reauthenticate/", {"password": NEW_PASSWORD}).status == 302
    assert person.post_form("/accounts/delete/", {"action": "now"}).status == 302


@pytest.mark.parametrize("host_of", [lambda site: f"127.0.0.1:{site.port + 1}", lambda site: f"localhost:{site.port}"])
def test_every_link_in_every_email_starts_with_site_url(site: Site, smtp: SMTPSink, host_of) -> None:
    host = host_of(site)
    already_there = len(smtp.messages)

    walk_every_flow_that_mails(site, smtp, host)
    site.wait_for_tasks()

    messages = smtp.messages[already_there:]
    subjects = [message["Subject"] for message in messages]
    for expected in EXPECTED_SUBJECTS:
        assert any(expected.lower() in subject.lower() for subject in subjects), (expected, subjects)
    site_url = site.env["SITE_URL"]
    for message in messages:
        for body in bodies(message):
            assert host not in body, f"{message['Subject']!r} names the request's host:\n{body}"
            for link in LINK.findall(body):
                assert link.startswith(f"{site_url}/"), f"{message['Subject']!r} links to {link}"
