"""Two people, one address: what someone adds to their account, unverified, never blocks or reaches its owner."""

from playwright.sync_api import Browser, Page, expect

from e2e.steps import confirm_with_password, fill_signup_form, link_in, log_in, log_out, navbar, plain_text
from testkit.people import PASSWORD, unique_email
from testkit.sites import Site
from testkit.smtp import SMTPSink

NEW_PASSWORD = "another long e2e password 43"


def test_a_stranger_signs_up_with_the_address_someone_else_added(
    page: Page, browser: Browser, site: Site, smtp: SMTPSink, signed_up
) -> None:
    requester = signed_up()
    stranger_email = unique_email("stranger")

    # The requester adds the stranger's address to their own account and leaves it unverified.
    page.goto(f"{site.url}/accounts/email/")
    page.get_by_label("New email address").fill(stranger_email)
    page.get_by_role("button", name="Change Email").click()
    confirm_with_password(page, requester.password)
    expect(page.get_by_label("Changing to")).to_have_value(stranger_email)
    requested = smtp.wait_for(stranger_email, "Confirm your email address")
    assert requester.email not in requested["Subject"] + plain_text(requested)

    # The stranger, in a browser of their own, signs up with their address, verifies it and is let in.
    context = browser.new_context()
    try:
        stranger = context.new_page()
        stranger.set_default_timeout(10_000)
        fill_signup_form(stranger, site.url, stranger_email, PASSWORD)
        stranger.get_by_role("button", name="Sign up").click()
        expect(stranger.get_by_role("heading", name="Verify your email address")).to_be_visible()
        site.wait_for_tasks()
        confirmations = [m for m in smtp.to(stranger_email) if "confirm" in m["Subject"].lower()]
        assert len(confirmations) == 2, [m["Subject"] for m in smtp.to(stranger_email)]
        stranger.goto(link_in(confirmations[-1], "/accounts/confirm-email/"))
        expect(stranger.get_by_text(requester.email)).to_have_count(0)
        stranger.get_by_role("button", name="Confirm").click()
        expect(navbar(stranger).get_by_role("link", name="Profile")).to_be_visible()
        stranger.goto(f"{site.url}/profile/")
        expect(stranger.get_by_text(stranger_email)).to_be_visible()

        # The requester's pending copy is gone.
        page.goto(f"{site.url}/accounts/email/")
        expect(page.get_by_label("Current email")).to_have_value(requester.email)
        expect(page.get_by_label("Changing to")).to_have_count(0)

        # A reset asked for the stranger's address resets the stranger's account, and only theirs.
        log_out(stranger)
        stranger.goto(f"{site.url}/accounts/password/reset/")
        stranger.get_by_label("Email").fill(stranger_email)
        stranger.get_by_role("button", name="Reset my password").click()
        reset = smtp.wait_for(stranger_email, "Password reset")
        stranger.goto(link_in(reset, "/accounts/password/reset/key/"))
        stranger.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        stranger.get_by_label("New password (again)").fill(NEW_PASSWORD)
        stranger.get_by_role("button", name="Change password").click()
        expect(stranger.get_by_text("Your password is now changed.")).to_be_visible()
        log_in(stranger, site.url, stranger_email, NEW_PASSWORD)
        expect(stranger.get_by_role("heading", name="Your profile")).to_be_visible()
    finally:
        context.close()

    site.wait_for_tasks()
    assert [m for m in smtp.to(requester.email) if "reset" in m["Subject"].lower()] == []
    log_out(page)
    log_in(page, site.url, requester.email, requester.password)
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
