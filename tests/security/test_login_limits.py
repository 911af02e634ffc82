"""Failed log-ins as an attacker meets them: counted per client address (and never wiped by a log-in of the attacker's
own), and per account for strangers only, so that knowing someone's address does not lock them out."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from accounts.models import User
from testkit.people import PASSWORD
from testkit.totp import AuthenticatorApp, a_wrong_code

pytestmark = pytest.mark.django_db

WRONG = "not the password at all"
CHECKED = "The email address and/or password you specified are not correct."
REFUSED = "Too many failed login attempts. Try again later."


@pytest.fixture
def log_in(clock):
    """``log_in(client, user, password, **request)``: one attempt, a second after the previous one (allauth tells
    attempts apart by their time: a right password rolls back its own). "in" (signed in, or on to the second step),
    "checked" (a wrong password) or "refused"."""

    def attempt(client: Client, user: User, password: str, **request: str) -> str:
        clock.advance(1)
        response = client.post("/accounts/login/", {"login": user.email, "password": password}, **request)
        if response.status_code == 302:
            client.post("/accounts/logout/")  # as a person does: the browser keeps its device cookie
            return "in"
        page = response.content.decode()
        assert (CHECKED in page) != (REFUSED in page), page
        return "checked" if CHECKED in page else "refused"

    return attempt


def stranger(n: int) -> dict[str, str]:
    """A browser the account has never seen, each from an address of its own (no address's own limit decides)."""
    return {"REMOTE_ADDR": f"203.0.113.{n}"}


@pytest.fixture
def known_browser(user, log_in) -> Client:
    """The owner's browser: it has signed in to the account before, so the account knows its device cookie."""
    browser = Client()
    assert log_in(browser, user, PASSWORD) == "in"
    return browser


# --- Per account: strangers are throttled, the owner's browsers are not ------------------------------------------


def test_strangers_wrong_passwords_do_not_lock_the_owners_known_browser_out(user, known_browser, log_in):
    assert [log_in(Client(), user, WRONG, **stranger(n)) for n in range(5)] == ["checked"] * 5

    assert log_in(known_browser, user, PASSWORD) == "in"


def test_after_five_wrong_passwords_a_stranger_with_the_right_one_waits_for_the_window(
    user, known_browser, clock, log_in
):
    for n in range(5):
        log_in(Client(), user, WRONG, **stranger(n))

    assert log_in(Client(), user, PASSWORD, **stranger(9)) == "refused"
    clock.advance(5 * 60 + 1)
    assert log_in(Client(), user, PASSWORD, **stranger(9)) == "in"


def test_a_known_browsers_own_wrong_passwords_are_limited_and_lock_out_no_other_browser(user, known_browser, log_in):
    assert [log_in(known_browser, user, WRONG) for _ in range(5)] == ["checked"] * 5

    assert log_in(known_browser, user, PASSWORD) == "refused"
    assert log_in(Client(), user, PASSWORD, **stranger(1)) == "in"


def test_a_browser_only_another_account_knows_is_a_stranger_to_this_one(user, make_user, log_in):
    attackers_browser = Client()
    assert log_in(attackers_browser, make_user(), PASSWORD) == "in"  # the attacker's own account knows it

    assert [log_in(attackers_browser, user, WRONG) for _ in range(5)] == ["checked"] * 5

    assert log_in(Client(), user, PASSWORD, **stranger(1)) == "refused"


def test_each_known_browser_counts_apart(user, known_browser, log_in):
    other_known = Client()
    assert log_in(other_known, user, PASSWORD) == "in"
    for _ in range(5):
        log_in(known_browser, user, WRONG)

    assert log_in(other_known, user, PASSWORD) == "in"


# --- Per client address: never wiped by the attacker's own log-in -------------------------------------------------


def test_a_second_factor_clears_the_persons_own_count_not_their_addresses(make_user, clock, log_in):
    """An attacker fails passwords against other accounts, then logs in to their own two-factor account from the
    same address: their address's failed log-ins stay counted."""
    attacker = make_user()
    app = AuthenticatorApp(generate_totp_secret())
    TOTP.activate(attacker, app.secret)
    victims = [make_user() for _ in range(3)]
    attempts = [log_in(Client(), victim, WRONG) for victim in victims for _ in range(3)]
    assert attempts == ["checked"] * 9  # 9 of the address's 10 a minute, 3 of each account's 5

    own = Client()
    clock.advance(1)
    assert own.post("/accounts/login/", {"login": attacker.email, "password": PASSWORD}).status_code == 302
    signed_in = own.post("/accounts/2fa/authenticate/", {"code": app.code()})
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/profile/")

    more = [log_in(Client(), make_user(), WRONG) for _ in range(2)]
    assert more == ["checked", "refused"]


def test_wrong_authenticator_codes_count_against_the_address_too(make_user, clock, log_in):
    people = [make_user() for _ in range(3)]
    apps = [AuthenticatorApp(generate_totp_secret()) for _ in people]
    for person, app in zip(people, apps, strict=True):
        TOTP.activate(person, app.secret)
    answers = []
    for person, app in zip(people, apps, strict=True):  # 4 wrong codes each: under every account's 5, 12 in all
        client = Client()
        clock.advance(1)
        client.post("/accounts/login/", {"login": person.email, "password": PASSWORD})
        for _ in range(4):
            clock.advance(1)
            wrong_code = a_wrong_code(app.secret, clock.now)
            page = client.post("/accounts/2fa/authenticate/", {"code": wrong_code}).content.decode()
            answers.append("refused" if REFUSED in page else "checked")

    assert answers == ["checked"] * 10 + ["refused"] * 2
