"""Signed-out pages rendered once per worker: each visitor still gets their own working CSRF token."""

import re

import pytest
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIHandler
from django.template import engines
from django.test import Client, override_settings
from django.utils import translation

from accounts.time_zones import choices_at, time_zone_choices
from testkit.people import PASSWORD
from web.page_cache import kept_paths, warm_up

ENTRANCE_PAGES = ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]


def csrf_tokens(page: str) -> list[str]:
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    return settings


def without_tokens(page: str) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value=")[^"]+', r"\1", page)


def test_the_kept_pages_are_the_entrance_pages(db):
    assert sorted(kept_paths()) == sorted(ENTRANCE_PAGES)


# Two visitors as different as visitors come while both are signed out and ask in one language: their own cookies
# (CSRF, device, theme, a stale session id that names no session), address, browser, and what they accept.
FIRST_VISITOR = {
    "REMOTE_ADDR": "198.51.100.7",
    "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "HTTP_ACCEPT": "text/html",
}
SECOND_VISITOR = {
    "REMOTE_ADDR": "203.0.113.99",
    "HTTP_USER_AGENT": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "HTTP_ACCEPT": "*/*",
    "HTTP_REFERER": "https://elsewhere.example/",
    "HTTP_X_FORWARDED_FOR": "192.0.2.1",
}


@pytest.mark.parametrize("path", ENTRANCE_PAGES)
@pytest.mark.parametrize("language", ["en", "de"])
def test_a_kept_page_rendered_for_two_different_visitors_differs_only_in_its_csrf_tokens(
    db, production, path, language
):
    """The page cache's one safety rule: the only thing of a visitor's own in a kept page is its CSRF input. Both
    renderings here are fresh (the cache is emptied between them), so whatever else differed would be served from
    one visitor's copy to the next."""
    pages = []
    for visitor, cookies in ((FIRST_VISITOR, {"device": "a1"}), (SECOND_VISITOR, {"sessionid": "stale", "x": "y"})):
        caches["pages"].clear()
        client = Client(HTTP_ACCEPT_LANGUAGE=language, **visitor)
        client.cookies.load(cookies)
        response = client.get(path)
        assert response.status_code == 200 and response.templates  # rendered for this visitor, not from a copy
        pages.append(response.content.decode())

    first, second = pages
    assert csrf_tokens(first) != csrf_tokens(second)
    assert without_tokens(first) == without_tokens(second)


def test_every_port_of_a_host_shares_one_copy(db, production):
    production.ALLOWED_HOSTS = ["localhost"]
    Client().get("/accounts/login/", HTTP_HOST="localhost:8001")
    for port in (8002, 8003):
        assert not Client().get("/accounts/login/", HTTP_HOST=f"localhost:{port}").templates
    assert len(caches["pages"]._cache) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", ENTRANCE_PAGES)
def test_the_second_visitor_gets_the_first_ones_markup_without_rendering_and_with_their_own_token(
    db, production, path, django_assert_num_queries
):
    first, second = Client(), Client()
    first_response = first.get(path)
    with django_assert_num_queries(0):
        second_response = second.get(path)

    assert first_response.templates and not second_response.templates  # served from the worker's copy
    first_page, second_page = first_response.content.decode(), second_response.content.decode()
    first_tokens, second_tokens = csrf_tokens(first_page), csrf_tokens(second_page)
    assert second_tokens and len(first_tokens) == len(second_tokens)
    assert not set(first_tokens) & set(second_tokens)
    assert re.sub(r'(csrfmiddlewaretoken" value=")[^"]+', r"\1", first_page) == re.sub(
        r'(csrfmiddlewaretoken" value=")[^"]+', r"\1", second_page
    )
    assert second_response.cookies["csrftoken"].value  # the middleware sets the cookie the token belongs to
    assert {"private", "no-store"} <= {part.strip() for part in second_response["Cache-Control"].split(",")}


def test_a_token_from_the_kept_page_logs_its_visitor_in(db, production, user):
    Client().get("/accounts/login/")  # the first visitor fills the copy
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get("/accounts/login/")
    assert not page.templates
    response = visitor.post(
        "/accounts/login/",
        {"login": user.email, "password": PASSWORD, "csrfmiddlewaretoken": csrf_tokens(page.content.decode())[0]},
    )
    assert response.status_code == 302
    assert response.url == "/profile/"


def test_each_language_has_its_own_copy(db, production):
    Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    german = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de")
    assert german.templates  # rendered, not the English copy
    assert '<html lang="de"' in german.content.decode()
    again = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de")
    assert not again.templates and '<html lang="de"' in again.content.decode()


def test_a_page_with_a_query_string_is_rendered_each_time_so_nobody_can_fill_the_cache(db, production):
    Client().get("/accounts/login/")
    for _ in range(2):
        with_next = Client().get("/accounts/login/?next=/profile/edit/")
        assert with_next.templates
        assert 'value="/profile/edit/"' in with_next.content.decode()
    Client().get("/accounts/login/?x=1")
    assert len(caches["pages"]._cache) == 1  # type: ignore[attr-defined]  # the plain page's copy alone


def test_the_kept_page_keeps_the_views_own_headers(db, production):
    first = Client().get("/accounts/login/")
    second = Client().get("/accounts/login/")

    assert not second.templates
    assert "no-cache" in first["Cache-Control"]  # allauth's never_cache
    for header in ("Cache-Control", "Expires", "Content-Type", "Content-Language", "Vary"):
        assert second.get(header) == first.get(header), header
    assert int(second["Content-Length"]) == len(second.content)


def test_a_visitor_with_a_message_waiting_gets_a_fresh_page_that_shows_it(client, db, production, user):
    Client().get("/")  # the home page is kept without a message
    client.force_login(user)
    response = client.post("/accounts/logout/", follow=True)

    assert response.redirect_chain[-1][0] == "/"
    assert response.templates  # the flash message made it a page of its own
    assert "You have logged out." in response.content.decode()


def test_a_signed_in_person_and_a_bound_form_are_never_served_a_copy(client, db, production, user):
    Client().get("/accounts/login/")
    wrong = client.post("/accounts/login/", {"login": user.email, "password": "not the password"})
    assert wrong.templates and "not correct" in wrong.content.decode()
    client.force_login(user)
    assert client.get("/accounts/login/").status_code == 302  # allauth sends a signed-in person on


@override_settings(DEBUG=True)
def test_with_debug_on_every_page_is_rendered_so_template_edits_show_at_once(db):
    Client().get("/accounts/login/")
    assert Client().get("/accounts/login/").templates


def test_warming_up_renders_every_kept_page_in_every_language_without_a_query(
    db, production, django_assert_num_queries
):
    production.SITE_URL = "http://testserver"  # the host the test client sends
    with django_assert_num_queries(0):  # gunicorn's master shares no database state with its workers
        warm_up(WSGIHandler())

    for path in ENTRANCE_PAGES:
        for language in ("en", "de"):
            response = Client().get(path, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200
            assert not response.templates, (path, language)  # the copy made by the warm-up
            assert f'<html lang="{language}"' in response.content.decode()


def test_a_page_that_cannot_be_warmed_up_is_logged_and_the_server_still_starts(db, production, caplog):
    production.SITE_URL = "http://not-an-allowed-host.example"
    warm_up(WSGIHandler())

    failures = [r for r in caplog.records if getattr(r, "event", None) == "warm_up_failed"]
    assert len(failures) == len(ENTRANCE_PAGES) * 2
    assert {r.status for r in failures} == {"400 Bad Request"}


def test_warming_up_leaves_no_language_active_for_the_workers(db, production):
    production.SITE_URL = "http://testserver"
    translation.deactivate()
    warm_up(WSGIHandler())
    assert translation.get_language() == production.LANGUAGE_CODE  # nothing active: the default


@override_settings(DEBUG=True)
def test_with_debug_on_nothing_is_warmed_up(db):
    warm_up(WSGIHandler())
    assert Client().get("/accounts/login/").templates


def test_the_account_navigation_is_rendered_once_per_page_and_language_and_marks_each_page(
    client, db, production, user
):
    client.force_login(user)
    first = client.get("/profile/")
    again = client.get("/profile/")
    elsewhere = client.get("/accounts/activity/")

    assert "layouts/account_nav_link.html" in [t.name for t in first.templates]
    assert "layouts/account_nav_link.html" not in [t.name for t in again.templates]  # the worker's copy
    assert '<a class="nav-link active" aria-current="page" href="/profile/">' in again.content.decode()
    assert '<a class="nav-link active" aria-current="page" href="/accounts/activity/">' in elsewhere.content.decode()
    assert 'aria-current="page" href="/profile/"' not in elsewhere.content.decode()
    user.language = "de"
    user.save(update_fields=["language"])
    german = client.get("/profile/").content.decode()
    assert ">Sicherheitsaktivität</a>" in german and ">Security activity</a>" not in german


def test_warming_up_prepares_what_a_signed_in_page_is_made_of(db, production):
    """A person's own page cannot be rendered before they ask, but its templates, this quarter hour's time zone
    choices in each language and the common browsers' names can: no worker forked afterwards pays for them."""
    production.SITE_URL = "http://testserver"
    [loader] = engines["django"].engine.template_loaders  # type: ignore[attr-defined]
    loader.reset()
    choices_at.cache_clear()
    warm_up(WSGIHandler())

    assert {"mfa/index.html", "profiles/edit.html", "usersessions/usersession_list.html"} <= set(
        loader.get_template_cache
    )
    for language in ("en", "de"):
        with translation.override(language):
            before = choices_at.cache_info().hits
            time_zone_choices()
            assert choices_at.cache_info().hits == before + 1, language
