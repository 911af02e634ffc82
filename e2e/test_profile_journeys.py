"""The profile and its CV, as a person uses them: edit names, upload, download, replace, refuse, clear."""

from pathlib import Path

from playwright.sync_api import Page, expect

from e2e.steps import download_cv
from testkit import cv_files
from testkit.polling import wait_until
from testkit.sites import Site


def stored_cvs(site: Site) -> list[Path]:
    folder = site.media_root / "cvs"
    return sorted(folder.iterdir()) if folder.exists() else []


def upload_cv(page: Page, site: Site, name: str, data: bytes, mime_type: str) -> None:
    page.goto(f"{site.url}/profile/edit/")
    page.get_by_label("CV", exact=True).set_input_files(files=[{"name": name, "mimeType": mime_type, "buffer": data}])
    page.get_by_role("button", name="Save profile").click()


def test_profile_and_cv_from_upload_to_removal(page: Page, site: Site, signed_up) -> None:
    account = signed_up()
    files_before = set(stored_cvs(site))

    # Names.
    page.goto(f"{site.url}/profile/edit/")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile was saved.")).to_be_visible()
    expect(page.get_by_text("Ada Lovelace")).to_be_visible()
    expect(page.get_by_text(account.email)).to_be_visible()

    # Upload a PDF: it shows on the profile and downloads byte for byte under its own name.
    upload_cv(page, site, "Ada CV.pdf", cv_files.make_pdf(), "application/pdf")
    expect(page.get_by_text("Your profile was saved.")).to_be_visible()
    expect(page.get_by_role("link", name="Ada CV.pdf")).to_be_visible()
    filename, data = download_cv(page, site, "Ada CV.pdf")
    assert (filename, data) == ("Ada CV.pdf", cv_files.make_pdf())
    [pdf_file] = set(stored_cvs(site)) - files_before
    assert pdf_file.suffix == ".pdf" and "Ada" not in pdf_file.name  # stored under a random name

    # Replace it with a DOCX: the PDF is gone from the media folder.
    upload_cv(page, site, "Ada CV.docx", cv_files.make_docx(), "application/octet-stream")
    expect(page.get_by_role("link", name="Ada CV.docx")).to_be_visible()
    wait_until(lambda: not pdf_file.exists(), "the worker deletes the replaced PDF after the commit")
    [docx_file] = set(stored_cvs(site)) - files_before
    assert docx_file.suffix == ".docx"

    # A disguised executable is refused next to the field (by the browser, before sending it, in the server's words;
    # e2e/test_cv_upload.py compares them); the DOCX stays and still downloads.
    upload_cv(page, site, "totally-a-cv.pdf", cv_files.EXE_BYTES, "application/pdf")
    field_error = page.locator("#id_cv ~ .invalid-feedback, #id_cv + .invalid-feedback, [id^=error_][id$=_id_cv]")
    expect(field_error.first).to_contain_text("cannot be read as PDF")
    assert set(stored_cvs(site)) - files_before == {docx_file}
    filename, data = download_cv(page, site, "Ada CV.docx")
    assert (filename, data) == ("Ada CV.docx", cv_files.make_docx())

    # Remove it: the file is gone and the profile says so.
    page.goto(f"{site.url}/profile/edit/")
    page.get_by_label("Remove my current CV").check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("No CV yet")).to_be_visible()
    wait_until(lambda: not docx_file.exists(), "the worker deletes the removed DOCX after the commit")
    assert set(stored_cvs(site)) - files_before == set()
