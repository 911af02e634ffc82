"""The proxy the deployment guide shows (docs/nginx.conf, Debian's nginx, over HTTPS) in front of the site served as
``make serve`` serves it: a CV sent slowly, far longer than gunicorn lets a worker take, arrives whole.

gunicorn's timeout is 5 s here and the upload takes about 8: straight to gunicorn, its worker is killed mid-upload.
(Which proxies the site believes about HTTPS and the visitor's address is its settings' business, not the proxy's:
the site here keeps make serve's plain-HTTP settings.)
"""

import time
from collections.abc import Iterator

import pytest

from testkit import cv_files
from testkit.files import stored_cv_name, stored_files
from testkit.http import Browser, Response
from testkit.nginx import Nginx
from testkit.people import PASSWORD, unique_email
from testkit.sites import Site, serve

SIZE = 4 * 1024 * 1024
PIECES = 16
GUNICORN_TIMEOUT = 5


@pytest.fixture(scope="module")
def site(served_env) -> Iterator[Site]:
    env = served_env(GUNICORN_TIMEOUT=str(GUNICORN_TIMEOUT))
    with serve(env, "proxied", with_worker=False) as running:
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


def slowly(data: bytes) -> Iterator[bytes]:
    """``data`` in pieces, half a second apart: about eight seconds for 4 MiB, as over a slow link."""
    piece = len(data) // PIECES
    for start in range(0, len(data), piece):
        time.sleep(0.5)  # the fault: a slow client
        yield data[start : start + piece]


def slow_cv() -> tuple[Iterator[bytes], int]:
    data = cv_files.make_pdf().ljust(SIZE, b" ")
    return slowly(data), len(data)


def signed_in(url: str, proxy: Nginx, site: Site) -> Browser:
    email = unique_email()
    site.add_person(email, PASSWORD)
    # A browser sends its origin with every form, and Django checks it.
    browser = Browser(url, ssl_context=proxy.ssl_context(), headers={"Origin": proxy.url})
    browser.log_in(email, PASSWORD)
    return browser


def upload(browser: Browser) -> Response:
    chunks, size = slow_cv()
    return browser.upload_cv(chunks, size=size, filename_parameter=b'filename="Slow CV.pdf"')


def test_a_cv_sent_slowly_through_the_proxy_arrives_whole_and_is_stored(site, proxy):
    browser = signed_in(proxy.url, proxy, site)

    response = upload(browser)

    assert (response.status, response.location) == (302, "/profile/")
    [stored] = stored_files(site.media_root / "cvs")
    assert stored_cv_name(int(stored.split("-")[0])).fullmatch(f"cvs/{stored}")
    assert "Slow CV.pdf" in browser.get("/profile/").text
    assert (site.media_root / "cvs" / stored).stat().st_size == SIZE


def test_the_same_upload_straight_to_gunicorn_is_cut_off_when_its_worker_is_killed(site, proxy):
    """Why the proxy must buffer: without it, the sync worker reading the slow body passes gunicorn's timeout."""
    through_proxy = signed_in(proxy.url, proxy, site)
    # The same visitor, at gunicorn's own port.
    direct = Browser(site.url, headers={"Origin": proxy.url})
    direct.cookies = dict(through_proxy.cookies)
    before = stored_files(site.media_root)

    try:
        response: Response | None = upload(direct)
    except OSError:  # the connection reset by the killed worker
        response = None

    assert response is None or response.status >= 500
    assert stored_files(site.media_root) == before


def test_plain_http_is_sent_to_https(proxy):
    response = Browser(proxy.plain_url).get("/accounts/login/")
    assert (response.status, response.location) == (301, f"https://{proxy.server_name}/accounts/login/")
