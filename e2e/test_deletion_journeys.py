"""Leaving the site: export one's data, then delete the account, at once or after a grace period that signing in
again can end ("Keep my account") or cut short ("Delete now"); and the worker that deletes it when its time comes."""

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.steps import Account, confirm_with_password, log_in, navbar, plain_text, sign_up, upload_cv
from testkit import cv_files
from testkit.polling import wait_until
from testkit.sites import Site, query, serve, task_results
from testkit.smtp import SMTPSink

DELETED = "Your account has been deleted."
LOG_IN_FAILED = "The email address and/or password you specified are not correct."
GRACE_HEADING = "Your account is about to be deleted"
DELETION_TASK = "accounts.deletion.delete_account_when_due"


@pytest.fixture(scope="module")
def site_deleting_at_once(another_site_env: Callable[..., dict[str, str]]) -> Iterator[Site]:
    """A site configured with no grace period (ACCOUNT_DELETION_GRACE_DAYS=0): "Delete my account" deletes at once."""
    with serve(another_site_env(ACCOUNT_DELETION_GRACE_DAYS="0"), "no-grace") as running:
        yield running


def cv_file_of(site: Site, content: bytes) -> Path:
    [path] = [path for path in (site.media_root / "cvs").iterdir() if path.read_bytes() == content]
    return path


def user_id_of(site: Site, email: str) -> int:
    [(user_id,)] = query(site.env["DATABASE_URL"], f"SELECT id FROM accounts_user WHERE email = '{email}'")  # noqa: S608
    return user_id


def scheduled_deletions(site: Site, user_id: int) -> list[dict]:
    """The deletion tasks of one account."""
    return [
        task
        for task in task_results(site.env["DATABASE_URL"])
        if task["task_path"] == DELETION_TASK and task["kwargs"].get("user_id") == user_id
    ]


def open_the_deletion_page(page: Page, site: Site, password: str) -> None:
    """From the profile, as a person goes: the link, then the confirmation that it is them."""
    page.goto(f"{site.url}/profile/")
    page.get_by_role("link", name="Delete your account").click()
    confirm_with_password(page, password)
    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()


def expect_deleted(page: Page, site: Site, email: str, password: str) -> None:
    """On the home page, signed out, told so; logging in again fails like any wrong log-in."""
    expect(page.get_by_text(DELETED)).to_be_visible()
    assert page.url == f"{site.url}/"
    expect(navbar(page).get_by_role("link", name="Log in")).to_be_visible()
    log_in(page, site.url, email, password)
    expect(page.get_by_text(LOG_IN_FAILED)).to_be_visible()


def expect_deleted_at_once(
    page: Page, site: Site, smtp: SMTPSink, account: Account, user_id: int, cv_file: Path
) -> None:
    """ "Delete now": the goodbye email, the CV file gone once the worker ran, no deletion left scheduled, and the
    account gone as :func:`expect_deleted` sees it."""
    smtp.wait_for(account.email, "has been deleted")
    wait_until(lambda: not cv_file.exists(), "the worker deletes the CV file after the commit")
    assert scheduled_deletions(site, user_id) == []
    expect_deleted(page, site, account.email, account.password)


def test_export_then_delete_the_account(page: Page, site_deleting_at_once: Site, smtp: SMTPSink) -> None:
    """With no grace period configured, "Delete my account" deletes at once."""
    site = site_deleting_at_once
    account = sign_up(page, site.url, smtp)
    page.goto(f"{site.url}/profile/edit/")
    page.get_by_label("First name").fill("Grace")
    page.get_by_role("button", name="Save profile").click()
    upload_cv(page, site.url, "Grace CV.odt", cv_files.make_odt())
    cv_file = cv_file_of(site, cv_files.make_odt())

    # Export: the person confirms it is them, even right after logging in. A wrong password opens nothing and says
    # so next to the field; the right one starts the download: a ZIP with the profile as JSON, the security
    # activity in it (the wrong password too), and the CV under its own name.
    page.goto(f"{site.url}/profile/")
    page.get_by_role("link", name="Export your data").click()
    expect(page.get_by_role("heading", name="Confirm it's you to export your data")).to_be_visible()
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Incorrect password.")).to_be_visible()
    with page.expect_download() as download_info:
        confirm_with_password(page, account.password)
    download = download_info.value
    # Not left on the confirmation: a page says the download started, what is in it, and leads back.
    expect(page.get_by_role("heading", name="Your download has started")).to_be_visible()
    expect(page.get_by_text(download.suggested_filename)).to_be_visible()
    expect(page.get_by_role("link", name="Back to your profile")).to_be_visible()
    assert download.suggested_filename.startswith("my-data-") and download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes())) as archive:
        assert sorted(archive.namelist()) == ["Grace CV.odt", "profile.json"]
        profile = json.loads(archive.read("profile.json"))
        assert archive.read("Grace CV.odt") == cv_files.make_odt()
    assert profile["email"] == account.email and profile["first_name"] == "Grace"
    assert profile["email_addresses"] == [{"email": account.email, "verified": True, "primary": True}]
    events = sorted(event["event"] for event in profile["security_activity"])
    assert events == ["email_verified", "reauthentication_failed", "signed_in"]
    assert cv_file.exists()

    # Having just confirmed it is them, the deletion page opens at once: it says what goes, and deletes at once.
    page.goto(f"{site.url}/profile/")
    page.get_by_role("link", name="Delete your account").click()
    expect(page.get_by_text("Your account is deleted at once.")).to_be_visible()
    expect(page.get_by_role("button", name="Delete now")).to_have_count(0)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text(DELETED)).to_be_visible()
    assert "deleted" in smtp.wait_for(account.email, "deleted")["Subject"]
    wait_until(lambda: not cv_file.exists(), "the worker deletes the CV file after the commit")
    expect_deleted(page, site, account.email, account.password)


def test_delete_now_straight_from_the_deletion_page(page: Page, site: Site, smtp: SMTPSink) -> None:
    account = sign_up(page, site.url, smtp)
    user_id = user_id_of(site, account.email)
    upload_cv(page, site.url, "Now CV.odt", cv_files.make_odt() + b" ")
    cv_file = cv_file_of(site, cv_files.make_odt() + b" ")
    open_the_deletion_page(page, site, account.password)

    page.get_by_role("button", name="Delete now").click()

    expect_deleted_at_once(page, site, smtp, account, user_id, cv_file)


def test_a_grace_period_kept_then_cut_short(page: Page, site: Site, smtp: SMTPSink) -> None:
    account = sign_up(page, site.url, smtp)
    user_id = user_id_of(site, account.email)
    cv_content = cv_files.make_odt() + b"  "
    upload_cv(page, site.url, "Grace CV.odt", cv_content)
    cv_file = cv_file_of(site, cv_content)

    # "Delete my account": signed out, told when, and how to keep it.
    open_the_deletion_page(page, site, account.password)
    expect(page.get_by_role("button", name="Delete my account in 7 days")).to_be_visible()
    expect(page.get_by_role("button", name="Delete now")).to_be_visible()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account will be deleted on")).to_be_visible()
    assert page.url == f"{site.url}/"
    expect(navbar(page).get_by_role("link", name="Log in")).to_be_visible()
    notice = plain_text(smtp.wait_for(account.email, "will be deleted on"))
    assert "Log in before then and choose “Keep my account”" in notice
    assert f"{site.url}/accounts/login/" in notice
    [task] = scheduled_deletions(site, user_id)
    assert task["status"] == "READY"
    assert cv_file.exists()

    # Signing in meanwhile offers only "Keep my account" and "Delete now"; every other page leads back there.
    log_in(page, site.url, account.email, account.password)
    expect(page.get_by_role("heading", name=GRACE_HEADING)).to_be_visible()
    buttons = page.get_by_role("main").get_by_role("button")
    expect(buttons).to_have_text(["Keep my account", "Delete now"])
    for path in ("/profile/", "/accounts/email/", "/accounts/delete/"):
        page.goto(site.url + path)
        expect(page.get_by_role("heading", name=GRACE_HEADING)).to_be_visible()

    # "Keep my account": the profile as it was, the task gone, an email.
    page.get_by_role("button", name="Keep my account").click()
    expect(page.get_by_text("Your account will not be deleted.")).to_be_visible()
    expect(page.get_by_role("link", name="Grace CV.odt")).to_be_visible()
    smtp.wait_for(account.email, "will not be deleted")
    assert scheduled_deletions(site, user_id) == []

    # Again, and this time "Delete now" from the grace period's page: signing in again is not enough, the person
    # confirms it is them (a wrong password deletes nothing and says so), and then it is done.
    open_the_deletion_page(page, site, account.password)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account will be deleted on")).to_be_visible()
    log_in(page, site.url, account.email, account.password)
    expect(page.get_by_role("heading", name=GRACE_HEADING)).to_be_visible()
    page.get_by_role("button", name="Delete now").click()
    expect(page.get_by_role("heading", name="Confirm it's you to delete your account")).to_be_visible()
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Incorrect password.")).to_be_visible()
    assert [task["status"] for task in scheduled_deletions(site, user_id)] == ["READY"]
    confirm_with_password(page, account.password)

    expect_deleted_at_once(page, site, smtp, account, user_id, cv_file)


def test_the_worker_deletes_an_account_whose_time_has_come(page: Page, site: Site, smtp: SMTPSink) -> None:
    account = sign_up(page, site.url, smtp)
    user_id = user_id_of(site, account.email)
    cv_content = cv_files.make_odt() + b"   "
    upload_cv(page, site.url, "Late CV.odt", cv_content)
    cv_file = cv_file_of(site, cv_content)
    open_the_deletion_page(page, site, account.password)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account will be deleted on")).to_be_visible()

    # A week passes: the mark and the task's run_after are moved to now, as the clock would.
    site.manage(
        "shell",
        "-c",
        "from django.utils import timezone; from accounts.models import User; "
        "from django_tasks_db.models import DBTaskResult; now = timezone.now(); "
        f"User.objects.filter(email={account.email!r}).update(deletion_due_at=now); "
        f"DBTaskResult.objects.filter(task_path={DELETION_TASK!r}, status='READY').update(run_after=now)",
    )

    smtp.wait_for(account.email, "has been deleted", timeout=30)
    wait_until(lambda: not cv_file.exists(), "the worker deletes the CV file after the commit")
    wait_until(
        lambda: [task["status"] for task in scheduled_deletions(site, user_id)] == ["SUCCESSFUL"], "the task succeeds"
    )
    log_in(page, site.url, account.email, account.password)
    expect(page.get_by_text(LOG_IN_FAILED)).to_be_visible()
