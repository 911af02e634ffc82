"""End-to-end fixtures: the site served as in production (gunicorn, debug off), an SMTP sink, Chromium."""

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from itertools import count
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.smtp_sink import SMTPSink, free_port

PROJECT_DIR = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = PROJECT_DIR / "e2e-artifacts"
PASSWORD = "a long e2e password 42"
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
    if report.when == "call" and report.failed and isinstance(site, Site):
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


@dataclass
class Site:
    """One running instance: its address, its environment, and manage.py against the same database."""

    url: str
    env: dict[str, str]
    media_root: Path
    log: Path
    process: subprocess.Popen = field(repr=False)

    def manage(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """``site.manage("createsuperuser", "--noinput", env={"DJANGO_SUPERUSER_EMAIL": ...})``"""
        return manage({**self.env, **(env or {})}, *args)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run a management command in a process of its own, as an operator would; fail loudly."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    if result.returncode:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@contextmanager
def throwaway_database(workdir: Path) -> Iterator[str]:
    """A fresh database: a SQLite file in workdir, or a new database on the PostgreSQL server in DATABASE_URL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        yield f"sqlite:///{workdir / 'db.sqlite3'}"
        return

    import psycopg
    from psycopg import sql

    name = f"e2e_{secrets.token_hex(6)}"
    server = urlsplit(url)
    query = f"?{server.query}" if server.query else ""
    # Connect to the database the URL names (it exists), to create and later drop a sibling of it.
    admin_url = f"postgresql://{server.netloc}{server.path}{query}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{server.scheme}://{server.netloc}/{name}{query}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/healthz/", timeout=2) as response:  # noqa: S310 (our own http URL)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url}/healthz/ did not answer 200 within {timeout}s:\n{log.read_text(errors='replace')}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM is gunicorn's (and db_worker's) graceful shutdown; kill only a process that hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def serve(env: dict[str, str], name: str, *, workers: int = 2) -> Iterator[Site]:
    """Run gunicorn exactly as production does, on a free port, until the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**env, "SITE_URL": url, "GUNICORN_WORKERS": str(workers)}
    log = Path(env["E2E_WORKDIR"]) / f"{name}.log"
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.conf.py"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--bind", f"127.0.0.1:{port}"], cwd=PROJECT_DIR, env=env, stdout=output, stderr=output
        )
    try:
        wait_until_healthy(url, process, log)
        yield Site(url=url, env=env, media_root=Path(env["DJANGO_MEDIA_ROOT"]), log=log, process=process)
    finally:
        stop(process)


@pytest.fixture(scope="session")
def smtp() -> Iterator[SMTPSink]:
    """The mail server every instance sends to; tests read the emails from it."""
    sink = SMTPSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def site_env(smtp: SMTPSink) -> Iterator[dict[str, str]]:
    """A migrated database, a media folder and collected static files, shared by every instance."""
    workdir = Path(tempfile.mkdtemp(prefix="e2e-site-"))
    try:
        with throwaway_database(workdir) as database_url:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DJANGO_DEBUG": "false",
                "DJANGO_HTTPS": "false",
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DATABASE_URL": database_url,
                "DJANGO_MEDIA_ROOT": str(workdir / "media"),
                "DJANGO_STATIC_ROOT": str(workdir / "static"),
                "DJANGO_TASKS_BACKEND": "immediate",
                "EMAIL_URL": smtp.url,
                "E2E_WORKDIR": str(workdir),
                "PYTHONUNBUFFERED": "1",
            }
            env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            (workdir / "media").mkdir()
            # Compressing the static files is the slowest step of the start-up: let it overlap the migrations.
            collecting = subprocess.Popen(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                cwd=PROJECT_DIR,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            manage(env, "migrate", "--noinput", "--verbosity", "0")
            output, _ = collecting.communicate(timeout=300)
            if collecting.returncode:
                raise AssertionError(f"manage.py collectstatic failed:\n{output}")
            yield env
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def site(site_env: dict[str, str]) -> Iterator[Site]:
    """The site under test: gunicorn with two workers, WhiteNoise, debug off, plain HTTP."""
    with serve(site_env, "site") as running:
        yield running


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

_emails = count(1)
_run = secrets.token_hex(3)


def unique_email(label: str = "person") -> str:
    """A new address per call: rate limits count per address, and every test needs its own inbox."""
    return f"{label}-{_run}-{next(_emails)}@example.com"


def plain_text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def link_in(message: EmailMessage, path_part: str) -> str:
    match = re.search(rf"https?://\S*{re.escape(path_part)}\S*", plain_text(message))
    assert match, f"No link containing {path_part!r} in:\n{plain_text(message)}"
    return match.group(0)


@dataclass
class Account:
    email: str
    password: str


def navbar(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def fill_signup_form(page: Page, site_url: str, email: str, password: str) -> None:
    page.goto(f"{site_url}/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password (again)").fill(password)


def sign_up(page: Page, site_url: str, smtp: SMTPSink, email: str | None = None) -> Account:
    """Sign up through the form, confirm from the emailed link, and end up logged in."""
    account = Account(email=email or unique_email(), password=PASSWORD)
    fill_signup_form(page, site_url, account.email, account.password)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()
    confirm_link = link_in(smtp.wait_for(account.email, "confirm"), "/accounts/confirm-email/")
    page.goto(confirm_link)
    page.get_by_role("button", name="Confirm").click()
    expect(navbar(page).get_by_role("link", name="Profile")).to_be_visible()
    return account


@pytest.fixture
def signed_up(page: Page, site: Site, smtp: SMTPSink) -> Callable[..., Account]:
    """``signed_up()`` signs a new person up in ``page`` and returns their email and password."""

    def make(email: str | None = None) -> Account:
        return sign_up(page, site.url, smtp, email)

    return make


def log_in(page: Page, site_url: str, email: str, password: str) -> None:
    page.goto(f"{site_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
