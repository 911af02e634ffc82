"""The profile pages and the private CV download: permissions, content, uploads and their refusals."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from accounts.models import User
from profiles.forms import ProfileForm
from testkit import cv_files
from testkit.files import stored_cv_name, stored_files
from testkit.forms import field_error as error_next_to


def field_error(response, field: str) -> str:
    return error_next_to(response.content.decode(), field)


def downloaded(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


def save_profile(client, *, cv=None, remove_cv=False, first_name="Ada", last_name="Lovelace"):
    data = {"first_name": first_name, "last_name": last_name}
    if cv is not None:
        data["cv"] = cv
    if remove_cv:
        data["remove_cv"] = "on"
    return client.post(reverse("profile_edit"), data)


# --- Permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/profile/", "/profile/edit/", "/profile/cv/"])
def test_anonymous_visitor_is_sent_to_log_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_anonymous_post_to_edit_changes_nothing(client, user_with_cv, media_root):
    stored = stored_files(media_root)
    response = client.post("/profile/edit/", {"first_name": "Mallory", "remove_cv": "on"})
    assert response.status_code == 302
    user_with_cv.refresh_from_db()
    assert user_with_cv.first_name == ""
    assert stored_files(media_root) == stored


# --- /profile/ ------------------------------------------------------------------------------


def test_profile_shows_name_email_and_member_since(client, make_user):
    person = make_user(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    client.force_login(person)
    response = client.get("/profile/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ada Lovelace" in page
    assert "ada@example.com" in page
    assert "Member since" in page
    assert f"{person.date_joined:%-d %B %Y}" in page


def test_profile_shows_the_cv_original_name_size_and_upload_date(client, user_with_cv):
    client.force_login(user_with_cv)
    page = client.get("/profile/").content.decode()
    assert '<a href="/profile/cv/">My CV.pdf</a>' in page
    assert f"({filesizeformat(user_with_cv.cv_size)}, uploaded" in page
    assert f"{user_with_cv.cv_uploaded_at:%-d %B %Y}" in page


def test_profile_says_when_there_is_no_cv_and_links_to_the_upload(client, user):
    client.force_login(user)
    page = client.get("/profile/").content.decode()
    assert "No CV yet" in page
    assert '<a class="btn btn-sm btn-outline-primary" href="/profile/edit/">Upload your CV</a>' in page
    assert "/profile/cv/" not in page


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("Edit profile", "/profile/edit/"),
        ("Email addresses", "/accounts/email/"),
        ("Password", "/accounts/password/change/"),
        ("Sessions", "/accounts/sessions/"),
        ("Security activity", "/accounts/activity/"),
        ("Two-factor authentication and passkeys", "/accounts/2fa/"),
        ("Export your data", "/accounts/export/"),
        ("Delete your account", "/accounts/delete/"),
    ],
)
def test_profile_links_to_account_pages(client, user, text, url):
    client.force_login(user)
    page = client.get("/profile/").content.decode()
    assert re.search(rf'<a [^>]*href="{re.escape(url)}"[^>]*>{text}</a>', page)


# --- /profile/edit/ -------------------------------------------------------------------------


def test_edit_page_shows_labelled_fields_and_the_accepted_types(client, user_with_cv):
    client.force_login(user_with_cv)
    page = client.get("/profile/edit/").content.decode()
    for field, label in [("first_name", "First name"), ("last_name", "Last name"), ("cv", "CV")]:
        assert re.search(rf'<label\s+for="id_{field}"[^>]*>\s*{label}\s*</label>', page)
    assert "PDF, DOCX or ODT, at most 5.0\xa0MB." in page
    assert 'Current CV: <a href="/profile/cv/">My CV.pdf</a>' in page


def test_saving_names_updates_the_profile(client, user):
    client.force_login(user)
    response = save_profile(client, first_name="Grace", last_name="Hopper")
    assert response.status_code == 302
    assert response["Location"] == "/profile/"
    page = client.get("/profile/").content.decode()
    assert "Your profile was saved." in page
    assert "Grace Hopper" in page


@pytest.mark.parametrize("name", ["cv.pdf", "cv.docx", "cv.odt"])
def test_uploading_a_cv_stores_it_under_a_random_name(client, user, cv_upload, media_root, name):
    client.force_login(user)
    response = save_profile(client, cv=cv_upload(name))
    assert response.status_code == 302
    user.refresh_from_db()
    assert stored_cv_name(user.pk).fullmatch(user.cv.name)
    assert stored_files(media_root) == [user.cv.name]
    assert user.cv_original_name == name


def test_replacing_the_cv_deletes_the_old_file(
    client, user_with_cv, cv_upload, media_root, django_capture_on_commit_callbacks
):
    old_name = user_with_cv.cv.name
    client.force_login(user_with_cv)
    with django_capture_on_commit_callbacks(execute=True):
        response = save_profile(client, cv=cv_upload("New CV.docx"))
    assert response.status_code == 302
    user_with_cv.refresh_from_db()
    assert user_with_cv.cv.name != old_name
    assert stored_files(media_root) == [user_with_cv.cv.name]
    assert user_with_cv.cv_original_name == "New CV.docx"


def test_removing_the_cv_deletes_the_file(client, user_with_cv, media_root, django_capture_on_commit_callbacks):
    client.force_login(user_with_cv)
    with django_capture_on_commit_callbacks(execute=True):
        response = save_profile(client, remove_cv=True)
    assert response.status_code == 302
    user_with_cv.refresh_from_db()
    assert not user_with_cv.cv
    assert user_with_cv.cv_original_name == ""
    assert stored_files(media_root) == []
    assert "No CV yet" in client.get("/profile/").content.decode()


def test_choosing_a_new_cv_and_removal_together_is_refused(
    client, user_with_cv, cv_upload, media_root, django_capture_on_commit_callbacks
):
    stored = stored_files(media_root)
    client.force_login(user_with_cv)
    with django_capture_on_commit_callbacks(execute=True):
        response = save_profile(client, cv=cv_upload("other.pdf"), remove_cv=True)
    assert response.status_code == 200
    assert "Choose a new CV or remove the current one, not both." in response.content.decode()
    assert stored_files(media_root) == stored


REFUSED_UPLOADS = {
    "executable renamed .pdf": ("cv.pdf", cv_files.EXE_BYTES, "cannot be read as PDF"),
    "HTML renamed .pdf": ("cv.pdf", cv_files.HTML_BYTES, "cannot be read as PDF"),
    "empty file": ("cv.pdf", b"", "The file is empty."),
    "plain ZIP renamed .docx": ("cv.docx", cv_files.make_plain_zip(), "cannot be read as DOCX"),
    "XML in an .odt": ("cv.odt", b"<?xml version='1.0'?><office:document/>", "cannot be read as ODT"),
    "an .exe": ("setup.exe", cv_files.EXE_BYTES, "Upload a PDF, DOCX or ODT file"),
    "an .html": ("cv.html", cv_files.HTML_BYTES, "Upload a PDF, DOCX or ODT file"),
}


@pytest.mark.parametrize(("name", "data", "message"), REFUSED_UPLOADS.values(), ids=REFUSED_UPLOADS.keys())
def test_refused_upload_shows_the_message_next_to_the_field_and_keeps_the_old_cv(
    client, user_with_cv, media_root, django_capture_on_commit_callbacks, name, data, message
):
    before = User.objects.values("cv", "cv_original_name", "cv_size", "cv_uploaded_at").get(pk=user_with_cv.pk)
    old_bytes = (media_root / before["cv"]).read_bytes()
    client.force_login(user_with_cv)

    with django_capture_on_commit_callbacks(execute=True):
        response = save_profile(client, cv=SimpleUploadedFile(name, data))

    assert response.status_code == 200
    assert message in field_error(response, "cv")
    assert "Your profile was not saved." in response.content.decode()
    # The page still offers the stored CV, and the row and the disk are untouched.
    assert 'Current CV: <a href="/profile/cv/">My CV.pdf</a>' in response.content.decode()
    after = User.objects.values("cv", "cv_original_name", "cv_size", "cv_uploaded_at").get(pk=user_with_cv.pk)
    assert after == before
    assert stored_files(media_root) == [before["cv"]]
    assert downloaded(client.get("/profile/cv/")) == old_bytes


def test_refused_oversized_upload_keeps_the_old_cv(
    client, user_with_cv, media_root, settings, django_capture_on_commit_callbacks
):
    settings.CV_MAX_UPLOAD_BYTES = 64 * 1024
    old_name = user_with_cv.cv.name
    client.force_login(user_with_cv)
    with django_capture_on_commit_callbacks(execute=True):
        response = save_profile(client, cv=SimpleUploadedFile("big.pdf", cv_files.make_pdf().ljust(200 * 1024)))
    assert response.status_code == 200
    assert field_error(response, "cv") == "The file is too large: a CV can be at most 64.0\xa0KB."
    user_with_cv.refresh_from_db()
    assert user_with_cv.cv.name == old_name
    assert stored_files(media_root) == [old_name]


def test_refused_zip_bomb_keeps_the_old_cv(client, user_with_cv, media_root, django_capture_on_commit_callbacks):
    old_name = user_with_cv.cv.name
    client.force_login(user_with_cv)
    bomb = cv_files.make_docx_zip_bomb(uncompressed_bytes=64 * 1024 * 1024)
    with django_capture_on_commit_callbacks(execute=True):
        response = save_profile(client, cv=SimpleUploadedFile("cv.docx", bomb))
    assert response.status_code == 200
    assert "far more than a CV ever needs" in field_error(response, "cv")
    assert stored_files(media_root) == [old_name]


def test_refused_first_upload_stores_nothing(client, user, media_root, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = save_profile(client, cv=SimpleUploadedFile("cv.pdf", cv_files.EXE_BYTES))
    assert response.status_code == 200
    user.refresh_from_db()
    assert not user.cv
    assert stored_files(media_root) == []


# --- /profile/cv/ ---------------------------------------------------------------------------


def test_owner_downloads_the_cv_as_a_private_attachment_under_its_original_name(client, user_with_cv, media_root):
    client.force_login(user_with_cv)
    response = client.get("/profile/cv/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="My CV.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    assert downloaded(response) == (media_root / user_with_cv.cv.name).read_bytes()


def test_download_without_a_cv_is_not_found(client, user):
    client.force_login(user)
    assert client.get("/profile/cv/").status_code == 404


def test_download_of_a_cv_missing_from_storage_is_not_found(client, user_with_cv, media_root):
    (media_root / user_with_cv.cv.name).unlink()
    client.force_login(user_with_cv)
    assert client.get("/profile/cv/").status_code == 404


def test_download_refuses_post(client, user_with_cv):
    client.force_login(user_with_cv)
    assert client.post("/profile/cv/").status_code == 405


def test_another_user_gets_only_their_own_cv(client, user_with_cv, make_user, cv_upload, media_root):
    other = make_user()
    client.force_login(other)
    assert client.get("/profile/cv/").status_code == 404

    other.cv = cv_upload("Other.docx")
    other.save()
    response = client.get("/profile/cv/")
    assert response["Content-Disposition"] == 'attachment; filename="Other.docx"'
    assert downloaded(response) == (media_root / other.cv.name).read_bytes()


@pytest.mark.parametrize("suffix", ["{pk}/", "?user={pk}", "?id={pk}"])
def test_no_url_takes_a_user_id(client, user_with_cv, make_user, suffix):
    client.force_login(make_user())
    response = client.get("/profile/cv/" + suffix.format(pk=user_with_cv.pk))
    assert response.status_code == 404


@pytest.mark.parametrize("debug", [True, False])
def test_media_folder_is_never_served(client, user_with_cv, settings, debug):
    settings.DEBUG = debug
    client.force_login(user_with_cv)
    name = user_with_cv.cv.name
    for url in [f"/media/{name}", f"/{name}", f"/static/../media/{name}"]:
        assert client.get(url).status_code == 404, url


# --- Admin download -------------------------------------------------------------------------


def test_superuser_downloads_a_cv_from_the_admin(client, user_with_cv, make_user, media_root):
    admin = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    change_page = client.get(reverse("admin:accounts_user_change", args=[user_with_cv.pk])).content.decode()
    url = reverse("admin:accounts_user_cv", args=[user_with_cv.pk])
    assert f'<a href="{url}">My CV.pdf</a>' in change_page

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="My CV.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert downloaded(response) == (media_root / user_with_cv.cv.name).read_bytes()


def test_staff_with_view_permission_downloads_a_cv_from_the_admin(client, user_with_cv, make_user):
    staff = make_user(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_user", content_type__app_label="accounts"))
    client.force_login(staff)
    response = client.get(reverse("admin:accounts_user_cv", args=[user_with_cv.pk]))
    assert response.status_code == 200
    assert downloaded(response).startswith(b"%PDF-")


def test_staff_without_view_permission_is_refused_the_cv(client, user_with_cv, make_user):
    client.force_login(make_user(is_staff=True))
    response = client.get(reverse("admin:accounts_user_cv", args=[user_with_cv.pk]))
    assert response.status_code == 403


def test_non_staff_user_is_refused_the_admin_cv_download(client, user_with_cv, make_user):
    client.force_login(make_user())
    response = client.get(reverse("admin:accounts_user_cv", args=[user_with_cv.pk]), follow=True)
    assert response.status_code == 403
    assert b"%PDF-" not in response.content


def test_anonymous_visitor_is_sent_to_log_in_for_the_admin_cv_download(client, user_with_cv):
    response = client.get(reverse("admin:accounts_user_cv", args=[user_with_cv.pk]), follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert b"%PDF-" not in response.content


def test_admin_download_of_a_user_without_cv_is_not_found(client, user, make_user):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:accounts_user_cv", args=[user.pk])).status_code == 404


# --- Query budget ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/profile/", "/profile/edit/"])
def test_profile_pages_render_within_the_query_budget(client, user_with_cv, url, django_assert_max_num_queries):
    client.force_login(user_with_cv)
    with django_assert_max_num_queries(4):
        assert client.get(url).status_code == 200


def test_profile_renders_in_two_queries_with_a_warm_session_cache(client, user_with_cv, django_assert_max_num_queries):
    client.force_login(user_with_cv)
    client.get("/profile/")  # warms the cached_db session
    with django_assert_max_num_queries(2):
        assert client.get("/profile/").status_code == 200


def test_admin_change_form_links_the_current_cv_to_the_staff_download_only(client, user_with_cv, make_user):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:accounts_user_change", args=[user_with_cv.pk])).content.decode()
    staff_url = reverse("admin:accounts_user_cv", args=[user_with_cv.pk])
    assert f'href="{staff_url}">My CV.pdf</a>' in page
    assert user_with_cv.cv.name not in page  # the random stored name is never shown or linked


def test_saving_names_from_a_stale_copy_keeps_the_newer_cv(
    user_with_cv, cv_upload, media_root, django_capture_on_commit_callbacks
):
    stale = User.objects.get(pk=user_with_cv.pk)  # e.g. a second tab, loaded before the replacement
    with django_capture_on_commit_callbacks(execute=True):
        user_with_cv.cv = cv_upload("newer.pdf")
        user_with_cv.save()
    form = ProfileForm(data={"first_name": "Ada", "last_name": ""}, files={}, instance=stale)
    assert form.is_valid(), form.errors
    form.save()
    row = User.objects.get(pk=user_with_cv.pk)
    assert (row.first_name, row.cv.name, row.cv_original_name) == ("Ada", user_with_cv.cv.name, "newer.pdf")
    assert (media_root / row.cv.name).exists()
