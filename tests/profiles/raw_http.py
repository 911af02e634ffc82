"""Raw HTTP against pytest-django's live server: requests as a browser sends them, byte for byte."""

import html
import http.client
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from django.conf import settings


@dataclass
class RawResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def header(self, name: str) -> str:
        (value,) = self.header_values(name)
        return value


class RawBrowser:
    """Keeps cookies like a browser and speaks HTTP/1.1 through ``http.client``."""

    def __init__(self, live_server_url: str) -> None:
        address = urlsplit(live_server_url)
        self.host, self.port = address.hostname, address.port
        self.cookies: dict[str, str] = {}

    @classmethod
    def logged_in(cls, live_server_url: str, client, user) -> "RawBrowser":
        """A browser holding the session cookie of ``user`` (logged in through the test client)."""
        client.force_login(user)
        browser = cls(live_server_url)
        browser.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
        return browser

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Host": f"{self.host}:{self.port}", **(extra or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return headers

    def _finish(self, connection: http.client.HTTPConnection) -> RawResponse:
        response = connection.getresponse()
        body = response.read()
        headers = response.getheaders()
        connection.close()
        for key, value in headers:
            if key.lower() == "set-cookie":
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
        return RawResponse(response.status, headers, body)

    def get(self, path: str) -> RawResponse:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        connection.request("GET", path, headers=self._headers())
        return self._finish(connection)

    def csrf_token(self, path: str) -> str:
        """Load a form page the way a browser would, keeping its CSRF cookie and token."""
        page = self.get(path)
        assert page.status == 200, page.status
        return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1).decode()

    def post_multipart(
        self,
        path: str,
        *,
        fields: dict[str, str],
        file_field: str,
        filename_parameter: bytes,
        file_chunks: Iterable[bytes],
        file_size: int,
        content_type: str = "application/pdf",
        after_each_chunk: Callable[[], None] = lambda: None,
    ) -> RawResponse:
        """POST a hand-built multipart body; ``filename_parameter`` goes into the part header verbatim.

        The file is sent chunk by chunk, so ``after_each_chunk`` can watch the server while it receives.
        """
        boundary = secrets.token_hex(16)
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        )
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '.encode()
            + filename_parameter
            + f"\r\nContent-Type: {content_type}\r\n\r\n".encode()
        )
        tail = f"\r\n--{boundary}--\r\n".encode()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        connection.putrequest("POST", path, skip_host=True)
        headers = self._headers(
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(head) + file_size + len(tail)),
            }
        )
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        connection.send(head)
        for chunk in file_chunks:
            connection.send(chunk)
            after_each_chunk()
        connection.send(tail)
        return self._finish(connection)

    def upload_cv(self, *, filename_parameter: bytes, data: bytes, content_type: str = "application/pdf"):
        token = self.csrf_token("/profile/edit/")
        return self.post_multipart(
            "/profile/edit/",
            fields={"csrfmiddlewaretoken": token, "first_name": "", "last_name": ""},
            file_field="cv",
            filename_parameter=filename_parameter,
            file_chunks=[data],
            file_size=len(data),
            content_type=content_type,
        )


def page_text(body: bytes) -> str:
    return html.unescape(body.decode())
