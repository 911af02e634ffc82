"""The admin stores a CV before its transaction, never inside it: while object storage is slow, the database (on
SQLite, the whole site's write lock) is free for everyone else; and a save that is sent back or rolled back leaves no
file behind."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import User
from testkit import cv_files
from testkit.files import stored_cv_name, stored_files
from testkit.http import Browser, FilePart
from testkit.people import PASSWORD, unique_email
from testkit.polling import wait_until
from testkit.s3 import CREDENTIALS, Bucket, S3Server
from testkit.sites import Site, no_transaction_open, serve

# --- A served site whose object storage is slow ----------------------------------------------------------


@pytest.fixture(scope="module")
def object_storage() -> Iterator[S3Server]:
    with S3Server() as server:
        yield server


@pytest.fixture(scope="module")
def cv_bucket(object_storage: S3Server) -> Bucket:
    return Bucket(object_storage)


@pytest.fixture(scope="module")
def site(served_env, object_storage: S3Server, cv_bucket: Bucket) -> Iterator[Site]:
    env = served_env(
        DJANGO_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME=cv_bucket.name,
        AWS_S3_ENDPOINT_URL=object_storage.url,
        AWS_S3_REGION_NAME=CREDENTIALS["region_name"],
        AWS_ACCESS_KEY_ID=CREDENTIALS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=CREDENTIALS["aws_secret_access_key"],
    )
    with serve(env, "admin-s3", with_worker=False) as running:
        yield running


def test_while_the_admin_waits_for_object_storage_the_database_is_free_for_everyone_else(
    site, object_storage, cv_bucket
):
    staff_email, person_email = unique_email("staff"), unique_email()
    site.add_person(staff_email, PASSWORD, is_staff=True, is_superuser=True)
    person_pk = site.add_person(person_email, PASSWORD)
    staff = Browser(site.url)
    staff.log_in(staff_email, PASSWORD)
    path = f"/admin/accounts/user/{person_pk}/change/"
    fields = {"csrfmiddlewaretoken": staff.csrf_token(path), "email": person_email, "first_name": "Ada"}
    pdf = cv_files.make_pdf()
    upload = FilePart("cv", b'filename="From staff.pdf"', [pdf], len(pdf))

    with ThreadPoolExecutor(1) as pool:
        with object_storage.held():
            saving = pool.submit(staff.post_multipart, path, fields={**fields, "is_active": "on"}, files=[upload])
            wait_until(lambda: object_storage.held_requests, "the admin's request reaches object storage")
            assert no_transaction_open(site.env["DATABASE_URL"])
            Browser(site.url, source_ip="127.0.0.2").log_in(person_email, PASSWORD)  # a write, meanwhile
        response = saving.result()

    assert (response.status, response.location) == (302, "/admin/accounts/user/")
    [key] = cv_bucket.keys()
    assert stored_cv_name(person_pk).fullmatch(key)


# --- Saves that do not go through -------------------------------------------------------------------------


def change_form_data(person: User, **changes: str) -> dict[str, str]:
    return {"email": person.email, "first_name": person.first_name, "last_name": "", "is_active": "on", **changes}


@pytest.fixture
def staff_client(client, make_user):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def refused_admin_log() -> Iterator[None]:
    """The admin's log of changes refuses every new line (a trigger): the admin's transaction fails at its very end,
    after the row was pointed at the new CV, and rolls back."""
    if connection.vendor == "postgresql":
        statements = [
            "CREATE FUNCTION refuse_admin_log() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$"
            " LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_admin_log BEFORE INSERT ON django_admin_log"
            " FOR EACH ROW EXECUTE FUNCTION refuse_admin_log()",
        ]
    else:
        statements = [
            "CREATE TRIGGER refuse_admin_log BEFORE INSERT ON django_admin_log"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END"
        ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    yield  # the test's transaction takes the trigger away again


@pytest.mark.django_db
def test_an_admin_save_rolled_back_after_the_cv_was_stored_leaves_no_file_behind(
    staff_client, user_with_cv, media_root, cv_upload, refused_admin_log
):
    before = User.objects.values("cv", "cv_original_name", "first_name").get(pk=user_with_cv.pk)
    staff_client.raise_request_exception = False
    url = reverse("admin:accounts_user_change", args=[user_with_cv.pk])

    response = staff_client.post(url, {**change_form_data(user_with_cv, first_name="Changed"), "cv": cv_upload()})

    assert response.status_code == 500
    assert User.objects.values("cv", "cv_original_name", "first_name").get(pk=user_with_cv.pk) == before
    assert stored_files(media_root) == [before["cv"]]


@pytest.mark.django_db
def test_an_admin_save_sent_back_with_errors_stores_no_cv(staff_client, user_with_cv, media_root, cv_upload):
    before = stored_files(media_root)
    url = reverse("admin:accounts_user_change", args=[user_with_cv.pk])

    response = staff_client.post(url, {**change_form_data(user_with_cv, email="not an address"), "cv": cv_upload()})

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert stored_files(media_root) == before
