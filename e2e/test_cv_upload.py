"""The CV upload in the browser: drop or pick a file, see it refused before it is sent (in the server's words), watch
its progress, cancel it; and the plain form for a browser without JavaScript."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.scanning import blocking_violations, describe
from e2e.steps import (
    DROP_HINT,
    Account,
    choose_cv,
    cv_refusal,
    cv_upload_status,
    download_cv,
    drop_cv,
    drop_files,
    log_in,
    record_upload_progress,
    throttle_uploads,
    upload_progress_bar,
    upload_progress_seen,
    watch_csp_violations,
)
from testkit import cv_files
from testkit.files import stored_files
from testkit.forms import field_error
from testkit.http import Browser as RawBrowser
from testkit.logs import log_lines
from testkit.polling import wait_until
from testkit.sites import Site, query

LIMIT = 5 * 1024 * 1024  # the site's CV_MAX_UPLOAD_BYTES: the default
# Big enough that a throttled line takes seconds over it, small enough to be a CV.
FEW_MEGABYTES = 3 * 1024 * 1024
SLOW_LINE = 512 * 1024  # bytes per second


def sizeable_pdf(size: int) -> bytes:
    """A real PDF of ``size`` bytes (trailing white space is still a PDF)."""
    return cv_files.make_pdf().ljust(size, b" ")


def posts_to_the_edit_page(site: Site) -> int:
    """How many POSTs to /profile/edit/ the server has answered, from its access log."""
    return sum(
        1
        for line in log_lines(site.log_text())
        if line.get("event") == "request" and line["method"] == "POST" and line["path"] == "/profile/edit/"
    )


def save(page: Page) -> None:
    page.get_by_role("button", name="Save profile").click()


def test_a_dropped_pdf_is_uploaded_and_downloads_byte_for_byte(page: Page, site: Site, signed_up) -> None:
    signed_up()
    csp_violations = watch_csp_violations(page)
    console_errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    page.goto(f"{site.url}/profile/edit/")
    expect(page.get_by_text(DROP_HINT)).to_be_visible()

    drop_files(page, [("One.pdf", cv_files.make_pdf(), "application/pdf"), ("Two.odt", cv_files.make_odt(), "")])
    expect(cv_refusal(page)).to_have_text("Drop one file only.")
    drop_cv(page, "Dropped CV.pdf", cv_files.make_pdf())
    expect(cv_refusal(page)).to_be_hidden()
    expect(cv_upload_status(page)).to_have_text("Chosen: Dropped CV.pdf")
    save(page)

    expect(page.get_by_text("Your profile was saved.")).to_be_visible()
    expect(page.get_by_role("link", name="Dropped CV.pdf")).to_be_visible()
    assert page.url == f"{site.url}/profile/"  # where the server's redirect leads, as the plain form goes
    expect(page).to_have_title(re.compile(r"^Your profile "))
    # Back goes to the edit page, loaded afresh, as after the plain form's redirect.
    page.go_back()
    expect(page.get_by_role("heading", name="Edit your profile")).to_be_visible()
    expect(page.get_by_text("Current CV: Dropped CV.pdf")).to_be_visible()
    assert download_cv(page, site, "Dropped CV.pdf") == ("Dropped CV.pdf", cv_files.make_pdf())
    assert csp_violations == [] and console_errors == []


def test_a_slow_upload_shows_its_progress_up_to_100_percent(page: Page, site: Site, signed_up) -> None:
    signed_up()
    csp_violations = watch_csp_violations(page)
    page.goto(f"{site.url}/profile/edit/")
    throttle_uploads(page, SLOW_LINE)
    record_upload_progress(page)
    data = sizeable_pdf(FEW_MEGABYTES)

    choose_cv(page, "Long CV.pdf", data)
    expect(cv_upload_status(page)).to_have_text("Chosen: Long CV.pdf")
    save(page)
    expect(upload_progress_bar(page)).to_be_visible()
    expect(cv_upload_status(page)).to_have_text("Uploading Long CV.pdf…")
    assert not (violations := blocking_violations(page)), describe(violations)  # the page as it is mid-upload
    expect(page.get_by_text("Your profile was saved.")).to_be_visible(timeout=30_000)

    seen = upload_progress_seen(page)
    values = [value for value, _ in seen]
    assert values == sorted(values), seen
    assert len(set(values)) >= 4, f"expected several steps on a slow line, saw {seen}"
    assert seen[-1] == (100, "100%")
    assert all(shown == f"{value}%" for value, shown in seen), seen
    assert download_cv(page, site, "Long CV.pdf") == ("Long CV.pdf", data)
    assert csp_violations == []  # the bar's width is set through the CSSOM, which the CSP allows


def test_a_cancelled_upload_keeps_the_old_cv_and_stores_nothing(page: Page, site: Site, signed_up) -> None:
    signed_up()
    page.goto(f"{site.url}/profile/edit/")
    choose_cv(page, "Old CV.pdf", cv_files.make_pdf())
    save(page)
    expect(page.get_by_role("link", name="Old CV.pdf")).to_be_visible()
    stored_before = stored_files(site.media_root)

    page.goto(f"{site.url}/profile/edit/")
    posts_before = posts_to_the_edit_page(site)
    throttle_uploads(page, SLOW_LINE)
    choose_cv(page, "New CV.pdf", sizeable_pdf(FEW_MEGABYTES))
    save(page)
    expect(upload_progress_bar(page)).not_to_have_attribute("aria-valuenow", "0")
    page.get_by_role("button", name="Cancel upload").click()

    expect(cv_upload_status(page)).to_have_text("Upload cancelled. Your CV was not changed.")
    expect(upload_progress_bar(page)).to_be_hidden()
    expect(page.get_by_role("button", name="Save profile")).to_be_enabled()
    # The server has finished with the broken-off request once it has logged it.
    wait_until(lambda: posts_to_the_edit_page(site) > posts_before, "the server logs the broken-off upload")
    assert stored_files(site.media_root) == stored_before
    assert download_cv(page, site, "Old CV.pdf") == ("Old CV.pdf", cv_files.make_pdf())


# A file the browser refuses by itself, and how it is chosen.
REFUSED_BEFORE_SENDING = {
    "too large": ("Huge CV.pdf", sizeable_pdf(LIMIT + 1), "application/pdf"),
    "wrong type": ("cv.exe", cv_files.EXE_BYTES, "application/x-msdownload"),
    "not a PDF inside": ("totally-a-cv.pdf", cv_files.EXE_BYTES, "application/pdf"),
    "empty, of the wrong type": ("empty.exe", b"", "application/x-msdownload"),
}


@pytest.mark.parametrize("how", ["picked", "dropped"])
@pytest.mark.parametrize(("name", "data", "mime_type"), REFUSED_BEFORE_SENDING.values(), ids=REFUSED_BEFORE_SENDING)
def test_a_refused_file_is_never_sent_and_is_refused_in_the_servers_words(
    page: Page, site: Site, signed_up, how: str, name: str, data: bytes, mime_type: str
) -> None:
    account = signed_up()
    page.goto(f"{site.url}/profile/edit/")
    requests_sent: list[str] = []  # a late favicon aside: anything sent, and anything to the profile pages
    page.on(
        "request",
        lambda request: (
            (request.method != "GET" or "/profile/" in request.url)
            and requests_sent.append(f"{request.method} {request.url}")
        ),
    )
    posts_before, stored_before = posts_to_the_edit_page(site), stored_files(site.media_root)

    (choose_cv if how == "picked" else drop_cv)(page, name, data, mime_type)
    expect(cv_refusal(page)).not_to_be_empty()
    save(page)  # the form is not sent while its file is refused
    expect(cv_refusal(page)).not_to_be_empty()
    expect(page.get_by_label("CV", exact=True)).to_be_focused()
    said_by_the_browser = cv_refusal(page).inner_text()

    assert requests_sent == []
    assert posts_to_the_edit_page(site) == posts_before
    assert stored_files(site.media_root) == stored_before
    assert said_by_the_browser == said_by_the_server(site, account, name, data, mime_type)
    assert not (violations := blocking_violations(page)), describe(violations)


def said_by_the_server(site: Site, account: Account, name: str, data: bytes, mime_type: str) -> str:
    """The error the server puts next to the CV field when the same file reaches it (posted without JavaScript)."""
    visitor = RawBrowser(site.url)
    visitor.log_in(account.email, account.password)
    response = visitor.upload_cv(data, filename_parameter=f'filename="{name}"'.encode(), content_type=mime_type)
    assert response.status == 200
    return field_error(response.text, "cv")


def test_a_file_refused_by_the_server_comes_back_with_its_message_next_to_the_field(
    page: Page, site: Site, signed_up
) -> None:
    signed_up()
    page.goto(f"{site.url}/profile/edit/")
    # A ZIP named .docx: only the server looks inside a DOCX.
    choose_cv(page, "Not really.docx", cv_files.make_plain_zip(), "application/octet-stream")
    expect(cv_upload_status(page)).to_have_text("Chosen: Not really.docx")
    save(page)

    expect(page.get_by_text("Your profile was not saved.")).to_be_visible()
    field = page.get_by_label("CV", exact=True)
    expect(field).to_be_focused()
    expect(page.locator("#div_id_cv")).to_contain_text("This file cannot be read as DOCX")
    assert page.url == f"{site.url}/profile/edit/"
    # The page the server answered with is enhanced like the first: a good file can be dropped at once.
    drop_cv(page, "Good CV.pdf", cv_files.make_pdf())
    save(page)
    expect(page.get_by_role("link", name="Good CV.pdf")).to_be_visible()


def test_without_javascript_the_plain_form_uploads_the_cv(browser: Browser, site: Site, signed_up) -> None:
    account = signed_up()
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, site.url, account.email, account.password)
        page.goto(f"{site.url}/profile/edit/")
        expect(page.get_by_text("Drag and drop your CV here")).to_be_hidden()
        choose_cv(page, "Plain CV.pdf", cv_files.make_pdf())
        with page.expect_navigation():
            save(page)
        expect(page.get_by_text("Your profile was saved.")).to_be_visible()
        assert download_cv(page, site, "Plain CV.pdf") == ("Plain CV.pdf", cv_files.make_pdf())
    finally:
        context.close()


def test_an_upload_whose_session_ended_meanwhile_lands_on_the_log_in_page_as_a_page_of_its_own(
    page: Page, site: Site, signed_up
) -> None:
    signed_up()
    page.goto(f"{site.url}/profile/edit/")
    choose_cv(page, "Late CV.pdf", cv_files.make_pdf())
    query(site.env["DATABASE_URL"], "DELETE FROM django_session")  # logged out everywhere, from another device
    save(page)

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/profile/edit/$"))
    # The log-in page's own header and scripts, not its <main> inside the signed-in page's header.
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    expect(page.get_by_role("button", name="Log in with a passkey")).to_be_visible()
    # The footer's language switch comes back to the page shown.
    assert page.locator('footer input[name="next"]').input_value() == "/accounts/login/?next=/profile/edit/"
