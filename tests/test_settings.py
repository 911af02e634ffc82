"""What config/settings.py makes of DATABASE_URL, as ``make serve`` reads it from the environment: every wait for the
database is bounded by default, and an operator's own bound in the URL is kept."""

import json
import subprocess
import sys

import pytest

from testkit.processes import PROJECT_DIR

pytestmark = pytest.mark.any_database


OPTIONS = """
import json
from django.conf import settings
print(json.dumps(settings.DATABASES["default"]["OPTIONS"]))
"""


def database_options(database_url: str) -> dict:
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_SECRET_KEY": "x" * 50, "DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "-c", OPTIONS], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("database_url", "option", "seconds"),
    [
        # A writer waits this long for SQLite's write lock, then the 503 page (far below gunicorn's 30 s timeout).
        ("sqlite:////srv/vitae/db.sqlite3", "timeout", 5),
        ("sqlite:////srv/vitae/db.sqlite3?timeout=2", "timeout", 2),
        # libpq would wait for ever for a server that accepts the connection and never answers.
        ("postgres://vitae@db.internal:5432/vitae", "connect_timeout", 5),
        ("postgres://vitae@db.internal:5432/vitae?connect_timeout=2", "connect_timeout", 2),
    ],
)
def test_the_wait_for_the_database_is_bounded_by_default_or_as_the_url_says(database_url, option, seconds):
    assert database_options(database_url)[option] == seconds


def test_sqlite_keeps_its_write_ahead_log_and_immediate_transactions_whatever_the_url_says():
    options = database_options("sqlite:////srv/vitae/db.sqlite3?timeout=2")
    assert options["init_command"] == "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    assert options["transaction_mode"] == "IMMEDIATE"
