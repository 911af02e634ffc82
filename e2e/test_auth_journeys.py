"""Sign-up, verification, log-in and password reset, as a person does them in the browser."""

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from e2e.steps import fill_signup_form, link_in, log_in, log_out, login_code_in, navbar, plain_text
from testkit.logs import events
from testkit.network import free_port
from testkit.people import PASSWORD, unique_email
from testkit.polling import wait_until
from testkit.sites import Site, serve
from testkit.smtp import SMTPSink

NEW_PASSWORD = "another long e2e password 43"


def request_password_reset(page: Page, site: Site, smtp: SMTPSink, email: str) -> str:
    """Ask for a reset on the site and return the link from the email."""
    page.goto(f"{site.url}/accounts/password/reset/")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Reset my password").click()
    expect(page.get_by_role("heading", name="Password reset")).to_be_visible()
    return link_in(smtp.wait_for(email, "Password reset"), "/accounts/password/reset/key/")


def set_new_password(page: Page, reset_link: str, password: str) -> None:
    page.goto(reset_link)
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("New password (again)").fill(password)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password is now changed.")).to_be_visible()


def test_signup_verification_link_logs_the_person_in(page: Page, site: Site, smtp: SMTPSink) -> None:
    email = unique_email()
    fill_signup_form(page, site.url, email, PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()

    verification = smtp.wait_for(email, "Confirm your email address")
    # A next step while waiting: the email again (allauth's cooldown holds it back a few minutes, and says so).
    page.get_by_role("button", name="Resend the email").click()
    expect(page.get_by_text("We sent it a moment ago")).to_be_visible()
    page.goto(link_in(verification, "/accounts/confirm-email/"))
    expect(page.get_by_role("heading", name="Confirm email address")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()

    expect(navbar(page).get_by_role("link", name="Profile")).to_be_visible()
    navbar(page).get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()


def test_signup_sends_exactly_one_welcome_email_beside_the_verification(
    page: Page, site: Site, smtp: SMTPSink, signed_up
) -> None:
    account = signed_up()
    page.goto(f"{site.url}/profile/")  # later saves of the user (verification, log-in) must not welcome again

    site.wait_for_tasks()
    subjects = sorted(message["Subject"] for message in smtp.to(account.email))
    welcomes = [subject for subject in subjects if "Welcome to" in subject]
    assert len(welcomes) == 1, subjects
    assert any("Confirm your email address".lower() in subject.lower() for subject in subjects), subjects
    welcome = smtp.wait_for(account.email, "Welcome to")
    assert f"{site.url}/profile/" in plain_text(welcome)
    assert welcome.get_body(("html",)) is not None


def test_wrong_password_shows_an_error_and_stays_logged_out(page: Page, site: Site, signed_up) -> None:
    account = signed_up()
    log_out(page)

    log_in(page, site.url, account.email, "not the password at all")

    expect(page.get_by_text("The email address and/or password you specified are not correct.")).to_be_visible()
    expect(navbar(page).get_by_role("link", name="Log in")).to_be_visible()
    expect(navbar(page).get_by_role("link", name="Profile")).to_have_count(0)
    page.goto(f"{site.url}/profile/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_password_reset_by_emailed_link_then_log_in_with_the_new_password(
    page: Page, site: Site, smtp: SMTPSink, signed_up
) -> None:
    account = signed_up()
    log_out(page)

    set_new_password(page, request_password_reset(page, site, smtp, account.email), NEW_PASSWORD)

    # Said once (no message repeating the page), and the next step is a button away.
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    expect(page.get_by_text("Password successfully changed.")).to_have_count(0)
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    log_in(page, site.url, account.email, account.password)
    expect(page.get_by_text("The email address and/or password you specified are not correct.")).to_be_visible()
    log_in(page, site.url, account.email, NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()


def test_a_log_in_code_asked_for_never_traps_the_person(page: Page, site: Site, smtp: SMTPSink, signed_up) -> None:
    account = signed_up()
    log_out(page)
    page.goto(f"{site.url}/accounts/login/")
    page.get_by_role("link", name="Email me a log-in code").click()
    page.get_by_label("Email").fill(account.email)
    page.get_by_role("button", name="Request code").click()
    expect(page.get_by_role("heading", name="Enter log-in code")).to_be_visible()
    smtp.wait_for(account.email, "Log-in code")

    # The navbar's "Log in" shows the log-in page, and so does a page that needs a log-in.
    navbar(page).get_by_role("link", name="Log in").click()
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    page.goto(f"{site.url}/profile/")
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    # A new code, asked for again, logs the person in as the first would have.
    page.get_by_role("link", name="Email me a log-in code").click()
    expect(page.get_by_role("heading", name="Email me a log-in code")).to_be_visible()
    page.get_by_label("Email").fill(account.email)
    page.get_by_role("button", name="Request code").click()
    expect(page.get_by_role("heading", name="Enter log-in code")).to_be_visible()

    def second_code() -> str | None:
        codes = [login_code_in(message) for message in smtp.to(account.email) if "Log-in code" in message["Subject"]]
        return codes[1] if len(codes) > 1 else None

    page.get_by_label("Code").fill(wait_until(second_code, "the second log-in code"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()


def test_a_used_reset_link_is_refused(page: Page, site: Site, smtp: SMTPSink, signed_up) -> None:
    account = signed_up()
    log_out(page)
    reset_link = request_password_reset(page, site, smtp, account.email)
    set_new_password(page, reset_link, NEW_PASSWORD)

    page.goto(reset_link)

    expect(page.get_by_role("heading", name="Invalid link")).to_be_visible()
    expect(page.get_by_text("The password reset link was invalid")).to_be_visible()
    expect(page.get_by_label("New password", exact=True)).to_have_count(0)


def test_an_operator_created_superuser_gets_exactly_one_welcome_email(site: Site, smtp: SMTPSink) -> None:
    email = unique_email("staff")
    site.manage(
        "createsuperuser", "--noinput", env={"DJANGO_SUPERUSER_EMAIL": email, "DJANGO_SUPERUSER_PASSWORD": PASSWORD}
    )

    smtp.wait_for(email, "Welcome to")
    site.wait_for_tasks()
    assert [message["Subject"] for message in smtp.to(email)] == ["Welcome to Vitae"]


@pytest.fixture
def site_without_mail_server(another_site_env: Callable[..., dict[str, str]]) -> Iterator[Site]:
    """A site of its own whose mail server is down: nothing listens on its SMTP port."""
    env = another_site_env(EMAIL_URL=f"smtp://127.0.0.1:{free_port()}")
    with serve(env, "no-mail", workers=1) as running:
        yield running


def test_signup_succeeds_while_the_mail_server_is_down(page: Page, site_without_mail_server: Site) -> None:
    site = site_without_mail_server
    fill_signup_form(page, site.url, unique_email(), PASSWORD)

    with page.expect_response(lambda response: response.request.method == "POST") as submitted:
        page.get_by_role("button", name="Sign up").click()

    assert submitted.value.status == 302
    assert submitted.value.header_value("location") == "/accounts/confirm-email/"
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()
    # The worker tried, failed, and queued the next attempt: both emails (verification, welcome) wait for it.
    worker = site.worker
    assert worker is not None

    def failed_attempts() -> list[dict]:
        failed = events(worker.log_text(), "email_failed")
        return failed if len(failed) >= 2 else []

    failed = wait_until(failed_attempts, "the worker tries both emails once")
    assert all(event["retry_at"] for event in failed) and not events(worker.log_text(), "email_gave_up")
