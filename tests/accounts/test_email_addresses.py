"""One mailbox, one account: every path that takes an address stores and finds it in one canonical form."""

import importlib
import logging

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client

from accounts.email_addresses import canonical_email
from accounts.models import User
from testkit.hostile import LONG_ADDRESS, OTHER_LONG_ADDRESS
from testkit.logs import recorded_events
from testkit.people import PASSWORD

pytestmark = pytest.mark.django_db

# Two spellings of one mailbox each, and the one form the site keeps: the first signs up, the second comes later.
SAME_MAILBOX = [
    pytest.param("ada@example.com", "ａｄａ@ｅｘａｍｐｌｅ.ｃｏｍ", "ada@example.com", id="fullwidth letters"),
    pytest.param("john@example.com", '"john"@example.com', "john@example.com", id="quoted local part"),
    pytest.param("ada@caf\u00e9.com", "ada@cafe\u0301.com", "ada@xn--caf-dma.com", id="combining mark"),
    pytest.param("ada@café.com", "ada@XN--CAF-DMA.com", "ada@xn--caf-dma.com", id="IDN domain as punycode"),
    pytest.param("ada@example.com", "ADA@Example.COM", "ada@example.com", id="case"),
    pytest.param("ada@example.com", " \tada@example.com \n", "ada@example.com", id="surrounding white space"),
]

TOO_LONG_MESSAGE = "An email address can have at most 254 characters (this one has 301)."


def signup(client, email: str):
    return client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})


def field_errors(response, field: str) -> list[str]:
    form = response.context["adminform"].form if "adminform" in response.context else response.context["form"]
    return list(form.errors.get(field, []))


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(email="admin@example.com", is_staff=True, is_superuser=True))
    return client


def admin_add(client, email: str):
    return client.post(
        "/admin/accounts/user/add/",
        {"email": email, "usable_password": "true", "password1": PASSWORD, "password2": PASSWORD},
    )


# --- The canonical form -------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second", "canonical"), SAME_MAILBOX)
def test_both_spellings_of_a_mailbox_have_one_canonical_form(first, second, canonical):
    assert canonical_email(first) == canonical_email(second) == canonical


@pytest.mark.parametrize(
    ("address", "message"),
    [
        (LONG_ADDRESS, TOO_LONG_MESSAGE),
        ('"jo hn"@example.com', "without quotation marks"),
        ("josé@example.com", "Internationalized characters before the @-sign are not supported"),
        ("ada@xn--zz.com", "not valid IDNA"),
        ("ada@@example.com", "Enter a valid email address."),
        ("ada@exa\u202emple.com", "Enter a valid email address."),
        ("ada@exa\x00mple.com", "Enter a valid email address."),
        ("", "Enter a valid email address."),
    ],
)
def test_an_address_without_a_canonical_form_is_refused_with_the_reason(address, message):
    with pytest.raises(ValidationError) as refused:
        canonical_email(address)
    assert message in " ".join(refused.value.messages)


# --- Sign-up ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second", "canonical"), SAME_MAILBOX)
def test_a_second_signup_of_the_same_mailbox_makes_no_second_account(
    client, django_capture_on_commit_callbacks, first, second, canonical
):
    with django_capture_on_commit_callbacks(execute=True):
        assert signup(client, first).status_code == 302
    cache.clear()  # allauth mails an address at most once in 3 minutes; the first sign-up just did
    with django_capture_on_commit_callbacks(execute=True):
        again = signup(Client(), second)  # another visitor
    assert (again.status_code, again["Location"]) == (302, "/accounts/confirm-email/")  # reveals nothing
    assert list(User.objects.values_list("email", flat=True)) == [canonical]
    assert list(EmailAddress.objects.values_list("email", flat=True)) == [canonical]
    assert [m.to for m in mail.outbox if "already exists" in m.subject] == [[canonical]]


def test_a_301_character_address_is_refused_at_signup_and_nothing_is_created(client):
    response = signup(client, LONG_ADDRESS)
    assert response.status_code == 200
    assert field_errors(response, "email") == [TOO_LONG_MESSAGE]
    assert not User.objects.exists() and not EmailAddress.objects.exists()


def test_two_long_addresses_alike_in_their_first_254_characters_are_both_refused(client):
    for address in (LONG_ADDRESS, OTHER_LONG_ADDRESS):
        response = signup(client, address)
        assert response.status_code == 200 and field_errors(response, "email") == [TOO_LONG_MESSAGE]
    assert not User.objects.exists()


# --- Adding an address ----------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second", "canonical"), SAME_MAILBOX)
def test_an_added_address_is_stored_and_mailed_in_canonical_form(
    client, reauthenticated, user, django_capture_on_commit_callbacks, first, second, canonical
):
    reauthenticated(user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/accounts/email/", {"action_add": "", "email": second}).status_code == 302
    assert EmailAddress.objects.get(user=user, verified=False).email == canonical
    assert [m.to for m in mail.outbox if "Confirm" in m.subject] == [[canonical]]

    again = client.post("/accounts/email/", {"action_add": "", "email": first})
    assert field_errors(again, "email") == ["This email address is already associated with this account."]
    assert EmailAddress.objects.filter(user=user, verified=False).count() == 1


def test_a_301_character_address_cannot_be_added(client, reauthenticated, user):
    reauthenticated(user)
    response = client.post("/accounts/email/", {"action_add": "", "email": LONG_ADDRESS})
    assert response.status_code == 200 and field_errors(response, "email") == [TOO_LONG_MESSAGE]
    assert list(EmailAddress.objects.filter(user=user).values_list("email", flat=True)) == [user.email]


# --- Log-in and reset ---------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second", "canonical"), SAME_MAILBOX)
def test_any_spelling_of_the_mailbox_logs_in(client, make_user, first, second, canonical):
    user = make_user(email=first)
    response = client.post("/accounts/login/", {"login": second, "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/profile/")
    assert client.get("/profile/").wsgi_request.user == user


def test_wrong_passwords_in_different_spellings_count_against_one_limit(client, make_user):
    make_user(email="ada@example.com")
    spellings = ["ada@example.com", "ADA@example.com", "ａｄａ@example.com", '"ada"@example.com', "Ada@EXAMPLE.com"]
    for spelling in spellings:
        client.post("/accounts/login/", {"login": spelling, "password": "wrong password"})
    response = client.post("/accounts/login/", {"login": "ａＤａ@example.com", "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()


def test_a_301_character_address_at_login_is_refused_with_a_message(client):
    response = client.post("/accounts/login/", {"login": LONG_ADDRESS, "password": PASSWORD})
    assert response.status_code == 200 and field_errors(response, "login") == [TOO_LONG_MESSAGE]


@pytest.mark.parametrize(("first", "second", "canonical"), SAME_MAILBOX)
def test_a_reset_asked_in_any_spelling_reaches_the_account_at_its_canonical_address(
    client, make_user, django_capture_on_commit_callbacks, first, second, canonical
):
    make_user(email=first)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": second})
    assert response["Location"] == "/accounts/password/reset/done/"
    [message] = mail.outbox
    assert message.to == [canonical] and "/accounts/password/reset/key/" in message.body


def test_a_301_character_address_at_reset_is_refused_with_a_message(client):
    response = client.post("/accounts/password/reset/", {"email": LONG_ADDRESS})
    assert response.status_code == 200 and field_errors(response, "email") == [TOO_LONG_MESSAGE]
    assert mail.outbox == []


# --- The admin ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second", "canonical"), SAME_MAILBOX)
def test_the_admin_add_form_stores_the_canonical_form_and_refuses_a_second_spelling(
    admin_client, first, second, canonical
):
    assert admin_add(admin_client, first).status_code == 302
    assert User.objects.filter(email=canonical).exists()

    again = admin_add(admin_client, second)
    assert again.status_code == 200
    assert field_errors(again, "email") == ["User with this Email address already exists."]
    assert not again.context["adminform"].form.non_field_errors()  # one message, next to the field
    assert User.objects.filter(email=canonical).count() == 1


def test_the_admin_add_form_refuses_a_301_character_address(admin_client):
    response = admin_add(admin_client, LONG_ADDRESS)
    assert response.status_code == 200 and field_errors(response, "email") == [TOO_LONG_MESSAGE]
    assert User.objects.count() == 1  # the administrator only


def test_the_admin_change_form_stores_the_canonical_form(admin_client, user):
    data = {"email": "ＮＥＷ@café.com", "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.email == "new@xn--caf-dma.com"


def test_an_address_added_in_the_admin_is_stored_in_canonical_form(admin_client, user):
    response = admin_client.post(
        "/admin/accounts/accountemailaddress/add/", {"user": user.pk, "email": " ＡＤＡ@café.com", "verified": "on"}
    )
    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=user, email="ada@xn--caf-dma.com", verified=True).exists()


# --- createsuperuser and the manager ----------------------------------------------------------------


@pytest.mark.parametrize(("first", "second", "canonical"), SAME_MAILBOX)
def test_createsuperuser_noinput_stores_the_canonical_form_and_refuses_a_second_spelling(
    monkeypatch, first, second, canonical
):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", first)
    call_command("createsuperuser", interactive=False, verbosity=0)
    assert User.objects.get().email == canonical

    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", second)
    with pytest.raises(CommandError, match="That email address is already taken."):
        call_command("createsuperuser", interactive=False, verbosity=0)
    assert User.objects.count() == 1


def test_createsuperuser_noinput_refuses_a_301_character_address(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", LONG_ADDRESS)
    with pytest.raises(CommandError, match="at most 254 characters"):
        call_command("createsuperuser", interactive=False, verbosity=0)
    assert not User.objects.exists()


@pytest.mark.parametrize(("first", "second", "canonical"), SAME_MAILBOX)
def test_create_user_stores_the_canonical_form_and_the_database_refuses_a_second_spelling(first, second, canonical):
    assert User.objects.create_user(email=first, password=PASSWORD).email == canonical
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email=second, password=PASSWORD)
    assert User.objects.get_by_natural_key(second).email == canonical


def test_create_user_refuses_a_301_character_address_and_creates_nothing():
    with pytest.raises(ValidationError, match="at most 254 characters"):
        User.objects.create_user(email=LONG_ADDRESS, password=PASSWORD)
    assert not User.objects.exists()


def test_a_new_user_saved_directly_is_stored_in_canonical_form_or_refused():
    assert User.objects.create(email="ＡＤＡ@café.com").email == "ada@xn--caf-dma.com"
    with pytest.raises(ValidationError):
        User.objects.create(email=LONG_ADDRESS)
    assert list(User.objects.values_list("email", flat=True)) == ["ada@xn--caf-dma.com"]


def test_model_validation_canonicalises_the_address():
    user = User(email="  ＡＤＡ@Example.com")
    user.set_unusable_password()
    user.full_clean()
    assert user.email == "ada@example.com"


# --- Rows stored before the canonical form --------------------------------------------------------


def canonicalise_stored_addresses() -> None:
    migration = importlib.import_module("accounts.migrations.0003_canonical_email_addresses")
    migration.canonicalise_stored_addresses(apps, None)


def store_as_typed(instance, email: str) -> None:
    """Write an address as the site did before (only lower-cased), in SQL: the model would canonicalise it."""
    table = connection.ops.quote_name(instance._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET email = %s WHERE id = %s", [email, instance.pk])  # noqa: S608


def test_stored_spellings_are_canonicalised_when_no_other_account_holds_the_mailbox(make_user):
    user = make_user()
    store_as_typed(user, "ａｄａ@café.com")
    store_as_typed(EmailAddress.objects.get(user=user), "ａｄａ@café.com")

    canonicalise_stored_addresses()

    user.refresh_from_db()
    assert user.email == "ada@xn--caf-dma.com"
    assert EmailAddress.objects.get(user=user).email == "ada@xn--caf-dma.com"


def test_a_second_account_for_one_mailbox_is_left_as_it_is_and_reported(make_user, caplog):
    make_user(email="ada@example.com")
    duplicate = make_user(email="other@example.com")
    store_as_typed(duplicate, "ａｄａ@example.com")
    caplog.set_level(logging.WARNING, logger="accounts")

    canonicalise_stored_addresses()

    duplicate.refresh_from_db()
    assert duplicate.email == "ａｄａ@example.com"
    [report] = recorded_events(caplog.records, "email_not_canonicalised")
    assert (report.model, report.row_id, report.reason) == ("user", duplicate.pk, "another_account_has_it")
