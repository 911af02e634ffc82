"""sweep_orphaned_files: stored files no row references, past a grace period, listed or deleted."""

import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from testkit.files import stored_files

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
