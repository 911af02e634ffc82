"""The same file behaviours on object storage: django-storages' S3 backend against moto's S3 server.

moto runs as a real HTTP server on loopback, so every storage call below is a real S3 request.
"""

import urllib.request
import uuid
from collections.abc import Iterator
from io import StringIO

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from accounts.models import User
from testkit import cv_files
from testkit.network import free_port

pytestmark = pytest.mark.django_db

CREDENTIALS = {"aws_access_key_id": "test-key", "aws_secret_access_key": "test-secret", "region_name": "us-east-1"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(settings, s3_endpoint):
    """A fresh private bucket, made the site's default storage exactly as DJANGO_STORAGE=s3 configures it."""
    name = f"cvs-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS)
    client.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": CREDENTIALS["aws_access_key_id"],
                "secret_key": CREDENTIALS["aws_secret_access_key"],
                "file_overwrite": False,
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 60,
                "signature_version": "s3v4",
            },
        },
    }

    class Bucket:
        def keys(self) -> list[str]:
            return sorted(item["Key"] for item in client.list_objects_v2(Bucket=name).get("Contents", []))

        def put(self, key: str, data: bytes) -> None:
            client.put_object(Bucket=name, Key=key, Body=data)

    return Bucket()


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


def test_download_redirects_to_a_short_lived_presigned_url(client, s3_user_with_cv, s3_endpoint):
    client.force_login(s3_user_with_cv)
    response = client.get("/profile/cv/")
    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith(s3_endpoint)
    assert "X-Amz-Expires=60" in url  # valid for a minute
    assert "private" in response["Cache-Control"]
    with urllib.request.urlopen(url) as download:  # noqa: S310 (a loopback URL the test made)
        assert download.read() == cv_files.make_pdf()
        assert "attachment" in download.headers["Content-Disposition"]
        assert "R%C3%A9sum%C3%A9.pdf" in download.headers["Content-Disposition"]


def test_the_bucket_object_is_not_public(s3_user_with_cv, s3_endpoint, bucket):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_endpoint}/{s3_user_with_cv.cv.storage.bucket_name}/{s3_user_with_cv.cv.name}")  # noqa: S310
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
