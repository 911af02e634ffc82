"""CACHE_URL=redis://…: rate limits and sessions are shared by every process that uses the same Redis."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import PASSWORD
from tests.smtp_sink import free_port

PROJECT_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A real Redis server on a loopback port, with nothing written to disk."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


def settings_in_a_fresh_process(**environment: str) -> dict[str, str]:
    code = (
        "from django.conf import settings\nprint(settings.CACHES['default']['BACKEND']); print(settings.SESSION_ENGINE)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "true"}
    env.pop("CACHE_URL", None)
    env.update(environment)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    backend, session_engine = result.stdout.split()
    return {"cache": backend, "sessions": session_engine}


def test_the_default_cache_is_per_process_so_sessions_stay_in_the_database():
    assert settings_in_a_fresh_process() == {
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "sessions": "django.contrib.sessions.backends.db",
    }


def test_a_redis_cache_url_puts_the_shared_cache_in_front_of_sessions(redis_url):
    assert settings_in_a_fresh_process(CACHE_URL=redis_url) == {
        "cache": "django_redis.cache.RedisCache",
        "sessions": "django.contrib.sessions.backends.cached_db",
    }


def test_failed_log_ins_are_counted_in_redis_for_every_app_server(client, user, settings, redis_url):
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url}}
    other_server = redis.Redis.from_url(redis_url)  # what any other process sees
    other_server.flushdb()
    for _ in range(5):
        client.post("/accounts/login/", {"login": user.email, "password": "wrong password"})
    assert any(b"login_failed" in key for key in other_server.keys("*"))
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
