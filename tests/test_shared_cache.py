"""CACHE_URL=redis://…: rate limits and sessions are shared by every process that uses the same Redis."""

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import redis

from testkit.people import PASSWORD
from testkit.processes import PROJECT_DIR
from testkit.redis import RedisServer


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A real Redis server on a loopback port, with nothing written to disk."""
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


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


def test_the_default_cache_is_a_database_table_every_worker_shares_and_sessions_stay_in_the_database():
    assert settings_in_a_fresh_process() == {
        "cache": "web.caches.DatabaseCache",  # Django's, whose failed writes raise (tests/web/test_database_outages.py)
        "sessions": "django.contrib.sessions.backends.db",
    }


def test_a_redis_cache_url_puts_the_shared_cache_in_front_of_sessions(redis_url):
    assert settings_in_a_fresh_process(CACHE_URL=redis_url) == {
        "cache": "django_redis.cache.RedisCache",
        # Django's cached_db, but a failing Redis is a miss (tests/web/test_cache_outages.py)
        "sessions": "web.sessions",
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
