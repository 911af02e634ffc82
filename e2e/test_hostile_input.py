"""Hostile values, byte for byte, into the served sign-up and log-in forms: never a server error."""

import pytest

from testkit.hostile import HOSTILE_VALUES, form_body
from testkit.http import Browser
from testkit.people import PASSWORD
from testkit.sites import Site, clear_rate_limits

# Fewer posts than any limit on these forms allows in a minute; the counters are emptied after each batch.
BATCH = 8


def post_raw(site: Site, path: str, fields: dict[str, str | bytes]) -> int:
    """Load the form as a browser would, then post ``fields`` in a body built byte for byte."""
    browser = Browser(site.url)
    token = browser.csrf_token(path)
    body = form_body({"csrfmiddlewaretoken": token, **fields})
    response = browser.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
    return response.status


@pytest.mark.parametrize(
    ("path", "forms_of"),
    [
        (
            "/accounts/signup/",
            lambda value: [
                {"email": value, "password1": value, "password2": value},
                {"email": value, "password1": PASSWORD, "password2": PASSWORD},
            ],
        ),
        (
            "/accounts/login/",
            lambda value: [{"login": value, "password": value}, {"login": "person@example.com", "password": value}],
        ),
    ],
    ids=["sign-up", "log-in"],
)
def test_hostile_values_are_answered_without_a_server_error(site: Site, path: str, forms_of) -> None:
    database = site.env["DATABASE_URL"]
    posts = [fields for value in [*HOSTILE_VALUES, PASSWORD] for fields in forms_of(value)]
    answers = []
    for start in range(0, len(posts), BATCH):
        clear_rate_limits(database)
        answers += [(post_raw(site, path, fields), fields) for fields in posts[start : start + BATCH]]
    failed = [(status, fields) for status, fields in answers if status >= 500 or status == 429]
    assert not failed, failed
