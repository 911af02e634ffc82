"""Fixtures for unit and integration tests: users, real CV files, a private media folder, SMTP."""

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from testkit import cv_files
from testkit.http import Browser
from testkit.ordering import longest_first
from testkit.people import PASSWORD
from testkit.s3 import Bucket, S3Server
from testkit.sites import collected_static, migrated_database, production_env, throwaway_database
from testkit.smtp import SMTPSink

# Generated inputs are the same on every run: a property test explores many values, but a red run is always the same
# red run, reproducible from the commit alone (no example database carried between runs).
hypothesis_settings.register_profile("deterministic", derandomize=True, database=None)
hypothesis_settings.load_profile("deterministic")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules go to the two processes whole (``--dist loadfile``: a module's served site starts once), the longest
    first."""
    longest_first(
        items,
        [
            "test_hostile_input.py",
            "mail/test_worker.py",
            "web/test_database_outages.py",
            "web/test_proxy.py",
            "web/test_cache_outages.py",
            "web/test_healthz.py",
            "accounts/test_login_by_code.py",
            "test_security.py",
            "accounts/test_admin_cv_storage.py",
            "web/test_interrupted_uploads.py",
            "accounts/test_s3.py",
            "mail/test_tasks.py",
            "test_static_files.py",
            "test_migrations.py",
            "accounts/test_deletion.py",
            "mail/test_email_layout.py",
        ],
    )


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    """Every test gets its own empty media folder, so files on disk can be asserted exactly, and its own folder for
    uploads as they arrive."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    (tmp_path / "partial-uploads").mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "partial-uploads")
    return root


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate-limit counters live in the cache, and kept pages in others: one test's attempts must not throttle the
    next, nor a page rendered under one test's settings be served in the next."""
    for alias in ("default", "pages", "people"):
        caches[alias].clear()
    yield
    for alias in ("default", "pages", "people"):
        caches[alias].clear()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language: a request's LocaleMiddleware leaves its language active after it."""
    translation.deactivate()  # nothing active: LANGUAGE_CODE
    yield
    translation.deactivate()


@pytest.fixture
def make_user(db) -> Callable:
    """Create a user with a verified primary email, able to log in at once."""
    counter = iter(range(1, 10_000))

    def make(email: str | None = None, password: str = PASSWORD, **fields):
        from accounts.models import User

        email = email or f"person{next(counter)}@example.com"
        user = User.objects.create_user(email=email, password=password, **fields)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        return user

    return make


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def reauthenticated(client) -> Callable:
    """``reauthenticated(user)``: ``client`` signed in as ``user``, who has just confirmed their password.

    Sensitive pages (the export, changing email, two-factor) ask for that even right after a log-in.
    """

    def sign_in(user):
        client.force_login(user)
        response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
        assert response.status_code == 302, f"reauthentication answered {response.status_code}"
        return client

    return sign_in


@dataclass
class Clock:
    """The time the test sets: ``clock.now`` (seconds since the epoch), moved on only by ``clock.advance(seconds)``."""

    traveller: time_machine.Traveller

    @property
    def now(self) -> float:
        return time.time()

    def advance(self, seconds: float) -> None:
        self.traveller.shift(seconds)


@pytest.fixture
def clock() -> Iterator[Clock]:
    """Time stands still one second into a 30-second window until the test moves it on (``clock.advance(30)``).

    time-machine stops every clock the site reads (``time.time``, ``datetime.now``, ``timezone.now``): authenticator
    codes, login codes, rate limits, cache expiry and the times stored in rows all agree, and none ticks by itself.
    """
    start = (int(time.time()) // 30 + 1) * 30 + 1.0
    with time_machine.travel(start, tick=False) as traveller:
        yield Clock(traveller)


@pytest.fixture
def password_confirmed() -> Callable:
    """``password_confirmed(client)``: the signed-in client confirms its password, as allauth's reauthentication
    asks before deletion (a sign-in alone does not count); for the next few minutes such pages open."""

    def confirm(client, password: str = PASSWORD):
        response = client.post("/accounts/reauthenticate/", {"password": password})
        assert response.status_code == 302, response.status_code
        return client

    return confirm


@pytest.fixture
def deferring_tasks(settings) -> None:
    """The database task backend, which holds a task until its ``run_after`` (the immediate one cannot wait)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def queued_emails(db) -> Callable[[], list]:
    """``queued_emails()``: the messages the database task backend holds for delivery, oldest first."""
    from django_tasks_db.models import DBTaskResult

    from mail.messages import QueuedMessage

    def read() -> list:
        rows = DBTaskResult.objects.filter(task_path="mail.tasks.deliver_email").order_by("enqueued_at")
        return [QueuedMessage.unsealed(row.args_kwargs["kwargs"]["message"]).as_email() for row in rows]

    return read


@pytest.fixture
def cv_upload() -> Callable[..., SimpleUploadedFile]:
    """An uploaded file with real content: ``cv_upload("cv.pdf")`` or ``cv_upload("x.pdf", data=...)``."""
    makers = {"pdf": cv_files.make_pdf, "docx": cv_files.make_docx, "odt": cv_files.make_odt}

    def make(name: str = "cv.pdf", data: bytes | None = None) -> SimpleUploadedFile:
        if data is None:
            data = makers[name.rsplit(".", 1)[-1].lower()]()
        return SimpleUploadedFile(name, data)

    return make


@pytest.fixture
def user_with_cv(user, cv_upload):
    user.cv = cv_upload("My CV.pdf")
    user.save()
    return user


@pytest.fixture
def browser_as(live_server, client) -> Callable[..., Browser]:
    """``browser_as(user)``: a raw-HTTP browser on the live server, holding a session of ``user``."""
    from django.conf import settings

    def make(user) -> Browser:
        client.force_login(user)
        browser = Browser(live_server.url)
        browser.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
        return browser

    return make


@pytest.fixture
def smtp_sink() -> Iterator[SMTPSink]:
    with SMTPSink() as sink:
        yield sink


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated once per test process; each ``worker_env`` starts from a copy of it."""
    with migrated_database(tmp_path_factory.mktemp("template")) as database_url:
        yield database_url


@pytest.fixture
def worker_env(tmp_path: Path, smtp_sink: SMTPSink, migrated_template: str) -> Iterator[dict[str, str]]:
    """The environment of the site's own processes (``manage.py``, ``task_worker``) on a database of their own.

    Migrated; SQLite, or PostgreSQL under ``bin/with-postgres``; tasks queued in the database; mail to ``smtp_sink``.
    """
    with throwaway_database(tmp_path, template=migrated_template) as database_url:
        yield production_env(tmp_path, database_url, EMAIL_URL=smtp_sink.url)


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory, migrated_template: str) -> Path:
    """The static files as ``collectstatic`` gathers them for production (testkit.sites.collected_static: once for
    every process and leg of a run), for served sites."""
    return collected_static(production_env(tmp_path_factory.mktemp("static"), migrated_template))


@pytest.fixture(scope="module")
def served_env(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    migrated_template: str,
    static_root: Path,
) -> Iterator[Callable[..., dict[str, str]]]:
    """``served_env(**overrides)``: the environment of ``make serve`` (debug off, gunicorn, WhiteNoise) on a database
    of its own (a copy of the migrated one) and a media folder of its own, for ``testkit.sites.serve``."""
    with ExitStack() as stack:

        def make(**overrides: str) -> dict[str, str]:
            workdir = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
            database_url = stack.enter_context(throwaway_database(workdir, template=migrated_template))
            return production_env(workdir, database_url, DJANGO_STATIC_ROOT=str(static_root), **overrides)

        yield make


@pytest.fixture
def s3_server() -> Iterator[S3Server]:
    """Object storage on loopback (moto's S3 server)."""
    with S3Server() as server:
        yield server


@pytest.fixture
def bucket(settings, s3_server: S3Server) -> Bucket:
    """A fresh private bucket, made the site's default storage exactly as DJANGO_STORAGE=s3 configures it."""
    bucket = Bucket(s3_server)
    settings.STORAGES = {**settings.STORAGES, "default": bucket.storage(settings.S3_OPTIONS)}
    return bucket
