"""The served site's log under attack: every line one JSON object, no forged event, refused bodies one WARNING each."""

import secrets
import socket
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from testkit.http import Browser
from testkit.logs import log_lines
from testkit.polling import wait_until
from testkit.sites import Site, serve

# Each forged line is a convincing copy of a real one: an operator's alert on email_gave_up would fire.
FORGED_LINE = (
    '{"time": "2026-01-01 00:00:00,000", "level": "ERROR", "logger": "accounts.tasks", '
    '"message": "Gave up delivering an email", "event": "email_gave_up", "to": "ceo@example.com"}'
)
FORGED_PATHS = {
    "newline": "/a\n" + FORGED_LINE,
    "carriage return": "/a\r\n" + FORGED_LINE,
    "terminal escapes": "/\x1b[31mred\x1b[0m\x1b]0;title\x07",
    "NUL": "/nul\x00byte",
    "quotes": '/"quoted" \'path\' \\ "}',
}
TIMEOUT_SECONDS = 2  # gunicorn's worker timeout on this instance, so that provoking one is cheap


@dataclass
class Attack:
    log: str
    statuses: dict[str, int]


def multipart(files: int) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{number}"; filename="f{number}.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nx\r\n".encode()
        for number in range(files)
    )
    return parts + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def send_raw(port: int, data: bytes) -> bytes:
    """Bytes on the wire that no HTTP client would send: control characters raw in the request line."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        return connection.recv(100)


def stall_a_worker(site: Site) -> None:
    """A client that sends half a request and waits: a sync worker waits with it until gunicorn's timeout kills it."""
    with socket.create_connection(("127.0.0.1", site.port), timeout=60) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        wait_until(lambda: "WORKER TIMEOUT" in site.log_text(), "gunicorn's timeout kills the stalled worker")


@pytest.fixture(scope="module")
def attack(site_env: dict[str, str]) -> Iterator[Attack]:
    """Serve the site, send it what an attacker sends, stop it, and keep everything the process wrote."""
    statuses: dict[str, int] = {}
    env = {**site_env, "GUNICORN_TIMEOUT": str(TIMEOUT_SECONDS)}
    with serve(env, "attacked", workers=2) as site:
        visitor = Browser(site.url, headers={"User-Agent": 'Mozilla/5.0 "} ' + FORGED_LINE})  # a header has no newline
        for name, path in FORGED_PATHS.items():
            statuses[name] = visitor.get(urllib.parse.quote(path) + "?q=" + urllib.parse.quote(FORGED_LINE)).status
        statuses["raw control characters"] = int(
            send_raw(site.port, b"GET /raw\x1b[31m\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").split()[1]
        )

        token = visitor.csrf_token("/accounts/login/")  # the CSRF check reads the body: it needs a cookie
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        too_many_fields = urllib.parse.urlencode([("csrfmiddlewaretoken", token)] + [("f", "x")] * 1100)
        statuses["too many fields"] = visitor.request("POST", "/accounts/login/", too_many_fields.encode(), form).status
        body, content_type = multipart(files=101)
        statuses["too many files"] = visitor.request(
            "POST", "/accounts/login/", body, {"Content-Type": content_type}
        ).status
        too_large = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "login": "x" * 3 * 1024 * 1024})
        statuses["too large"] = visitor.request("POST", "/accounts/login/", too_large.encode(), form).status

        stall_a_worker(site)
        site.wait_until_ready()  # the worker gunicorn started in place of the one it killed
    yield Attack(site.log_text(), statuses)


def test_the_site_answered_each_attack_without_a_server_error(attack: Attack) -> None:
    assert attack.statuses == {
        **dict.fromkeys(FORGED_PATHS, 404),
        "raw control characters": 400,
        "too many fields": 400,
        "too many files": 400,
        "too large": 400,
    }


def test_every_line_the_server_process_wrote_is_one_json_object(attack: Attack) -> None:
    lines = log_lines(attack.log)  # fails on the first line that is not one JSON object

    messages = [line["message"] for line in lines if line["logger"] == "gunicorn.error"]
    assert any(message.startswith("Starting gunicorn") for message in messages)
    assert any(message.startswith("Booting worker") for message in messages)
    assert any(message.startswith("WORKER TIMEOUT") for message in messages)
    assert any(message.startswith("Shutting down") for message in messages)


def test_no_request_forged_a_line_or_an_event(attack: Attack) -> None:
    lines = log_lines(attack.log)

    assert {line.get("event") for line in lines} <= {None, "request", "request_refused"}
    assert not [line for line in lines if line.get("to") == "ceo@example.com"]
    assert not [line for line in lines if line["time"].startswith("2026-01-01")]


def test_the_access_log_carries_each_path_and_query_verbatim_as_fields(attack: Attack) -> None:
    requests = [line for line in log_lines(attack.log) if line.get("event") == "request"]

    for path in FORGED_PATHS.values():
        [line] = [line for line in requests if line["path"] == path]
        assert line["status"] == 404
        assert urllib.parse.unquote(line["query"]) == "q=" + FORGED_LINE
        assert line["user_agent"].endswith(FORGED_LINE)


def test_each_refused_body_logs_one_warning_without_a_traceback(attack: Attack) -> None:
    lines = log_lines(attack.log)
    refused = [line for line in lines if line["logger"].startswith("django.security.")]

    assert [line["logger"] for line in refused] == [
        "django.security.TooManyFieldsSent",
        "django.security.TooManyFilesSent",
        "django.security.RequestDataTooBig",
    ]
    assert {(line["level"], line["event"], line["status_code"]) for line in refused} == {
        ("WARNING", "request_refused", 400)
    }
    assert not [line for line in refused if "exc_info" in line or "Traceback" in str(line)]
    errors = [line for line in lines if line["logger"].startswith("django") and line["level"] in {"ERROR", "CRITICAL"}]
    assert errors == []
