"""sweep_orphaned_files also removes partial uploads: files a killed worker left in the upload folder, past the
grace period; never one younger (a request may be receiving it), never a file the upload folder did not make."""

import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


@pytest.fixture
def upload_folder(settings) -> dict[str, Path]:
    """A partial upload from two days ago, one being received now, and a file of someone else's."""
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR)
    old, receiving, other = folder / "tmpk3x9_a1b.upload.pdf", folder / "tmpz8q2_c4d.upload.docx", folder / "notes.txt"
    old.write_bytes(b"%PDF-1.4 " + b" " * 3_600_000)
    receiving.write_bytes(b"PK\x03\x04 arriving")
    other.write_text("not an upload")
    age(old, 48)
    age(other, 48)
    return {"old": old, "receiving": receiving, "other": other}


def sweep(*args: str) -> str:
    out = StringIO()
    call_command("sweep_orphaned_files", *args, stdout=out)
    return out.getvalue()


def test_dry_run_lists_partial_uploads_past_the_grace_period_and_deletes_nothing(upload_folder):
    output = sweep()
    assert f"partial upload {upload_folder['old']} (3.4\xa0MB)" in output
    assert "1 partial upload(s), 3.4\xa0MB; nothing deleted (dry run)." in output
    assert str(upload_folder["receiving"]) not in output and "notes.txt" not in output
    assert all(path.exists() for path in upload_folder.values())


def test_delete_removes_partial_uploads_past_the_grace_period_only(upload_folder):
    output = sweep("--delete")
    assert f"deleted {upload_folder['old']} (3.4\xa0MB)" in output
    assert not upload_folder["old"].exists()
    assert upload_folder["receiving"].exists() and upload_folder["other"].exists()
