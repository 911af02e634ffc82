"""The data export: who may download it, how it is served, and what the ZIP holds."""

import io
import json
import tempfile
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import User
from testkit.logs import recorded_events


def download_export(client) -> tuple:
    response = client.get("/accounts/export/")
    try:
        body = b"".join(response.streaming_content)
    finally:
        response.close()
    return response, zipfile.ZipFile(io.BytesIO(body))


def profile_json(archive: zipfile.ZipFile) -> dict:
    return json.loads(archive.read("profile.json"))


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get("/accounts/export/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/export/"


def test_export_refuses_post(client, user):
    client.force_login(user)
    assert client.post("/accounts/export/").status_code == 405


def test_export_is_a_private_dated_zip_attachment(client, reauthenticated, user, clock):
    reauthenticated(user)
    response, archive = download_export(client)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="my-data-{timezone.localdate():%Y-%m-%d}.zip"'
    assert response["X-Content-Type-Options"] == "nosniff"
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    assert archive.testzip() is None


def test_profile_json_holds_the_personal_fields_and_dates(client, reauthenticated, make_user):
    person = make_user(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    reauthenticated(person)
    person.refresh_from_db()
    _, archive = download_export(client)
    data = profile_json(archive)
    assert data["email"] == "ada@example.com"
    assert data["first_name"] == "Ada"
    assert data["last_name"] == "Lovelace"
    assert abs(parse_time(data["date_joined"]) - person.date_joined) < timedelta(milliseconds=1)
    assert abs(parse_time(data["last_login"]) - person.last_login) < timedelta(milliseconds=1)
    assert data["cv"] is None


def test_profile_json_lists_every_email_address_with_its_state(client, reauthenticated, user):
    EmailAddress.objects.create(user=user, email="second@example.com", verified=False, primary=False)
    reauthenticated(user)
    _, archive = download_export(client)
    assert profile_json(archive)["email_addresses"] == [
        {"email": user.email, "verified": True, "primary": True},
        {"email": "second@example.com", "verified": False, "primary": False},
    ]


def test_export_without_cv_holds_only_profile_json(client, reauthenticated, user):
    reauthenticated(user)
    _, archive = download_export(client)
    assert archive.namelist() == ["profile.json"]


def test_export_holds_the_cv_under_its_original_name_with_identical_bytes(
    client, reauthenticated, user_with_cv, media_root
):
    reauthenticated(user_with_cv)
    _, archive = download_export(client)
    assert archive.namelist() == ["profile.json", "My CV.pdf"]
    assert archive.read("My CV.pdf") == (media_root / user_with_cv.cv.name).read_bytes()
    cv = profile_json(archive)["cv"]
    assert cv["file_name"] == "My CV.pdf"
    assert cv["size"] == user_with_cv.cv_size


@pytest.mark.parametrize(
    "hostile_name",
    ["../../etc/passwd.pdf", "/abs/path.pdf", "..\\..\\windows\\cv.pdf", "C:\\cv.pdf", "profile.json"],
)
def test_export_entry_names_have_no_path_parts_even_for_a_hostile_original_name(
    client, reauthenticated, user_with_cv, hostile_name
):
    # The name is cleaned on upload; a row written some other way must still not escape the archive.
    User.objects.filter(pk=user_with_cv.pk).update(cv_original_name=hostile_name)
    reauthenticated(user_with_cv)
    _, archive = download_export(client)
    names = archive.namelist()
    assert len(names) == len(set(names)) == 2
    for name in names:
        assert "/" not in name and "\\" not in name and ":" not in name and name not in {"", ".", ".."}


def test_export_leaves_no_temporary_files(client, reauthenticated, user_with_cv, tmp_path, monkeypatch, settings):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    settings.FILE_UPLOAD_TEMP_DIR = str(scratch)
    reauthenticated(user_with_cv)
    download_export(client)
    assert list(Path(scratch).iterdir()) == []


def test_export_of_another_user_is_impossible(client, reauthenticated, user_with_cv, make_user):
    reauthenticated(make_user())
    _, archive = download_export(client)
    assert archive.namelist() == ["profile.json"]
    assert profile_json(archive)["email"] != user_with_cv.email


def test_a_cv_missing_from_storage_leaves_it_out_of_the_export_and_is_logged(
    client, reauthenticated, user_with_cv, media_root, caplog
):
    (media_root / user_with_cv.cv.name).unlink()
    reauthenticated(user_with_cv)
    with caplog.at_level("WARNING", logger="accounts"):
        response, archive = download_export(client)
    assert response.status_code == 200
    assert archive.namelist() == ["profile.json"]
    [missing] = recorded_events(caplog.records, "cv_missing")
    assert missing.file == user_with_cv.cv.name
