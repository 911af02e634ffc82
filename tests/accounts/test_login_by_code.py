"""Log-in by emailed code: who gets a code, what the page answers, how long a code lives and how often one is sent."""

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client

from accounts.models import User
from testkit.http import Browser
from testkit.people import PASSWORD, unique_email
from testkit.sites import Site, collect_static, production_env, serve, throwaway_database
from testkit.smtp import SMTPSink

pytestmark = pytest.mark.django_db

CODE = re.compile(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", re.M)
TOO_MANY = "Too many failed login attempts. Try again later."
WRONG = "BBBB-BBBB"


def request_code(client: Client, email: str, capture) -> object:
    with capture(execute=True):
        return client.post("/accounts/login/code/", {"email": email})


def code_mailed_to(address: str) -> str:
    [message] = [m for m in mail.outbox if address in m.to and "Log-in code" in m.subject]
    match = CODE.search(message.body)
    assert match, message.body
    return match.group(1)


def test_a_code_mailed_to_the_accounts_address_logs_the_person_in(client, user, django_capture_on_commit_callbacks):
    response = request_code(client, user.email, django_capture_on_commit_callbacks)
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/code/confirm/")

    response = client.post("/accounts/login/code/confirm/", {"code": code_mailed_to(user.email)})

    assert (response.status_code, response["Location"]) == (302, "/profile/")
    assert client.get("/profile/").wsgi_request.user == user


def test_any_spelling_of_the_address_finds_the_account(client, make_user, django_capture_on_commit_callbacks):
    user = make_user(email="ada@example.com")
    request_code(client, "  ＡＤＡ@EXAMPLE.com ", django_capture_on_commit_callbacks)

    client.post("/accounts/login/code/confirm/", {"code": code_mailed_to("ada@example.com")})

    assert client.get("/profile/").wsgi_request.user == user


def test_an_unknown_address_is_answered_like_a_known_one(client, user, django_capture_on_commit_callbacks):
    known = request_code(Client(), user.email, django_capture_on_commit_callbacks)
    unknown_visitor = Client()
    unknown = request_code(unknown_visitor, "nobody@example.com", django_capture_on_commit_callbacks)

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    page = unknown_visitor.get(unknown["Location"]).content.decode()
    assert "nobody@example.com" in page and 'name="code"' in page
    # The mailbox learns that it has no account here, and gets no code.
    [note] = [m for m in mail.outbox if "nobody@example.com" in m.to]
    assert "Unknown account" in note.subject and not CODE.search(note.body)
    response = unknown_visitor.post("/accounts/login/code/confirm/", {"code": code_mailed_to(user.email)})
    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated


def test_an_address_someone_merely_added_to_their_account_gets_no_code_for_it(
    client, make_user, django_capture_on_commit_callbacks
):
    requester = make_user(email="ada@example.com")
    EmailAddress.objects.create(user=requester, email="sam@example.com", verified=False, primary=False)
    stranger = Client()

    request_code(stranger, "sam@example.com", django_capture_on_commit_callbacks)

    assert [m.subject for m in mail.outbox if "sam@example.com" in m.to] == ["[Vitae] Unknown account"]
    assert not stranger.get("/profile/").wsgi_request.user.is_authenticated
    assert not EmailAddress.objects.get(email="sam@example.com").verified


def test_a_person_who_signed_up_without_verifying_logs_in_by_code_and_is_verified(
    client, django_capture_on_commit_callbacks
):
    user = User.objects.create_user(email="new@example.com", password="a long test password 42")
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

    request_code(client, user.email, django_capture_on_commit_callbacks)
    client.post("/accounts/login/code/confirm/", {"code": code_mailed_to(user.email)})

    assert client.get("/profile/").wsgi_request.user == user
    assert EmailAddress.objects.get(email=user.email).verified


def test_three_wrong_codes_end_the_attempt(client, user, django_capture_on_commit_callbacks):
    request_code(client, user.email, django_capture_on_commit_callbacks)
    right_code = code_mailed_to(user.email)

    for _ in range(2):
        wrong = client.post("/accounts/login/code/confirm/", {"code": "BBBB-BBBB"})
        assert wrong.status_code == 200 and "Incorrect code." in wrong.content.decode()
    third = client.post("/accounts/login/code/confirm/", {"code": "BBBB-BBBB"})

    assert (third.status_code, third["Location"]) == (302, "/accounts/login/code/")
    too_late = client.post("/accounts/login/code/confirm/", {"code": right_code})
    assert too_late.status_code == 302 and not client.get("/profile/").wsgi_request.user.is_authenticated


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, migrated_template: str) -> Iterator[tuple[Site, SMTPSink]]:
    """The site as ``make serve`` runs it (gunicorn's workers racing each other over the database and its cache table,
    the production default), its task worker, and a real SMTP server: where simultaneous requests really run at once."""
    workdir = tmp_path_factory.mktemp("login-code")
    with SMTPSink() as sink, throwaway_database(workdir, template=migrated_template) as database_url:
        env = production_env(workdir, database_url, EMAIL_URL=sink.url)
        collect_static(env)
        # More workers than a code has attempts: the first requests they take up race each other on their own.
        with serve(env, "login-code", workers=6) as site:
            yield site, sink


def test_fifty_simultaneous_guesses_are_compared_with_the_code_at_most_three_times(served):
    site, sink = served
    email = unique_email("guessed")
    fields = {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    assert Browser(site.url).post_form("/accounts/signup/", fields).status == 302  # a code goes to this address
    browser = Browser(site.url)
    asked = browser.submit("/accounts/login/code/", browser.csrf_token("/accounts/login/code/"), {"email": email})
    assert asked.location == "/accounts/login/code/confirm/"
    mailed = sink.wait_for(email, "Log-in code").get_body(("plain",)).get_content()
    right_code = CODE.search(mailed.replace("\r\n", "\n")).group(1)
    token = browser.csrf_token("/accounts/login/code/confirm/")
    # One session, fifty connections, each request held by the server until its last byte: released together.
    held = [browser.twin().held_submit("/accounts/login/code/confirm/", token, {"code": WRONG}) for _ in range(50)]

    with ThreadPoolExecutor(len(held)) as pool:
        guesses = list(pool.map(lambda release: release(), held))

    assert {guess.status for guess in guesses} <= {200, 302}
    compared = sum("Incorrect code." in guess.text for guess in guesses)
    assert 1 <= compared <= 3, compared
    too_late = browser.submit("/accounts/login/code/confirm/", token, {"code": right_code})
    assert too_late.location != "/profile/"
    assert browser.get("/profile/").location == "/accounts/login/?next=/profile/"


def test_a_code_expires_after_five_minutes(client, user, django_capture_on_commit_callbacks, clock):
    request_code(client, user.email, django_capture_on_commit_callbacks)
    code = code_mailed_to(user.email)

    clock.advance(5 * 60 + 1)
    response = client.post("/accounts/login/code/confirm/", {"code": code})

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/code/")
    assert not client.get("/profile/").wsgi_request.user.is_authenticated


def test_a_code_still_works_just_before_five_minutes(client, user, django_capture_on_commit_callbacks, clock):
    request_code(client, user.email, django_capture_on_commit_callbacks)
    code = code_mailed_to(user.email)

    clock.advance(5 * 60 - 1)
    response = client.post("/accounts/login/code/confirm/", {"code": code})

    assert (response.status_code, response["Location"]) == (302, "/profile/")


def test_one_address_is_mailed_at_most_three_codes_a_minute(user, django_capture_on_commit_callbacks):
    answers = [request_code(Client(), user.email, django_capture_on_commit_callbacks) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [302, 302, 302, 200]
    assert TOO_MANY in answers[-1].content.decode()
    assert len([m for m in mail.outbox if "Log-in code" in m.subject]) == 3


def test_one_address_is_mailed_at_most_ten_codes_an_hour(user, django_capture_on_commit_callbacks, clock):
    answers = []
    for _ in range(4):  # three a minute, within the per-minute limit
        answers += [request_code(Client(), user.email, django_capture_on_commit_callbacks) for _ in range(3)]
        clock.advance(61)

    assert [answer.status_code for answer in answers] == [302] * 10 + [200] * 2
    assert len([m for m in mail.outbox if "Log-in code" in m.subject]) == 10


def test_one_client_address_asks_for_at_most_twenty_codes_a_minute(django_capture_on_commit_callbacks):
    # A fresh session each time: a session with a code pending is sent back to the page that asks for it.
    answers = [request_code(Client(), f"person{n}@example.com", django_capture_on_commit_callbacks) for n in range(21)]

    assert [answer.status_code for answer in answers[:20]] == [302] * 20
    assert answers[20].status_code == 200 and TOO_MANY in answers[20].content.decode()


def test_two_factor_still_applies_after_a_code(client, user, django_capture_on_commit_callbacks):
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "not used here"})
    request_code(client, user.email, django_capture_on_commit_callbacks)

    response = client.post("/accounts/login/code/confirm/", {"code": code_mailed_to(user.email)})

    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/authenticate/")
    assert not client.get("/profile/").wsgi_request.user.is_authenticated


def test_the_log_in_page_offers_a_code(client):
    page = client.get("/accounts/login/").content.decode()

    assert 'href="/accounts/login/code/"' in page


# --- A code asked for never traps -----------------------------------------------------------------------------


def test_the_log_in_page_is_the_log_in_page_after_a_code_was_asked_for(
    client, user, django_capture_on_commit_callbacks
):
    request_code(client, user.email, django_capture_on_commit_callbacks)
    assert client.get("/accounts/login/code/confirm/").status_code == 200  # "Enter log-in code"

    page = client.get("/accounts/login/")

    assert page.status_code == 200
    assert '<input type="password" name="password"' in page.content.decode()
    # The code asked for is let go: its page no longer holds the person, and a page that needs a log-in leads to the
    # log-in page, not back to the code.
    assert client.get("/accounts/login/code/confirm/")["Location"] == "/accounts/login/code/"
    assert client.get("/profile/", follow=True).redirect_chain == [("/accounts/login/?next=/profile/", 302)]


def test_asking_for_a_code_again_shows_the_request_page(client, user, django_capture_on_commit_callbacks):
    request_code(client, user.email, django_capture_on_commit_callbacks)

    page = client.get("/accounts/login/code/")

    assert page.status_code == 200 and 'name="email"' in page.content.decode()


def test_a_page_that_needs_a_log_in_never_leads_back_to_the_code(client, user, django_capture_on_commit_callbacks):
    request_code(client, user.email, django_capture_on_commit_callbacks)

    response = client.get("/accounts/email/", follow=True)

    assert response.status_code == 200
    assert [url for url, _status in response.redirect_chain] == ["/accounts/login/?next=/accounts/email/"]


def test_the_log_in_page_leaves_a_half_done_two_factor_log_in_too(client, user):
    """After the password, the second step: going to "Log in" instead leaves it, with the password's proof."""
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})["Location"] == (
        "/accounts/2fa/authenticate/"
    )

    assert client.get("/accounts/login/").status_code == 200

    assert client.get("/accounts/2fa/authenticate/")["Location"] == "/accounts/login/"
