"""accounts/cv.py: no save path points a row back at a deleted CV, replace and clear, the download, the names."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models.signals import pre_save
from django.test import Client
from django.urls import reverse

from accounts.cv import clear_cv, replace_cv
from accounts.models import User
from testkit import cv_files
from testkit.files import stored_cv_name, stored_files

pytestmark = pytest.mark.django_db

NEWER_BYTES = cv_files.make_pdf() + b"% the newer CV\n"


def downloaded(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


@pytest.fixture
def person(user_with_cv) -> User:
    return user_with_cv


@pytest.fixture
def their_browser(person) -> Client:
    browser = Client()
    browser.force_login(person)
    return browser


@pytest.fixture
def replace_through_the_profile_form(their_browser, cv_upload, django_capture_on_commit_callbacks):
    """Another request replaces the CV, commits, and its cleanup deletes the old file: returns the new name."""

    def replace(data: bytes = NEWER_BYTES, name: str = "Newer.pdf") -> str:
        with django_capture_on_commit_callbacks(execute=True):
            response = their_browser.post(
                "/profile/edit/", {"first_name": "", "last_name": "", "cv": cv_upload(name, data)}
            )
        assert response.status_code == 302
        return User.objects.get(email=response.wsgi_request.user.email).cv.name

    return replace


def sweep_and_delete() -> str:
    out = StringIO()
    call_command("sweep_orphaned_files", "--delete", "--older-than", "0", stdout=out)
    return out.getvalue()


def assert_the_newest_cv_survives(person: User, browser: Client, media_root, newest: str) -> None:
    """The row points at the newest file, it is on disk, the sweep keeps it, and its owner downloads it."""
    row = User.objects.get(pk=person.pk)
    assert (row.cv.name, row.cv_original_name, row.cv_size) == (newest, "Newer.pdf", len(NEWER_BYTES))
    sweep_and_delete()
    assert stored_files(media_root) == [newest]
    browser.force_login(row)  # a new password ends the other sessions
    assert downloaded(browser.get("/profile/cv/")) == NEWER_BYTES


# --- Stale saves ---------------------------------------------------------------------------------


def test_set_password_and_save_on_a_copy_loaded_before_a_replacement_keeps_the_newest_cv(
    person, their_browser, media_root, replace_through_the_profile_form, django_capture_on_commit_callbacks
):
    stale = User.objects.get(pk=person.pk)  # e.g. allauth's password change, loaded before the upload committed
    oldest = stale.cv.name
    newest = replace_through_the_profile_form()
    assert not (media_root / oldest).exists()

    with django_capture_on_commit_callbacks(execute=True):
        stale.set_password("a brand new password 1")
        stale.save()

    assert User.objects.get(pk=person.pk).check_password("a brand new password 1")
    assert_the_newest_cv_survives(person, their_browser, media_root, newest)


def test_a_shell_style_full_save_of_a_stale_copy_keeps_the_newest_cv(
    person, their_browser, media_root, replace_through_the_profile_form, django_capture_on_commit_callbacks
):
    stale = User.objects.get(pk=person.pk)
    newest = replace_through_the_profile_form()
    with django_capture_on_commit_callbacks(execute=True):
        stale.first_name = "Grace"
        stale.save()
    assert User.objects.get(pk=person.pk).first_name == "Grace"
    assert_the_newest_cv_survives(person, their_browser, media_root, newest)


def test_naming_the_cv_in_update_fields_from_a_stale_copy_writes_no_cv_column(
    person, their_browser, media_root, replace_through_the_profile_form, django_capture_on_commit_callbacks
):
    stale = User.objects.get(pk=person.pk)
    newest = replace_through_the_profile_form()
    with django_capture_on_commit_callbacks(execute=True):
        stale.last_name = "Hopper"
        stale.save(update_fields=["last_name", "cv", "cv_original_name", "cv_size", "cv_uploaded_at"])
    assert User.objects.get(pk=person.pk).last_name == "Hopper"
    assert_the_newest_cv_survives(person, their_browser, media_root, newest)


def test_a_full_save_of_a_stale_copy_costs_one_query(
    person, replace_through_the_profile_form, django_assert_num_queries
):
    stale = User.objects.get(pk=person.pk)
    replace_through_the_profile_form()
    with django_assert_num_queries(1):
        stale.first_name = "Grace"
        stale.save()


@pytest.fixture
def admin_browser(make_user) -> Client:
    browser = Client()
    browser.force_login(make_user(is_staff=True, is_superuser=True))
    return browser


def admin_change_form_data(person: User, **changes: str) -> dict[str, str]:
    """What the admin's change page posts for ``person`` when nothing is touched but ``changes``."""
    return {
        "email": person.email,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "is_active": "on",
        **changes,
    }


def test_the_admin_change_form_saved_from_a_page_loaded_before_a_replacement_keeps_the_newest_cv(
    person,
    their_browser,
    admin_browser,
    media_root,
    replace_through_the_profile_form,
    django_capture_on_commit_callbacks,
):
    url = reverse("admin:accounts_user_change", args=[person.pk])
    assert admin_browser.get(url).status_code == 200  # the page the staff member has open
    newest = replace_through_the_profile_form()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_browser.post(url, admin_change_form_data(person, first_name="Changed by staff"))
    assert response.status_code == 302, response.content
    assert User.objects.get(pk=person.pk).first_name == "Changed by staff"
    assert_the_newest_cv_survives(person, their_browser, media_root, newest)


def test_an_admin_save_that_lands_just_after_another_request_replaced_the_cv_keeps_the_newest(
    person, their_browser, admin_browser, media_root, cv_upload, django_capture_on_commit_callbacks
):
    """The admin reads the user, then another request commits a new CV, then the admin writes its copy."""
    replaced: list[str] = []

    def another_request_replaces_the_cv(sender, instance, **kwargs) -> None:
        if instance.pk == person.pk and not replaced:
            replaced.append("once")
            meanwhile = User.objects.get(pk=person.pk)
            replace_cv(user=meanwhile, upload=cv_upload("Newer.pdf", NEWER_BYTES))
            replaced.append(meanwhile.cv.name)

    url = reverse("admin:accounts_user_change", args=[person.pk])
    pre_save.connect(another_request_replaces_the_cv, sender=User, dispatch_uid="test.meanwhile")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_browser.post(url, admin_change_form_data(person, first_name="Changed by staff"))
    finally:
        pre_save.disconnect(sender=User, dispatch_uid="test.meanwhile")
    assert response.status_code == 302, response.content
    assert_the_newest_cv_survives(person, their_browser, media_root, replaced[1])


def test_a_stale_copy_that_changes_the_cv_wins_and_the_file_it_never_saw_is_swept(
    person, their_browser, media_root, cv_upload, replace_through_the_profile_form, django_capture_on_commit_callbacks
):
    stale = User.objects.get(pk=person.pk)
    unseen = replace_through_the_profile_form()
    with django_capture_on_commit_callbacks(execute=True):
        stale.cv = cv_upload("Latest.pdf")
        stale.save()
    row = User.objects.get(pk=person.pk)
    assert (row.cv.name, row.cv_original_name) == (stale.cv.name, "Latest.pdf")
    # The save deleted the file it loaded (already gone); the one it never saw is older than the row's: swept.
    assert stored_files(media_root) == sorted([unseen, row.cv.name])
    assert f"deleted {unseen}" in sweep_and_delete()
    assert stored_files(media_root) == [row.cv.name]
    assert downloaded(their_browser.get("/profile/cv/")) == cv_files.make_pdf()


def test_replace_cv_on_a_stale_copy_deletes_the_file_the_row_really_held(
    person, media_root, cv_upload, replace_through_the_profile_form, django_capture_on_commit_callbacks
):
    stale = User.objects.get(pk=person.pk)
    replace_through_the_profile_form()
    with django_capture_on_commit_callbacks(execute=True):
        replace_cv(user=stale, upload=cv_upload("Latest.docx"))
    row = User.objects.get(pk=person.pk)
    assert (row.cv.name, row.cv_original_name) == (stale.cv.name, "Latest.docx")
    assert stored_files(media_root) == [row.cv.name]  # nothing left for the sweep


def test_clear_cv_on_a_stale_copy_deletes_the_file_the_row_really_held(
    person, media_root, replace_through_the_profile_form, django_capture_on_commit_callbacks
):
    stale = User.objects.get(pk=person.pk)
    replace_through_the_profile_form()
    with django_capture_on_commit_callbacks(execute=True):
        clear_cv(user=stale)
    row = User.objects.get(pk=person.pk)
    assert (row.cv.name, row.cv_original_name, row.cv_size, row.cv_uploaded_at) == ("", "", None, None)
    assert stored_files(media_root) == []


def test_refresh_from_db_makes_a_stale_copy_current_again(
    person, media_root, replace_through_the_profile_form, django_capture_on_commit_callbacks
):
    stale = User.objects.get(pk=person.pk)
    replace_through_the_profile_form()
    stale.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        stale.cv = ""
        stale.save()
    assert stored_files(media_root) == []  # the file it cleared is the one the row held


def test_a_replacement_whose_row_is_gone_by_the_time_the_file_is_stored_leaves_no_file(user, cv_upload, media_root):
    in_flight = User.objects.get(pk=user.pk)
    User.objects.filter(pk=user.pk).delete()  # the account was deleted in another tab meanwhile
    with pytest.raises(User.DoesNotExist):
        replace_cv(user=in_flight, upload=cv_upload("late.pdf"))
    assert stored_files(media_root) == []


# --- Names ---------------------------------------------------------------------------------------


def test_a_cv_is_stored_under_a_random_name_in_its_owners_namespace(user, cv_upload, media_root):
    replace_cv(user=user, upload=cv_upload("Lebenslauf.ODT"))
    assert stored_cv_name(user.pk, "odt").fullmatch(user.cv.name)
    assert stored_files(media_root) == [user.cv.name]
    assert (user.cv_original_name, user.cv_size) == ("Lebenslauf.ODT", len(cv_files.make_odt()))


# --- The download --------------------------------------------------------------------------------


def test_a_storage_that_cannot_sign_urls_streams_the_cv(settings, client, user, cv_upload):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    replace_cv(user=user, upload=cv_upload("In memory.pdf"))
    client.force_login(user)
    response = client.get("/profile/cv/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="In memory.pdf"'
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    assert downloaded(response) == cv_files.make_pdf()


def test_a_copy_that_stored_its_own_cv_and_then_went_stale_keeps_the_newest_cv(
    person, their_browser, media_root, cv_upload, replace_through_the_profile_form, django_capture_on_commit_callbacks
):
    shell = User.objects.get(pk=person.pk)
    with django_capture_on_commit_callbacks(execute=True):
        shell.cv = cv_upload("From the shell.pdf")
        shell.save()
    newest = replace_through_the_profile_form()  # meanwhile, the person uploads again
    with django_capture_on_commit_callbacks(execute=True):
        shell.first_name = "Grace"
        shell.save()
    assert_the_newest_cv_survives(person, their_browser, media_root, newest)


# --- The admin ----------------------------------------------------------------------------------


def test_the_admin_replaces_a_cv_and_the_old_file_is_deleted(
    person, admin_browser, media_root, cv_upload, django_capture_on_commit_callbacks
):
    url = reverse("admin:accounts_user_change", args=[person.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_browser.post(url, {**admin_change_form_data(person), "cv": cv_upload("From staff.docx")})
    assert response.status_code == 302, response.content
    row = User.objects.get(pk=person.pk)
    assert (row.cv_original_name, row.cv_size) == ("From staff.docx", len(cv_files.make_docx()))
    assert stored_files(media_root) == [row.cv.name]


def test_the_admin_refuses_a_file_that_is_not_a_cv_next_to_the_field(person, admin_browser, media_root, cv_upload):
    before = stored_files(media_root)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    response = admin_browser.post(
        url, {**admin_change_form_data(person), "cv": cv_upload("cv.pdf", cv_files.EXE_BYTES)}
    )
    assert response.status_code == 200
    assert "cannot be read as PDF" in response.content.decode()
    assert stored_files(media_root) == before


def test_the_admin_clears_a_cv(person, admin_browser, media_root, django_capture_on_commit_callbacks):
    url = reverse("admin:accounts_user_change", args=[person.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_browser.post(url, {**admin_change_form_data(person), "cv-clear": "on"})
    assert response.status_code == 302, response.content
    assert not User.objects.get(pk=person.pk).cv
    assert stored_files(media_root) == []
