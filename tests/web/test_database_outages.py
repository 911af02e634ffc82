"""The database fails as an operator meets it, under the site served as ``make serve`` serves it (the default cache: a
table in that database). On SQLite: its write lock held past the busy timeout, and a full disk under its file. On
PostgreSQL: the server stopped.

Whatever the fault, a form that counts attempts (log-in, sign-up, reset) and a profile save answer the calm 503 page,
never a 500 nor a false "too many attempts"; the log holds one line naming the database; ``/healthz/`` names it; and
once the database is back, the same form works.
"""

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from testkit.disks import filled, tiny_disk
from testkit.http import Browser
from testkit.outages import LogWatch, assert_calm_503
from testkit.people import PASSWORD, unique_email
from testkit.postgres import Cluster
from testkit.sites import (
    POSTGRES_SCHEMES,
    Site,
    database_taken_away,
    impatient,
    migrated_database,
    production_env,
    serve,
)
from testkit.sites import throwaway_database as copy_of

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(POSTGRES_SCHEMES)


@dataclass
class Stage:
    """The served site, and how to take its database away in each of the ways this leg's database fails."""

    site: Site
    faults: dict[str, Callable[[], AbstractContextManager[object]]]
    reads_survive: set[str]  # the faults under which a page that only reads still answers


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory, migrated_template: str, static_root: Path) -> Iterator[Stage]:
    workdir = tmp_path_factory.mktemp("database-outages")
    with ExitStack() as stack:
        if ON_POSTGRES:
            # A server of the module's own: stopping it cuts no other test's connections.
            cluster = stack.enter_context(Cluster())
            database_url = stack.enter_context(migrated_database(workdir, server=cluster.url("postgres")))
            faults = {"server stopped": lambda: database_taken_away(database_url, cluster=cluster)}
            reads_survive: set[str] = set()
        else:
            # The SQLite file on a small disk of its own, which the test can fill.
            disk = stack.enter_context(tiny_disk(workdir / "disk", "16m"))
            database_url = stack.enter_context(copy_of(disk, template=migrated_template))
            faults = {"write lock held": lambda: database_taken_away(database_url), "disk full": lambda: filled(disk)}
            reads_survive = set(faults)  # WAL: readers never wait for the writer, nor need a byte of disk
        # The site waits a second, not its default five, for the lock or the server before it gives up.
        env = production_env(workdir, impatient(database_url), DJANGO_STATIC_ROOT=str(static_root))
        site = stack.enter_context(serve(env, "database-outages", with_worker=False))
        yield Stage(site, faults, reads_survive)


FAULTS = ["server stopped"] if ON_POSTGRES else ["write lock held", "disk full"]


@pytest.fixture(params=FAULTS)
def fault(request: pytest.FixtureRequest, stage: Stage) -> str:
    return request.param


def signed_in(site: Site) -> Browser:
    email = unique_email()
    site.add_person(email, PASSWORD)
    browser = Browser(site.url)
    browser.log_in(email, PASSWORD)
    browser.email = email  # type: ignore[attr-defined]
    return browser


# The forms that count attempts in the cache (here: the database) before they check anything, and a valid entry.
COUNTED_FORMS = {
    "log-in": ("/accounts/login/", lambda: {"login": unique_email(), "password": "not the password"}),
    "sign-up": ("/accounts/signup/", lambda: {"email": unique_email(), "password1": PASSWORD, "password2": PASSWORD}),
    "reset": ("/accounts/password/reset/", lambda: {"email": unique_email()}),
}
AFTERWARDS = {"log-in": 200, "sign-up": 302, "reset": 302}  # a wrong password is the form again


@pytest.mark.parametrize("form", COUNTED_FORMS)
def test_a_form_that_counts_attempts_answers_a_calm_503_and_works_once_the_database_is_back(stage, fault, form):
    path, fields = COUNTED_FORMS[form]
    browser = Browser(stage.site.url)
    token = browser.csrf_token(path)

    with stage.faults[fault]():
        watch = LogWatch(stage.site)
        assert_calm_503(browser.submit(path, token, fields()))
        assert watch.the_one_outage("database")["path"] == path

    assert browser.submit(path, browser.csrf_token(path), fields()).status == AFTERWARDS[form]


def test_saving_the_profile_answers_a_calm_503_and_changes_nothing(stage, fault):
    person = signed_in(stage.site)
    token = person.csrf_token("/profile/edit/")
    with stage.faults[fault]():
        watch = LogWatch(stage.site)
        fields = {"first_name": "Changed", "last_name": "", "language": "en"}
        assert_calm_503(person.submit("/profile/edit/", token, fields))
        watch.the_one_outage("database")

    assert "Changed" not in person.get("/profile/").text


def test_a_signed_in_page_answers_while_it_can_and_never_signs_the_person_out(stage, fault):
    person = signed_in(stage.site)
    with stage.faults[fault]():
        response = person.get("/profile/")
        if fault in stage.reads_survive:
            assert response.status == 200 and person.email in response.text  # type: ignore[attr-defined]
        else:
            assert_calm_503(response)

    response = person.get("/profile/")
    assert response.status == 200 and person.email in response.text  # type: ignore[attr-defined]


def test_healthz_names_the_database_and_the_cache_in_it(stage, fault):
    with stage.faults[fault]():
        response = Browser(stage.site.url).get("/healthz/")
        assert response.status == 503
        assert response.json() == {"status": "unavailable", "database": "unavailable", "cache": "unavailable"}

    response = Browser(stage.site.url).get("/healthz/")
    assert (response.status, response.json()) == (200, {"status": "ok", "database": "ok", "cache": "ok"})
