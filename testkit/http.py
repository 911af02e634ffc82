"""Raw HTTP as a browser sends it, byte for byte: cookies, CSRF tokens, form posts and streamed multipart uploads.

Redirects are never followed, so each request is seen (and timed) on its own.
"""

import html
import http.client
import json
import re
import secrets
import ssl
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie

CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
CHUNK = 1024 * 1024


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def header(self, name: str, default: str | None = None) -> str:
        values = self.header_values(name)
        if not values and default is not None:
            return default
        (value,) = values
        return value

    @property
    def location(self) -> str:
        return self.header("Location", "")

    def json(self):
        """The body as JSON (``/healthz/``'s answer)."""
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """The body as the person reads it: decoded, with HTML entities resolved."""
        return html.unescape(self.body.decode(errors="replace"))


@dataclass
class FilePart:
    """One file part of a multipart body; ``filename_parameter`` goes into its header verbatim."""

    field: str
    filename_parameter: bytes
    chunks: Iterable[bytes]
    size: int
    content_type: str = "application/pdf"


class Browser:
    """One visitor: keeps cookies like a browser and speaks HTTP/1.1 through ``http.client``."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        timeout: float = 120,
        source_ip: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``source_ip`` (any 127.x.y.z on Linux loopback) lets one test be several visitors, as the site sees them;
        an ``https://`` ``base_url`` is spoken to over TLS, trusting what ``ssl_context`` trusts."""
        address = urllib.parse.urlsplit(base_url)
        self.scheme = address.scheme
        self.ssl_context = ssl_context
        self.host = address.hostname or "127.0.0.1"
        self.port = address.port or (443 if self.scheme == "https" else 80)
        self.extra_headers = dict(headers or {})
        self.timeout = timeout
        self.source_address = (source_ip, 0) if source_ip else None
        self.cookies: dict[str, str] = {}

    def twin(self, source_ip: str | None = None) -> "Browser":
        """Another connection of the same visitor (same cookies), e.g. a second tab, for concurrent requests."""
        other = Browser(
            f"{self.scheme}://{self.host}:{self.port}",
            headers=self.extra_headers,
            timeout=self.timeout,
            ssl_context=self.ssl_context,
        )
        other.source_address = (source_ip, 0) if source_ip else self.source_address
        other.cookies = dict(self.cookies)
        return other

    def _connect(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(
                self.host,
                self.port,
                timeout=self.timeout,
                source_address=self.source_address,
                context=self.ssl_context,
            )
        return http.client.HTTPConnection(
            self.host, self.port, timeout=self.timeout, source_address=self.source_address
        )

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Host": f"{self.host}:{self.port}", **self.extra_headers, **(extra or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return headers

    def _finish(self, connection: http.client.HTTPConnection) -> Response:
        try:
            reply = connection.getresponse()
            body = reply.read()
            headers = reply.getheaders()
        finally:
            connection.close()
        for key, value in headers:
            if key.lower() == "set-cookie":
                for name, morsel in SimpleCookie(value).items():
                    if morsel["max-age"] == "0":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        return Response(reply.status, headers, body)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None):
        connection = self._connect()
        connection.request(method, path, body=body, headers=self._headers(headers))
        return self._finish(connection)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def csrf_token(self, path: str) -> str:
        """Load a form page the way a browser would, keeping its CSRF cookie, and return the form's token."""
        page = self.get(path)
        match = CSRF_FIELD.search(page.body)
        if page.status != 200 or not match:
            raise AssertionError(f"GET {path} gave {page.status} and no CSRF token")
        return match.group(1).decode()

    def submit(self, path: str, token: str, fields: dict[str, str], headers: dict[str, str] | None = None):
        """POST a form with a token from ``csrf_token`` (so that the POST alone can be timed)."""
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        return self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        )

    def held_submit(self, path: str, token: str, fields: dict[str, str]) -> Callable[[], Response]:
        """Send a form POST but for its body's last byte, and return the call that sends that byte and reads the answer.

        The server takes the request up (a worker reads its headers, loads its session) and waits for the body: requests
        held this way and then released together race each other inside the server, not on the way to it.
        """
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        connection = self._connect()
        connection.putrequest("POST", path, skip_host=True)
        headers = self._headers({"Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(len(body))})
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(body[:-1])

        def release() -> Response:
            connection.send(body[-1:])
            return self._finish(connection)

        return release

    def post_form(self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> Response:
        """Load the form at ``path``, then post ``fields`` to it."""
        return self.submit(path, self.csrf_token(path), fields, headers)

    def log_in(self, email: str, password: str) -> None:
        reply = self.post_form("/accounts/login/", {"login": email, "password": password})
        if reply.status != 302:
            raise AssertionError(f"log-in as {email} answered {reply.status}, not a redirect")

    def post_multipart(
        self,
        path: str,
        *,
        fields: dict[str, str],
        files: Sequence[FilePart],
        after_each_chunk: Callable[[], None] = lambda: None,
    ) -> Response:
        """POST a hand-built multipart body: the fields, then each file part in turn.

        Files are sent chunk by chunk, so ``after_each_chunk`` can watch the server while it receives.
        """
        boundary = secrets.token_hex(16)
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        )
        part_heads = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{part.field}"; '.encode()
            + part.filename_parameter
            + f"\r\nContent-Type: {part.content_type}\r\n\r\n".encode()
            for part in files
        ]
        tail = f"--{boundary}--\r\n".encode()
        length = (
            len(head)
            + sum(len(part_head) + part.size + 2 for part_head, part in zip(part_heads, files, strict=True))
            + len(tail)
        )
        connection = self._connect()
        try:
            connection.putrequest("POST", path, skip_host=True)
            headers = self._headers(
                {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(length)}
            )
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders()
            connection.send(head)
            for part_head, part in zip(part_heads, files, strict=True):
                connection.send(part_head)
                for chunk in part.chunks:
                    connection.send(chunk)
                    after_each_chunk()
                connection.send(b"\r\n")
            connection.send(tail)
        except BaseException:
            connection.close()
            raise
        return self._finish(connection)

    def upload_cv(
        self,
        data: bytes | Iterable[bytes],
        *,
        filename_parameter: bytes = b'filename="cv.pdf"',
        size: int | None = None,
        content_type: str = "application/pdf",
        fields: dict[str, str] | None = None,
        after_each_chunk: Callable[[], None] = lambda: None,
    ) -> Response:
        """Upload a CV on the profile form as the browser does: load the form, then stream the file to it."""
        chunks = [data] if isinstance(data, bytes) else data
        if size is None:
            if not isinstance(data, bytes):
                raise TypeError("size is required when data is streamed")
            size = len(data)
        token = self.csrf_token("/profile/edit/")
        return self.post_multipart(
            "/profile/edit/",
            fields={"csrfmiddlewaretoken": token, "first_name": "", "last_name": "", **(fields or {})},
            files=[FilePart("cv", filename_parameter, chunks, size, content_type)],
            after_each_chunk=after_each_chunk,
        )


def padded(head: bytes, size: int, chunk: int = CHUNK) -> Iterator[bytes]:
    """``head`` followed by spaces up to ``size`` bytes, one reused chunk at a time (nothing built in memory).

    A PDF stays a PDF with trailing white space, so this makes a valid CV of any size.
    """
    yield head
    remaining = size - len(head)
    block = b" " * chunk
    while remaining > 0:
        yield block[: min(chunk, remaining)]
        remaining -= chunk
