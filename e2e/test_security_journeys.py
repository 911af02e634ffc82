"""Watching one's account: the security activity page after a day's sign-ins, and the email a sign-in from a new
browser sends."""

import re

from playwright.sync_api import Browser, Page, expect

from e2e.steps import activity_rows, log_in, log_out, navbar, plain_text
from testkit.sites import Site
from testkit.smtp import SMTPSink

NEW_PASSWORD = "a brand new long password 51"
NEW_SIGN_IN = "New log-in"


def test_the_activity_page_shows_sign_ins_a_failure_a_password_change_and_sign_outs(
    page: Page, site: Site, signed_up
) -> None:
    account = signed_up()
    log_out(page)
    log_in(page, site.url, account.email, "not my password at all")
    expect(page.get_by_text("The email address and/or password you specified are not correct.")).to_be_visible()
    log_in(page, site.url, account.email, account.password)
    page.goto(f"{site.url}/accounts/password/change/")
    page.get_by_label("Current password").fill(account.password)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    log_out(page)
    log_in(page, site.url, account.email, NEW_PASSWORD)

    page.goto(f"{site.url}/profile/")
    page.get_by_role("link", name="Security activity").click()
    expect(page.get_by_role("heading", name="Security activity")).to_be_visible()

    rows = activity_rows(page)
    assert [row[1] for row in rows] == [
        "Signed in with your password",
        "Signed out",
        "Password changed",
        "Signed in with your password",
        "Failed sign-in: wrong password",
        "Signed out",
        "Signed in",  # by confirming the address, just after signing up
        "Email address verified",
    ]
    assert {row[2] for row in rows} == {"Headless Chrome on Linux"}  # Debian's Chromium, driven headless
    assert {row[3] for row in rows} == {"127.0.0.1"}
    times = page.locator("table time").evaluate_all("nodes => nodes.map(node => node.getAttribute('datetime'))")
    assert times == sorted(times, reverse=True) and len(times) == len(rows)


def test_a_sign_in_from_a_new_browser_sends_one_warning(
    page: Page, browser: Browser, site: Site, smtp: SMTPSink, signed_up
) -> None:
    account = signed_up()  # the account's first browser: no warning for the sign-up's own sign-in
    log_out(page)
    log_in(page, site.url, account.email, account.password)  # the same browser again: known
    expect(navbar(page).get_by_role("link", name="Profile")).to_be_visible()
    site.wait_for_tasks()
    assert [m for m in smtp.to(account.email) if NEW_SIGN_IN in m["Subject"]] == []

    other = browser.new_context()
    try:
        second = other.new_page()
        log_in(second, site.url, account.email, account.password)
        expect(navbar(second).get_by_role("link", name="Profile")).to_be_visible()
        warning = smtp.wait_for(account.email, NEW_SIGN_IN)
        # And from the first browser once more: still known, no second warning.
        log_out(page)
        log_in(page, site.url, account.email, account.password)
        expect(navbar(page).get_by_role("link", name="Profile")).to_be_visible()
    finally:
        other.close()

    body = plain_text(warning)
    assert "Where: IP address 127.0.0.1 (the server's own machine)" in body
    assert "Browser: Headless Chrome on Linux" in body
    assert re.search(r"When: \d{1,2} \w+ \d{4} at \d\d:\d\d UTC", body)
    assert f"{site.url}/accounts/sessions/" in body and f"{site.url}/accounts/password/change/" in body
    site.wait_for_tasks()
    assert len([m for m in smtp.to(account.email) if NEW_SIGN_IN in m["Subject"]]) == 1
