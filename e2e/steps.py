"""What a person does in the browser, step by step, shared by the journeys: sign up, log in, read an email, turn on
two-factor, add a security key, confirm it is them, choose, drop and upload a CV."""

import base64
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from testkit.people import PASSWORD, unique_email
from testkit.sites import Site
from testkit.smtp import SMTPSink
from testkit.totp import AuthenticatorApp


@dataclass
class Account:
    email: str
    password: str


def plain_text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def link_in(message: EmailMessage, path_part: str) -> str:
    match = re.search(rf"https?://\S*{re.escape(path_part)}\S*", plain_text(message))
    assert match, f"No link containing {path_part!r} in:\n{plain_text(message)}"
    return match.group(0)


def login_code_in(message: EmailMessage) -> str:
    """The code of a "Log-in code" email (allauth's format: ``XXXX-XXXX``)."""
    match = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", plain_text(message), re.M)
    assert match, f"No sign-in code in:\n{plain_text(message)}"
    return match.group(1)


def navbar(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def fill_signup_form(page: Page, site_url: str, email: str, password: str) -> None:
    page.goto(f"{site_url}/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password (again)").fill(password)


def sign_up(page: Page, site_url: str, smtp: SMTPSink, email: str | None = None) -> Account:
    """Sign up through the form, confirm from the emailed link, and end up logged in."""
    account = Account(email=email or unique_email(), password=PASSWORD)
    fill_signup_form(page, site_url, account.email, account.password)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()
    confirm_link = link_in(smtp.wait_for(account.email, "confirm"), "/accounts/confirm-email/")
    page.goto(confirm_link)
    page.get_by_role("button", name="Confirm").click()
    expect(navbar(page).get_by_role("link", name="Profile")).to_be_visible()
    return account


def log_in(page: Page, site_url: str, email: str, password: str) -> None:
    page.goto(f"{site_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def log_out(page: Page) -> None:
    navbar(page).get_by_role("button", name="Log out").click()
    expect(navbar(page).get_by_role("link", name="Log in")).to_be_visible()


# --- Two-factor, passkeys and confirming it is you ----------------------------------------------------


class VirtualAuthenticator:
    """A security key in Chromium itself (DevTools' WebAuthn domain): it answers the page's WebAuthn requests with
    real signatures, at once, as a key that is touched (and, with ``user_verification``, unlocked by PIN or
    fingerprint) would. ``resident_keys`` makes it a passkey holder (it keeps discoverable credentials)."""

    def __init__(self, page: Page, *, resident_keys: bool = True, user_verification: bool = True) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable")
        options = {
            "protocol": "ctap2",
            "transport": "internal" if resident_keys else "usb",
            "hasResidentKey": resident_keys,
            "hasUserVerification": user_verification,
            "isUserVerified": user_verification,
            "automaticPresenceSimulation": True,
        }
        self.id = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"]

    def credentials(self) -> list[dict]:
        """What the key holds: ``credentialId``, ``isResidentCredential``, ``rpId``, ``userHandle``, ``signCount``."""
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]

    def refuse_user_verification(self) -> None:
        """From now on the PIN or fingerprint check fails, as when the person cancels it."""
        self.cdp.send("WebAuthn.setUserVerified", {"authenticatorId": self.id, "isUserVerified": False})


def confirm_with_password(page: Page, password: str) -> None:
    """On allauth's "Confirm it's you" page (reached by redirect), confirm with the password."""
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Confirm").click()


def confirm_with_code(page: Page, code: str) -> None:
    """On the "Confirm it's you" page, switch to the authenticator app (or a recovery code) and confirm with it."""
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    page.get_by_role("link", name="Use your authenticator app or a recovery code").click()
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Confirm").click()


USE_A_KEY = re.compile("Use a (passkey|security key)")


def confirm_with_security_key(page: Page) -> None:
    """On the "Confirm it's you" page, switch to a passkey or security key and touch it (the virtual authenticator
    answers)."""
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    page.get_by_role("link", name=USE_A_KEY).click()
    expect(page.get_by_role("button", name=USE_A_KEY)).to_be_visible()
    page.wait_for_load_state()  # allauth's script gives the button its work once the page has loaded
    page.get_by_role("button", name=USE_A_KEY).click()


def open_two_factor_page(page: Page, site_url: str) -> None:
    page.goto(f"{site_url}/profile/")
    page.get_by_role("link", name="Two-factor authentication and passkeys").click()
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()


def activate_authenticator_app(page: Page) -> AuthenticatorApp:
    """On the "Activate Authenticator App" page: scan the secret into an app, type its code; return the app.

    Activating checks the code without using it up (allauth marks only the codes that log in or confirm), so the
    app may give the same code again: a journey can still take two codes in a row after this one."""
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    app = AuthenticatorApp(page.get_by_label("Authenticator secret").input_value())
    page.get_by_label("Authenticator code").fill(app.code(spent=False))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", name="Recovery codes", exact=True)).to_be_visible()
    return app


def recovery_codes(page: Page) -> list[str]:
    """The unused recovery codes, as the recovery codes page lists them."""
    return page.get_by_role("list", name="Unused codes").get_by_role("listitem").all_inner_texts()


def add_passkey(page: Page) -> str:
    """On the "Add a passkey" page: keep the name offered (the device's), add it, and return the name."""
    expect(page.get_by_role("heading", name="Add a passkey")).to_be_visible()
    name = page.get_by_label("Name").input_value()
    page.wait_for_load_state()  # allauth's script gives the button its work once the page has loaded
    page.get_by_role("button", name="Add passkey").click()
    expect(page.get_by_text("Passkey added.")).to_be_visible()
    return name


def add_security_key(page: Page) -> str:
    """On the "Add a security key" page: keep the name offered (the device's), add it, and return the name."""
    expect(page.get_by_role("heading", name="Add a security key")).to_be_visible()
    name = page.get_by_label("Name").input_value()
    page.wait_for_load_state()  # allauth's script gives the button its work once the page has loaded
    page.get_by_role("button", name="Add security key").click()
    expect(page.get_by_text("Security key added.")).to_be_visible()
    return name


def activity_rows(page: Page) -> list[list[str]]:
    """The security activity page's list as text: [what happened, when, browser, place] per item, as shown."""
    items = page.get_by_role("list", name="Your security activity, newest first").locator(":scope > li").all()
    return [
        [item.locator("p").inner_text().strip(), *[fact.inner_text().strip() for fact in item.locator("ul > li").all()]]
        for item in items
    ]


def upload_cv(page: Page, site_url: str, name: str, content: bytes) -> None:
    """Upload a CV (an ODT) from the profile's edit page, and see it listed."""
    page.goto(f"{site_url}/profile/edit/")
    page.get_by_label("CV", exact=True).set_input_files(
        files=[{"name": name, "mimeType": "application/vnd.oasis.opendocument.text", "buffer": content}]
    )
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("link", name=name)).to_be_visible()


# --- The CV upload (static/js/cv-upload.js) ---------------------------------------------------------


DROP_HINT = "Drag and drop your CV here, or choose a file."


def choose_cv(page: Page, name: str, content: bytes, mime_type: str = "application/pdf") -> None:
    """Choose a file for the CV field with the file picker."""
    file = {"name": name, "mimeType": mime_type, "buffer": content}
    page.get_by_label("CV", exact=True).set_input_files(files=[file])


def drop_cv(page: Page, name: str, content: bytes, mime_type: str = "application/pdf") -> None:
    """Drag a file from the desktop onto the CV field's drop zone and let go."""
    drop_files(page, [(name, content, mime_type)])


def drop_files(page: Page, files: list[tuple[str, bytes, str]]) -> None:
    """Drag files (name, content, type) onto the CV field's drop zone and let go, as Chromium delivers them: drag
    events whose DataTransfer holds the files."""
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer()
            for (const [name, type, encoded] of files) {
                const bytes = Uint8Array.from(atob(encoded), (character) => character.charCodeAt(0))
                transfer.items.add(new File([bytes], name, { type }))
            }
            return transfer
        }""",
        [[name, mime_type, base64.b64encode(content).decode("ascii")] for name, content, mime_type in files],
    )
    target = page.get_by_text(DROP_HINT)
    for event in ("dragenter", "dragover", "drop"):
        target.dispatch_event(event, {"dataTransfer": transfer})


def cv_refusal(page: Page) -> Locator:
    """What the page says next to the CV field when it refuses a file before sending it."""
    return page.locator("#div_id_cv").get_by_role("alert")


def cv_upload_status(page: Page) -> Locator:
    """The CV field's status line (chosen, uploading, cancelled), announced to screen readers as it changes."""
    return page.locator("#div_id_cv").get_by_role("status")


def upload_progress_bar(page: Page) -> Locator:
    return page.get_by_role("progressbar", name="Upload progress", include_hidden=True)


def record_upload_progress(page: Page) -> None:
    """From now on, note every value the upload's progress bar takes: (aria-valuenow, the percentage shown)."""
    upload_progress_bar(page).evaluate(
        """(bar) => {
            const shown = bar.parentElement.querySelector('[data-cv-percent]')
            window.progressSeen = []
            new MutationObserver(() => {
                window.progressSeen.push([Number(bar.getAttribute('aria-valuenow')), shown.textContent])
            }).observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] })
        }"""
    )


def upload_progress_seen(page: Page) -> list[tuple[int, str]]:
    return [tuple(value) for value in page.evaluate("window.progressSeen")]


def throttle_uploads(page: Page, bytes_per_second: int) -> None:
    """Make the browser's network send at most ``bytes_per_second`` (DevTools' network throttling), like a slow line."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": bytes_per_second},
    )


def watch_csp_violations(page: Page) -> list[str]:
    """Collect, from the next page load on, every Content-Security-Policy violation the page reports."""
    seen: list[str] = []
    page.expose_function("reportCspViolation", lambda violation: seen.append(violation))
    page.add_init_script(
        """document.addEventListener('securitypolicyviolation', (event) => {
            const where = `${event.sourceFile}:${event.lineNumber}`
            window.reportCspViolation(`${event.violatedDirective} ${event.blockedURI} at ${where}`)
        })"""
    )
    return seen


def download_cv(page: Page, site: Site, link_name: str) -> tuple[str, bytes]:
    """Download the CV through its link on the profile page: the name the browser saves it under, and its bytes."""
    page.goto(f"{site.url}/profile/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=link_name).click()
    download = download_info.value
    return download.suggested_filename, Path(download.path()).read_bytes()
