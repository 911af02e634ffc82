"""sweep_orphaned_files: stored CVs no row references, past a grace period, listed or deleted; never the newest."""

import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.cv import cv_upload_to
from accounts.models import User
from testkit.files import stored_files
from testkit.logs import recorded_events

pytestmark = pytest.mark.django_db


def age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


@pytest.fixture
def folder(user_with_cv, media_root) -> dict[str, Path]:
    """A referenced CV, a stray file from a minute ago, and a stray file from two days ago."""
    cvs = media_root / "cvs"
    referenced = media_root / user_with_cv.cv.name
    stray_new, stray_old = cvs / "stray-new.pdf", cvs / "stray-old.pdf"
    for path in (stray_new, stray_old):
        path.write_bytes(b"%PDF-1.4 left behind")
    for path in (referenced, stray_old):
        age(path, 48)
    return {"referenced": referenced, "new": stray_new, "old": stray_old}


def sweep(*args: str) -> str:
    out = StringIO()
    call_command("sweep_orphaned_files", *args, stdout=out)
    return out.getvalue()


def test_dry_run_lists_only_old_orphans_and_deletes_nothing(folder, media_root):
    before = stored_files(media_root)
    output = sweep()
    assert "orphaned cvs/stray-old.pdf" in output
    assert "stray-new" not in output and folder["referenced"].name not in output
    assert "1 orphaned file(s)" in output and "nothing deleted" in output
    assert stored_files(media_root) == before


def test_delete_removes_old_orphans_only(folder, media_root):
    output = sweep("--delete")
    assert "deleted cvs/stray-old.pdf" in output
    assert not folder["old"].exists()
    assert folder["new"].exists() and folder["referenced"].exists()


def test_a_shorter_grace_period_includes_newer_orphans(folder):
    sweep("--delete", "--older-than", "0")
    assert not folder["new"].exists() and not folder["old"].exists()
    assert folder["referenced"].exists()


def test_an_empty_media_folder_is_fine(db):
    assert "0 orphaned file(s)" in sweep()


# --- A user's newest upload is never swept ------------------------------------------------------


def upload_of(user, name: str, hours_ago: float, media_root: Path) -> str:
    """A file stored in ``user``'s namespace ``hours_ago``, as an upload of theirs would be."""
    stored = cv_upload_to(user, name)
    path = media_root / stored
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.4 " + name.encode())
    age(path, hours_ago)
    return stored


@pytest.fixture
def aged_cv(user_with_cv, media_root) -> str:
    """The CV the row points at, uploaded three days ago."""
    age(media_root / user_with_cv.cv.name, 72)
    return user_with_cv.cv.name


def test_the_newest_upload_of_a_user_whose_row_points_at_a_deleted_file_is_kept(
    user_with_cv, aged_cv, media_root, caplog
):
    # Some write that bypassed the model pointed the row back at a file cleanup had deleted.
    newest = upload_of(user_with_cv, "newest.pdf", 48, media_root)
    (media_root / aged_cv).unlink()
    with caplog.at_level("WARNING", logger="accounts"):
        output = sweep("--delete")
    assert stored_files(media_root) == [newest]
    assert f"kept {newest}: the newest upload of user {user_with_cv.pk}" in output
    [kept] = recorded_events(caplog.records, "stray_cv_kept")
    assert (kept.levelname, kept.file, kept.user_id) == ("WARNING", newest, user_with_cv.pk)


def test_of_several_newer_uploads_only_the_newest_is_kept(user_with_cv, aged_cv, media_root):
    older = upload_of(user_with_cv, "older.pdf", 50, media_root)
    newest = upload_of(user_with_cv, "newest.pdf", 48, media_root)
    User.objects.filter(pk=user_with_cv.pk).update(cv=aged_cv)  # a raw update: no model, no cleanup
    output = sweep("--delete")
    assert f"deleted {older}" in output
    assert stored_files(media_root) == sorted([aged_cv, newest])


def test_uploads_older_than_the_file_the_row_points_at_are_deleted(user_with_cv, media_root):
    replaced = upload_of(user_with_cv, "replaced.pdf", 72, media_root)
    age(media_root / user_with_cv.cv.name, 48)
    assert f"deleted {replaced}" in sweep("--delete")
    assert stored_files(media_root) == [user_with_cv.cv.name]


def test_a_user_who_cleared_their_cv_has_nothing_kept(user_with_cv, aged_cv, media_root):
    leftover = upload_of(user_with_cv, "leftover.pdf", 48, media_root)
    User.objects.filter(pk=user_with_cv.pk).update(cv="", cv_original_name="", cv_size=None, cv_uploaded_at=None)
    output = sweep("--delete")
    assert f"deleted {leftover}" in output and "kept" not in output
    assert stored_files(media_root) == []


def test_the_files_of_a_deleted_user_are_deleted(make_user, media_root):
    gone = make_user()
    leftover = upload_of(gone, "leftover.pdf", 48, media_root)
    User.objects.filter(pk=gone.pk).delete()
    assert f"deleted {leftover}" in sweep("--delete")
    assert stored_files(media_root) == []
