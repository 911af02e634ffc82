"""How often anyone can make the site mail one address: reset links at most 10 an hour; the pages answer exactly as
for a member."""

import pytest
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.django_db

STRANGER = "nobody@example.com"


def ask_for_a_reset(email: str, capture) -> object:
    """A reset request from a fresh visitor, running what it queues once it commits (the email)."""
    with capture(execute=True):
        return Client().post("/accounts/password/reset/", {"email": email})


def answer(response) -> tuple[int, str]:
    return response.status_code, response.get("Location", "")


def reset_links_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address] and "/accounts/password/reset/key/" in m.body]


def five_a_minute_for_three_minutes(email: str, capture, clock) -> list:
    """Fifteen reset requests, each minute within the per-minute limit (5 per address)."""
    answers = []
    for _ in range(3):
        answers += [ask_for_a_reset(email, capture) for _ in range(5)]
        clock.advance(61)
    return answers


# --- Reset links: at most ten an hour to one mailbox -----------------------------------------------------


def test_one_address_is_mailed_at_most_ten_reset_links_an_hour(user, django_capture_on_commit_callbacks, clock):
    answers = five_a_minute_for_three_minutes(user.email, django_capture_on_commit_callbacks, clock)

    assert [response.status_code for response in answers] == [302] * 10 + [429] * 5
    assert len(reset_links_to(user.email)) == 10


def test_an_hour_later_a_reset_link_can_be_asked_for_again(user, django_capture_on_commit_callbacks, clock):
    five_a_minute_for_three_minutes(user.email, django_capture_on_commit_callbacks, clock)
    clock.advance(60 * 60)

    assert answer(ask_for_a_reset(user.email, django_capture_on_commit_callbacks)) == (
        302,
        "/accounts/password/reset/done/",
    )
    assert len(reset_links_to(user.email)) == 11


def test_the_hourly_limit_answers_an_unknown_address_as_a_known_one(user, django_capture_on_commit_callbacks, clock):
    known = five_a_minute_for_three_minutes(user.email, django_capture_on_commit_callbacks, clock)
    unknown = five_a_minute_for_three_minutes(STRANGER, django_capture_on_commit_callbacks, clock)

    assert [answer(response) for response in unknown] == [answer(response) for response in known]
    assert all(b"<title>Too many attempts" in response.content for response in known[10:] + unknown[10:])
