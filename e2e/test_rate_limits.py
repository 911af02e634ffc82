"""Every rate limit holds against the site served as ``make serve`` serves it: all its workers, one shared count.

Attempts are sent in bursts from many threads, so that every worker answers some and they race each other
for the counters. Each test counts what the limit protects (password checks, emails, accounts), then shows
that the person is told "too many", and that nothing answered 500.
"""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from e2e.steps import link_in
from testkit.http import Browser, Response
from testkit.logs import log_lines
from testkit.people import PASSWORD, unique_email
from testkit.polling import wait_until
from testkit.sites import Site, serve
from testkit.smtp import SMTPSink

BURST_THREADS = 12
WRONG_PASSWORD = "not the password at all"

LOG_IN_CHECKED = "The email address and/or password you specified are not correct."
LOG_IN_REFUSED = "Too many failed login attempts. Try again later."
DELETION_GATE = "/accounts/reauthenticate/?next=%2Faccounts%2Fdelete%2F"
REAUTHENTICATION_CHECKED = "Incorrect password."
TOO_MANY_PAGE = "Too many attempts"  # templates/429.html


@pytest.fixture(scope="module")
def site(site_env: dict[str, str]) -> Iterator[Site]:
    """``make serve`` with its defaults: gunicorn.conf.py's worker count (2 × cores + 1), no CACHE_URL."""
    assert "CACHE_URL" not in site_env
    with serve(site_env, "limits", workers=None) as running:
        assert len(running.worker_pids()) == running.expected_workers() >= 3
        yield running


@dataclass
class Burst:
    responses: list[Response]
    workers: set[int]  # the gunicorn workers that answered (process ids in the access log)
    errors: list[dict]  # what the server logged at ERROR or above meanwhile

    def statuses(self) -> set[int]:
        return {response.status for response in self.responses}


def burst(site: Site, path: str, requests: list[Callable[[], Response]]) -> Burst:
    """Send the POSTs at once from many threads: several workers answer, racing for the same counters."""
    before = len(site.log_text().splitlines())
    with ThreadPoolExecutor(BURST_THREADS) as pool:
        responses = list(pool.map(lambda send: send(), requests))

    def access_lines() -> list[dict]:
        """The burst's POSTs in the access log, once every one is there (a worker writes it after the response)."""
        posts = [
            line
            for line in log_lines(site.log_text())[before:]
            if (line.get("event"), line.get("path"), line.get("method")) == ("request", path, "POST")
        ]
        return posts if len(posts) >= len(requests) else []

    answered = wait_until(access_lines, f"an access line for each of the {len(requests)} POSTs to {path}")
    lines = log_lines(site.log_text())[before:]
    errors = [line for line in lines if line["level"] in {"ERROR", "CRITICAL"} or line.get("status", 0) >= 500]
    return Burst(responses, {line["pid"] for line in answered}, errors)


def count(responses: list[Response], text: str) -> int:
    return sum(text in response.text for response in responses)


def verified_account(site: Site, smtp: SMTPSink, source_ip: str) -> str:
    """Sign up over raw HTTP and confirm from the emailed link: an account whose right password logs in."""
    email, browser = unique_email("limited"), Browser(site.url, source_ip=source_ip)
    reply = browser.post_form("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    assert reply.status == 302, reply.status
    confirm_link = link_in(smtp.wait_for(email, "Confirm your email address"), "/accounts/confirm-email/")
    confirm_path = urlsplit(confirm_link).path
    assert browser.post_form(confirm_path, {}).status == 302
    return email


def signed_in(site: Site, email: str, source_ip: str) -> Browser:
    browser = Browser(site.url, source_ip=source_ip)
    browser.log_in(email, PASSWORD)
    return browser


def log_in_attempt(site: Site, email: str, password: str, source_ip: str) -> Callable[[], Response]:
    """Load the log-in form now (as a person would), and return the POST to send later."""
    browser = Browser(site.url, source_ip=source_ip)
    token = browser.csrf_token("/accounts/login/")
    return lambda: browser.submit("/accounts/login/", token, {"login": email, "password": password})


def form_attempt(browser: Browser, path: str, fields: dict[str, str]) -> Callable[[], Response]:
    """The same form, posted from another tab of the same signed-in browser."""
    tab = browser.twin()
    token = tab.csrf_token(path)
    return lambda: tab.submit(path, token, fields)


def assert_several_workers_answered_without_error(result: Burst) -> None:
    assert len(result.workers) >= 2, "one worker answered everything: the burst proves nothing about sharing"
    assert result.errors == []


def accepted_up_to_the_limit(result: Burst, limit: int) -> int:
    """How many of the burst's form posts were accepted (302): at least one, at most ``limit``; every other one saw
    the "too many" page, several workers answered, and none with an error."""
    assert result.statuses() <= {302, 429}
    accepted = sum(response.status == 302 for response in result.responses)
    assert 1 <= accepted <= limit
    assert count(result.responses, TOO_MANY_PAGE) == len(result.responses) - accepted
    assert_several_workers_answered_without_error(result)
    return accepted


# --- Log-in -------------------------------------------------------------------------------------


def test_wrong_passwords_for_one_account_are_checked_at_most_five_times(site: Site, smtp: SMTPSink) -> None:
    email = verified_account(site, smtp, "127.0.1.1")
    # From six addresses, five each: the per-address limit (10 a minute) never decides, the account's does.
    attempts = [log_in_attempt(site, email, WRONG_PASSWORD, f"127.0.1.{10 + n % 6}") for n in range(30)]

    result = burst(site, "/accounts/login/", attempts)

    assert result.statuses() == {200}
    checked, refused = count(result.responses, LOG_IN_CHECKED), count(result.responses, LOG_IN_REFUSED)
    assert 1 <= checked <= 5, checked
    assert checked + refused == 30
    assert_several_workers_answered_without_error(result)
    right_password = log_in_attempt(site, email, PASSWORD, "127.0.1.99")()
    assert right_password.status == 200, "the right password was checked, and let in, past the limit"
    assert LOG_IN_REFUSED in right_password.text


def test_log_ins_from_one_address_are_checked_at_most_ten_times_and_answered_thirty(site: Site) -> None:
    attempts = [log_in_attempt(site, unique_email("nobody"), WRONG_PASSWORD, "127.0.2.1") for _ in range(40)]

    result = burst(site, "/accounts/login/", attempts)

    assert result.statuses() <= {200, 429}
    answered = [response for response in result.responses if response.status == 200]
    assert len(answered) <= 30
    assert 1 <= count(answered, LOG_IN_CHECKED) <= 10
    assert count(answered, LOG_IN_CHECKED) + count(answered, LOG_IN_REFUSED) == len(answered)
    assert count(result.responses, TOO_MANY_PAGE) == 40 - len(answered) >= 10
    assert_several_workers_answered_without_error(result)


# --- Sign-up ------------------------------------------------------------------------------------


def sign_up_attempt(site: Site, email: str, source_ip: str) -> Callable[[], Response]:
    browser = Browser(site.url, source_ip=source_ip)
    token = browser.csrf_token("/accounts/signup/")
    fields = {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    return lambda: browser.submit("/accounts/signup/", token, fields)


def test_sign_ups_from_one_address_make_at_most_twenty_accounts(site: Site, smtp: SMTPSink) -> None:
    emails = [unique_email("burst") for _ in range(30)]
    attempts = [sign_up_attempt(site, email, "127.0.3.1") for email in emails]

    result = burst(site, "/accounts/signup/", attempts)

    accepted = accepted_up_to_the_limit(result, 20)
    site.wait_for_tasks()  # every email a request queued has been sent
    welcomed = {email for email in emails if any("Welcome to" in message["Subject"] for message in smtp.to(email))}
    assert len(welcomed) == accepted


# --- Password reset -----------------------------------------------------------------------------


def reset_attempt(site: Site, email: str, source_ip: str) -> Callable[[], Response]:
    browser = Browser(site.url, source_ip=source_ip)
    token = browser.csrf_token("/accounts/password/reset/")
    return lambda: browser.submit("/accounts/password/reset/", token, {"email": email})


def test_reset_emails_to_one_address_are_at_most_five_a_minute(site: Site, smtp: SMTPSink) -> None:
    email = verified_account(site, smtp, "127.0.4.1")
    attempts = [reset_attempt(site, email, f"127.0.4.{10 + n % 6}") for n in range(30)]

    result = burst(site, "/accounts/password/reset/", attempts)

    accepted = accepted_up_to_the_limit(result, 5)
    site.wait_for_tasks()
    resets = [message for message in smtp.to(email) if "password reset" in message["Subject"].lower()]
    assert len(resets) == accepted


def test_reset_requests_from_one_address_are_at_most_twenty_a_minute(site: Site, smtp: SMTPSink) -> None:
    emails = [unique_email("reset") for _ in range(30)]
    attempts = [reset_attempt(site, email, "127.0.5.1") for email in emails]

    result = burst(site, "/accounts/password/reset/", attempts)

    accepted = accepted_up_to_the_limit(result, 20)
    site.wait_for_tasks()
    assert sum(len(smtp.to(email)) for email in emails) <= accepted


# --- Signed in: the deletion page and reauthentication -------------------------------------------


def test_wrong_passwords_before_deletion_are_checked_at_most_five_times(site: Site, smtp: SMTPSink) -> None:
    """The deletion page opens only after allauth's reauthentication, whose limits hold across every worker."""
    email = verified_account(site, smtp, "127.0.6.1")
    browser = signed_in(site, email, "127.0.6.2")
    assert browser.get("/accounts/delete/").location == DELETION_GATE
    attempts = [form_attempt(browser, DELETION_GATE, {"password": WRONG_PASSWORD}) for _ in range(20)]

    result = burst(site, "/accounts/reauthenticate/", attempts)

    assert result.statuses() <= {200, 429}
    answered = [response for response in result.responses if response.status == 200]
    checked = count(answered, REAUTHENTICATION_CHECKED)
    assert 1 <= checked <= 5, checked  # the account's failed log-ins: 5 in 5 minutes
    assert checked + count(answered, LOG_IN_REFUSED) == len(answered) <= 10  # and 10 confirmations a minute
    assert count(result.responses, TOO_MANY_PAGE) == 20 - len(answered)
    assert_several_workers_answered_without_error(result)
    right_password = form_attempt(browser, DELETION_GATE, {"password": PASSWORD})()
    assert right_password.status in {200, 429}, "the right password was checked, and opened deletion, past the limit"
    assert LOG_IN_REFUSED in right_password.text or TOO_MANY_PAGE in right_password.text
    assert browser.get("/accounts/delete/").location == DELETION_GATE
    assert browser.get("/profile/").status == 200


def test_reauthentication_is_checked_at_most_ten_times_a_minute(site: Site, smtp: SMTPSink) -> None:
    email = verified_account(site, smtp, "127.0.7.1")
    browser = signed_in(site, email, "127.0.7.2")
    attempts = [form_attempt(browser, "/accounts/reauthenticate/", {"password": WRONG_PASSWORD}) for _ in range(25)]

    result = burst(site, "/accounts/reauthenticate/", attempts)

    assert result.statuses() <= {200, 429}
    answered = [response for response in result.responses if response.status == 200]
    assert len(answered) <= 10
    assert count(result.responses, TOO_MANY_PAGE) == 25 - len(answered)
    # A reauthentication is a log-in too: the account's failed log-ins (5 in 5 minutes) cap the checks further.
    checked = count(answered, REAUTHENTICATION_CHECKED)
    assert 1 <= checked <= 5, checked
    assert checked + count(answered, LOG_IN_REFUSED) == len(answered)
    assert_several_workers_answered_without_error(result)
    right_password = form_attempt(browser, "/accounts/reauthenticate/", {"password": PASSWORD})()
    assert right_password.status == 429
    assert TOO_MANY_PAGE in right_password.text


# --- The counters themselves ---------------------------------------------------------------------


def test_a_flood_of_other_visitors_does_not_wipe_an_accounts_failed_log_ins(site: Site, smtp: SMTPSink) -> None:
    """A cache that drops entries when it holds "too many" would let an attacker reset a victim's count."""
    email = verified_account(site, smtp, "127.0.8.1")
    for attempt in [log_in_attempt(site, email, WRONG_PASSWORD, "127.0.8.2") for _ in range(5)]:
        assert LOG_IN_CHECKED in attempt().text
    assert LOG_IN_REFUSED in log_in_attempt(site, email, PASSWORD, "127.0.8.3")().text

    # Reset requests for 400 addresses from 20 others: 420 live counters, each within every limit.
    flood = [reset_attempt(site, unique_email("flood"), f"127.0.9.{1 + n % 20}") for n in range(400)]
    result = burst(site, "/accounts/password/reset/", flood)

    assert result.statuses() == {302}
    assert result.errors == []
    right_password = log_in_attempt(site, email, PASSWORD, "127.0.8.4")()
    assert right_password.status == 200, "the account's failed log-ins were forgotten: the right password got in"
    assert LOG_IN_REFUSED in right_password.text
