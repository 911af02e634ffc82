"""Every page a signed-in person reaches on the served site tells caches not to keep it."""

from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Page, expect

from e2e.steps import confirm_with_password
from testkit import cv_files
from testkit.pages import SIGNED_IN_PAGES
from testkit.sites import Site

# Pages no link leads to: allauth's reauthentication is reached by redirect, the export by a button.
SEEDS = ["/", "/profile/", "/accounts/reauthenticate/", "/accounts/export/"]
EXPECTED = set(SIGNED_IN_PAGES)


def same_site_links(page: Page, site: Site, path: str) -> list[str]:
    page.goto(site.url + path)
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(link => link.getAttribute('href'))")
    paths = []
    for href in hrefs:
        address = urlsplit(urljoin(page.url, href))
        if address.netloc == urlsplit(site.url).netloc and not address.path.startswith("/static/"):
            paths.append(address.path)
    return paths


def test_every_signed_in_page_is_private_and_never_stored(page: Page, site: Site, signed_up) -> None:
    account = signed_up()
    # The export and the two-factor pages ask the person to confirm it is them first; then they answer.
    page.goto(f"{site.url}/accounts/reauthenticate/")
    confirm_with_password(page, account.password)
    page.goto(f"{site.url}/profile/edit/")
    page.get_by_label("CV", exact=True).set_input_files(
        files=[{"name": "Private.pdf", "mimeType": "application/pdf", "buffer": cv_files.make_pdf()}]
    )
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile was saved.")).to_be_visible()
    page.goto(f"{site.url}/accounts/delete/")  # it opens at once: the person confirmed it is them a moment ago
    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()

    headers: dict[str, str] = {}
    queue = list(SEEDS)
    while queue:
        path = queue.pop(0)
        if path in headers:
            continue
        reply = page.request.get(site.url + path, max_redirects=0)
        # The home page sends a signed-in person on to their profile; that redirect must not be kept either.
        assert reply.status == (302 if path == "/" else 200), f"{path} answered {reply.status}"
        headers[path] = reply.headers.get("cache-control", "")
        if reply.headers.get("content-type", "").startswith("text/html"):
            queue.extend(same_site_links(page, site, path))

    assert EXPECTED <= set(headers), sorted(set(headers))
    cacheable = {
        path: value
        for path, value in headers.items()
        if not {"private", "no-store"} <= {directive.strip() for directive in value.split(",")}
    }
    assert not cacheable, cacheable
