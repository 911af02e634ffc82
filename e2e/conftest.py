"""End-to-end fixtures: the site served as in production (gunicorn, debug off), an SMTP sink, Chromium."""

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from e2e.steps import Account, sign_up
from testkit.processes import PROJECT_DIR, Gunicorn
from testkit.sites import clear_rate_limits, prepare, production_env, serve, throwaway_database
from testkit.smtp import SMTPSink

ARTIFACTS_DIR = PROJECT_DIR / "e2e-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_configure(config: pytest.Config) -> None:
    """Keep a screenshot of every failed journey in e2e-artifacts/, unless the command line says otherwise."""
    if config.getoption("--screenshot", default=None) == "off":
        config.option.screenshot = "only-on-failure"
    if config.getoption("--output", default=None) == "test-results":
        config.option.output = str(ARTIFACTS_DIR)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failed journey's report ends with the server's log: a 500's traceback is there, not in the browser."""
    report = yield
    site = getattr(item, "funcargs", {}).get("site")
    if report.when == "call" and report.failed and isinstance(site, Gunicorn):
        report.sections.append(("site log (last 60 lines)", "\n".join(site.log_text().splitlines()[-60:])))
    return report


@pytest.fixture(scope="session", autouse=True)
def _allow_django_beside_playwright() -> Iterator[None]:
    """Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls there otherwise.

    Set for the end-to-end tests only, and taken back after: ``check --deploy`` rightly fails when a
    process it starts inherits this variable.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# --- The served site -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def smtp() -> Iterator[SMTPSink]:
    """The mail server every instance sends to; tests read the emails from it."""
    with SMTPSink() as sink:
        yield sink


@pytest.fixture(scope="session")
def site_env(smtp: SMTPSink) -> Iterator[dict[str, str]]:
    """A migrated database, a media folder and collected static files, shared by every instance."""
    workdir = Path(tempfile.mkdtemp(prefix="e2e-site-"))
    try:
        with throwaway_database(workdir) as database_url:
            env = production_env(
                workdir, database_url, DJANGO_TASKS_BACKEND="immediate", EMAIL_URL=smtp.url, E2E_WORKDIR=str(workdir)
            )
            prepare(env)
            yield env
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def site(site_env: dict[str, str]) -> Iterator[Gunicorn]:
    """The site under test: gunicorn with two workers, WhiteNoise, debug off, plain HTTP."""
    with serve(site_env, "site") as running:
        yield running


@pytest.fixture(scope="session")
def localhost_site(site_env: dict[str, str]) -> Iterator[Gunicorn]:
    """The same site, served and browsed at http://localhost:<port>: a browser refuses WebAuthn (security keys,
    passkeys) on an IP address, and allauth takes the key's site (relying party) from the request's host name."""
    with serve(site_env, "localhost-site", host="localhost") as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request: pytest.FixtureRequest) -> None:
    """Every journey comes from 127.0.0.1, and the limits are shared by every worker: start each afresh."""
    if "site_env" in request.fixturenames:
        clear_rate_limits(request.getfixturevalue("site_env")["DATABASE_URL"])


# --- The browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium: no browser download, nothing phoning home."""
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture
def page(page: Page) -> Page:
    # Pages of this site answer in milliseconds; a locator that waits longer has found a bug.
    page.set_default_timeout(10_000)
    return page


# --- People --------------------------------------------------------------------------------------


@pytest.fixture
def signed_up(page: Page, site: Gunicorn, smtp: SMTPSink) -> Callable[..., Account]:
    """``signed_up()`` signs a new person up in ``page`` and returns their email and password."""

    def make(email: str | None = None) -> Account:
        return sign_up(page, site.url, smtp, email)

    return make
