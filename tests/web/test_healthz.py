"""/healthz/: 200 while the database takes a write and the cache answers; 503 naming the part that does not, logged as
no error. (The faults met by a served site, a held lock, a full disk, Redis stopped or hung: test_database_outages.py
and test_cache_outages.py.)"""

import json
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from testkit.network import free_port
from testkit.processes import PROJECT_DIR
from testkit.sites import impatient

PROBE = """
import json
from django.test import Client
response = Client().get("/healthz/")
print(json.dumps([response.status_code, json.loads(response.content), sorted(response.cookies)]))
"""


def probe_healthz(env: dict[str, str], **overrides: str) -> tuple[int, dict, str]:
    """Ask /healthz/ in a fresh process with ``env`` (a site's), as a load balancer would."""
    env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "false",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        **overrides,
    }
    code = f"import django; django.setup()\n{PROBE}"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    status, body, cookies = json.loads(result.stdout.strip().splitlines()[-1])
    assert cookies == []
    return status, body, result.stdout + result.stderr


def test_healthz_is_200_when_the_database_takes_a_write_and_the_cache_answers(worker_env):
    status, body, _ = probe_healthz(worker_env)
    assert (status, body) == (200, {"status": "ok", "database": "ok", "cache": "ok"})


def test_healthz_is_503_naming_the_database_without_an_error_log_when_it_is_down(worker_env):
    # A PostgreSQL URL on a loopback port where nothing listens: a real refused connection.
    status, body, output = probe_healthz(
        worker_env, DATABASE_URL=f"postgres://nobody:nothing@127.0.0.1:{free_port()}/x"
    )
    # The default cache is a table in that database: it is down too.
    assert (status, body) == (503, {"status": "unavailable", "database": "unavailable", "cache": "unavailable"})
    assert '"level": "ERROR"' not in output and "Traceback" not in output


@pytest.fixture
def server_that_never_answers() -> Iterator[int]:
    """A port whose connections the kernel accepts and nobody ever reads or answers: a hung database server."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as listener:
        yield listener.getsockname()[1]


def test_healthz_is_503_when_the_database_server_accepts_connections_but_never_answers(
    worker_env, server_that_never_answers
):
    # libpq would wait for ever; the site gives up after connect_timeout (5 s by default: tests/test_settings.py, here
    # a second), within a probe's patience.
    url = impatient(f"postgres://nobody:nothing@127.0.0.1:{server_that_never_answers}/x")
    status, body, _ = probe_healthz(worker_env, DATABASE_URL=url)
    assert (status, body["database"]) == (503, "unavailable")
