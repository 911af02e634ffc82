"""Hardening as a hostile visitor or an operator sees it: cookies, sessions, hosts, names, headers, deploy."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils.http import parse_header_parameters

from accounts.models import User
from testkit import cv_files
from testkit.files import stored_cv_name, stored_files
from testkit.people import PASSWORD

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NEW_PASSWORD = "a different long password 7"


def log_in(client: Client, user: User, password: str = PASSWORD):
    response = client.post("/accounts/login/", {"login": user.email, "password": password})
    assert response.status_code == 302, response.status_code
    return response


# --- Sessions and authentication ------------------------------------------------------------


def test_session_cookie_is_http_only_and_same_site(client, user):
    cookie = log_in(client, user).cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_csrf_cookie_is_same_site(client, db):
    cookie = client.get("/accounts/login/").cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["samesite"] == "Lax"


def test_changing_the_password_ends_the_other_sessions(client, user, django_capture_on_commit_callbacks):
    other_device = Client()
    log_in(other_device, user)
    log_in(client, user)
    assert other_device.get("/profile/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/password/change/",
            {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )

    assert response.status_code == 302
    assert client.get("/profile/").status_code == 200
    assert other_device.get("/profile/")["Location"] == "/accounts/login/?next=/profile/"


def test_resetting_the_password_ends_every_session(client, user, django_capture_on_commit_callbacks):
    other_device = Client()
    log_in(other_device, user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": user.email})
    (message,) = mail.outbox
    reset_path = re.search(r"http://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body).group(1)
    form_path = client.get(reset_path)["Location"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response["Location"] == "/accounts/password/reset/key/done/"
    assert other_device.get("/profile/")["Location"] == "/accounts/login/?next=/profile/"


def test_reset_page_looks_the_same_for_unknown_and_known_addresses(client, user, django_capture_on_commit_callbacks):
    def ask_for_reset(email: str):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/accounts/password/reset/", {"email": email}, follow=True)
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        return response.status_code, response.redirect_chain, page

    assert ask_for_reset("nobody@example.com") == ask_for_reset(user.email)


def test_reset_for_an_unknown_address_sends_no_reset_link(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    # One email either way (equal work, equal timing), but only a real account gets a link.
    [message] = mail.outbox
    assert message.to == ["nobody@example.com"]
    assert "/accounts/password/reset/key/" not in message.body


def test_reset_for_a_known_address_sends_one_email(client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": user.email})
    assert [message.to for message in mail.outbox] == [[user.email]]


def test_admin_login_goes_through_the_sites_log_in(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert unquote(response["Location"]) == "/accounts/login/?next=/admin/login/"
    assert b"<form" not in response.content


def test_admin_login_form_cannot_be_used_to_log_in(client, make_user):
    admin = make_user(is_staff=True, is_superuser=True)
    response = client.post("/admin/login/", {"username": admin.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/admin/").status_code == 302


def test_host_not_in_allowed_hosts_gets_400(client, db):
    assert client.get("/", HTTP_HOST="attacker.example").status_code == 400


# --- Uploaded file names ----------------------------------------------------------------------

HOSTILE_NAMES = {
    "quotes and semicolons": (b'filename="my \\"best\\"; cv=1.pdf"', 'my "best"; cv=1.pdf'),
    "CR/LF header injection": (b"filename*=UTF-8''cv%0D%0ASet-Cookie%3A%20pwned%3D1.pdf", "cvSet-Cookie: pwned=1.pdf"),
    "parent folders": (b'filename="../../../etc/cv.pdf"', "cv.pdf"),
    "windows path": (b'filename="C:\\\\Users\\\\ada\\\\cv.pdf"', "cv.pdf"),
    "non-ASCII, RFC 5987": (
        b"filename*=UTF-8''Lebenslauf%20J%C3%BCrgen%20M%C3%BCller.pdf",
        "Lebenslauf Jürgen Müller.pdf",
    ),
    "non-ASCII, raw UTF-8": ('filename="Résumé Zoë 履歴書.pdf"'.encode(), "Résumé Zoë 履歴書.pdf"),
    "right-to-left override": (b"filename*=UTF-8''cv%E2%80%AEfdp.exe.pdf", "cvfdp.exe.pdf"),
}


@pytest.mark.parametrize(("filename_parameter", "expected"), HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
def test_hostile_upload_name_is_stored_randomly_and_returned_in_one_well_formed_header(
    browser_as, user, media_root, filename_parameter, expected
):
    browser = browser_as(user)
    data = cv_files.make_pdf()

    upload = browser.upload_cv(data, filename_parameter=filename_parameter)

    assert upload.status == 302, upload.body[:2000]
    user.refresh_from_db()
    assert stored_cv_name(user.pk, "pdf").fullmatch(user.cv.name)
    assert stored_files(media_root) == [user.cv.name]
    assert user.cv_original_name == expected

    download = browser.get("/profile/cv/")
    assert download.status == 200
    assert download.body == data
    assert download.header_values("Set-Cookie") == []
    (disposition,) = download.header_values("Content-Disposition")
    assert disposition.isascii() and "\r" not in disposition and "\n" not in disposition
    assert parse_header_parameters(disposition) == ("attachment", {"filename": expected})
    if expected.isascii():
        assert disposition.startswith('attachment; filename="')
    else:
        assert disposition.startswith("attachment; filename*=utf-8''")


def test_two_users_uploading_the_same_file_name_never_share_a_stored_file(
    make_user, cv_upload, media_root, django_capture_on_commit_callbacks
):
    first, second = make_user(), make_user()
    first_device, second_device = Client(), Client()
    first_device.force_login(first)
    second_device.force_login(second)
    first_bytes = cv_files.make_pdf()
    second_bytes = cv_files.make_pdf() + b"% the second person's CV\n"

    with django_capture_on_commit_callbacks(execute=True):
        first_device.post("/profile/edit/", {"first_name": "", "last_name": "", "cv": cv_upload("cv.pdf", first_bytes)})
        second_device.post(
            "/profile/edit/", {"first_name": "", "last_name": "", "cv": cv_upload("cv.pdf", second_bytes)}
        )
    first.refresh_from_db()
    second.refresh_from_db()

    assert first.cv.name != second.cv.name
    assert stored_files(media_root) == sorted([first.cv.name, second.cv.name])
    assert b"".join(first_device.get("/profile/cv/").streaming_content) == first_bytes
    assert b"".join(second_device.get("/profile/cv/").streaming_content) == second_bytes


# --- Operations -----------------------------------------------------------------------------


def test_healthz_returns_json_and_sets_no_cookie(client, db):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert not response.cookies


def test_deploy_check_passes_with_debug_off_and_https_on(tmp_path):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "true",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "SITE_URL": "https://cv.example.org",
    }
    result = deploy_check(environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def deploy_check(environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_tells_when_emails_would_link_to_localhost(tmp_path):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "true",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    }
    environment.pop("SITE_URL", None)
    result = deploy_check(environment)
    assert result.returncode == 0, result.stdout + result.stderr  # the documented command stays clean
    assert "site.I001" in result.stderr + result.stdout


# --- Headers --------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "signed_in"), [("/", False), ("/accounts/login/", False), ("/profile/", True)])
def test_pages_send_the_security_headers(client, user, url, signed_in):
    if signed_in:
        client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
