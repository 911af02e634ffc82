"""accounts/signals.py: the welcome email and the cleanup of stored files."""

import json
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from testkit.files import stored_files
from testkit.logs import recorded_events

pytestmark = pytest.mark.django_db


def welcome_emails(to: str | None = None) -> list:
    return [m for m in mail.outbox if m.subject.startswith("Welcome to") and (to is None or to in m.to)]


# --- Welcome email ---------------------------------------------------------------------------


def test_create_user_sends_exactly_one_welcome_email_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        User.objects.create_user(email="ada@example.com", password="pw")
        assert welcome_emails() == []  # nothing before the commit
    [message] = welcome_emails("ada@example.com")
    assert message.from_email == "webmaster@localhost"


def test_welcome_email_has_text_and_html_with_an_absolute_profile_link(django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://cv.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        User.objects.create_user(email="ada@example.com", password="pw", first_name="Ada")
    [message] = welcome_emails()
    assert "Hello Ada" in message.body
    assert "https://cv.example.org/profile/" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert 'href="https://cv.example.org/profile/"' in html


def test_signup_form_sends_one_welcome_email_beside_the_verification(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {"email": "new@example.com", "password1": "a long password 1", "password2": "a long password 1"},
        )
    assert response.status_code == 302
    assert len(welcome_emails("new@example.com")) == 1
    assert sum("Confirm" in m.subject for m in mail.outbox) == 1


def test_admin_add_sends_one_welcome_email(client, make_user, django_capture_on_commit_callbacks):
    admin = make_user(email="admin@example.com", is_staff=True, is_superuser=True)
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/accounts/user/add/",
            {
                "email": "added@example.com",
                "usable_password": "true",
                "password1": "a long password 1",
                "password2": "a long password 1",
            },
        )
    assert response.status_code == 302, response.content
    assert len(welcome_emails("added@example.com")) == 1


def test_createsuperuser_sends_one_welcome_email(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long password 1")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("createsuperuser", "--noinput", "--email", "boss@example.com", verbosity=0)
    assert len(welcome_emails("boss@example.com")) == 1


def test_later_saves_send_no_welcome_email(user, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        user.first_name = "Changed"
        user.save()
        User.objects.get(pk=user.pk).save()
    assert welcome_emails() == []


def test_loading_a_fixture_sends_no_welcome_email(tmp_path: Path, django_capture_on_commit_callbacks):
    fixture = tmp_path / "users.json"
    fixture.write_text(
        json.dumps([{"model": "accounts.user", "pk": 99, "fields": {"email": "fixture@example.com", "password": "!"}}])
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("loaddata", str(fixture), verbosity=0)
    assert User.objects.filter(email="fixture@example.com").exists()
    assert welcome_emails() == []


def test_rolled_back_creation_sends_no_welcome_email(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            User.objects.create_user(email="ghost@example.com", password="pw")
            raise RuntimeError("the sign-up failed after the insert")
    assert not User.objects.filter(email="ghost@example.com").exists()
    assert welcome_emails() == []


# --- File cleanup ----------------------------------------------------------------------------


def test_deleting_a_user_deletes_the_cv_after_commit(user_with_cv, media_root, django_capture_on_commit_callbacks):
    name = user_with_cv.cv.name
    with django_capture_on_commit_callbacks(execute=True):
        user_with_cv.delete()
        assert (media_root / name).exists()  # still there until the commit
    assert stored_files(media_root) == []


def test_rolled_back_delete_keeps_the_file(user_with_cv, media_root, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            user_with_cv.delete()
            raise RuntimeError("roll back")
    assert (media_root / User.objects.get(email=user_with_cv.email).cv.name).exists()


def test_replacing_the_cv_deletes_the_old_file_and_keeps_the_new(
    user_with_cv, cv_upload, media_root, django_capture_on_commit_callbacks
):
    old_name = user_with_cv.cv.name
    with django_capture_on_commit_callbacks(execute=True):
        user_with_cv.cv = cv_upload("new.docx")
        user_with_cv.save()
    assert stored_files(media_root) == [user_with_cv.cv.name]
    assert user_with_cv.cv.name != old_name
    assert user_with_cv.cv_original_name == "new.docx"


def test_clearing_the_cv_deletes_the_file_and_its_metadata(
    user_with_cv, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user_with_cv.cv = ""
        user_with_cv.save()
    assert stored_files(media_root) == []
    user_with_cv.refresh_from_db()
    assert (user_with_cv.cv_original_name, user_with_cv.cv_size, user_with_cv.cv_uploaded_at) == ("", None, None)


def test_a_loaded_user_replacing_the_cv_deletes_the_old_file(
    user_with_cv, cv_upload, media_root, django_capture_on_commit_callbacks
):
    loaded = User.objects.get(pk=user_with_cv.pk)
    with django_capture_on_commit_callbacks(execute=True):
        loaded.cv = cv_upload("other.odt")
        loaded.save()
    assert stored_files(media_root) == [loaded.cv.name]


def test_rolled_back_replacement_keeps_the_old_file(
    user_with_cv, cv_upload, media_root, django_capture_on_commit_callbacks
):
    old_name = user_with_cv.cv.name
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            user_with_cv.cv = cv_upload("new.pdf")
            user_with_cv.save()
            raise RuntimeError("roll back")
    assert (media_root / old_name).exists()
    assert User.objects.get(pk=user_with_cv.pk).cv.name == old_name


def test_queryset_delete_of_many_users_deletes_all_their_files(
    make_user, cv_upload, media_root, django_capture_on_commit_callbacks
):
    for _ in range(3):
        person = make_user()
        person.cv = cv_upload("cv.pdf")
        person.save()
    assert len(stored_files(media_root)) == 3
    with django_capture_on_commit_callbacks(execute=True):
        User.objects.all().delete()
    assert stored_files(media_root) == []


def test_a_file_already_missing_is_not_an_error(user_with_cv, media_root, caplog, django_capture_on_commit_callbacks):
    name = user_with_cv.cv.name
    (media_root / name).unlink()
    with caplog.at_level("INFO", logger="accounts"), django_capture_on_commit_callbacks(execute=True):
        user_with_cv.delete()
    assert not User.objects.filter(pk=user_with_cv.pk).exists()
    assert not recorded_events(caplog.records, "file_delete_failed")
    [deleted] = recorded_events(caplog.records, "file_deleted")
    assert (deleted.reason, deleted.field, deleted.file) == ("user_deleted", "cv", name)


def test_with_the_database_backend_cleanup_waits_for_the_worker(
    user_with_cv, media_root, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    name = user_with_cv.cv.name
    with django_capture_on_commit_callbacks(execute=True):
        user_with_cv.delete()
    assert (media_root / name).exists()  # the request did no storage work
    [queued] = DBTaskResult.objects.filter(task_path="accounts.tasks.delete_stored_files")
    assert queued.args_kwargs["kwargs"]["names"] == [name]


def test_a_file_still_referenced_by_another_row_is_kept(
    user_with_cv, make_user, media_root, django_capture_on_commit_callbacks
):
    shared_name = user_with_cv.cv.name
    User.objects.filter(pk=make_user().pk).update(cv=shared_name)
    with django_capture_on_commit_callbacks(execute=True):
        user_with_cv.delete()
    assert (media_root / shared_name).exists()


def test_cleanup_is_logged(user_with_cv, caplog, django_capture_on_commit_callbacks):
    name, user_id = user_with_cv.cv.name, user_with_cv.pk
    with caplog.at_level("INFO", logger="accounts"), django_capture_on_commit_callbacks(execute=True):
        user_with_cv.delete()
    [deleted] = recorded_events(caplog.records, "file_deleted")
    assert (deleted.reason, deleted.field, deleted.file, deleted.user_id) == ("user_deleted", "cv", name, user_id)


def test_saving_a_loaded_user_costs_exactly_one_query(user_with_cv, django_assert_num_queries):
    loaded = User.objects.get(pk=user_with_cv.pk)
    with django_assert_num_queries(1):
        loaded.first_name = "Grace"
        loaded.save()


def test_the_text_part_is_not_html_escaped_but_the_html_part_is(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        User.objects.create_user(email="tom@example.com", password="pw", first_name="Tom & <Jerry>")
    [message] = welcome_emails()
    assert "Hello Tom & <Jerry>," in message.body
    assert "Hello Tom &amp; &lt;Jerry&gt;," in message.alternatives[0][0]


def test_a_save_that_leaves_the_cv_out_queues_no_cleanup(
    user_with_cv, cv_upload, media_root, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        user_with_cv.cv = cv_upload("not saved.pdf")
        user_with_cv.first_name = "Ada"
        user_with_cv.save(update_fields=["first_name"])
    assert not DBTaskResult.objects.filter(task_path="accounts.tasks.delete_stored_files").exists()
