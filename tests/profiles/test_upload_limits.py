"""Uploads are capped while they stream, per request: a clear message, nothing kept, temporary disk bounded."""

import threading
import tracemalloc
from pathlib import Path

import pytest

from testkit import cv_files
from testkit.files import stored_files
from testkit.http import Browser, FilePart, padded
from testkit.polling import wait_until

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


def wait_until_emptied(folder: Path) -> None:
    """Wait for ``folder`` to be empty: the server closes, and so deletes, an upload's temporary file when it
    closes the request, just after the response has been sent."""
    wait_until(
        lambda: not any(folder.iterdir()),
        "the upload's temporary files deleted",
        describe=lambda: sorted(path.name for path in folder.iterdir()),
    )


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


@pytest.fixture
def upload_temp_dir(settings, tmp_path: Path) -> Path:
    folder = tmp_path / "upload-temp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    settings.CV_MAX_UPLOAD_BYTES = LIMIT
    return folder


def send_huge_cv(browser: Browser, *, after_each_chunk=lambda: None):
    return browser.upload_cv(
        padded(cv_files.make_pdf(), HUGE),
        size=HUGE,
        filename_parameter=b'filename="huge.pdf"',
        fields={"first_name": "Ada"},
        after_each_chunk=after_each_chunk,
    )


def test_upload_far_over_the_limit_gets_the_form_back_with_the_size_message(
    browser_as, user, upload_temp_dir, media_root
):
    browser = browser_as(user)
    response = send_huge_cv(browser)
    assert response.status == 200
    text = response.text
    assert "The file is too large: a CV can be at most 1.0\xa0MB." in text
    assert "Your profile was not saved." in text
    assert stored_files(media_root) == []
    user.refresh_from_db()
    assert not user.cv
    assert user.first_name == ""


def test_upload_far_over_the_limit_never_fills_the_temporary_folder(browser_as, user, upload_temp_dir, media_root):
    browser = browser_as(user)
    with FolderWatcher(upload_temp_dir) as watcher:
        response = send_huge_cv(browser, after_each_chunk=watcher.sample)
    assert response.status == 200
    assert watcher.largest <= LIMIT + ONE_CHUNK
    wait_until_emptied(upload_temp_dir)


def test_upload_far_over_the_limit_is_never_held_in_memory(browser_as, user, upload_temp_dir):
    browser = browser_as(user)
    tracemalloc.start()
    try:
        response = send_huge_cv(browser)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status == 200
    # Both ends of the connection live in this process: the sender's 1 MiB chunk plus the server's
    # reads. A server that buffered the upload would peak at 30 MiB.
    assert peak < 4 * CHUNK


def test_upload_far_over_the_limit_keeps_the_old_cv(browser_as, user_with_cv, upload_temp_dir, media_root):
    old_name = user_with_cv.cv.name
    old_bytes = (media_root / old_name).read_bytes()
    browser = browser_as(user_with_cv)
    response = send_huge_cv(browser)
    assert response.status == 200
    assert "The file is too large" in response.text
    user_with_cv.refresh_from_db()
    assert user_with_cv.cv.name == old_name
    assert stored_files(media_root) == [old_name]
    download = browser.get("/profile/cv/")
    assert download.status == 200
    assert download.body == old_bytes


def test_upload_within_the_limit_is_stored(browser_as, user, upload_temp_dir, media_root):
    browser = browser_as(user)
    data = cv_files.make_pdf().ljust(LIMIT, b" ")
    response = browser.upload_cv(data, filename_parameter=b'filename="exactly-the-limit.pdf"')
    assert response.status == 302
    user.refresh_from_db()
    assert user.cv_original_name == "exactly-the-limit.pdf"
    assert (media_root / user.cv.name).read_bytes() == data
    wait_until_emptied(upload_temp_dir)


# --- The whole request, not only one file --------------------------------------------------------

JUST_UNDER = LIMIT - 100 * 1024


def file_parts(count: int, size: int, field: str = "cv") -> list[FilePart]:
    """``count`` file parts of valid PDFs, each ``size`` bytes, as a hand-made request would send them."""
    return [
        FilePart(field, f'filename="part-{number}.pdf"'.encode(), padded(cv_files.make_pdf(), size), size)
        for number in range(count)
    ]


def send_parts(browser: Browser, parts: list[FilePart], watcher: FolderWatcher):
    token = browser.csrf_token("/profile/edit/")
    return browser.post_multipart(
        "/profile/edit/",
        fields={"csrfmiddlewaretoken": token, "first_name": "Ada", "last_name": ""},
        files=parts,
        after_each_chunk=watcher.sample,
    )


def test_many_files_each_under_the_limit_never_hold_more_than_the_limit_on_temporary_disk(
    browser_as, user, upload_temp_dir, media_root, settings
):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 100  # Django's default: the cap on bytes must hold on its own
    browser = browser_as(user)
    with FolderWatcher(upload_temp_dir) as watcher:
        response = send_parts(browser, file_parts(20, JUST_UNDER), watcher)
    assert watcher.largest <= LIMIT + ONE_CHUNK
    wait_until_emptied(upload_temp_dir)
    # The form reads the last "cv" part, cut off by the cap: the person is told it is too large.
    assert response.status == 200
    assert "The file is too large: a CV can be at most 1.0\xa0MB." in response.text
    user.refresh_from_db()
    assert not user.cv
    assert stored_files(media_root) == []


def test_parts_under_other_names_count_against_the_same_cap(browser_as, user, upload_temp_dir, media_root, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 100
    browser = browser_as(user)
    # The second part passes the cap; the small CV after it would fit in what is left, but nothing more is kept.
    parts = [*file_parts(10, JUST_UNDER, field="junk"), *file_parts(1, 10 * 1024)]
    with FolderWatcher(upload_temp_dir) as watcher:
        response = send_parts(browser, parts, watcher)
    assert watcher.largest <= LIMIT + ONE_CHUNK
    assert response.status == 200
    assert "The file is too large" in response.text
    assert stored_files(media_root) == []


def test_a_request_with_more_file_parts_than_the_form_has_is_refused_before_the_second_is_kept(
    browser_as, user_with_cv, upload_temp_dir, media_root
):
    before = stored_files(media_root)
    browser = browser_as(user_with_cv)
    with FolderWatcher(upload_temp_dir) as watcher:
        response = send_parts(browser, file_parts(20, JUST_UNDER), watcher)
    assert response.status == 400
    assert watcher.largest <= JUST_UNDER + ONE_CHUNK  # the first part, never a second
    wait_until_emptied(upload_temp_dir)
    assert stored_files(media_root) == before
