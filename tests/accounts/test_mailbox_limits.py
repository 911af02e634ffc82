"""How often anyone can make the site mail one address: reset links at most 10 an hour, and to an address with no
account one unknown-account notice a day, whatever asks for it; the pages answer exactly as for a member."""

import pytest
from django.core import mail
from django.test import Client

from testkit.logs import recorded_events

pytestmark = pytest.mark.django_db

STRANGER = "nobody@example.com"
UNKNOWN_ACCOUNT = "[Vitae] Unknown account"
DAY = 24 * 60 * 60


def ask_for_a_reset(email: str, capture) -> object:
    """A reset request from a fresh visitor, running what it queues once it commits (the email)."""
    with capture(execute=True):
        return Client().post("/accounts/password/reset/", {"email": email})


def ask_for_a_log_in_code(email: str, capture) -> object:
    with capture(execute=True):
        return Client().post("/accounts/login/code/", {"email": email})


def answer(response) -> tuple[int, str]:
    return response.status_code, response.get("Location", "")


def reset_links_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address] and "/accounts/password/reset/key/" in m.body]


def notices_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address] and m.subject == UNKNOWN_ACCOUNT]


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


# --- Unknown-account notices: one a day to one mailbox ---------------------------------------------------


def test_an_address_without_an_account_gets_one_notice_a_day(django_capture_on_commit_callbacks, clock, caplog):
    first = ask_for_a_reset(STRANGER, django_capture_on_commit_callbacks)
    clock.advance(60 * 60)
    again = ask_for_a_reset(STRANGER, django_capture_on_commit_callbacks)

    assert answer(again) == answer(first) == (302, "/accounts/password/reset/done/")
    assert len(notices_to(STRANGER)) == 1
    assert len(recorded_events(caplog.records, "unknown_account_notice_held_back")) == 1


def test_the_next_day_the_address_gets_one_more_notice(django_capture_on_commit_callbacks, clock):
    ask_for_a_reset(STRANGER, django_capture_on_commit_callbacks)
    clock.advance(DAY - 1)
    ask_for_a_reset(STRANGER, django_capture_on_commit_callbacks)
    assert len(notices_to(STRANGER)) == 1

    clock.advance(1)
    ask_for_a_reset(STRANGER, django_capture_on_commit_callbacks)
    ask_for_a_reset(STRANGER, django_capture_on_commit_callbacks)

    assert len(notices_to(STRANGER)) == 2


def test_a_held_back_notice_is_answered_as_a_known_address_is(user, django_capture_on_commit_callbacks):
    ask_for_a_reset(STRANGER, django_capture_on_commit_callbacks)

    held_back = ask_for_a_reset(STRANGER, django_capture_on_commit_callbacks)
    known = ask_for_a_reset(user.email, django_capture_on_commit_callbacks)

    assert answer(held_back) == answer(known)
    assert len(notices_to(STRANGER)) == 1


def test_log_in_codes_and_resets_share_the_one_notice_a_day(django_capture_on_commit_callbacks, clock):
    code_page = ask_for_a_log_in_code(STRANGER, django_capture_on_commit_callbacks)
    clock.advance(60)
    ask_for_a_reset(STRANGER, django_capture_on_commit_callbacks)
    again = ask_for_a_log_in_code(STRANGER, django_capture_on_commit_callbacks)

    assert answer(again) == answer(code_page) == (302, "/accounts/login/code/confirm/")
    assert len(notices_to(STRANGER)) == 1


def test_any_spelling_of_the_address_counts_as_the_same_mailbox(django_capture_on_commit_callbacks):
    for spelling in (STRANGER, "  NoBody@EXAMPLE.com ", "ｎｏｂｏｄｙ@example.com"):
        ask_for_a_reset(spelling, django_capture_on_commit_callbacks)

    assert len(notices_to(STRANGER)) == 1


def test_each_address_without_an_account_gets_its_own_notice(django_capture_on_commit_callbacks):
    for address in ("first@example.com", "second@example.com"):
        ask_for_a_reset(address, django_capture_on_commit_callbacks)

    assert [m.to for m in mail.outbox if m.subject == UNKNOWN_ACCOUNT] == [
        ["first@example.com"],
        ["second@example.com"],
    ]
