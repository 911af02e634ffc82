"""Every page of two-factor, security keys, confirming it is you and log-in by code, as one person meets them on the
site served at localhost (WebAuthn needs a host name): valid HTML5, no serious axe-core violation, no broken
resource and no CSP violation. The walk and its checks are those of ``e2e/test_pages.py``."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from e2e.scanning import PageScanner, Scan, describe, scan_walk, validate_html
from e2e.steps import VirtualAuthenticator, log_in, navbar, recovery_codes, sign_up
from testkit.sites import Site
from testkit.smtp import SMTPSink
from testkit.totp import AuthenticatorApp

PAGES = [
    "log-in code request",
    "log-in code request with errors",
    "two-factor (nothing set up)",
    "security keys (none)",
    "confirm access with a password",
    "confirm access with a wrong password",
    "authenticator app activation",
    "authenticator app activation with a wrong code",
    "recovery codes",
    "two-factor (authenticator app on)",
    "recovery codes regeneration",
    "security key addition",
    "passkey addition",
    "security keys",
    "security key editing",
    "security key removal",
    "authenticator app deactivation",
    "confirm access with a code",
    "confirm access with a wrong code",
    "confirm access with a security key",
    "two-factor step",
    "two-factor step with a wrong code",
    "log-in code entry",
    "log-in code entry with a wrong code",
]


def walk_through_two_factor(scanner: PageScanner, site: Site, smtp: SMTPSink) -> None:
    """Signed out (code log-in), then signed up: set up the app and a key, confirm access, log in again."""
    page, url = scanner.page, site.url
    VirtualAuthenticator(page)

    scanner.visit("log-in code request", f"{url}/accounts/login/code/")
    page.get_by_label("Email").fill("not an email address")
    scanner.submit("log-in code request with errors", page.get_by_role("button", name="Request Code").click)

    account = sign_up(page, url, smtp)
    scanner.visit("two-factor (nothing set up)", f"{url}/accounts/2fa/")
    scanner.visit("security keys (none)", f"{url}/accounts/2fa/webauthn/")
    scanner.visit("confirm access with a password", f"{url}/accounts/2fa/totp/activate/")
    page.get_by_label("Password").fill("not the password")
    scanner.submit("confirm access with a wrong password", page.get_by_role("button", name="Confirm").click)
    page.get_by_label("Password").fill(account.password)
    scanner.submit("authenticator app activation", page.get_by_role("button", name="Confirm").click)
    page.get_by_label("Authenticator code").fill("000000")
    scanner.submit("authenticator app activation with a wrong code", page.get_by_role("button", name="Activate").click)
    app = AuthenticatorApp(page.get_by_label("Authenticator secret").input_value())
    page.get_by_label("Authenticator code").fill(app.code())
    scanner.submit("recovery codes", page.get_by_role("button", name="Activate").click)
    codes = recovery_codes(page)
    scanner.visit("two-factor (authenticator app on)", f"{url}/accounts/2fa/")
    scanner.visit("recovery codes regeneration", f"{url}/accounts/2fa/recovery-codes/generate/")
    scanner.visit("security key addition", f"{url}/accounts/2fa/webauthn/add/?type=security-key")
    scanner.visit("passkey addition", f"{url}/accounts/2fa/webauthn/add/")
    with scanner.navigation():
        page.get_by_role("button", name="Add passkey").click()
    scanner.visit("security keys", f"{url}/accounts/2fa/webauthn/")
    with scanner.navigation() as editing:
        page.get_by_role("link", name="Rename").click()
    scanner.record("security key editing", editing.value)
    scanner.visit("security key removal", page.url.replace("/edit/", "/remove/"))
    scanner.visit("authenticator app deactivation", f"{url}/accounts/2fa/totp/deactivate/")

    # A new session: the sensitive pages ask again, with each of the person's three ways.
    with scanner.navigation():
        navbar(page).get_by_role("button", name="Log out").click()
    log_in(page, url, account.email, account.password)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    scanner.visit("confirm access with a code", f"{url}/accounts/2fa/reauthenticate/?next=/accounts/export/")
    page.get_by_label("Code").fill("00000000")
    scanner.submit("confirm access with a wrong code", page.get_by_role("button", name="Confirm").click)
    scanner.visit(
        "confirm access with a security key", f"{url}/accounts/2fa/webauthn/reauthenticate/?next=/accounts/export/"
    )

    # Logging in again: the second step, then a code by email (which leads to the second step too).
    with scanner.navigation():
        navbar(page).get_by_role("button", name="Log out").click()
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    scanner.submit("two-factor step", page.get_by_role("button", name="Log in", exact=True).click)
    page.get_by_label("Code").fill("00000000")
    scanner.submit("two-factor step with a wrong code", page.get_by_role("button", name="Log in", exact=True).click)
    with scanner.navigation():
        page.get_by_role("button", name="Cancel").click()
    page.goto(f"{url}/accounts/login/code/")
    page.get_by_label("Email").fill(account.email)
    scanner.submit("log-in code entry", page.get_by_role("button", name="Request Code").click)
    page.get_by_label("Code").fill("BBBB-BBBB")
    scanner.submit("log-in code entry with a wrong code", page.get_by_role("button", name="Confirm").click)


@pytest.fixture(scope="module")
def scanned(
    browser: Browser,
    localhost_site: Site,
    smtp: SMTPSink,
    tmp_path_factory: pytest.TempPathFactory,
    pytestconfig: pytest.Config,
) -> PageScanner:
    """Walk through the pages once, keeping every page it meets."""
    return scan_walk(
        browser,
        pytestconfig,
        tmp_path_factory,
        "two-factor-pages",
        PAGES,
        lambda scanner: walk_through_two_factor(scanner, localhost_site, smtp),
    )


@pytest.fixture(scope="module")
def scans(scanned: PageScanner) -> dict[str, Scan]:
    return scanned.scans


@pytest.fixture(scope="module")
def html_errors(scans: dict[str, Scan]) -> dict[Path, list[str]]:
    return validate_html([scan.html_file for scan in scans.values()])


def test_the_scan_reached_every_page(scanned: PageScanner) -> None:
    assert scanned.broken_off is None, f"the walk broke off after {list(scanned.scans)[-1:]}:\n{scanned.broken_off}"
    assert list(scanned.scans) == PAGES
    assert {name: scan.status for name, scan in scanned.scans.items()} == dict.fromkeys(PAGES, 200)


def test_no_page_has_a_broken_resource_or_a_csp_violation(scans: dict[str, Scan]) -> None:
    broken = {name: scan.browser_errors for name, scan in scans.items() if scan.browser_errors}
    assert not broken, "\n".join(f"{name}: {errors}" for name, errors in broken.items())


def test_every_page_has_a_title_of_its_own(scanned: PageScanner) -> None:
    titles = {name: title_of(scan.html_file) for name, scan in scanned.scans.items()}
    assert all(title and not title.startswith("·") for title in titles.values()), titles


def title_of(html_file: Path) -> str:
    text = html_file.read_text()
    return " ".join(text[text.index("<title>") + len("<title>") : text.index("</title>")].split())


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
