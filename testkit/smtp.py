"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests to read.

Besides accepting everything, it can behave as the mail servers a site meets: answer a command with a code of
its choosing (``answers={"RCPT": "550 5.1.1 No such user"}``, also ``MAIL``, ``DATA`` and ``AUTH``), stall at
a command until released (``stall("RCPT")``), or misbehave at QUIT, after it has accepted the message.
"""

import asyncio
import email
import email.policy
import socket
import struct
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING

from .network import free_port
from .polling import wait_until
from .services import Service

AtQuit = Literal["reset", "overlong reply"] | None


@dataclass(frozen=True)
class Attempt:
    """One message as it reached the end of DATA: with its envelope, and whether the server accepted it."""

    mail_from: str
    recipients: list[str]
    message: EmailMessage
    accepted: bool


class _Handler:
    def __init__(self, delay: float, answers: dict[str, str], at_quit: AtQuit) -> None:
        self.attempts: list[Attempt] = []
        self.delay = delay
        self.answers = answers
        self.at_quit = at_quit
        self.lock = threading.Lock()
        self.stall_at: str | None = None
        self.stalled = threading.Event()
        self.released = threading.Event()

    async def _pause_if_stalled(self, command: str) -> None:
        if self.stall_at == command:
            self.stalled.set()
            while not self.released.is_set():
                await asyncio.sleep(0.05)

    # aiosmtpd's hook names follow.

    async def handle_AUTH(self, server, session, envelope, args) -> Any:  # noqa: N802
        return self.answers.get("AUTH", MISSING)

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:  # noqa: N802
        if answer := self.answers.get("MAIL"):
            return answer
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        await self._pause_if_stalled("RCPT")
        if answer := self.answers.get("RCPT"):
            return answer
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        await self._pause_if_stalled("DATA")
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        answer = self.answers.get("DATA")
        attempt = Attempt(envelope.mail_from, list(envelope.rcpt_tos), message, accepted=answer is None)
        with self.lock:
            self.attempts.append(attempt)
        return answer or "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope) -> Any:  # noqa: N802
        if self.at_quit == "reset":
            # Linger 0: closing sends RST, so the client's QUIT meets a connection reset by the peer.
            sock = server.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            server.transport.abort()
            return MISSING
        if self.at_quit == "overlong reply":
            return "221 " + "x" * 10_000  # longer than any line smtplib reads: it raises after the message went
        return MISSING


class SMTPSink(Service):
    """Start with ``start()``; ``messages`` lists every email accepted; ``wait_for`` polls for one."""

    def __init__(
        self,
        port: int | None = None,
        delay: float = 0.0,
        *,
        answers: dict[str, str] | None = None,
        at_quit: AtQuit = None,
    ) -> None:
        self.port = port or free_port()
        # The answers can change while the server runs (``sink.answers.clear()``: accept from now on).
        self.answers: dict[str, str] = dict(answers or {})
        self._handler = _Handler(delay, self.answers, at_quit)
        # aiosmtpd offers AUTH over plain text only when told to; a sink that answers AUTH must offer it.
        offer_auth = "AUTH" in self.answers
        self._controller = Controller(
            self._handler, hostname="127.0.0.1", port=self.port, auth_require_tls=not offer_auth
        )

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def attempts(self) -> list[Attempt]:
        """Every message that reached the end of DATA, accepted or refused, in order."""
        with self._handler.lock:
            return list(self._handler.attempts)

    @property
    def messages(self) -> list[EmailMessage]:
        return [attempt.message for attempt in self.attempts if attempt.accepted]

    def start(self) -> "SMTPSink":
        self._controller.start()
        return self

    def stop(self) -> None:
        self.release()
        self._controller.stop()

    def clear(self) -> None:
        with self._handler.lock:
            self._handler.attempts.clear()

    def stall(self, command: Literal["RCPT", "DATA"]) -> None:
        """Hold every session that reaches ``command`` until ``release()``: a send caught in mid-flight."""
        self._handler.released.clear()
        self._handler.stalled.clear()
        self._handler.stall_at = command

    def wait_until_stalled(self, timeout: float = 15.0) -> None:
        if not self._handler.stalled.wait(timeout):
            raise AssertionError(f"No session reached {self._handler.stall_at} within {timeout}s")

    def release(self) -> None:
        self._handler.stall_at = None
        self._handler.released.set()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in m["To"].lower()]

    def wait_for(self, address: str, subject_part: str, timeout: float = 30.0) -> EmailMessage:
        """The first email to ``address`` whose subject contains ``subject_part``, once it has arrived."""

        def arrived() -> EmailMessage | None:
            for message in self.to(address):
                if subject_part.lower() in message["Subject"].lower():
                    return message
            return None

        found = wait_until(
            arrived,
            f"an email to {address} with {subject_part!r}",
            timeout=timeout,
            describe=lambda: [(m["To"], m["Subject"]) for m in self.messages],
        )
        assert found is not None
        return found
