"""Watching one's account: the security activity page after a day's sign-ins, the sessions page with a browser logged
out from it, both as they fit a phone, and the email a sign-in from a new browser sends."""

import re

from playwright.sync_api import Browser, Page, expect

from e2e.steps import activity_rows, log_in, log_out, navbar, plain_text, sign_up
from testkit.sites import Site
from testkit.smtp import SMTPSink

NEW_PASSWORD = "a brand new long password 51"
NEW_SIGN_IN = "New log-in"
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile "
    "Safari/537.36"
)


def test_the_activity_page_shows_sign_ins_a_failure_a_password_change_and_sign_outs(
    page: Page, site: Site, signed_up, browser_as_named: str
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
    assert [row[0] for row in rows] == [
        "Logged in with your password",
        "Logged out",
        "Password changed",
        "Logged in with your password",
        "Failed log-in: wrong password",
        "Logged out",
        "Logged in",  # by confirming the address, just after signing up
        "Email address verified",
    ]
    assert {row[2] for row in rows} == {browser_as_named}  # Debian's Chromium
    assert {row[3] for row in rows} == {"IP address 127.0.0.1 (the server's own machine)"}
    assert all(re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d", row[1]) for row in rows), rows
    times = page.locator("ol time").evaluate_all("nodes => nodes.map(node => node.getAttribute('datetime'))")
    assert times == sorted(times, reverse=True) and len(times) == len(rows)

    page.get_by_role("link", name="Not you?").first.click()
    help_section = page.get_by_role("region", name="Something you do not recognise?")
    expect(help_section.get_by_role("link", name="Change your password")).to_be_visible()
    expect(help_section.get_by_role("link", name="Review your sessions")).to_be_visible()


def test_a_sign_in_from_a_new_browser_sends_one_warning(
    page: Page, browser: Browser, site: Site, smtp: SMTPSink, signed_up, browser_as_named: str
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
    assert f"Browser: {browser_as_named}" in body
    assert re.search(r"When: \d{1,2} \w+ \d{4}, \d\d:\d\d \(UTC\)", body)
    assert f"{site.url}/accounts/sessions/" in body and f"{site.url}/accounts/password/change/" in body
    site.wait_for_tasks()
    assert len([m for m in smtp.to(account.email) if NEW_SIGN_IN in m["Subject"]]) == 1


def fits_a_phone(page: Page) -> None:
    """At 390 px nothing scrolls sideways, and every item of the page's list is inside the screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    boxes = page.locator("main li").evaluate_all("nodes => nodes.map(node => node.getBoundingClientRect().right)")
    assert boxes and max(boxes) <= 390, boxes


def test_on_a_phone_sessions_and_activity_stack_without_sideways_scrolling(
    browser: Browser, site: Site, smtp: SMTPSink
) -> None:
    phone = browser.new_context()
    try:
        page = phone.new_page()
        account = sign_up(page, site.url, smtp)
        log_out(page)
        log_in(page, site.url, account.email, "not my password at all")
        log_in(page, site.url, account.email, account.password)
        page.set_viewport_size({"width": 390, "height": 844})
        for path in ("/accounts/sessions/", "/accounts/activity/"):
            page.goto(f"{site.url}{path}")
            fits_a_phone(page)
        page.goto(f"{site.url}/accounts/sessions/")
        badge = page.get_by_text("This browser", exact=True)
        expect(badge).to_be_visible()
        box = badge.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390
    finally:
        phone.close()


def test_a_person_logs_out_another_browser_from_the_sessions_list(
    page: Page, browser: Browser, site: Site, signed_up, browser_as_named: str
) -> None:
    account = signed_up()
    other = browser.new_context(user_agent=ANDROID_CHROME)
    try:
        phone = other.new_page()
        log_in(phone, site.url, account.email, account.password)
        expect(navbar(phone).get_by_role("link", name="Profile")).to_be_visible()

        page.goto(f"{site.url}/accounts/sessions/")
        sessions = page.get_by_role("list", name="Your sessions").locator(":scope > li")
        expect(sessions).to_have_count(2)
        expect(sessions.first).to_contain_text(browser_as_named)
        expect(sessions.first).to_contain_text("This browser")
        phone_item = sessions.filter(has_text="Chrome on Android")
        expect(phone_item).to_contain_text("IP address 127.0.0.1")
        expect(phone_item).to_contain_text("Last active")
        phone_item.get_by_role("button", name="Log out").click()

        expect(page.get_by_text("The session in Chrome on Android was logged out.")).to_be_visible()
        expect(sessions).to_have_count(1)
        expect(page.get_by_role("button", name="Log out other sessions")).to_have_count(0)
        phone.goto(f"{site.url}/profile/")
        expect(phone).to_have_url(re.compile(r"/accounts/login/"))
    finally:
        other.close()

    page.goto(f"{site.url}/accounts/activity/")
    assert activity_rows(page)[0][0] == "Logged out other sessions"
