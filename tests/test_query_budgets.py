"""Query budgets (issues 17 and 24): the signed-out pages read nothing from the database; a signed-in page the worker
keeps for the person reads their session and their row and nothing else, and its first rendering reads what it
shows. `make bench` shows the same counts against its own database."""

import pytest
from django.core.cache import caches
from django.test import Client

from testkit.people import PASSWORD


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/accounts/signup/"])
def test_a_signed_out_page_costs_no_query(client, db, url, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(url)

    assert response.status_code == 200


# The first rendering of each signed-in page, after the session and the person's row: what the page itself reads.
RENDERING = {
    "/profile/": 0,
    "/profile/edit/": 0,
    "/accounts/email/": 4,  # allauth's: the addresses, the count it may add to, the pending change, the verified one
    "/accounts/2fa/": 2,  # allauth's: the authenticators, the passkeys
    "/accounts/sessions/": 4,  # allauth's: the sessions, whether each one's Django session still exists, the count
    "/accounts/activity/": 2,  # the events and their count (the paginator)
}


@pytest.mark.parametrize(("url", "own_queries"), RENDERING.items())
def test_a_signed_in_page_costs_its_session_its_person_and_what_it_shows_then_nothing_more(
    user, settings, url, own_queries, django_assert_num_queries
):
    settings.DEBUG = False
    client = Client()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    client.get(url)  # the log-in's message shown
    caches["people"].clear()

    with django_assert_num_queries(2 + own_queries):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(2):  # kept: the session and the person's row
        assert client.get(url).status_code == 200
