"""With the database task backend, sign-up only queues its emails; the worker process delivers them."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.steps import fill_signup_form, link_in, navbar
from testkit.logs import events
from testkit.people import PASSWORD, unique_email
from testkit.processes import task_worker
from testkit.sites import Site, serve
from testkit.smtp import SMTPSink


@pytest.fixture
def queueing_site(another_site_env: Callable[..., dict[str, str]]) -> Iterator[Site]:
    """A site whose worker is not started yet: every email waits in the task queue."""
    with serve(another_site_env(), "queueing", workers=1, with_worker=False) as running:
        yield running


@contextmanager
def running_worker(site: Site) -> Iterator[Path]:
    """``manage.py task_worker`` as an operator runs it, beside the site; yields its log file."""
    with task_worker("worker", site.env, site.log.parent, "--interval", "0.2") as worker:
        yield worker.log


def test_the_worker_delivers_the_emails_that_signup_queued(page: Page, queueing_site: Site, smtp: SMTPSink) -> None:
    site, email = queueing_site, unique_email("queued")
    fill_signup_form(page, site.url, email, PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()
    assert smtp.to(email) == [], "with the database backend the web process must not send mail itself"

    with running_worker(site) as worker_log:
        verification = smtp.wait_for(email, "Confirm your email address")
        smtp.wait_for(email, "Welcome to")

    assert len(events(worker_log.read_text(), "email_sent")) >= 2
    assert events(site.log_text(), "email_sent") == []
    page.goto(link_in(verification, "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    expect(navbar(page).get_by_role("link", name="Profile")).to_be_visible()
