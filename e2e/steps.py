"""What a person does in the browser, step by step, shared by the journeys: sign up, log in, read an email."""

import re
from dataclasses import dataclass
from email.message import EmailMessage

from playwright.sync_api import Locator, Page, expect

from testkit.people import PASSWORD, unique_email
from testkit.smtp import SMTPSink


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
    page.get_by_role("button", name="Sign In", exact=True).click()


def log_out(page: Page) -> None:
    navbar(page).get_by_role("button", name="Log out").click()
    expect(navbar(page).get_by_role("link", name="Log in")).to_be_visible()


def confirm_password(page: Page, password: str) -> None:
    """On allauth's reauthentication page (a sensitive page sent the person there): type the password, confirm."""
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Confirm").click()


def activity_rows(page: Page) -> list[list[str]]:
    """The security activity page's table as text: [when, what happened, browser, IP address] per row."""
    return [
        [cell.inner_text().strip() for cell in row.get_by_role("cell").all()]
        for row in page.get_by_role("table").get_by_role("row").all()[1:]
    ]


def upload_cv(page: Page, site_url: str, name: str, content: bytes) -> None:
    """Upload a CV (an ODT) from the profile's edit page, and see it listed."""
    page.goto(f"{site_url}/profile/edit/")
    page.get_by_label("CV", exact=True).set_input_files(
        files=[{"name": name, "mimeType": "application/vnd.oasis.opendocument.text", "buffer": content}]
    )
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("link", name=name)).to_be_visible()
