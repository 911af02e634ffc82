"""CACHE_URL=redis://…, and Redis fails as an operator meets it: stopped, hung (SIGSTOP), restarted empty.

The site is served as ``make serve`` serves it (gunicorn, debug off) in front of a real ``redis-server``. Whatever
Redis does, a signed-in person keeps their session (it is read from the database), a form that counts attempts
(log-in, sign-up, reset) answers the calm 503 page rather than a 500 or a false "too many attempts", the log holds
one line naming the cache, and ``/healthz/`` names it too.
"""

from collections.abc import Iterator

import pytest

from testkit.http import Browser, Response
from testkit.outages import LogWatch, assert_calm_503
from testkit.people import PASSWORD, unique_email
from testkit.redis import RedisServer
from testkit.sites import Site, serve


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="module")
def site(served_env, redis_server: RedisServer) -> Iterator[Site]:
    with serve(served_env(CACHE_URL=redis_server.url), "redis-site", with_worker=False) as running:
        yield running


@pytest.fixture(autouse=True)
def _redis_answers_again(redis_server: RedisServer) -> Iterator[None]:
    """Each test starts and ends with Redis answering, whatever fault it injected."""
    yield
    redis_server.resume()
    if not redis_server.process.running():
        redis_server.start()


@pytest.fixture
def person(site: Site) -> Browser:
    """Someone signed in while Redis answered."""
    email = unique_email()
    site.add_person(email, PASSWORD)
    browser = Browser(site.url)
    browser.log_in(email, PASSWORD)
    browser.email = email  # type: ignore[attr-defined]
    return browser


def sees_their_profile(browser: Browser) -> bool:
    response = browser.get("/profile/")
    assert response.status == 200, (response.status, response.location)
    return browser.email in response.text  # type: ignore[attr-defined]


# The forms that count attempts in the cache before they check anything.
COUNTED_FORMS = {
    "log-in": ("/accounts/login/", lambda: {"login": unique_email(), "password": "not the password"}),
    "sign-up": ("/accounts/signup/", lambda: {"email": unique_email(), "password1": PASSWORD, "password2": PASSWORD}),
    "reset": ("/accounts/password/reset/", lambda: {"email": unique_email()}),
}


def post_counted_form(site: Site, form: str) -> Response:
    path, fields = COUNTED_FORMS[form]
    browser = Browser(site.url)
    token = browser.csrf_token(path)  # the form is shown from the page cache, without Redis
    return browser.submit(path, token, fields())


# --- Redis stopped ---------------------------------------------------------------------------------


def test_a_signed_in_person_keeps_their_session_while_redis_is_stopped_and_after(site, redis_server, person):
    redis_server.stop()
    watch = LogWatch(site)

    assert sees_their_profile(person)
    assert sees_their_profile(person)
    assert [line for line in watch.lines() if line["level"] in ("ERROR", "CRITICAL")] == []

    redis_server.start()  # empty: the session comes from the database again
    assert sees_their_profile(person)


@pytest.mark.parametrize("form", COUNTED_FORMS)
def test_a_form_that_counts_attempts_answers_a_calm_503_while_redis_is_stopped(site, redis_server, form):
    redis_server.stop()
    watch = LogWatch(site)

    assert_calm_503(post_counted_form(site, form))

    assert watch.the_one_outage("cache")["path"] == COUNTED_FORMS[form][0]


def test_healthz_names_the_cache_while_redis_is_stopped(site, redis_server):
    redis_server.stop()
    response = Browser(site.url).get("/healthz/")
    assert response.status == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "cache": "unavailable"}

    redis_server.start()
    response = Browser(site.url).get("/healthz/")
    assert (response.status, response.json()) == (200, {"status": "ok", "database": "ok", "cache": "ok"})


# --- Redis hung ------------------------------------------------------------------------------------


def test_a_signed_in_person_keeps_their_session_while_redis_hangs(site, redis_server, person):
    redis_server.hang()
    watch = LogWatch(site)

    assert sees_their_profile(person)
    assert [line for line in watch.lines() if line["level"] in ("ERROR", "CRITICAL")] == []

    redis_server.resume()
    assert sees_their_profile(person)


def test_log_in_while_redis_hangs_answers_a_calm_503_and_works_once_it_answers_again(site, redis_server, person):
    redis_server.hang()
    watch = LogWatch(site)

    assert_calm_503(post_counted_form(site, "log-in"))
    watch.the_one_outage("cache")

    redis_server.resume()
    # From another address: Redis runs the lock command it was sent while hung once it wakes, and allauth's lock on
    # this address's counter then stands for its ten seconds (README, Operations).
    browser = Browser(site.url, source_ip="127.0.0.2")
    browser.log_in(person.email, PASSWORD)  # type: ignore[attr-defined]
    browser.email = person.email  # type: ignore[attr-defined]
    assert sees_their_profile(browser)


def test_healthz_names_the_cache_while_redis_hangs(site, redis_server):
    redis_server.hang()
    response = Browser(site.url).get("/healthz/")
    assert response.status == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "cache": "unavailable"}
