"""End-to-end fixtures: the site served as in production (gunicorn, debug off), an SMTP sink, Chromium."""

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Page

from e2e.steps import Account, sign_up
from testkit.ordering import longest_first
from testkit.processes import PROJECT_DIR
from testkit.sites import (
    Site,
    clear_rate_limits,
    collected_static,
    migrated_database,
    production_env,
    serve,
    throwaway_database,
)
from testkit.smtp import SMTPSink

ARTIFACTS_DIR = PROJECT_DIR / "e2e-artifacts"
CHROMIUM = "/usr/bin/chromium"
HEADLESS_CHROMIUM = "/usr/bin/chromium-headless-shell"
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    longest_first(
        items,
        [
            "test_page_matrix.py",
            "test_cv_upload.py",
            "test_hostile_input.py",
            "test_rate_limits.py",
            "test_pages.py",
            "test_deletion_journeys.py",
            "test_auth_journeys.py",
            "test_passkey_journeys.py",
            "test_two_factor_journeys.py",
            "test_security_journeys.py",
            "test_two_factor_pages.py",
            "test_admin.py",
            "test_createsuperuser.py",
            "test_pending_address_journey.py",
            "test_email_links.py",
        ],
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failed journey's report ends with the server's log: a 500's traceback is there, not in the browser."""
    report = yield
    if report.when == "call" and report.failed:
        for site in getattr(item, "funcargs", {}).values():
            if isinstance(site, Site):
                for process in filter(None, (site, site.worker)):
                    last_lines = "\n".join(process.log_text().splitlines()[-60:])
                    report.sections.append((f"{process.name} log (last 60 lines)", last_lines))
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
#
# Each module gets a site of its own: a copy of one migrated database, its own media folder and mail server, gunicorn
# as `make serve` runs it (debug off, WhiteNoise over collected static files) and the task worker beside it, as in
# production. Nothing one module does (an account, a queued task, a counter) is seen by another.


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database migrated once per run; every module's database starts as a copy of it."""
    with migrated_database(tmp_path_factory.mktemp("template")) as database_url:
        yield database_url


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory, migrated_template: str) -> Path:
    """The static files as ``collectstatic`` gathers them for production (testkit.sites.collected_static: once for
    every process and leg of a run), for served sites."""
    return collected_static(production_env(tmp_path_factory.mktemp("static"), migrated_template))


@pytest.fixture(scope="module")
def smtp() -> Iterator[SMTPSink]:
    """The mail server the module's site sends to; tests read the emails from it."""
    with SMTPSink() as sink:
        yield sink


@pytest.fixture(scope="module")
def site_env(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    migrated_template: str,
    static_root: Path,
    smtp: SMTPSink,
) -> Iterator[dict[str, str]]:
    """The module's own database (a copy of the migrated one), media folder and mail server, with production's
    settings: what every instance of the module's site is started with."""
    workdir = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    with throwaway_database(workdir, template=migrated_template) as database_url:
        yield production_env(workdir, database_url, EMAIL_URL=smtp.url, DJANGO_STATIC_ROOT=str(static_root))


@pytest.fixture(scope="module")
def another_site_env(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    migrated_template: str,
    static_root: Path,
    smtp: SMTPSink,
) -> Iterator[Callable[..., dict[str, str]]]:
    """``another_site_env(**overrides)``: the environment of a second site, on a database of its own (a copy of the
    migrated one) with its own media folder, for a journey that needs the site otherwise configured."""
    with ExitStack() as stack:

        def make(**overrides: str) -> dict[str, str]:
            workdir = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
            database_url = stack.enter_context(throwaway_database(workdir, template=migrated_template))
            settings = {"EMAIL_URL": smtp.url, "DJANGO_STATIC_ROOT": str(static_root), **overrides}
            return production_env(workdir, database_url, **settings)

        yield make


@pytest.fixture(scope="module")
def site(site_env: dict[str, str]) -> Iterator[Site]:
    """The site under test: gunicorn with two workers, WhiteNoise, debug off, plain HTTP, and its task worker."""
    with serve(site_env, "site") as running:
        yield running


@pytest.fixture(scope="module")
def localhost_site(site_env: dict[str, str]) -> Iterator[Site]:
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
    """Debian's Chromium, no browser download and nothing phoning home: its headless shell (package
    chromium-headless-shell, the same Chromium release without the desktop browser around it, which is what Playwright
    itself runs headless; this leg takes three quarters of the time it took in the desktop browser), unless
    ``--headed`` asks for the browser's window."""
    headless = browser_type_launch_args.get("headless", True)
    executable = HEADLESS_CHROMIUM if headless else CHROMIUM
    if not Path(executable).is_file():
        package = Path(executable).name
        raise pytest.UsageError(f"{executable} is missing: `make test-deps` installs it (Debian package {package})")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_as_named(browser_type_launch_args: dict) -> str:
    """This Chromium as the site names a browser (security/browsers.py): its User-Agent says HeadlessChrome when it
    runs headless, Chrome when ``--headed``."""
    return "Headless Chrome on Linux" if browser_type_launch_args.get("headless", True) else "Chrome on Linux"


@pytest.fixture
def page(page: Page) -> Page:
    # Pages of this site answer in milliseconds; a locator that waits longer has found a bug.
    page.set_default_timeout(10_000)
    return page


# --- People --------------------------------------------------------------------------------------


@pytest.fixture
def signed_up(page: Page, site: Site, smtp: SMTPSink) -> Callable[..., Account]:
    """``signed_up()`` signs a new person up in ``page`` and returns their email and password."""

    def make(email: str | None = None) -> Account:
        return sign_up(page, site.url, smtp, email)

    return make
