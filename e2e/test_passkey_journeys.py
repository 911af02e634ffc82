"""Security keys and passkeys in Chromium, with its virtual authenticator, on the site served at localhost (WebAuthn
refuses an IP address): add a passkey, log in with it alone, confirm sensitive actions with it, use a plain
security key as a second factor, and see why a key failed."""

import pytest
from playwright.sync_api import Page, expect

from e2e.steps import (
    VirtualAuthenticator,
    add_passkey,
    add_security_key,
    confirm_with_password,
    confirm_with_security_key,
    link_in,
    log_in,
    log_out,
    navbar,
    open_two_factor_page,
    plain_text,
    sign_up,
)
from testkit.people import unique_email
from testkit.sites import Site
from testkit.smtp import SMTPSink


@pytest.fixture
def site(localhost_site: Site) -> Site:
    return localhost_site


def add_key_from_the_profile(page: Page, site: Site, password: str, *, passkey: bool) -> str:
    """Add a passkey (or a security key) from the two-factor page, and return the name it was given."""
    open_two_factor_page(page, site.url)
    page.get_by_role("link", name="Add a passkey" if passkey else "Add a security key").click()
    confirm_with_password(page, password)  # a fresh log-in is not a confirmation
    return add_passkey(page) if passkey else add_security_key(page)


def log_in_with_passkey(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/accounts/login/")
    page.get_by_role("button", name="Log in with a passkey").click()
    expect(navbar(page).get_by_role("link", name="Profile")).to_be_visible()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()


def test_a_passkey_logs_the_person_in_with_no_email_and_no_password(page: Page, site: Site, smtp: SMTPSink) -> None:
    authenticator = VirtualAuthenticator(page)
    account = sign_up(page, site.url, smtp)

    name = add_key_from_the_profile(page, site, account.password, passkey=True)

    # Named after the device it is added from: the browser and its system, as security/browsers.py names them.
    assert name.startswith(("Chrome on", "Headless Chrome on", "Chromium on")), name
    [credential] = authenticator.credentials()
    assert credential["isResidentCredential"] and credential["rpId"] == "localhost"
    # The first key comes with recovery codes, in case it is lost.
    expect(page.get_by_role("heading", name="Recovery codes", exact=True)).to_be_visible()
    added = smtp.wait_for(account.email, "Passkey added")
    assert f"{site.url}/accounts/2fa/" in plain_text(added)
    assert f"A passkey, “{name}”, was added to your account" in plain_text(added)
    # Listed among the passkeys, not the security keys.
    open_two_factor_page(page, site.url)
    expect(page.get_by_role("list", name="Your passkeys").get_by_role("listitem")).to_have_count(1)
    expect(page.get_by_role("list", name="Your passkeys")).to_contain_text(name)
    expect(page.get_by_role("list", name="Your security keys")).to_have_count(0)

    log_out(page)
    log_in_with_passkey(page, site)

    expect(page.get_by_text(account.email, exact=True)).to_be_visible()
    assert authenticator.credentials()[0]["signCount"] >= 2


def test_a_passkey_confirms_the_export_and_an_email_change(page: Page, site: Site, smtp: SMTPSink) -> None:
    VirtualAuthenticator(page)
    account = sign_up(page, site.url, smtp)
    add_key_from_the_profile(page, site, account.password, passkey=True)
    log_out(page)
    log_in_with_passkey(page, site)

    # The export: the person confirms with the key they logged in with.
    page.get_by_role("link", name="Export your data").click()
    with page.expect_download() as download:
        confirm_with_security_key(page)
    assert download.value.suggested_filename.startswith("my-data-")

    # A new session, an email change: confirmed with the key again, then verified by link.
    log_out(page)
    log_in_with_passkey(page, site)
    new_email = unique_email("moved")
    page.goto(f"{site.url}/accounts/email/")
    page.get_by_label("New email address").fill(new_email)
    page.get_by_role("button", name="Change Email").click()
    confirm_with_security_key(page)
    expect(page.get_by_label("Changing to")).to_have_value(new_email)
    page.goto(link_in(smtp.wait_for(new_email, "Confirm your email address"), "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    page.goto(f"{site.url}/profile/")
    expect(page.get_by_text(new_email, exact=True)).to_be_visible()


def test_a_security_key_is_a_second_factor_after_the_password(page: Page, site: Site, smtp: SMTPSink) -> None:
    authenticator = VirtualAuthenticator(page, resident_keys=False)
    account = sign_up(page, site.url, smtp)
    add_key_from_the_profile(page, site, account.password, passkey=False)
    assert [credential["isResidentCredential"] for credential in authenticator.credentials()] == [False]
    log_out(page)

    log_in(page, site.url, account.email, account.password)
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    expect(navbar(page).get_by_role("link", name="Profile")).to_have_count(0)
    # The account's second step is its key alone: asked for first, and called what it is; a recovery code below.
    expect(page.get_by_label("Code")).to_have_accessible_description("One of your recovery codes.")
    page.wait_for_load_state()  # allauth's script gives the button its work once the page has loaded
    page.get_by_role("button", name="Use a security key").click()

    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()


def test_a_passkey_is_renamed_and_removed_by_its_name_and_the_removal_is_confirmed_by_email(
    page: Page, site: Site, smtp: SMTPSink
) -> None:
    VirtualAuthenticator(page)
    account = sign_up(page, site.url, smtp)
    name = add_key_from_the_profile(page, site, account.password, passkey=True)

    open_two_factor_page(page, site.url)
    page.get_by_role("link", name=f"Rename {name}").click()
    expect(page.get_by_role("heading", name="Rename a passkey")).to_be_visible()
    page.get_by_label("Name").fill("Work laptop")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("list", name="Your passkeys")).to_contain_text("Work laptop")

    # The confirmation names the key, and Cancel leads back with the key still there.
    page.get_by_role("link", name="Remove Work laptop").click()
    expect(page.get_by_role("heading", name="Remove the passkey “Work laptop”?")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("list", name="Your passkeys")).to_contain_text("Work laptop")
    page.get_by_role("link", name="Remove Work laptop").click()
    page.get_by_role("button", name="Remove").click()

    expect(page.get_by_text("Passkey removed.")).to_be_visible()
    removed = smtp.wait_for(account.email, "Passkey removed")
    assert f"{site.url}/accounts/2fa/" in plain_text(removed)
    assert "The passkey “Work laptop” was removed from your account" in plain_text(removed)


def test_a_security_key_is_listed_apart_from_passkeys_and_called_a_security_key(
    page: Page, site: Site, smtp: SMTPSink
) -> None:
    VirtualAuthenticator(page, resident_keys=False)
    account = sign_up(page, site.url, smtp)
    name = add_key_from_the_profile(page, site, account.password, passkey=False)

    added = smtp.wait_for(account.email, "Security key added")
    assert f"A security key, “{name}”, was added to your account." in plain_text(added)
    open_two_factor_page(page, site.url)
    expect(page.get_by_role("list", name="Your security keys")).to_contain_text(name)
    expect(page.get_by_role("list", name="Your passkeys")).to_have_count(0)
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()

    page.get_by_role("link", name=f"Remove {name}").click()
    expect(page.get_by_role("heading", name=f"Remove the security key “{name}”?")).to_be_visible()
    page.get_by_role("button", name="Remove").click()

    expect(page.get_by_text("Security key removed.")).to_be_visible()
    removed = smtp.wait_for(account.email, "Security key removed")
    assert f"The security key “{name}” was removed from your account." in plain_text(removed)


def test_a_key_that_fails_tells_the_person_why(page: Page, site: Site, smtp: SMTPSink) -> None:
    authenticator = VirtualAuthenticator(page)
    account = sign_up(page, site.url, smtp)
    add_key_from_the_profile(page, site, account.password, passkey=True)
    log_out(page)
    authenticator.refuse_user_verification()

    page.goto(f"{site.url}/accounts/login/")
    page.get_by_role("button", name="Log in with a passkey").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Your passkey or security key did not answer, or the request was cancelled."
    )
    expect(navbar(page).get_by_role("link", name="Log in")).to_be_visible()
