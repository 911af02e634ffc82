"""Uploads that gunicorn cuts off, under the site served as ``make serve`` serves it.

A file arrives in the site's own upload folder (under the media folder by default). A worker killed while it receives
one (its timeout, the OOM killer, the end of a restart's drain) leaves the partial file there, and the next start
removes it. A restart's drain lasts as long as a request may (gunicorn's configuration says so), and an upload still
arriving when SIGTERM comes finishes.
"""

import http.client
import os
import runpy
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from testkit import cv_files
from testkit.files import stored_cv_name, stored_files
from testkit.http import Browser
from testkit.logs import events
from testkit.people import PASSWORD, unique_email
from testkit.polling import wait_until
from testkit.processes import GUNICORN_CONFIG
from testkit.sites import Site, serve

pytestmark = pytest.mark.any_database


SIZE = 3_600_000  # the 3.6 MB CV of the issue
HALF = SIZE // 2


def signed_in(site: Site) -> Browser:
    email = unique_email()
    site.add_person(email, PASSWORD)
    browser = Browser(site.url)
    browser.log_in(email, PASSWORD)
    return browser


def partial_uploads(folder: Path, at_least: int = 1) -> list[Path]:
    """The upload folder's files that hold ``at_least`` bytes by now."""
    return [path for path in folder.glob("tmp*.upload*") if path.stat().st_size >= at_least]


def cv_in_two_halves(second_half: Iterator[bytes] | None = None) -> Iterator[bytes]:
    """A valid PDF of SIZE bytes: its first half, then ``second_half`` (spaces), or the rest at once."""
    head = cv_files.make_pdf()
    yield head + b" " * (HALF - len(head))
    yield from second_half if second_half is not None else [b" " * (SIZE - HALF)]


@pytest.fixture
def site(served_env) -> Iterator[Site]:
    with serve(served_env(), "uploads", with_worker=False) as running:
        yield running


def test_a_worker_killed_mid_upload_leaves_its_partial_file_in_the_upload_folder_and_the_next_start_removes_it(site):
    browser = signed_in(site)
    folder = site.media_root / "partial-uploads"
    client_stalls = threading.Event()

    def stalled() -> Iterator[bytes]:
        client_stalls.wait()  # the client sends half the file, then nothing, until the worker is gone
        yield b" " * (SIZE - HALF)

    with ThreadPoolExecutor(1) as pool:
        upload = pool.submit(browser.upload_cv, cv_in_two_halves(stalled()), size=SIZE)
        try:
            [partial] = wait_until(lambda: partial_uploads(folder, HALF // 2), "the upload arrives in its folder")
            for worker in site.worker_pids():
                os.kill(worker, signal.SIGKILL)  # as gunicorn's timeout, the OOM killer or the drain's end does
        finally:
            client_stalls.set()  # whatever happened, the client goes on (and the pool can be shut)
        with pytest.raises((OSError, http.client.HTTPException)):
            upload.result()

    assert partial.exists()  # nothing in the killed worker could remove it
    site.stop()
    site.start()
    assert partial_uploads(folder, at_least=0) == []
    [removed] = events(site.log_text(), "partial_uploads_removed")
    assert removed["files"] == 1 and removed["bytes"] >= HALF // 2


def test_an_upload_still_arriving_when_gunicorn_is_told_to_stop_finishes_and_is_stored(site):
    browser = signed_in(site)
    folder = site.media_root / "partial-uploads"
    draining = threading.Event()

    def the_rest_once_the_drain_has_begun() -> Iterator[bytes]:
        """The second half only after gunicorn has taken the stop signal: a client slow enough to be caught by it."""
        draining.wait()
        yield b" " * (SIZE - HALF)

    with ThreadPoolExecutor(1) as pool:
        upload = pool.submit(browser.upload_cv, cv_in_two_halves(the_rest_once_the_drain_has_begun()), size=SIZE)
        try:
            wait_until(lambda: partial_uploads(folder, HALF // 2), "the upload arrives in its folder")
            site.process.send_signal(signal.SIGTERM)  # a restart, a deploy: systemctl stop
            wait_until(lambda: "Handling signal: term" in site.log_text(), "gunicorn begins its drain")
        finally:
            draining.set()
        response = upload.result()

    assert (response.status, response.location) == (302, "/profile/")
    [stored] = stored_files(site.media_root / "cvs")
    assert stored_cv_name(int(stored.split("-")[0])).fullmatch(f"cvs/{stored}")
    assert partial_uploads(folder, at_least=0) == []
    wait_until(lambda: not site.running(), "gunicorn exits once its workers are done")


@pytest.mark.parametrize("timeout", ["5", "30", "60"])
def test_the_drain_lasts_as_long_as_a_request_may(monkeypatch, timeout):
    """However long ``GUNICORN_TIMEOUT`` lets a request (an upload) run, a stop lets it run that long too: a shorter
    drain (it was 20 s under a 30 s timeout) cut off uploads the timeout allows and left their partial files."""
    monkeypatch.setenv("GUNICORN_TIMEOUT", timeout)
    config = runpy.run_path(str(GUNICORN_CONFIG))
    assert config["graceful_timeout"] == config["timeout"] == int(timeout)
