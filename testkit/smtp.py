"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests to read."""

import asyncio
import email
import email.policy
import threading
import time
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from .network import free_port


class _Collector:
    def __init__(self, delay: float) -> None:
        self.messages: list[EmailMessage] = []
        self.delay = delay
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


class SMTPSink:
    """Start with ``start()``; ``messages`` lists every email received; ``wait_for`` polls for one."""

    def __init__(self, port: int | None = None, delay: float = 0.0) -> None:
        self.port = port or free_port()
        self._collector = _Collector(delay)
        self._controller = Controller(self._collector, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._collector.lock:
            return list(self._collector.messages)

    def start(self) -> "SMTPSink":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def clear(self) -> None:
        with self._collector.lock:
            self._collector.messages.clear()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in m["To"].lower()]

    def wait_for(self, address: str, subject_part: str, timeout: float = 15.0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.to(address):
                if subject_part.lower() in message["Subject"].lower():
                    return message
            time.sleep(0.1)
        subjects = [(m["To"], m["Subject"]) for m in self.messages]
        raise AssertionError(f"No email to {address} with {subject_part!r} within {timeout}s; got {subjects}")
