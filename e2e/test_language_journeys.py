"""Two languages end to end: a visitor whose browser asks for German signs up, is served German, and the emails the
database worker delivers afterwards, outside any request, are German too (the language saved on the account)."""

from collections.abc import Callable, Iterator
from email.message import EmailMessage

import pytest
from playwright.sync_api import Page, expect

from e2e.steps import link_in, plain_text
from testkit.logs import events
from testkit.people import PASSWORD, unique_email
from testkit.processes import task_worker
from testkit.sites import Site, serve
from testkit.smtp import SMTPSink


@pytest.fixture
def browser_context_args(browser_context_args: dict) -> dict:
    """A browser set to German: it sends ``Accept-Language: de-DE`` with every request."""
    return {**browser_context_args, "locale": "de-DE"}


@pytest.fixture
def queueing_site(another_site_env: Callable[..., dict[str, str]]) -> Iterator[Site]:
    """A site whose worker is not started yet: every email waits in the task queue, for the worker to send."""
    with serve(another_site_env(), "queueing-de", workers=1, with_worker=False) as running:
        yield running


def html_part(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None, f"no HTML part in {message['Subject']!r}"
    return body.get_content()


def test_a_german_visitor_signs_up_and_the_worker_delivers_german_emails(
    page: Page, queueing_site: Site, smtp: SMTPSink
) -> None:
    site, email = queueing_site, unique_email("deutsch")
    page.goto(f"{site.url}/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_label("Passwort (Wiederholung)").fill(PASSWORD)
    page.get_by_role("button", name="Registrieren").click()
    expect(page).to_have_url(f"{site.url}/accounts/confirm-email/")
    assert smtp.to(email) == [], "with the database backend the web process must not send mail itself"

    with task_worker("worker-de", site.env, site.log.parent, "--interval", "0.2") as worker:
        welcome = smtp.wait_for(email, "Willkommen bei")
        verification = smtp.wait_for(email, "E-Mail-Adresse")

    assert len(events(worker.log.read_text(), "email_sent")) >= 2
    assert "Ihr Konto wurde angelegt" in plain_text(welcome)
    assert '<html lang="de">' in html_part(welcome) and "Zu Ihrem Profil" in html_part(welcome)
    assert "Vielen Dank für Ihre Registrierung" in plain_text(verification)
    assert '<html lang="de">' in html_part(verification)

    page.goto(link_in(verification, "/accounts/confirm-email/"))
    page.get_by_role("button", name="Bestätigen").click()
    expect(page).to_have_url(f"{site.url}/profile/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
