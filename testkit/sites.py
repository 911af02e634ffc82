"""A site prepared as ``make serve`` prepares it: a fresh database, migrated; static files collected; a media
folder; debug off. The environment it returns is what gunicorn, ``manage.py`` and the worker are given."""

import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .processes import PROJECT_DIR, Gunicorn, manage

POSTGRES_SCHEMES = ("postgres://", "postgresql://", "pgsql://")

# A served site is its gunicorn process: url, env, log, media_root, manage().
Site = Gunicorn


@contextmanager
def throwaway_database(workdir: Path) -> Iterator[str]:
    """A fresh database: a SQLite file in workdir, or a new database on the PostgreSQL server in DATABASE_URL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(POSTGRES_SCHEMES):
        yield f"sqlite:///{workdir / 'db.sqlite3'}"
        return

    import psycopg
    from psycopg import sql

    name = f"site_{secrets.token_hex(6)}"
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


CACHE_TABLE = "django_cache"  # the default CACHE_URL's table (config/settings.py)


def clear_rate_limits(database_url: str) -> None:
    """Empty the site's database cache, where allauth counts attempts: each test starts as a new visitor."""
    if database_url.startswith(POSTGRES_SCHEMES):
        import psycopg
        from psycopg import sql

        with psycopg.connect(database_url.replace("pgsql://", "postgresql://", 1), autocommit=True) as connection:
            connection.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(CACHE_TABLE)))
    else:
        import sqlite3

        database = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30)
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

        with psycopg.connect(database_url.replace("pgsql://", "postgresql://", 1), autocommit=True) as connection:
            cursor = connection.execute(statement.encode())
            return cursor.fetchall() if cursor.description else []
    import sqlite3

    database = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
    try:
        return database.execute(statement).fetchall()
    finally:
        database.close()


TASK_TABLE = "django_tasks_database_dbtaskresult"  # django-tasks-db's DBTaskResult


def task_results(database_url: str) -> list[dict]:
    """The task rows of a site's database (status, task_path, kwargs, worker_ids), oldest first."""
    rows = query(
        database_url,
        f"SELECT id, status, task_path, args_kwargs, worker_ids FROM {TASK_TABLE} ORDER BY enqueued_at",  # noqa: S608
    )

    def parsed(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value  # SQLite keeps JSON as text

    return [
        {
            "id": str(uuid.UUID(str(row[0]))),  # SQLite keeps the hex digits only
            "status": row[1],
            "task_path": row[2],
            "kwargs": parsed(row[3])["kwargs"],
            "worker_ids": parsed(row[4]),
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
    import sqlite3

    connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
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


def interrupt_database(database_url: str, *, seconds: float) -> None:
    """Take a site's database away for ``seconds``, as a restart or a long lock does.

    PostgreSQL: the local cluster is stopped (every connection cut) and started again ``seconds`` later. SQLite,
    which has no server: another process holds the file's write lock for ``seconds``, past SQLite's busy timeout.
    """
    if database_url.startswith(POSTGRES_SCHEMES):
        version = max(os.listdir("/usr/lib/postgresql"), key=int)  # the cluster bin/with-postgres starts
        as_root = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run([*as_root, "pg_ctlcluster", version, "main", "stop"], check=True)  # fast: cuts clients off
        time.sleep(seconds)
        subprocess.run([*as_root, "pg_ctlcluster", version, "main", "start"], check=True)
        return
    import sqlite3

    connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def production_env(workdir: Path, database_url: str, **overrides: str) -> dict[str, str]:
    """The environment of ``make serve`` with its defaults, pointed at ``workdir``; only what a test must set."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "GUNICORN_"))}
    for name in ("DATABASE_URL", "EMAIL_URL", "CACHE_URL", "SITE_URL", "DEFAULT_FROM_EMAIL"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_HTTPS="false",  # as `make serve` on loopback
        DATABASE_URL=database_url,
        DJANGO_MEDIA_ROOT=str(workdir / "media"),
        DJANGO_STATIC_ROOT=str(workdir / "static"),
        TMPDIR=str(workdir / "tmp"),
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def prepare(env: dict[str, str]) -> None:
    """Create the folders, migrate, and collect the static files, as ``make serve`` does before it starts."""
    for folder in ("DJANGO_MEDIA_ROOT", "TMPDIR"):
        Path(env[folder]).mkdir(parents=True, exist_ok=True)
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


@contextmanager
def serve(
    env: dict[str, str],
    name: str,
    *,
    workers: int | None = 2,
    logs: Path | None = None,
    host: str = "127.0.0.1",
) -> Iterator[Gunicorn]:
    """Run gunicorn exactly as ``make serve`` does, on a free port, with ``SITE_URL`` pointing at it.

    ``workers=None`` leaves the count to ``config/gunicorn.conf.py``'s default (2 × cores + 1), as an operator gets.
    ``host="localhost"`` serves (and names in SITE_URL) the site as ``http://localhost:<port>``: WebAuthn needs a
    host name, never an IP address, and localhost is the one name a browser trusts over plain HTTP.
    """
    env = {key: value for key, value in env.items() if key != "GUNICORN_WORKERS"}
    if workers is not None:
        env["GUNICORN_WORKERS"] = str(workers)
    site = Gunicorn(name, env, logs or Path(env["TMPDIR"]).parent, host=host)
    site.env["SITE_URL"] = site.url
    with site:
        yield site
