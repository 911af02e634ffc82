"""A small cookie-keeping HTTP client for the bench: CSRF tokens, form posts and streamed multipart uploads."""

import http.client
import http.cookiejar
import re
import secrets
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
CHUNK = 1024 * 1024


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs) -> None:
        return None


class Browser:
    """One visitor: keeps cookies, never follows redirects, so each request is measured on its own."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def request(self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> Response:
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers or {})  # noqa: S310 (http://127.0.0.1 only)
        try:
            with self._opener.open(request, timeout=120) as reply:
                return Response(reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read())
        except urllib.error.HTTPError as error:
            # 3xx (not followed) and 4xx/5xx arrive here; they are answers, not failures of the client.
            return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def get(self, path: str) -> Response:
        return self.request(path)

    def csrf_token(self, path: str) -> str:
        """The form's CSRF token from a GET of ``path`` (which also sets the CSRF cookie)."""
        page = self.get(path)
        match = CSRF_FIELD.search(page.body)
        if page.status != 200 or not match:
            raise RuntimeError(f"GET {path} gave {page.status} and no CSRF token")
        return match.group(1).decode()

    def submit(self, path: str, token: str, fields: dict[str, str]) -> Response:
        """POST a form with a token from ``csrf_token`` (so the POST alone can be timed)."""
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        return self.request(path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def post_form(self, path: str, fields: dict[str, str]) -> Response:
        return self.submit(path, self.csrf_token(path), fields)

    def cookie(self, name: str) -> str:
        for cookie in self.cookies:
            if cookie.name == name:
                return cookie.value or ""
        raise KeyError(name)

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)

    def log_in(self, email: str, password: str) -> None:
        reply = self.post_form("/accounts/login/", {"login": email, "password": password})
        if reply.status != 302:
            raise RuntimeError(f"log-in as {email} failed with {reply.status}")

    def upload(
        self, path: str, fields: dict[str, str], file_field: str, file_name: str, head: bytes, size: int
    ) -> Response:
        """POST a multipart form whose file is ``head`` padded to ``size`` bytes, streamed in 1 MiB chunks."""
        token = self.csrf_token(path)
        boundary = secrets.token_hex(16)
        preamble = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in {"csrfmiddlewaretoken": token, **fields}.items()
        )
        preamble += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{file_name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        epilogue = f"\r\n--{boundary}--\r\n".encode()
        parsed = urllib.parse.urlsplit(self.base_url)
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=300)
        try:
            connection.putrequest("POST", path)
            connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
            connection.putheader("Content-Length", str(len(preamble) + size + len(epilogue)))
            connection.putheader("Cookie", self.cookie_header())
            connection.endheaders()
            connection.send(preamble)
            for chunk in _padded(head, size):
                connection.send(chunk)
            connection.send(epilogue)
            reply = connection.getresponse()
            return Response(reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read())
        finally:
            connection.close()


def _padded(head: bytes, size: int) -> Iterator[bytes]:
    """``head`` followed by spaces up to ``size`` bytes: a valid PDF stays valid with trailing whitespace."""
    yield head
    remaining = size - len(head)
    block = b" " * CHUNK
    while remaining > 0:
        yield block[: min(CHUNK, remaining)]
        remaining -= CHUNK
