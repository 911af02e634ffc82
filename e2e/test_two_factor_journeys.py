"""Two-factor with an authenticator app, and log-in by emailed code, in Chromium: turn the app on from the QR code's
secret, log in with password and code, use a recovery code once, confirm sensitive actions with a code, and read
the notices the mail server receives."""

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from e2e.steps import (
    Account,
    activate_authenticator_app,
    confirm_with_code,
    confirm_with_password,
    link_in,
    log_in,
    log_out,
    login_code_in,
    navbar,
    open_two_factor_page,
    plain_text,
    recovery_codes,
)
from testkit.people import unique_email
from testkit.sites import Site
from testkit.smtp import SMTPSink
from testkit.totp import AuthenticatorApp

PRIMARY_FILL = "rgb(13, 110, 253)"  # Bootstrap's solid primary button


def turn_on_the_authenticator_app(page: Page, site: Site, account: Account) -> AuthenticatorApp:
    open_two_factor_page(page, site.url)
    page.get_by_role("link", name="Activate").click()
    confirm_with_password(page, account.password)  # a fresh log-in is not a confirmation
    return activate_authenticator_app(page)


def log_in_with_second_factor(page: Page, site: Site, account: Account, code: str) -> None:
    log_in(page, site.url, account.email, account.password)
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Log in", exact=True).click()


def test_the_authenticator_app_guards_the_log_in_and_a_recovery_code_works_once(
    page: Page, site: Site, smtp: SMTPSink, signed_up
) -> None:
    account = signed_up()
    open_two_factor_page(page, site.url)
    page.get_by_role("link", name="Activate").click()
    confirm_with_password(page, account.password)
    qr_code = page.get_by_role("img", name="QR code to scan with your authenticator app")
    expect(qr_code).to_be_visible()
    assert qr_code.evaluate("image => image.complete && image.naturalWidth > 0"), "the QR code did not load"
    secret = page.get_by_label("Authenticator secret").input_value()
    assert secret not in (qr_code.get_attribute("alt") or "")
    app = activate_authenticator_app(page)
    codes = recovery_codes(page)
    assert len(codes) == 10
    activated = smtp.wait_for(account.email, "Authenticator App Activated")
    assert f"{site.url}/accounts/2fa/" in plain_text(activated)

    # The password alone no longer lets anyone in; with the app's code it does.
    log_out(page)
    log_in(page, site.url, account.email, account.password)
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    expect(navbar(page).get_by_role("link", name="Profile")).to_have_count(0)
    # It says a recovery code works there too, offers no key to an account that has none, and has one solid
    # button: "Log in". Cancel is outlined.
    expect(page.get_by_label("Code")).to_have_accessible_description(
        "The 6-digit code from your authenticator app, or one of your recovery codes."
    )
    expect(page.get_by_role("button", name=re.compile("passkey|security key", re.IGNORECASE))).to_have_count(0)
    expect(page.get_by_role("button", name="Log in", exact=True)).to_have_css("background-color", PRIMARY_FILL)
    expect(page.get_by_role("button", name="Cancel")).to_have_css("background-color", "rgba(0, 0, 0, 0)")
    page.get_by_label("Code").fill(app.code())
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()

    # A recovery code instead of the app: it works once.
    log_out(page)
    log_in_with_second_factor(page, site, account, codes[0])
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    log_out(page)
    log_in_with_second_factor(page, site, account, codes[0])
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    expect(navbar(page).get_by_role("link", name="Profile")).to_have_count(0)


def test_two_factor_changes_are_confirmed_by_email(page: Page, site: Site, smtp: SMTPSink, signed_up) -> None:
    account = signed_up()
    turn_on_the_authenticator_app(page, site, account)
    smtp.wait_for(account.email, "Authenticator App Activated")

    # New recovery codes (still within the five minutes the confirmation lasts).
    open_two_factor_page(page, site.url)
    page.get_by_role("link", name="Generate").click()
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_label("Unused codes")).to_be_visible()
    regenerated = smtp.wait_for(account.email, "New Recovery Codes Generated")
    assert f"{site.url}/accounts/2fa/" in plain_text(regenerated)

    open_two_factor_page(page, site.url)
    page.get_by_role("link", name="Deactivate").click()
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_text("Authenticator app deactivated.")).to_be_visible()
    deactivated = smtp.wait_for(account.email, "Authenticator App Deactivated")
    assert f"{site.url}/accounts/2fa/" in plain_text(deactivated)
    log_out(page)
    log_in(page, site.url, account.email, account.password)
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()


def test_an_authenticator_code_confirms_the_export_and_an_email_change(
    page: Page, site: Site, smtp: SMTPSink, signed_up
) -> None:
    account = signed_up()
    app = turn_on_the_authenticator_app(page, site, account)
    codes = recovery_codes(page)
    log_out(page)
    log_in_with_second_factor(page, site, account, codes[0])

    # Logged in a moment ago, yet the export asks first; the app's code confirms it. (The log-ins take recovery
    # codes: with the export and the email change, the app gives the two codes it can give in a row.)
    page.get_by_role("link", name="Export your data").click()
    with page.expect_download() as download:
        confirm_with_code(page, app.code())
    assert download.value.suggested_filename.startswith("my-data-")
    expect(page.get_by_role("heading", name="Your download has started")).to_be_visible()

    # Another session, an email change: confirmed with the app, then verified by link.
    log_out(page)
    log_in_with_second_factor(page, site, account, codes[1])
    new_email = unique_email("moved")
    page.goto(f"{site.url}/accounts/email/")
    page.get_by_label("New email address").fill(new_email)
    page.get_by_role("button", name="Change Email").click()
    confirm_with_code(page, app.code())
    expect(page.get_by_label("Changing to")).to_have_value(new_email)
    page.goto(link_in(smtp.wait_for(new_email, "Confirm your email address"), "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    page.goto(f"{site.url}/profile/")
    expect(page.get_by_text(new_email, exact=True)).to_be_visible()


def test_log_in_by_a_code_from_the_mail(page: Page, site: Site, smtp: SMTPSink, signed_up) -> None:
    account = signed_up()
    log_out(page)

    page.goto(f"{site.url}/accounts/login/")
    page.get_by_role("link", name="Email me a log-in code").click()
    page.get_by_label("Email").fill(account.email)
    page.get_by_role("button", name="Request Code").click()
    expect(page.get_by_role("heading", name="Enter log-in code")).to_be_visible()
    page.get_by_label("Code").fill(login_code_in(smtp.wait_for(account.email, "Log-in code")))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()


def test_recovery_codes_are_copied_printed_and_downloaded(page: Page, site: Site, smtp: SMTPSink, signed_up) -> None:
    account = signed_up()
    turn_on_the_authenticator_app(page, site, account)
    expect(page.get_by_text("Store these codes now, somewhere safe")).to_be_visible()
    expect(page.get_by_text("new set", exact=False)).to_have_count(0)  # the first codes are no news of new ones
    codes = recovery_codes(page)
    assert len(codes) == 10

    # Copy: the codes on the clipboard, one a line, and the page says so.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("The codes are copied to the clipboard.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == "\n".join(codes) + "\n"

    # Download: allauth's text file, the same codes.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    assert Path(download.value.path()).read_text().split() == codes

    # Print: the browser's print dialog, and on paper the sheet of codes alone, with whose codes they are.
    page.evaluate("window.print = () => { window.printed = true }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.printed") is True
    page.emulate_media(media="print")
    printed = page.evaluate(PRINTED_TEXT)
    assert printed == [
        f"Vitae recovery codes for {account.email}",
        *codes,
        "10 of 10 codes are unused. Each code works once.",
    ]
    page.emulate_media(media="screen")
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("heading", name="Two-factor authentication and passkeys")).to_be_visible()


# Every piece of text a printer would put on paper: text whose element is shown (display and visibility) as printed.
PRINTED_TEXT = """() => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
    const seen = []
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent.trim().replace(/\\s+/g, ' ')
        if (text && node.parentElement.checkVisibility({ visibilityProperty: true })) seen.push(text)
    }
    return seen
}"""
