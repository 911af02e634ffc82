"""A person's language: saved on their account (from the sign-up's page, the profile, the footer's switch), spoken by
every page they see signed in, and by every email to them, however and wherever it is sent."""

import re

import pytest
from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from django.core import mail
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.formats import date_format
from django_tasks_db.models import DBTaskResult

from accounts.deletion import cancel_account_deletion, delete_account, schedule_account_deletion
from accounts.models import User
from mail.messages import QueuedMessage
from testkit.people import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD}
GERMAN_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def subjects_to(address: str) -> list[str]:
    return [message.subject for message in mail.outbox if message.to == [address]]


# --- Saved: at sign-up, on the profile, with the footer's switch ---------------------------------------------


def test_a_sign_up_saves_the_language_its_page_was_in_and_its_emails_speak_it(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", SIGNUP, **GERMAN_BROWSER)
    assert response.status_code == 302
    assert User.objects.get(email=SIGNUP["email"]).language == "de"
    assert sorted(subjects_to(SIGNUP["email"])) == [
        "Willkommen bei Vitae",
        "[Vitae] Bitte bestätigen Sie Ihre E-Mail-Adresse",
    ]


def test_a_sign_up_after_the_footer_switch_saves_the_language_chosen_there(client, django_capture_on_commit_callbacks):
    client.post("/i18n/setlang/", {"language": "de", "next": "/accounts/signup/"}, **ENGLISH_BROWSER)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", SIGNUP, **ENGLISH_BROWSER)
    assert User.objects.get(email=SIGNUP["email"]).language == "de"


def test_an_account_made_outside_a_request_has_no_language_yet(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = User.objects.create_user(email="admin-made@example.com", password=PASSWORD)
    assert user.language == ""
    assert subjects_to(user.email) == ["Welcome to Vitae"]  # the default language


def test_the_footer_switch_saves_a_signed_in_persons_choice_on_their_account(client, user):
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/profile/"})
    assert (response.status_code, response["Location"]) == (302, "/profile/")
    assert response.cookies["django_language"].value == "de"
    user.refresh_from_db()
    assert user.language == "de"


@pytest.mark.parametrize("language", ["fr", "", "de-at-evil"])
def test_the_footer_switch_saves_no_language_the_site_does_not_speak(client, make_user, language):
    user = make_user(language="en")
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": language, "next": "/profile/"})
    user.refresh_from_db()
    assert user.language == "en"


def test_the_footer_switch_by_get_changes_nothing(client, make_user):
    user = make_user(language="en")
    client.force_login(user)
    client.get("/i18n/setlang/", {"language": "de", "next": "/profile/"})
    user.refresh_from_db()
    assert user.language == "en"


def test_the_footer_switch_still_works_signed_out(client):
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    assert response.cookies["django_language"].value == "de"
    assert '<html lang="de"' in client.get("/").content.decode()


def test_the_profile_offers_the_language_and_saves_a_change(client, make_user):
    user = make_user(language="en")
    client.force_login(user)
    page = client.get("/profile/edit/").content.decode()
    assert re.search(r'<label\s+for="id_language"[^>]*>\s*Language\s*</label>', page)
    assert '<option value="en" selected>English</option>' in page and '<option value="de">Deutsch</option>' in page

    response = client.post("/profile/edit/", {"first_name": "Ada", "last_name": "L", "language": "de"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.language) == ("Ada", "de")
    assert '<html lang="de"' in client.get("/profile/").content.decode()


def test_a_new_language_on_the_profile_speaks_at_once_and_stays_after_logging_out(client, make_user):
    user = make_user(language="en")
    client.force_login(user)
    response = client.post("/profile/edit/", {"first_name": "Ada", "last_name": "L", "language": "de"}, follow=True)

    assert "Ihr Profil wurde gespeichert." in response.content.decode()  # the message, in the new language
    assert client.cookies["django_language"].value == "de"
    client.post("/accounts/logout/")
    assert '<html lang="de"' in client.get("/accounts/login/").content.decode()


def test_an_account_without_a_language_saves_the_one_its_profile_page_was_in(client, user):
    client.force_login(user)
    assert (
        '<option value="de" selected>Deutsch</option>'
        in client.get("/profile/edit/", **GERMAN_BROWSER).content.decode()
    )
    client.post("/profile/edit/", {"first_name": "Ada", "last_name": "", "language": "de"}, **GERMAN_BROWSER)
    user.refresh_from_db()
    assert user.language == "de"


def test_the_profile_refuses_a_language_the_site_does_not_speak(client, make_user):
    user = make_user(language="en")
    client.force_login(user)
    response = client.post("/profile/edit/", {"first_name": "", "last_name": "", "language": "fr"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    user.refresh_from_db()
    assert user.language == "en"


# --- Spoken: every signed-in page, at no query's cost -----------------------------------------------------------


def test_a_signed_in_person_sees_their_saved_language_whatever_the_browser_says(client, make_user):
    client.force_login(make_user(language="de"))
    client.cookies["django_language"] = "en"
    response = client.get("/profile/", **ENGLISH_BROWSER)
    assert '<html lang="de"' in response.content.decode()
    assert response["Content-Language"] == "de"


def test_an_account_without_a_language_follows_the_browser(client, user):
    client.force_login(user)
    assert '<html lang="de"' in client.get("/profile/", **GERMAN_BROWSER).content.decode()


def test_the_saved_language_costs_no_query(client, make_user, django_assert_max_num_queries):
    client.force_login(make_user(language="de"))
    with django_assert_max_num_queries(2):  # the session and the user, as without a saved language
        response = client.get("/profile/", **ENGLISH_BROWSER)
    assert '<html lang="de"' in response.content.decode()


def test_a_signed_out_page_in_german_costs_no_query(client, django_assert_num_queries):
    client.cookies["django_language"] = "de"
    with django_assert_num_queries(0):
        response = client.get("/accounts/login/", **ENGLISH_BROWSER)
    assert '<html lang="de"' in response.content.decode()


# --- Every email in the recipient's saved language, whatever language is active when it is sent -------------------


def test_the_welcome_email_of_a_user_created_with_a_language_speaks_it(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        User.objects.create_user(email="ada@example.com", password=PASSWORD, language="de")
    [message] = mail.outbox
    assert message.subject == "Willkommen bei Vitae"
    assert "Ihr Konto wurde angelegt" in message.body and "Ihr Konto wurde angelegt" in message.alternatives[0][0]


def test_the_new_device_warning_speaks_the_saved_language_not_the_log_in_pages(
    make_user, django_capture_on_commit_callbacks
):
    user = make_user(language="de")
    for browser in (Client(), Client()):
        with django_capture_on_commit_callbacks(execute=True):
            browser.post("/accounts/login/", {"login": user.email, "password": PASSWORD}, **ENGLISH_BROWSER)
    assert "Neue Anmeldung in Ihrem Konto bei Vitae" in subjects_to(user.email)


def test_the_deletion_emails_speak_the_saved_language_outside_a_request(make_user, settings):
    user = make_user(language="de")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # a backend that can wait
    with translation.override("en"):
        due_at = schedule_account_deletion(user=user)
        cancel_account_deletion(user=user)
        delete_account(user=User.objects.get(pk=user.pk))
    with translation.override("de"):
        day = date_format(due_at, "DATE_FORMAT")
    queued = DBTaskResult.objects.filter(task_path="mail.tasks.deliver_email").order_by("enqueued_at")
    assert [QueuedMessage.unsealed(task.args_kwargs["kwargs"]["message"]).as_email().subject for task in queued] == [
        f"Ihr Konto bei Vitae wird am {day} gelöscht",
        "Ihr Konto bei Vitae wird nicht gelöscht",
        "Ihr Konto bei Vitae wurde gelöscht",
    ]


def test_allauths_notices_speak_the_saved_language_outside_a_request(make_user, django_capture_on_commit_callbacks):
    user = make_user(language="de")
    mail.outbox.clear()
    request = RequestFactory().get("/")
    with (
        django_capture_on_commit_callbacks(execute=True),
        translation.override("en"),
        allauth_context.request_context(request),
    ):
        get_adapter(request).send_notification_mail("account/email/password_changed", user)
    [message] = mail.outbox
    assert message.subject == "[Vitae] Passwort geändert"
    assert "Ihr Passwort wurde geändert." in message.body


def test_a_log_in_code_speaks_the_accounts_language_not_the_browsers(
    client, make_user, django_capture_on_commit_callbacks
):
    user = make_user(language="de")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/login/code/", {"email": user.email}, **ENGLISH_BROWSER)
    assert subjects_to(user.email) == ["[Vitae] Anmeldecode"]


def test_an_email_to_an_address_without_an_account_speaks_the_requests_language(
    client, make_user, django_capture_on_commit_callbacks
):
    make_user(language="en")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "nobody@example.com"}, **GERMAN_BROWSER)
    assert subjects_to("nobody@example.com") == ["[Vitae] Unbekanntes Konto"]
