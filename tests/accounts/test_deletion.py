"""Self-service account deletion: the password gate, what is deleted, sessions, and the admin's bulk delete."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from testkit.files import stored_files

WRONG_PASSWORD_MESSAGE = "That is not your current password."
RATE_LIMIT_MESSAGE = "Too many wrong passwords. Wait a few minutes and try again."


def sessions_of(user_id: int) -> list[Session]:
    return [session for session in Session.objects.all() if session.get_decoded().get("_auth_user_id") == str(user_id)]


def log_in(client: Client, user: User, password: str) -> Client:
    """Log in through the site's form, as a person does (allauth tracks the session)."""
    response = client.post("/accounts/login/", {"login": user.email, "password": password})
    assert response.status_code == 302, response.status_code
    return client


def password_error(response) -> str:
    form = response.context["form"]
    return " ".join(form.errors.get("password", []))


@pytest.fixture
def delete_account(client, django_capture_on_commit_callbacks):
    """POST the deletion form as the logged-in client, running what is scheduled after commit."""

    def post(password: str, *, follow: bool = False):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/accounts/delete/", {"password": password}, follow=follow)

    return post


def test_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get("/accounts/delete/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/delete/"


def test_anonymous_post_deletes_nothing(client, user, password):
    response = client.post("/accounts/delete/", {"password": password})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert User.objects.filter(pk=user.pk).exists()


def test_page_says_what_will_be_deleted_and_asks_for_the_password(client, user_with_cv):
    client.force_login(user_with_cv)
    response = client.get("/accounts/delete/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "“My CV.pdf”" in page
    assert "all email addresses on your account" in page
    assert "every session where you are logged in" in page
    assert re.search(r'<label\s+for="id_password"[^>]*>\s*Password', page)


def test_get_deletes_nothing(client, user_with_cv, media_root):
    client.force_login(user_with_cv)
    client.get("/accounts/delete/")
    assert User.objects.filter(pk=user_with_cv.pk).exists()
    assert stored_files(media_root) == [user_with_cv.cv.name]


def test_wrong_password_shows_an_error_next_to_the_field_and_deletes_nothing(
    client, user_with_cv, media_root, delete_account
):
    client.force_login(user_with_cv)
    response = delete_account("not my password")
    assert response.status_code == 200
    assert password_error(response) == WRONG_PASSWORD_MESSAGE
    assert 'id="error_1_id_password"' in response.content.decode()
    assert User.objects.filter(pk=user_with_cv.pk).exists()
    assert EmailAddress.objects.filter(user=user_with_cv).exists()
    assert stored_files(media_root) == [user_with_cv.cv.name]
    assert mail.outbox == []
    assert client.get("/profile/").status_code == 200


def test_empty_password_deletes_nothing(client, user, delete_account):
    client.force_login(user)
    response = delete_account("")
    assert response.status_code == 200
    assert password_error(response) == "This field is required."
    assert User.objects.filter(pk=user.pk).exists()


def test_right_password_deletes_the_user_and_their_email_addresses(client, user_with_cv, password, delete_account):
    client.force_login(user_with_cv)
    delete_account(password)
    assert not User.objects.filter(pk=user_with_cv.pk).exists()
    assert not EmailAddress.objects.filter(email=user_with_cv.email).exists()


def test_right_password_deletes_the_cv_file(client, user_with_cv, password, media_root, delete_account):
    client.force_login(user_with_cv)
    delete_account(password)
    assert stored_files(media_root) == []


def test_right_password_logs_out_and_lands_on_home_with_a_message(client, user, password, delete_account):
    client.force_login(user)
    response = delete_account(password, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert "Your account has been deleted." in response.content.decode()
    assert not response.context["user"].is_authenticated
    assert client.get("/profile/")["Location"] == "/accounts/login/?next=/profile/"


def test_right_password_sends_a_confirmation_to_the_old_address(client, user, password, delete_account):
    client.force_login(user)
    delete_account(password)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "Your Signals Site account has been deleted"
    assert "has been deleted" in message.body


def test_other_sessions_of_the_user_stop_working(client, user, password, delete_account):
    other_device = log_in(Client(), user, password)
    log_in(client, user, password)
    assert other_device.get("/profile/").status_code == 200

    delete_account(password)

    response = other_device.get("/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/profile/"


def test_no_session_of_the_user_remains(client, user, password, delete_account):
    log_in(Client(), user, password)
    log_in(client, user, password)
    assert len(sessions_of(user.pk)) == 2

    delete_account(password)

    assert sessions_of(user.pk) == []


def test_other_users_are_untouched(client, user_with_cv, make_user, cv_upload, password, media_root, delete_account):
    neighbour = make_user()
    neighbour.cv = cv_upload("neighbour.pdf")
    neighbour.save()
    neighbours_device = Client()
    neighbours_device.force_login(neighbour)
    client.force_login(user_with_cv)

    delete_account(password)

    assert User.objects.filter(pk=neighbour.pk).exists()
    assert EmailAddress.objects.filter(user=neighbour).exists()
    assert stored_files(media_root) == [neighbour.cv.name]
    assert neighbours_device.get("/profile/").status_code == 200


def test_csrf_token_is_required(user, password):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/accounts/delete/", {"password": password})
    assert response.status_code == 403
    assert User.objects.filter(pk=user.pk).exists()


def test_with_csrf_token_the_deletion_goes_through(user, password):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/accounts/delete/")
    token = client.cookies["csrftoken"].value
    response = client.post("/accounts/delete/", {"password": password, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()


def test_wrong_password_guesses_are_rate_limited(client, user, password, delete_account):
    client.force_login(user)
    for _ in range(5):
        assert password_error(delete_account("a wrong guess")) == WRONG_PASSWORD_MESSAGE

    response = delete_account("another wrong guess")

    assert password_error(response) == RATE_LIMIT_MESSAGE
    assert User.objects.filter(pk=user.pk).exists()


def test_right_password_is_refused_while_rate_limited(client, user, password, delete_account):
    client.force_login(user)
    for _ in range(5):
        delete_account("a wrong guess")

    response = delete_account(password)

    assert password_error(response) == RATE_LIMIT_MESSAGE
    assert User.objects.filter(pk=user.pk).exists()
    assert mail.outbox == []


def test_admin_bulk_delete_removes_every_users_file(
    client, make_user, cv_upload, media_root, django_capture_on_commit_callbacks
):
    admin = make_user(is_staff=True, is_superuser=True)
    people = []
    for name in ("one.pdf", "two.docx", "three.odt"):
        person = make_user()
        person.cv = cv_upload(name)
        person.save()
        people.append(person)
    assert len(stored_files(media_root)) == 3
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "delete_selected", "_selected_action": [p.pk for p in people], "post": "yes"},
        )

    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[p.pk for p in people]).exists()
    assert stored_files(media_root) == []


def test_admin_delete_of_one_user_removes_their_file(
    client, make_user, user_with_cv, media_root, django_capture_on_commit_callbacks
):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:accounts_user_delete", args=[user_with_cv.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user_with_cv.pk).exists()
    assert stored_files(media_root) == []
