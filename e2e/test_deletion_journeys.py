"""Leaving the site: export one's data, then delete the account with a wrong and then the right password."""

import io
import json
import zipfile
from pathlib import Path

from playwright.sync_api import Page, expect

from e2e.steps import confirm_with_password, log_in
from testkit import cv_files
from testkit.sites import Site
from testkit.smtp import SMTPSink


def test_export_then_delete_the_account(page: Page, site: Site, smtp: SMTPSink, signed_up) -> None:
    account = signed_up()
    page.goto(f"{site.url}/profile/edit/")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("CV", exact=True).set_input_files(
        files=[
            {
                "name": "Grace CV.odt",
                "mimeType": "application/vnd.oasis.opendocument.text",
                "buffer": cv_files.make_odt(),
            }
        ]
    )
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("link", name="Grace CV.odt")).to_be_visible()
    [cv_file] = [
        path for path in (site.media_root / "cvs").iterdir() if path.stat().st_size == len(cv_files.make_odt())
    ]

    # Export: the person confirms it is them (even right after logging in), then gets a ZIP with the profile as
    # JSON and the CV under its own name.
    page.get_by_role("link", name="Export your data").click()
    with page.expect_download() as download_info:
        confirm_with_password(page, account.password)
    download = download_info.value
    assert download.suggested_filename.startswith("my-data-") and download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes())) as archive:
        assert sorted(archive.namelist()) == ["Grace CV.odt", "profile.json"]
        profile = json.loads(archive.read("profile.json"))
        assert archive.read("Grace CV.odt") == cv_files.make_odt()
    assert profile["email"] == account.email and profile["first_name"] == "Grace"
    assert profile["email_addresses"] == [{"email": account.email, "verified": True, "primary": True}]

    # A wrong password deletes nothing and says so next to the field.
    page.goto(f"{site.url}/profile/")
    page.get_by_role("link", name="Delete your account").click()
    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("That is not your current password.")).to_be_visible()
    assert cv_file.exists()

    # The right password: logged out, on the home page, told so; the CV is gone; an email confirms it.
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account has been deleted.")).to_be_visible()
    assert page.url == f"{site.url}/"
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")).to_be_visible()
    assert not cv_file.exists()
    assert "deleted" in smtp.wait_for(account.email, "deleted")["Subject"]

    # Logging in again fails like any wrong log-in.
    log_in(page, site.url, account.email, account.password)
    expect(page.get_by_text("The email address and/or password you specified are not correct.")).to_be_visible()
