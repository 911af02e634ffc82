"""The proxy the deployment guide shows (docs/nginx.conf, Debian's nginx, over HTTPS) in front of the site served as
``make serve`` serves it: a CV whose client stalls half-way arrives whole, because nginx takes the whole body before
it hands the request to gunicorn, and the one gunicorn worker stays free meanwhile.

Straight to gunicorn, the same stalled upload holds the sync worker, which gunicorn's timeout (5 s here) then kills.
Nothing waits for a span of time: the client stalls until the test lets it go, and the test waits for outcomes.
(Which proxies the site believes about HTTPS and the visitor's address is its settings' business, not the proxy's:
the site here keeps make serve's plain-HTTP settings.)
"""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from testkit import cv_files
from testkit.files import stored_cv_name, stored_files
from testkit.http import Browser, Response
from testkit.nginx import Nginx
from testkit.people import PASSWORD, unique_email
from testkit.polling import wait_until
from testkit.sites import Site, serve

pytestmark = pytest.mark.any_database


SIZE = 4 * 1024 * 1024
GUNICORN_TIMEOUT = 5


@pytest.fixture(scope="module")
def site(served_env) -> Iterator[Site]:
    """One worker: whether the upload holds it is then whether the site can answer anyone else."""
    env = served_env(GUNICORN_TIMEOUT=str(GUNICORN_TIMEOUT))
    with serve(env, "proxied", with_worker=False, workers=1) as running:
        yield running


@pytest.fixture(scope="module")
def proxy(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    with Nginx(tmp_path_factory.mktemp("nginx"), app=f"127.0.0.1:{site.port}") as running:
        # The public address, as the operator names it (docs/deploy.md); here it has the proxy's port in it, which
        # nginx's $host leaves out, so the site must be told before it serves a form.
        site.env.update(SITE_URL=running.url, DJANGO_CSRF_TRUSTED_ORIGINS=running.url)
        site.stop()
        site.start()
        yield running


class StalledUpload:
    """A 4 MiB CV whose client sends the first half, then nothing until ``go_on()``: a slow link, as long as the test
    needs it to be."""

    def __init__(self) -> None:
        self.half_sent = threading.Event()
        self.released = threading.Event()
        self.data = cv_files.make_pdf().ljust(SIZE, b" ")

    def chunks(self) -> Iterator[bytes]:
        yield self.data[: SIZE // 2]
        self.half_sent.set()  # asked for the rest: the first half is on its way
        self.released.wait()
        yield self.data[SIZE // 2 :]

    def go_on(self) -> None:
        self.released.set()

    def send(self, browser: Browser, pool: ThreadPoolExecutor):
        return pool.submit(browser.upload_cv, self.chunks(), size=SIZE, filename_parameter=b'filename="Slow CV.pdf"')


def signed_in(url: str, proxy: Nginx, site: Site) -> Browser:
    email = unique_email()
    site.add_person(email, PASSWORD)
    # A browser sends its origin with every form, and Django checks it.
    browser = Browser(url, ssl_context=proxy.ssl_context(), headers={"Origin": proxy.url})
    browser.log_in(email, PASSWORD)
    return browser


def test_a_cv_whose_client_stalls_is_buffered_by_the_proxy_while_the_worker_serves_others_and_is_stored(site, proxy):
    browser = signed_in(proxy.url, proxy, site)
    upload = StalledUpload()

    with ThreadPoolExecutor(1) as pool:
        sent = upload.send(browser, pool)
        try:
            assert upload.half_sent.wait(60), "the client never got to the second half"
            # gunicorn's only worker answers someone else: the stalled body is nginx's to hold, not the worker's.
            assert Browser(site.url, timeout=60).get("/healthz/").status == 200
        finally:
            upload.go_on()
        response: Response = sent.result()

    assert (response.status, response.location) == (302, "/profile/")
    [stored] = stored_files(site.media_root / "cvs")
    assert stored_cv_name(int(stored.split("-")[0])).fullmatch(f"cvs/{stored}")
    assert "Slow CV.pdf" in browser.get("/profile/").text
    assert (site.media_root / "cvs" / stored).stat().st_size == SIZE


def test_the_same_upload_straight_to_gunicorn_holds_its_worker_until_the_timeout_kills_it(site, proxy):
    """Why the proxy must buffer: without it, the sync worker reading the stalled body passes gunicorn's timeout."""
    through_proxy = signed_in(proxy.url, proxy, site)
    # The same visitor, at gunicorn's own port.
    direct = Browser(site.url, headers={"Origin": proxy.url})
    direct.cookies = dict(through_proxy.cookies)
    before = stored_files(site.media_root / "cvs")
    [worker] = site.worker_pids()
    upload = StalledUpload()

    with ThreadPoolExecutor(1) as pool:
        sent = upload.send(direct, pool)
        try:
            wait_until(lambda: worker not in site.worker_pids(), "the timeout kills the worker holding the upload")
        finally:
            upload.go_on()
        try:
            response: Response | None = sent.result()
        except OSError:  # the connection reset by the killed worker
            response = None

    assert response is None or response.status >= 500
    assert stored_files(site.media_root / "cvs") == before  # no CV; its partial file waits for the next start's sweep
    wait_until(site.worker_pids, "gunicorn starts a worker in its place")


def test_plain_http_is_sent_to_https(proxy):
    response = Browser(proxy.plain_url).get("/accounts/login/")
    assert (response.status, response.location) == (301, f"https://{proxy.server_name}/accounts/login/")
