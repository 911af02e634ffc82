"""An email as the site writes it, and as the outbox keeps it.

Written: rendered once from ``templates/emails/<prefix>_subject.txt``, ``<prefix>.txt`` and ``<prefix>.html`` (or by
any renderer with the same signature, such as allauth's ``render_mail``), then stamped with its Message-ID (at
SITE_URL's host) and Date, so that every attempt sends the same message and a receiver can drop the rare duplicate.

Kept: as what it is, the MIME bytes Python's ``email`` package writes and the SMTP envelope (``QueuedMessage``),
never a hand-made copy of Django's ``EmailMessage``; sealed (encrypted) while it waits in a task's row.
``StoredEmailMessage`` hands those bytes to any of Django's mail backends unchanged, and reads subject, body and
recipients back from them for the backends that show them.
"""

import base64
import email
import email.message
import email.policy
import json
from dataclasses import dataclass
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.template.loader import render_to_string
from django.utils.encoding import punycode

from .encryption import key_ring

# SMTP's line ending: what the wire carries, and what is kept.
CRLF = "\r\n"
# Binds the key that seals queued messages to this one use: nothing else the site encrypts shares it.
SEAL_PURPOSE = b"mail.outbox: queued messages"


class UnreadableMessage(Exception):
    """A queued message that no configured key opens: SECRET_KEY was replaced without the old one in the fallbacks."""


def render_email(template_prefix: str, to: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    """``emails/<prefix>_subject.txt``, ``<prefix>.txt`` and ``<prefix>.html``: one message from DEFAULT_FROM_EMAIL."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{template_prefix}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template_prefix}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string(f"emails/{template_prefix}.html", context), "text/html")
    return message


def stamp(message: EmailMessage) -> None:
    """Fix the message's Message-ID (at SITE_URL's host) and Date, unless its renderer did."""
    names = {name.lower() for name in message.extra_headers}
    if "message-id" not in names:
        host = urlsplit(settings.SITE_URL).hostname
        message.extra_headers["Message-ID"] = make_msgid(domain=punycode(host) if host else DNS_NAME.get_fqdn())
    if "date" not in names:
        message.extra_headers["Date"] = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)


@dataclass(frozen=True)
class QueuedMessage:
    """A message as the outbox keeps it: the envelope's sender and recipients, and the MIME bytes as sent."""

    sender: str
    recipients: list[str]
    mime: bytes

    @classmethod
    def of(cls, message: EmailMessage) -> "QueuedMessage":
        """The message exactly as Django's SMTP backend would send it now; raises for what it could not send."""
        if message.connection is not None:
            raise ValueError("A queued message is sent with EMAIL_BACKEND; it cannot bring a connection of its own.")
        if "message-id" not in {name.lower() for name in message.extra_headers}:
            raise ValueError("A queued message needs its Message-ID before it is queued, to keep it on every attempt.")
        # Django's MIME classes write with the line ending asked for; django-stubs gives them the standard library's.
        mime = message.message().as_bytes(linesep=CRLF)  # type: ignore[call-arg]
        return cls(str(message.from_email), list(message.recipients()), mime)

    def sealed(self) -> str:
        """The message encrypted for the task's row: text, unreadable without SECRET_KEY (or a fallback)."""
        return key_ring(SEAL_PURPOSE).encrypt(self.to_json()).decode("ascii")

    @classmethod
    def unsealed(cls, sealed: str) -> "QueuedMessage":
        try:
            return cls.from_json(key_ring(SEAL_PURPOSE).decrypt(sealed.encode("ascii")))
        except InvalidToken:
            raise UnreadableMessage(
                "A queued message could not be decrypted with SECRET_KEY or SECRET_KEY_FALLBACKS: put the key it was "
                "queued under back into DJANGO_SECRET_KEY_FALLBACKS until the queue has drained."
            ) from None

    def to_json(self) -> bytes:
        mime = base64.b64encode(self.mime).decode("ascii")
        return json.dumps({"sender": self.sender, "recipients": self.recipients, "mime": mime}).encode()

    @classmethod
    def from_json(cls, data: bytes) -> "QueuedMessage":
        fields = json.loads(data)
        return cls(fields["sender"], list(fields["recipients"]), base64.b64decode(fields["mime"]))

    def headers(self) -> email.message.EmailMessage:
        """The message's headers, parsed (its parts are not decoded): subject and Message-ID for the log."""
        return email.message_from_bytes(self.mime, policy=email.policy.default)

    def as_email(self) -> "StoredEmailMessage":
        return StoredEmailMessage(self)


class StoredMIME(email.message.Message):
    """Parsed MIME that writes itself back as the bytes it was parsed from, in the line endings asked for."""

    raw: bytes = b""

    def as_bytes(self, unixfrom: bool = False, policy: Any = None, linesep: str = "\n") -> bytes:
        return self.raw if linesep == CRLF else self.raw.replace(CRLF.encode(), linesep.encode())

    def as_string(self, unixfrom: bool = False, maxheaderlen: int = 0, policy: Any = None) -> str:
        return self.as_bytes().decode("ascii", errors="surrogateescape")


class StoredEmailMessage(EmailMultiAlternatives):
    """A queued message handed to Django's mail backends: ``message()`` is the stored MIME, byte for byte, and the
    envelope is the stored one. Subject, text, HTML and headers are read back from it for whoever looks (the
    console backend, the locmem outbox of tests, a log line); they do not change what is sent."""

    def __init__(self, queued: QueuedMessage) -> None:
        # Read back with Python's own line endings, as the message was written before it became SMTP's.
        parsed = email.message_from_bytes(queued.mime.replace(CRLF.encode(), b"\n"), policy=email.policy.default)
        text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
        super().__init__(
            subject=" ".join(str(parsed.get("Subject", "")).split()),
            body=text.get_content() if isinstance(text, email.message.EmailMessage) else "",
            from_email=queued.sender,
            to=[str(address) for address in parsed.get_all("To", [])],
            cc=[str(address) for address in parsed.get_all("Cc", [])],
            reply_to=[str(address) for address in parsed.get_all("Reply-To", [])],
            headers={name: str(parsed[name]) for name in ("Message-ID", "Date") if parsed[name] is not None},
        )
        if isinstance(html, email.message.EmailMessage):
            self.attach_alternative(html.get_content(), "text/html")
        self.queued = queued

    def recipients(self) -> list[str]:
        return list(self.queued.recipients)

    def message(self) -> StoredMIME:  # type: ignore[override]
        stored = email.message_from_bytes(self.queued.mime, _class=StoredMIME)
        stored.raw = self.queued.mime
        return stored
