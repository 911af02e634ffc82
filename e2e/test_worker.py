"""With the database task backend, sign-up only queues its emails; the worker process delivers them."""

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import PASSWORD, PROJECT_DIR, Site, fill_signup_form, link_in, navbar, serve, stop, unique_email
from tests.smtp_sink import SMTPSink


@pytest.fixture
def queueing_site(site_env: dict[str, str]) -> Iterator[Site]:
    """A second instance on the same database that puts every email in the task queue."""
    with serve({**site_env, "DJANGO_TASKS_BACKEND": "database"}, "queueing", workers=1) as running:
        yield running


@contextmanager
def task_worker(site: Site) -> Iterator[Path]:
    """``manage.py db_worker`` as an operator runs it, beside the site; yields its log file."""
    log = Path(site.env["E2E_WORKDIR"]) / "worker.log"
    command = ["manage.py", "db_worker", "--queue-name", "*", "--interval", "0.2", "--no-startup-delay"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, *command], cwd=PROJECT_DIR, env=site.env, stdout=output, stderr=output
        )
    try:
        yield log
    finally:
        stop(process)


def test_the_worker_delivers_the_emails_that_signup_queued(page: Page, queueing_site: Site, smtp: SMTPSink) -> None:
    site, email = queueing_site, unique_email("queued")
    fill_signup_form(page, site.url, email, PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()
    assert smtp.to(email) == [], "with the database backend the web process must not send mail itself"

    with task_worker(site) as worker_log:
        verification = smtp.wait_for(email, "Confirm your email address")
        smtp.wait_for(email, "Welcome to")

    assert worker_log.read_text().count("event=email_sent") >= 2
    assert "event=email_sent" not in site.log_text()
    page.goto(link_in(verification, "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    expect(navbar(page).get_by_role("link", name="Profile")).to_be_visible()
