"""Storage faults answer a clear message or a 503 page, never a 500: object storage that stops answering
(moto's S3 server stopped mid-test) and a media disk that is full (a real, tiny tmpfs)."""

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.cv import replace_cv
from accounts.models import User
from testkit import cv_files
from testkit.disks import fill, tiny_disk
from testkit.files import stored_files
from testkit.forms import field_error
from testkit.logs import recorded_events

pytestmark = pytest.mark.django_db

MESSAGE = "The CV could not be stored just now. Please try again in a few minutes."
UNAVAILABLE_PAGE = "This is not working just now"  # templates/503.html


def downloaded(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


def the_one_fault_logged(caplog, operation: str):
    """Exactly one line for the fault, a WARNING event; no ERROR line and no traceback anywhere."""
    [fault] = recorded_events(caplog.records, "cv_storage_unavailable")
    assert (fault.levelname, fault.operation) == ("WARNING", operation)
    assert [record for record in caplog.records if record.levelname in ("ERROR", "CRITICAL")] == []
    assert [record for record in caplog.records if record.exc_info] == []
    return fault


def save_profile_with(client, upload, first_name: str = "Ada"):
    return client.post("/profile/edit/", {"first_name": first_name, "last_name": "", "cv": upload})


# --- Object storage that stops answering ------------------------------------------------------------


@pytest.fixture
def person(bucket, user, cv_upload, reauthenticated) -> User:
    """A signed-in person whose CV is in the bucket (who has just confirmed their password, as the export asks)."""
    replace_cv(user=user, upload=cv_upload("Résumé.pdf"))
    reauthenticated(user)
    return user


def test_uploading_while_object_storage_is_down_gives_the_form_back_with_a_message(
    client, person, s3_server, bucket, cv_upload, caplog
):
    before = User.objects.values("cv", "cv_original_name", "first_name").get(pk=person.pk)
    s3_server.stop()
    with caplog.at_level("INFO"):
        response = save_profile_with(client, cv_upload("New.pdf"))
    assert response.status_code == 200
    assert field_error(response.content.decode(), "cv") == MESSAGE
    assert "Your profile was not saved." in response.content.decode()
    assert 'Current CV: <a href="/profile/cv/">Résumé.pdf</a>' in response.content.decode()
    assert User.objects.values("cv", "cv_original_name", "first_name").get(pk=person.pk) == before
    the_one_fault_logged(caplog, "store")

    s3_server.start()  # storage is back: the old CV is still there, alone, and downloads
    assert bucket.keys() == [before["cv"]]
    with urllib.request.urlopen(client.get("/profile/cv/")["Location"]) as download:  # noqa: S310 (loopback)
        assert download.read() == cv_files.make_pdf()


def test_uploading_to_a_bucket_that_refuses_the_write_gives_the_form_back_with_a_message(
    client, bucket, user, cv_upload, caplog
):
    bucket.client.delete_bucket(Bucket=bucket.name)  # e.g. an operator's mistake: S3 answers NoSuchBucket
    client.force_login(user)
    with caplog.at_level("INFO"):
        response = save_profile_with(client, cv_upload("New.pdf"))
    assert response.status_code == 200
    assert field_error(response.content.decode(), "cv") == MESSAGE
    assert not User.objects.get(pk=user.pk).cv
    assert "NoSuchBucket" in the_one_fault_logged(caplog, "store").error


def test_downloading_while_object_storage_is_down_is_a_503_page(client, person, s3_server, caplog):
    client.raise_request_exception = False  # as a browser meets it: the site's error handler answers
    s3_server.stop()
    with caplog.at_level("INFO"):
        response = client.get("/profile/cv/")
    assert response.status_code == 503
    assert UNAVAILABLE_PAGE in response.content.decode()
    assert response["Retry-After"] == "60"
    assert "no-store" in response["Cache-Control"]
    the_one_fault_logged(caplog, "download")


def test_the_export_while_object_storage_is_down_is_a_503_page_before_anything_is_sent(
    client, person, s3_server, caplog
):
    client.raise_request_exception = False
    s3_server.stop()
    with caplog.at_level("INFO"):
        response = client.get("/accounts/export/")
    assert response.status_code == 503
    assert not response.streaming
    assert UNAVAILABLE_PAGE in response.content.decode()
    the_one_fault_logged(caplog, "read")


def test_the_admin_download_while_object_storage_is_down_is_a_503_page(client, person, make_user, s3_server):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    client.raise_request_exception = False
    s3_server.stop()
    response = client.get(reverse("admin:accounts_user_cv", args=[person.pk]))
    assert response.status_code == 503
    assert UNAVAILABLE_PAGE in response.content.decode()


# --- A full media disk --------------------------------------------------------------------------


@pytest.fixture
def full_disk(settings, tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB tmpfs as the media folder, filled up but for a few pages after ``fill()``."""
    with tiny_disk(tmp_path / "tiny-media", "1m") as root:
        settings.MEDIA_ROOT = root
        yield root


@pytest.fixture
def person_on_a_full_disk(full_disk, user, cv_upload, client) -> User:
    replace_cv(user=user, upload=cv_upload("Old CV.pdf"))
    fill(full_disk)
    client.force_login(user)
    return user


def big_pdf(size: int = 256 * 1024) -> bytes:
    return cv_files.make_pdf().ljust(size, b" ")


def test_uploading_to_a_full_disk_gives_the_form_back_and_leaves_no_partial_file(
    client, person_on_a_full_disk, full_disk, cv_upload, caplog
):
    old = User.objects.get(pk=person_on_a_full_disk.pk).cv.name
    with caplog.at_level("INFO"):
        response = save_profile_with(client, cv_upload("New.pdf", big_pdf()))
    assert response.status_code == 200
    assert field_error(response.content.decode(), "cv") == MESSAGE
    assert stored_files(full_disk) == sorted([old, "filler"])  # no partial file beside them
    row = User.objects.get(pk=person_on_a_full_disk.pk)
    assert (row.cv.name, row.cv_original_name, row.first_name) == (old, "Old CV.pdf", "")
    fault = the_one_fault_logged(caplog, "store")
    assert "No space left on device" in fault.error and not hasattr(fault, "left_behind")
    assert downloaded(client.get("/profile/cv/")) == cv_files.make_pdf()


def test_the_admin_uploading_to_a_full_disk_saves_nothing_and_says_so(
    client, person_on_a_full_disk, full_disk, make_user, cv_upload
):
    old = User.objects.get(pk=person_on_a_full_disk.pk).cv.name
    client.force_login(make_user(is_staff=True, is_superuser=True))
    url = reverse("admin:accounts_user_change", args=[person_on_a_full_disk.pk])
    data = {"email": person_on_a_full_disk.email, "first_name": "Changed", "last_name": "", "is_active": "on"}
    response = client.post(url, {**data, "cv": cv_upload("New.pdf", big_pdf())}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert f"Nothing was saved. {MESSAGE}" in response.content.decode()
    row = User.objects.get(pk=person_on_a_full_disk.pk)
    assert (row.cv.name, row.first_name) == (old, "")
    assert stored_files(full_disk) == sorted([old, "filler"])
