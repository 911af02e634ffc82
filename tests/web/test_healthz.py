"""/healthz/: 200 while the database answers, 503 (logged as no error) when it does not."""

import json
import os
import subprocess
import sys

from testkit.network import free_port
from testkit.processes import PROJECT_DIR

PROBE = """
import json
from django.test import Client
response = Client().get("/healthz/")
print(json.dumps([response.status_code, json.loads(response.content), sorted(response.cookies)]))
"""


def probe_healthz(database_url: str) -> tuple[int, dict, str]:
    """Ask /healthz/ in a fresh process whose database is ``database_url``, as a load balancer would."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "false",
        "DJANGO_SECRET_KEY": "healthz-test-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": database_url,
    }
    code = f"import django; django.setup()\n{PROBE}"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    status, body, cookies = json.loads(result.stdout.strip().splitlines()[-1])
    assert cookies == []
    return status, body, result.stdout + result.stderr


def test_healthz_is_200_when_the_database_answers(tmp_path):
    status, body, _ = probe_healthz(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert (status, body) == (200, {"status": "ok"})


def test_healthz_is_503_without_an_error_log_when_the_database_is_down():
    # A PostgreSQL URL on a loopback port where nothing listens: a real refused connection.
    status, body, output = probe_healthz(f"postgres://nobody:nothing@127.0.0.1:{free_port()}/none")
    assert (status, body) == (503, {"status": "unavailable"})
    assert "level=ERROR" not in output and "Traceback" not in output
