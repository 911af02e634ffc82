"""Every page a person can reach, signed out and signed in: valid HTML5 and no serious axe-core violation."""

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from e2e.scanning import PageScanner, Scan, describe, scan_walk, validate_html
from e2e.steps import confirm_with_password, link_in, log_in, navbar
from testkit import cv_files
from testkit.people import PASSWORD, unique_email
from testkit.sites import Site
from testkit.smtp import SMTPSink

# Every page the scan visits, in the order a person meets them; each one is a test of its own below.
PAGES = [
    "home (signed out)",
    "sign-up",
    "sign-up with errors",
    "log-in",
    "log-in with errors",
    "password reset",
    "not found (signed out)",
    "invalid confirmation link",
    "verification sent",
    "confirm email",
    "home (signed in)",
    "profile",
    "profile edit",
    "profile edit with a refused upload",
    "profile with a CV",
    "profile edit with a CV",
    "CV storage unavailable",
    "profile edit with a storage fault",
    "email addresses",
    "email addresses with errors",
    "password change",
    "password change with errors",
    "sessions",
    "security activity",
    "reauthentication before deletion",
    "reauthentication with a wrong password",
    "account deletion",
    "log-out",
    "not found (signed in)",
    "password reset done",
    "password reset from key",
    "password reset from key with errors",
    "password reset from key done",
    "password reset link already used",
    "account deletion scheduled",
    "too many requests",
]

EXPECTED_STATUS = {
    "not found (signed out)": 404,
    "not found (signed in)": 404,
    "CV storage unavailable": 503,
    "too many requests": 429,
}


@contextmanager
def in_the_way(path: Path, *, put: Callable[[Path], None]) -> Iterator[None]:
    """Move ``path`` aside and ``put`` something else in its place (``Path.mkdir``, ``Path.touch``); then undo it."""
    aside = path.with_name(f"{path.name}.aside")
    path.rename(aside)
    put(path)
    try:
        yield
    finally:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
        aside.rename(path)


def walk_through_the_site(scanner: PageScanner, site: Site, smtp: SMTPSink) -> None:
    """Every page, in the order one person meets them: signed out, signing up, signed in, resetting."""
    page, url, email = scanner.page, site.url, unique_email("scan")

    # Signed out.
    scanner.visit("home (signed out)", f"{url}/")
    scanner.visit("sign-up", f"{url}/accounts/signup/")
    page.get_by_label("Email").fill("not an email address")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill("a different password 99")
    scanner.submit("sign-up with errors", page.get_by_role("button", name="Sign up").click)
    scanner.visit("log-in", f"{url}/accounts/login/")
    page.get_by_label("Email").fill(unique_email("nobody"))
    page.get_by_label("Password").fill("not the password")
    scanner.submit("log-in with errors", page.get_by_role("button", name="Log in", exact=True).click)
    scanner.visit("password reset", f"{url}/accounts/password/reset/")
    scanner.visit("not found (signed out)", f"{url}/no-such-page/")
    scanner.visit("invalid confirmation link", f"{url}/accounts/confirm-email/not-a-key/")

    # Sign up and confirm.
    page.goto(f"{url}/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    scanner.submit("verification sent", page.get_by_role("button", name="Sign up").click)
    scanner.visit("confirm email", link_in(smtp.wait_for(email, "Confirm"), "/accounts/confirm-email/"))
    with scanner.navigation():
        page.get_by_role("button", name="Confirm").click()

    # Signed in.
    scanner.visit("home (signed in)", f"{url}/")
    scanner.visit("profile", f"{url}/profile/")
    scanner.visit("profile edit", f"{url}/profile/edit/")
    # A ZIP named .docx: the browser sends it (only the server looks inside a DOCX) and the server refuses it.
    page.get_by_label("CV", exact=True).set_input_files(
        files=[{"name": "cv.docx", "mimeType": "application/octet-stream", "buffer": cv_files.make_plain_zip()}]
    )
    scanner.upload("profile edit with a refused upload", page.get_by_role("button", name="Save profile").click)
    page.get_by_label("CV", exact=True).set_input_files(
        files=[{"name": "My CV.pdf", "mimeType": "application/pdf", "buffer": cv_files.make_pdf()}]
    )
    scanner.upload("profile with a CV", page.get_by_role("button", name="Save profile").click)
    scanner.visit("profile edit with a CV", f"{url}/profile/edit/")
    # Storage that fails for real: a folder where the CV file is (reading it fails), a file where the CV
    # folder is (writing into it fails).
    folder = site.media_root / "cvs"
    with in_the_way(max(folder.iterdir(), key=lambda path: path.stat().st_mtime), put=Path.mkdir):
        scanner.visit("CV storage unavailable", f"{url}/profile/cv/")
    with in_the_way(folder, put=Path.touch):
        page.goto(f"{url}/profile/edit/")
        page.get_by_label("CV", exact=True).set_input_files(
            files=[{"name": "New CV.pdf", "mimeType": "application/pdf", "buffer": cv_files.make_pdf()}]
        )
        scanner.upload("profile edit with a storage fault", page.get_by_role("button", name="Save profile").click)
        expect(page.get_by_text("The CV could not be stored just now.")).to_be_visible()
    scanner.visit("email addresses", f"{url}/accounts/email/")
    page.get_by_label("New email address").fill("not an email address")
    scanner.submit("email addresses with errors", page.get_by_role("button", name="Change email").click)
    scanner.visit("password change", f"{url}/accounts/password/change/")
    page.get_by_label("Current password").fill("not the password")
    page.get_by_label("New password", exact=True).fill("another long password 77")
    page.get_by_label("New password (again)").fill("another long password 77")
    scanner.submit("password change with errors", page.get_by_role("button", name="Change password").click)
    scanner.visit("sessions", f"{url}/accounts/sessions/")
    scanner.visit("security activity", f"{url}/accounts/activity/")
    scanner.visit("reauthentication before deletion", f"{url}/accounts/delete/")
    page.get_by_label("Password").fill("not the password")
    scanner.submit("reauthentication with a wrong password", page.get_by_role("button", name="Confirm").click)
    page.get_by_label("Password").fill(PASSWORD)
    scanner.submit("account deletion", page.get_by_role("button", name="Confirm").click)
    scanner.visit("log-out", f"{url}/accounts/logout/")
    scanner.visit("not found (signed in)", f"{url}/no-such-page/")
    with scanner.navigation():
        navbar(page).get_by_role("button", name="Log out").click()

    # Signed out again: reset the password from the emailed link.
    page.goto(f"{url}/accounts/password/reset/")
    page.get_by_label("Email").fill(email)
    scanner.submit("password reset done", page.get_by_role("button", name="Reset my password").click)
    reset_link = link_in(smtp.wait_for(email, "Password reset"), "/accounts/password/reset/key/")
    scanner.visit("password reset from key", reset_link)
    page.get_by_label("New password", exact=True).fill("a new long password 88")
    page.get_by_label("New password (again)").fill("a different new password 89")
    scanner.submit("password reset from key with errors", page.get_by_role("button", name="Change password").click)
    page.get_by_label("New password", exact=True).fill("a new long password 88")
    page.get_by_label("New password (again)").fill("a new long password 88")
    scanner.submit("password reset from key done", page.get_by_role("button", name="Change password").click)
    scanner.visit("password reset link already used", reset_link)

    # The grace period.
    log_in(page, url, email, "a new long password 88")
    page.goto(f"{url}/accounts/delete/")
    confirm_with_password(page, "a new long password 88")
    with scanner.navigation():
        page.get_by_role("button", name="Delete my account").click()
    log_in(page, url, email, "a new long password 88")
    expect(page.get_by_role("heading", name="Your account is about to be deleted")).to_be_visible()
    scanner.visit("account deletion scheduled", f"{url}/accounts/delete/scheduled/")
    with scanner.navigation():
        navbar(page).get_by_role("button", name="Log out").click()

    # Five reset requests a minute per address, counted across every worker: one of the next few is refused.
    throttled = unique_email("throttled")
    for _ in range(11):
        page.goto(f"{url}/accounts/password/reset/")
        page.get_by_label("Email").fill(throttled)
        with scanner.navigation() as navigation:
            page.get_by_role("button", name="Reset my password").click()
        if navigation.value.status == 429:
            scanner.record("too many requests", navigation.value)
            break


@pytest.fixture(scope="module")
def scanned(
    browser: Browser,
    site: Site,
    smtp: SMTPSink,
    tmp_path_factory: pytest.TempPathFactory,
    pytestconfig: pytest.Config,
) -> PageScanner:
    """Walk through the whole site once, keeping every page it meets."""
    return scan_walk(
        browser,
        pytestconfig,
        tmp_path_factory,
        "pages",
        PAGES,
        lambda scanner: walk_through_the_site(scanner, site, smtp),
    )


@pytest.fixture(scope="module")
def scans(scanned: PageScanner) -> dict[str, Scan]:
    return scanned.scans


@pytest.fixture(scope="module")
def html_errors(scans: dict[str, Scan]) -> dict[Path, list[str]]:
    return validate_html([scan.html_file for scan in scans.values()])


def test_the_scan_reached_every_page_with_its_expected_status(scanned: PageScanner) -> None:
    assert scanned.broken_off is None, f"the walk broke off after {list(scanned.scans)[-1:]}:\n{scanned.broken_off}"
    scans = scanned.scans
    assert list(scans) == PAGES
    statuses = {name: scan.status for name, scan in scans.items()}
    assert statuses == {name: EXPECTED_STATUS.get(name, 200) for name in PAGES}


def test_no_page_has_a_broken_resource_or_a_csp_violation(scans: dict[str, Scan]) -> None:
    broken = {name: scan.browser_errors for name, scan in scans.items() if scan.browser_errors}
    assert not broken, "\n".join(f"{name}: {errors}" for name, errors in broken.items())


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_accessibility_violation(scans: dict[str, Scan], name: str) -> None:
    assert name in scans, f"the scan never reached {name!r}"
    violations = scans[name].violations
    assert not violations, f"{name} ({scans[name].html_file.name}):\n{describe(violations)}"


@pytest.mark.parametrize("name", PAGES)
def test_page_is_valid_html(scans: dict[str, Scan], html_errors: dict[Path, list[str]], name: str) -> None:
    assert name in scans, f"the scan never reached {name!r}"
    errors = html_errors[scans[name].html_file]
    assert not errors, f"{name}: {len(errors)} HTML error(s):\n" + "\n".join(errors)
