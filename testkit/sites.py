"""A site prepared as ``make serve`` prepares it: a fresh database, migrated; static files collected; a media
folder; debug off; the database task backend with its worker. The environment it returns is what gunicorn,
``manage.py`` and the worker are given; ``serve`` starts both, the one way the suites start a site.

Migrating is the slow part of a fresh database, so a run migrates one database once and each module (or test)
gets a copy of it (``throwaway_database(template=…)``): PostgreSQL clones it (``CREATE DATABASE … TEMPLATE``),
SQLite copies the file. Every copy starts in the same state and shares nothing with another.
"""

import fcntl
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .polling import wait_until
from .postgres import Cluster
from .processes import PROJECT_DIR, Gunicorn, Process, manage, task_worker

POSTGRES_SCHEMES = ("postgres://", "postgresql://", "pgsql://")


def _postgres(url: str) -> str:
    """A URL psycopg takes (django-environ also knows the ``pgsql://`` spelling)."""
    return url.replace("pgsql://", "postgresql://", 1)


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///").partition("?")[0]


def impatient(database_url: str) -> str:
    """The same database, with the site's wait for it cut to a second (SQLite's busy timeout, PostgreSQL's connect
    timeout; 5 s by default, config/settings.py): for a test that takes the database away and needs only the outcome
    of the site giving up, not the default's length (tests/test_settings.py asserts that)."""
    option = "connect_timeout" if database_url.startswith(POSTGRES_SCHEMES) else "timeout"
    return f"{database_url}{'&' if '?' in database_url else '?'}{option}=1"


@contextmanager
def throwaway_database(workdir: Path, *, template: str | None = None, server: str | None = None) -> Iterator[str]:
    """A fresh database, dropped afterwards: a SQLite file in ``workdir``, or a new database on the PostgreSQL server
    of ``server`` (default: ``DATABASE_URL``, which ``bin/with-postgres`` sets). With ``template`` (the URL of a
    database no one is connected to), the new one starts as its copy."""
    url = server or os.environ.get("DATABASE_URL", "")
    if not url.startswith(POSTGRES_SCHEMES):
        path = workdir / f"db-{secrets.token_hex(4)}.sqlite3"
        if template is not None:
            shutil.copyfile(sqlite_path(template), path)
        yield f"sqlite:///{path}"
        return

    import psycopg
    from psycopg import sql

    name = f"site_{secrets.token_hex(6)}"
    server_url = urlsplit(url)
    query = f"?{server_url.query}" if server_url.query else ""
    # Connect to the database the URL names (it exists), to create and later drop a sibling of it.
    admin_url = _postgres(f"{server_url.scheme}://{server_url.netloc}{server_url.path}{query}")
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        template_name = urlsplit(template).path.lstrip("/")
        create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template_name))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(create)
    try:
        yield f"{server_url.scheme}://{server_url.netloc}/{name}{query}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def migrated_database(workdir: Path, *, server: str | None = None) -> Iterator[str]:
    """A fresh database with every migration applied, by ``manage.py migrate`` as an operator runs it; nothing stays
    connected to it afterwards, so that it can serve as a template."""
    with throwaway_database(workdir, server=server) as database_url:
        env = production_env(workdir, database_url)
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        if not database_url.startswith(POSTGRES_SCHEMES):
            # Fold the write-ahead log into the file: a copy of the file alone is then the whole database.
            with sqlite3.connect(sqlite_path(database_url)) as database:
                database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            database.close()
        yield database_url


CACHE_TABLE = "django_cache"  # the default CACHE_URL's table (config/settings.py)


def clear_rate_limits(database_url: str) -> None:
    """Empty the site's database cache, where allauth counts attempts: each test starts as a new visitor."""
    if database_url.startswith(POSTGRES_SCHEMES):
        import psycopg
        from psycopg import sql

        with psycopg.connect(_postgres(database_url), autocommit=True) as connection:
            connection.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(CACHE_TABLE)))
    else:
        database = sqlite3.connect(sqlite_path(database_url), timeout=30)
        try:
            with database:
                database.execute(f"DELETE FROM {CACHE_TABLE}")  # noqa: S608 (a constant)
        finally:
            database.close()


def query(database_url: str, statement: str) -> list[tuple]:
    """The rows of one statement run against a site's database from outside the site (a constant: no parameters);
    a statement that changes rows is committed at once, and gives no rows."""
    if database_url.startswith(POSTGRES_SCHEMES):
        import psycopg

        with psycopg.connect(_postgres(database_url), autocommit=True) as connection:
            cursor = connection.execute(statement.encode())
            return cursor.fetchall() if cursor.description else []
    database = sqlite3.connect(sqlite_path(database_url), timeout=30, isolation_level=None)
    try:
        return database.execute(statement).fetchall()
    finally:
        database.close()


TASK_TABLE = "django_tasks_database_dbtaskresult"  # django-tasks-db's DBTaskResult


def task_results(database_url: str) -> list[dict]:
    """The task rows of a site's database (status, task_path, kwargs, worker_ids, run_after), oldest first.

    ``run_after`` is in seconds since the epoch, 0 for a task that may run at once.
    """
    rows = query(
        database_url,
        f"SELECT id, status, task_path, args_kwargs, worker_ids, run_after FROM {TASK_TABLE}"  # noqa: S608
        " ORDER BY enqueued_at",
    )

    def parsed(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value  # SQLite keeps JSON as text

    def seconds(value: Any) -> float:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)  # SQLite keeps text
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return 0.0 if moment.year == 9999 else moment.timestamp()  # django-tasks-db's "no run_after"

    return [
        {
            "id": str(uuid.UUID(str(row[0]))),  # SQLite keeps the hex digits only
            "status": row[1],
            "task_path": row[2],
            "kwargs": parsed(row[3])["kwargs"],
            "worker_ids": parsed(row[4]),
            "run_after": seconds(row[5]),
        }
        for row in rows
    ]


def no_transaction_open(database_url: str) -> bool:
    """True when no other connection to a site's database is inside a transaction, so a writer would not wait.

    PostgreSQL: no other session of the database has a transaction open. SQLite, which cannot list its clients:
    another connection takes the write lock without waiting, and checkpoints the whole write-ahead log (which
    a reader holding a snapshot would prevent).
    """
    if database_url.startswith(POSTGRES_SCHEMES):
        [(open_transactions,)] = query(
            database_url,
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL",
        )
        return open_transactions == 0
    connection = sqlite3.connect(sqlite_path(database_url), timeout=0, isolation_level=None)
    try:
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # "database is locked": another connection is writing
            return False
        connection.execute("ROLLBACK")
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return busy == 0
    finally:
        connection.close()


@contextmanager
def database_taken_away(database_url: str, *, cluster: Cluster | None = None) -> Iterator[None]:
    """Inside the block, a site's database is gone, as in a restart or under a long lock; after it, it is back.

    PostgreSQL: ``cluster``, the server of the database (a test's own, never one other tests share), is shut down
    (every connection cut) and started again at the end. SQLite, which has no server: another connection holds
    the file's write lock for the block's duration, past SQLite's busy timeout.
    """
    if database_url.startswith(POSTGRES_SCHEMES):
        if cluster is None:
            raise ValueError("Taking a PostgreSQL database away stops its server: pass the test's own Cluster.")
        cluster.stop()
        try:
            yield
        finally:
            cluster.start()
        return
    connection = sqlite3.connect(sqlite_path(database_url), timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def production_env(workdir: Path, database_url: str, **overrides: str) -> dict[str, str]:
    """The environment of ``make serve`` (and ``make worker``) with its defaults, pointed at ``workdir``: debug off,
    the database task backend; only what a test must set."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "GUNICORN_"))}
    for name in ("DATABASE_URL", "EMAIL_URL", "CACHE_URL", "SITE_URL", "DEFAULT_FROM_EMAIL"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_HTTPS="false",  # as `make serve` on loopback
        DJANGO_TASKS_BACKEND="database",  # production's: emails and deletions wait in the database for the worker
        DATABASE_URL=database_url,
        DJANGO_MEDIA_ROOT=str(workdir / "media"),
        DJANGO_STATIC_ROOT=str(workdir / "static"),
        TMPDIR=str(workdir / "tmp"),
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    for folder in ("DJANGO_MEDIA_ROOT", "TMPDIR"):
        Path(env[folder]).mkdir(parents=True, exist_ok=True)
    return env


# Static files collected for production, once for what they are made of: a fresh clone's `make test` collects them
# once, not once per process of each leg (compressing them is a few seconds of both cores).
STATIC_CACHE = PROJECT_DIR / ".cache" / "static"


def static_sources_digest() -> str:
    """A digest of everything ``collectstatic`` reads: every file Django's finders list (the site's, Django's admin,
    allauth's, Bootstrap's), as it is now, and the settings and locked packages that decide how it is stored."""
    from django.contrib.staticfiles import finders

    digest = hashlib.sha256()
    for extra in (PROJECT_DIR / "config" / "settings.py", PROJECT_DIR / "uv.lock"):
        digest.update(extra.read_bytes())
    sources = sorted(
        (path, storage.path(path)) for finder in finders.get_finders() for path, storage in finder.list([])
    )
    for path, location in sources:
        stat = os.stat(location)
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:16]


def collected_static(env: dict[str, str]) -> Path:
    """The static files as ``make serve`` collects them, in a folder of the project's cache named after what they are
    made of: collected by the first process that needs them (the others wait), reused while nothing they are made of
    changes, replaced when something does. Read only: sites serve from it, nothing writes into it."""
    STATIC_CACHE.mkdir(parents=True, exist_ok=True)
    target = STATIC_CACHE / static_sources_digest()
    with open(STATIC_CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not (target / "staticfiles.json").exists():
            for stale in STATIC_CACHE.iterdir():
                if stale.is_dir():
                    shutil.rmtree(stale)
            collecting = Path(tempfile.mkdtemp(dir=STATIC_CACHE, prefix="collecting-"))
            collect_static({**env, "DJANGO_STATIC_ROOT": str(collecting)})
            collecting.rename(target)
    return target


def collect_static(env: dict[str, str]) -> None:
    """``collectstatic`` as ``make serve`` runs it, into ``DJANGO_STATIC_ROOT`` (compressed, hashed names)."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


def prepare(env: dict[str, str]) -> None:
    """Migrate and collect the static files, as ``make serve`` does before it starts (for a database not yet
    migrated: a copy of a migrated template needs neither)."""
    # Compressing the static files is the slowest step: let it overlap the migrations.
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


class Site(Gunicorn):
    """A served site: its gunicorn (``url``, ``env``, ``log``, ``media_root``, ``manage()``) and, with the database
    task backend, the task worker beside it (``worker``), as an operator runs ``make serve`` and ``make worker``."""

    worker: Process | None = None

    def add_person(self, email: str, password: str, **fields: bool | str) -> int:
        """An account with a verified address, able to log in at once, made in the site's database as a shell
        session would make it (``fields``: ``is_staff=True``, ``first_name="Ada"``, …); its pk."""
        code = (
            "import json\n"
            "from allauth.account.models import EmailAddress\n"
            "from accounts.models import User\n"
            f"email, password, fields = json.loads({json.dumps(json.dumps([email, password, fields]))})\n"
            "user = User.objects.create_user(email=email, password=password, **fields)\n"
            "EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)\n"
            "print(user.pk)\n"
        )
        return int(self.manage("shell", "--no-imports", "--command", code).stdout.split()[-1])

    def unfinished_tasks(self) -> list[dict]:
        """Tasks the worker has still to run now (due) or is running."""
        now = time.time()
        return [
            task
            for task in task_results(self.env["DATABASE_URL"])
            if task["status"] == "RUNNING" or (task["status"] == "READY" and task["run_after"] <= now)
        ]

    def wait_for_tasks(self, timeout: float = 30) -> None:
        """Wait until the worker has run every task that is due (the emails a request queued, say)."""
        if self.worker is None:
            return  # the immediate backend ran them inside the request
        wait_until(
            lambda: not self.unfinished_tasks(),
            f"{self.name}'s worker runs every due task",
            timeout=timeout,
            describe=self.unfinished_tasks,
        )


@contextmanager
def serve(
    env: dict[str, str],
    name: str,
    *,
    workers: int | None = 2,
    logs: Path | None = None,
    host: str = "127.0.0.1",
    with_worker: bool = True,
) -> Iterator[Site]:
    """Run gunicorn exactly as ``make serve`` does, on a free port, with ``SITE_URL`` pointing at it, and with the
    database task backend ``make worker``'s worker beside it (``with_worker=False``: none, its tasks wait).

    ``workers=None`` leaves the count to ``config/gunicorn.conf.py``'s default (2 × cores + 1), as an operator gets.
    ``host="localhost"`` serves (and names in SITE_URL) the site as ``http://localhost:<port>``: WebAuthn needs a
    host name, never an IP address, and localhost is the one name a browser trusts over plain HTTP.
    """
    env = {key: value for key, value in env.items() if key != "GUNICORN_WORKERS"}
    if workers is not None:
        env["GUNICORN_WORKERS"] = str(workers)
    site = Site(name, env, logs or Path(env["TMPDIR"]).parent, host=host)
    site.env["SITE_URL"] = site.url
    with ExitStack() as stack:
        stack.enter_context(site)
        if with_worker and env.get("DJANGO_TASKS_BACKEND") == "database":
            # Polling five times a second rather than once: a test waits less for each email.
            worker = task_worker(f"{name}-worker", site.env, site.log.parent, "--interval", "0.2")
            site.worker = stack.enter_context(worker)
        yield site
