"""The same file behaviours on object storage: django-storages' S3 backend against moto's S3 server.

moto runs as a real HTTP server on loopback, so every storage call below is a real S3 request.
"""

import urllib.request
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction

from accounts.models import User
from testkit import cv_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def s3_user_with_cv(bucket, user, cv_upload):
    user.cv = cv_upload("Résumé.pdf")
    user.save()
    return user


def test_upload_stores_the_cv_in_the_bucket_under_a_random_name(s3_user_with_cv, bucket):
    [key] = bucket.keys()
    assert key == s3_user_with_cv.cv.name and key.startswith("cvs/") and key.endswith(".pdf")
    assert "sum" not in key  # not the original name
    assert s3_user_with_cv.cv_original_name == "Résumé.pdf"


def test_replace_deletes_the_old_object_after_commit(
    s3_user_with_cv, bucket, cv_upload, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        s3_user_with_cv.cv = cv_upload("new.docx")
        s3_user_with_cv.save()
    assert bucket.keys() == [s3_user_with_cv.cv.name]


def test_clear_deletes_the_object(s3_user_with_cv, bucket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        s3_user_with_cv.cv = ""
        s3_user_with_cv.save()
    assert bucket.keys() == []


def test_delete_removes_the_object_after_commit(s3_user_with_cv, bucket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        s3_user_with_cv.delete()
        assert len(bucket.keys()) == 1
    assert bucket.keys() == []


def test_rolled_back_delete_keeps_the_object(s3_user_with_cv, bucket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            s3_user_with_cv.delete()
            raise RuntimeError("roll back")
    assert bucket.keys() == [s3_user_with_cv.cv.name]


def test_queryset_delete_removes_every_object(bucket, make_user, cv_upload, django_capture_on_commit_callbacks):
    for _ in range(3):
        person = make_user()
        person.cv = cv_upload("cv.odt")
        person.save()
    with django_capture_on_commit_callbacks(execute=True):
        User.objects.all().delete()
    assert bucket.keys() == []


def test_an_object_already_gone_is_not_an_error(s3_user_with_cv, bucket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        s3_user_with_cv.cv.storage.delete(s3_user_with_cv.cv.name)
        s3_user_with_cv.delete()
    assert bucket.keys() == []


def test_sweep_deletes_orphaned_objects_and_keeps_referenced_ones(s3_user_with_cv, bucket):
    bucket.put("cvs/orphan.pdf", cv_files.make_pdf())
    out = StringIO()
    call_command("sweep_orphaned_files", "--older-than", "0", stdout=out)
    assert "orphaned cvs/orphan.pdf" in out.getvalue() and len(bucket.keys()) == 2
    call_command("sweep_orphaned_files", "--delete", "--older-than", "0", stdout=StringIO())
    assert bucket.keys() == [s3_user_with_cv.cv.name]


def test_download_redirects_to_a_short_lived_presigned_url(client, s3_user_with_cv, s3_server, settings):
    client.force_login(s3_user_with_cv)
    response = client.get("/profile/cv/")
    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith(s3_server.url)
    assert f"X-Amz-Expires={settings.PRESIGNED_URL_SECONDS}&" in url  # the one lifetime the settings give
    assert "private" in response["Cache-Control"]
    with urllib.request.urlopen(url) as download:  # noqa: S310 (a loopback URL the test made)
        assert download.read() == cv_files.make_pdf()
        assert "attachment" in download.headers["Content-Disposition"]
        assert "R%C3%A9sum%C3%A9.pdf" in download.headers["Content-Disposition"]


def test_the_bucket_object_is_not_public(s3_user_with_cv, s3_server, bucket):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_server.url}/{s3_user_with_cv.cv.storage.bucket_name}/{s3_user_with_cv.cv.name}")  # noqa: S310
    assert refused.value.code == 403


def test_profile_form_upload_goes_to_the_bucket(client, bucket, user, django_capture_on_commit_callbacks):
    client.force_login(user)
    upload = cv_files.make_docx()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/profile/edit/", {"first_name": "Ada", "last_name": "L", "cv": SimpleUploadedFile("cv.docx", upload)}
        )
    assert response.status_code == 302
    user.refresh_from_db()
    assert bucket.keys() == [user.cv.name]


def test_a_cv_missing_from_the_bucket_is_not_found_rather_than_a_redirect_to_an_error(client, s3_user_with_cv, bucket):
    bucket.client.delete_object(Bucket=bucket.name, Key=s3_user_with_cv.cv.name)
    client.force_login(s3_user_with_cv)
    assert client.get("/profile/cv/").status_code == 404


def test_a_bucket_that_does_not_sign_urls_is_streamed_never_linked(client, settings, bucket, user, cv_upload):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": bucket.storage({**settings.S3_OPTIONS, "querystring_auth": False}),
    }
    user.cv = cv_upload("Résumé.pdf")
    user.save()
    client.force_login(user)
    response = client.get("/profile/cv/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == cv_files.make_pdf()
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''R%C3%A9sum%C3%A9.pdf"
