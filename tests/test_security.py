"""Hardening as a hostile visitor or an operator sees it: cookies, sessions, hosts, names, headers, deploy."""

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
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
from testkit.http import Browser
from testkit.people import PASSWORD, unique_email
from testkit.sites import Site, production_env, serve, throwaway_database

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


# --- Behind proxies: forwarded headers are believed only from DJANGO_TRUSTED_PROXIES ----------------------------

LOG_IN_REFUSED = "Too many failed login attempts"


def failed_log_ins(client: Client, attempts: int, *, peer: str, forwarded_for) -> list[str]:
    """``attempts`` wrong passwords for addresses with no account (so that only the per-address limit can refuse),
    each from ``peer`` with the X-Forwarded-For ``forwarded_for(n)``: "checked" or "refused" for each."""
    outcomes = []
    for n in range(attempts):
        response = client.post(
            "/accounts/login/",
            {"login": unique_email("nobody"), "password": "not the password"},
            REMOTE_ADDR=peer,
            HTTP_X_FORWARDED_FOR=forwarded_for(n),
        )
        assert response.status_code == 200, response.status_code
        outcomes.append("refused" if LOG_IN_REFUSED in response.content.decode() else "checked")
    return outcomes


def test_an_untrusted_peer_is_counted_against_its_own_address_whatever_it_forwards(client, db, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    outcomes = failed_log_ins(client, 11, peer="198.51.100.7", forwarded_for=lambda n: f"203.0.113.{n}")

    assert outcomes == ["checked"] * 10 + ["refused"]


def test_behind_a_trusted_proxy_attempts_are_counted_against_the_forwarded_address(client, db, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    one_client = failed_log_ins(client, 11, peer="10.0.0.5", forwarded_for=lambda n: "203.0.113.1")
    another_client = failed_log_ins(client, 1, peer="10.0.0.5", forwarded_for=lambda n: "203.0.113.2")

    assert one_client == ["checked"] * 10 + ["refused"]
    assert another_client == ["checked"]


def test_a_chain_of_trusted_proxies_is_followed_to_the_client_and_no_further(client, db, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.10"]
    # The client forges a new first entry each time; the load balancer (192.0.2.10) and the inner proxy append theirs.
    chain = "198.51.100.{n}, 203.0.113.1, 192.0.2.10"

    outcomes = failed_log_ins(client, 11, peer="10.0.0.5", forwarded_for=lambda n: chain.format(n=n))
    another_client = failed_log_ins(client, 1, peer="10.0.0.5", forwarded_for=lambda n: "203.0.113.2, 192.0.2.10")

    assert outcomes == ["checked"] * 10 + ["refused"]
    assert another_client == ["checked"]


def test_through_gunicorns_unix_socket_the_forwarded_address_is_counted_as_gunicorn_believes_it(client, db):
    """A Unix socket has no peer address (REMOTE_ADDR is empty): only this machine reaches it, and gunicorn believes
    its X-Forwarded-Proto unconditionally; the site reads its X-Forwarded-For the same way."""
    one_client = failed_log_ins(client, 11, peer="", forwarded_for=lambda n: "198.51.100.7, 203.0.113.1")
    another_client = failed_log_ins(client, 1, peer="", forwarded_for=lambda n: "203.0.113.2")

    assert one_client == ["checked"] * 10 + ["refused"]
    assert another_client == ["checked"]


@pytest.fixture(scope="module")
def proxied_site(tmp_path_factory: pytest.TempPathFactory, migrated_template: str) -> Iterator[Site]:
    """The site as production serves it (gunicorn, HTTPS on) behind one proxy at 127.0.0.1; other loopback
    addresses (127.0.0.2) are clients that reach gunicorn directly."""
    workdir = tmp_path_factory.mktemp("proxied")
    with throwaway_database(workdir, template=migrated_template) as database_url:
        env = production_env(workdir, database_url, DJANGO_HTTPS="true", DJANGO_TRUSTED_PROXIES="127.0.0.1")
        with serve(env, "proxied", workers=1, with_worker=False) as site:
            yield site


def test_x_forwarded_proto_from_the_trusted_proxy_makes_the_request_secure(proxied_site):
    response = Browser(proxied_site.url, source_ip="127.0.0.1").get("/profile/", headers={"X-Forwarded-Proto": "https"})

    assert (response.status, response.location) == (302, "/accounts/login/?next=/profile/")
    assert response.header("Strict-Transport-Security").startswith("max-age=")


def test_x_forwarded_proto_from_an_untrusted_peer_does_not_make_the_request_secure(proxied_site):
    response = Browser(proxied_site.url, source_ip="127.0.0.2").get("/profile/", headers={"X-Forwarded-Proto": "https"})

    assert (response.status, response.location) == (301, f"https://127.0.0.1:{proxied_site.port}/profile/")
    assert response.header_values("Strict-Transport-Security") == []


@pytest.mark.any_database
def test_gunicorn_trusts_the_proxies_the_site_trusts(tmp_path):
    env = production_env(tmp_path, f"sqlite:///{tmp_path / 'unused.sqlite3'}", DJANGO_TRUSTED_PROXIES="10.0.0.0/8, ::1")

    result = gunicorn_config(env)

    assert result.returncode == 0, result.stderr
    assert re.search(r"^forwarded_allow_ips\s+= \['10.0.0.0/8', '::1'\]$", result.stdout, re.M), result.stdout


@pytest.mark.any_database
def test_gunicorn_trusts_no_proxy_by_default(tmp_path):
    result = gunicorn_config(production_env(tmp_path, f"sqlite:///{tmp_path / 'unused.sqlite3'}"))

    assert result.returncode == 0, result.stderr
    assert re.search(r"^forwarded_allow_ips\s+= \[\]$", result.stdout, re.M), result.stdout


@pytest.mark.any_database
@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DJANGO_TRUSTED_PROXY_COUNT", "1", "DJANGO_TRUSTED_PROXY_COUNT is no longer read"),
        ("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1", "GUNICORN_FORWARDED_ALLOW_IPS is no longer read"),
        ("DJANGO_TRUSTED_PROXIES", "192.168.1.1/24", "192.168.1.1/24 has host bits set"),
        ("DJANGO_TRUSTED_PROXIES", "*", "DJANGO_TRUSTED_PROXIES: '*' does not appear to be an IPv4 or IPv6 network"),
    ],
)
def test_a_proxy_setting_the_site_cannot_honour_stops_the_server_from_starting(tmp_path, variable, value, message):
    env = production_env(tmp_path, f"sqlite:///{tmp_path / 'unused.sqlite3'}", **{variable: value})

    result = gunicorn_config(env)

    assert result.returncode != 0
    assert message in result.stderr


def gunicorn_config(env: dict[str, str]) -> subprocess.CompletedProcess:
    """gunicorn as ``make serve`` starts it, asked to load its configuration and the site, print it and stop."""
    return subprocess.run(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--config", "config/gunicorn.conf.py", "--print-config"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


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


@pytest.mark.any_database
@pytest.mark.parametrize("proxies", [{}, {"DJANGO_TRUSTED_PROXIES": "10.0.0.0/8,192.0.2.7"}], ids=["direct", "proxied"])
def test_deploy_check_passes_with_debug_off_and_https_on(tmp_path, proxies):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "true",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "SITE_URL": "https://cv.example.org",
        "DJANGO_TASKS_BACKEND": "database",
        **proxies,
    }
    result = deploy_check(environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.any_database
def test_deploy_check_warns_that_the_immediate_task_backend_serves_no_one_well(tmp_path):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "true",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "SITE_URL": "https://cv.example.org",
        "DJANGO_TASKS_BACKEND": "immediate",
    }
    result = deploy_check(environment)
    assert result.returncode == 1
    assert "site.W001" in result.stderr and "DJANGO_TASKS_BACKEND=database" in result.stderr


def deploy_check(environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.any_database
def test_deploy_check_tells_when_emails_would_link_to_localhost(tmp_path):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "true",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_TASKS_BACKEND": "database",
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
