"""The admin in production mode as an operator meets it: first log-in, every page, the add-upload-delete journey."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response, expect

from e2e.steps import link_in
from testkit import cv_files
from testkit.files import stored_files
from testkit.people import PASSWORD, unique_email
from testkit.polling import wait_until
from testkit.sites import Site
from testkit.smtp import SMTPSink

# /admin/<app>/<model>/<object id>/<page>/: an object's pages (change, history, delete, password, cv).
OBJECT_PAGE = re.compile(r"^/admin/(?P<app>[^/]+)/(?P<model>[^/]+)/(?P<object>[^/]+)/(?P<page>[a-z]+/)?$")
MODEL_PAGE = re.compile(r"^/admin/(?P<app>[^/]+)/(?P<model>[^/]+)/(?P<page>add/)?$")


@dataclass
class BrowserProblems:
    """What the browser reports while a page loads: failed sub-resources, console errors (CSP included)."""

    page: Page
    found: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", lambda message: message.type == "error" and self.found.append(message.text))
        self.page.on("response", self._check)

    def _check(self, response: Response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.found.append(f"{response.status} {response.url}")

    def take(self) -> list[str]:
        found, self.found = self.found, []
        return found


@pytest.fixture(scope="module")
def admin_site(site: Site) -> Site:
    """The site as production runs it: emails and file cleanup queued in the database, a worker beside it."""
    return site


@pytest.fixture(scope="module")
def operator(admin_site: Site, smtp: SMTPSink, browser: Browser) -> Iterator[BrowserContext]:
    """A superuser made as an operator makes one, signed in to the admin; their first log-in verifies the email."""
    email = unique_email("operator")
    admin_site.manage(
        "createsuperuser", "--noinput", env={"DJANGO_SUPERUSER_EMAIL": email, "DJANGO_SUPERUSER_PASSWORD": PASSWORD}
    )
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)

    page.goto(f"{admin_site.url}/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2Fadmin%2F$"))  # the admin's log-in is the site's
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()
    page.goto(link_in(smtp.wait_for(email, "Confirm your email address"), "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()  # where they were going
    page.close()
    yield context
    context.close()


@pytest.fixture
def admin_page(operator: BrowserContext) -> Iterator[Page]:
    page = operator.new_page()
    page.set_default_timeout(10_000)
    yield page
    page.close()


def open_page(page: Page, url: str) -> None:
    """Go to ``url``; a server error says so at once, not as a field the test then cannot find."""
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url} answered {response and response.status}"


def add_user(page: Page, site: Site, email: str) -> None:
    open_page(page, f"{site.url}/admin/accounts/user/add/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()


def open_change_page(page: Page, site: Site, email: str) -> None:
    open_page(page, f"{site.url}/admin/accounts/user/?q={email}")
    page.get_by_role("link", name=email, exact=True).click()
    expect(page.get_by_role("heading", name=email)).to_be_visible()


def upload_cv_on_change_page(page: Page, name: str, data: bytes) -> None:
    page.get_by_label("CV:", exact=True).set_input_files(
        files=[{"name": name, "mimeType": "application/pdf", "buffer": data}]
    )
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()


def test_add_a_user_upload_a_cv_then_bulk_delete_the_user(admin_page: Page, admin_site: Site, smtp: SMTPSink) -> None:
    page, site, email = admin_page, admin_site, unique_email("added")

    add_user(page, site, email)
    smtp.wait_for(email, "Welcome to")

    files_before = set(stored_files(site.media_root))
    open_change_page(page, site, email)
    upload_cv_on_change_page(page, "Added CV.pdf", cv_files.make_pdf())
    [stored_cv] = set(stored_files(site.media_root)) - files_before
    assert stored_cv.startswith("cvs/") and stored_cv.endswith(".pdf")
    assert (site.media_root / stored_cv).read_bytes() == cv_files.make_pdf()

    open_page(page, f"{site.url}/admin/accounts/user/?q={email}")
    page.get_by_role("checkbox", name=re.compile(re.escape(email))).check()
    page.get_by_role("combobox", name="Action").select_option(label="Delete selected users")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Delete multiple objects")).to_be_visible()
    page.get_by_role("button", name="Yes, I’m sure").click()
    expect(page.get_by_text("Successfully deleted 1 user.")).to_be_visible()

    wait_until(lambda: stored_cv not in stored_files(site.media_root), "the worker deletes the CV after the commit")
    site.wait_for_tasks()
    welcomes = [message for message in smtp.to(email) if "Welcome to" in message["Subject"]]
    assert len(welcomes) == 1
    assert len(smtp.to(email)) == 1, [message["Subject"] for message in smtp.to(email)]


@dataclass
class Visit:
    url: str
    status: int
    problems: list[str]
    cache_control: str

    @property
    def never_stored(self) -> bool:
        return {"private", "no-store"} <= {directive.strip() for directive in self.cache_control.split(",")}


def admin_links(page: Page, site: Site) -> list[str]:
    """Every same-site link under /admin/ on the page, without query or fragment, in page order."""
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(link => link.getAttribute('href'))")
    paths = []
    for href in hrefs:
        address = urlsplit(urljoin(page.url, href))
        if address.netloc == urlsplit(site.url).netloc and address.path.startswith("/admin/"):
            paths.append(address.path)
    return list(dict.fromkeys(paths))


def walk_the_admin(page: Page, site: Site) -> dict[str, Visit]:
    """Follow every link from the admin's index: each app, each model's list and add form, and every page of
    the first object in each list (the other rows only repeat those pages; sorting and filters add a query).
    """
    problems = BrowserProblems(page)
    visits: dict[str, Visit] = {}
    first_objects: dict[tuple[str, str], str] = {}
    pages, object_pages = ["/admin/"], []
    while pages or object_pages:
        path = pages.pop(0) if pages else object_pages.pop(0)
        if path in visits or path == "/admin/logout/" or path.startswith("/admin/r/"):
            continue
        model_page, object_page = MODEL_PAGE.match(path), OBJECT_PAGE.match(path)
        if object_page and not model_page:
            if first_objects.get((object_page["app"], object_page["model"])) != object_page["object"]:
                continue
        if path.endswith("/cv/"):  # a download, not a page
            reply = page.request.get(site.url + path)
            visits[path] = Visit(path, reply.status, [], reply.headers.get("cache-control", ""))
            continue
        response = page.goto(site.url + path)
        assert response is not None
        visits[path] = Visit(path, response.status, problems.take(), response.headers.get("cache-control", ""))
        if model_page and not model_page["page"]:
            first_row = page.locator("#result_list tbody tr").first.locator("a[href]").first
            if first_row.count():
                first = OBJECT_PAGE.match(urlsplit(urljoin(page.url, first_row.get_attribute("href"))).path)
                first_objects[(model_page["app"], model_page["model"])] = first["object"]
        for link in admin_links(page, site):
            if link not in visits:
                is_object_page = OBJECT_PAGE.match(link) and not MODEL_PAGE.match(link)
                (object_pages if is_object_page else pages).append(link)
    return visits


@pytest.fixture
def a_group_and_a_cv(admin_page: Page, admin_site: Site) -> None:
    """Every model has an object to open: a group added through the admin, and a user with a CV."""
    page, site = admin_page, admin_site
    open_page(page, f"{site.url}/admin/auth/group/add/")
    page.get_by_label("Name").fill(f"Editors {unique_email('group')}")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()
    open_page(page, f"{site.url}/admin/accounts/user/?o=1")  # the first row is the one the walk opens
    page.locator("#result_list tbody tr th a").first.click()
    upload_cv_on_change_page(page, "Staff view.pdf", cv_files.make_pdf())


def test_every_admin_page_a_superuser_reaches_works(admin_page: Page, admin_site: Site, a_group_and_a_cv) -> None:
    visits = walk_the_admin(admin_page, admin_site)

    failing = {path: visit.status for path, visit in visits.items() if visit.status != 200}
    assert not failing, failing
    broken = {path: visit.problems for path, visit in visits.items() if visit.problems}
    assert not broken, "\n".join(f"{path}: {problems}" for path, problems in broken.items())
    assert [path for path, visit in visits.items() if not visit.never_stored] == []
    kinds = set()
    for path in visits:
        if match := MODEL_PAGE.match(path):
            kinds.add((match["app"], match["model"], match["page"] or "changelist"))
        elif match := OBJECT_PAGE.match(path):
            kinds.add((match["app"], match["model"], match["page"] or "change"))
    every_model = {
        ("accounts", "user"),
        ("auth", "group"),
        ("accounts", "accountemailaddress"),
        ("usersessions", "usersession"),
        ("django_tasks_database", "dbtaskresult"),
        ("security", "securityevent"),
    }
    # Read-only by design: task results (django-tasks-db's), security events (a record is not edited or made up).
    read_only = {"dbtaskresult", "securityevent"}
    for app, model in every_model:
        assert {(app, model, kind) for kind in ("changelist", "change/", "history/")} <= kinds, (app, model)
        if model not in read_only:
            assert {(app, model, "add/"), (app, model, "delete/")} <= kinds, (app, model)
    assert ("accounts", "scheduleddeletion", "changelist") in kinds
    assert ("accounts", "user", "cv/") in kinds
    assert ("accounts", "user", "password/") in kinds
    assert {"/admin/", "/admin/password_change/"} <= set(visits)
