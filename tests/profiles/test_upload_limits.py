"""An upload many times the limit is cut off while it streams: a clear message, nothing kept, no 500."""

import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import cv_files
from tests.conftest import stored_files
from tests.profiles.raw_http import RawBrowser, page_text

LIMIT = 1024 * 1024
CHUNK = 1024 * 1024
HUGE = 30 * 1024 * 1024
# The upload handler may hold one read chunk beyond the limit (Django reads 64 KiB at a time).
ONE_CHUNK = 64 * 1024


def bytes_in(folder: Path) -> int:
    total = 0
    for path in folder.iterdir():
        try:
            total += path.stat().st_size
        except FileNotFoundError:  # deleted between listing and stat
            pass
    return total


class FolderWatcher:
    """Samples a folder's total size from a second thread while an upload is under way."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.largest = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def sample(self) -> None:
        self.largest = max(self.largest, bytes_in(self.folder))

    def _watch(self) -> None:
        while not self._stop.wait(0.001):
            self.sample()

    def __enter__(self) -> "FolderWatcher":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def huge_pdf_chunks(size: int) -> Iterator[bytes]:
    """A PDF-looking body of ``size`` bytes, sent one reused chunk at a time (nothing built in memory)."""
    filler = b" " * CHUNK
    yield cv_files.make_pdf()
    remaining = size - len(cv_files.make_pdf())
    while remaining > 0:
        yield filler[: min(CHUNK, remaining)]
        remaining -= CHUNK


@pytest.fixture
def upload_temp_dir(settings, tmp_path: Path) -> Path:
    folder = tmp_path / "upload-temp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    settings.CV_MAX_UPLOAD_BYTES = LIMIT
    return folder


def send_huge_cv(browser: RawBrowser, *, after_each_chunk=lambda: None):
    token = browser.csrf_token("/profile/edit/")
    return browser.post_multipart(
        "/profile/edit/",
        fields={"csrfmiddlewaretoken": token, "first_name": "Ada", "last_name": ""},
        file_field="cv",
        filename_parameter=b'filename="huge.pdf"',
        file_chunks=huge_pdf_chunks(HUGE),
        file_size=HUGE,
        after_each_chunk=after_each_chunk,
    )


def test_upload_far_over_the_limit_gets_the_form_back_with_the_size_message(
    live_server, client, user, upload_temp_dir, media_root
):
    browser = RawBrowser.logged_in(live_server.url, client, user)
    response = send_huge_cv(browser)
    assert response.status == 200
    text = page_text(response.body)
    assert "The file is too large: a CV can be at most 1.0\xa0MB." in text
    assert "Your profile was not saved." in text
    assert stored_files(media_root) == []
    user.refresh_from_db()
    assert not user.cv
    assert user.first_name == ""


def test_upload_far_over_the_limit_never_fills_the_temporary_folder(
    live_server, client, user, upload_temp_dir, media_root
):
    browser = RawBrowser.logged_in(live_server.url, client, user)
    with FolderWatcher(upload_temp_dir) as watcher:
        response = send_huge_cv(browser, after_each_chunk=watcher.sample)
    assert response.status == 200
    assert watcher.largest <= LIMIT + ONE_CHUNK
    assert list(upload_temp_dir.iterdir()) == []


def test_upload_far_over_the_limit_is_never_held_in_memory(live_server, client, user, upload_temp_dir):
    browser = RawBrowser.logged_in(live_server.url, client, user)
    token = browser.csrf_token("/profile/edit/")
    tracemalloc.start()
    try:
        response = browser.post_multipart(
            "/profile/edit/",
            fields={"csrfmiddlewaretoken": token},
            file_field="cv",
            filename_parameter=b'filename="huge.pdf"',
            file_chunks=huge_pdf_chunks(HUGE),
            file_size=HUGE,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status == 200
    # Both ends of the connection live in this process: the sender's 1 MiB chunk plus the server's
    # reads. A server that buffered the upload would peak at 30 MiB.
    assert peak < 4 * CHUNK


def test_upload_far_over_the_limit_keeps_the_old_cv(live_server, client, user_with_cv, upload_temp_dir, media_root):
    old_name = user_with_cv.cv.name
    old_bytes = (media_root / old_name).read_bytes()
    browser = RawBrowser.logged_in(live_server.url, client, user_with_cv)
    response = send_huge_cv(browser)
    assert response.status == 200
    assert "The file is too large" in page_text(response.body)
    user_with_cv.refresh_from_db()
    assert user_with_cv.cv.name == old_name
    assert stored_files(media_root) == [old_name]
    download = browser.get("/profile/cv/")
    assert download.status == 200
    assert download.body == old_bytes


def test_upload_within_the_limit_is_stored(live_server, client, user, upload_temp_dir, media_root):
    browser = RawBrowser.logged_in(live_server.url, client, user)
    data = cv_files.make_pdf().ljust(LIMIT, b" ")
    response = browser.upload_cv(filename_parameter=b'filename="exactly-the-limit.pdf"', data=data)
    assert response.status == 302
    user.refresh_from_db()
    assert user.cv_original_name == "exactly-the-limit.pdf"
    assert (media_root / user.cv.name).read_bytes() == data
    assert list(upload_temp_dir.iterdir()) == []
